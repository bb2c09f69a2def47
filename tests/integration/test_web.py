"""The web pages through the real app on both engines: sign-in, the form guard, bad input, moving an event.

The browser tests (tests/e2e) show the pages work for people; these pin the
rules a browser cannot see: one-time links, hashes at rest, CSRF, status codes.
"""

from __future__ import annotations

import re

import pytest

from scheduler.accounts.tables import SignInLink, WebSession
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.bookings.tables import Registration
from scheduler.events.tables import Event
from scheduler.families.tables import Family, FamilyAvailability
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
    sign_in,
)


@pytest.fixture
async def family_site(web):
    admin = await make_user(web)
    await make_school(web, admin)
    family = await make_family(web, admin)
    headers = await family_user(web, admin, family["id"])
    return admin, family, headers["Authorization"].removeprefix("Bearer ")


async def test_emailed_link_signs_in_once_and_only_hashes_are_stored(web, family_site, smtp):
    _, family, _ = family_site
    answer = await web.post("/signin/email", data={"email": "Ana@Example.org"})
    assert answer.status_code == 303 and "sent=1" in answer.headers["location"]
    unknown = await web.post("/signin/email", data={"email": "nobody@example.org"})
    assert unknown.headers["location"] == answer.headers["location"]  # no hint who has an account
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["To"] == "ana@example.org"
    body = message.get_content()
    link = re.search(r"https?://\S+/signin/(\S+)", body)
    assert link, body
    token = link.group(1)
    assert "Hola" in body  # in the family's language (Spanish)
    # the link opens a page with a button (mail scanners that follow links sign nobody in)
    landing = await web.get(f"/signin/{token}")
    assert landing.status_code == 200 and "fb_session" not in landing.headers.get("set-cookie", "")
    done = await web.post("/signin/link", data={"token": token})
    assert done.status_code == 303 and done.headers["location"] == "/family"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("SameSite=Lax", "SameSite=lax")
    page = await web.get("/family")
    assert page.status_code == 200 and family["name"] in page.text
    again = await web.post("/signin/link", data={"token": token})
    assert again.status_code == 401
    stored = rows(web, SignInLink) + rows(web, WebSession)
    assert all(token not in str(row) for row in stored)
    assert rows(web, SignInLink)[0]["used_at"] is not None


async def test_forms_need_the_session_token_and_bad_input_writes_nothing(web, family_site):
    _, family, token = family_site
    csrf = await sign_in(web, token)
    cells = {"cell": ["2-1080", "2-1110", "4-600"]}
    forged = await web.post("/family/availability", data=cells)
    assert forged.status_code == 403 and "Vuelva a cargar la página" in forged.text and 'lang="es"' in forged.text  # said in the family's Spanish
    wrong = await web.post("/family/availability", data={**cells, "csrf": "0" * 40})
    assert wrong.status_code == 403
    assert rows(web, FamilyAvailability) == []
    saved = await web.post("/family/availability", data={**cells, "csrf": csrf})
    assert saved.status_code == 303
    windows = sorted((r["weekday"], r["start_minute"], r["end_minute"]) for r in rows(web, FamilyAvailability))
    assert windows == [(2, 1080, 1140), (4, 600, 630)]  # neighbouring half hours merge
    page = await web.get("/family")
    assert 'value="2-1080" aria-label=' in page.text and re.search(r'value="2-1080"[^>]*checked', page.text)

    bad = await web.post("/family/children", data={"csrf": csrf, "first_name": "", "grade": "2",
                                                  "age_band": "school-age"})
    assert bad.status_code == 422 and "first_name" in bad.text


async def test_pages_for_other_roles_are_refused_and_sign_out_ends_the_session(web, family_site):
    _, _, token = family_site
    csrf = await sign_in(web, token)
    assert (await web.get("/planner")).status_code == 403
    assert (await web.get("/interpreter")).status_code == 403
    out = await web.post("/signout", data={"csrf": csrf})
    assert out.status_code == 303
    assert rows(web, WebSession) == []
    again = await web.get("/family")
    assert again.status_code == 303 and again.headers["location"].startswith("/signin")


async def test_after_sign_in_only_local_paths(web, family_site):
    _, _, token = family_site
    answer = await web.post("/signin/token", data={"token": token, "next": "//evil.example/x"})
    assert answer.headers["location"] == "/family"
    unknown = await web.post("/signin/token", data={"token": "nope", "next": "/"})
    assert unknown.status_code == 401


async def test_registering_on_the_page_with_bad_numbers_is_a_4xx_and_writes_nothing(web, family_site):
    admin, _, token = family_site
    event = await make_event(web, admin)
    publish(web, event["id"], "2027-03-03T00:00:00+00:00", seats=1)
    csrf = await sign_in(web, token)
    bad = await web.post(f"/family/events/{event['id']}/register", data={"csrf": csrf, "adults": "many"})
    assert bad.status_code == 422 and "adults" in bad.text
    assert rows(web, Registration) == []
    good = await web.post(f"/family/events/{event['id']}/register", data={"csrf": csrf, "adults": "1"})
    assert good.status_code == 303 and "done=registered" in good.headers["location"]
    assert [r["status"] for r in rows(web, Registration)] == ["confirmed"]


async def test_moving_a_published_event_says_who_is_told_and_reopens_interpreting(web, family_site):
    admin, family, token = family_site
    event = await make_event(web, admin, interpreter_languages=["es"])
    publish(web, event["id"], "2027-03-03T00:00:00+00:00", seats=5)
    fam_headers = {"Authorization": f"Bearer {token}"}
    await ok(await web.post(f"/events/{event['id']}/registrations", json={"adults": 1}, headers=fam_headers), 201)

    async def claimed() -> None:  # the Spanish-speaking family's registration opened it; someone holds it
        await InterpreterAssignment.update({InterpreterAssignment.status: "claimed"}).where(
            InterpreterAssignment.event == event["id"]).run()

    in_app(web, claimed)
    audience = await ok(await web.get(f"/events/{event['id']}/audience", headers=admin))
    assert audience == {"families": 1, "waitlisted": 0, "interpreters": 1}

    admin_token = admin["Authorization"].removeprefix("Bearer ")
    csrf = await sign_in(web, admin_token)
    confirm = await web.get(f"/planner/events/{event['id']}/move")
    assert confirm.status_code == 200 and "1 registered families" in confirm.text
    past = await web.post(f"/planner/events/{event['id']}/move", data={"csrf": csrf, "start": "2020-01-01T18:00"})
    assert past.status_code == 422 and "start" in past.text
    # the school has no Spanish interpreter: the engine's rules refuse until the move is overridden
    refused = await web.post(f"/planner/events/{event['id']}/move", data={"csrf": csrf, "start": "2027-03-04T18:30",
                                                                          "step": "do"})
    assert refused.status_code == 409 and "interpreter" in refused.text
    moved = await web.post(f"/planner/events/{event['id']}/move", data={"csrf": csrf, "start": "2027-03-04T18:30",
                                                                        "step": "do", "override": "yes"})
    assert moved.status_code == 303
    row = rows(web, Event, Event.id == event["id"])[0]
    assert row["sequence"] == 1 and row["starts_at"].isoformat().startswith("2027-03-05T00:30")  # 18:30 CST
    assignment = rows(web, InterpreterAssignment)[0]
    assert assignment["status"] == "open" and assignment["interpreter"] is None
    assert assignment["starts_at"] == row["starts_at"]


async def test_deleting_the_account_ends_its_browser_sessions_and_links(web, family_site, smtp):
    admin, family, token = family_site
    await sign_in(web, token)
    await web.post("/signin/email", data={"email": "ana@example.org"})
    assert rows(web, WebSession) and rows(web, SignInLink)
    export = await ok(await web.get(f"/families/{family['id']}/export", headers=admin))
    assert len(export["web_sign_in"]["sessions"]) == 1 and len(export["web_sign_in"]["links"]) == 1
    assert token not in str(export)
    await ok(await web.delete(f"/families/{family['id']}", params={"confirm": family["id"]}, headers=admin))
    assert rows(web, WebSession) == [] and rows(web, SignInLink) == []
    assert (await web.get("/family")).status_code == 303


async def test_expired_links_and_sessions_are_swept(web, family_site):
    import datetime as dt

    from scheduler.accounts import signin

    _, _, token = family_site
    await sign_in(web, token)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=signin.SESSION_DAYS + 1)
    assert in_app(web, signin.sweep_expired, later) == 1
    assert rows(web, WebSession) == []


async def test_a_family_downloads_its_data_and_deletes_its_account_from_the_page(web, family_site):
    _, family, token = family_site
    csrf = await sign_in(web, token)
    download = await web.get("/family/export")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert download.json()["profile"]["name"] == family["name"]
    wrong = await web.post("/family/delete", data={"csrf": csrf, "name": "someone else"})
    assert wrong.status_code == 422 and rows(web, Family)
    gone = await web.post("/family/delete", data={"csrf": csrf, "name": family["name"].upper()})
    assert gone.status_code == 303 and gone.headers["location"] == "/signin"
    assert rows(web, Family) == [] and rows(web, WebSession) == []


ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1@test\r\n"
       b"DTSTAMP:20270101T000000Z\r\nDTSTART:20270303T000000Z\r\nDTEND:20270303T010000Z\r\n"
       b"SUMMARY:Work\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


async def test_ics_upload_from_the_family_page_and_its_limits(web, family_site):
    from scheduler.families.tables import FamilyDatedAvailability

    _, _, token = family_site
    csrf = await sign_in(web, token)
    done = await web.post("/family/busy.ics", data={"csrf": csrf}, files={"calendar": ("work.ics", ICS, "text/calendar")})
    assert done.status_code == 303 and "done=imported" in done.headers["location"], done.text
    busy = rows(web, FamilyDatedAvailability)
    assert [(r["busy"], r["starts_at"].isoformat()[:16]) for r in busy] == [(True, "2027-03-03T00:00")]
    broken = await web.post("/family/busy.ics", data={"csrf": csrf},
                            files={"calendar": ("x.ics", b"BEGIN:VCALENDAR\r\nnonsense", "text/calendar")})
    assert broken.status_code == 422
    assert len(rows(web, FamilyDatedAvailability)) == 1  # the earlier import stays
    huge = await web.post("/family/busy.ics", data={"csrf": csrf},
                          files={"calendar": ("big.ics", b"X" * 6_000_000, "text/calendar")})
    assert huge.status_code == 413


async def test_a_held_place_is_taken_from_the_page(web, family_site):
    admin, family, token = family_site
    await ok(await web.put("/schools/lincoln/notification-settings", headers=admin,
                           json={"reminder_hours": [48], "waitlist_offer_hours": 24}))
    event = await make_event(web, admin)
    publish(web, event["id"], "2027-03-03T00:00:00+00:00", seats=1)
    other = await ok(await web.post("/schools/lincoln/families", headers=admin, json={
        "name": "Other family", "language": "en", "email": "other@example.org"}), 201)
    other_auth = await family_user(web, admin, other["id"])
    first = await ok(await web.post(f"/events/{event['id']}/registrations", json={}, headers=other_auth), 201)
    mine = await ok(await web.post(f"/events/{event['id']}/registrations", json={},
                                   headers={"Authorization": f"Bearer {token}"}), 201)
    assert mine["status"] == "waitlisted"
    await ok(await web.delete(f"/events/{event['id']}/registrations/{first['id']}", headers=other_auth))
    csrf = await sign_in(web, token)
    page = await web.get("/family")
    action = f"/family/events/{event['id']}/registrations/{mine['id']}/accept"
    assert action in page.text  # the held place shows with a button to take it
    taken = await web.post(action, data={"csrf": csrf})
    assert taken.status_code == 303
    assert rows(web, Registration, Registration.id == mine["id"])[0]["status"] == "confirmed"
    again = await web.post(action, data={"csrf": csrf})
    assert again.status_code == 303  # taking it twice changes nothing


async def test_the_school_confirms_a_claim_from_the_planner(web, family_site):
    from scheduler.notifications.tables import Outbox

    admin, _, token = family_site
    event = await make_event(web, admin, interpreter_languages=["es"])
    publish(web, event["id"], "2027-03-03T00:00:00+00:00", seats=5)
    await ok(await web.post(f"/events/{event['id']}/registrations", json={"adults": 1},
                            headers={"Authorization": f"Bearer {token}"}), 201)  # a Spanish-speaking family
    ana = await ok(await web.post("/schools/lincoln/interpreters", json={
        "name": "Ana Interprets", "email": "ana.i@example.org", "languages": ["es"]}, headers=admin), 201)

    async def claimed() -> None:
        await InterpreterAssignment.update({InterpreterAssignment.status: "claimed",
                                            InterpreterAssignment.interpreter: ana["id"]}).where(
            InterpreterAssignment.event == event["id"]).run()

    in_app(web, claimed)
    csrf = await sign_in(web, admin["Authorization"].removeprefix("Bearer "))
    planner = await web.get("/planner")
    assert f"/planner/events/{event['id']}/interpreters" in planner.text and "1 to confirm" in planner.text
    board = await web.get(f"/planner/events/{event['id']}/interpreters")
    assert "Claimed by Ana Interprets" in board.text
    assignment = rows(web, InterpreterAssignment)[0]
    done = await web.post(f"/planner/assignments/{assignment['id']}/confirm", data={"csrf": csrf})
    assert done.status_code == 303
    assert rows(web, InterpreterAssignment)[0]["status"] == "confirmed"
    assert [o["to_email"] for o in rows(web, Outbox, Outbox.kind == "assignment_confirmed")] == ["ana.i@example.org"]
    twice = await web.post(f"/planner/assignments/{assignment['id']}/confirm", data={"csrf": csrf})
    assert twice.status_code == 409  # only a claimed assignment can be confirmed


async def test_the_e_mail_preferences_link_opens_a_page_in_the_family_language(web, family_site):
    from scheduler.notifications.messages import FAMILY_KINDS
    from scheduler.notifications.preferences import preferences_url
    from scheduler.web.preferences_pages import KIND_NAMES

    assert set(KIND_NAMES) == set(FAMILY_KINDS)  # every kind a family can switch off has words
    _, family, _ = family_site
    url = preferences_url(web.app.state.settings, family["id"])
    path = url.removeprefix(web.app.state.settings.public_url)
    page = await web.get(path)
    assert page.status_code == 200 and 'lang="es"' in page.text and page.text.count('name="kind"') == len(FAMILY_KINDS)
    saved = await web.post(path, data={"kind": [k for k in FAMILY_KINDS if k != "reminder"]})
    assert saved.status_code == 303
    switches = (await web.get(path.replace("/email-preferences/", "/preferences/"))).json()["email"]
    assert switches["reminder"] is False and all(v for k, v in switches.items() if k != "reminder")
    forged = path[: path.rindex(".") + 1] + "0" * 10
    assert (await web.get(forged)).status_code == 403
