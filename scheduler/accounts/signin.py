"""Signing in to the web pages: a one-time e-mailed link, or an API token, becomes a browser session.

No passwords exist: a school knows each family's e-mail address, so proving
you can read that inbox is the sign-in. Links and sessions are random
256-bit secrets of which only SHA-256 hashes are stored (nothing to
brute-force, and a copy of the database opens no session).

The link e-mail is sent directly, not through the outbox: a link that
arrives after it expired is useless, and an outbox row would keep a live
credential in the database until the sender got round to it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from email.mime.text import MIMEText

from scheduler.accounts.tables import SignInLink, User, WebSession
from scheduler.core.auth import Principal, hash_api_token
from scheduler.core.db import writing
from scheduler.core.errors import InvalidInput, Unauthorized
from scheduler.core.i18n import base_language
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow
from scheduler.notifications.mailer import SmtpMailer

log = logging.getLogger("family_bridge.signin")

LINK_MINUTES = 15  # a link someone asked for on the sign-in page
INVITE_HOURS = 72  # a link an administrator (or `family-bridge admin create`) made for someone else
SESSION_DAYS = 30


@dataclasses.dataclass(frozen=True)
class Session:
    """A signed-in browser: who it is, and the family's language when it is a family."""

    principal: Principal
    token_hash: str
    name: str
    profile_language: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_hash: str, secret: str) -> str:
    """A form token bound to the session: a page of another site cannot know it."""
    return hmac.new(secret.encode(), f"csrf:{session_hash}".encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(session_hash: str, secret: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session_hash, secret), sent or "")


async def _new_session(user_id: int, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    await WebSession.insert(WebSession(user=user_id, token_hash=_hash(token),
                                       expires_at=now + dt.timedelta(days=SESSION_DAYS))).run()
    return token


async def new_link(settings: Settings, user_id: int, valid: dt.timedelta, now: dt.datetime | None = None) -> str:
    """A one-time sign-in link for a user (only its hash is stored); the caller delivers it."""
    token = secrets.token_urlsafe(32)
    async with writing():
        await SignInLink.insert(SignInLink(user=user_id, token_hash=_hash(token),
                                           expires_at=(now or utcnow()) + valid)).run()
    return f"{settings.public_url}/signin/{token}"


async def with_api_token(api_token: str) -> str:
    """Sign in with an API token (what the demo prints); returns the new session's cookie value."""
    if not api_token.strip():
        raise InvalidInput([("token", "paste your access token")])
    user = await User.select(User.id).where(User.token_hash == hash_api_token(api_token.strip())).first().run()
    if user is None:
        raise Unauthorized("that access token is not known", "token")
    async with writing():
        return await _new_session(user["id"], utcnow())


Translator = Callable[[str], Callable[[str], str]]  # language -> gettext


def _link_message(settings: Settings, to: str, url: str, language: str, translator: Translator,
                  valid: dt.timedelta) -> MIMEText:
    _ = translator(language)
    hours = int(valid.total_seconds() // 3600)
    works = (_("Open this link to sign in to Family Bridge. It works once, within %(hours)s hours:") % {"hours": hours}
             if hours else _("Open this link to sign in to Family Bridge. It works once, within %(minutes)s minutes:")
             % {"minutes": int(valid.total_seconds() // 60)})
    text = "\n\n".join([
        _("Hello,"), works, url,
        _("If you did not ask for it, ignore this e-mail: nobody can sign in without the link."),
    ]) + "\n"
    msg = MIMEText(text, "plain", "utf-8")
    msg["Subject"] = _("Your Family Bridge sign-in link")
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Content-Language"] = language
    return msg


async def send_link(settings: Settings, user_id: int, address: str, language: str, translator: Translator,
                    valid: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Make a one-time link and e-mail it at once (never through the outbox: a credential waiting in a
    table, or a link arriving after it expired, is worse than a failed send). True when it was sent."""
    url = await new_link(settings, user_id, valid, now)
    mailer = SmtpMailer(settings)
    try:
        await mailer.send(_link_message(settings, address, url, language, translator, valid))
        return True
    except Exception as exc:  # the caller says what is true; the log says why (no address)
        log.warning("sign-in e-mail to user %s failed: %s", user_id, type(exc).__name__)
        return False
    finally:
        await mailer.close()


async def email_link(settings: Settings, email: str, language: str, translator: Translator,
                     now: dt.datetime | None = None) -> None:
    """E-mail a one-time link to every account with this address; say nothing about whether one exists.

    The caller answers the same either way, so the form cannot be used to
    find out who has an account. The wording lives with the pages'
    catalogue: the sign-in page passes its ``translator``.
    """
    address = email.strip().lower()
    if "@" not in address or len(address) > 254:
        raise InvalidInput([("email", "enter the e-mail address the school has for you")])
    now = now or utcnow()
    users = await User.select(User.id, User.family.language).where(
        User.email.ilike(address) & (User.active == True)).run()  # noqa: E712 (a column comparison)
    for user in users:  # the page answers "sent if known" whatever happens here
        await send_link(settings, user["id"], address, base_language(user["family.language"] or language),
                        translator, dt.timedelta(minutes=LINK_MINUTES), now)


async def with_link(token: str, now: dt.datetime | None = None) -> str:
    """Follow a sign-in link once; returns the new session's cookie value."""
    now = now or utcnow()
    async with writing():
        link = await SignInLink.select().where(SignInLink.token_hash == _hash(token)).first().run()
        if link is None or link["used_at"] is not None or link["expires_at"] <= now:
            raise Unauthorized("this sign-in link has expired or was already used; ask for a new one", "token")
        used = await SignInLink.update({SignInLink.used_at: now}).where(
            (SignInLink.id == link["id"]) & SignInLink.used_at.is_null()).returning(SignInLink.id).run()
        if not used:  # followed twice at the same moment: only one wins
            raise Unauthorized("this sign-in link was already used; ask for a new one", "token")
        return await _new_session(link["user"], now)


async def current(cookie: str | None, now: dt.datetime | None = None) -> Session | None:
    """The session behind a cookie, or None when it is unknown, expired or its user is gone."""
    if not cookie:
        return None
    now = now or utcnow()
    row = await WebSession.select(
        WebSession.token_hash, WebSession.expires_at, WebSession.user.id,
        WebSession.user.role, WebSession.user.school, WebSession.user.family, WebSession.user.interpreter,
        WebSession.user.name, WebSession.user.family.language).where(
        WebSession.token_hash == _hash(cookie)).first().run()  # one query: every page asks
    if row is None or row["expires_at"] <= now:
        return None
    principal = Principal(user_id=row["user.id"], role=row["user.role"], school_id=row["user.school"],
                          family_id=row["user.family"], interpreter_id=row["user.interpreter"])
    return Session(principal=principal, token_hash=row["token_hash"], name=row["user.name"],
                   profile_language=row["user.family.language"] or "")


async def sign_out(session: Session) -> None:
    async with writing():
        await WebSession.delete().where(WebSession.token_hash == session.token_hash).run()


async def sweep_expired(now: dt.datetime) -> int:
    """Forget expired links and sessions (a job), so the tables do not grow for ever."""
    async with writing():
        links = await SignInLink.delete().where(SignInLink.expires_at < now).returning(SignInLink.id).run()
        sessions = await WebSession.delete().where(WebSession.expires_at < now).returning(WebSession.id).run()
    return len(links) + len(sessions)
