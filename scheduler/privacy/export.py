"""Export: everything stored about a family, as one consistent JSON document.

One read-only snapshot (PostgreSQL: REPEATABLE READ; SQLite: a deferred read transaction), so a
booking made meanwhile is either wholly in the document or wholly absent. Secrets never leave: API
tokens and feed links are stored as hashes only, and the export carries their metadata.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from calendars.tables import FeedToken
from resources import weekly
from resources.tables import School
from scheduler.accounts.tables import SignInLink, User, WebSession
from scheduler.attendance.tables import CheckIn, Feedback
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceConfirmation,
    ConferenceHold,
    ConferenceMeeting,
    ConferenceSplitHousehold,
    ConferenceWindow,
)
from scheduler.core.auth import Principal
from scheduler.core.languages import INSTRUCTION_LANGUAGE
from scheduler.core.timeutil import format_local, utcnow
from scheduler.events.tables import Event
from scheduler.families.tables import Child, EventInterest, Family, FamilyAvailability, FamilyDatedAvailability
from scheduler.notifications.tables import AttendanceAnswer, Outbox, SmsInbound
from scheduler.planning.tables import Plan
from scheduler.privacy.records import (
    SOURCES,
    answer,
    family_for,
    family_key,
    idempotency_rows,
    is_family_entry,
    unplaced_of,
)
from scheduler.roster.tables import ClassEnrollment, RosterChild, RosterFamily
from scheduler.topics.tables import TopicVote

FORMAT_VERSION = 2  # 2: interests carry the family's choice ("yes" / "no"); topic votes


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
        family = await family_for(actor, family_id)
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
    said = {a["registration"]: {"answer": a["answer"], "channel": a["channel"], "at": a["answered_at"]}
            for a in await AttendanceAnswer.select().where(
                AttendanceAnswer.registration.is_in([r["id"] for r in regs] or [-1])).run()}
    interests = await EventInterest.select().where(EventInterest.family == fid).order_by(EventInterest.event).run()
    outbox = await Outbox.select().where(Outbox.family == fid).order_by(Outbox.id).run()
    texts = await SmsInbound.select(SmsInbound.from_phone, SmsInbound.body, SmsInbound.handled_as,
                                    SmsInbound.received_at).where(SmsInbound.family == fid).order_by(
        SmsInbound.id).run()
    votes = await TopicVote.select(TopicVote.topic.title, TopicVote.created_at).where(TopicVote.family == fid).run()

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
            "offered_until": r["offered_until"], "childcare": care_by_reg[r["id"]], "will_come": said.get(r["id"]),
            "created_at": r["created_at"], "updated_at": r["updated_at"]})

    users = await User.select(User.id, User.role, User.name, User.email, User.created_at).where(
        User.family == fid).order_by(User.id).run()
    user_ids = [u["id"] for u in users]
    keys = await idempotency_rows(fid, user_ids)
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
            "guardians": list(family["guardians"] or []), "phone": family["phone"], "channels": family["channels"],
            "preferences": {"email": json.loads(family["notification_prefs"] or "{}")},
            "created_at": family["created_at"], "updated_at": family["updated_at"]},
        "children": [{"id": c["id"], "first_name": c["first_name"], "grade": c["grade"], "age_band": c["age_band"],
                      "childcare": care_by_child[c["id"]]} for c in children],
        "availability": {
            "weekly": await weekly.load(FamilyAvailability, FamilyAvailability.family, fid),
            "dated": [{"start": format_local(d["starts_at"], tz), "end": format_local(d["ends_at"], tz),
                       "busy": d["busy"]} for d in dated]},
        "interests": [{"event": event_ref(i["event"]), "choice": i["choice"]} for i in interests],
        "topic_votes": [{"topic": v["topic.title"], "at": v["created_at"]} for v in votes],
        "registrations": registrations,
        "conferences": await _conferences(fid, family["school"], child_ids, tz),
        "feed_tokens": [{"id": t["id"], "created_at": t["created_at"], "revoked_at": t["revoked_at"],
                         "note": "the link itself is stored only as a keyed hash and cannot be exported"}
                        for t in tokens],
        "notifications": [{"id": o["id"], "kind": o["kind"], "status": o["status"], "to_email": o["to_email"],
                           "channel": o["channel"], "to_phone": o["to_phone"], "language": o["language"], "event": event_ref(o["event"]), "reason": o["last_error"],
                           "created_at": o["created_at"], "sent_at": o["sent_at"]} for o in outbox],
        "text_messages": [{"from": t["from_phone"], "body": t["body"], "taken_as": t["handled_as"],
                           "received_at": t["received_at"]} for t in texts],
        "users": [{"id": u["id"], "role": u["role"], "name": u["name"], "email": u["email"],
                   "created_at": u["created_at"],
                   "api_token": "stored only as a hash; shown once when created, never exported"} for u in users],
        "web_sign_in": {"note": "links and sessions are stored only as hashes; their secrets cannot be exported",
                        "links": links, "sessions": sessions},
        "idempotency_keys": [{"key": k["key"], "route": k["route"], "status_code": k["status_code"],
                              "answer": answer(k), "created_at": k["created_at"],
                              "by_family_user": k["user"] in user_ids} for k in keys],
        "planning_snapshots": await _planning_snapshots(fid, family["school"]),
        "roster": await _roster(fid, child_ids),
        "attendance": await _attendance(fid, tz),
        "sources": SOURCES,
    }


async def _attendance(family_id: int, tz: str) -> dict[str, Any]:
    """Check-ins at the door and the feedback given after events."""
    checks = await CheckIn.select(CheckIn.event, CheckIn.event.title.as_alias("title"), CheckIn.registration,
                                  CheckIn.adults, CheckIn.children, CheckIn.checked_in_at).where(
        CheckIn.family == family_id).order_by(CheckIn.id).run()
    said = await Feedback.select(Feedback.event, Feedback.event.title.as_alias("title"), Feedback.score,
                                 Feedback.comment, Feedback.language, Feedback.channel, Feedback.answered_at).where(
        Feedback.family == family_id).order_by(Feedback.id).run()
    return {
        "check_ins": [{"event_id": c["event"], "event": c["title"], "registration_id": c["registration"],
                       "adults": c["adults"], "children": c["children"],
                       "at": format_local(c["checked_in_at"], tz)} for c in checks],
        "feedback": [{"event_id": f["event"], "event": f["title"], "score": f["score"], "comment": f["comment"],
                      "language": f["language"], "channel": f["channel"], "at": f["answered_at"]} for f in said],
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
    unplaced = [{"window_id": w["id"], "window": w["name"], **u} for w in windows for u in unplaced_of(w, family_id)[0]]
    asked = await ConferenceConfirmation.select(
        ConferenceConfirmation.window, ConferenceConfirmation.evening_date, ConferenceConfirmation.answer,
        ConferenceConfirmation.channel, ConferenceConfirmation.asked_at).where(
        ConferenceConfirmation.family == family_id).order_by(ConferenceConfirmation.id).run()
    holds = await ConferenceHold.select(ConferenceHold.teacher, ConferenceHold.teacher.name.as_alias("teacher_name"),
                                        ConferenceHold.starts_at, ConferenceHold.expires_at).where(
        ConferenceHold.family == family_id).order_by(ConferenceHold.id).run()
    return {
        "meetings": [{"id": r["id"], "window_id": r["window"], "window": r["window_name"], "teacher": r["teacher_name"],
                      "room": r["room_name"], "guardian": r["guardian"], "child_ids": list(r["child_ids"] or []),
                      "start": format_local(r["starts_at"], tz), "end": format_local(r["ends_at"], tz),
                      "interpreter_language": r["language"], "status": r["status"], "moved": r["moved"],
                      "mode": r["mode"], "topic": r["topic"],
                      "created_at": r["created_at"], "updated_at": r["updated_at"]} for r in meetings],
        "split_household_windows": [{"window_id": s["window"], "window": s["window_name"]} for s in splits],
        "class_lists": [{"child_id": c["child"], "teacher_id": c["teacher"], "teacher": c["teacher_name"],
                         "window_id": c["window"]} for c in classes],
        "unplaced": unplaced,
        "day_before": [{"window_id": a["window"], "evening": a["evening_date"], "answer": a["answer"] or None,
                        "channel": a["channel"] or None, "asked_at": a["asked_at"]} for a in asked],
        "holds": [{"teacher_id": h["teacher"], "teacher": h["teacher_name"], "start": format_local(h["starts_at"], tz),
                   "expires_at": h["expires_at"]} for h in holds],
    }


async def _roster(family_id: int, child_ids: list[int]) -> dict[str, Any]:
    """What the school's roster import keeps beside the family: its ids in the school's information system,
    and the classes its children are on (scheduler/roster)."""
    households = await RosterFamily.select(RosterFamily.key, RosterFamily.guardians, RosterFamily.active,
                                           RosterFamily.updated_at).where(RosterFamily.family == family_id).run()
    children = await RosterChild.select(RosterChild.child, RosterChild.sourced_id, RosterChild.active).where(
        RosterChild.child.is_in(child_ids or [-1])).order_by(RosterChild.id).run()
    e = ClassEnrollment
    classes = await e.select(e.child, e.active, e.school_class.name.as_alias("class_name"),
                             e.school_class.teacher.name.as_alias("teacher")).where(
        e.child.is_in(child_ids or [-1])).order_by(e.id).run()
    return {"households": [{"key": h["key"], "guardian_ids": list(h["guardians"] or []), "active": h["active"],
                            "updated_at": h["updated_at"]} for h in households],
            "children": [{"child_id": c["child"], "student_id": c["sourced_id"], "active": c["active"]}
                         for c in children],
            "classes": [{"child_id": c["child"], "class": c["class_name"], "teacher": c["teacher"],
                         "active": c["active"]} for c in classes],
            "note": "the roster also keeps short hashes of the values the school's system last wrote, to tell "
                    "them from your own changes; they cannot be turned back into the values"}


async def _planning_snapshots(family_id: int, school_id: int) -> list[dict[str, Any]]:
    """The family's entry (language, interests, free time) in every stored plan of its school."""
    key = family_key(family_id)
    plans = await Plan.select(Plan.id, Plan.status, Plan.created_at, Plan.instance).where(
        (Plan.school == school_id) & Plan.instance.like(f'%"{key}"%')).order_by(Plan.id).run()
    out = []
    for p in plans:
        entries = [f for f in json.loads(p["instance"] or "{}").get("families", []) if is_family_entry(f.get("id"), family_id)]
        out += [{"plan_id": p["id"], "status": p["status"], "created_at": p["created_at"], "entry": e}
                for e in entries]
    return out
