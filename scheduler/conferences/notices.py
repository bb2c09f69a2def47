"""Telling families about their conferences: rows in the outbox, written in the transaction of the change.

Each message names meetings by id (``payload.meetings``); ``conferences/mail.py``
renders them as they are when the message goes. Keys make each message once:

- ``conference-itinerary:<window>:<family>`` at publish (a retried publish queues nothing twice);
- ``conference-moved:<meeting>:<sequence>``, ``conference-booked:<meeting>:0`` and
  ``conference-cancelled:<meeting>`` per change;
- ``conference-reminder:<family>:<local date>:<first start>`` the day before (a sweep, like event
  reminders; a family whose first meeting moved is reminded of the new time);
- ``conference-open-slots:<window>:<family>:<teacher>`` once per unplaced (family, teacher);
- ``conference-guardian:<family>:<address hash>`` per invited second guardian.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from typing import Any

from scheduler.conferences.rows import LIVE
from scheduler.conferences.tables import ConferenceMeeting, ConferenceWindow
from scheduler.core.timeutil import zone
from scheduler.families.tables import Family
from scheduler.notifications.outbox import notify

FAMILY_PAGE = "/family#conf-title"
BOOK_PAGE = "/family#conf-book"
REMINDER_AHEAD = dt.timedelta(hours=24)


async def _family(family_id: int) -> dict[str, Any]:
    return await Family.select(Family.id, Family.email, Family.language, Family.school, Family.name).where(
        Family.id == family_id).first().run()


async def itineraries(window_id: int) -> None:
    """At publish: one message per family with live meetings in the window (all children, all teachers)."""
    meetings = await ConferenceMeeting.select(ConferenceMeeting.id, ConferenceMeeting.family).where(
        (ConferenceMeeting.window == window_id) & ConferenceMeeting.status.is_in(list(LIVE))).order_by(
        ConferenceMeeting.starts_at).order_by(ConferenceMeeting.id).run()
    per_family: dict[int, list[int]] = defaultdict(list)
    for m in meetings:
        per_family[m["family"]].append(m["id"])
    if not per_family:
        return
    families = await Family.select(Family.id, Family.email, Family.language, Family.school).where(
        Family.id.is_in(sorted(per_family))).run()
    for f in sorted(families, key=lambda f: f["id"]):
        if not f["email"]:
            continue
        await notify("conference_itinerary", f"conference-itinerary:{window_id}:{f['id']}", f["email"],
                     f["language"] or "en", school=f["school"], family=f["id"],
                     payload={"window": window_id, "meetings": per_family[f["id"]], "url": FAMILY_PAGE})


async def moved(meeting: dict[str, Any], sequence: int, kind: str = "conference_moved") -> None:
    """A meeting has a new time (the family moved it, or the school did): the updated ``.ics``; with
    ``kind="conference_booked"``, a meeting the family booked itself."""
    f = await _family(meeting["family"])
    if f and f["email"]:
        await notify(kind, f"{kind.replace('_', '-')}:{meeting['id']}:{sequence}", f["email"],
                     f["language"] or "en", school=f["school"], family=f["id"],
                     payload={"meetings": [meeting["id"]], "sequence": sequence, "url": FAMILY_PAGE})


async def cancelled(meeting: dict[str, Any]) -> None:
    """A meeting is cancelled: METHOD:CANCEL with its UID, so calendars drop it."""
    f = await _family(meeting["family"])
    if f and f["email"]:
        await notify("conference_cancelled", f"conference-cancelled:{meeting['id']}", f["email"],
                     f["language"] or "en", school=f["school"], family=f["id"],
                     payload={"meetings": [meeting["id"]], "url": FAMILY_PAGE})


async def open_slots(window_id: int, family_id: int, teacher_id: int, teacher: str, slots: list[dt.datetime],
                     fit: bool, url: str) -> bool:
    """An unplaced family is asked: the open times that fit and the link to book one."""
    f = await _family(family_id)
    if not f or not f["email"]:
        return False
    await notify("conference_open_slots", f"conference-open-slots:{window_id}:{family_id}:{teacher_id}", f["email"],
                 f["language"] or "en", school=f["school"], family=family_id,
                 payload={"window": window_id, "teacher": teacher, "slots": [int(s.timestamp()) for s in slots],
                          "fit": fit, "url": url})
    return True


async def guardian_invite(family: dict[str, Any], email: str, url: str) -> None:
    """The second guardian of a (possibly split) household: a sign-in link to the same conferences."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
    await notify("conference_guardian_invite", f"conference-guardian:{family['id']}:{digest}", email,
                 family["language"] or "en", school=family["school"], family=family["id"],
                 payload={"family_name": family["name"], "url": url})


async def due_reminders(now: dt.datetime) -> int:
    """Queue the day-before reminder: one per family and local day with live meetings in a published window
    starting in the next 24 hours. Idempotent (keys); returns how many were newly queued."""
    windows = await ConferenceWindow.select(ConferenceWindow.id, ConferenceWindow.school.timezone.as_alias("tz")
                                            ).where(ConferenceWindow.status == "published").run()
    if not windows:
        return 0
    tz = {w["id"]: w["tz"] for w in windows}
    rows = await ConferenceMeeting.select(ConferenceMeeting.id, ConferenceMeeting.family, ConferenceMeeting.window,
                                          ConferenceMeeting.starts_at).where(
        ConferenceMeeting.window.is_in(sorted(tz)) & ConferenceMeeting.status.is_in(list(LIVE))
        & (ConferenceMeeting.starts_at > now) & (ConferenceMeeting.starts_at <= now + REMINDER_AHEAD)).order_by(
        ConferenceMeeting.starts_at).order_by(ConferenceMeeting.id).run()
    groups: dict[tuple[int, dt.date], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        start = r["starts_at"].astimezone(dt.timezone.utc)
        groups[(r["family"], start.astimezone(zone(tz[r["window"]])).date())].append(r)
    queued = 0
    for (family_id, day), ms in sorted(groups.items()):
        f = await _family(family_id)
        if not f or not f["email"]:
            continue
        first = int(ms[0]["starts_at"].timestamp())
        queued += await notify(
            "conference_reminder", f"conference-reminder:{family_id}:{day.isoformat()}:{first}", f["email"],
            f["language"] or "en", school=f["school"], family=family_id,
            payload={"window": ms[0]["window"], "meetings": [m["id"] for m in ms], "url": FAMILY_PAGE})
    return queued
