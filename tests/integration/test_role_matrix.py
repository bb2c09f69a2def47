"""Every route × every role, generated from the app's route table, on both engines.

Each route declares who may call it (``scheduler/core/access.py``); this test
reads the declaration off each handler and calls the route as nobody, a
family (its own object / another family's), an interpreter (own / another), a teacher (own / another),
a school administrator (own school / another school) and a district
administrator. A route without exactly one declaration fails the test, so a
new route cannot be added without saying who may call it.

What "allowed" and "denied" mean here:

* denied: nobody gets 401 (a page: a redirect to /signin); everyone else 403
  or 404. The guard runs before the body is read, so an empty body cannot
  hide a refusal behind a validation error.
* allowed: anything but 401, 403 and 404 (the empty body is usually a 400 or
  422 then, which is fine: the caller got past the door).
* public routes: anyone gets past the door (no persona is checked, only that
  nothing answers 5xx); token routes (a secret in the address): with a
  made-up secret, everyone is refused alike.

Calls that may change data go last for each route (denied callers first),
and the world is rebuilt after any call that succeeded, so every persona
meets the same objects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from resources.tables import ChildcareResource, Interpreter, Room, School
from scheduler.accounts.signin import csrf_token
from scheduler.accounts.tables import User, WebSession
from scheduler.app import create_app
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.attendance.tables import CheckIn
from scheduler.bookings.tables import Registration
from scheduler.conferences.tables import ConferenceEvening, ConferenceMeeting, ConferenceTeacher, ConferenceWindow
from scheduler.core.access import OWNERS, Access, declared
from scheduler.core.auth import hash_api_token
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family
from scheduler.notifications.tables import Outbox, SmsInbound
from scheduler.piccolo_app import TABLES
from scheduler.planning.tables import Plan
from scheduler.topics.tables import Topic
from tests.conftest import TEST_SECRET
from tests.integration.helpers import in_app

START = dt.datetime(2027, 3, 3, 0, 0, tzinfo=dt.timezone.utc)
PERSONAS = ("nobody", "family_own", "family_other", "interpreter_own", "interpreter_other", "teacher_own",
            "teacher_other", "admin_own", "admin_other", "district")
ROLE = {"family_own": "family", "family_other": "family", "interpreter_own": "interpreter",
        "interpreter_other": "interpreter", "teacher_own": "teacher", "teacher_other": "teacher", "admin_own": "admin",
        "admin_other": "admin", "district": "admin"}
# Litestar's own handlers: CORS preflight, the OpenAPI documents (no data of anyone).
UNDECLARED_OK = re.compile(r"^/schema(/|$)")


@dataclasses.dataclass
class World:
    ids: dict[str, Any]
    bearer: dict[str, str]
    session: dict[str, str]


def _token(persona: str) -> str:
    return hashlib.sha256(f"matrix-{persona}".encode()).hexdigest()  # fixed, so a rebuilt world keeps them


async def build_world() -> dict[str, Any]:
    """School A (alpha) holds one of everything; school B (beta) only its admin."""

    async def one(table, **values) -> int:
        return (await table.insert(table(**values)).returning(table.id).run())[0]["id"]

    alpha = await one(School, name="Alpha", slug="alpha", timezone="America/Chicago", languages=["en", "es"])
    beta = await one(School, name="Beta", slug="beta", timezone="America/Chicago", languages=["en"])
    room = await one(Room, school=alpha, name="Hall", capacity=50, tags=[])
    care = await one(ChildcareResource, school=alpha, name="Kids", capacity=10)
    fam_own = await one(Family, school=alpha, name="Own", language="es", email="own@example.org", guardians=["A"])
    fam_other = await one(Family, school=alpha, name="Other", language="en", email="other@example.org", guardians=[])
    child = await one(Child, family=fam_own, first_name="Kid", grade="2", age_band="school-age")
    interp_own = await one(Interpreter, school=alpha, name="Own", email="i1@example.org", languages=["es"])
    interp_other = await one(Interpreter, school=alpha, name="Other", email="i2@example.org", languages=["es"])
    event = await one(Event, school=alpha, title="Night", kind="workshop", duration_minutes=60,
                      earliest_date=START.date(), latest_date=START.date(), status="published", starts_at=START,
                      ends_at=START + dt.timedelta(hours=1), seats=10, room=room, interpreter_languages=["es"])
    registration = await one(Registration, event=event, family=fam_own, status="confirmed", adults=1, language="es")
    assignment = await one(InterpreterAssignment, event=event, school=alpha, language="es", interpreter=interp_own,
                           status="claimed", starts_at=START, ends_at=START + dt.timedelta(hours=1))
    plan = await one(Plan, school=alpha, status="failed", instance="{}", error="matrix")
    outbox = await one(Outbox, kind="registration_confirmed", dedupe_key="matrix-1", school=alpha, family=fam_own,
                       event=event, to_email="own@example.org", status="failed")
    inbound = await one(SmsInbound, provider_ref="SM-matrix", from_phone="+16125550100", body="hello", school=alpha,
                        family=fam_own, language="es")  # a text in school A's inbox
    window = await one(ConferenceWindow, school=alpha, name="Spring")
    await one(ConferenceEvening, window=window, starts_at=START, ends_at=START + dt.timedelta(hours=3))
    # the conference teacher is teacher_own's (same e-mail); teacher_other teaches at school A too
    teacher = await one(ConferenceTeacher, window=window, name="Ms T", email="teacher_own@example.org", room=room)
    topic = await one(Topic, school=alpha, title="Homework")
    meeting = await one(ConferenceMeeting, window=window, teacher=teacher, family=fam_own, child_ids=[child],
                        starts_at=START, ends_at=START + dt.timedelta(minutes=10))
    check_in = await one(CheckIn, event=event, registration=registration, family=fam_own, client_ref="matrix-check-in")
    users = {"family_own": dict(school=alpha, family=fam_own), "family_other": dict(school=alpha, family=fam_other),
             "interpreter_own": dict(school=alpha, interpreter=interp_own),
             "interpreter_other": dict(school=alpha, interpreter=interp_other),
             "teacher_own": dict(school=alpha), "teacher_other": dict(school=alpha),
             "admin_own": dict(school=alpha), "admin_other": dict(school=beta), "district": dict(school=None)}
    user_ids = {}
    for persona, links in users.items():
        user_ids[persona] = user = await one(User, role=ROLE[persona], name=persona, email=f"{persona}@example.org",
                         token_hash=hash_api_token(_token(persona)), **links)
        await one(WebSession, user=user, token_hash=hashlib.sha256(_token(persona).encode()).hexdigest(),
                  expires_at=START + dt.timedelta(days=3650))
    return {"slug": "alpha", "family_id": fam_own, "child_id": child, "event_id": event,
            "registration_id": registration, "interpreter_id": interp_own, "room_id": room, "childcare_id": care,
            "assignment_id": assignment, "plan_id": plan, "outbox_id": outbox, "window_id": window,
            "teacher_id": teacher, "meeting_id": meeting, "topic_id": topic, "inbound_id": inbound, "check_in_id": check_in,
            "user_id": user_ids["interpreter_own"]}  # a staff account of school A


async def empty_all_tables() -> None:
    db = School._meta.db
    names = [t._meta.tablename for t in TABLES]
    if db.engine_type == "postgres":
        await School.raw(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE").run()
    else:
        for name in reversed(names):
            await School.raw(f"DELETE FROM {name}").run()
        await School.raw("DELETE FROM sqlite_sequence").run() if await School.raw(
            "SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'").run() else None


async def rebuild() -> dict[str, Any]:
    await empty_all_tables()
    return await build_world()


def operations(app) -> list[tuple[str, str, Any]]:
    """(method, path template, handler) of every operation the app serves."""
    ops = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method == "OPTIONS":
                    continue  # CORS preflight, answered by Litestar itself
                ops.append((method, route.path, handler))
    return ops


def fill(path: str, ids: dict[str, Any]) -> str:
    values = {**ids, "name": "alpha.ics", "token": "not-a-real-token", "file_path": "app.css"}

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "name" and "/schools/" not in path:
            return "not-a-real-token.ics"  # a private or teacher feed: a made-up secret
        return str(values[name])

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def expected(access: Access, persona: str) -> bool:
    """Whether ``persona`` may call a route declared ``access`` (on school A's objects, "own" ones)."""
    role = ROLE.get(persona)
    if access.rule in ("public", "token"):
        return True
    if role is None or role not in access.roles:
        return False
    if access.rule == "signed_in":
        return True
    if access.rule == "district":
        return persona == "district"
    admin_here = persona in ("admin_own", "district")
    if access.rule == "admin":
        return admin_here
    if access.rule == "member":
        return persona != "admin_other"
    if access.rule == "family":
        return admin_here or persona == "family_own"
    if access.rule == "interpreter":
        return admin_here or persona == "interpreter_own"
    raise AssertionError(access.rule)


@pytest.fixture
async def matrix_client(settings):
    quiet = dataclasses.replace(settings, rate_limit_signin_per_minute=0, rate_limit_feeds_per_minute=0)
    app = create_app(quiet)
    async with AsyncTestClient(app=app) as client:
        client.follow_redirects = False
        yield app, client


async def _call(client, method: str, url: str, persona: str, page: bool) -> Any:
    client.cookies.clear()
    headers: dict[str, str] = {}
    data = None
    if persona != "nobody":
        if page:
            headers["cookie"] = f"fb_session={_token(persona)}"
        else:
            headers["authorization"] = f"Bearer {_token(persona)}"
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        if page:
            session_hash = hashlib.sha256(_token(persona).encode()).hexdigest()
            data = {"csrf": csrf_token(session_hash, TEST_SECRET) if persona != "nobody" else ""}
            return await client.request(method, url, headers=headers, data=data)
        return await client.request(method, url, headers=headers, json={} if method != "DELETE" else None)
    return await client.request(method, url, headers=headers)


def _refused(response, page: bool, persona: str) -> bool:
    if page and persona == "nobody":
        return response.status_code == 303 and response.headers.get("location", "").startswith("/signin")
    return response.status_code in (401, 403, 404)


async def test_every_route_declares_who_may_call_it(matrix_client):
    app, _ = matrix_client
    missing, doubled = [], []
    for method, path, handler in operations(app):
        found = declared(handler)
        if not found and not UNDECLARED_OK.match(path):
            missing.append(f"{method} {path}")
        if len(found) > 1:
            doubled.append(f"{method} {path}")
        for access in found:
            assert access.param is None or access.param in OWNERS, f"{method} {path}: no owner lookup for {access.param}"
            assert access.param is None or "{" + access.param in path, f"{method} {path}: no {access.param} in the path"
    assert missing == [], f"routes without an access declaration: {missing}"
    assert doubled == [], f"routes with two access declarations: {doubled}"


async def test_role_matrix(matrix_client):
    app, client = matrix_client
    ids = in_app(client, rebuild)
    wrong: list[str] = []
    calls = 0
    for method, path, handler in operations(app):
        found = declared(handler)
        if not found:
            continue
        access = found[0]
        page = access.via == "session"
        url = fill(path, ids)
        personas = sorted(PERSONAS, key=lambda p: expected(access, p))  # refusals first: they change nothing
        for persona in personas:
            response = await _call(client, method, url, persona, page)
            calls += 1
            status = response.status_code
            if status >= 500:
                wrong.append(f"{method} {path} as {persona}: {status} {response.text[:200]}")
            elif access.rule == "public":
                pass  # anyone may call it; what it answers (a redirect home, a refused form) is its own business
            elif access.rule == "token":
                if status not in (400, 401, 403, 404):
                    wrong.append(f"{method} {path} as {persona}: a made-up secret got {status}")
            elif expected(access, persona) == _refused(response, page, persona):
                wrong.append(f"{method} {path} as {persona}: {status} but {access.rule}"
                             f"({access.param or ''}; {','.join(sorted(access.roles))}) should "
                             f"{'allow' if expected(access, persona) else 'refuse'}: {response.text[:160]}")
            if method not in ("GET", "HEAD") and status < 400:
                ids = in_app(client, rebuild)  # it changed something: the next persona meets the same world
    print(f"role matrix: {len(operations(app))} operations x {len(PERSONAS)} personas, {calls} calls")
    assert wrong == [], "\n".join(wrong)
