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

from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences import notices
from scheduler.conferences.tables import ConferenceHold, ConferenceMeeting, ConferenceWindow
from scheduler.events.tables import Event
from scheduler.notifications import sweeps
from scheduler.notifications.tables import Outbox
from tests.integration.helpers import family_user, in_app, make_school, make_user, ok, rows, sign_in

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
    assert report.sent == 3 and report.failed == 0  # Garcia's and Nguyen's itineraries; Ortiz is asked to book
    assert _deliver(client, mail_settings, PUBLISHED_AT + dt.timedelta(minutes=1)).sent == 0
    assert len(smtp.inbox.messages) == 3

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
    # beside the reminder goes the day-before question (conferences/confirmations.py, test_day_before.py)
    (reminder,) = [m for m in _to(smtp, "nguyen@example.org") if "Reminder" in str(m["Subject"])]
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


async def test_an_unplaced_family_is_asked_with_open_times_and_books_one(client, mail_settings, smtp):
    week = await setup_week(client)
    _deliver(client, mail_settings, PUBLISHED_AT)
    (asked,) = _to(smtp, "ortiz@example.org")
    text = asked.get_body(preferencelist=("plain",)).get_content()
    assert "Ms Lee" in text and "http://127.0.0.1:8000/family#conf-book" in text
    assert "Tuesday, March 16, 2027, 4:00" in text or "Tuesday, March 16, 2027, 5:" in text
    assert "if one suits you anyway" in text  # Ortiz said Thursdays only: the open times are shown anyway
    assert not list(asked.iter_attachments())

    user = await family_user(client, week["admin"], week["ortiz"])
    (offer,) = await ok(await client.get(f"/families/{week['ortiz']}/conference-slots", headers=user))
    assert offer["teacher"] == "Ms Lee" and offer["minutes"] == 10 and not offer["interpreted"]
    assert offer["slots"] and not any(s["fits"] for s in offer["slots"])
    pick = offer["slots"][0]["start"]
    # bad input names the field; a time that is never a slot is 422, a teacher of no child of ours 409
    bad = await client.post(f"/families/{week['ortiz']}/conference-bookings",
                            json={"teacher_id": offer["teacher_id"], "start": "2027-03-16T16:03"}, headers=user)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "start"
    other = await client.post(f"/families/{week['ortiz']}/conference-bookings",
                              json={"teacher_id": week["teachers"][1]["id"], "start": pick}, headers=user)
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "teacher_id"
    topic = await client.post(f"/families/{week['ortiz']}/conference-bookings",
                              json={"teacher_id": offer["teacher_id"], "start": pick, "topic": "a\u0007b"},
                              headers=user)
    assert topic.status_code in (400, 422) and "topic" in topic.text
    booked = await ok(await client.post(f"/families/{week['ortiz']}/conference-bookings", json={
        "teacher_id": offer["teacher_id"], "start": pick, "mode": "video", "topic": "How she learns best"},
        headers=user), 201)
    assert booked["status"] == "accepted" and booked["mode"] == "video" and booked["topic"] == "How she learns best"
    assert await ok(await client.get(f"/families/{week['ortiz']}/conference-slots", headers=user)) == []
    # the booking is confirmed by e-mail with its .ics
    smtp.inbox.messages.clear()
    _deliver(client, mail_settings, PUBLISHED_AT)
    (confirmation,) = _to(smtp, "ortiz@example.org")
    assert str(confirmation["Subject"]) == "Booked: conference with Ms Lee"
    loose, strict = _ics(confirmation)
    assert str(loose["METHOD"]) == "REQUEST" and len(strict.events) == 1


async def test_mode_topic_video_link_and_a_second_guardian(client, mail_settings, smtp):
    week = await setup_week(client)
    lee = week["teachers"][0]["id"]
    bad = await client.put(f"/conference-teachers/{lee}/contact", json={"video_url": "javascript:alert(1)"},
                           headers=week["admin"])
    assert bad.status_code in (400, 422) and "video_url" in bad.text
    await ok(await client.put(f"/conference-teachers/{lee}/contact", json={
        "video_url": "https://meet.example.org/lee", "phone": "+1 312 555 0100"}, headers=week["admin"]))
    user = await family_user(client, week["admin"], week["garcia"])
    meetings = (await ok(await client.get(f"/families/{week['garcia']}/conferences", headers=user)))["meetings"]
    lee_meeting = next(m for m in meetings if m["teacher_id"] == lee)
    assert lee_meeting["mode"] == "in_person" and lee_meeting["video_url"] == ""
    too_long = await client.put(f"/conference-meetings/{lee_meeting['id']}/choice", json={"topic": "x" * 301},
                                headers=user)
    assert too_long.status_code in (400, 422) and "topic" in too_long.text
    control = await client.put(f"/conference-meetings/{lee_meeting['id']}/choice", json={"topic": "a\nb"},
                               headers=user)
    assert control.status_code in (400, 422) and "topic" in control.text
    wrong = await client.put(f"/conference-meetings/{lee_meeting['id']}/choice", json={"mode": "fax"}, headers=user)
    assert wrong.status_code in (400, 422) and "mode" in wrong.text
    chosen = await ok(await client.put(f"/conference-meetings/{lee_meeting['id']}/choice", json={
        "mode": "video", "topic": "Reading at home"}, headers=user))
    assert chosen["mode"] == "video" and chosen["video_url"] == "https://meet.example.org/lee"
    assert chosen["topic"] == "Reading at home" and chosen["language"] == "es"  # the interpreter joins the call
    other = await family_user(client, week["admin"], week["nguyen"])
    assert (await client.put(f"/conference-meetings/{lee_meeting['id']}/choice", json={"mode": "phone"},
                             headers=other)).status_code == 403

    invited = await ok(await client.post(f"/families/{week['garcia']}/conference-guardians",
                                         json={"email": "second@example.org"}, headers=user), 201)
    assert invited["status"] == "invited"
    again = await ok(await client.post(f"/families/{week['garcia']}/conference-guardians",
                                       json={"email": "second@example.org"}, headers=user), 201)
    assert again["status"] == "invited"
    taken = await client.post(f"/families/{week['garcia']}/conference-guardians", json={"email": "nguyen@example.org"},
                              headers=user)
    assert taken.status_code in (201, 409)
    smtp.inbox.messages.clear()
    _deliver(client, mail_settings, PUBLISHED_AT)
    (invite,) = _to(smtp, "second@example.org")
    assert invite["Content-Language"] == "es"
    assert "http://127.0.0.1:8000/signin?email=second%40example.org" in invite.get_body(
        preferencelist=("plain",)).get_content()
    (itinerary,) = [m for m in _to(smtp, "garcia@example.org") if "conference times" in str(m["Subject"])]
    text = itinerary.get_body(preferencelist=("plain",)).get_content()
    assert "https://meet.example.org/lee" in text and "Reading at home" in text


async def test_the_family_page_books_holds_chooses_and_moves(client):
    client.follow_redirects = False  # read each redirect, as a browser's network panel would
    week = await setup_week(client)
    headers = await family_user(client, week["admin"], week["ortiz"])
    csrf = await sign_in(client, headers["Authorization"].split()[1])
    page = await client.get("/family")
    assert page.status_code == 200 and 'id="conf-book"' in page.text and "Ms Lee" in page.text
    lee = week["teachers"][0]["id"]
    slot = (await ok(await client.get(f"/families/{week['ortiz']}/conference-slots", headers=headers)))[0]["slots"][0]
    refused = await client.post("/family/conferences/hold", data={"csrf": csrf, "teacher_id": str(lee),
                                                                  "start": "2027-03-16T16:03"})
    assert refused.status_code == 422 and 'id="conf-errors"' in refused.text and "5-minute grid" in refused.text
    assert rows(client, ConferenceHold) == []
    held = await client.post("/family/conferences/hold", data={"csrf": csrf, "teacher_id": str(lee),
                                                               "start": slot["start"]})
    assert held.status_code == 303 and "done=conference-held" in held.headers["location"]
    assert len(rows(client, ConferenceHold)) == 1
    page = await client.get("/family")
    assert "held for you until" in page.text
    booked = await client.post("/family/conferences/book", data={"csrf": csrf})
    assert booked.status_code == 303, booked.text
    (meeting,) = rows(client, ConferenceMeeting, ConferenceMeeting.family == week["ortiz"])
    assert meeting["status"] == "accepted" and rows(client, ConferenceHold) == []
    # nothing held any more: booking again says so beside the forms
    again = await client.post("/family/conferences/book", data={"csrf": csrf})
    assert again.status_code == 409 and 'id="conf-errors"' in again.text

    long = "x" * 301
    kept = await client.post(f"/family/conferences/{meeting['id']}/choice", data={"csrf": csrf, "mode": "phone",
                                                                                 "topic": long})
    assert kept.status_code in (400, 422) and long in kept.text  # what was typed is still there
    chose = await client.post(f"/family/conferences/{meeting['id']}/choice", data={
        "csrf": csrf, "mode": "phone", "topic": "Her reading"})
    assert chose.status_code == 303
    (meeting,) = rows(client, ConferenceMeeting, ConferenceMeeting.family == week["ortiz"])
    assert meeting["mode"] == "phone" and meeting["topic"] == "Her reading"
    page = await client.get("/family")
    assert "Her reading" in page.text and "the teacher calls you" in page.text
    # Ortiz told us Thursdays only: no free time fits, so the page offers no move (the school can move it)
    assert 'id="move-' not in page.text
    other = rows(client, ConferenceMeeting, ConferenceMeeting.family == week["nguyen"])[0]
    assert (await client.post(f"/family/conferences/{other['id']}/cancel", data={"csrf": csrf})).status_code == 403
    gone = await client.post(f"/family/conferences/{meeting['id']}/cancel", data={"csrf": csrf})
    assert gone.status_code == 303
    assert rows(client, ConferenceMeeting, ConferenceMeeting.id == meeting["id"])[0]["status"] == "cancelled"


async def test_the_public_feed_shows_the_evening_once_and_no_interpreter_blocks(client):
    week = await setup_week(client)
    body = (await client.get("/calendars/schools/lincoln.ics")).content
    loose, strict = Calendar.from_ical(body), IcsCalendarStream.calendar_from_ics(body.decode())
    evenings = [e for e in loose.walk("VEVENT") if "conference" in str(e.get("CATEGORIES").to_ical().decode())]
    assert len(evenings) == 1 and len(strict.events) == 1
    (evening,) = evenings
    assert str(evening["TRANSP"]) == "TRANSPARENT" and str(evening["URL"]).endswith("/family#conf-book")
    assert "interpreting" not in body.decode()
    # the interpreting is still open to interpreters, on events of its own
    assignments = rows(client, InterpreterAssignment)
    assert assignments and all(a["event"] != rows(client, Event, Event.title == "Parent-teacher conferences")[0]["id"]
                               for a in assignments)
    user = await family_user(client, week["admin"], week["garcia"])
    link = await ok(await client.post(f"/families/{week['garcia']}/feed-token", headers=user), 201)
    mine = (await client.get(f"/calendars/private/{link['token']}.ics")).content.decode()
    assert "interpreting" not in mine and mine.count("Conference with") == 2


async def test_the_interpreter_sees_families_teachers_and_languages_but_no_children(client):
    client.follow_redirects = False
    week = await setup_week(client)
    body = await ok(await client.post("/schools/lincoln/users", json={
        "role": "interpreter", "name": "Rosa", "email": "rosa@example.org", "interpreter_id": week["rosa"]},
        headers=week["admin"]), 201)
    rosa = {"Authorization": f"Bearer {body['token']}"}
    lee = week["teachers"][0]["id"]
    await ok(await client.put(f"/conference-teachers/{lee}/contact", json={"video_url": "https://meet.example.org/lee"},
                              headers=week["admin"]))
    garcia = rows(client, ConferenceMeeting, ConferenceMeeting.family == week["garcia"], ConferenceMeeting.teacher == lee)[0]
    user = await family_user(client, week["admin"], week["garcia"])
    await ok(await client.put(f"/conference-meetings/{garcia['id']}/choice", json={"mode": "video"}, headers=user))
    for a in {m["assignment"] for m in rows(client, ConferenceMeeting, ConferenceMeeting.family == week["garcia"])}:
        await ok(await client.post(f"/assignments/{a}/claim", headers=rosa))
    await sign_in(client, body["token"])
    page = (await client.get("/interpreter")).text
    assert "Families you will meet" in page and "Garcia family" in page
    assert "with Ms Lee" in page and "with Mr Kim" in page and "Spanish" in page
    assert "https://meet.example.org/lee" in page  # the interpreter joins the family's video call
    assert "Garcia0" not in page and "Garcia1" not in page  # never children's names


async def test_holds_keep_passing_time_between_a_familys_own_picks(client):
    week = await setup_week(client)
    user = await family_user(client, week["admin"], week["garcia"])
    for m in (await ok(await client.get(f"/families/{week['garcia']}/conferences", headers=user)))["meetings"]:
        await ok(await client.post(f"/conference-meetings/{m['id']}/cancel", headers=user))
    # closed for self-booking: the Garcias may not book their own times yet
    assert await ok(await client.get(f"/families/{week['garcia']}/conference-slots", headers=user)) == []

    async def switch_on() -> None:
        await ConferenceWindow.update({ConferenceWindow.self_booking: True}, force=True).run()

    in_app(client, switch_on)
    offers = await ok(await client.get(f"/families/{week['garcia']}/conference-slots", headers=user))
    lee, kim = (o["teacher_id"] for o in sorted(offers, key=lambda o: o["teacher"], reverse=True))
    assert all(o["interpreted"] and o["minutes"] == 20 for o in offers)
    await ok(await client.post(f"/families/{week['garcia']}/conference-holds",
                               json={"teacher_id": lee, "start": "2027-03-16T16:30"}, headers=user), 201)
    clash = await client.post(f"/families/{week['garcia']}/conference-holds",
                              json={"teacher_id": kim, "start": "2027-03-16T16:50"}, headers=user)
    assert clash.status_code == 409 and "walk between rooms" in clash.text  # Room 11 to Room 12
    (kim_offer,) = [o for o in await ok(await client.get(f"/families/{week['garcia']}/conference-slots",
                                                         headers=user)) if o["teacher_id"] == kim]
    starts = [x["start"] for x in kim_offer["slots"]]
    near = [x["start"] for x in kim_offer["slots"] if x["next_to_yours"]]
    assert "2027-03-16T16:50" not in starts and {"2027-03-16T16:00", "2027-03-16T16:55"} <= set(near)
    assert starts[:len(near)] == near  # one visit first
    await ok(await client.post(f"/families/{week['garcia']}/conference-holds",
                               json={"teacher_id": kim, "start": "2027-03-16T16:55"}, headers=user), 201)


@pytest.mark.parametrize("pick", ["inside its old block", "the last free time"])
async def test_a_meeting_a_family_books_itself_gets_its_interpreter(client, pick):
    """After the Garcias give back a proposed interpreted meeting and book another time, the meeting hangs on a
    Spanish block: a free place in one that spans it, else a new block offered to the Spanish interpreters."""
    week = await setup_week(client)
    await ok(await client.post(f"/conference-windows/{week['window']['id']}/self-booking", json={"open": True},
                               headers=week["admin"]))
    headers = await family_user(client, week["admin"], week["garcia"])
    mine = [m for m in rows(client, ConferenceMeeting, ConferenceMeeting.family == week["garcia"])
            if m["status"] != "cancelled"]
    given_back = mine[0]
    assert given_back["language"] == "es" and given_back["assignment"] is not None
    await ok(await client.post(f"/conference-meetings/{given_back['id']}/cancel", headers=headers))
    blocks_before = {a["id"] for a in rows(client, InterpreterAssignment)}
    offer = next(o for o in await ok(await client.get(f"/families/{week['garcia']}/conference-slots",
                                                      headers=headers)) if o["teacher_id"] == given_back["teacher"])
    assert offer["interpreted"] and offer["minutes"] == 20
    (old_block,) = rows(client, InterpreterAssignment, InterpreterAssignment.id == given_back["assignment"])
    chicago = dt.timezone(dt.timedelta(hours=-5))  # CDT on 16 March 2027

    def inside(slot: dict) -> bool:
        start = dt.datetime.fromisoformat(slot["start"]).replace(tzinfo=chicago)
        return old_block["starts_at"] <= start and start + dt.timedelta(minutes=20) <= old_block["ends_at"]

    slot = next(s for s in offer["slots"] if inside(s)) if pick == "inside its old block" else offer["slots"][-1]
    booked = await ok(await client.post(f"/families/{week['garcia']}/conference-bookings", json={
        "teacher_id": offer["teacher_id"], "start": slot["start"]}, headers=headers), 201)
    (meeting,) = rows(client, ConferenceMeeting, ConferenceMeeting.id == booked["id"])
    (block,) = rows(client, InterpreterAssignment, InterpreterAssignment.id == meeting["assignment"])
    assert block["language"] == "es" and block["starts_at"] <= meeting["starts_at"]
    assert meeting["ends_at"] <= block["ends_at"]
    others = [m for m in rows(client, ConferenceMeeting, ConferenceMeeting.assignment == block["id"])
              if m["id"] != meeting["id"] and m["status"] != "cancelled"]
    assert all(m["ends_at"] <= meeting["starts_at"] or m["starts_at"] >= meeting["ends_at"] for m in others)
    if pick == "inside its old block":  # the interpreter of that block is there anyway
        assert block["id"] == old_block["id"]
    if block["id"] not in blocks_before:  # a new block: open, on an interpreting event, offered to Rosa
        assert block["status"] == "open"
        (event,) = rows(client, Event, Event.id == block["event"])
        assert "interpreting" in event["title"] and "es" in event["interpreter_languages"]
        assert rows(client, Outbox, (Outbox.kind == "assignment_open") & (Outbox.interpreter == week["rosa"])
                    & Outbox.dedupe_key.like(f"assignment-open:{block['id']}:%"))
    else:
        assert pick == "inside its old block"
