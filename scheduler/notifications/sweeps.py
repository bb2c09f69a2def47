"""Sweeps over database state that queue messages (reminders, event changes, expired waitlist
offers, unclaimed interpreter assignments), and the sender that delivers them.

Every sweep is idempotent: what it queues is keyed by ``Outbox.dedupe_key``
(unique; inserts are ``ON CONFLICT DO NOTHING``), so running it twice, or
in two processes at the same moment, queues nothing twice. Each takes
``now`` so tests (and a catch-up after downtime) can move the clock.

Delivery never sends a message twice, even with several senders: a batch
is *claimed* by setting ``lease_until`` on rows that are due and not
leased, inside one write transaction -- on PostgreSQL the rows are picked
with ``FOR UPDATE SKIP LOCKED`` so concurrent senders take disjoint
batches without waiting; on SQLite ``BEGIN IMMEDIATE`` serialises the
claims. Each row is marked sent in its own statement right after the SMTP
server accepted it, so a crash between the two can at worst leave one
message to be re-sent after the lease expires (the usual at-least-once
edge of SMTP, reduced to one message, and recognisable by its stable
Message-ID).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from email.utils import parseaddr
from typing import Any, Protocol

from icalendar import Event as ICalEvent

from calendars.feed_rows import event_columns, feed_event, uid_domain
from calendars.feeds import FeedEvent, FeedSpec, build_invitation
from resources.tables import Interpreter, School
from scheduler.accounts.tables import User
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.attendance import feedback
from scheduler.bookings import services as bookings
from scheduler.bookings.tables import Registration
from scheduler.conferences import mail as conference_mail
from scheduler.conferences import notices as conference_notices
from scheduler.core.db import locked, use_case
from scheduler.core.languages import language_name
from scheduler.core.settings import Settings
from scheduler.events.services import localized
from scheduler.events.tables import Event
from scheduler.notifications import attendance, channels, day_before, door_mail, messages
from scheduler.notifications.mailer import ConnectionFailed, DeliveryError, SmtpMailer
from scheduler.notifications.preferences import preferences_url
from scheduler.notifications.sms_provider import SmsMessage, SmsSender, sms_sender
from scheduler.notifications.tables import Outbox

log = logging.getLogger("family_bridge.notifications")

LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=6)
INSERT_CHUNK = 500  # rows per INSERT: SQLite allows 32,766 bound parameters
LIVE = ("confirmed", "waitlisted")


@use_case
async def queue(rows: list[Outbox]) -> int:
    """Insert messages, skipping any whose dedupe_key exists; returns how many are new.

    Runs inside the caller's transaction (if any): a sweep's messages and the
    state it records go together or not at all.
    """
    new = 0
    for i in range(0, len(rows), INSERT_CHUNK):
        inserted = await Outbox.insert(*rows[i:i + INSERT_CHUNK]).on_conflict(
            target=Outbox.dedupe_key, action="DO NOTHING").returning(Outbox.id).run()
        new += len(inserted)
    return new


def _utc(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.timezone.utc) if value is not None else None


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


async def _family_rows(event_id: int, statuses: Iterable[str]) -> list[dict[str, Any]]:
    return await Registration.select(
        Registration.id, Registration.family, Registration.family.email.as_alias("email"),
        Registration.family.language.as_alias("language")).where(
        (Registration.event == event_id) & Registration.status.is_in(list(statuses))).order_by(Registration.id).run()


def _family_message(kind: str, key: str, event: dict[str, Any], reg: dict[str, Any], **payload: Any) -> Outbox:
    return Outbox(kind=kind, dedupe_key=key, to_email=reg["email"], language=reg["language"], school=event["school"],
                  family=reg["family"], event=event["id"],
                  payload=json.dumps({"registration": reg["id"], **payload}, sort_keys=True))


# ---------------------------------------------------------------- reminders


def reminder_offset(starts_at: dt.datetime, hours: Iterable[int], now: dt.datetime) -> int | None:
    """The reminder due now: the smallest offset whose moment has come, or None.

    Smallest, so a family registering three hours before an event (or a
    sender back after downtime) gets one reminder, not the 48 h and the 2 h
    one at once; the 2 h one still follows when its moment comes.
    """
    due = [h for h in hours if h > 0 and starts_at - dt.timedelta(hours=h) <= now < starts_at]
    return min(due) if due else None


async def due_reminders(now: dt.datetime) -> int:
    """Queue a reminder to each confirmed family of each published event whose reminder is due.

    The key names the registration, the offset and the event's start, so an
    event moved after its reminder went out gets reminded again at the new time.
    """
    hours = {s["id"]: s["reminder_hours"] or [] for s in await School.select(School.id, School.reminder_hours).run()}
    horizon = max((h for hs in hours.values() for h in hs), default=0)
    if horizon <= 0:
        return 0
    events = await Event.select(Event.id, Event.school, Event.starts_at).where(
        (Event.status == "published") & Event.starts_at.is_not_null() & (Event.starts_at > now)
        & (Event.starts_at <= now + dt.timedelta(hours=horizon))).order_by(Event.id).run()
    queued = 0
    for event in events:
        start = _utc(event["starts_at"])
        offset = reminder_offset(start, hours.get(event["school"], []), now)
        if offset is None:
            continue
        regs = await _family_rows(event["id"], ["confirmed"])
        rows = [_family_message("reminder", f"reminder:{r['id']}:{offset}h:{_epoch(start)}", event, r,
                                hours=offset, starts=_epoch(start)) for r in regs]
        queued += await queue(rows)
    return queued


# ---------------------------------------------------------------- event changes


@use_case
async def _settle_event(event_id: int) -> int:
    """Tell live registrations that the event moved or was cancelled, then record what they know.

    Runs under the event's lock, so a concurrent edit waits and is settled
    by the next sweep; the first sighting of a published event only records.
    """
    event = await locked(Event.select(Event.id, Event.school, Event.status, Event.starts_at, Event.notified_status,
                                      Event.notified_starts_at).where(Event.id == event_id)).first().run()
    if event is None:
        return 0
    start, told = _utc(event["starts_at"]), _utc(event["notified_starts_at"])
    rows: list[Outbox] = []
    if event["status"] == "cancelled" and event["notified_status"] != "cancelled":
        rows = [_family_message("event_cancelled", f"event-cancelled:{event_id}:{r['id']}", event, r)
                for r in await _family_rows(event_id, LIVE)]
    elif event["status"] == "published" and event["notified_status"] == "published" and start != told:
        rows = [_family_message("event_rescheduled", f"event-moved:{event_id}:{_epoch(start)}:{r['id']}", event, r,
                                starts=_epoch(start)) for r in await _family_rows(event_id, LIVE)]
    queued = await queue(rows)
    await Event.update({Event.notified_status: event["status"], Event.notified_starts_at: event["starts_at"]}
                       ).where(Event.id == event_id).run()
    return queued


async def event_changes(now: dt.datetime) -> int:
    """Queue "new time" / "cancelled" messages for events changed since families were last told."""
    candidates = await Event.select(Event.id, Event.status, Event.starts_at, Event.notified_status,
                                    Event.notified_starts_at).where(
        Event.status.is_in(["published", "cancelled"]) & Event.starts_at.is_not_null()
        & (Event.ends_at > now - dt.timedelta(days=1))).order_by(Event.id).run()
    queued = 0
    for e in candidates:
        if e["notified_status"] != e["status"] or _utc(e["notified_starts_at"]) != _utc(e["starts_at"]):
            queued += await _settle_event(e["id"])
    return queued


# ---------------------------------------------------------------- waitlist offers


async def expired_offers(now: dt.datetime) -> int:
    """Offers not accepted in time pass to the next waiting family (schools with ``waitlist_offer_hours``)."""
    rows = await Registration.select(Registration.event).where(
        (Registration.status == "offered") & (Registration.offered_until <= now)).run()
    passed = 0
    for event_id in sorted({r["event"] for r in rows}):
        passed += len(await bookings.expire_offers(event_id, now))
    return passed


# ---------------------------------------------------------------- unclaimed assignments


def _email_key(email: str) -> str:
    """Recipients in keys are hashed: keys are shown to admins and must stay short."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


async def unclaimed_assignments(now: dt.datetime, days: int) -> int:
    """Escalate assignments still open ``days`` before the event: to the school's admins and to
    every interpreter of that language in the district (any school)."""
    open_rows = await InterpreterAssignment.select(
        InterpreterAssignment.id, InterpreterAssignment.event, InterpreterAssignment.school,
        InterpreterAssignment.language).where(
        (InterpreterAssignment.status == "open") & (InterpreterAssignment.starts_at > now)
        & (InterpreterAssignment.starts_at <= now + dt.timedelta(days=days))).order_by(InterpreterAssignment.id).run()
    queued = 0
    for a in open_rows:
        admins = await User.select(User.email).where((User.role == "admin") & (User.school == a["school"])).run()
        people = await Interpreter.select(Interpreter.id, Interpreter.email).where(
            Interpreter.languages.any(a["language"])).order_by(Interpreter.id).run()
        recipients: dict[str, int | None] = {}
        for p in people:
            recipients.setdefault(p["email"], p["id"])
        for u in admins:
            recipients.setdefault(u["email"], None)
        payload = json.dumps({"assignment": a["id"], "language": language_name(a["language"])}, sort_keys=True)
        rows = [Outbox(kind="assignment_unclaimed", dedupe_key=f"assignment-unclaimed:{a['id']}:{_email_key(email)}",
                       to_email=email, language="en", school=a["school"], interpreter=who, event=a["event"],
                       payload=payload) for email, who in recipients.items() if email]
        queued += await queue(rows)
    return queued


# ---------------------------------------------------------------- delivery


class Mailer(Protocol):
    async def send(self, message: Any) -> None: ...

    async def close(self) -> None: ...


@dataclasses.dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: DeliveryReport) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def backoff(attempts: int, base_seconds: int) -> dt.timedelta:
    """Exponential: base, 2*base, 4*base... capped at six hours."""
    return min(dt.timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def claim(now: dt.datetime, limit: int) -> list[int]:
    """Lease up to ``limit`` due rows to this sender (see the module docstring)."""
    due = ((Outbox.status == "pending") & (Outbox.next_attempt_at <= now)
           & (Outbox.lease_until.is_null() | (Outbox.lease_until < now)))

    @use_case
    async def lease() -> list[int]:
        query = Outbox.select(Outbox.id).where(due).order_by(Outbox.next_attempt_at).order_by(Outbox.id).limit(limit)
        if Outbox._meta.db.engine_type == "postgres":
            query = query.lock_rows("UPDATE", skip_locked=True)
        ids = [r["id"] for r in await query.run()]
        if not ids:
            return []
        # conditional: only rows still due and unleased are taken (belt and braces over the locks)
        taken = await Outbox.update({Outbox.lease_until: now + LEASE}).where(
            Outbox.id.is_in(ids) & due).returning(Outbox.id).run()
        return sorted(r["id"] for r in taken)

    return await lease()


async def _finish(row_id: int, values: dict) -> None:
    """One statement, its own transaction: the outcome is durable the moment it is known."""
    await Outbox.update({Outbox.lease_until: None, **values}).where(
        (Outbox.id == row_id) & (Outbox.status == "pending")).run()


async def _retry(row: dict[str, Any], reason: str, now: dt.datetime, settings: Settings,
                 report: DeliveryReport) -> None:
    attempts = row["attempts"] + 1
    if attempts >= settings.outbox_max_attempts:
        await _finish(row["id"], {Outbox.status: "failed", Outbox.attempts: attempts,
                                  Outbox.last_error: f"gave up after {attempts} attempts: {reason}"})
        report.failed += 1
    else:
        await _finish(row["id"], {Outbox.attempts: attempts, Outbox.last_error: reason,
                                  Outbox.next_attempt_at: now + backoff(attempts, settings.outbox_backoff_seconds)})
        report.retried += 1


class _Batch:
    """The rows of one claimed batch with everything their messages need, read in a few queries."""

    def __init__(self, settings: Settings, now: dt.datetime) -> None:
        self.settings, self.now, self.domain = settings, now, uid_domain(settings)

    async def load(self, ids: list[int]) -> list[dict[str, Any]]:
        rows = await Outbox.select().where(Outbox.id.is_in(ids)).order_by(Outbox.id).run()
        event_ids = sorted({r["event"] for r in rows if r["event"] is not None})
        self.events = {e["id"]: e for e in await Event.select(*event_columns(), Event.school).where(
            Event.id.is_in(event_ids)).run()} if event_ids else {}
        school_ids = sorted({e["school"] for e in self.events.values()}
                            | {r["school"] for r in rows if r["school"] and (
                                r["kind"] in messages.SCHOOL_KINDS or r["kind"] in channels.TEXT_KINDS)})
        self.schools = {s["id"]: s for s in await School.select().where(School.id.is_in(school_ids)).run()
                        } if school_ids else {}
        family_ids = sorted({r["family"] for r in rows if r["family"] is not None})
        self.conferences = conference_mail.ConferenceMail(self.domain, self.settings.smtp_from,
                                                          self.settings.public_url, self.now)
        await self.conferences.load(rows)
        self.families, self.opted_out = await channels.recipients(rows, family_ids)
        self.prefs = {i: json.loads(f["notification_prefs"] or "{}") for i, f in self.families.items()}
        self.settled = await attendance.settled_questions(rows) | await day_before.settled(rows)
        return rows

    def skip_reason(self, row: dict[str, Any]) -> str | None:
        """Why a family message should not go at all (documented in the README)."""
        if row["kind"] in conference_mail.KINDS:  # appointments: not switchable, said as they are now
            return self.conferences.skip_reason(row)
        if row["family"] is not None and self.prefs.get(row["family"], {}).get(row["kind"]) is False:
            return "switched off in the family's preferences"
        if row["channel"] == "sms" and (row["to_phone"] in self.opted_out or not self.settings.sms_provider):
            return "the number replied STOP" if self.settings.sms_provider else "text messages are not set up"
        if row["kind"] in channels.TEXT_KINDS:
            return None
        if row["id"] in self.settled:
            return "already answered, or the registration was cancelled"
        if row["kind"] in messages.SCHOOL_KINDS:  # about the school, not an event
            return None if row["school"] in self.schools else "the school no longer exists"
        event = self.events.get(row["event"])
        if event is None:
            return "the event no longer exists"
        if row["kind"] in messages.FAMILY_KINDS and row["kind"] != "event_cancelled" and event["status"] == "cancelled":
            return "the event was cancelled"
        if row["kind"] in ("reminder", attendance.KIND):
            starts = json.loads(row["payload"]).get("starts")
            if event["starts_at"] is None or _utc(event["starts_at"]) <= self.now:
                return "the event has started"
            if starts is not None and starts != _epoch(_utc(event["starts_at"])):
                return "the event moved; a new reminder follows"
        return None

    def message(self, row: dict[str, Any]):
        if row["kind"] in conference_mail.KINDS:
            return self.conferences.message(row)
        if row["kind"] in messages.SCHOOL_KINDS:
            return self.school_message(row)
        event = self.events[row["event"]]
        school = self.schools[event["school"]]
        payload = json.loads(row["payload"] or "{}")
        language = messages.base_language(row["language"])
        prefs = preferences_url(self.settings, row["family"]) if row["family"] is not None else None
        title, _text = localized(event, language)  # the school's own words in the family's language, if written
        ctx = messages.Context(kind=row["kind"], language=language, title=title,
                               starts_at=_utc(event["starts_at"]), timezone=school["timezone"], school=school["name"],
                               place=event["room_name"] or "", preferences_url=prefs,
                               deadline=_utc(payload["offered_until"]) if payload.get("offered_until") else None,
                               values={**{k: str(payload.get(k, "")) for k in ("language", "url", "interpreter", "meetings")},
                                       **{k: str(v) for k, v in payload.items() if k.startswith("next_")},
                                       **_postponed_values(payload, school["timezone"], language)})
        method = messages.ICS_METHOD.get(row["kind"])
        ics = None
        if method and event["starts_at"] is not None:
            spec = FeedSpec(name=school["name"], timezone=school["timezone"], language=language, refresh_minutes=60,
                            now=self.now)
            ics = with_attendee(_invitation(feed_event(event, school, self.domain), spec, method,
                                            f"mailto:{_address(self.settings.smtp_from)}"), row["to_email"])
        return door_mail.with_door_code(messages.compose(  # the door code in a confirmed place's e-mail
            messages.render(ctx), to=row["to_email"], sender=self.settings.smtp_from,
            message_id=f"<outbox-{row['id']}@{self.domain}>", ics=ics, method=method, unsubscribe=prefs),
            row, self.settings.secret_key)

    def text(self, row: dict[str, Any]) -> SmsMessage:
        return channels.text_message(row, self.events, self.schools, self.settings)

    def school_message(self, row: dict[str, Any]):
        """A message about the school itself (a roster invitation): no event, no calendar attachment."""
        school = self.schools[row["school"]]
        prefs = preferences_url(self.settings, row["family"]) if row["family"] is not None else None
        ctx = messages.Context(kind=row["kind"], language=messages.base_language(row["language"]), title="",
                               starts_at=None, timezone=school["timezone"], school=school["name"],
                               preferences_url=prefs, values={"url": json.loads(row["payload"] or "{}").get("url", "")})
        return messages.compose(messages.render(ctx), to=row["to_email"], sender=self.settings.smtp_from,
                                message_id=f"<outbox-{row['id']}@{self.domain}>", unsubscribe=prefs)


def _postponed_values(payload: dict[str, Any], timezone: str, language: str) -> dict[str, str]:
    """A postponed conference evening names its old date and the family's first meeting (conferences/postponing.py)."""
    if "old" not in payload:
        return {}
    old_date, _ = messages.local_date_time(dt.datetime.fromisoformat(payload["old"]), timezone, language)
    _, first_time = messages.local_date_time(dt.datetime.fromisoformat(payload["first"]), timezone, language)
    return {"old_date": old_date, "first_time": first_time}


@functools.lru_cache(maxsize=256)
def _invitation(event: FeedEvent, spec: FeedSpec, method: str, organizer: str) -> bytes:
    """One invitation per event, zone, language and method; recipients differ only in ATTENDEE.

    Serialising the VTIMEZONE and VEVENT costs milliseconds, and a reminder
    sweep sends the same event to hundreds of families.
    """
    return build_invitation(event, spec, method, organizer=organizer)


def with_attendee(ics: bytes, email: str) -> bytes:
    """The invitation with the recipient as ATTENDEE (a folded content line from icalendar)."""
    holder = ICalEvent()
    holder.add("ATTENDEE", f"mailto:{email}")
    line = holder.to_ical().split(b"\r\n", 1)[1].rsplit(b"END:VEVENT", 1)[0]
    return ics.replace(b"END:VEVENT\r\n", line + b"END:VEVENT\r\n", 1)


def _address(sender: str) -> str:
    return parseaddr(sender)[1] or sender


async def deliver(settings: Settings, now: dt.datetime, *, batch: int | None = None,
                  mailer_factory: Callable[[Settings], Mailer] = SmtpMailer,
                  sms_factory: Callable[[Settings], SmsSender | None] = sms_sender) -> DeliveryReport:
    """Send every due message (e-mail and texts alike), batch by batch, until none is due or SMTP is down."""
    report = DeliveryReport()
    down: dict[str, str] = {}  # channel -> why it cannot be reached now
    while True:
        ids = await claim(now, batch or settings.outbox_batch)
        if not ids:
            return report
        claimed_at = time.monotonic()
        ctx = _Batch(settings, now)
        rows = await channels.route_batch(await ctx.load(ids), ctx.families, ctx.opted_out, settings, now, report)
        mailer = mailer_factory(settings)
        texts: SmsSender | None = None
        try:
            for row in rows:
                channel = "sms" if row["channel"] == "sms" else "email"
                if channel in down:
                    await _retry(row, down[channel], now, settings, report)
                    continue
                if time.monotonic() - claimed_at > (LEASE - dt.timedelta(minutes=1)).total_seconds():
                    await _finish(row["id"], {})  # lease nearly over: release, another run sends it
                    continue
                reason = ctx.skip_reason(row)
                if reason is not None:
                    await _finish(row["id"], {Outbox.status: "skipped", Outbox.last_error: reason})
                    report.skipped += 1
                    continue
                sent: dict = {}
                try:
                    if channel == "sms":
                        receipt = await (texts := texts or sms_factory(settings)).send(ctx.text(row))
                        sent = {Outbox.provider_ref: receipt.provider_ref, Outbox.provider_status: receipt.status}
                    else:
                        await mailer.send(ctx.message(row))
                except ConnectionFailed as exc:
                    down[channel] = exc.reason
                    await _retry(row, exc.reason, now, settings, report)
                except DeliveryError as exc:
                    if exc.permanent:
                        await _finish(row["id"], {Outbox.status: "failed", Outbox.attempts: row["attempts"] + 1,
                                                  Outbox.last_error: f"refused: {exc.reason}"})
                        report.failed += 1
                    else:
                        await _retry(row, exc.reason, now, settings, report)
                else:
                    await _finish(row["id"], {Outbox.status: "sent", Outbox.sent_at: now, Outbox.last_error: "",
                                              **sent})
                    report.sent += 1
        finally:
            await mailer.close()
            if texts is not None:
                await texts.close()
        log.info("outbox batch: %d sent, %d retried, %d failed, %d skipped", report.sent, report.retried,
                 report.failed, report.skipped)
        if "email" in down:
            return report


async def run_sweeps(settings: Settings, now: dt.datetime) -> dict[str, int]:
    """Every queueing sweep once; counts of newly queued messages per sweep."""
    counts = {"offers": await expired_offers(now), "event_changes": await event_changes(now),
              "reminders": await due_reminders(now), "questions": await attendance.due_questions(settings, now),
              "conference_reminders": await conference_notices.due_reminders(now),
              "thanks": await feedback.due_messages(settings, now),
              "unclaimed": await unclaimed_assignments(now, settings.escalate_days),
              "day_before": await day_before.sweep(settings, now)}
    log.info("sweeps queued %s", counts)
    return counts


async def run_once(settings: Settings, now: dt.datetime) -> tuple[dict[str, int], DeliveryReport]:
    """Sweeps then delivery: what the worker does on each tick, and what ``worker --once`` does."""
    counts = await run_sweeps(settings, now)
    return counts, await deliver(settings, now)
