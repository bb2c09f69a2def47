"""Deletion: a family's account and personal data go in one write transaction.

It first hands on what the family held, through the booking engine's own code path
(``bookings.release``: seats and childcare places freed, the waitlist promoted, promoted families
told), then withdraws needs that were only the family's (unclaimed interpreter assignments,
conference slots), revokes every credential, withholds every unsent message, and removes the
personal rows. Rows that outlive the family are anonymised rather than deleted where others rely
on them: outbox rows stay as the school's record of what was (not) sent, without address, payload
or family, and with a dedupe key that can never match a new message (SQLite reuses the highest row
id, so a key naming a deleted registration could otherwise swallow another family's notification).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict

from msgspec import Struct

from calendars.tables import FeedToken
from scheduler.accounts.tables import IdempotencyKey, User
from scheduler.assignments import services as assignments
from scheduler.bookings import services as bookings
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.conferences.rows import LIVE as LIVE_MEETINGS
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceMeeting,
    ConferenceSplitHousehold,
    ConferenceWindow,
)
from scheduler.core.auth import Principal
from scheduler.core.db import use_case
from scheduler.core.errors import InvalidInput
from scheduler.core.timeutil import utcnow
from scheduler.families.tables import Child, EventInterest, Family, FamilyAvailability, FamilyDatedAvailability
from scheduler.notifications.tables import Outbox, SmsInbound
from scheduler.planning.instance import parse_key
from scheduler.planning.tables import Plan
from scheduler.privacy.records import family_for, family_key, idempotency_rows, is_family_entry, unplaced_of

log = logging.getLogger("family_bridge.data_rights")


ERASED_REASON = "the family deleted its account"


class DeletionOut(Struct):
    """What a deletion handed on, withdrew and revoked (counts only: nothing about other families)."""

    family_id: int
    registrations_cancelled: int
    seats_released: int
    childcare_places_released: int
    waitlist_promoted: int
    interpreter_assignments_withdrawn: int
    conference_meetings_cancelled: int
    feed_tokens_revoked: int
    api_tokens_revoked: int
    messages_withheld: int
    deleted_at: dt.datetime


async def delete_family(actor: Principal, family_id: int, confirm: int | None) -> DeletionOut:
    """Delete the family's account and personal data in one transaction (retried on a serialization
    failure or deadlock as a whole, like a booking)."""
    out = await _erase(actor, family_id, confirm)
    log.info("family %s deleted by user %s (%s): %d registrations cancelled, %d promoted, %d feed tokens and "
             "%d API tokens revoked, %d messages withheld", family_id, actor.user_id, actor.role,
             out.registrations_cancelled, out.waitlist_promoted, out.feed_tokens_revoked, out.api_tokens_revoked,
             out.messages_withheld)
    return out


async def _planned_languages(school_id: int) -> dict[int, set[str]]:
    """Event id -> the interpreter languages a published plan placed it with.

    Those the event asked for itself; a registration leaving must not take
    them away (``bookings.withdraw_interpreter``).
    """
    planned: dict[int, set[str]] = defaultdict(set)
    for p in await Plan.select(Plan.instance).where((Plan.school == school_id) & (Plan.status == "published")).run():
        for e in json.loads(p["instance"] or "{}").get("events", []):
            eid = parse_key(str(e.get("id", "")), "event")
            if eid is not None:
                planned[eid] |= set(e.get("interpreter_languages") or [])
    return planned


@use_case
async def _erase(actor: Principal, family_id: int, confirm: int | None) -> DeletionOut:
    family = await family_for(actor, family_id, lock=True)  # also serialises two deletions of one family
    if confirm != family_id:  # missing or another id: a query parameter, so a plain 422 naming it
        raise InvalidInput([("confirm", f"must repeat the family id ({family_id}) to confirm that the account "
                                        "and all its data are deleted")])
    now = utcnow()
    counts: dict[str, int] = defaultdict(int)

    # 1. hand on every seat and childcare place at an upcoming event, through the booking path
    live_events = sorted({r["event"] for r in await Registration.select(Registration.event).where(
        (Registration.family == family_id) & Registration.status.is_in(list(bookings.LIVE))).run()})
    planned = await _planned_languages(family["school"]) if live_events else {}
    for event_id in live_events:  # ascending: two deletions lock shared events in the same order
        event = await bookings.lock_event(event_id)
        reg = await Registration.select().where(  # re-read under the lock: a promotion may have moved it
            (Registration.event == event_id) & (Registration.family == family_id)
            & Registration.status.is_in(list(bookings.LIVE))).first().run()
        upcoming = event["status"] == "published" and event["starts_at"] is not None and event["starts_at"] > now
        if reg is None or not upcoming:
            continue  # nothing to hand on (past or cancelled event): the row goes with the family
        if reg["status"] in bookings.HOLDING:
            counts["seats"] += reg["adults"]
            counts["places"] += await ChildcareBooking.count().where(
                (ChildcareBooking.registration == reg["id"]) & ChildcareBooking.status.is_in(bookings.HOLDING)).run()
        counts["promoted"] += len(await bookings.release(event, [reg["id"]]))
        counts["cancelled"] += 1
        language = reg["language"] or family["language"]
        counts["withdrawn"] += len(await bookings.withdraw_interpreter(event, language, planned.get(event_id, ())))

    # 2. conference meetings: free the slots; an interpreter block left with no meeting is withdrawn
    meetings = await ConferenceMeeting.select(ConferenceMeeting.window, ConferenceMeeting.assignment,
                                              ConferenceMeeting.status).where(
        ConferenceMeeting.family == family_id).run()
    await ConferenceMeeting.delete().where(ConferenceMeeting.family == family_id).run()
    counts["meetings"] = sum(1 for m in meetings if m["status"] in LIVE_MEETINGS)
    blocks = sorted({m["assignment"] for m in meetings if m["assignment"] is not None and m["status"] in LIVE_MEETINGS})
    orphaned = [a for a in blocks if not await ConferenceMeeting.exists().where(
        (ConferenceMeeting.assignment == a) & ConferenceMeeting.status.is_in(list(LIVE_MEETINGS))).run()]
    counts["withdrawn"] += len(await assignments.withdraw_open(orphaned))
    touched = {m["window"] for m in meetings}
    for w in await ConferenceWindow.select(ConferenceWindow.id, ConferenceWindow.unplaced).where(
            ConferenceWindow.school == family["school"]).run():
        mine, others = unplaced_of(w, family_id)
        if mine:
            await ConferenceWindow.update({ConferenceWindow.unplaced: json.dumps(others)}).where(
                ConferenceWindow.id == w["id"]).run()
            touched.add(w["id"])
    if touched:  # a teacher's feed dates itself by its window too: removed meetings must move it forward
        await ConferenceWindow.update({ConferenceWindow.updated_at: now}).where(
            ConferenceWindow.id.is_in(sorted(touched))).run()

    # 3. credentials: feed links stop at once (404), API tokens with their users
    counts["feed_tokens"] = len(await FeedToken.update({FeedToken.revoked_at: now}).where(
        (FeedToken.owner_kind == "family") & (FeedToken.owner_id == family_id) & FeedToken.revoked_at.is_null()
    ).returning(FeedToken.id).run())
    user_ids = [u["id"] for u in await User.select(User.id).where(User.family == family_id).run()]
    stored = [k["id"] for k in await idempotency_rows(family_id, user_ids)]
    if stored:
        await IdempotencyKey.delete().where(IdempotencyKey.id.is_in(stored)).run()
    counts["users"] = len(user_ids)
    await User.delete().where(User.family == family_id).run()

    # 4. messages: nothing unsent goes out; what stays is anonymous
    counts["withheld"] = len(await Outbox.update({
        Outbox.status: "skipped", Outbox.last_error: ERASED_REASON, Outbox.lease_until: None}).where(
        (Outbox.family == family_id) & (Outbox.status == "pending")).returning(Outbox.id).run())
    for row in await Outbox.select(Outbox.id).where(Outbox.family == family_id).run():
        await Outbox.update({Outbox.family: None, Outbox.to_email: "", Outbox.to_phone: "", Outbox.payload: "{}",
                             Outbox.dedupe_key: f"erased:{row['id']}"}).where(Outbox.id == row["id"]).run()
    # the texts the family sent are its words: erased (a STOP stays in sms_opt_out, by number: carriers require it)
    await SmsInbound.delete().where(SmsInbound.family == family_id).run()

    # 5. copies of the family's availability and interests inside stored plans
    key = family_key(family_id)
    for p in await Plan.select(Plan.id, Plan.instance).where(
            (Plan.school == family["school"]) & Plan.instance.like(f'%"{key}"%')).run():
        doc = json.loads(p["instance"])
        doc["families"] = [f for f in doc.get("families", []) if not is_family_entry(f.get("id"), family_id)]
        await Plan.update({Plan.instance: json.dumps(doc, separators=(",", ":"))}).where(Plan.id == p["id"]).run()

    # 6. the personal rows themselves (children take their childcare bookings and class-list places)
    child_ids = [c["id"] for c in await Child.select(Child.id).where(Child.family == family_id).run()]
    await ChildcareBooking.delete().where(ChildcareBooking.child.is_in(child_ids or [-1])).run()
    await ConferenceClass.delete().where(ConferenceClass.child.is_in(child_ids or [-1])).run()
    await Registration.delete().where(Registration.family == family_id).run()
    for table in (Child, FamilyAvailability, FamilyDatedAvailability, EventInterest, ConferenceSplitHousehold):
        await table.delete().where(table.family == family_id).run()
    await Family.delete().where(Family.id == family_id).run()

    return DeletionOut(
        family_id=family_id, registrations_cancelled=counts["cancelled"], seats_released=counts["seats"],
        childcare_places_released=counts["places"], waitlist_promoted=counts["promoted"],
        interpreter_assignments_withdrawn=counts["withdrawn"], conference_meetings_cancelled=counts["meetings"],
        feed_tokens_revoked=counts["feed_tokens"], api_tokens_revoked=counts["users"],
        messages_withheld=counts["withheld"], deleted_at=now)
