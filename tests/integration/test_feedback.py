"""After an event, end to end: the thank-you and the we-missed-you, feedback by link and by text, the school's
summary, the inbox API and texts from numbers no family has.

Real app on both engines, real SMTP (aiosmtpd), a local server speaking
Twilio's protocol, the real sweep and sender (``sweeps.run_once`` with a
``now``). Check-ins are written as rows: the door's check-in is another
feature's, and feedback only needs to know who came.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from litestar.testing import AsyncTestClient

from resources.tables import School
from scheduler.app import create_app
from scheduler.attendance.tables import CheckIn, Feedback
from scheduler.bookings.tables import Registration
from scheduler.events.tables import Event
from scheduler.notifications import sweeps
from scheduler.notifications.sms_text import render_sms, segments
from scheduler.notifications.tables import Outbox, SmsInbound, SmsOptOut
from tests.integration.helpers import (
    CSRF,
    family_user,
    in_app,
    make_event,
    make_school,
    make_user,
    ok,
    publish,
    rows,
)
from tests.integration.test_notifications import html_of, text_of
from tests.integration.test_sms import PUBLIC, SOMALI_PHONE, family, inbound

START = "2027-03-15T23:00:00+00:00"  # 18:00 in Chicago
NEXT_START = "2027-03-22T23:00:00+00:00"  # the next session of the series, a week later
AFTER = dt.datetime.fromisoformat(START) + dt.timedelta(minutes=90 + 120)  # two hours after the end
UNKNOWN = "+16125550999"


@pytest.fixture
async def client(sms_settings):
    async with AsyncTestClient(app=create_app(sms_settings)) as c:
        c.follow_redirects = False
        yield c


def check_in(client, event_id: int, families: list[dict]) -> None:
    """The door's check-ins, as the check-in feature writes them."""
    async def insert() -> None:
        for fam in families:
            reg = await Registration.select(Registration.id).where(
                (Registration.event == event_id) & (Registration.family == fam["id"])).first().run()
            await CheckIn.insert(CheckIn(event=event_id, registration=reg["id"] if reg else None, family=fam["id"],
                                         client_ref=uuid.uuid4().hex)).run()

    in_app(client, insert)


async def world(client) -> dict:
    """Math Night (two sessions of a series): the Somali family (texts) and the Spanish one came, the English
    one registered and stayed home; Art Night had registrations but no check-in at the door."""
    admin = await make_user(client)
    school = await make_school(client, admin)
    first = await make_event(client, admin, title="Math Night", earliest_date="2027-03-15", latest_date="2027-03-22")
    second = await make_event(client, admin, title="Math Night", earliest_date="2027-03-15",
                              latest_date="2027-03-22")
    art = await make_event(client, admin, title="Art Night", earliest_date="2027-03-15", latest_date="2027-03-15")
    publish(client, first["id"], start_utc=START, seats=100)
    publish(client, second["id"], start_utc=NEXT_START, seats=100)
    publish(client, art["id"], start_utc=START, seats=100)

    async def series() -> None:
        await Event.update({Event.series: first["id"]}).where(Event.id.is_in([first["id"], second["id"]])).run()

    in_app(client, series)
    so = await family(client, admin, first["id"], "Warsame family", "so", "warsame@example.org", SOMALI_PHONE, "sms")
    es = await family(client, admin, first["id"], "García family", "es", "garcia@example.org")
    en = await family(client, admin, first["id"], "Smith family", "en", "smith@example.org")
    await ok(await client.post(f"/events/{art['id']}/registrations", json={"family_id": es["id"]}, headers=admin),
             201)
    check_in(client, first["id"], [so, es])
    return {"admin": admin, "school": school, "event": first, "next": second, "art": art, "so": so, "es": es,
            "en": en}


def after_mail(smtp, to: str) -> list:
    return [m for m in smtp.inbox.messages if m["To"] == to and (
        "/feedback/" in text_of(m) or "missed" in str(m["Subject"]).lower())]


async def test_thanks_go_once_to_who_came_in_their_language_and_the_no_show_hears_of_the_next_session(
        client, sms_settings, smtp, twilio):
    w = await world(client)
    counts, _report = in_app(client, sweeps.run_once, sms_settings, AFTER)
    assert counts["thanks"] == 3  # two thank-yous, one we-missed-you; nothing for Art Night (no check-ins)
    assert in_app(client, sweeps.run_once, sms_settings, AFTER)[0]["thanks"] == 0  # the sweep again: nothing twice
    assert in_app(client, sweeps.run_once, sms_settings, AFTER + dt.timedelta(hours=5))[0]["thanks"] == 0
    after = rows(client, Outbox, Outbox.kind.is_in(["thank_you", "missed_you"]))
    assert {(r["kind"], r["family"], r["event"]) for r in after if r["channel"] == "email"} == {
        ("thank_you", w["so"]["id"], w["event"]["id"]), ("thank_you", w["es"]["id"], w["event"]["id"]),
        ("missed_you", w["en"]["id"], w["event"]["id"])}
    assert not [r for r in after if r["event"] == w["art"]["id"]]

    # the Spanish family: one e-mail, in Spanish, with its own signed link
    mails = after_mail(smtp, "garcia@example.org")
    assert len(mails) == 1 and mails[0]["Content-Language"] == "es" and 'lang="es"' in html_of(mails[0])
    assert re.search(rf"{PUBLIC}/feedback/{w['event']['id']}\.{w['es']['id']}\.\S+", text_of(mails[0]))
    assert "invitation.ics" not in mails[0].as_string()  # the event is over: no calendar invitation
    # the Somali family: one text in Somali, asking for 1-5, with its link; no e-mail (it chose texts)
    texts = [t for t in twilio.to(SOMALI_PHONE) if "/feedback/" in t["Body"]]
    assert len(texts) == 1 and segments(texts[0]["Body"]).count <= 2
    link = re.search(r"\S+/feedback/\S+", texts[0]["Body"]).group(0)
    assert texts[0]["Body"] == render_sms("thank_you", "so", title="Math Night", starts_at=None, timezone="UTC",
                                          place="", link=link)
    assert after_mail(smtp, "warsame@example.org") == []
    # the family that stayed home: we missed you, and the next session of the series, in the school's time
    missed = after_mail(smtp, "smith@example.org")
    assert len(missed) == 1 and str(missed[0]["Subject"]) == "We missed you: Math Night"
    body = " ".join(text_of(missed[0]).split())
    assert "The next session, Math Night, is on Monday, March 22, 2027 at 6:00" in body
    assert f"{PUBLIC}/family" in body and "/feedback/" not in body


async def test_without_a_next_session_the_no_show_hears_only_that_we_missed_them(client, sms_settings, smtp):
    w = await world(client)

    async def unpublish() -> None:
        await Event.update({Event.status: "cancelled"}).where(Event.id == w["next"]["id"]).run()

    in_app(client, unpublish)
    in_app(client, sweeps.run_once, sms_settings, AFTER)
    missed = after_mail(smtp, "smith@example.org")
    assert len(missed) == 1 and "next session" not in text_of(missed[0]) and f"{PUBLIC}/family" in text_of(missed[0])


async def test_feedback_by_link_is_checked_kept_and_replaced(client, sms_settings, smtp):
    w = await world(client)
    in_app(client, sweeps.run_once, sms_settings, AFTER)
    path = re.search(r"https?://\S+?(/feedback/\S+)", text_of(after_mail(smtp, "garcia@example.org")[0])).group(1)
    page = await client.get(path)
    assert page.status_code == 200 and 'lang="es"' in page.text and page.text.count('name="score"') == 5
    assert 'name="comment"' in page.text and rows(client, Feedback) == []  # opening the page answers nothing

    bad = await client.post(path, data={"score": "7", "comment": "Muy bien"})
    assert bad.status_code in (400, 422) and 'id="score-error"' in bad.text and "Muy bien" in bad.text
    bad = await client.post(path, data={"score": "4", "comment": "hola\x01"})  # refused as every form's field is
    assert bad.status_code == 400 and "comment" in bad.text
    assert rows(client, Feedback) == []
    forged = path.rsplit(".", 1)[0] + ".forged"
    assert (await client.post(forged, data={"score": "1"})).status_code == 403
    other = path.replace(f".{w['es']['id']}.", f".{w['so']['id']}.")  # another family's id, this family's signature
    assert (await client.get(other)).status_code == 403

    assert (await client.post(path, data={"score": "4", "comment": "Muy bien, gracias"})).status_code == 303
    assert (await client.post(path, data={"score": "5", "comment": ""})).status_code == 303  # replaces
    kept = rows(client, Feedback)
    assert [(f["family"], f["score"], f["comment"], f["channel"], f["language"]) for f in kept] == [
        (w["es"]["id"], 5, "", "web", "es")]
    assert "5" in (await client.get(path)).text


async def test_texted_scores_answer_the_thank_you_with_their_comment(client, sms_settings, smtp, twilio):
    w = await world(client)
    in_app(client, sweeps.run_once, sms_settings, AFTER)
    assert (await inbound(client, "5", "SM-fb-1")).status_code == 200
    kept = rows(client, Feedback)
    assert [(f["family"], f["score"], f["comment"], f["channel"], f["language"]) for f in kept] == [
        (w["so"]["id"], 5, "", "sms", "so")]
    # "1" is YES to a yes/no question, but the last question here is the thank-you: a score of 1
    assert (await inbound(client, "1", "SM-fb-2")).status_code == 200
    assert [f["score"] for f in rows(client, Feedback)] == [1]
    assert (await inbound(client, "3 too late for us", "SM-fb-3")).status_code == 200
    kept = rows(client, Feedback)
    assert [(f["score"], f["comment"]) for f in kept] == [(3, "too late for us")]
    got = rows(client, SmsInbound)
    assert [g["handled_as"] for g in got] == ["feedback"] * 3 and all(g["answers"] for g in got)
    # words without a score are a message for the school, not feedback
    assert (await inbound(client, "Mahadsanid", "SM-fb-4")).status_code == 200
    assert rows(client, SmsInbound, SmsInbound.provider_ref == "SM-fb-4")[0]["handled_as"] == "inbox"
    assert [(f["score"], f["comment"]) for f in rows(client, Feedback)] == [(3, "too late for us")]


async def test_the_schools_summary_counts_and_quotes_but_names_nobody(client, sms_settings, smtp, twilio):
    w = await world(client)
    in_app(client, sweeps.run_once, sms_settings, AFTER)
    await inbound(client, "3 too late for us", "SM-sum-1")
    path = re.search(r"https?://\S+?(/feedback/\S+)", text_of(after_mail(smtp, "garcia@example.org")[0])).group(1)
    assert (await client.post(path, data={"score": "5", "comment": "¡Muy útil!"})).status_code == 303

    got = await ok(await client.get(f"/events/{w['event']['id']}/feedback", headers=w["admin"]))
    assert got["counts"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1} and got["average"] == 4.0
    assert (got["answers"], got["checked_in"]) == (2, 2)
    assert sorted((c["score"], c["comment"], c["language"], c["channel"]) for c in got["comments"]) == [
        (3, "too late for us", "so", "sms"), (5, "¡Muy útil!", "es", "web")]
    raw = (await client.get(f"/events/{w['event']['id']}/feedback", headers=w["admin"])).text
    assert "Warsame" not in raw and "García" not in raw and "family" not in raw
    empty = await ok(await client.get(f"/events/{w['art']['id']}/feedback", headers=w["admin"]))
    assert empty["answers"] == 0 and empty["average"] is None

    # who may read it: the school's admins, not a family, not another school's admin
    fam = await family_user(client, w["admin"], w["es"]["id"])
    assert (await client.get(f"/events/{w['event']['id']}/feedback", headers=fam)).status_code == 403
    other_admin = await make_user(client)
    await make_school(client, other_admin, slug="roosevelt")
    roosevelt_id = rows(client, School, School.slug == "roosevelt")[0]["id"]
    theirs = await make_user(client, "admin", roosevelt_id)
    assert (await client.get(f"/events/{w['event']['id']}/feedback", headers=theirs)).status_code == 403

    # the page: scores in words, comments with their language, no names
    r = await client.post("/signin/token", data={"token": w["admin"]["Authorization"].removeprefix("Bearer "),
                                                 "next": "/"})
    assert r.status_code == 303
    page = await client.get(f"/admin/events/{w['event']['id']}/feedback")
    assert page.status_code == 200 and "too late for us" in page.text and "Somali" in page.text
    assert "Warsame" not in page.text and "García" not in page.text
    assert f"/admin/events/{w['event']['id']}/feedback" in (await client.get(f"/admin/events/{w['event']['id']}")).text


async def test_the_inbox_api_lists_and_answers_by_text_for_the_schools_admins_only(client, sms_settings, twilio):
    w = await world(client)
    words = "Ma iman karo, wiilkaygu wuu jiran yahay"
    await inbound(client, words, "SM-in-1")
    listed = await ok(await client.get("/schools/lincoln/inbox", headers=w["admin"]))
    assert [(m["body"], m["language"], m["family_id"], m["family_name"], m["unknown_number"], m["reply_status"])
            for m in listed] == [(words, "so", w["so"]["id"], "Warsame family", False, "")]
    inbound_id = listed[0]["id"]

    fam = await family_user(client, w["admin"], w["so"]["id"])
    assert (await client.get("/schools/lincoln/inbox", headers=fam)).status_code == 403
    assert (await client.post(f"/inbox/{inbound_id}/reply", json={"text": "x"}, headers=fam)).status_code == 403
    assert (await client.get("/district/inbox", headers=fam)).status_code == 403
    blank = await client.post(f"/inbox/{inbound_id}/reply", json={"text": "   "}, headers=w["admin"])
    assert blank.status_code == 422 and "text" in blank.text
    too_long = await client.post(f"/inbox/{inbound_id}/reply", json={"text": "a" * 641}, headers=w["admin"])
    assert too_long.status_code in (400, 422) and "text" in too_long.text
    assert rows(client, Outbox, Outbox.kind == "sms_reply") == []

    answer = "Mahadsanid, we hope he feels better soon."
    sent = await ok(await client.post(f"/inbox/{inbound_id}/reply", json={"text": answer}, headers=w["admin"]), 201)
    queued = rows(client, Outbox, Outbox.id == sent["outbox_id"])[0]
    assert (queued["kind"], queued["channel"], queued["to_phone"], queued["status"]) == (
        "sms_reply", "sms", SOMALI_PHONE, "pending")
    in_app(client, sweeps.deliver, sms_settings, AFTER)
    assert [t["Body"] for t in twilio.to(SOMALI_PHONE)].count(answer) == 1
    listed = await ok(await client.get("/schools/lincoln/inbox", headers=w["admin"]))
    assert (listed[0]["reply_text"], listed[0]["reply_status"]) == (answer, "sent")


async def test_a_text_from_an_unknown_number_reaches_the_district_inbox(client, sms_settings, twilio):
    w = await world(client)
    await inbound(client, "Hola, ¿quién es?", "SM-unknown-1", phone=UNKNOWN)
    got = rows(client, SmsInbound)[0]
    assert (got["school"], got["family"], got["handled_as"]) == (None, None, "inbox")
    assert await ok(await client.get("/schools/lincoln/inbox", headers=w["admin"])) == []  # not a school's
    listed = await ok(await client.get("/district/inbox", headers=w["admin"]))  # w["admin"] is a district admin
    assert [(m["body"], m["from_phone"], m["unknown_number"]) for m in listed] == [
        ("Hola, ¿quién es?", UNKNOWN, True)]
    school_admin = await make_user(client, "admin", w["school"]["id"])
    assert (await client.get("/district/inbox", headers=school_admin)).status_code == 403
    reply = await client.post(f"/inbox/{got['id']}/reply", json={"text": "Lincoln Elementary here."},
                              headers=school_admin)
    assert reply.status_code in (403, 404)
    await ok(await client.post(f"/inbox/{got['id']}/reply", json={"text": "Lincoln Elementary here."},
                               headers=w["admin"]), 201)
    in_app(client, sweeps.deliver, sms_settings, AFTER)
    assert [t["Body"] for t in twilio.to(UNKNOWN)] == ["Lincoln Elementary here."]
    # the district admin's inbox page shows it as an unknown number
    r = await client.post("/signin/token", data={"token": w["admin"]["Authorization"].removeprefix("Bearer "),
                                                 "next": "/admin/inbox"})
    assert r.status_code == 303
    page = await client.get("/admin/inbox")
    assert page.status_code == 200 and "Hola, ¿quién es?" in page.text and UNKNOWN in page.text
    assert CSRF.search(page.text)
    # STOP from a number no family has is still honoured
    await inbound(client, "STOP", "SM-unknown-2", phone=UNKNOWN)
    assert [o["phone"] for o in rows(client, SmsOptOut)] == [UNKNOWN]
