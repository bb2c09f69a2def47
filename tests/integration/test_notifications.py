"""Notifications end to end: real app, real database (both engines), a real SMTP server (aiosmtpd).

The clock is moved by passing ``now`` to the sweeps and the sender, exactly
as ``family-bridge worker --now`` does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
import subprocess
import sys

import pytest
from icalendar import Calendar

from calendars.feeds import event_uid
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.events.tables import Event
from scheduler.families.tables import Family
from scheduler.notifications import sweeps
from scheduler.notifications.tables import Outbox
from tests.conftest import ROOT, cli_env
from tests.integration.helpers import (
    family_user,
    in_app,
    make_event,
    make_family,
    make_school,
    make_user,
    ok,
    publish,
    rows,
)

UTC = dt.timezone.utc
# 2027-03-15 18:00 America/Chicago is 23:00 UTC (CDT, the day after the spring-forward change)
START = "2027-03-15T23:00:00+00:00"
T_START = dt.datetime.fromisoformat(START)
BEFORE_DST = T_START - dt.timedelta(hours=47)  # 2027-03-13 18:00 CST: still standard time


@pytest.fixture
def mail_settings(settings, smtp):
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port)


def run_once(client, settings, now: dt.datetime):
    return in_app(client, sweeps.run_once, settings, now)


def deliver(client, settings, now: dt.datetime):
    return in_app(client, sweeps.deliver, settings, now)


def text_of(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def html_of(msg) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def ics_of(msg) -> Calendar:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return Calendar.from_ical(parts[0].get_content())


async def booked_event(client, language: str = "es", slug: str = "lincoln", start: str = START) -> dict:
    """A school in Chicago, one published event (18:00 local on 2027-03-15), one registered family."""
    admin = await make_user(client)
    await make_school(client, admin, slug=slug)
    family = await make_family(client, admin, slug=slug, language=language)
    event = await make_event(client, admin, slug=slug, title="Math Night", earliest_date="2027-03-15",
                             latest_date="2027-03-15")
    publish(client, event["id"], start_utc=start, seats=100)
    fam = await family_user(client, admin, family["id"], slug=slug)
    reg = await ok(await client.post(f"/events/{event['id']}/registrations", json={}, headers=fam), 201)
    assert reg["status"] == "confirmed"
    return {"admin": admin, "family": family, "event": event, "fam": fam, "registration": reg}


def by_kind(client, kind: str) -> list[dict]:
    return rows(client, Outbox, Outbox.kind == kind)


async def test_reminder_in_spanish_local_time_across_dst_with_invitation(client, mail_settings, smtp):
    b = await booked_event(client, "es")
    counts, report = run_once(client, mail_settings, BEFORE_DST)
    assert counts["reminders"] == 1
    assert report.sent == 2  # the confirmation queued by the booking, and the reminder
    reminder = next(m for m in smtp.inbox.messages if str(m["Subject"]).startswith("Recordatorio"))
    assert reminder["To"] == "garcia@example.org"
    assert reminder["Content-Language"] == "es"
    body = text_of(reminder)
    assert "Le recordamos que Math Night será el lunes, 15 de marzo de 2027 a las 18:00." in body
    assert "/email-preferences/" in body
    cal = ics_of(reminder)
    assert str(cal["METHOD"]) == "REQUEST"
    vevent = cal.walk("VEVENT")[0]
    assert str(vevent["UID"]) == event_uid("event", b["event"]["id"], "127.0.0.1")
    assert vevent.decoded("DTSTART") == T_START
    # the same UID as the school's public feed
    feed = Calendar.from_ical((await client.get("/calendars/schools/lincoln.ics")).content)
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [str(vevent["UID"])]
    # the sweep and the sender again: nothing new
    counts, report = run_once(client, mail_settings, BEFORE_DST + dt.timedelta(minutes=5))
    assert counts["reminders"] == 0 and report.sent == 0
    assert len(smtp.inbox.messages) == 2
    sent = by_kind(client, "reminder")
    assert [(r["status"], r["language"]) for r in sent] == [("sent", "es")]


async def test_arabic_is_rtl_and_english_says_pm(client, mail_settings, smtp):
    await booked_event(client, "ar")
    admin = await make_user(client)
    en = await make_family(client, admin, language="en")
    event_id = rows(client, Event)[0]["id"]
    await ok(await client.post(f"/events/{event_id}/registrations", json={"family_id": en["id"]}, headers=admin), 201)
    run_once(client, mail_settings, T_START - dt.timedelta(hours=1))  # the 2 h reminder
    reminders = [m for m in smtp.inbox.messages if "Math Night" in str(m["Subject"])
                 and m["Content-Language"] in ("ar", "en") and ("تذكير" in str(m["Subject"])
                                                                 or str(m["Subject"]).startswith("Reminder"))]
    assert sorted(m["Content-Language"] for m in reminders) == ["ar", "en"]
    arabic = next(m for m in reminders if m["Content-Language"] == "ar")
    page = html_of(arabic)
    assert '<html lang="ar" dir="rtl">' in page
    assert "تذكير" in str(arabic["Subject"])
    english = next(m for m in reminders if m["Content-Language"] == "en")
    assert re.search(r"on Monday, March 15, 2027 at 6:00\s?PM\.", text_of(english).replace("\u202f", " "))
    assert "<html lang=\"en\" dir=\"ltr\">" in html_of(english)


async def test_cancellation_sends_method_cancel_with_the_feed_uid(client, mail_settings, smtp):
    b = await booked_event(client, "es")
    deliver(client, mail_settings, BEFORE_DST - dt.timedelta(days=3))  # the confirmation
    await ok(await client.post(f"/events/{b['event']['id']}/cancel", headers=b["admin"]))
    counts, report = run_once(client, mail_settings, BEFORE_DST)
    assert counts["event_changes"] == 1 and counts["reminders"] == 0
    cancelled = [m for m in smtp.inbox.messages if str(m["Subject"]).startswith("Cancelado")]
    assert len(cancelled) == 1
    cal = ics_of(cancelled[0])
    assert str(cal["METHOD"]) == "CANCEL"
    vevent = cal.walk("VEVENT")[0]
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["UID"]) == event_uid("event", b["event"]["id"], "127.0.0.1")
    assert vevent["SEQUENCE"] == rows(client, Event)[0]["sequence"]  # bumped by the cancellation
    assert run_once(client, mail_settings, BEFORE_DST)[0]["event_changes"] == 0


async def test_rescheduled_event_tells_families_and_drops_the_stale_reminder(client, mail_settings, smtp):
    b = await booked_event(client, "es")
    first = BEFORE_DST
    counts, _ = in_app(client, sweeps.run_sweeps, mail_settings, first), None
    assert counts["reminders"] == 1 and counts["event_changes"] == 0  # first sighting only records
    later = T_START + dt.timedelta(days=7)

    async def move() -> None:
        await Event.update({Event.starts_at: later, Event.ends_at: later + dt.timedelta(minutes=90),
                            Event.sequence: Event.sequence + 1}).where(Event.id == b["event"]["id"]).run()

    in_app(client, move)
    counts, report = run_once(client, mail_settings, first + dt.timedelta(minutes=1))
    assert counts["event_changes"] == 1
    assert report.skipped == 1  # the reminder for the old time
    moved = [m for m in smtp.inbox.messages if str(m["Subject"]).startswith("Nuevo horario")]
    assert len(moved) == 1 and "lunes, 22 de marzo de 2027 a las 18:00" in text_of(moved[0])
    assert ics_of(moved[0]).walk("VEVENT")[0]["SEQUENCE"] == rows(client, Event)[0]["sequence"]
    skipped = [r for r in by_kind(client, "reminder") if r["status"] == "skipped"]
    assert skipped[0]["last_error"] == "the event moved; a new reminder follows"
    counts, _ = run_once(client, mail_settings, later - dt.timedelta(hours=47))
    assert counts["reminders"] == 1


async def test_two_sweeps_at_once_send_each_message_exactly_once(client, mail_settings, smtp):
    b = await booked_event(client, "es")
    admin = b["admin"]
    for i in range(12):
        fam = await ok(await client.post("/schools/lincoln/families", json={
            "name": f"F{i}", "language": ["en", "es", "zh", "vi", "ar"][i % 5], "email": f"f{i}@example.org"},
            headers=admin), 201)
        await ok(await client.post(f"/events/{b['event']['id']}/registrations", json={"family_id": fam["id"]},
                                   headers=admin), 201)

    async def both():
        return await asyncio.gather(sweeps.run_once(mail_settings, BEFORE_DST),
                                    sweeps.run_once(mail_settings, BEFORE_DST))

    results = in_app(client, both)
    assert sum(r[0]["reminders"] for r in results) == 13
    assert sum(r[1].sent for r in results) == 26  # 13 confirmations + 13 reminders
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == 26 and len(set(ids)) == 26
    assert {r["status"] for r in rows(client, Outbox)} == {"sent"}


def _worker(database_url: str, port: int, now: dt.datetime) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", "worker", "--once", "--now", now.isoformat()],
                            cwd=ROOT, env=cli_env(database_url, FB_SMTP_HOST="127.0.0.1", FB_SMTP_PORT=str(port),
                                                  FB_OUTBOX_BATCH="4"),  # small batches: the two compete
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def test_two_worker_processes_send_each_message_exactly_once(client, mail_settings, smtp, database_url):
    b = await booked_event(client, "vi")
    for i in range(20):
        fam = await ok(await client.post("/schools/lincoln/families", json={
            "name": f"F{i}", "language": "es", "email": f"f{i}@example.org"}, headers=b["admin"]), 201)
        await ok(await client.post(f"/events/{b['event']['id']}/registrations", json={"family_id": fam["id"]},
                                   headers=b["admin"]), 201)
    workers = [_worker(database_url, smtp.port, BEFORE_DST) for _ in range(2)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == 42 and len(set(ids)) == 42, outputs
    assert {r["status"] for r in rows(client, Outbox)} == {"sent"}
    assert len(by_kind(client, "reminder")) == 21
    sent_by = [int(re.search(r"sent (\d+)", out).group(1)) for out in outputs]
    assert sum(sent_by) == 42
    print("sent per worker process:", sent_by)


async def test_smtp_down_backs_off_then_delivers_everything(client, mail_settings, smtp):
    await booked_event(client, "es")
    smtp.stop()
    now = BEFORE_DST
    counts, report = run_once(client, mail_settings, now)
    assert report.sent == 0 and report.retried == 2
    pending = rows(client, Outbox)
    assert {(r["status"], r["attempts"]) for r in pending} == {("pending", 1)}
    assert {r["last_error"] for r in pending} == {"ConnectionRefusedError"}
    assert {r["next_attempt_at"].astimezone(UTC) for r in pending} == {now + dt.timedelta(seconds=60)}
    assert deliver(client, mail_settings, now + dt.timedelta(seconds=30)).retried == 0  # backing off
    report = deliver(client, mail_settings, now + dt.timedelta(seconds=61))
    assert report.retried == 2
    assert {r["attempts"] for r in rows(client, Outbox)} == {2}
    assert {r["next_attempt_at"].astimezone(UTC) for r in rows(client, Outbox)} == {
        now + dt.timedelta(seconds=61 + 120)}
    smtp.start()
    report = deliver(client, mail_settings, now + dt.timedelta(minutes=5))
    assert report.sent == 2
    assert len(smtp.inbox.messages) == 2
    assert {(r["status"], r["last_error"]) for r in rows(client, Outbox)} == {("sent", "")}


async def test_gives_up_after_the_limit_and_an_admin_resends(client, mail_settings, smtp):
    b = await booked_event(client, "es")
    smtp.stop()
    settings = dataclasses.replace(mail_settings, outbox_max_attempts=2)
    now = BEFORE_DST - dt.timedelta(days=5)  # no reminder yet: only the confirmation
    deliver(client, settings, now)
    report = deliver(client, settings, now + dt.timedelta(hours=1))
    assert report.failed == 1
    page = await ok(await client.get("/schools/lincoln/outbox?status=failed", headers=b["admin"]))
    assert page["total"] == 1
    item = page["items"][0]
    assert item["kind"] == "registration_confirmed"
    assert item["reason"] == "gave up after 2 attempts: ConnectionRefusedError"
    assert item["attempts"] == 2
    assert (await ok(await client.get("/schools/lincoln/outbox?status=pending", headers=b["admin"])))["total"] == 0
    forbidden = await client.post(f"/outbox/{item['id']}/resend", headers=b["fam"])
    assert forbidden.status_code == 403
    again = await ok(await client.post(f"/outbox/{item['id']}/resend", headers=b["admin"]))
    assert (again["status"], again["attempts"], again["reason"]) == ("pending", 0, "")
    assert (await client.post(f"/outbox/{item['id']}/resend", headers=b["admin"])).status_code == 409
    smtp.start()
    assert deliver(client, settings, dt.datetime.now(UTC) + dt.timedelta(seconds=1)).sent == 1
    assert len(smtp.inbox.messages) == 1


async def test_preferences_switch_a_kind_off(client, mail_settings, smtp):
    b = await booked_event(client, "es")
    fid = b["family"]["id"]
    prefs = await ok(await client.get(f"/families/{fid}/preferences", headers=b["fam"]))
    assert prefs["email"]["reminder"] is True
    bad = await client.put(f"/families/{fid}/preferences", json={"email": {"spam": False}}, headers=b["fam"])
    assert bad.status_code == 422
    prefs = await ok(await client.put(f"/families/{fid}/preferences", json={"email": {"reminder": False}},
                                      headers=b["fam"]))
    assert prefs["email"]["reminder"] is False and prefs["email"]["event_cancelled"] is True
    _, report = run_once(client, mail_settings, BEFORE_DST)
    assert (report.sent, report.skipped) == (1, 1)
    assert [str(m["Subject"]) for m in smtp.inbox.messages] == ["Inscripción confirmada: Math Night"]
    skipped = by_kind(client, "reminder")[0]
    assert (skipped["status"], skipped["last_error"]) == ("skipped", "switched off in the family's preferences")
    # the link in the e-mail works without signing in; a forged one does not
    link = re.search(r"http://\S+/email-preferences/(\S+)", text_of(smtp.inbox.messages[0])).group(1)
    via_link = await ok(await client.put(f"/preferences/{link}", json={"email": {"reminder": True}}))
    assert via_link["email"]["reminder"] is True
    forged = f"{fid + 1}.{link.partition('.')[2]}"
    assert (await client.get(f"/preferences/{forged}")).status_code == 403
    other = await make_user(client, role="admin", school_id=None)
    assert (await client.get(f"/families/{fid}/preferences", headers=other)).status_code == 200


async def test_malformed_family_email_is_refused(client):
    admin = await make_user(client)
    await make_school(client, admin)
    for bad in ("no-at-sign", "two@@example.org", "a b@example.org", "x@localhost"):
        r = await client.post("/schools/lincoln/families", json={"name": "X", "language": "es", "email": bad},
                              headers=admin)
        assert r.status_code in (400, 422), bad


async def test_unclaimed_assignment_escalates_to_admins_and_interpreters_district_wide(client, mail_settings, smtp):
    b = await booked_event(client, "es")
    admin = b["admin"]
    await make_school(client, admin, slug="oak")
    for slug, email_, langs in (("lincoln", "rosa@example.org", ["es"]), ("oak", "luis@example.org", ["es", "en"]),
                                ("oak", "mai@example.org", ["vi"])):
        await ok(await client.post(f"/schools/{slug}/interpreters", json={
            "name": email_.split("@")[0], "email": email_, "languages": langs}, headers=admin), 201)
    school_admin = await ok(await client.post("/schools/lincoln/users", json={
        "role": "admin", "name": "Principal", "email": "principal@example.org"}, headers=admin), 201)
    del school_admin
    assert [a["status"] for a in rows(client, InterpreterAssignment)] == ["open"]
    too_early = in_app(client, sweeps.run_sweeps, mail_settings, T_START - dt.timedelta(days=4))
    assert too_early["unclaimed"] == 0
    counts, report = run_once(client, mail_settings, T_START - dt.timedelta(days=2))
    assert counts["unclaimed"] == 3
    unclaimed = sorted(m["To"] for m in smtp.inbox.messages if str(m["Subject"]).startswith("Still no interpreter"))
    assert unclaimed == ["luis@example.org", "principal@example.org", "rosa@example.org"]
    assert "Still no interpreter (Spanish): Math Night" in smtp.inbox.subjects()
    assert in_app(client, sweeps.run_sweeps, mail_settings, T_START - dt.timedelta(days=1))["unclaimed"] == 0


async def test_demo_family_gets_a_48h_reminder_in_its_language(client, mail_settings, smtp):
    """The demo school (fewer families, same generator): publish one event, register a family, move the clock."""
    from scheduler.demo.school import load_demo

    in_app(client, lambda: load_demo(seed=2027, families=40))
    family = next(f for f in rows(client, Family) if f["language"] == "zh")
    event = rows(client, Event)[0]
    start = dt.datetime.combine(event["earliest_date"], dt.time(18, 0), dt.timezone(dt.timedelta(hours=-6)))
    publish(client, event["id"], start_utc=start.astimezone(UTC).isoformat())
    admin = await make_user(client)
    await ok(await client.post(f"/events/{event['id']}/registrations", json={"family_id": family["id"]},
                               headers=admin), 201)
    nothing, _ = run_once(client, mail_settings, start - dt.timedelta(hours=49))
    assert nothing["reminders"] == 0
    counts, _ = run_once(client, mail_settings, start - dt.timedelta(hours=48))
    assert counts["reminders"] == 1
    reminder = next(m for m in smtp.inbox.messages if str(m["Subject"]).startswith("提醒"))
    assert reminder["To"] == family["email"]
    assert "提醒您" in text_of(reminder)
    payload = json.loads(by_kind(client, "reminder")[0]["payload"])
    assert payload["hours"] == 48


async def test_serve_runs_the_jobs_in_process(client, smtp, database_url):
    """``family-bridge serve`` (a real process): the booking's confirmation goes out without a worker."""
    import time

    from tests.integration.helpers import ServerProcess

    await booked_event(client, "es")
    with ServerProcess(database_url, FB_SEND_SECONDS="1", FB_SMTP_HOST="127.0.0.1",
                       FB_SMTP_PORT=str(smtp.port)):
        for _ in range(150):  # the first delivery tick comes one FB_SEND_SECONDS after start
            if rows(client, Outbox)[0]["status"] == "sent":
                break
            time.sleep(0.1)
    assert smtp.inbox.subjects() == ["Inscripción confirmada: Math Night"]
    assert rows(client, Outbox)[0]["status"] == "sent"
