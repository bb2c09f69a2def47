"""Feed builder tests: every feed is parsed back with icalendar AND the strict `ical`.

Golden files live in ``tests/unit/calendars/golden/``. After an intended
change to the output, regenerate them and review the diff::

    FB_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/unit/calendars -k golden
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from cal_fixtures import CHICAGO, DOMAIN, NOW, UTC, local, school_events, spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream

from calendars import feeds
from calendars.feeds import FeedEvent, build_feed, build_invitation, event_uid, feed_etag, last_modified, visible

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("FB_REGENERATE_GOLDEN") == "1"


def both(body: bytes) -> tuple[icalendar.Calendar, object]:
    """Parse with both libraries; the strict one raises on any RFC violation it knows."""
    return icalendar.Calendar.from_ical(body), IcsCalendarStream.calendar_from_ics(body.decode())


def by_uid_icalendar(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def unfold(body: bytes) -> str:
    return body.decode().replace("\r\n ", "")


# --- structure and parsing --------------------------------------------------------


def test_calendar_properties_in_both_parsers() -> None:
    body = build_feed(school_events(), spec())
    ical_cal, strict = both(body)
    assert ical_cal["VERSION"] == "2.0"
    assert ical_cal["METHOD"] == "PUBLISH"
    assert ical_cal["CALSCALE"] == "GREGORIAN"
    assert str(ical_cal["PRODID"]) == feeds.PRODID
    assert ical_cal.calendar_name == "Lincoln Elementary — Families"
    assert str(ical_cal["X-WR-CALNAME"]) == "Lincoln Elementary — Families"
    assert str(ical_cal["X-WR-TIMEZONE"]) == "America/Chicago"
    assert ical_cal.refresh_interval == timedelta(hours=1)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body.decode()
    assert "X-PUBLISHED-TTL:PT1H\r\n" in body.decode()
    assert strict.method == "PUBLISH"
    assert strict.refresh_interval == timedelta(hours=1)
    assert strict.x_wr_timezone == "America/Chicago"
    assert len(strict.events) == 4


def test_event_fields_in_both_parsers() -> None:
    body = build_feed(school_events(), spec())
    ical_cal, strict = both(body)
    math = by_uid_icalendar(ical_cal)[f"event-101@{DOMAIN}"]
    assert str(math["SUMMARY"]) == "Family Math Night"
    assert str(math["LOCATION"]) == "Cafeteria, Lincoln Elementary"
    assert str(math["URL"]) == "https://lincoln.familybridge.example/events/101"
    assert math["SEQUENCE"] == 2
    assert math["STATUS"] == "CONFIRMED"
    assert math.categories == ["workshop"]
    assert math["DTSTAMP"].dt == datetime(2027, 2, 20, 9, 30, tzinfo=UTC)
    assert math["LAST-MODIFIED"].dt == datetime(2027, 2, 20, 9, 30, tzinfo=UTC)
    strict_math = next(e for e in strict.events if e.uid == f"event-101@{DOMAIN}")
    assert strict_math.summary == "Family Math Night"
    assert strict_math.sequence == 2
    assert strict_math.location == "Cafeteria, Lincoln Elementary"
    assert strict_math.categories == ["workshop"]
    assert strict_math.status.value == "CONFIRMED"
    reading = by_uid_icalendar(ical_cal)[f"event-102@{DOMAIN}"]
    assert reading.categories == ["workshop", "literacy"]
    assert "URL" not in reading


def test_events_sorted_by_start_regardless_of_input_order() -> None:
    body = build_feed(list(reversed(school_events())), spec())
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    assert uids == [
        f"event-101@{DOMAIN}",
        f"conference-7@{DOMAIN}",
        f"event-102@{DOMAIN}",
        f"event-103@{DOMAIN}",
    ]
    assert body == build_feed(school_events(), spec())


# --- time zones and DST ---------------------------------------------------------------


def test_times_across_dst_in_both_parsers() -> None:
    body = build_feed(school_events(), spec())
    text = unfold(body)
    assert "DTSTART;TZID=America/Chicago:20270308T180000\r\n" in text
    assert "DTSTART;TZID=America/Chicago:20270315T180000\r\n" in text
    ical_cal, strict = both(body)
    events = by_uid_icalendar(ical_cal)
    # CST (UTC-6) before 2027-03-14, CDT (UTC-5) after.
    assert events[f"event-101@{DOMAIN}"].start == datetime(2027, 3, 9, 0, 0, tzinfo=UTC)
    assert events[f"event-102@{DOMAIN}"].start == datetime(2027, 3, 15, 23, 0, tzinfo=UTC)
    strict_by_uid = {e.uid: e for e in strict.events}
    assert strict_by_uid[f"event-101@{DOMAIN}"].dtstart == datetime(2027, 3, 9, 0, tzinfo=UTC)
    assert strict_by_uid[f"event-102@{DOMAIN}"].dtstart == datetime(2027, 3, 15, 23, tzinfo=UTC)
    assert strict_by_uid[f"event-102@{DOMAIN}"].dtend == datetime(2027, 3, 16, 0, tzinfo=UTC)


def test_vtimezone_has_standard_and_daylight() -> None:
    ical_cal, strict = both(build_feed(school_events(), spec()))
    (tz,) = ical_cal.timezones
    assert tz.tz_name == "America/Chicago"
    assert tz.standard and tz.daylight
    daylight_starts = [d["DTSTART"].dt for d in tz.daylight]
    assert datetime(2027, 3, 14, 3, 0) in daylight_starts
    (strict_tz,) = strict.timezones
    assert strict_tz.tz_id == "America/Chicago"
    assert strict_tz.standard and strict_tz.daylight


def test_vtimezone_alone_gives_the_right_instants() -> None:
    """Rename the TZID so neither parser can fall back on its own zone database."""
    body = build_feed(school_events(), spec()).replace(b"America/Chicago", b"Lincoln-Local")
    ical_cal, strict = both(body)
    events = by_uid_icalendar(ical_cal)
    assert events[f"event-101@{DOMAIN}"].start.astimezone(UTC) == datetime(2027, 3, 9, 0, tzinfo=UTC)
    assert events[f"event-102@{DOMAIN}"].start.astimezone(UTC) == datetime(2027, 3, 15, 23, tzinfo=UTC)
    strict_by_uid = {e.uid: e for e in strict.events}
    assert strict_by_uid[f"event-101@{DOMAIN}"].dtstart.astimezone(UTC) == datetime(2027, 3, 9, 0, tzinfo=UTC)
    assert strict_by_uid[f"event-102@{DOMAIN}"].dtstart.astimezone(UTC) == datetime(2027, 3, 15, 23, tzinfo=UTC)


def test_vtimezone_covers_every_year_of_the_events() -> None:
    events = school_events()
    late = replace(
        events[0],
        uid=event_uid("event", 999, DOMAIN),
        start=local(2028, 11, 10, 18),
        end=local(2028, 11, 10, 19),
    )
    body = build_feed([*events, late], spec())
    vtimezone_text = unfold(body).split("END:VTIMEZONE")[0]
    for onset in ("20270314T030000", "20271107T020000", "20280312T030000", "20281105T020000"):
        assert onset in vtimezone_text
    # Resolved through the VTIMEZONE only (TZID renamed), in both parsers:
    ical_cal, strict = both(body.replace(b"America/Chicago", b"Lincoln-Local"))
    expected = datetime(2028, 11, 11, 0, tzinfo=UTC)  # CST again after 2028-11-05
    assert by_uid_icalendar(ical_cal)[f"event-999@{DOMAIN}"].start.astimezone(UTC) == expected
    strict_late = next(e for e in strict.events if e.uid == f"event-999@{DOMAIN}")
    assert strict_late.dtstart.astimezone(UTC) == expected


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "GMT"])
def test_utc_feed_has_no_vtimezone(zone: str) -> None:
    body = build_feed(school_events(), spec(tz=zone))
    ical_cal, strict = both(body)
    assert ical_cal.timezones == []
    assert "DTSTART:20270309T000000Z" in unfold(body)
    assert strict.events[0].dtstart == datetime(2027, 3, 9, 0, tzinfo=UTC)


# --- visibility windows -----------------------------------------------------------------


def test_cancelled_kept_for_30_days_then_dropped() -> None:
    picnic = school_events()[3]
    cancelled_at = picnic.cancelled_at
    assert cancelled_at is not None
    within = spec(now=cancelled_at + timedelta(days=29, hours=23))
    after = spec(now=cancelled_at + timedelta(days=30))
    ical_cal, strict = both(build_feed([picnic], within))
    (event,) = ical_cal.walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 3
    assert strict.events[0].status.value == "CANCELLED"
    assert visible(picnic, within.now) and not visible(picnic, after.now)
    assert icalendar.Calendar.from_ical(build_feed([picnic], after)).walk("VEVENT") == []


def test_cancelled_without_cancelled_at_uses_updated_at() -> None:
    picnic = replace(school_events()[3], cancelled_at=None)
    assert visible(picnic, picnic.updated_at + timedelta(days=29))
    assert not visible(picnic, picnic.updated_at + timedelta(days=31))


def test_sixty_day_cutoff_on_end() -> None:
    math = school_events()[0]
    assert visible(math, math.end + timedelta(days=60))
    assert not visible(math, math.end + timedelta(days=60, seconds=1))
    later = spec(now=math.end + timedelta(days=60, seconds=1))
    uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(build_feed(school_events(), later)).walk("VEVENT")}
    assert f"event-101@{DOMAIN}" not in uids
    assert f"event-102@{DOMAIN}" in uids  # ends a week later, still inside


# --- identity and determinism -----------------------------------------------------------------


def test_uid_is_stable_when_title_and_time_change() -> None:
    math = school_events()[0]
    moved = replace(math, title="Math Night (moved)", start=math.start + timedelta(days=1), end=math.end + timedelta(days=1), sequence=3, updated_at=math.updated_at + timedelta(hours=1))
    (a,) = icalendar.Calendar.from_ical(build_feed([math], spec())).walk("VEVENT")
    (b,) = icalendar.Calendar.from_ical(build_feed([moved], spec())).walk("VEVENT")
    assert a["UID"] == b["UID"] == f"event-101@{DOMAIN}"
    assert b["SEQUENCE"] == 3


def test_event_uid_helper() -> None:
    assert event_uid("event", 42, "school.example") == "event-42@school.example"
    assert event_uid("conference", "7", "school.example") == "conference-7@school.example"
    with pytest.raises(ValueError):
        event_uid("event", "4@2", "school.example")
    with pytest.raises(ValueError):
        event_uid("event", 1, "bad domain")


def test_same_rows_same_bytes_and_etag() -> None:
    feeds.vevent_bytes.cache_clear()
    first = build_feed(school_events(), spec())
    feeds.vevent_bytes.cache_clear()
    second = build_feed(school_events(), spec())
    assert first == second
    assert feed_etag(first) == feed_etag(second)
    assert re.fullmatch(r'"[0-9a-f]{32}"', feed_etag(first))
    changed = build_feed([replace(school_events()[0], sequence=9), *school_events()[1:]], spec())
    assert feed_etag(changed) != feed_etag(first)


def test_now_only_affects_visibility() -> None:
    a = build_feed(school_events(), spec(now=NOW))
    b = build_feed(school_events(), spec(now=NOW + timedelta(days=3)))
    assert a == b


def test_cached_splice_equals_plain_icalendar_serialisation() -> None:
    """The VEVENT cache must never change bytes compared to a straight icalendar build."""
    body = build_feed(school_events(), spec("es"))
    cal = icalendar.Calendar.from_ical(body)
    plain = feeds._calendar("PUBLISH")
    for name in ("NAME", "X-WR-CALNAME", "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        plain[name] = cal[name]
    plain.add_component(feeds.vtimezone("America/Chicago", 2027, 2027))
    for event in sorted(school_events(), key=feeds._sort_key):
        plain.add_component(feeds.build_vevent(event, CHICAGO, "es"))
    assert plain.to_ical() == body


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";,\\"), min_size=1,
                    max_size=200))
def test_feed_header_with_any_name_is_what_icalendar_writes(name: str) -> None:
    """The header is cached without the name and the name lines spliced in: still icalendar's bytes.

    (Except that the name is escaped as the TEXT it is: icalendar writes NAME raw, so a comma or semicolon
    went out unescaped and a line break raised; see the next test.)
    """
    body = build_feed(school_events()[:1], replace(spec("es"), name=name))
    plain = feeds._calendar("PUBLISH")
    plain.add("NAME", name)
    plain.add("X-WR-CALNAME", name)
    plain.add("X-WR-TIMEZONE", "America/Chicago")
    plain.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    plain.add("X-PUBLISHED-TTL", icalendar.vDuration(timedelta(hours=1)))
    plain.add_component(feeds.vtimezone("America/Chicago", 2027, 2027))
    plain.add_component(feeds.build_vevent(school_events()[0], CHICAGO, "es"))
    assert plain.to_ical() == body


@pytest.mark.parametrize(("name", "written"), [("García, Ana; \\ kids", "García\\, Ana\\; \\\\ kids"),
                                              ("two\nlines", "two\\nlines"), ("Ümlaut " * 20, "Ümlaut " * 20)])
def test_feed_names_are_written_as_escaped_text(name: str, written: str) -> None:
    """NAME and X-WR-CALNAME are TEXT (RFC 7986): escaped, folded, and the feed still parses in both parsers
    (icalendar reads NAME back raw, so it is not asked to unescape it)."""
    body = build_feed(school_events()[:1], replace(spec("es"), name=name))
    assert f"\r\nNAME:{written}\r\nX-WR-CALNAME:{written}\r\n" in unfold(body)
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    ical_cal, strict = both(body)
    assert len(strict.events) == 1 and len(ical_cal.walk("VEVENT")) == 1


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)  # any text: control characters, CR/LF,
# backslashes, escapes, carets and multi-byte characters at every fold position


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, description=_TEXT, room=st.none() | _TEXT, school=_TEXT,
       url=st.none() | _TEXT.filter(lambda u: "\r" not in u and "\n" not in u),
       kind=st.sampled_from(["workshop", "a,b;c", "\\N^"]), categories=st.lists(_TEXT, max_size=3),
       languages=st.lists(st.sampled_from(["es", "vi", "zh", "ar", "so"]), max_size=3),
       translation=st.none() | st.tuples(_TEXT, _TEXT), language=st.sampled_from(["en", "es", "es-MX", "ar", "xx"]),
       zone=st.sampled_from(["America/Chicago", "UTC", "Asia/Kolkata", "Etc/GMT+5"]),
       cancelled=st.booleans(), sequence=st.integers(0, 10**6), minutes=st.integers(0, 60 * 24 * 400))
def test_direct_vevent_text_is_what_icalendar_writes(title, description, room, school, url, kind, categories,
                                                       languages, translation, language, zone, cancelled,
                                                       sequence, minutes) -> None:
    """The hand-written VEVENT (``vevent_bytes``) is byte for byte icalendar's ``build_vevent`` on any event."""
    start = datetime(2027, 3, 1, 14, 7, 9, 123, tzinfo=UTC) + timedelta(minutes=minutes)
    event = replace(school_events()[0], title=title or "t", description=description, room=room, school=school,
                    url=url or None, kind=kind, categories=tuple(categories), interpreted_languages=tuple(languages),
                    translations={"es": translation} if translation else {}, start=start,
                    end=start + timedelta(minutes=minutes % 300), status="cancelled" if cancelled else "confirmed",
                    sequence=sequence)
    expected = feeds.build_vevent(event, feeds.ZoneInfo(zone), language).to_ical()
    assert feeds.vevent_bytes(event, zone, language) == expected


# --- text: translations, folding, encoding ----------------------------------------------------------


def test_spanish_translation_and_fallback() -> None:
    cal = icalendar.Calendar.from_ical(build_feed(school_events(), spec("es")))
    events = by_uid_icalendar(cal)
    math = events[f"event-101@{DOMAIN}"]
    assert str(math["SUMMARY"]) == "Noche familiar de matemáticas"
    description = str(math["DESCRIPTION"])
    assert description.startswith("Juegos y acertijos")
    assert "Habrá interpretación en: español, vietnamita." in description
    assert "Se ofrece cuidado de niños." in description
    reading = events[f"event-102@{DOMAIN}"]  # no Spanish translation: default text
    assert str(reading["SUMMARY"]) == "Reading Together Workshop"
    assert "Habrá interpretación en: árabe." in str(reading["DESCRIPTION"])
    assert "No se ofrece cuidado de niños." in str(reading["DESCRIPTION"])


def test_regional_tag_and_unsupported_language_fall_back() -> None:
    math = school_events()[0]
    assert feeds._localized(math, "es-MX")[0] == "Noche familiar de matemáticas"
    assert feeds._localized(math, "fr")[0] == "Family Math Night"
    text = feeds.description_text(math, "fr")
    assert "Interpretation available in: Spanish, Vietnamese." in text
    assert text.endswith("Childcare is offered.")


@pytest.mark.parametrize(
    ("language", "interpreted", "childcare"),
    [
        ("en", "Interpretation available in: Spanish, Vietnamese.", "Childcare is offered."),
        ("es", "Habrá interpretación en: español, vietnamita.", "Se ofrece cuidado de niños."),
        ("zh", "提供以下语言的口译：西班牙语、越南语。", "提供儿童看护。"),
        ("vi", "Có phiên dịch bằng: tiếng Tây Ban Nha, tiếng Việt.", "Có dịch vụ giữ trẻ."),
        ("ar", "تتوفر الترجمة الفورية باللغات: الإسبانية، الفيتنامية.", "تتوفر رعاية الأطفال."),
    ],
)
def test_generated_sentences_in_five_languages(language: str, interpreted: str, childcare: str) -> None:
    body = build_feed([school_events()[0]], spec(language))
    ical_cal, strict = both(body)
    (event,) = ical_cal.walk("VEVENT")
    assert interpreted in str(event["DESCRIPTION"])
    assert childcare in str(event["DESCRIPTION"])
    assert interpreted in strict.events[0].description


def test_lines_folded_at_75_octets_with_crlf_and_utf8() -> None:
    long_title = "Taller de lectura en familia — 家庭阅读工作坊 — Hội thảo đọc sách — ورشة القراءة " * 3
    event = replace(school_events()[0], translations={}, title=long_title)
    body = build_feed([event, *school_events()[1:]], spec())
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")
    assert b"\n" not in b"".join(lines)  # no bare LF anywhere
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    assert any(line.startswith(b" ") for line in lines)
    ical_cal, strict = both(body)
    assert str(by_uid_icalendar(ical_cal)[f"event-101@{DOMAIN}"]["SUMMARY"]) == long_title
    assert next(e for e in strict.events if e.uid == f"event-101@{DOMAIN}").summary == long_title


def test_text_escaping_round_trips() -> None:
    tricky = "Room 5; Building B, 2nd floor\\annex"
    event = replace(school_events()[1], room=tricky, description="Line one\nLine two; with, commas")
    ical_cal, strict = both(build_feed([event], spec()))
    (parsed,) = ical_cal.walk("VEVENT")
    assert str(parsed["LOCATION"]) == f"{tricky}, Lincoln Elementary"
    assert str(parsed["DESCRIPTION"]).startswith("Line one\nLine two; with, commas")
    assert strict.events[0].location == f"{tricky}, Lincoln Elementary"


# --- single-event invitations ---------------------------------------------------------------


def test_invitation_request_shares_uid_and_sequence() -> None:
    math = school_events()[0]
    body = build_invitation(math, spec(), "REQUEST", organizer="mailto:office@lincoln.example", attendees=["mailto:parent@example.org"])
    ical_cal, strict = both(body)
    assert ical_cal["METHOD"] == "REQUEST"
    (event,) = ical_cal.walk("VEVENT")
    assert event["UID"] == f"event-101@{DOMAIN}"
    assert event["SEQUENCE"] == 2
    assert str(event["ORGANIZER"]) == "mailto:office@lincoln.example"
    assert strict.method == "REQUEST"
    assert len(ical_cal.timezones) == 1
    feed_event = by_uid_icalendar(icalendar.Calendar.from_ical(build_feed([math], spec())))[math.uid]
    assert event["DTSTART"].to_ical() == feed_event["DTSTART"].to_ical()


def test_invitation_cancel_marks_cancelled() -> None:
    math = replace(school_events()[0], sequence=3)
    ical_cal, strict = both(build_invitation(math, spec(), "CANCEL", organizer="mailto:office@lincoln.example"))
    assert ical_cal["METHOD"] == "CANCEL"
    (event,) = ical_cal.walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 3
    assert strict.events[0].status.value == "CANCELLED"
    with pytest.raises(ValueError):
        build_invitation(math, spec(), "PUBLISH")  # type: ignore[arg-type]


# --- validation, Last-Modified -----------------------------------------------------------------


def test_naive_or_inverted_times_rejected() -> None:
    math = school_events()[0]
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(math, start=datetime(2027, 3, 8, 18))
    with pytest.raises(ValueError, match="before start"):
        replace(math, end=math.start - timedelta(minutes=1))
    with pytest.raises(Exception):
        spec(tz="Mars/Olympus_Mons")


def test_last_modified_is_max_with_watermark_and_whole_seconds() -> None:
    rows = [datetime(2027, 2, 20, 9, 30, 15, 999_000, tzinfo=UTC), datetime(2027, 2, 21, tzinfo=UTC)]
    assert last_modified(rows) == datetime(2027, 2, 21, tzinfo=UTC)
    watermark = datetime(2027, 2, 22, 7, 0, 1, 500, tzinfo=UTC)
    assert last_modified(rows, watermark) == datetime(2027, 2, 22, 7, 0, 1, tzinfo=UTC)
    # Deleting the newest row would move max(updated_at) back; the bumped watermark holds it.
    assert last_modified(rows[:1], watermark) == datetime(2027, 2, 22, 7, 0, 1, tzinfo=UTC)
    assert last_modified([], None) is None
    assert last_modified([datetime(2027, 1, 1, 6, tzinfo=CHICAGO)]).tzinfo == UTC


# --- golden file and size ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_golden_small_school(language: str) -> None:
    body = build_feed(school_events(), spec(language))
    path = GOLDEN / f"small_school_{language}.ics"
    if REGENERATE:
        path.write_bytes(body)
    assert path.exists(), f"missing {path}; run with FB_REGENERATE_GOLDEN=1"
    assert body == path.read_bytes(), "feed output changed; review and regenerate the golden file"


def test_golden_invitation_cancel() -> None:
    body = build_invitation(school_events()[3], spec(), "CANCEL", organizer="mailto:office@lincoln.example")
    path = GOLDEN / "invitation_cancel_en.ics"
    if REGENERATE:
        path.write_bytes(body)
    assert body == path.read_bytes()


def school_year(n: int) -> list[FeedEvent]:
    base = school_events()[0]
    start = datetime(2027, 3, 1, 14, tzinfo=UTC)
    return [
        replace(
            base,
            uid=event_uid("event", 10_000 + i, DOMAIN),
            title=f"{base.title} #{i}",
            start=start + timedelta(hours=5 * i),
            end=start + timedelta(hours=5 * i + 1),
        )
        for i in range(n)
    ]


def test_school_year_feed_size_bound(capsys: pytest.CaptureFixture[str]) -> None:
    body = build_feed(school_year(1000), spec("es"))
    assert len(icalendar.Calendar.from_ical(body).walk("VEVENT")) == 1000
    assert len(body) < 1_000_000
    with capsys.disabled():
        print(f"\n[feed size] 1,000 events (es, translated, 2 languages interpreted): {len(body):,} bytes")


def test_event_is_insulated_from_caller_mutation() -> None:
    translations = {"es": ("Taller", "Texto")}
    languages = ["es"]
    event = replace(school_events()[1], translations=translations, interpreted_languages=languages)  # type: ignore[arg-type]
    before = build_feed([event], spec("es"))
    translations["es"] = ("Cambiado", "Cambiado")
    languages.append("vi")
    assert build_feed([event], spec("es")) == before
    assert hash(event) == hash(replace(event))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200))
def test_any_text_round_trips_and_folds(title: str) -> None:
    event = replace(school_events()[1], title=title, description=title)
    body = build_feed([event], spec())
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    ical_cal, strict = both(body)
    assert str(ical_cal.walk("VEVENT")[0]["SUMMARY"]) == title
    assert strict.events[0].summary == title


def test_empty_feed_is_valid() -> None:
    ical_cal, strict = both(build_feed([], spec()))
    assert ical_cal.walk("VEVENT") == [] and strict.events == []
    assert len(ical_cal.timezones) == 1  # the current year's zone; harmless and stable
