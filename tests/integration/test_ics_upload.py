"""Uploading an .ics as busy times: stored as rows, malformed files refused whole, size capped."""

from __future__ import annotations

import datetime as dt

from tests.integration.helpers import family_user, in_app, make_family, make_school, make_user, ok

ICS_HEADERS = {"Content-Type": "text/calendar"}

WEEKLY = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VTIMEZONE\r
TZID:Custom Central\r
BEGIN:STANDARD\r
DTSTART:20261101T020000\r
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r
TZOFFSETFROM:-0500\r
TZOFFSETTO:-0600\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:20270314T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r
TZOFFSETFROM:-0600\r
TZOFFSETTO:-0500\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:shift@test\r
DTSTAMP:20270101T000000Z\r
DTSTART;TZID=Custom Central:20270301T170000\r
DTEND;TZID=Custom Central:20270301T200000\r
RRULE:FREQ=WEEKLY;COUNT=3\r
SUMMARY:Night shift\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:free@test\r
DTSTAMP:20270101T000000Z\r
DTSTART;TZID=America/Chicago:20270302T090000\r
DTEND;TZID=America/Chicago:20270302T100000\r
TRANSP:TRANSPARENT\r
SUMMARY:Not busy\r
END:VEVENT\r
END:VCALENDAR\r
"""

BROKEN = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:x@test\r
DTSTAMP:20270101T000000Z\r
DTSTART:20270230T170000\r
DTEND:20270301T180000\r
END:VEVENT\r
END:VCALENDAR\r
"""

RANGE = "?from=2027-02-25&to=2027-03-31"


async def setup(client) -> tuple[dict, dict, dict]:
    admin = await make_user(client)
    await make_school(client, admin)
    fam = await make_family(client, admin)
    return admin, fam, await family_user(client, admin, fam["id"])


async def test_recurring_event_with_tzid_becomes_busy_rows(client):
    from scheduler.families.tables import FamilyDatedAvailability

    _, fam, me = await setup(client)
    body = await ok(await client.put(f"/families/{fam['id']}/busy.ics{RANGE}", content=WEEKLY,
                                     headers=ICS_HEADERS | me))
    # 17:00-20:00 local every Monday, across the 2027-03-14 DST change; the transparent event is not busy
    assert body == [
        {"start": "2027-03-01T17:00:00-06:00", "end": "2027-03-01T20:00:00-06:00"},
        {"start": "2027-03-08T17:00:00-06:00", "end": "2027-03-08T20:00:00-06:00"},
        {"start": "2027-03-15T17:00:00-05:00", "end": "2027-03-15T20:00:00-05:00"},
    ]

    async def rows() -> list[dict]:
        return await FamilyDatedAvailability.select().where(FamilyDatedAvailability.family == fam["id"]
                                                            ).order_by(FamilyDatedAvailability.starts_at).run()

    stored = in_app(client, rows)
    assert all(r["busy"] for r in stored) and len(stored) == 3
    assert stored[2]["starts_at"] == dt.datetime(2027, 3, 15, 22, tzinfo=dt.timezone.utc)
    # the family's availability endpoint shows them as busy dated windows
    dated = (await ok(await client.get(f"/families/{fam['id']}/availability", headers=me)))["dated"]
    assert [d["busy"] for d in dated] == [True, True, True]


async def test_new_upload_replaces_only_imported_busy_rows(client):
    _, fam, me = await setup(client)
    free = {"weekly": [], "dated": [{"start": "2027-03-20T10:00", "end": "2027-03-20T12:00", "busy": False}]}
    await ok(await client.put(f"/families/{fam['id']}/availability", json=free, headers=me))
    await ok(await client.put(f"/families/{fam['id']}/busy.ics{RANGE}", content=WEEKLY, headers=ICS_HEADERS | me))
    one = WEEKLY.replace(b"COUNT=3", b"COUNT=1")
    assert len(await ok(await client.put(f"/families/{fam['id']}/busy.ics{RANGE}", content=one,
                                         headers=ICS_HEADERS | me))) == 1
    dated = (await ok(await client.get(f"/families/{fam['id']}/availability", headers=me)))["dated"]
    assert [(d["start"][:10], d["busy"]) for d in dated] == [("2027-03-01", True), ("2027-03-20", False)]


async def test_malformed_file_names_the_line_and_keeps_earlier_rows(client):
    _, fam, me = await setup(client)
    url = f"/families/{fam['id']}/busy.ics{RANGE}"
    await ok(await client.put(url, content=WEEKLY, headers=ICS_HEADERS | me))
    r = await client.put(url, content=BROKEN, headers=ICS_HEADERS | me)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["status_code"] == 422 and body["errors"][0]["field"] == "line 7"
    assert body["errors"][0]["message"] == "VEVENT #1: DTSTART value '20270230T170000' is not a date-time"
    assert body["detail"] == "line 7: " + body["errors"][0]["message"]
    unclosed = await client.put(url, content=WEEKLY.replace(b"END:VEVENT\r\nEND:VCALENDAR", b"END:VCALENDAR"),
                                headers=ICS_HEADERS | me)
    assert unclosed.status_code == 422 and unclosed.json()["errors"][0]["field"].startswith("line ")
    assert (await client.put(url, content=b"hello", headers=ICS_HEADERS | me)).status_code == 422
    dated = (await ok(await client.get(f"/families/{fam['id']}/availability", headers=me)))["dated"]
    assert len(dated) == 3  # nothing of the refused uploads was stored, nothing earlier was lost


async def test_too_large_is_413_before_parsing(client, settings):
    _, fam, me = await setup(client)
    huge = b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"x" * (settings.max_upload_bytes + 100_000) + b"\r\nEND:VCALENDAR\r\n"
    r = await client.put(f"/families/{fam['id']}/busy.ics", content=huge, headers=ICS_HEADERS | me)
    assert r.status_code == 413 and r.json()["status_code"] == 413
    assert r.json()["errors"][0]["field"] == "body"


async def test_interpreter_upload_range_and_permissions(client):
    from resources.tables import InterpreterBusy

    admin, fam, me = await setup(client)
    ana = await ok(await client.post("/schools/lincoln/interpreters", json={
        "name": "Ana", "email": "ana@example.org", "languages": ["es"]}, headers=admin), 201)
    url = f"/interpreters/{ana['id']}/busy.ics"
    assert (await client.put(url + RANGE, content=WEEKLY, headers=ICS_HEADERS | me)).status_code == 403
    # a one-week range keeps only the first Monday
    got = await ok(await client.put(url + "?from=2027-03-01&to=2027-03-07", content=WEEKLY,
                                    headers=ICS_HEADERS | admin))
    assert got == [{"start": "2027-03-01T17:00:00-06:00", "end": "2027-03-01T20:00:00-06:00"}]

    async def rows() -> int:
        return await InterpreterBusy.count().where(InterpreterBusy.interpreter == ana["id"]).run()

    assert in_app(client, rows) == 1
    backwards = await client.put(url + "?from=2027-03-07&to=2027-03-01", content=WEEKLY, headers=ICS_HEADERS | admin)
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"
    assert in_app(client, rows) == 1
    # with no range: now - 1 day .. now + 365 days; the 2027 shifts are in it only if within a year
    default = await client.put(url, content=WEEKLY, headers=ICS_HEADERS | admin)
    assert default.status_code == 200
