"""Text messages end to end: real app, both engines, a local server speaking Twilio's protocol, real SMTP.

Texts leave through ``TwilioServer`` (form-encoded POST, basic auth, JSON
answers); replies come in as Twilio sends them, signed with the account's
auth token over the public URL. The clock is moved by passing ``now``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys

import pytest
from litestar.testing import AsyncTestClient

from scheduler.app import create_app
from scheduler.bookings.tables import Registration
from scheduler.families.tables import Family
from scheduler.notifications import sweeps
from scheduler.notifications.sms_provider import SmsMessage, sms_sender
from scheduler.notifications.sms_text import segments
from scheduler.notifications.tables import AttendanceAnswer, Outbox, SmsInbound, SmsOptOut
from tests.conftest import ROOT, cli_env
from tests.integration.helpers import CSRF, in_app, make_event, make_school, make_user, ok, publish, rows, sign_in
from tests.integration.twilio_server import FROM, SID, TOKEN, TwilioServer, twilio_sign

START = "2027-03-15T23:00:00+00:00"  # 18:00 in Chicago
BEFORE = dt.datetime.fromisoformat(START) - dt.timedelta(hours=47)  # the 48 h reminder is due
PUBLIC = "http://127.0.0.1:8000"  # the settings' public URL: what Twilio would be configured to call
SOMALI_PHONE = "+16125550101"


@pytest.fixture
async def sms_client(sms_settings):
    async with AsyncTestClient(app=create_app(sms_settings)) as c:
        c.follow_redirects = False
        yield c


async def school_with_event(client) -> dict:
    admin = await make_user(client)
    school = await make_school(client, admin)
    event = await make_event(client, admin, title="Math Night", earliest_date="2027-03-15", latest_date="2027-03-15")
    publish(client, event["id"], start_utc=START, seats=100)
    return {"admin": admin, "school": school, "event": event}


async def family(client, admin, event_id: int, name: str, language: str, email: str, phone: str = "",
                 channels: str | None = None) -> dict:
    body = {"name": name, "language": language, "email": email, "phone": phone}
    if channels:
        body["channels"] = channels
    fam = await ok(await client.post("/schools/lincoln/families", json=body, headers=admin), 201)
    await ok(await client.post(f"/events/{event_id}/registrations", json={"family_id": fam["id"]}, headers=admin),
             201)
    return fam


async def inbound(client, body: str, sid: str, phone: str = SOMALI_PHONE, signature: str | None = "sign",
                  path: str = "/sms/twilio/inbound", **extra: str):
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": SID, "From": phone, "To": FROM, "Body": body,
              "NumMedia": "0", **extra}
    headers = {}
    if signature == "sign":
        headers["X-Twilio-Signature"] = twilio_sign(TOKEN, PUBLIC + path, params)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return await client.post(path, data=params, headers=headers)


def _worker(database_url: str, smtp_port: int, twilio: TwilioServer) -> subprocess.Popen:
    env = cli_env(database_url, FB_SMTP_HOST="127.0.0.1", FB_SMTP_PORT=str(smtp_port), FB_OUTBOX_BATCH="1",
                  FB_SMS_PROVIDER="twilio", FB_TWILIO_ACCOUNT_SID=SID, FB_TWILIO_AUTH_TOKEN=TOKEN,
                  FB_TWILIO_FROM=FROM, FB_TWILIO_BASE_URL=twilio.base_url, FB_HOST="127.0.0.1", FB_PORT="8000")
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", "worker", "--once", "--now", BEFORE.isoformat()],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def test_a_reminder_goes_as_a_text_in_somali_and_an_email_in_spanish_once_each_with_two_workers(
        sms_client, smtp, twilio, database_url):
    client = sms_client
    w = await school_with_event(client)
    so = await family(client, w["admin"], w["event"]["id"], "Warsame family", "so", "warsame@example.org",
                      "(612) 555-0101", "sms")
    assert (so["phone"], so["channels"]) == (SOMALI_PHONE, "sms")
    await family(client, w["admin"], w["event"]["id"], "García family", "es", "garcia@example.org")
    workers = [_worker(database_url, smtp.port, twilio) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in workers]
    assert all(p.returncode == 0 for p in workers), outputs

    texts = twilio.to(SOMALI_PHONE)
    assert len(twilio.messages) == len(texts) == 2, twilio.messages  # the confirmation and the reminder, once each
    reminder = next(t for t in texts if t["Body"].startswith("Xusuusin: Math Night"))
    assert "6:00" in reminder["Body"] and f"{PUBLIC}/family" in reminder["Body"]  # 18:00 Chicago
    assert reminder["From"] == FROM and reminder["StatusCallback"] == f"{PUBLIC}/sms/twilio/status"
    assert all(segments(t["Body"]).count <= 2 for t in texts)
    # the Spanish family: e-mails only, once each; the Somali family: no e-mail (it chose texts)
    assert sorted(m["To"] for m in smtp.inbox.messages) == ["garcia@example.org", "garcia@example.org"]
    assert any(str(m["Subject"]).startswith("Recordatorio: Math Night") for m in smtp.inbox.messages)
    outbox = rows(client, Outbox, Outbox.family == so["id"])
    by = {(r["kind"], r["channel"]): r for r in outbox}
    assert by[("reminder", "sms")]["status"] == "sent" and by[("reminder", "sms")]["provider_ref"].startswith("SM")
    assert by[("reminder", "email")]["status"] == "skipped"
    assert by[("reminder", "email")]["last_error"] == "sent as a text message (the family's choice)"
    assert len(outbox) == 4
    listed = (await ok(await client.get("/schools/lincoln/outbox?status=sent", headers=w["admin"])))["items"]
    assert {(i["kind"], i["to_phone"]) for i in listed if i["channel"] == "sms"} == {
        ("reminder", SOMALI_PHONE), ("registration_confirmed", SOMALI_PHONE)}

    # the delivery reports: delivered is recorded; undelivered turns the row failed with the provider's code
    sid = by[("reminder", "sms")]["provider_ref"]
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": SID, "To": SOMALI_PHONE}
    r = await client.post("/sms/twilio/status", data=params,
                          headers={"X-Twilio-Signature": twilio_sign(TOKEN, f"{PUBLIC}/sms/twilio/status", params)})
    assert r.status_code == 204, r.text
    assert rows(client, Outbox, Outbox.provider_ref == sid)[0]["provider_status"] == "delivered"
    other = by[("registration_confirmed", "sms")]["provider_ref"]
    params = {"MessageSid": other, "MessageStatus": "undelivered", "ErrorCode": "30003", "AccountSid": SID}
    r = await client.post("/sms/twilio/status", data=params,
                          headers={"X-Twilio-Signature": twilio_sign(TOKEN, f"{PUBLIC}/sms/twilio/status", params)})
    assert r.status_code == 204
    row = rows(client, Outbox, Outbox.provider_ref == other)[0]
    assert (row["status"], row["last_error"]) == ("failed", "undelivered: provider error 30003")


async def test_stop_stops_texts_at_once_and_start_resumes_them(sms_client, sms_settings, smtp, twilio):
    client = sms_client
    w = await school_with_event(client)
    fam = await family(client, w["admin"], w["event"]["id"], "Warsame family", "so", "warsame@example.org",
                       SOMALI_PHONE, "both")
    twilio.down = True  # the confirmation's text waits for a retry; its e-mail goes
    report = in_app(client, sweeps.run_once, sms_settings, BEFORE)[1]
    assert report.sent == 2 and report.retried == 2  # confirmation + reminder e-mails; their texts wait
    waiting = rows(client, Outbox, (Outbox.channel == "sms") & (Outbox.status == "pending"))
    assert len(waiting) == 2

    r = await inbound(client, "JOOJI", "SM-stop-1")  # Somali STOP
    assert r.status_code == 200 and "<Response>" in r.text
    # at once: the waiting texts are withdrawn before any sender runs, and the opt-out is recorded
    assert {(x["status"], x["last_error"]) for x in rows(client, Outbox, Outbox.channel == "sms")} == {
        ("skipped", "the number replied STOP")}
    assert [o["phone"] for o in rows(client, SmsOptOut)] == [SOMALI_PHONE]
    assert [(i["handled_as"], i["family"]) for i in rows(client, SmsInbound)] == [("stop", fam["id"])]
    twilio.down = False
    # a later change: e-mail only now
    later = BEFORE + dt.timedelta(hours=46)  # the 2 h reminder
    report = in_app(client, sweeps.run_once, sms_settings, later)[1]
    assert twilio.messages == [] and report.sent == 1
    assert [r["kind"] for r in rows(client, Outbox, Outbox.channel == "sms")] == ["registration_confirmed",
                                                                               "reminder"]  # no new text
    # the same webhook again (Twilio retries): recorded once
    assert (await inbound(client, "JOOJI", "SM-stop-1")).status_code == 200
    assert len(rows(client, SmsInbound)) == 1

    r = await inbound(client, "START", "SM-start-1")
    assert r.status_code == 200
    assert rows(client, SmsOptOut) == []
    in_app(client, sweeps.deliver, sms_settings, later)
    assert [m["Body"][:40] for m in twilio.to(SOMALI_PHONE)] == [  # in the family's Somali
        "Lincoln Elementary: mar kale ayaad heli "]
    r = await inbound(client, "help", "SM-help-1")
    in_app(client, sweeps.deliver, sms_settings, later)
    assert "JOOJI" in twilio.to(SOMALI_PHONE)[-1]["Body"]  # "reply STOP", in Somali with its Somali keyword


async def test_an_unsigned_or_wrongly_signed_request_is_refused_and_changes_nothing(sms_client, sms_settings,
                                                                                    twilio):
    client = sms_client
    w = await school_with_event(client)
    await family(client, w["admin"], w["event"]["id"], "Warsame family", "so", "warsame@example.org",
                 SOMALI_PHONE, "sms")
    params = {"MessageSid": "SM-x", "From": SOMALI_PHONE, "Body": "STOP"}
    wrong = [None, "", "not-a-signature", twilio_sign("another-token", f"{PUBLIC}/sms/twilio/inbound", params),
             twilio_sign(TOKEN, "http://evil.example/sms/twilio/inbound", params)]
    for signature in wrong:
        r = await inbound(client, "STOP", "SM-x", signature=signature)
        assert r.status_code == 403, (signature, r.text)
    # a valid signature over other parameters (the body changed on the way) is refused too
    r = await client.post("/sms/twilio/inbound", data={**params, "Body": "START"},
                          headers={"X-Twilio-Signature": twilio_sign(TOKEN, f"{PUBLIC}/sms/twilio/inbound", params)})
    assert r.status_code == 403
    r = await client.post("/sms/twilio/status", data={"MessageSid": "SM1", "MessageStatus": "failed"})
    assert r.status_code == 403
    assert rows(client, SmsInbound) == [] and rows(client, SmsOptOut) == []
    assert {r["channel"] for r in rows(client, Outbox)} == {"email"}  # nothing routed, nothing sent
    assert twilio.messages == []


async def test_without_an_sms_provider_the_webhooks_refuse_everything(client):
    params = {"MessageSid": "SM-y", "From": SOMALI_PHONE, "Body": "STOP"}
    r = await client.post("/sms/twilio/inbound", data=params, headers={
        "X-Twilio-Signature": twilio_sign("", f"{PUBLIC}/sms/twilio/inbound", params)})
    assert r.status_code == 403


async def test_a_free_text_reply_reaches_the_inbox_and_the_answer_goes_back_as_a_text(sms_client, sms_settings,
                                                                                      smtp, twilio):
    client = sms_client
    w = await school_with_event(client)
    fam = await family(client, w["admin"], w["event"]["id"], "Warsame family", "so", "warsame@example.org",
                       SOMALI_PHONE, "sms")
    in_app(client, sweeps.deliver, sms_settings, BEFORE)  # the confirmation, as a text
    assert len(twilio.to(SOMALI_PHONE)) == 1
    words = "Ma iman karo, wiilkaygu wuu jiran yahay"  # "I can't come, my son is sick"
    assert (await inbound(client, words, "SM-free-1")).status_code == 200
    assert (await inbound(client, "No", "SM-free-2")).status_code == 200  # no question was asked: the inbox too
    got = rows(client, SmsInbound)
    assert [(g["handled_as"], g["family"], g["language"], g["school"]) for g in got] == [
        ("inbox", fam["id"], "so", w["school"]["id"])] * 2

    answer = await client.post("/signin/token", data={"token": w["admin"]["Authorization"].removeprefix("Bearer "),
                                                      "next": "/admin/inbox"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = await client.get("/admin/inbox")
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text).group(1)
    assert words in page.text and "Warsame family" in page.text and "Somali" in page.text
    first = got[0]["id"]
    # a blank answer is refused on the page, naming the problem, nothing queued
    r = await client.post(f"/admin/inbox/{first}/reply", data={"csrf": csrf, "text": "   "})
    assert r.status_code in (400, 422) and "text" in r.text.lower()
    assert rows(client, Outbox, Outbox.kind == "sms_reply") == []
    answer = "Mahadsanid. Waan fahamnay - we hope he feels better soon."
    r = await client.post(f"/admin/inbox/{first}/reply", data={"csrf": csrf, "text": answer},
                          follow_redirects=False)
    assert r.status_code == 303, r.text
    in_app(client, sweeps.deliver, sms_settings, BEFORE)
    assert twilio.to(SOMALI_PHONE)[-1]["Body"] == answer
    reply = rows(client, Outbox, Outbox.kind == "sms_reply")[0]
    assert (reply["status"], reply["to_phone"], reply["family"]) == ("sent", SOMALI_PHONE, fam["id"])
    page = await client.get("/admin/inbox")
    assert answer in page.text


async def test_channels_and_phone_share_one_validation_on_the_api_and_the_page(sms_client):
    client = sms_client
    admin = await make_user(client)
    await make_school(client, admin)
    base = {"name": "F", "language": "so", "email": "f@example.org"}
    r = await client.post("/schools/lincoln/families", json={**base, "channels": "sms"}, headers=admin)
    assert r.status_code in (400, 422) and "phone" in r.text
    r = await client.post("/schools/lincoln/families", json={**base, "phone": "555-0123"}, headers=admin)
    assert r.status_code in (400, 422) and "phone" in r.text
    r = await client.post("/schools/lincoln/families", json={**base, "channels": "fax"}, headers=admin)
    assert r.status_code in (400, 422) and "channels" in r.text
    fam = await ok(await client.post("/schools/lincoln/families", json={**base, "phone": "+1 612 555 0199"},
                                     headers=admin), 201)
    assert (fam["phone"], fam["channels"]) == ("+16125550199", "both")  # default: what the family gave
    # the family's page: an invalid number is shown beside the field, with what was typed kept
    r = await client.post("/schools/lincoln/users", json={"role": "family", "name": "F", "email": "f@example.org",
                                                          "family_id": fam["id"]}, headers=admin)
    token = (await ok(r, 201))["token"]
    csrf = await sign_in(client, token)
    r = await client.post("/family/profile", data={"csrf": csrf, "language": "so", "phone": "12",
                                                   "channels": "sms"})
    assert r.status_code in (400, 422) and 'value="12"' in r.text and 'aria-invalid="true"' in r.text
    r = await client.post("/family/profile", data={"csrf": csrf, "language": "so", "phone": "", "channels": "email"},
                          follow_redirects=False)
    assert r.status_code == 303
    row = rows(client, Family, Family.id == fam["id"])[0]
    assert (row["phone"], row["channels"]) == ("", "email")


async def test_a_texted_no_the_day_before_frees_the_seat_and_the_email_link_answers_yes(sms_client, sms_settings,
                                                                                       smtp, twilio):
    client = sms_client
    admin = await make_user(client)
    await make_school(client, admin)
    event = await make_event(client, admin, title="Math Night", earliest_date="2027-03-15", latest_date="2027-03-15")
    publish(client, event["id"], start_utc=START, seats=1)
    so = await family(client, admin, event["id"], "Warsame family", "so", "warsame@example.org", SOMALI_PHONE, "sms")
    es = await family(client, admin, event["id"], "García family", "es", "garcia@example.org")
    regs = {r["family"]: r for r in rows(client, Registration)}
    assert (regs[so["id"]]["status"], regs[es["id"]]["status"]) == ("confirmed", "waitlisted")
    day_before = dt.datetime.fromisoformat(START) - dt.timedelta(hours=23)
    counts, _report = in_app(client, sweeps.run_once, sms_settings, day_before)
    assert counts["questions"] == 1  # only the confirmed family is asked
    question = next(t for t in twilio.to(SOMALI_PHONE) if "HAA ama MAYA" in t["Body"])  # "YES or NO" in Somali
    assert "/attendance/" in question["Body"] and segments(question["Body"]).count <= 2
    assert in_app(client, sweeps.run_once, sms_settings, day_before)[0]["questions"] == 0  # asked once

    r = await inbound(client, "Maya", "SM-no-1")  # Somali "no"
    assert r.status_code == 200
    regs = {r["family"]: r for r in rows(client, Registration)}
    assert (regs[so["id"]]["status"], regs[es["id"]]["status"]) == ("cancelled", "confirmed")  # the seat moved on
    assert [(a["answer"], a["channel"]) for a in rows(client, AttendanceAnswer)] == [("no", "sms")]
    taken = rows(client, SmsInbound)[0]
    assert taken["handled_as"] == "no" and taken["answers"] is not None

    # the promoted family hears of it, then is asked too, by e-mail with a link to a page
    in_app(client, sweeps.run_once, sms_settings, day_before + dt.timedelta(minutes=1))
    subjects = [str(m["Subject"]) for m in smtp.inbox.messages if m["To"] == "garcia@example.org"]
    assert any(s.startswith("A place opened up") or "Math Night" in s for s in subjects), subjects
    asked = [m for m in smtp.inbox.messages if "/attendance/" in m.get_body(preferencelist=("plain",)).get_content()]
    assert len(asked) == 1 and asked[0]["To"] == "garcia@example.org"
    link = re.search(r"https?://\S+(/attendance/[\w.\-=]+)", asked[0].get_body(preferencelist=("plain",)).get_content())
    path = link.group(1)
    page = await client.get(path)
    assert page.status_code == 200 and 'name="answer" value="no"' in page.text  # buttons: scanners answer nothing
    bad = await client.post(path, data={"answer": "maybe"})
    assert bad.status_code in (400, 422)
    assert (await client.post(path.rsplit(".", 1)[0] + ".forged", data={"answer": "no"})).status_code == 403
    done = await client.post(path, data={"answer": "yes"})
    assert done.status_code == 303
    answers = {a["registration"]: (a["answer"], a["channel"]) for a in rows(client, AttendanceAnswer)}
    assert answers[regs[es["id"]]["id"]] == ("yes", "web")
    assert rows(client, Registration, Registration.family == es["id"])[0]["status"] == "confirmed"


async def test_provider_errors_retry_with_backoff_give_up_or_fail_like_email(sms_client, sms_settings, smtp, twilio):
    client = sms_client
    settings = dataclasses.replace(sms_settings, outbox_max_attempts=3, outbox_backoff_seconds=60)
    w = await school_with_event(client)
    await family(client, w["admin"], w["event"]["id"], "Warsame family", "so", "warsame@example.org",
                 SOMALI_PHONE, "sms")
    unreachable = "+16125550177"
    await family(client, w["admin"], w["event"]["id"], "Other family", "so", "other@example.org", unreachable, "sms")
    twilio.unreachable_numbers.add(unreachable)
    twilio.down = True  # 500: try again later, with backoff, e-mail unaffected
    now = dt.datetime.fromisoformat(START) - dt.timedelta(days=5)
    report = in_app(client, sweeps.deliver, settings, now)
    texts = rows(client, Outbox, Outbox.channel == "sms")
    assert report.retried == 2 and {(t["status"], t["attempts"]) for t in texts} == {("pending", 1)}
    assert {t["last_error"] for t in texts} == {"HTTP 500 Twilio 20500"}
    assert {t["next_attempt_at"] for t in texts} == {now + dt.timedelta(seconds=60)}
    assert in_app(client, sweeps.deliver, settings, now + dt.timedelta(seconds=30)).retried == 0  # not due yet
    in_app(client, sweeps.deliver, settings, now + dt.timedelta(seconds=60))  # attempt 2, then backoff 120 s
    report = in_app(client, sweeps.deliver, settings, now + dt.timedelta(seconds=180))  # attempt 3: give up
    texts = rows(client, Outbox, Outbox.channel == "sms")
    assert report.failed == 2 and {(t["status"], t["last_error"]) for t in texts} == {
        ("failed", "gave up after 3 attempts: HTTP 500 Twilio 20500")}
    # the admin resends; the provider is back: one is delivered, the other number is refused for good
    for t in texts:
        await ok(await client.post(f"/outbox/{t['id']}/resend", headers=w["admin"]))
    twilio.down = False
    report = in_app(client, sweeps.deliver, settings, now + dt.timedelta(hours=1))
    assert (report.sent, report.failed) == (1, 1)
    by_phone = {t["to_phone"]: t for t in rows(client, Outbox, Outbox.channel == "sms")}
    assert by_phone[SOMALI_PHONE]["status"] == "sent"
    assert (by_phone[unreachable]["status"], by_phone[unreachable]["last_error"]) == (
        "failed", "refused: HTTP 400 Twilio 21211")
    # one call per round while down: the rest of the round's texts wait without knocking again (as e-mail's batch)
    assert len(twilio.messages) == 1 and twilio.refused == [500, 500, 500, 400]


async def test_a_wrong_auth_token_holds_texts_back_instead_of_failing_them(sms_client, sms_settings, twilio):
    client = sms_client
    w = await school_with_event(client)
    await family(client, w["admin"], w["event"]["id"], "Warsame family", "so", "warsame@example.org",
                 SOMALI_PHONE, "sms")
    wrong = dataclasses.replace(sms_settings, twilio_auth_token="not-the-token")
    report = in_app(client, sweeps.deliver, wrong, BEFORE)
    text = rows(client, Outbox, Outbox.channel == "sms")[0]
    assert report.retried == 1 and (text["status"], text["last_error"]) == ("pending", "HTTP 401 Twilio 20003")
    assert twilio.refused == [401] and twilio.messages == []


async def test_the_twilio_driver_speaks_the_protocol_with_a_messaging_service(settings, twilio):
    """The driver alone against the local server: form fields, basic auth, the JSON answer read back."""
    configured = dataclasses.replace(settings, sms_provider="twilio", twilio_account_sid=SID, twilio_auth_token=TOKEN,
                                     twilio_from="MG0123456789abcdef0123456789abcdef", twilio_base_url=twilio.base_url)
    sender = sms_sender(configured)
    try:
        receipt = await sender.send(SmsMessage(to=SOMALI_PHONE, body="Xusuusin: Math Night"))
    finally:
        await sender.close()
    assert receipt.provider_ref.startswith("SM") and receipt.status == "queued"
    sent = twilio.messages[0]
    assert sent["MessagingServiceSid"].startswith("MG") and "From" not in sent and "StatusCallback" not in sent
    assert sms_sender(settings) is None  # no provider configured: e-mail only
