"""Busy times from a family's or an interpreter's own calendar (.ics upload)."""

from __future__ import annotations

import datetime as dt

from calendars.feed_rows import BusyOut
from calendars.ics_import import IcsImportError, import_busy
from calendars.links import authorize_owner
from resources.tables import Interpreter, InterpreterBusy, School
from scheduler.core.auth import Principal
from scheduler.core.db import writing
from scheduler.core.errors import InvalidInput, PayloadTooLarge
from scheduler.core.timeutil import format_local, utcnow, zone
from scheduler.families.tables import Family, FamilyDatedAvailability

MAX_UPLOAD_BYTES = 5_000_000  # the default of FB_MAX_UPLOAD_BYTES; callers pass the configured limit
IMPORT_DAYS_BACK, IMPORT_DAYS_AHEAD, IMPORT_MAX_DAYS = 1, 365, 731


def import_range(tz: str, date_from: dt.date | None, date_to: dt.date | None, now: dt.datetime
                 ) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the import: now-1 day .. now+365 days, or local midnights of from .. the day after to."""
    start = now - dt.timedelta(days=IMPORT_DAYS_BACK)
    end = now + dt.timedelta(days=IMPORT_DAYS_AHEAD)
    if date_from is not None:
        start = dt.datetime.combine(date_from, dt.time(0), zone(tz)).astimezone(dt.timezone.utc)
    if date_to is not None:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), zone(tz)).astimezone(dt.timezone.utc)
    if end <= start:
        raise InvalidInput([("to", f"'to' {date_to} is before 'from' {date_from}")])
    if end - start > dt.timedelta(days=IMPORT_MAX_DAYS):
        raise InvalidInput([("to", f"the range may span at most {IMPORT_MAX_DAYS} days")])
    return start, end


def _parse_busy(data: bytes, tz: str, start: dt.datetime, end: dt.datetime,
                max_bytes: int = MAX_UPLOAD_BYTES) -> list[tuple[dt.datetime, dt.datetime]]:
    if len(data) > max_bytes:  # HTTP refuses it earlier (scheduler/http/middleware.py); other callers land here
        raise PayloadTooLarge(f"the calendar file is {len(data)} bytes; the limit is {max_bytes}", "body")
    try:
        return [(i.start, i.end) for i in import_busy(data, start, end, tz)]
    except IcsImportError as error:
        # the field says where (the line, else the component); the message says what, naming the component
        field = f"line {error.line}" if error.line is not None else error.component or "body"
        message = error.message
        if error.line is not None and error.component and error.component not in message:
            message = f"{error.component}: {message}"
        raise InvalidInput([(field, message)]) from None


async def import_busy_times(actor: Principal, kind: str, owner_id: int, data: bytes,
                            date_from: dt.date | None = None, date_to: dt.date | None = None,
                            max_bytes: int = MAX_UPLOAD_BYTES) -> list[BusyOut]:
    """Replace the owner's imported busy times with those of an uploaded .ics, in one transaction.

    Parsing happens before the transaction: a malformed file raises and the
    earlier rows stay as they were. The owner's ``updated_at`` is bumped so
    anything derived from its availability (plans) can tell it changed.
    """
    owner = await authorize_owner(actor, kind, owner_id)
    school = await School.select(School.timezone).where(School.id == owner["school"]).first().run()
    tz = school["timezone"]
    start, end = import_range(tz, date_from, date_to, utcnow())
    intervals = _parse_busy(data, tz, start, end, max_bytes)
    async with writing():
        if kind == "family":
            await FamilyDatedAvailability.delete().where((FamilyDatedAvailability.family == owner_id)
                                                         & (FamilyDatedAvailability.busy == True)).run()  # noqa: E712
            if intervals:
                await FamilyDatedAvailability.insert(*[FamilyDatedAvailability(
                    family=owner_id, starts_at=s, ends_at=e, busy=True) for s, e in intervals]).run()
            await Family.update({Family.updated_at: utcnow()}).where(Family.id == owner_id).run()
        else:
            await InterpreterBusy.delete().where(InterpreterBusy.interpreter == owner_id).run()
            if intervals:
                await InterpreterBusy.insert(*[InterpreterBusy(interpreter=owner_id, starts_at=s, ends_at=e)
                                               for s, e in intervals]).run()
            await Interpreter.update({Interpreter.updated_at: utcnow()}).where(Interpreter.id == owner_id).run()
    return [BusyOut(start=format_local(s, tz) or "", end=format_local(e, tz) or "") for s, e in intervals]
