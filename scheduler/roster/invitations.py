"""Inviting the school's families to sign in: one e-mail per family and address, through the outbox,
in each family's language.

The invitation carries no credential (see ``scheduler/accounts/signin.py``): it links to the
sign-in page with the family's address filled in, where the family asks for a one-time link that
is sent directly and expires in minutes. So an invitation may wait in the outbox, be retried or be
read a week later, and still open nothing by itself.

Sending twice sends nothing twice: the outbox key names the family and (a hash of) the address,
so only families not invited yet, or whose address changed since, get one. Families the roster
deactivated are not invited, nor families with no address or no sign-in account (the roster makes
one for each family it imports with an address).
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

from resources.services import school_by_slug
from scheduler.accounts.tables import User
from scheduler.core.auth import Principal, require_admin
from scheduler.core.settings import Settings
from scheduler.families.tables import Family
from scheduler.notifications.sweeps import queue
from scheduler.notifications.tables import Outbox
from scheduler.roster.schemas import InvitationsOut
from scheduler.roster.tables import RosterFamily

KIND = "roster_invitation"


def signin_url(settings: Settings, email: str) -> str:
    """The sign-in page with the address filled in: the family only presses "Send me a link"."""
    return f"{settings.public_url}/signin?{urlencode({'email': email})}"


def dedupe_key(family_id: int, email: str) -> str:
    return f"{KIND}:{family_id}:{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]}"


async def send_invitations(actor: Principal | None, slug: str, settings: Settings) -> InvitationsOut:
    """Queue an invitation for every active family of the school with an address and an account.
    ``actor`` None: the command line."""
    school = await school_by_slug(slug)
    if actor is not None:
        require_admin(actor, school["id"])
    inactive = {r["family"] for r in await RosterFamily.select(RosterFamily.family).where(
        (RosterFamily.school == school["id"]) & (RosterFamily.active.eq(False))).run()}
    accounts = {(u["family"], (u["email"] or "").strip().lower()) for u in await User.select(
        User.family, User.email).where((User.school == school["id"]) & (User.role == "family")).run()}
    rows, without = [], 0
    for family in await Family.select(Family.id, Family.email, Family.language).where(
            Family.school == school["id"]).order_by(Family.id).run():
        if family["id"] in inactive:
            continue
        email = (family["email"] or "").strip()
        if "@" not in email or (family["id"], email.lower()) not in accounts:
            without += 1
            continue
        rows.append(Outbox(kind=KIND, dedupe_key=dedupe_key(family["id"], email), to_email=email,
                           language=family["language"] or "en", school=school["id"], family=family["id"],
                           payload=json.dumps({"url": signin_url(settings, email)})))
    queued = await queue(rows)
    return InvitationsOut(queued=queued, already_invited=len(rows) - queued, without_email=without)
