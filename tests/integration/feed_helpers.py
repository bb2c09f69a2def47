"""Builders and parsers shared by the calendar integration tests.

Rows the publish, registration and interpreter flows will write (other
issues) are inserted directly, through the app's own loop (``in_app``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from ical.calendar_stream import IcsCalendarStream

from tests.integration.helpers import in_app, ok

UTC = dt.timezone.utc
CHICAGO = ZoneInfo("America/Chicago")


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    """A Chicago wall-clock time as an aware UTC instant."""
    return dt.datetime(y, mo, d, h, mi, tzinfo=CHICAGO).astimezone(UTC)


def parse_both(body: bytes) -> tuple[dict[str, icalendar.Event], dict[str, Any]]:
    """VEVENTs by UID from icalendar and from the strict ``ical`` parser (which raises on RFC violations)."""
    loose = icalendar.Calendar.from_ical(body)
    strict = IcsCalendarStream.calendar_from_ics(body.decode())
    a = {str(e["UID"]): e for e in loose.walk("VEVENT")}
    b = {e.uid: e for e in strict.events}
    assert set(a) == set(b)
    return a, b


def text(body: bytes) -> str:
    """Unfolded text, so a search is not fooled by line folding."""
    return body.decode().replace("\r\n ", "")


async def make_event(client, admin, title: str = "Family Math Night", slug: str = "lincoln", **extra: Any) -> dict:
    payload = {"title": title, "kind": "workshop", "duration_minutes": 90, "earliest_date": "2027-03-01",
               "latest_date": "2027-03-31"} | extra
    return await ok(await client.post(f"/schools/{slug}/events", json=payload, headers=admin), 201)


def set_rows(client, table: Any, row_id: int, **values: Any) -> None:
    """Update one row directly (the publish flow belongs to another issue)."""

    async def run() -> None:
        await table.update({getattr(table, k): v for k, v in values.items()}).where(table.id == row_id).run()

    in_app(client, run)


def publish(client, event_id: int, start: dt.datetime, minutes: int = 90, room: int | None = None,
            **values: Any) -> None:
    from scheduler.tables import Event

    set_rows(client, Event, event_id, status="published", starts_at=start,
             ends_at=start + dt.timedelta(minutes=minutes), room=room,
             updated_at=dt.datetime.now(UTC), **values)


def insert(client, row: Any) -> int:
    """Insert a table row through the app's loop; returns its id."""

    async def run() -> int:
        table = type(row)
        return (await table.insert(row).returning(table.id).run())[0]["id"]

    return in_app(client, run)
