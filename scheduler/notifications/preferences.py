"""Which e-mails a family wants: one on/off switch per kind, changed by the family or through a signed link.

The link in every family e-mail carries ``<family id>.<HMAC>`` signed with
the installation's secret key, so a parent can switch reminders off from
the message itself without an account, and nobody can forge the link of
another family. Rotating FB_SECRET_KEY invalidates old links (and only them).

Decision: a switched-off kind is still *queued* (the outbox stays the one
record of what the service wanted to say) and the sender marks the row
``skipped`` with the reason, so an administrator can see why a family got
nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from scheduler.core.auth import Principal, require_family_access
from scheduler.core.db import use_case
from scheduler.core.errors import Forbidden, InvalidInput, NotFound
from scheduler.core.settings import Settings
from scheduler.families.tables import Family
from scheduler.notifications.messages import FAMILY_KINDS


def _signature(secret: str, family_id: int) -> str:
    mac = hmac.new(secret.encode(), f"preferences:{family_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def preferences_token(settings: Settings, family_id: int) -> str:
    return f"{family_id}.{_signature(settings.secret_key, family_id)}"


def preferences_url(settings: Settings, family_id: int) -> str:
    """The page the e-mails link to (``/email-preferences/…``); the JSON twin is ``/preferences/…``."""
    return f"{settings.public_url}/email-preferences/{preferences_token(settings, family_id)}"


def family_from_token(settings: Settings, token: str) -> int:
    """The family a link belongs to; a bad or forged link is refused without saying which part was wrong."""
    head, _, signature = token.partition(".")
    if head.isdigit() and len(head) < 11 and hmac.compare_digest(signature, _signature(settings.secret_key, int(head))):
        return int(head)
    raise Forbidden("this preferences link is not valid", "token")


def _shape(prefs: dict[str, Any]) -> dict[str, bool]:
    return {kind: prefs.get(kind) is not False for kind in FAMILY_KINDS}


async def _load(family_id: int) -> dict[str, Any]:
    row = await Family.select(Family.id, Family.school, Family.notification_prefs).where(
        Family.id == family_id).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    return row


async def get(family_id: int, actor: Principal | None = None) -> dict[str, bool]:
    """Every kind with its switch (absent = on)."""
    row = await _load(family_id)
    if actor is not None:
        require_family_access(actor, family_id, row["school"])
    return _shape(json.loads(row["notification_prefs"] or "{}"))


async def put(family_id: int, email: dict[str, bool], actor: Principal | None = None) -> dict[str, bool]:
    """Change the given switches (others keep their value), in one transaction."""
    problems = [(f"email.{k}", f"unknown kind {k!r}; kinds are {', '.join(FAMILY_KINDS)}")
                for k in email if k not in FAMILY_KINDS]
    if problems:
        raise InvalidInput(problems)

    return await _save(family_id, email, actor)


@use_case
async def _save(family_id: int, email: dict[str, bool], actor: Principal | None) -> dict[str, bool]:
    row = await _load(family_id)
    if actor is not None:
        require_family_access(actor, family_id, row["school"])
    prefs = {**json.loads(row["notification_prefs"] or "{}"), **email}
    # updated_at is left alone: preferences change no calendar feed
    await Family.update({Family.notification_prefs: json.dumps(prefs, sort_keys=True)}).where(
        Family.id == family_id).run()
    return _shape(prefs)
