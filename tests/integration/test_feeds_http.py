"""iCalendar feeds over HTTP, from real rows on both engines, parsed back by two parsers.

Rows the publish, registration and interpreter flows will write (other
issues) are inserted or updated directly, through the app's own loop.
Also the shared builders of the other calendar test modules.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from tests.conftest import run_async
from tests.integration.helpers import family_user, in_app, make_family, make_school, make_user, ok

UTC = dt.timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
FEED = "/calendars/schools/lincoln.ics"
GOLDEN = Path(__file__).parent / "golden"
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """Pin "now" for the services: feeds drop events 60 days after they end, and
    the DST events of these tests are in March 2027, so a real clock would
    make the suite fail from May 2027 on. Edits stamp rows with this time too."""
    from calendars import feed_rows, private_feeds, school_feed
    from scheduler.events import services as events
    from scheduler.families import services as families

    for module in (feed_rows, private_feeds, school_feed, events, families):
        if hasattr(module, "utcnow"):
            monkeypatch.setattr(module, "utcnow", lambda: NOW)

# ---------------------------------------------------------------- shared builders


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
    from scheduler.events.tables import Event

    set_rows(client, Event, event_id, status="published", starts_at=start,
             ends_at=start + dt.timedelta(minutes=minutes), room=room,
             updated_at=NOW - dt.timedelta(hours=1), **values)


def insert(client, row: Any) -> int:
    """Insert a table row through the app's loop; returns its id."""

    async def run() -> int:
        table = type(row)
        return (await table.insert(row).returning(table.id).run())[0]["id"]

    return in_app(client, run)


async def school_with_events(client) -> tuple[dict, dict, list[dict]]:
    """Admin headers, a room, and published events on both sides of the 2027-03-14 DST change."""
    admin = await make_user(client)
    await make_school(client, admin)
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Cafeteria", "capacity": 120},
                                      headers=admin), 201)
    before = await make_event(client, admin, "Family Math Night", interpreter_languages=["es", "vi"],
                              childcare_children=10, description="Games to play at home.")
    after = await make_event(client, admin, "Reading Together", audience=["grade-3"])
    other = await make_event(client, admin, "Grade 5 Science Fair", audience=["grade-5"])
    draft = await make_event(client, admin, "Secret draft")
    publish(client, before["id"], local(2027, 3, 8, 18), room=room["id"])
    publish(client, after["id"], local(2027, 3, 15, 18), room=room["id"])
    publish(client, other["id"], local(2027, 3, 16, 17, 30))
    return admin, room, [before, after, other, draft]


def uid(event_id: int) -> str:
    return f"event-{event_id}@127.0.0.1"


# ---------------------------------------------------------------- the public school feed


async def test_school_feed_times_across_dst_in_both_parsers(client):
    _, _, (before, after, other, draft) = await school_with_events(client)
    r = await client.get(FEED)
    assert r.status_code == 200 and r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=300" and r.headers["etag"].startswith('"')
    loose, strict = parse_both(r.content)
    assert set(loose) == {uid(before["id"]), uid(after["id"]), uid(other["id"])}  # no draft
    # 18:00 CST (UTC-6) before the change, 18:00 CDT (UTC-5) after it
    expected = {uid(before["id"]): dt.datetime(2027, 3, 9, 0, tzinfo=UTC),
                uid(after["id"]): dt.datetime(2027, 3, 15, 23, tzinfo=UTC)}
    for key, instant in expected.items():
        assert loose[key]["DTSTART"].dt.astimezone(UTC) == instant
        assert str(loose[key]["DTSTART"].params["TZID"]) == "America/Chicago"
        assert strict[key].dtstart.astimezone(UTC) == instant
        assert strict[key].dtend.astimezone(UTC) == instant + dt.timedelta(minutes=90)
        assert loose[key]["DTSTART"].dt.hour == 18
    assert str(loose[uid(before["id"])]["LOCATION"]) == "Cafeteria, Lincoln Elementary"
    assert "Interpretation available in: Spanish, Vietnamese." in str(loose[uid(before["id"])]["DESCRIPTION"])
    assert "Secret draft" not in text(r.content)


async def test_language_and_audience_filters(client):
    _, _, (before, after, other, _) = await school_with_events(client)
    spanish = await client.get(FEED + "?lang=es")
    loose, _ = parse_both(spanish.content)
    assert "Habrá interpretación en: español, vietnamita." in str(loose[uid(before["id"])]["DESCRIPTION"])
    unknown = parse_both((await client.get(FEED + "?lang=xx")).content)[0]
    assert "Interpretation available in" in str(unknown[uid(before["id"])]["DESCRIPTION"])  # default language
    grade3 = parse_both((await client.get(FEED + "?audience=grade-3")).content)[0]
    assert set(grade3) == {uid(before["id"]), uid(after["id"])}  # school-wide + grade-3, not grade-5
    assert (await client.get(FEED + "?audience=Grade 3!")).status_code == 400
    assert (await client.get("/calendars/schools/nowhere.ics")).status_code == 404
    assert (await client.get("/calendars/schools/lincoln")).status_code == 404


async def test_feeds_use_the_events_own_text_in_the_readers_language(client):
    admin = await make_user(client)
    await make_school(client, admin)
    event = await make_event(client, admin, "Homework routines", description="How to set up a quiet corner.",
                             translations={"es": {"title": "Rutinas de tarea",
                                                  "description": "Cómo preparar un rincón tranquilo."}})
    plain = await make_event(client, admin, "Family Math Night")  # no Spanish text: the school's own
    publish(client, event["id"], local(2027, 3, 8, 18))
    publish(client, plain["id"], local(2027, 3, 9, 18))
    spanish = parse_both((await client.get(FEED + "?lang=es")).content)
    english = parse_both((await client.get(FEED)).content)
    for loose, strict in (spanish,):
        assert str(loose[uid(event["id"])]["SUMMARY"]) == strict[uid(event["id"])].summary == "Rutinas de tarea"
        assert "Cómo preparar un rincón tranquilo." in str(loose[uid(event["id"])]["DESCRIPTION"])
        assert str(loose[uid(plain["id"])]["SUMMARY"]) == "Family Math Night"
    assert str(english[0][uid(event["id"])]["SUMMARY"]) == english[1][uid(event["id"])].summary == "Homework routines"
    assert "quiet corner" in str(english[0][uid(event["id"])]["DESCRIPTION"])
    # a Spanish-speaking family's own feed shows its registration in Spanish too
    family = await make_family(client, admin)
    headers = await family_user(client, admin, family["id"])
    await ok(await client.post(f"/events/{event['id']}/registrations", json={"family_id": family["id"], "adults": 1},
                               headers=headers), 201)
    own = parse_both((await client.get(await family_feed_url(client, headers, family["id"]))).content)[0]
    assert str(own[uid(event["id"])]["SUMMARY"]).endswith(": Rutinas de tarea")


async def test_public_feed_has_no_private_data(client):
    from scheduler.bookings.tables import Registration

    admin, _, (before, *_) = await school_with_events(client)
    fam = await make_family(client, admin)
    await ok(await client.post(f"/families/{fam['id']}/children", json={
        "first_name": "Leocadia", "grade": "3", "age_band": "school-age"}, headers=admin), 201)
    insert(client, Registration(event=before["id"], family=fam["id"], status="confirmed"))
    body = text((await client.get(FEED)).content)
    for private in ("García", "garcia@example.org", "Ana", "Leocadia", "Registered"):
        assert private not in body


async def test_sequence_cancel_and_stable_uid(client):
    from scheduler.events.tables import Event

    admin, _, (before, after, *_) = await school_with_events(client)
    first = parse_both((await client.get(FEED)).content)[0][uid(before["id"])]
    edited = {"title": "Family Math Night (new games)", "kind": "workshop", "duration_minutes": 90,
              "earliest_date": "2027-03-01", "latest_date": "2027-03-31", "interpreter_languages": ["es", "vi"],
              "childcare_children": 10}
    await ok(await client.put(f"/events/{before['id']}", json=edited, headers=admin))
    loose, strict = parse_both((await client.get(FEED)).content)
    assert loose[uid(before["id"])]["SEQUENCE"] > first["SEQUENCE"]
    assert strict[uid(before["id"])].sequence == first["SEQUENCE"] + 1
    assert str(loose[uid(before["id"])]["SUMMARY"]) == "Family Math Night (new games)"

    # a reschedule (as the planner will do it): new time, same UID, SEQUENCE up
    moved = local(2027, 3, 22, 17)
    set_rows(client, Event, before["id"], starts_at=moved, ends_at=moved + dt.timedelta(minutes=90),
             sequence=2, updated_at=NOW)
    loose, strict = parse_both((await client.get(FEED)).content)
    assert strict[uid(before["id"])].dtstart.astimezone(UTC) == moved and strict[uid(before["id"])].sequence == 2

    await ok(await client.post(f"/events/{after['id']}/cancel", headers=admin))
    loose, strict = parse_both((await client.get(FEED)).content)
    assert str(loose[uid(after["id"])]["STATUS"]) == "CANCELLED"
    assert strict[uid(after["id"])].status.value == "CANCELLED" and strict[uid(after["id"])].sequence == 1


async def test_old_and_long_cancelled_events_leave_and_last_modified_never_goes_back(client):
    """Ageing out is simulated by moving rows' times into the past."""
    from scheduler.events.tables import Event

    _, _, (before, after, other, _) = await school_with_events(client)
    first = await client.get(FEED)
    lm1 = parsedate_to_datetime(first.headers["last-modified"])
    long_ago = NOW - dt.timedelta(days=61)
    set_rows(client, Event, before["id"], starts_at=long_ago - dt.timedelta(hours=2), ends_at=long_ago)
    cancelled = NOW - dt.timedelta(days=31)
    set_rows(client, Event, after["id"], status="cancelled", cancelled_at=cancelled)
    # these edits did not bump updated_at: only the clock (drop instants) moves the feed
    second = await client.get(FEED)
    assert set(parse_both(second.content)[0]) == {uid(other["id"])}
    assert second.headers["etag"] != first.headers["etag"]
    lm2 = parsedate_to_datetime(second.headers["last-modified"])
    assert lm2 >= lm1
    # a client that only has the date is not told "not modified" by an older date
    stale = await client.get(FEED, headers={"If-Modified-Since": format_datetime(lm1 - dt.timedelta(seconds=1),
                                                                                 usegmt=True)})
    assert stale.status_code == 200
    assert parsedate_to_datetime((await client.get(FEED)).headers["last-modified"]) >= lm2


async def test_conditional_get_and_head(client):
    await school_with_events(client)
    full = await client.get(FEED)
    etag, lm = full.headers["etag"], full.headers["last-modified"]
    same = await client.get(FEED)
    assert same.content == full.content and same.headers["etag"] == etag  # same rows, same bytes
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        r = await client.get(FEED, headers={"If-None-Match": header})
        assert r.status_code == 304 and r.content == b"", header
        assert r.headers["etag"] == etag and r.headers["last-modified"] == lm
    assert (await client.get(FEED, headers={"If-None-Match": '"other"'})).status_code == 200
    later = format_datetime(parsedate_to_datetime(lm) + dt.timedelta(hours=1), usegmt=True)
    earlier = format_datetime(parsedate_to_datetime(lm) - dt.timedelta(hours=1), usegmt=True)
    assert (await client.get(FEED, headers={"If-Modified-Since": lm})).status_code == 304
    assert (await client.get(FEED, headers={"If-Modified-Since": later})).status_code == 304
    assert (await client.get(FEED, headers={"If-Modified-Since": earlier})).status_code == 200
    assert (await client.get(FEED, headers={"If-Modified-Since": "yesterday"})).status_code == 200
    # If-None-Match wins: a mismatching tag means 200 even with a current date
    assert (await client.get(FEED, headers={"If-None-Match": '"x"', "If-Modified-Since": later})).status_code == 200
    head = await client.head(FEED)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    plain = await client.head(FEED, headers={"Accept-Encoding": "identity"})
    assert plain.headers["content-length"] == str(len(full.content))
    assert (await client.head(FEED, headers={"If-None-Match": etag})).status_code == 304


async def test_feed_is_gzipped_for_clients_that_accept_it(client):
    """One body, two codings: each with its own ETag, either ETag current for either client."""
    import gzip

    await school_with_events(client)
    plain = await client.get(FEED, headers={"Accept-Encoding": "identity"})
    packed = await client.get(FEED, headers={"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx decodes gzip
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["etag"] != plain.headers["etag"]
    refused = await client.get(FEED, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    raw = await client.head(FEED, headers={"Accept-Encoding": "gzip"})
    assert int(raw.headers["content-length"]) == len(gzip.compress(plain.content, mtime=0))
    assert int(raw.headers["content-length"]) < len(plain.content) / 2
    for held in (plain.headers["etag"], packed.headers["etag"]):
        for coding in ("identity", "gzip"):
            r = await client.get(FEED, headers={"If-None-Match": held, "Accept-Encoding": coding})
            assert r.status_code == 304, (held, coding)


async def test_a_school_year_of_events_stays_under_a_megabyte(client):
    from scheduler.events.tables import Event

    admin = await make_user(client)
    school = await make_school(client, admin)
    start, now = local(2027, 8, 23, 17), NOW

    async def fill() -> None:
        await Event.insert(*[Event(
            school=school["id"], kind="workshop", title=f"Family Workshop {i}", description="Bring the family.",
            duration_minutes=90, earliest_date=dt.date(2027, 8, 1), latest_date=dt.date(2028, 6, 30),
            room_tags=[], audience=[f"grade-{i % 6}"] if i % 2 else [], interpreter_languages=["es", "vi"],
            childcare_children=10 * (i % 2), status="published", starts_at=start + dt.timedelta(hours=7 * i),
            ends_at=start + dt.timedelta(hours=7 * i, minutes=90), updated_at=now) for i in range(1000)]).run()

    in_app(client, fill)
    r = await client.get(FEED)
    loose, strict = parse_both(r.content)
    print(f"feed of 1,000 published events: {len(r.content):,} bytes")
    assert len(loose) == len(strict) == 1000
    assert len(r.content) < 1_000_000


async def test_school_feed_bytes_match_the_golden_file(client):
    """The whole HTTP school feed, byte for byte, from rows with fixed dates (FB_REGENERATE_GOLDEN=1 rewrites it)."""
    import os

    from resources.tables import School
    from scheduler.events.tables import Event

    _, _, events = await school_with_events(client)
    stamp = dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    for event in events[:3]:
        set_rows(client, Event, event["id"], updated_at=stamp)

    async def pin_school() -> None:
        await School.update({School.updated_at: stamp}, force=True).run()

    in_app(client, pin_school)
    r = await client.get(FEED + "?lang=es", headers={"Accept-Encoding": "identity"})
    golden = GOLDEN / "school_feed_es.ics"
    if os.environ.get("FB_REGENERATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(r.content)
    assert r.content == golden.read_bytes()
    assert r.headers["etag"] == feeds_etag(golden.read_bytes())


def feeds_etag(body: bytes) -> str:
    from calendars.feeds import feed_etag

    return feed_etag(body)


# ---------------------------------------------------------------- private feeds


async def family_feed_url(client, headers, family_id: int) -> str:
    link = await ok(await client.post(f"/families/{family_id}/feed-token", headers=headers), 201)
    return "/" + link["https"].split("/", 3)[3]


async def test_family_feed_shows_its_events_and_places_only(client):
    from scheduler.bookings.tables import ChildcareBooking, Registration
    from scheduler.families.tables import Family

    admin, _, (before, after, other, _) = await school_with_events(client)
    fam = await make_family(client, admin)
    neighbours = await ok(await client.post("/schools/lincoln/families", json={
        "name": "Nguyen family", "language": "vi", "email": "nguyen@example.org", "guardians": ["Binh"]},
        headers=admin), 201)
    kids = [await ok(await client.post(f"/families/{fam['id']}/children", json={
        "first_name": name, "grade": "3", "age_band": "school-age"}, headers=admin), 201) for name in ("Leo", "Mia")]
    solo = await make_event(client, admin, "Grade 4 Open House", audience=["grade-4"])
    publish(client, solo["id"], local(2027, 3, 18, 18))
    seen = Registration(event=before["id"], family=fam["id"], status="confirmed")
    reg = insert(client, seen)
    for kid in kids:
        insert(client, ChildcareBooking(registration=reg, event=before["id"], child=kid["id"], age_band="school-age",
                                        status="confirmed"))
    # two other families joined the grade-5 waitlist first, we are behind them
    third = insert(client, Family(school=fam["school_id"], name="Third family", language="en",
                                  email="third@example.org", guardians=[]))
    insert(client, Registration(event=other["id"], family=neighbours["id"], status="waitlisted", waitlist_seq=1))
    insert(client, Registration(event=other["id"], family=third, status="waitlisted", waitlist_seq=2))
    insert(client, Registration(event=other["id"], family=fam["id"], status="waitlisted", waitlist_seq=3))
    insert(client, Registration(event=solo["id"], family=neighbours["id"], status="confirmed"))

    me = await family_user(client, admin, fam["id"])
    url = await family_feed_url(client, me, fam["id"])
    r = await client.get(url)
    assert r.headers["cache-control"] == "private, max-age=300" and r.headers["referrer-policy"] == "no-referrer"
    loose, strict = parse_both(r.content)
    # school-wide + grade-3 (its children) + the grade-5 event it queued for; not the grade-4 one
    assert set(loose) == {uid(before["id"]), uid(after["id"]), uid(other["id"])}
    assert strict[uid(before["id"])].summary == "Registered: Family Math Night"
    assert "Childcare booked for 2 children" in strict[uid(before["id"])].description
    assert strict[uid(other["id"])].summary == "Waitlist #3: Grade 5 Science Fair"
    assert strict[uid(after["id"])].summary == "Reading Together"
    body = text(r.content)
    for private in ("Leo", "Mia", "Nguyen", "nguyen@example.org", "Binh"):
        assert private not in body, private
    # the family's language (es) writes the generated sentences
    assert "Se ofrece cuidado de niños." in strict[uid(before["id"])].description
    # the same event has the same UID in the public feed
    assert uid(before["id"]) in parse_both((await client.get(FEED)).content)[0]

    # a cancelled place changes the feed (and Last-Modified) without deleting anything
    etag = r.headers["etag"]
    set_rows(client, Registration, reg, status="cancelled", updated_at=NOW)
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert parse_both(again.content)[1][uid(before["id"])].summary == "Family Math Night"


async def test_interpreter_and_room_feeds(client):
    from resources.tables import Interpreter
    from scheduler.assignments.tables import InterpreterAssignment

    admin, room, (before, after, other, _) = await school_with_events(client)
    school_id = (await ok(await client.get("/schools/lincoln", headers=admin)))["id"]
    ana = await ok(await client.post("/schools/lincoln/interpreters", json={
        "name": "Ana", "email": "ana@example.org", "languages": ["es", "vi"]}, headers=admin), 201)
    bo = insert(client, Interpreter(school=school_id, name="Bo", email="bo@example.org", languages=["vi"]))
    for event, start, status, who in ((before, local(2027, 3, 8, 18), "claimed", ana["id"]),
                                      (after, local(2027, 3, 15, 18), "confirmed", ana["id"]),
                                      (other, local(2027, 3, 16, 17, 30), "open", None),
                                      (before, local(2027, 3, 8, 18), "claimed", bo)):
        insert(client, InterpreterAssignment(event=event["id"], school=school_id, language="es" if who != bo else "vi",
                                             interpreter=who, status=status, starts_at=start,
                                             ends_at=start + dt.timedelta(minutes=90)))
    link = await ok(await client.post(f"/interpreters/{ana['id']}/feed-token", headers=admin), 201)
    loose, strict = parse_both((await client.get("/" + link["https"].split("/", 3)[3])).content)
    assert set(strict) == {uid(before["id"]), uid(after["id"])}
    assert strict[uid(before["id"])].summary == "Interpreting (Spanish): Family Math Night"
    assert strict[uid(after["id"])].location == "Cafeteria, Lincoln Elementary"
    assert strict[uid(after["id"])].dtstart.astimezone(UTC) == dt.datetime(2027, 3, 15, 23, tzinfo=UTC)

    room_link = await ok(await client.post(f"/rooms/{room['id']}/feed-token", headers=admin), 201)
    loose, strict = parse_both((await client.get("/" + room_link["https"].split("/", 3)[3])).content)
    assert set(strict) == {uid(before["id"]), uid(after["id"])}  # the third event has no room


# ---------------------------------------------------------------- the real server


def _demo_start(i: int) -> dt.datetime:
    """18:00 Chicago time, 7 + i days from today: the server runs on the real clock, so stay ahead of it."""
    day = dt.datetime.now(CHICAGO).date() + dt.timedelta(days=7 + i)
    return local(day.year, day.month, day.day, 18)


def _publish_demo_events(database_url: str, count: int) -> None:
    """Publish a few demo events straight in the database before the server starts."""
    from resources.tables import School
    from scheduler.core.db import bind, engine_from_url
    from scheduler.events.tables import Event
    from scheduler.piccolo_app import APP_CONFIG

    async def run() -> None:
        bind(engine_from_url(database_url), APP_CONFIG)
        school = await School.select().where(School.slug == "riverside").first().run()
        ids = [r["id"] for r in await Event.select(Event.id).where(Event.school == school["id"])
               .order_by(Event.id).limit(count).run()]
        for i, event_id in enumerate(ids):
            start = _demo_start(i)
            await Event.update({Event.status: "published", Event.starts_at: start,
                                Event.ends_at: start + dt.timedelta(hours=1)}).where(Event.id == event_id).run()

    run_async(run())


@pytest.fixture
def served_demo(database_url):
    from tests.conftest import ROOT, cli_env, run_cli
    from tests.integration.test_cli_and_demo import _free_port

    loaded = run_cli(database_url, "demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stderr
    _publish_demo_events(database_url, 10)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "serve"], cwd=ROOT,
                            env=cli_env(database_url, FB_PORT=str(port)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_running_server_serves_a_subscribable_school_feed(served_demo):
    r = httpx.get(f"{served_demo}/calendars/schools/riverside.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    loose, strict = parse_both(r.content)
    assert len(loose) == len(strict) >= 10  # ours, and whatever the demo itself publishes
    assert {_demo_start(i) for i in range(10)} <= {e.dtstart.astimezone(UTC) for e in strict.values()}
    assert httpx.get(f"{served_demo}/calendars/schools/riverside.ics",
                     headers={"If-None-Match": r.headers["etag"]}).status_code == 304


async def test_an_edit_that_commits_out_of_timestamp_order_still_changes_the_etag(client):
    """Two edits whose ``updated_at`` order differs from their commit order move no maximum."""
    from scheduler.events.tables import Event

    _, _, (first, second, *_) = await school_with_events(client)
    newest = NOW - dt.timedelta(minutes=1)
    set_rows(client, Event, first["id"], updated_at=newest)
    set_rows(client, Event, second["id"], updated_at=newest - dt.timedelta(minutes=5))
    polled = await client.get(FEED)
    # the slower edit commits last with the older timestamp: a new SEQUENCE, the same maximum updated_at
    set_rows(client, Event, second["id"], title="Science Fair (moved to the gym)", sequence=5,
             updated_at=newest - dt.timedelta(minutes=2))
    again = await client.get(FEED, headers={"If-None-Match": polled.headers["etag"]})
    assert again.status_code == 200 and b"moved to the gym" in again.content
