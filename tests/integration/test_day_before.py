"""The day before, on each engine: conference evenings asked "will you come?" and interpreters "will you be
there?" -- through the real sweeps and sender, a local server speaking Twilio's protocol, real SMTP, and the
pages over HTTP.

The week of ``test_conference_family.setup_week``: one evening, Tuesday 16 March 2027 in Chicago; the Garcia
family (Spanish, interpreted, two meetings), the Nguyen family (English, one meeting with Ms Lee), the Ortiz
family left unplaced (it may book a free time itself); Rosa Vega interprets Spanish.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from litestar.testing import AsyncTestClient

from scheduler.app import create_app
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.tables import ConferenceConfirmation, ConferenceMeeting
from scheduler.families.tables import Family
from scheduler.notifications import signed, sweeps
from scheduler.notifications.sms_text import plain
from scheduler.notifications.tables import Outbox
from tests.integration.helpers import family_user, in_app, ok, rows, sign_in
from tests.integration.test_conference_family import PUBLISHED_AT, setup_week
from tests.integration.twilio_server import FROM, SID, TOKEN, twilio_sign

PUBLIC = "http://127.0.0.1:8000"
PHONE = "+16125550177"
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def day_settings(settings, smtp, twilio):
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port, sms_provider="twilio",
                               twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_from=FROM,
                               twilio_base_url=twilio.base_url)


@pytest.fixture
async def web(day_settings):
    async with AsyncTestClient(app=create_app(day_settings)) as c:
        c.follow_redirects = False
        yield c


async def texted(client, body: str, sid: str, phone: str = PHONE):
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": SID, "From": phone, "To": FROM, "Body": body,
              "NumMedia": "0"}
    headers = {"X-Twilio-Signature": twilio_sign(TOKEN, PUBLIC + "/sms/twilio/inbound", params)}
    return await client.post("/sms/twilio/inbound", data=params, headers=headers)


async def accepted_week(client, settings) -> dict:
    """The published week with every placed family's meetings accepted and the publication mail sent."""
    week = await setup_week(client)
    for fam in ("garcia", "nguyen"):
        await ok(await client.post(f"/families/{week[fam]}/conferences/accept", headers=week["admin"]))
    in_app(client, sweeps.deliver, settings, PUBLISHED_AT)
    return week


def meetings_of(client, family_id: int) -> list[dict]:
    return sorted(rows(client, ConferenceMeeting, ConferenceMeeting.family == family_id), key=lambda m: m["starts_at"])


def link(message, path: str) -> str:
    return re.search(rf"https?://\S+({path}[\w.\-=]+)", message.get_body(("plain",)).get_content()).group(1)


def mail_to(smtp, address: str, subject: str) -> list:
    return [m for m in smtp.inbox.messages if m["To"] == address and str(m["Subject"]).startswith(subject)]


async def staff(client, week, role: str, name: str, email: str, **extra) -> str:
    """A school account made through the API; its bearer token (also what signs it in on the pages)."""
    body = await ok(await client.post("/schools/lincoln/users", json={"role": role, "name": name, "email": email,
                                                                      **extra}, headers=week["admin"]), 201)
    return body["token"]


async def test_a_conference_evening_is_asked_once_by_mail_and_text_and_a_texted_no_frees_the_slot(
        web, day_settings, smtp, twilio):
    week = await accepted_week(web, day_settings)
    async def texts_too() -> None:
        await Family.update({Family.phone: PHONE, Family.channels: "both"}).where(Family.id == week["nguyen"]).run()
    in_app(web, texts_too)
    (nguyen_meeting,) = meetings_of(web, week["nguyen"])
    first = min(m["starts_at"] for m in rows(web, ConferenceMeeting))
    day_before = first - dt.timedelta(hours=20)

    assert in_app(web, sweeps.run_sweeps, day_settings, first - dt.timedelta(hours=25))["day_before"] == 0  # too early
    counts, _report = in_app(web, sweeps.run_once, day_settings, day_before)
    assert counts["day_before"] == 2  # Garcia and Nguyen, one question each for the evening
    assert in_app(web, sweeps.run_once, day_settings, day_before + dt.timedelta(minutes=5))[0]["day_before"] == 0
    asked = rows(web, Outbox, Outbox.kind == "conference_question")
    assert sorted((r["family"], r["channel"]) for r in asked) == sorted(
        [(week["garcia"], "email"), (week["nguyen"], "email"), (week["nguyen"], "sms")])
    assert {r["status"] for r in asked} == {"sent"}

    # the e-mail names every meeting of the evening; the Garcias read it in Spanish
    (garcia_mail,) = [m for m in smtp.inbox.messages if m["To"] == "garcia@example.org"
                      and "/confirm/conferences/" in m.get_body(("plain",)).get_content()]
    text = garcia_mail.get_body(("plain",)).get_content()
    assert "Ms Lee" in text and "Mr Kim" in text and "martes, 16 de marzo de 2027" in text
    (nguyen_mail,) = mail_to(smtp, "nguyen@example.org", "Will you come? Your conferences on Tuesday, March 16, 2027")
    clock = plain(format_time(nguyen_meeting["starts_at"].astimezone(CHICAGO), "short", locale="en"))
    assert f"Ms Lee ({clock})" in plain(nguyen_mail.get_body(("plain",)).get_content())
    # the text: the family's first meeting (not the evening's start), how to answer, the link
    (question,) = [t for t in twilio.to(PHONE) if "Reply YES or NO" in t["Body"]]
    assert clock in question["Body"] and "/confirm/conferences/" in question["Body"]

    # the family texts NO: its meeting is cancelled through the usual path, and the slot is free
    assert (await texted(web, "NO", "SM-conf-no")).status_code == 200
    assert meetings_of(web, week["nguyen"])[0]["status"] == "cancelled"
    (answer,) = rows(web, ConferenceConfirmation, ConferenceConfirmation.family == week["nguyen"])
    assert (answer["answer"], answer["channel"]) == ("no", "sms")
    assert len(rows(web, Outbox, Outbox.kind == "conference_cancelled", Outbox.family == week["nguyen"])) == 1
    ortiz = await family_user(web, week["admin"], week["ortiz"])
    (offer,) = await ok(await web.get(f"/families/{week['ortiz']}/conference-slots", headers=ortiz))
    freed = nguyen_meeting["starts_at"].astimezone(CHICAGO).strftime("%Y-%m-%dT%H:%M")
    assert freed in [s["start"] for s in offer["slots"]]
    booked = await ok(await web.post(f"/families/{week['ortiz']}/conference-bookings", json={
        "teacher_id": offer["teacher_id"], "start": freed}, headers=ortiz), 201)
    assert booked["status"] == "accepted"
    # a second NO, and the now-stale question, change nothing
    assert (await texted(web, "NO", "SM-conf-no-2")).status_code == 200
    assert [m["status"] for m in meetings_of(web, week["ortiz"])] == ["accepted"]


async def test_a_moved_meeting_is_asked_again_and_the_email_link_answers_yes_but_refuses_forgeries(
        web, day_settings, smtp):
    week = await accepted_week(web, day_settings)
    first = min(m["starts_at"] for m in rows(web, ConferenceMeeting))
    day_before = first - dt.timedelta(hours=20)
    assert in_app(web, sweeps.run_sweeps, day_settings, day_before)["day_before"] == 2  # queued, not sent yet

    # Nguyen moves its meeting before the question goes: the queued question (old time) is not sent,
    # a new one names the new time
    nguyen = await family_user(web, week["admin"], week["nguyen"])
    (meeting,) = meetings_of(web, week["nguyen"])
    slots = await ok(await web.get(f"/conference-meetings/{meeting['id']}/free-slots", headers=nguyen))
    await ok(await web.post(f"/conference-meetings/{meeting['id']}/move", json={"start": slots[-1]["start"]},
                            headers=nguyen))
    counts, _report = in_app(web, sweeps.run_once, day_settings, day_before + dt.timedelta(minutes=2))
    assert counts["day_before"] == 1
    old, new = sorted(rows(web, Outbox, Outbox.kind == "conference_question", Outbox.family == week["nguyen"]),
                      key=lambda r: r["id"])
    assert (old["status"], new["status"]) == ("skipped", "sent")
    (moved,) = meetings_of(web, week["nguyen"])
    (asked,) = mail_to(smtp, "nguyen@example.org", "Will you come?")
    clock = plain(format_time(moved["starts_at"].astimezone(CHICAGO), "short", locale="en"))
    assert f"Ms Lee ({clock})" in plain(asked.get_body(("plain",)).get_content())

    (mail,) = [m for m in smtp.inbox.messages if m["To"] == "garcia@example.org"
               and "/confirm/conferences/" in m.get_body(("plain",)).get_content()]
    path = link(mail, "/confirm/conferences/")
    page = await web.get(path)
    assert page.status_code == 200 and 'lang="es"' in page.text and 'name="answer" value="no"' in page.text
    assert "Ms Lee" in page.text and "Mr Kim" in page.text
    bad = await web.post(path, data={"answer": "maybe"})
    assert bad.status_code in (400, 422) and 'name="answer" value="yes"' in bad.text
    assert (await web.post(path.rsplit(".", 1)[0] + ".forged", data={"answer": "no"})).status_code == 403
    confirmation_id = int(path.rsplit("/", 1)[1].split(".")[0])
    # a link we signed for another purpose (the events' question) opens nothing here
    other = signed.token(day_settings, "attendance", confirmation_id)
    assert (await web.post(f"/confirm/conferences/{other}", data={"answer": "no"})).status_code == 403
    assert (await web.post(path, data={"answer": "yes"})).status_code == 303
    assert (await web.post(path, data={"answer": "yes"})).status_code == 303  # the same answer again: no change
    garcia = [r for r in rows(web, ConferenceConfirmation) if r["family"] == week["garcia"]]
    assert [(r["answer"], r["channel"]) for r in garcia] == [("yes", "web")]
    assert {m["status"] for m in meetings_of(web, week["garcia"])} == {"accepted"}
    assert in_app(web, sweeps.run_sweeps, day_settings, day_before + dt.timedelta(hours=1))["day_before"] == 0

    # the school sees it: a count on the conference page, a mark on the teacher's day
    principal = await staff(web, week, "admin", "Principal", "principal@example.org")
    await sign_in(web, principal)
    admin_page = (await web.get(f"/admin/conferences/{week['window']['id']}")).text
    assert "2 families asked, 1 will come, 0 cannot" in admin_page
    web.cookies.clear()
    await sign_in(web, await staff(web, week, "teacher", "Ms Lee", "lee@example.org"))
    day = (await web.get("/teacher")).text
    assert day.count("coming: said yes the day before") == 1  # Garcia's meeting with Ms Lee, not Nguyen's


async def test_an_interpreter_who_cannot_come_releases_the_work_and_the_coordinator_is_told(web, day_settings, smtp):
    week = await setup_week(web)
    await staff(web, week, "admin", "Coordinator", "coordinator@example.org")
    luis = await ok(await web.post("/schools/lincoln/interpreters", json={
        "name": "Luis", "email": "luis@example.org", "languages": ["es"]}, headers=week["admin"]), 201)
    rosa = {"Authorization": "Bearer " + await staff(web, week, "interpreter", "Rosa", "rosa@example.org",
                                                       interpreter_id=week["rosa"])}
    (work,) = rows(web, InterpreterAssignment)
    await ok(await web.post(f"/assignments/{work['id']}/claim", headers=rosa))
    in_app(web, sweeps.deliver, day_settings, PUBLISHED_AT)
    smtp.inbox.messages.clear()
    day_before = work["starts_at"] - dt.timedelta(hours=20)

    counts, _ = in_app(web, sweeps.run_once, day_settings, day_before)
    assert counts["day_before"] >= 1
    assert in_app(web, sweeps.run_sweeps, day_settings, day_before + dt.timedelta(minutes=5))["day_before"] == 0
    (question,) = mail_to(smtp, "rosa@example.org", "Will you be there? Interpreting (Spanish)")
    path = link(question, "/confirm/interpreting/")
    page = await web.get(path)
    assert page.status_code == 200 and "I cannot come" in page.text and "I will be there" in page.text
    assert (await web.get(path.rsplit(".", 1)[0] + ".forged")).status_code == 403
    # a link we signed for this work but for another interpreter: not theirs
    theirs = signed.token(day_settings, "interpreting", work["id"], luis["id"])
    assert (await web.post(f"/confirm/interpreting/{theirs}", data={"answer": "no"})).status_code == 403
    assert rows(web, InterpreterAssignment)[0]["status"] == "claimed"

    done = await web.post(path, data={"answer": "no"})
    assert done.status_code == 200 and "open for others again" in done.text
    (after,) = rows(web, InterpreterAssignment)
    assert (after["status"], after["interpreter"]) == ("open", None)
    assert (await web.get(path)).status_code == 403  # the work is no longer Rosa's
    in_app(web, sweeps.deliver, day_settings, day_before + dt.timedelta(minutes=6))
    assert mail_to(smtp, "luis@example.org", "Interpreter needed (Spanish)")  # offered again
    (told,) = mail_to(smtp, "coordinator@example.org", "Interpreter cannot come (Spanish)")
    assert "Rosa Vega cannot come" in told.get_body(("plain",)).get_content()
    # open work is nobody's to confirm: no "unconfirmed" escalation follows
    in_app(web, sweeps.run_once, day_settings, work["starts_at"] - dt.timedelta(hours=3))
    assert not rows(web, Outbox, Outbox.kind == "interpreter_unconfirmed")


async def test_an_unanswered_interpreter_is_escalated_once_and_a_yes_on_the_board_settles_it(
        web, day_settings, smtp):
    week = await setup_week(web)
    await staff(web, week, "admin", "Coordinator", "coordinator@example.org")
    token = await staff(web, week, "interpreter", "Rosa", "rosa@example.org", interpreter_id=week["rosa"])
    (work,) = rows(web, InterpreterAssignment)
    await ok(await web.post(f"/assignments/{work['id']}/claim", headers={"Authorization": f"Bearer {token}"}))
    late = work["starts_at"] - dt.timedelta(hours=11)  # inside FB_INTERPRETER_CONFIRM_HOURS (12)
    assert in_app(web, sweeps.run_sweeps, day_settings, work["starts_at"] - dt.timedelta(hours=13))["day_before"] >= 1
    assert not rows(web, Outbox, Outbox.kind == "interpreter_unconfirmed")  # not yet: 13 h before
    in_app(web, sweeps.run_once, day_settings, late)
    in_app(web, sweeps.run_once, day_settings, late + dt.timedelta(minutes=5))  # the sweep twice: told once
    (escalated,) = mail_to(smtp, "coordinator@example.org", "Interpreter unconfirmed (Spanish)")
    assert "Rosa Vega has not confirmed" in escalated.get_body(("plain",)).get_content()
    assert len(rows(web, Outbox, Outbox.kind == "interpreter_unconfirmed")) == 1

    principal = await staff(web, week, "admin", "Principal", "principal@example.org")
    await sign_in(web, principal)
    planner = f"/planner/events/{work['event']}/interpreters"
    # the real clock is a year before the event: the "waiting" mark shows only within 24 h, "yes" always
    assert "Will be there" not in (await web.get(planner)).text
    web.cookies.clear()

    csrf = await sign_in(web, token)
    async def soon() -> None:  # the work is tomorrow, as the board sees it by the real clock
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=20)
        await InterpreterAssignment.update({InterpreterAssignment.starts_at: start,
                                            InterpreterAssignment.ends_at: start + dt.timedelta(hours=1)}).where(
            InterpreterAssignment.id == work["id"]).run()
    in_app(web, soon)
    board = (await web.get("/interpreter")).text
    assert f'action="/interpreter/assignments/{work["id"]}/day-before"' in board
    bad = await web.post(f"/interpreter/assignments/{work['id']}/day-before", data={"csrf": csrf, "answer": "maybe"})
    assert bad.status_code in (400, 422)
    said = await web.post(f"/interpreter/assignments/{work['id']}/day-before", data={"csrf": csrf, "answer": "yes"})
    assert said.status_code == 303 and "coming" in said.headers["location"]
    assert rows(web, InterpreterAssignment)[0]["day_before_answer"] == "yes"
    assert "You said you will be there." in (await web.get("/interpreter")).text
    web.cookies.clear()
    await sign_in(web, principal)
    assert "Will be there: confirmed the day before" in (await web.get(planner)).text
    # answered: the escalation sweep finds nothing more to say
    assert in_app(web, sweeps.run_sweeps, day_settings, dt.datetime.now(dt.timezone.utc))["day_before"] == 0
    assert rows(web, InterpreterAssignment)[0]["status"] == "claimed"
