"""The family side of conferences on each engine: told at publish (a real SMTP server, the .ics read back
by icalendar and the strict ``ical`` package), moves and cancellations told, the day-before reminder,
unplaced families asked, self-booking with holds, meeting mode and topic, a second guardian invited.

One evening, Tuesday 16 March 2027 in Chicago: Ms Lee (Room 11) and Mr Kim (Room 12); the Garcia family
(Spanish, two children, one per teacher, an interpreter), the Nguyen family (English, one child), and the
Ortiz family (English), free only on Thursdays, so the solver cannot place it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from scheduler.conferences import notices
from scheduler.conferences.tables import ConferenceHold, ConferenceMeeting, ConferenceWindow
from scheduler.notifications import sweeps
from scheduler.notifications.tables import Outbox
from tests.integration.helpers import family_user, in_app, make_school, make_user, ok, rows

EVENING = {"start": "2027-03-16T16:00", "end": "2027-03-16T18:00"}
PUBLISHED_AT = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def mail_settings(settings, smtp):
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port)


async def _family(client, admin, name: str, language: str, kids: int, weekly=None):
    fam = await ok(await client.post("/schools/lincoln/families", json={
        "name": name, "language": language, "email": f"{name.split()[0].lower()}@example.org",
        "guardians": [f"{name.split()[0]} parent"]}, headers=admin), 201)
    ids = [(await ok(await client.post(f"/families/{fam['id']}/children", json={
        "first_name": f"{name.split()[0]}{i}", "grade": str(i + 1), "age_band": "school-age"}, headers=admin), 201))["id"]
        for i in range(kids)]
    if weekly is not None:
        await ok(await client.put(f"/families/{fam['id']}/availability", json={"weekly": weekly, "dated": []},
                                  headers=admin))
    return fam["id"], ids


async def setup_week(client, publish: bool = True) -> dict:
    admin = await make_user(client)
    await make_school(client, admin)
    rooms = [(await ok(await client.post("/schools/lincoln/rooms", json={"name": f"Room {n}", "capacity": 25},
                                         headers=admin), 201))["id"] for n in (11, 12)]
    rosa = await ok(await client.post("/schools/lincoln/interpreters", json={
        "name": "Rosa Vega", "email": "rosa@example.org", "languages": ["es"]}, headers=admin), 201)
    await ok(await client.put(f"/interpreters/{rosa['id']}/availability", json=[
        {"weekday": 1, "start": "16:00", "end": "20:00"}], headers=admin))
    garcia, g_kids = await _family(client, admin, "Garcia family", "es", 2)
    nguyen, (n_kid,) = await _family(client, admin, "Nguyen family", "en", 1)
    ortiz, (o_kid,) = await _family(client, admin, "Ortiz family", "en", 1,
                                    weekly=[{"weekday": 3, "start": "16:00", "end": "17:00"}])
    window = await ok(await client.post("/schools/lincoln/conference-windows", json={
        "name": "Spring conferences", "evenings": [EVENING], "slot_minutes": 10, "interpreted_slot_minutes": 20,
        "passing_minutes": 5}, headers=admin), 201)
    teachers = []
    for name, room, kids in (("Ms Lee", rooms[0], [g_kids[0], n_kid, o_kid]), ("Mr Kim", rooms[1], [g_kids[1]])):
        teachers.append(await ok(await client.post(f"/conference-windows/{window['id']}/teachers", json={
            "name": name, "email": f"{name.split()[1].lower()}@example.org", "room_id": room, "child_ids": kids},
            headers=admin), 201))
    await ok(await client.post(f"/conference-windows/{window['id']}/solve", json={"time_limit": 5, "seed": 1},
                               headers=admin))
    week = {"admin": admin, "window": window, "teachers": teachers, "garcia": garcia, "nguyen": nguyen,
            "ortiz": ortiz, "rosa": rosa["id"]}
    if publish:
        await ok(await client.post(f"/conference-windows/{window['id']}/publish", headers=admin))
    return week


def _deliver(client, settings, now):
    return in_app(client, sweeps.deliver, settings, now)


def _ics(msg) -> tuple[Calendar, object]:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    text = parts[0].get_content()
    return Calendar.from_ical(text), IcsCalendarStream.calendar_from_ics(text)


def _to(smtp, address: str) -> list:
    return [m for m in smtp.inbox.messages if address in str(m["To"])]


async def test_publish_sends_each_family_its_itinerary_once_in_its_language(client, mail_settings, smtp):
    week = await setup_week(client)
    window_id = week["window"]["id"]
    # a retried publish refuses and queues nothing; the queueing itself is idempotent
    assert (await client.post(f"/conference-windows/{window_id}/publish", headers=week["admin"])).status_code == 409
    in_app(client, notices.itineraries, window_id)
    report = _deliver(client, mail_settings, PUBLISHED_AT)
    assert report.sent == 2 and report.failed == 0  # Garcia and Nguyen; Ortiz has no meeting
    assert _deliver(client, mail_settings, PUBLISHED_AT + dt.timedelta(minutes=1)).sent == 0

    (garcia,) = _to(smtp, "garcia@example.org")
    assert garcia["Content-Language"] == "es"
    text = garcia.get_body(preferencelist=("plain",)).get_content()
    assert "martes, 16 de marzo de 2027" in text  # the date in Spanish, in the school's zone
    assert "Ms Lee" in text and "Mr Kim" in text and "Garcia0" not in text  # teachers, never child names
    meetings = rows(client, ConferenceMeeting, ConferenceMeeting.family == week["garcia"])
    assert len(meetings) == 2
    loose, strict = _ics(garcia)
    assert str(loose["METHOD"]) == "PUBLISH"
    uids = {str(e["UID"]) for e in loose.walk("VEVENT")}
    assert {u.split("@")[0] for u in uids} == {f"conference-{m['id']}" for m in meetings}  # the feed's UIDs
    assert {e.uid for e in strict.events} == uids
    starts = sorted(e.dtstart for e in strict.events)
    assert starts == sorted(m["starts_at"] for m in meetings)

    (nguyen,) = _to(smtp, "nguyen@example.org")
    assert nguyen["Content-Language"] == "en" and "Tuesday, March 16, 2027" in nguyen.get_body(
        preferencelist=("plain",)).get_content()
    assert len(list(_ics(nguyen)[0].walk("VEVENT"))) == 1


async def test_move_and_cancel_send_the_updated_calendar_and_the_reminder_comes_the_day_before(
        client, mail_settings, smtp):
    week = await setup_week(client)
    _deliver(client, mail_settings, PUBLISHED_AT)
    smtp.inbox.messages.clear()
    user = await family_user(client, week["admin"], week["nguyen"])
    (meeting,) = (await ok(await client.get(f"/families/{week['nguyen']}/conferences", headers=user)))["meetings"]
    slots = await ok(await client.get(f"/conference-meetings/{meeting['id']}/free-slots", headers=user))
    moved = await ok(await client.post(f"/conference-meetings/{meeting['id']}/move",
                                       json={"start": slots[-1]["start"]}, headers=user))
    assert moved["status"] == "accepted"
    now = dt.datetime(2027, 3, 10, tzinfo=dt.timezone.utc)
    assert _deliver(client, mail_settings, now).sent == 1
    (msg,) = smtp.inbox.messages
    loose, strict = _ics(msg)
    assert str(loose["METHOD"]) == "REQUEST"
    (event,) = strict.events
    assert event.sequence == 1 and event.uid.startswith(f"conference-{meeting['id']}@")
    assert event.dtstart.strftime("%Y-%m-%dT%H:%M") == slots[-1]["start"]

    # the day before: one reminder for the family's day, the moved time in it
    day_before = dt.datetime.fromisoformat(moved["start"]) - dt.timedelta(hours=20)
    first = in_app(client, sweeps.run_sweeps, mail_settings, day_before)
    assert first["conference_reminders"] >= 1
    in_app(client, sweeps.run_sweeps, mail_settings, day_before + dt.timedelta(minutes=5))
    reminders = rows(client, Outbox, Outbox.kind == "conference_reminder", Outbox.family == week["nguyen"])
    assert len(reminders) == 1
    smtp.inbox.messages.clear()
    _deliver(client, mail_settings, day_before)
    (reminder,) = _to(smtp, "nguyen@example.org")
    assert "Reminder" in str(reminder["Subject"])
    assert {e.uid for e in _ics(reminder)[1].events} == {event.uid}

    cancelled = await ok(await client.post(f"/conference-meetings/{meeting['id']}/cancel", headers=user))
    assert cancelled["status"] == "cancelled"
    assert (await client.post(f"/conference-meetings/{meeting['id']}/cancel", headers=user)).status_code == 409
    smtp.inbox.messages.clear()
    assert _deliver(client, mail_settings, day_before).sent == 1
    (msg,) = smtp.inbox.messages
    loose, strict = _ics(msg)
    assert str(loose["METHOD"]) == "CANCEL"
    (event,) = strict.events
    assert event.sequence == 2 and str(event.status).upper().endswith("CANCELLED")


async def test_unknown_meeting_cancel_is_404_and_another_family_is_refused(client):
    week = await setup_week(client)
    other = await family_user(client, week["admin"], week["nguyen"])
    garcia = rows(client, ConferenceMeeting, ConferenceMeeting.family == week["garcia"])[0]
    assert (await client.post(f"/conference-meetings/{garcia['id']}/cancel", headers=other)).status_code == 403
    assert (await client.post("/conference-meetings/999999/cancel", headers=other)).status_code in (403, 404)
    assert rows(client, ConferenceWindow)[0]["self_booking"] is False
    assert rows(client, ConferenceHold) == []
