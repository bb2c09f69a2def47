"""What every page shares: who is signed in, their language, the form guard, rendering.

Pages call the same services as the API; what differs is only the shape of
the answer (HTML instead of JSON) and the credential (a session cookie
instead of a bearer token). Because a cookie is sent by the browser on its
own, every form that changes something carries a token bound to the
session (``csrf``), and the cookie is SameSite=Lax and HttpOnly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import segno
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from calendars import links
from resources.tables import School
from scheduler.accounts import signin
from scheduler.core.access import AUTHENTICATORS, SignInRequired
from scheduler.core.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthorized, say
from scheduler.core.i18n import base_language, direction, from_accept_language
from scheduler.core.settings import Settings
from scheduler.web import i18n

SESSION_COOKIE = "fb_session"
LANGUAGE_COOKIE = "fb_lang"


@dataclasses.dataclass
class Page:
    """One request's view of the site: the reader, their language and school, and the CSRF token."""

    request: Request
    settings: Settings
    session: signin.Session | None
    language: str
    school: dict[str, Any] | None = None

    @property
    def gettext(self) -> Callable[[str], str]:
        return i18n.translator(self.language)

    @property
    def csrf(self) -> str:
        return signin.csrf_token(self.session.token_hash, self.settings.secret_key) if self.session else ""

    @property
    def tz(self) -> str:
        return (self.school or {}).get("timezone") or self.settings.timezone

    def require(self, *roles: str) -> signin.Session:
        if self.session is None:
            raise SignInRequired("sign in first", "authorization")
        if roles and self.session.principal.role not in roles:
            raise Forbidden(self.gettext("This page is for another kind of account."))
        return self.session

    def render(self, template: str, status_code: int = 200, **context: Any) -> Template:
        lang = self.language
        values = {
            "page": self, "_": self.gettext, "ngettext": i18n.ngettext(lang), "lang": lang,
            "dir": direction(lang), "languages": i18n.NAMES, "csrf": self.csrf, "user": self.session,
            "when": lambda instant: i18n.when(instant, self.tz, lang),
            "day": lambda date: i18n.day(date, lang),
            "clock": lambda instant: i18n.clock(instant, self.tz, lang),
            "at": lambda text: i18n.when(i18n.parse_iso(text, self.tz), self.tz, lang),
            "at_clock": lambda text: i18n.clock(i18n.parse_iso(text, self.tz), self.tz, lang),
            "plan_status": lambda code: self.gettext(i18n.PLAN_STATUS.get(code, code)),
            "path": self.request.url.path, "notice": self.request.query_params.get("done", ""),
        }
        return Template(template_name=template, context=values | context, status_code=status_code,
                        headers={"Cache-Control": "no-store", "Content-Language": lang})

    def errors_of(self, exc: DomainError) -> dict[str, str]:
        """Field -> what is wrong with it, in the reader's language ("" for the form as a whole)."""
        items = exc.problems if isinstance(exc, InvalidInput) else [(exc.field or "", exc.message)]
        out: dict[str, str] = {}
        for field, message in items:
            out.setdefault(field, say(message, self.gettext))
        return out

    async def submit(self, work: Callable[[], Awaitable[Any]], template: str, values: dict[str, Any],
                     **context: Any) -> Any:
        """Run a form's use case; when it refuses, show the same page again with each problem beside its
        field, in the reader's language, and everything typed still there (never a bare error page)."""
        try:
            return await work()
        except (Forbidden, Unauthorized, NotFound):
            raise  # not the form's fault: the error page says it
        except DomainError as exc:
            return self.render(template, status_code=exc.status_code, errors=self.errors_of(exc), values=values,
                               **context)

    async def _checked_form(self) -> Any:
        """The submitted form, after checking it came from one of our pages (CSRF)."""
        session = self.require()
        data = await self.request.form()
        if not signin.csrf_ok(session.token_hash, self.settings.secret_key, data.get("csrf")):
            raise Forbidden(self.gettext("This form has expired. Reload the page and try again."), "csrf")
        return data

    async def form(self) -> dict[str, list[str]]:
        """The submitted form's text fields (CSRF checked)."""
        data = await self._checked_form()
        return {key: [v for v in data.getall(key) if isinstance(v, str)] for key in data.keys()}

    async def form_with_file(self, field: str, limit: int) -> bytes:
        """The one uploaded file of a multipart form (CSRF checked), refused past ``limit`` bytes."""
        upload = (await self._checked_form()).get(field)
        if upload is None or isinstance(upload, str):
            raise InvalidInput([(field, "choose a .ics file to upload")])
        content = await upload.read(limit + 1)
        if len(content) > limit:
            raise InvalidInput([(field, f"the file is larger than {limit / 1_000_000:g} MB")])
        return content


def choose_language(request: Request, profile_language: str = "") -> str:
    """A choice made on the page, then the family's profile, then the browser, then English."""
    picked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if picked:
        return base_language(picked)
    if profile_language:
        return base_language(profile_language)
    return from_accept_language(request.headers.get("accept-language")) or "en"


async def _school_of(session: signin.Session | None, request: Request) -> dict[str, Any] | None:
    if session is None:
        return None
    school_id = session.principal.school_id
    query = School.select(School.id, School.slug, School.name, School.timezone, School.languages)
    if school_id is not None:
        return await query.where(School.id == school_id).first().run()
    slug = request.query_params.get("school")  # a district administrator picks a school
    if slug:
        row = await query.where(School.slug == slug).first().run()
        if row is None:
            raise NotFound(f"no school {slug!r}", "school")
        return row
    return await query.order_by(School.id).first().run()


async def session_principal(connection: ASGIConnection) -> Any:
    """The pages' credential: the session cookie (the guard keeps the session for ``provide_page``)."""
    session = await signin.current(connection.cookies.get(SESSION_COOKIE))
    connection.state.session = session
    return session.principal if session else None


AUTHENTICATORS["session"] = session_principal


async def provide_page(request: Request) -> Page:
    settings: Settings = request.app.state.settings
    if "session" in request.state.dict():  # the route's guard has already read the cookie
        session = request.state.session
    else:
        session = await signin.current(request.cookies.get(SESSION_COOKIE))
    page = Page(request=request, settings=settings, session=session,
                language=choose_language(request, session.profile_language if session else ""))
    page.school = await _school_of(session, request)
    request.state.page = page  # an error page later speaks the same language
    return page


def session_cookie(value: str, settings: Settings, max_age: int | None = None) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=value, path="/", httponly=True, samesite="lax",
                  secure=settings.public_url.startswith("https://"),
                  max_age=signin.SESSION_DAYS * 86400 if max_age is None else max_age)


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site may follow sign-in (no open redirect to another host)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def back(path: str, done: str = "") -> Redirect:
    """Post/Redirect/Get: a reload does not submit twice; ``done`` names the notice to show.

    A ``#fragment`` stays last, so the reader lands back where they pressed the button."""
    path, hash_, fragment = path.partition("#")
    separator = "&" if "?" in path else "?"
    target = f"{path}{separator}done={quote(done)}" if done else path
    return Redirect(path=target + hash_ + fragment, status_code=303)


def sign_in_needed(request: Request, _: SignInRequired) -> Redirect:
    return Redirect(path=f"/signin?next={quote(request.url.path)}", status_code=303)


def page_error(request: Request, exc: DomainError) -> Template:
    """A domain error on a page: the same message the API gives, in a page with a way back."""
    page = getattr(request.state, "page", None)
    if page is None:  # the error came before the page was set up (e.g. the school in the address)
        page = Page(request=request, settings=request.app.state.settings, session=None,
                    language=choose_language(request))
    return page.render("error.html", status_code=exc.status_code, message=exc.message, field=exc.field)


def qr(url: str, label: str) -> str:
    """An inline SVG QR code (no script, no request): a phone camera opens the calendar link."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, title=label, omitsize=True)


async def private_feed_page(page: Page, kind: str, owner_id: int, qr_label: str, back_to: str) -> Template:
    """A new private calendar link, shown this once (only its HMAC is stored); earlier links stop working."""
    await page.form()
    link = await links.rotate_token(page.settings, page.require().principal, kind, owner_id)
    return page.render("feed_link.html", link=link, link_qr=qr(link.https, qr_label), back_to=back_to)
