"""Data rights: a family takes away everything stored about it, or has its account deleted.

Export is one read-only snapshot (PostgreSQL: REPEATABLE READ; SQLite: a
deferred read transaction), so a booking made meanwhile is either wholly in
the document or wholly absent. Secrets never leave: API tokens and feed
links are stored as hashes only, and the export carries their metadata.

Deletion is one write transaction that first hands on what the family held,
through the booking engine's own code path (``bookings.release``: seats and
childcare places freed, the waitlist promoted, promoted families told), then
withdraws needs that were only the family's (unclaimed interpreter
assignments, conference slots), revokes every credential, withholds every
unsent message, and removes the personal rows. Rows that outlive the family
are anonymised rather than deleted where others rely on them: outbox rows
stay as the school's record of what was (not) sent, without address,
payload or family, and with a dedupe key that can never match a new message
(SQLite reuses the highest row id, so a key naming a deleted registration
could otherwise swallow another family's notification).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from msgspec import Struct

from calendars.tables import FeedToken
from resources import weekly
from resources.tables import School
from scheduler import assignments, bookings
from scheduler.auth import Principal, require_family_access
from scheduler.conference_services import LIVE as LIVE_MEETINGS
from scheduler.conference_tables import (
    ConferenceClass,
    ConferenceMeeting,
    ConferenceSplitHousehold,
    ConferenceWindow,
)
from scheduler.db import locked, with_retries, writing
from scheduler.errors import InvalidInput, NotFound
from scheduler.languages import INSTRUCTION_LANGUAGE
from scheduler.planning import parse_key
from scheduler.tables import (
    Child,
    ChildcareBooking,
    Event,
    EventInterest,
    Family,
    FamilyAvailability,
    FamilyDatedAvailability,
    IdempotencyKey,
    Outbox,
    Plan,
    Registration,
    SignInLink,
    User,
    WebSession,
)
from scheduler.timeutil import format_local, utcnow

log = logging.getLogger("family_bridge.data_rights")

FORMAT_VERSION = 1
ERASED_REASON = "the family deleted its account"

# Every stored table holding rows about a family -> the export section that carries them.
# tests/integration/test_data_rights.py derives the tables that reference a family (or its
# children, users, registrations) from the Piccolo metadata and fails for any missing here.
SOURCES: dict[str, str] = {
    "family": "profile",
    "child": "children",
    "family_availability": "availability",
    "family_dated_availability": "availability",
    "event_interest": "interests",
    "registration": "registrations",
    "childcare_booking": "registrations",
    "app_user": "users",
    "idempotency_key": "idempotency_keys",
    "sign_in_link": "web_sign_in",
    "web_session": "web_sign_in",
    "feed_token": "feed_tokens",
    "outbox": "notifications",
    "conference_meeting": "conferences",
    "conference_split_household": "conferences",
    "conference_class": "conferences",
    "conference_window": "conferences",  # the reasons a meeting could not be placed (``unplaced``)
    "plan": "planning_snapshots",  # a plan's instance copies the family's availability and interests
}


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


# ---------------------------------------------------------------- shared


async def _family_for(actor: Principal, family_id: int, lock: bool = False) -> dict[str, Any]:
    """The family row, 404 before 403 like every other family route."""
    query = Family.select().where(Family.id == family_id)
    row = await (locked(query) if lock else query).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    require_family_access(actor, family_id, row["school"])
    return row


def _family_key(family_id: int) -> str:
    """How the planner names a family in a plan's instance (``scheduler.planning.build_instance``)."""
    return f"family-{family_id}"


async def _idempotency_rows(family_id: int, user_ids: list[int]) -> list[dict[str, Any]]:
    """Stored answers of the family's own users, and an administrator's stored answers about this
    family (a registration made on its behalf), recognised by the family id inside the answer."""
    where = IdempotencyKey.user.is_in(user_ids or [-1])
    where |= IdempotencyKey.route.like("register:%") & IdempotencyKey.body.like(f'%"family_id":{family_id},%')
    rows = await IdempotencyKey.select().where(where).order_by(IdempotencyKey.id).run()
    return [r for r in rows if r["user"] in user_ids or _answer(r).get("family_id") == family_id]


def _answer(row: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(row["body"])
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _unplaced_of(window: dict[str, Any], family_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the family's entries, everyone else's) in a conference window's ``unplaced`` list."""
    items = json.loads(window["unplaced"] or "[]")
    return ([u for u in items if u.get("family_id") == family_id],
            [u for u in items if u.get("family_id") != family_id])


# ---------------------------------------------------------------- export


@contextlib.asynccontextmanager
async def _snapshot() -> AsyncIterator[None]:
    """One read transaction, so the document is consistent while bookings go on around it.

    PostgreSQL's default READ COMMITTED gives each statement its own snapshot,
    hence REPEATABLE READ; SQLite's deferred transaction reads one snapshot of
    the WAL and takes no write lock, so an export never holds up a booking.
    """
    db = Family._meta.db
    async with db.transaction():
        if db.engine_type == "postgres":
            await Family.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
        yield


async def export_family(actor: Principal, family_id: int) -> dict[str, Any]:
    """Everything stored about the family, as one JSON-ready document (see :data:`SOURCES`)."""
    async with _snapshot():
        family = await _family_for(actor, family_id)
        return await _document(family)


async def _document(family: dict[str, Any]) -> dict[str, Any]:
    fid = family["id"]
    school = await School.select(School.id, School.name, School.slug, School.timezone).where(
        School.id == family["school"]).first().run()
    tz = school["timezone"]

    children = await Child.select().where(Child.family == fid).order_by(Child.id).run()
    child_ids = [c["id"] for c in children]
    regs = await Registration.select().where(Registration.family == fid).order_by(Registration.id).run()
    care = await ChildcareBooking.select().where(
        ChildcareBooking.registration.is_in([r["id"] for r in regs] or [-1])
        | ChildcareBooking.child.is_in(child_ids or [-1])).order_by(ChildcareBooking.id).run()
    interests = await EventInterest.select().where(EventInterest.family == fid).order_by(EventInterest.event).run()
    outbox = await Outbox.select().where(Outbox.family == fid).order_by(Outbox.id).run()

    event_ids = {r["event"] for r in regs} | {c["event"] for c in care} | {i["event"] for i in interests}
    event_ids |= {o["event"] for o in outbox if o["event"] is not None}
    events = {e["id"]: e for e in await Event.select(
        Event.id, Event.title, Event.kind, Event.status, Event.starts_at, Event.ends_at).where(
        Event.id.is_in(sorted(event_ids) or [-1])).run()}

    def event_ref(event_id: int | None) -> dict[str, Any] | None:
        e = events.get(event_id)
        if e is None:
            return None
        return {"id": e["id"], "title": e["title"], "kind": e["kind"], "status": e["status"],
                "starts_at": format_local(e["starts_at"], tz), "ends_at": format_local(e["ends_at"], tz)}

    care_by_reg: dict[int, list[dict[str, Any]]] = defaultdict(list)
    care_by_child: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in care:
        care_by_reg[c["registration"]].append({"child_id": c["child"], "age_band": c["age_band"],
                                               "status": c["status"]})
        care_by_child[c["child"]].append({"registration_id": c["registration"], "event": event_ref(c["event"]),
                                          "status": c["status"]})

    registrations = []
    for r in regs:
        position = None
        if r["status"] == "waitlisted" and r["waitlist_seq"] is not None:
            position = 1 + await Registration.count().where(
                (Registration.event == r["event"]) & (Registration.status == "waitlisted")
                & (Registration.waitlist_seq < r["waitlist_seq"])).run()
        language = r["language"] or family["language"]
        registrations.append({
            "id": r["id"], "event": event_ref(r["event"]), "status": r["status"], "waitlist_position": position,
            "adults": r["adults"], "language": language,
            "interpreter_needed": None if language == INSTRUCTION_LANGUAGE else language,
            "offered_until": r["offered_until"], "childcare": care_by_reg[r["id"]],
            "created_at": r["created_at"], "updated_at": r["updated_at"]})

    users = await User.select(User.id, User.role, User.name, User.email, User.created_at).where(
        User.family == fid).order_by(User.id).run()
    user_ids = [u["id"] for u in users]
    keys = await _idempotency_rows(fid, user_ids)
    tokens = await FeedToken.select(FeedToken.id, FeedToken.created_at, FeedToken.revoked_at).where(
        (FeedToken.owner_kind == "family") & (FeedToken.owner_id == fid)).order_by(FeedToken.id).run()
    links = await SignInLink.select(SignInLink.user, SignInLink.created_at, SignInLink.expires_at,
                                    SignInLink.used_at).where(SignInLink.user.is_in(user_ids or [-1])).run()
    sessions = await WebSession.select(WebSession.user, WebSession.created_at, WebSession.expires_at).where(
        WebSession.user.is_in(user_ids or [-1])).run()
    dated = await FamilyDatedAvailability.select().where(FamilyDatedAvailability.family == fid).order_by(
        FamilyDatedAvailability.starts_at).run()

    return {
        "format_version": FORMAT_VERSION,
        "exported_at": utcnow(),
        "school": {"id": school["id"], "name": school["name"], "slug": school["slug"], "timezone": tz},
        "profile": {
            "id": fid, "name": family["name"], "email": family["email"], "language": family["language"],
            "guardians": list(family["guardians"] or []),
            "preferences": {"email": json.loads(family["notification_prefs"] or "{}")},
            "created_at": family["created_at"], "updated_at": family["updated_at"]},
        "children": [{"id": c["id"], "first_name": c["first_name"], "grade": c["grade"], "age_band": c["age_band"],
                      "childcare": care_by_child[c["id"]]} for c in children],
        "availability": {
            "weekly": await weekly.load(FamilyAvailability, FamilyAvailability.family, fid),
            "dated": [{"start": format_local(d["starts_at"], tz), "end": format_local(d["ends_at"], tz),
                       "busy": d["busy"]} for d in dated]},
        "interests": [event_ref(i["event"]) for i in interests],
        "registrations": registrations,
        "conferences": await _conferences(fid, family["school"], child_ids, tz),
        "feed_tokens": [{"id": t["id"], "created_at": t["created_at"], "revoked_at": t["revoked_at"],
                         "note": "the link itself is stored only as a keyed hash and cannot be exported"}
                        for t in tokens],
        "notifications": [{"id": o["id"], "kind": o["kind"], "status": o["status"], "to_email": o["to_email"],
                           "language": o["language"], "event": event_ref(o["event"]), "reason": o["last_error"],
                           "created_at": o["created_at"], "sent_at": o["sent_at"]} for o in outbox],
        "users": [{"id": u["id"], "role": u["role"], "name": u["name"], "email": u["email"],
                   "created_at": u["created_at"],
                   "api_token": "stored only as a hash; shown once when created, never exported"} for u in users],
        "web_sign_in": {"note": "links and sessions are stored only as hashes; their secrets cannot be exported",
                        "links": links, "sessions": sessions},
        "idempotency_keys": [{"key": k["key"], "route": k["route"], "status_code": k["status_code"],
                              "answer": _answer(k), "created_at": k["created_at"],
                              "by_family_user": k["user"] in user_ids} for k in keys],
        "planning_snapshots": await _planning_snapshots(fid, family["school"]),
        "sources": SOURCES,
    }


async def _conferences(family_id: int, school_id: int, child_ids: list[int], tz: str) -> dict[str, Any]:
    m = ConferenceMeeting
    meetings = await m.select(*m.all_columns(), m.teacher.name.as_alias("teacher_name"),
                              m.teacher.room.name.as_alias("room_name"), m.window.name.as_alias("window_name")).where(
        m.family == family_id).order_by(m.starts_at).order_by(m.id).run()
    splits = await ConferenceSplitHousehold.select(
        ConferenceSplitHousehold.window, ConferenceSplitHousehold.window.name.as_alias("window_name")).where(
        ConferenceSplitHousehold.family == family_id).order_by(ConferenceSplitHousehold.id).run()
    classes = await ConferenceClass.select(
        ConferenceClass.child, ConferenceClass.teacher, ConferenceClass.teacher.name.as_alias("teacher_name"),
        ConferenceClass.teacher.window.as_alias("window")).where(
        ConferenceClass.child.is_in(child_ids or [-1])).order_by(ConferenceClass.id).run()
    windows = await ConferenceWindow.select(ConferenceWindow.id, ConferenceWindow.name, ConferenceWindow.unplaced).where(
        ConferenceWindow.school == school_id).order_by(ConferenceWindow.id).run()
    unplaced = [{"window_id": w["id"], "window": w["name"], **u} for w in windows for u in _unplaced_of(w, family_id)[0]]
    return {
        "meetings": [{"id": r["id"], "window_id": r["window"], "window": r["window_name"], "teacher": r["teacher_name"],
                      "room": r["room_name"], "guardian": r["guardian"], "child_ids": list(r["child_ids"] or []),
                      "start": format_local(r["starts_at"], tz), "end": format_local(r["ends_at"], tz),
                      "interpreter_language": r["language"], "status": r["status"], "moved": r["moved"],
                      "created_at": r["created_at"], "updated_at": r["updated_at"]} for r in meetings],
        "split_household_windows": [{"window_id": s["window"], "window": s["window_name"]} for s in splits],
        "class_lists": [{"child_id": c["child"], "teacher_id": c["teacher"], "teacher": c["teacher_name"],
                         "window_id": c["window"]} for c in classes],
        "unplaced": unplaced,
    }


async def _planning_snapshots(family_id: int, school_id: int) -> list[dict[str, Any]]:
    """The family's entry (language, interests, free time) in every stored plan of its school."""
    key = _family_key(family_id)
    plans = await Plan.select(Plan.id, Plan.status, Plan.created_at, Plan.instance).where(
        (Plan.school == school_id) & Plan.instance.like(f'%"{key}"%')).order_by(Plan.id).run()
    out = []
    for p in plans:
        entries = [f for f in json.loads(p["instance"] or "{}").get("families", []) if f.get("id") == key]
        out += [{"plan_id": p["id"], "status": p["status"], "created_at": p["created_at"], "entry": e}
                for e in entries]
    return out


# ---------------------------------------------------------------- delete


async def delete_family(actor: Principal, family_id: int, confirm: int | None) -> DeletionOut:
    """Delete the family's account and personal data in one transaction (retried on a serialization
    failure or deadlock as a whole, like a booking)."""

    async def attempt() -> DeletionOut:
        async with writing():
            return await _erase(actor, family_id, confirm)

    out = await with_retries(attempt)
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


async def _erase(actor: Principal, family_id: int, confirm: int | None) -> DeletionOut:
    family = await _family_for(actor, family_id, lock=True)  # also serialises two deletions of one family
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
        mine, others = _unplaced_of(w, family_id)
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
    stored = [k["id"] for k in await _idempotency_rows(family_id, user_ids)]
    if stored:
        await IdempotencyKey.delete().where(IdempotencyKey.id.is_in(stored)).run()
    counts["users"] = len(user_ids)
    await User.delete().where(User.family == family_id).run()

    # 4. messages: nothing unsent goes out; what stays is anonymous
    counts["withheld"] = len(await Outbox.update({
        Outbox.status: "skipped", Outbox.last_error: ERASED_REASON, Outbox.lease_until: None}).where(
        (Outbox.family == family_id) & (Outbox.status == "pending")).returning(Outbox.id).run())
    for row in await Outbox.select(Outbox.id).where(Outbox.family == family_id).run():
        await Outbox.update({Outbox.family: None, Outbox.to_email: "", Outbox.payload: "{}",
                             Outbox.dedupe_key: f"erased:{row['id']}"}).where(Outbox.id == row["id"]).run()

    # 5. copies of the family's availability and interests inside stored plans
    key = _family_key(family_id)
    for p in await Plan.select(Plan.id, Plan.instance).where(
            (Plan.school == family["school"]) & Plan.instance.like(f'%"{key}"%')).run():
        doc = json.loads(p["instance"])
        doc["families"] = [f for f in doc.get("families", []) if f.get("id") != key]
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
