"""Conference weeks on pages, on each engine: an administrator sets one up from the roster, solves it
(after the page answered), reviews, publishes, reopens it for self-booking and postpones an evening; a
teacher signs in with an e-mailed link, sees their day, edits their times until the solve.

One small school: two roster teachers with one class each, four families (one Spanish-speaking with an
interpreter free on Tuesdays), two evenings, Tuesday and Wednesday 16–17 March 2027 in Chicago.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from resources.tables import Interpreter
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.tables import (
    ConferenceEvening,
    ConferenceMeeting,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.events.tables import Event
from scheduler.notifications import sweeps
from scheduler.notifications.tables import Outbox
from scheduler.roster.tables import ClassEnrollment, SchoolClass, Teacher
from tests.integration.helpers import CSRF, in_app, make_school, make_user, ok, rows, sign_in

CHICAGO = dt.timezone(dt.timedelta(hours=-5))  # CDT in March 2027


async def _family(client, admin, name: str, language: str, kids: int) -> tuple[int, list[int]]:
    fam = await ok(await client.post("/schools/lincoln/families", json={
        "name": name, "language": language, "email": f"{name.split()[0].lower()}@example.org",
        "guardians": [f"{name.split()[0]} parent"]}, headers=admin), 201)
    ids = [(await ok(await client.post(f"/families/{fam['id']}/children", json={
        "first_name": f"{name.split()[0]}{i}", "grade": "2", "age_band": "school-age"}, headers=admin), 201))["id"]
        for i in range(kids)]
    return fam["id"], ids


@pytest.fixture
async def school(web):
    """The school with rooms, an interpreter, families, and a roster of two teachers and their classes."""
    admin = await make_user(web)
    made = await make_school(web, admin)
    rooms = [(await ok(await web.post("/schools/lincoln/rooms", json={"name": f"Room {n}", "capacity": 25},
                                      headers=admin), 201))["id"] for n in (11, 12)]
    rosa = await ok(await web.post("/schools/lincoln/interpreters", json={
        "name": "Rosa Vega", "email": "rosa@example.org", "languages": ["es"]}, headers=admin), 201)
    await ok(await web.put(f"/interpreters/{rosa['id']}/availability", json=[
        {"weekday": 1, "start": "16:00", "end": "20:00"}], headers=admin))  # Tuesdays: the Garcias meet then
    nguyen, nguyen_kids = await _family(web, admin, "Nguyen family", "en", 2)
    garcia, garcia_kids = await _family(web, admin, "Garcia family", "es", 1)
    miller, miller_kids = await _family(web, admin, "Miller family", "en", 1)
    school_id = made["id"]

    async def roster() -> dict[str, int]:
        lee = (await Teacher.insert(Teacher(school=school_id, sourced_id="t-lee", name="Ms Lee",
                                            email="Lee@Example.org")).returning(Teacher.id).run())[0]["id"]
        kim = (await Teacher.insert(Teacher(school=school_id, sourced_id="t-kim", name="Mr Kim",
                                            email="kim@example.org")).returning(Teacher.id).run())[0]["id"]
        ids = {}
        for teacher, name, kids in ((lee, "2A", [nguyen_kids[0], garcia_kids[0]]),
                                    (kim, "2B", [nguyen_kids[1], miller_kids[0]])):
            ids[name] = (await SchoolClass.insert(SchoolClass(school=school_id, sourced_id=f"c-{name}", name=name,
                                                              grades=["2"], teacher=teacher))
                         .returning(SchoolClass.id).run())[0]["id"]
            await ClassEnrollment.insert(*[ClassEnrollment(school_class=ids[name], child=k) for k in kids]).run()
        return {"lee": lee, "kim": kim, **ids}

    ids = in_app(web, roster)
    return {"admin": admin, "school_id": school_id, "rooms": rooms, "nguyen": nguyen, "garcia": garcia,
            "miller": miller, **ids}


async def _form(web, path: str, csrf: str, **fields) -> object:
    data = {"csrf": csrf, **fields}
    return await web.post(path, data=data)


async def _admin_session(web, school) -> str:
    return await sign_in(web, school["admin"]["Authorization"].removeprefix("Bearer "))


async def _set_up(web, school, csrf: str) -> int:
    """The week made on the page, both roster teachers added, Mr Kim with a break; its id."""
    made = await _form(web, "/admin/conferences", csrf, name="Spring conferences", slot_minutes="10",
                       interpreted_slot_minutes="20", passing_minutes="5", **{
                           "date-0": "2027-03-16", "start-0": "16:00", "end-0": "18:00",
                           "date-1": "2027-03-17", "start-1": "16:00", "end-1": "18:00",
                           "date-2": "", "start-2": "16:00", "end-2": "20:00"})
    assert made.status_code == 303, made.text
    window_id = int(re.search(r"/admin/conferences/(\d+)", made.headers["location"]).group(1))
    for teacher, room, klass in ((school["lee"], school["rooms"][0], school["2A"]),
                                 (school["kim"], school["rooms"][1], school["2B"])):
        added = await _form(web, f"/admin/conferences/{window_id}/teachers", csrf, teacher=str(teacher),
                            room_id=str(room), class_id=str(klass))
        assert added.status_code == 303, added.text
    kim = next(t for t in rows(web, ConferenceTeacher) if t["name"] == "Mr Kim")
    brk = await _form(web, f"/admin/conference-teachers/{kim['id']}/times", csrf, kind="break", date="2027-03-16",
                      start="16:00", end="16:30")
    assert brk.status_code == 303, brk.text
    return window_id


async def _solve(web, window_id: int, csrf: str) -> None:
    started = await _form(web, f"/admin/conferences/{window_id}/solve", csrf, time_limit="5")
    assert started.status_code == 303 and "done=solving" in started.headers["location"], started.text
    for _ in range(120):  # the solve runs after the answer; the page polls the status like this
        progress = await web.get(f"/admin/conferences/{window_id}/progress")
        assert progress.status_code == 200, progress.text
        if progress.headers.get("hx-refresh") == "true":
            return
        in_app(web, _nap)
    raise AssertionError("the solve never finished")


async def _nap() -> None:
    import asyncio

    await asyncio.sleep(0.5)


async def test_the_administrator_sets_up_solves_reviews_and_publishes_on_pages(web, school):
    csrf = await _admin_session(web, school)
    listing = await web.get("/admin/conferences")
    assert listing.status_code == 200 and "A new conference week" in listing.text
    assert 'action="/admin/conferences?school=lincoln"' in listing.text  # a district administrator's school
    far = await _form(web, "/admin/conferences", csrf, name="Spring", **{
        "date-0": "2099-03-16", "start-0": "16:00", "end-0": "18:00"})
    assert far.status_code == 422 and "outside the dates we plan for" in far.text
    # bad input: the page again, the problem named, what was typed kept, nothing written
    bad = await _form(web, "/admin/conferences", csrf, name="Spring", slot_minutes="30",
                      interpreted_slot_minutes="20", passing_minutes="5",
                      **{"date-0": "2027-03-16", "start-0": "16:00", "end-0": "18:00"})
    assert bad.status_code == 422 and "interpreted_slot_minutes" in bad.text and 'value="Spring"' in bad.text
    none = await _form(web, "/admin/conferences", csrf, name="Spring")
    assert none.status_code == 422 and "at least one evening" in none.text
    assert rows(web, ConferenceWindow) == []

    window_id = await _set_up(web, school, csrf)
    page = await web.get(f"/admin/conferences/{window_id}")
    assert page.status_code == 200 and "Ms Lee" in page.text and "Mr Kim" in page.text
    teachers = {t["name"]: t for t in rows(web, ConferenceTeacher)}
    assert teachers["Ms Lee"]["email"] == "lee@example.org"  # the roster's address, as the teacher signs in
    # a roster teacher twice, or with no class: refused on the page, nothing written
    again = await _form(web, f"/admin/conferences/{window_id}/teachers", csrf, teacher=str(school["lee"]),
                        room_id=str(school["rooms"][0]), class_id=str(school["2A"]))
    assert again.status_code == 409 and "already in this conference week" in again.text
    empty = await _form(web, f"/admin/conferences/{window_id}/teachers", csrf, teacher=str(school["lee"]),
                        room_id=str(school["rooms"][0]))
    assert empty.status_code == 422 and "choose at least one" in empty.text
    kim_id = teachers["Mr Kim"]["id"]
    extra = await _form(web, f"/admin/conference-teachers/{kim_id}/times", csrf, kind="break", date="2027-03-17",
                        start="17:00", end="17:15")
    assert extra.status_code == 303 and 'action="/admin/conference-teachers/%d/times/delete"' % kim_id in (
        await web.get(f"/admin/conferences/{window_id}")).text
    extra_id = max(t["id"] for t in rows(web, ConferenceTeacherTime))
    removed = await _form(web, f"/admin/conference-teachers/{kim_id}/times/delete", csrf, time_id=str(extra_id))
    assert removed.status_code == 303
    not_his = await _form(web, f"/admin/conference-teachers/{teachers['Ms Lee']['id']}/times/delete", csrf,
                          time_id=str(min(t["id"] for t in rows(web, ConferenceTeacherTime))))
    assert not_his.status_code == 404
    outside = await _form(web, f"/admin/conference-teachers/{teachers['Ms Lee']['id']}/times", csrf, kind="break",
                          date="2027-03-16", start="19:00", end="19:30")
    assert outside.status_code == 422 and "outside the conference evenings" in outside.text
    assert len(rows(web, ConferenceTeacher)) == 2 and len(rows(web, ConferenceTeacherTime)) == 1

    unsolvable = await _form(web, f"/admin/conferences/{window_id}/publish", csrf)
    assert unsolvable.status_code == 409 and "solve it before publishing" in unsolvable.text
    await _solve(web, window_id, csrf)
    review = await web.get(f"/admin/conferences/{window_id}?done=solving&limit=5")
    assert "The solver is done" in review.text
    assert "Meetings placed: 4 of 4 requested" in review.text and "Every requested meeting is placed" in review.text
    assert "Interpreter blocks (1)" in review.text and "Rosa Vega" in review.text
    meetings = rows(web, ConferenceMeeting)
    kim_starts = [m["starts_at"] for m in meetings if m["teacher"] == teachers["Mr Kim"]["id"]]
    brk = (dt.datetime(2027, 3, 16, 16, 0, tzinfo=CHICAGO), dt.datetime(2027, 3, 16, 16, 30, tzinfo=CHICAGO))
    assert kim_starts and all(not brk[0] <= s < brk[1] for s in kim_starts)
    day = await web.get(f"/admin/conference-teachers/{teachers['Mr Kim']['id']}")
    assert day.status_code == 200 and "Nguyen family" in day.text and "Miller family" in day.text

    published = await _form(web, f"/admin/conferences/{window_id}/publish", csrf)
    assert published.status_code == 303
    assert rows(web, ConferenceWindow)[0]["status"] == "published"
    assert rows(web, InterpreterAssignment) and rows(web, Event, Event.kind == "conference")
    frozen = await _form(web, f"/admin/conferences/{window_id}/teachers", csrf, teacher=str(school["lee"]),
                         room_id=str(school["rooms"][0]), class_id=str(school["2A"]))
    assert frozen.status_code == 409

    opened = await _form(web, f"/admin/conferences/{window_id}/self-booking", csrf, open="1")
    assert opened.status_code == 303 and rows(web, ConferenceWindow)[0]["self_booking"] is True
    page = await web.get(f"/admin/conferences/{window_id}")
    assert "families book their own times" in page.text and "Close self-booking" in page.text
    closed = await _form(web, f"/admin/conferences/{window_id}/self-booking", csrf, open="0")
    assert closed.status_code == 303 and rows(web, ConferenceWindow)[0]["self_booking"] is False
    api = await ok(await web.get(f"/conference-windows/{window_id}", headers=school["admin"]))
    assert api["self_booking"] is False and len(api["evening_ids"]) == 2


async def test_self_booking_needs_a_published_week(web, school):
    csrf = await _admin_session(web, school)
    window_id = await _set_up(web, school, csrf)
    refused = await _form(web, f"/admin/conferences/{window_id}/self-booking", csrf, open="1")
    assert refused.status_code == 409 and "publish it before" in refused.text
    assert rows(web, ConferenceWindow)[0]["self_booking"] is False
    api = await web.post(f"/conference-windows/{window_id}/self-booking", json={"open": True},
                         headers=school["admin"])
    assert api.status_code == 409


async def test_postponing_an_evening_moves_every_meeting_and_tells_each_family(web, school, settings, smtp):
    csrf = await _admin_session(web, school)
    window_id = await _set_up(web, school, csrf)
    await _solve(web, window_id, csrf)
    assert (await _form(web, f"/admin/conferences/{window_id}/publish", csrf)).status_code == 303
    tuesday = next(e for e in rows(web, ConferenceEvening) if e["starts_at"].day == 16)
    before = {m["id"]: m for m in rows(web, ConferenceMeeting)}
    moved_ids = {i for i, m in before.items() if tuesday["starts_at"] <= m["starts_at"] < tuesday["ends_at"]}
    assert moved_ids
    events_before = {e["id"]: e for e in rows(web, Event, Event.kind == "conference")}
    block = rows(web, InterpreterAssignment)[0]
    rosa = rows(web, Interpreter)[0]["id"]

    async def claim() -> None:
        await InterpreterAssignment.update({InterpreterAssignment.status: "claimed",
                                            InterpreterAssignment.interpreter: rosa}).where(
            InterpreterAssignment.id == block["id"]).run()

    in_app(web, claim)
    # bad dates: named, nothing moved
    for date, why in (("2027-03-17", "already has an evening"), ("2027-13-40", "is not a date"),
                      ("2027-03-16", "another date")):
        bad = await _form(web, f"/admin/conferences/{window_id}/postpone", csrf, evening_id=str(tuesday["id"]),
                          date=date)
        assert bad.status_code == 422 and why in bad.text, (date, bad.text[:300])
    assert {m["id"]: m["starts_at"] for m in rows(web, ConferenceMeeting)} == {
        i: m["starts_at"] for i, m in before.items()}

    done = await _form(web, f"/admin/conferences/{window_id}/postpone", csrf, evening_id=str(tuesday["id"]),
                       date="2027-03-23")
    assert done.status_code == 303, done.text
    after = {m["id"]: m for m in rows(web, ConferenceMeeting)}
    for i, m in before.items():
        shift = dt.timedelta(days=7) if i in moved_ids else dt.timedelta(0)
        assert after[i]["starts_at"] == m["starts_at"] + shift and after[i]["ends_at"] == m["ends_at"] + shift
    evening = next(e for e in rows(web, ConferenceEvening) if e["id"] == tuesday["id"])
    assert evening["starts_at"] == tuesday["starts_at"] + dt.timedelta(days=7)
    for e in rows(web, Event, Event.kind == "conference"):
        old = events_before[e["id"]]
        moved = old["starts_at"] < dt.datetime(2027, 3, 17, tzinfo=dt.timezone.utc) + dt.timedelta(hours=5)
        assert e["starts_at"] == old["starts_at"] + (dt.timedelta(days=7) if moved else dt.timedelta(0))
    assert rows(web, Event, Event.id == evening["event"])[0]["earliest_date"] == dt.date(2027, 3, 23)
    after_block = rows(web, InterpreterAssignment, InterpreterAssignment.id == block["id"])[0]
    assert after_block["starts_at"] == block["starts_at"] + dt.timedelta(days=7)  # Tuesday's block
    assert after_block["status"] == "open" and after_block["interpreter"] is None  # the claim was for the 16th
    offered = rows(web, Outbox, (Outbox.kind == "assignment_open") & (Outbox.interpreter == rosa))
    assert [o["dedupe_key"] for o in offered if o["dedupe_key"].endswith(
        f":{int(after_block['starts_at'].timestamp())}")] == [f"assignment-open:{block['id']}:{rosa}:"
                                                             f"{int(after_block['starts_at'].timestamp())}"]
    event = rows(web, Event, Event.id == evening["event"])[0]
    assert event["sequence"] == events_before[evening["event"]]["sequence"] + 1
    kim_break = rows(web, ConferenceTeacherTime)[0]
    assert kim_break["starts_at"] == dt.datetime(2027, 3, 23, 16, 0, tzinfo=CHICAGO)

    told = rows(web, Outbox, Outbox.kind == "conference_postponed")
    families = {m["family"] for i, m in before.items() if i in moved_ids}
    assert sorted(o["family"] for o in told) == sorted(families)  # each once
    assert {o["language"] for o in told if o["family"] == school["garcia"]} <= {"es"}
    mail = dict(settings.__dict__)
    import dataclasses

    report = in_app(web, sweeps.deliver, dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port),
                    dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc))
    assert report.sent >= len(told), mail
    # each family once, in its own language (the Garcias read Spanish)
    postponed = [m for m in smtp.inbox.messages if str(m["Subject"]).startswith(("Postponed", "Aplazado"))]
    assert len(postponed) == len(told)
    english = next(m for m in postponed if str(m["Subject"]).startswith("Postponed"))
    body = english.get_body(("plain",)).get_content()
    assert "are postponed to Tuesday, March 23, 2027" in body and "Tuesday, March 16, 2027" in body
    if any(o["language"] == "es" for o in told):
        spanish = next(m for m in postponed if str(m["Subject"]).startswith("Aplazado"))
        assert "23 de marzo de 2027" in spanish.get_body(("plain",)).get_content()


async def test_a_teacher_signs_in_by_e_mail_sees_the_day_and_edits_times_until_the_solve(web, school, smtp):
    csrf = await _admin_session(web, school)
    window_id = await _set_up(web, school, csrf)
    # the staff page makes the teacher's account and e-mails the sign-in link
    invited = await _form(web, "/admin/staff", csrf, name="Ms Lee", email="lee@example.org", role="teacher")
    assert invited.status_code == 303 and "invited" in invited.headers["location"], invited.text
    web.cookies.clear()
    link = re.search(r"/signin/(\S+)", smtp.inbox.messages[-1].get_content()).group(1)
    signed = await web.post("/signin/link", data={"token": link})
    assert signed.status_code == 303 and signed.headers["location"] == "/teacher"
    home = await web.get("/teacher")
    assert home.status_code == 200 and "Ms Lee · Spring conferences" in home.text and "Room 11" in home.text
    tcsrf = CSRF.search(home.text).group(1)
    lee = next(t for t in rows(web, ConferenceTeacher) if t["name"] == "Ms Lee")
    kim = next(t for t in rows(web, ConferenceTeacher) if t["name"] == "Mr Kim")

    added = await _form(web, "/teacher/times", tcsrf, teacher_id=str(lee["id"]), kind="unavailable",
                        date="2027-03-17", start="17:00", end="18:00")
    assert added.status_code == 303, added.text
    assert [t["kind"] for t in rows(web, ConferenceTeacherTime, ConferenceTeacherTime.teacher == lee["id"])] == [
        "unavailable"]
    bad = await _form(web, "/teacher/times", tcsrf, teacher_id=str(lee["id"]), kind="break", date="2027-03-17",
                      start="18:00", end="17:00")
    assert bad.status_code == 422 and 'value="18:00"' in bad.text
    # another teacher's week: refused, nothing written
    other = await _form(web, "/teacher/times", tcsrf, teacher_id=str(kim["id"]), kind="break", date="2027-03-17",
                        start="16:00", end="16:10")
    assert other.status_code == 403
    assert len(rows(web, ConferenceTeacherTime, ConferenceTeacherTime.teacher == kim["id"])) == 1
    assert (await web.get("/admin/conferences")).status_code == 403  # not an administrator's page

    # the administrator solves: the teacher's times are frozen, with a clear message
    web.cookies.clear()
    csrf = await _admin_session(web, school)
    await _solve(web, window_id, csrf)
    web.cookies.clear()
    signed = await web.post("/signin/token", data={"token": await _teacher_token(web, lee["email"]), "next": "/"})
    assert signed.status_code == 303
    home = await web.get("/teacher")
    tcsrf = CSRF.search(home.text).group(1)
    assert "can no longer be changed here" in home.text
    refused = await _form(web, "/teacher/times", tcsrf, teacher_id=str(lee["id"]), kind="break", date="2027-03-16",
                          start="16:00", end="16:10")
    assert refused.status_code == 409 and "ask the school office" in refused.text
    time_id = rows(web, ConferenceTeacherTime, ConferenceTeacherTime.teacher == lee["id"])[0]["id"]
    removal = await _form(web, "/teacher/times/delete", tcsrf, teacher_id=str(lee["id"]), time_id=str(time_id))
    assert removal.status_code == 409
    assert "Nguyen family" not in home.text  # proposals stay with the office until published

    web.cookies.clear()
    csrf = await _admin_session(web, school)
    assert (await _form(web, f"/admin/conferences/{window_id}/publish", csrf)).status_code == 303
    garcia_meeting = next(m for m in rows(web, ConferenceMeeting) if m["family"] == school["garcia"])

    async def topic() -> None:
        await ConferenceMeeting.update({ConferenceMeeting.topic: "How she learns best in reading"}).where(
            ConferenceMeeting.id == garcia_meeting["id"]).run()

    in_app(web, topic)
    web.cookies.clear()
    await web.post("/signin/token", data={"token": await _teacher_token(web, lee["email"]), "next": "/"})
    home = await web.get("/teacher")
    assert "Nguyen family" in home.text and "Garcia family" in home.text and "Nguyen0" in home.text
    assert "How she learns best in reading" in home.text and 'class="evening"' in home.text
    assert "Miller family" not in home.text  # Mr Kim's family
    tcsrf = CSRF.search(home.text).group(1)
    feed = await _form(web, "/teacher/feed-link", tcsrf, teacher_id=str(lee["id"]))
    assert feed.status_code == 200
    url = re.search(r'id="private-url" readonly value="([^"]+)"', feed.text).group(1)
    ics = await web.get(url.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert ics.status_code == 200 and "Garcia family" in ics.text
    not_mine = await _form(web, "/teacher/feed-link", tcsrf, teacher_id=str(kim["id"]))
    assert not_mine.status_code == 403


async def _teacher_token(web, email: str) -> str:
    """A fresh API token for the teacher account (a shortcut past a second e-mailed link)."""
    from scheduler.accounts.tables import User
    from scheduler.core.auth import hash_api_token, new_api_token

    token = new_api_token()

    async def set_token() -> None:
        await User.update({User.token_hash: hash_api_token(token)}).where(
            (User.email == email) & (User.role == "teacher")).run()

    in_app(web, set_token)
    return token


async def test_while_solving_the_page_polls_and_refuses_a_second_solve(web, school):
    csrf = await _admin_session(web, school)
    window_id = await _set_up(web, school, csrf)

    async def solving() -> None:
        await ConferenceWindow.update({ConferenceWindow.status: "solving",
                                       ConferenceWindow.solve_started_at: dt.datetime.now(dt.timezone.utc)}).where(
            ConferenceWindow.id == window_id).run()

    in_app(web, solving)
    progress = await web.get(f"/admin/conferences/{window_id}/progress?limit=60")
    assert progress.status_code == 200 and "The solver is placing the meetings" in progress.text
    assert 'hx-get="/admin/conferences/%d/progress?limit=60"' % window_id in progress.text
    assert "of at most 60 seconds" in progress.text
    odd = await web.get(f"/admin/conferences/{window_id}/progress?limit=99999")
    assert odd.status_code == 200 and "of at most 20 seconds" in odd.text
    page = await web.get(f"/admin/conferences/{window_id}")
    assert 'id="progress"' in page.text and 'id="solve-button"' not in page.text
    second = await _form(web, f"/admin/conferences/{window_id}/solve", csrf, time_limit="5")
    assert second.status_code == 409 and "is solving" in second.text
    brk = await _form(web, f"/admin/conference-teachers/{rows(web, ConferenceTeacher)[0]['id']}/times", csrf,
                      kind="break", date="2027-03-16", start="17:00", end="17:10")
    assert brk.status_code == 409 and len(rows(web, ConferenceTeacherTime)) == 1
    late = await _form(web, f"/admin/conferences/{window_id}/postpone", csrf,
                       evening_id=str(rows(web, ConferenceEvening)[0]["id"]), date="2027-03-24")
    assert late.status_code == 409


async def test_the_api_adds_roster_teachers_and_postpones_a_draft_without_telling_anyone(web, school):
    admin = school["admin"]
    window = await ok(await web.post("/schools/lincoln/conference-windows", json={
        "name": "API week", "evenings": [{"start": "2027-03-16T16:00", "end": "2027-03-16T18:00"}]}, headers=admin),
        201)
    teacher = await ok(await web.post(f"/conference-windows/{window['id']}/roster-teachers", json={
        "teacher_id": school["lee"], "room_id": school["rooms"][0], "class_ids": [school["2A"]]}, headers=admin), 201)
    assert teacher["name"] == "Ms Lee" and teacher["email"] == "lee@example.org" and len(teacher["child_ids"]) == 2
    wrong = await web.post(f"/conference-windows/{window['id']}/roster-teachers", json={
        "teacher_id": school["kim"], "room_id": school["rooms"][1], "class_ids": [school["2A"]]}, headers=admin)
    assert wrong.status_code == 422 and "class_ids" in wrong.text
    read = await ok(await web.get(f"/conference-windows/{window['id']}", headers=admin))
    moved = await ok(await web.post(f"/conference-windows/{window['id']}/postpone", json={
        "evening_id": read["evening_ids"][0], "date": "2027-03-18"}, headers=admin))
    assert moved["evenings"][0]["start"].startswith("2027-03-18T16:00")
    assert rows(web, Outbox, Outbox.kind == "conference_postponed") == []
    bad = await web.post(f"/conference-windows/{window['id']}/postpone", json={
        "evening_id": read["evening_ids"][0], "date": "2020-01-01"}, headers=admin)
    assert bad.status_code == 422 and "date" in bad.text
