"""Shared sample data for the calendar tests: a small school around a DST change."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from calendars.feeds import FeedEvent, FeedSpec, event_uid

UTC = timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
DOMAIN = "lincoln.familybridge.example"
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    """A Chicago wall-clock time as an aware UTC datetime (how rows arrive)."""
    return datetime(y, mo, d, h, mi, tzinfo=CHICAGO).astimezone(UTC)


def spec(language: str = "en", now: datetime = NOW, tz: str = "America/Chicago") -> FeedSpec:
    return FeedSpec(
        name="Lincoln Elementary — Families",
        timezone=tz,
        language=language,
        refresh_minutes=60,
        now=now,
    )


def school_events() -> list[FeedEvent]:
    """A handful of events: before and after DST (2027-03-14), cancelled, translated."""
    updated = datetime(2027, 2, 20, 9, 30, tzinfo=UTC)
    return [
        FeedEvent(
            uid=event_uid("event", 101, DOMAIN),
            title="Family Math Night",
            kind="workshop",
            start=local(2027, 3, 8, 18),
            end=local(2027, 3, 8, 19, 30),
            updated_at=updated,
            school="Lincoln Elementary",
            room="Cafeteria",
            url="https://lincoln.familybridge.example/events/101",
            interpreted_languages=("vi", "es"),
            childcare=True,
            description="Games and puzzles to play at home with your child.",
            translations={
                "es": (
                    "Noche familiar de matemáticas",
                    "Juegos y acertijos para jugar en casa con su hijo.",
                ),
                "vi": ("Đêm Toán Gia Đình", "Trò chơi và câu đố để chơi ở nhà cùng con."),
            },
            sequence=2,
        ),
        FeedEvent(
            uid=event_uid("event", 102, DOMAIN),
            title="Reading Together Workshop",
            kind="workshop",
            start=local(2027, 3, 15, 18),
            end=local(2027, 3, 15, 19),
            updated_at=updated + timedelta(days=1),
            school="Lincoln Elementary",
            room="Library",
            interpreted_languages=("ar",),
            description="How to read aloud with early readers.",
            categories=("literacy",),
        ),
        FeedEvent(
            uid=event_uid("conference", 7, DOMAIN),
            title="Parent-Teacher Conference",
            kind="conference",
            start=local(2027, 3, 10, 16, 15),
            end=local(2027, 3, 10, 16, 30),
            updated_at=updated,
            school="Lincoln Elementary",
            room="Room 12",
            interpreted_languages=("zh",),
            sequence=1,
        ),
        FeedEvent(
            uid=event_uid("event", 103, DOMAIN),
            title="Spring Picnic",
            kind="community",
            start=local(2027, 3, 20, 11),
            end=local(2027, 3, 20, 14),
            updated_at=datetime(2027, 2, 25, 8, 0, tzinfo=UTC),
            cancelled_at=datetime(2027, 2, 25, 8, 0, tzinfo=UTC),
            school="Lincoln Elementary",
            status="cancelled",
            sequence=3,
            description="Cancelled because of field renovation.",
        ),
    ]
