"""Roster import and sync end to end: the real command line and real HTTP, on both engines.

The bundle is tests/data/roster/lincoln (OneRoster 1.1 CSV): six students at Lincoln (two García
siblings with both parents, Lily Chen whose parents live apart, Minh, Omar, and Zoe with no
guardian), one at another school, two teachers, three classes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from litestar.testing import AsyncTestClient

from resources.tables import School
from scheduler.accounts.tables import User
from scheduler.app import create_app
from scheduler.bookings.tables import Registration
from scheduler.families.tables import Child, Family
from scheduler.notifications import sweeps
from scheduler.notifications.tables import Outbox
from scheduler.roster.tables import ClassEnrollment, RosterFamily, RosterImport, SchoolClass, Teacher
from tests.conftest import run_cli
from tests.integration.helpers import family_user, in_app, make_event, make_school, make_user, ok, rows
from tests.roster_data import LINCOLN, SIMPLE, files, write, zipped

IMPORTS = "/schools/lincoln/roster/imports"
ZIP = {"content-type": "application/zip"}
TABLES = (Family, Child, Teacher, SchoolClass, ClassEnrollment, RosterFamily, RosterImport, User)


@pytest.fixture
async def admin(client):
    headers = await make_user(client)
    await make_school(client, headers)  # "lincoln", Lincoln Elementary, languages en and es
    return headers


@pytest.fixture
async def mail_client(settings, smtp):
    """The app with its mail going to a real local SMTP server (aiosmtpd)."""
    async with AsyncTestClient(app=create_app(dataclasses.replace(settings, smtp_host="127.0.0.1",
                                                                  smtp_port=smtp.port))) as c:
        yield c


def counts(client) -> dict[str, int]:
    return {t._meta.tablename: len(rows(client, t)) for t in TABLES}


async def upload(client, admin, body: bytes, status: int = 200, query: str = "", **headers: str) -> dict:
    return await ok(await client.post(f"{IMPORTS}{query}", content=body, headers={**admin, **ZIP, **headers}), status)


def family(client, name: str) -> dict:
    return next(f for f in rows(client, Family) if f["name"] == name)


def children_of(client, name: str) -> list[str]:
    return sorted(c["first_name"] for c in rows(client, Child, Child.family == family(client, name)["id"]))


def totals(report: dict) -> tuple[int, int, int]:
    return tuple(sum(c[k] for c in report["counts"].values()) for k in ("created", "updated", "deactivated"))


async def test_cli_import_makes_families_children_staff_and_classes_and_again_changes_nothing(client, admin,
                                                                                             database_url):
    first = run_cli(database_url, "roster", "import", "--school", "lincoln", str(LINCOLN))
    assert first.returncode == 0, first.stderr
    assert "total: 24 created, 0 updated, 0 deactivated" in first.stdout
    assert "users.csv, line 10, column metadata.homeLanguage: unknown language 'Klingon'" in first.stdout
    names = sorted(f["name"] for f in rows(client, Family))
    assert names == ["Brown family", "Chen family", "García family", "Haddad family", "Jones family", "Nguyen family"]
    assert children_of(client, "García family") == ["Mateo", "Sofía"]  # siblings share a family
    assert children_of(client, "Chen family") == children_of(client, "Jones family") == ["Lily"]  # split household
    garcia = family(client, "García family")
    assert (garcia["email"], garcia["language"], garcia["guardians"]) == (
        "ana.garcia@example.org", "es", ["Ana García", "Luis García"])
    assert family(client, "Brown family")["email"] == "" and family(client, "Brown family")["language"] == "en"
    assert {(c["first_name"], c["grade"], c["age_band"]) for c in rows(client, Child)} >= {
        ("Mateo", "K", "school-age"), ("Omar", "pre-k", "preschool"), ("Sofía", "3", "school-age")}
    assert sorted(t["name"] for t in rows(client, Teacher)) == ["John Smith", "María López"]
    assert sorted(c["name"] for c in rows(client, SchoolClass)) == ["Grade 3 Homeroom", "Grade 5 Homeroom",
                                                                     "Kindergarten A"]
    assert len(rows(client, ClassEnrollment)) == 6  # Lily is on her class list once per household
    accounts = rows(client, User, User.role == "family")
    assert sorted(u["email"] for u in accounts) == sorted(f["email"] for f in rows(client, Family) if f["email"])
    assert "token" not in first.stdout.lower()
    before = counts(client)

    again = run_cli(database_url, "roster", "import", "--school", "lincoln", str(LINCOLN))
    assert again.returncode == 0, again.stderr
    assert "total: 0 created, 0 updated, 0 deactivated" in again.stdout
    assert counts(client) == {**before, "roster_import": 2}


async def test_a_changed_email_updates_the_family_and_its_sign_in_account(client, admin):
    await upload(client, admin, zipped(files()))
    report = await upload(client, admin, zipped(files(users=("ana.garcia@example.org", "ana.g@example.org"))))
    assert report["counts"]["families"] == {"created": 0, "updated": 1, "deactivated": 0, "unchanged": 5}
    assert report["examples"]["families"]["updated"] == ["García family"]
    garcia = family(client, "García family")
    assert garcia["email"] == "ana.g@example.org"
    assert [u["email"] for u in rows(client, User, User.family == garcia["id"])] == ["ana.g@example.org"]


async def test_tobedeleted_or_gone_deactivates_keeps_registrations_and_comes_back(client, admin):
    await upload(client, admin, zipped(files()))
    nguyen, haddad = family(client, "Nguyen family"), family(client, "Haddad family")
    event = await make_event(client, admin)
    in_app(client, Registration.insert(Registration(event=event["id"], family=nguyen["id"], status="confirmed")).run)
    changed = files(users=[("ST4,,,true,S1,student", "ST4,tobedeleted,2027-02-01T00:00:00Z,true,S1,student"),
                           ("ST5,,,true,S1,student,ohaddad,,Omar,Haddad,,1005,,,,G6,PK,,,\n", ""),
                           ("G6,,,true,D1,relative,lhaddad,,Layla,Haddad,,,layla.haddad@example.org,,,ST5,,,ar,H6\n",
                            "")],
                    enrollments=("E10,,,CK,S1,ST5,student,false,,\n", ""))
    report = await upload(client, admin, zipped(changed))
    assert {k: report["counts"][k]["deactivated"] for k in ("families", "children", "enrollments")} == {
        "families": 2, "children": 2, "enrollments": 2}
    assert sorted(report["examples"]["families"]["deactivated"]) == ["Haddad family", "Nguyen family"]
    assert len(rows(client, Family)) == 6 and len(rows(client, Child)) == 7  # nothing deleted
    assert rows(client, Registration)[0]["family"] == nguyen["id"]
    inactive = {r["family"] for r in rows(client, RosterFamily, RosterFamily.active.eq(False))}
    assert inactive == {nguyen["id"], haddad["id"]}
    assert len(rows(client, ClassEnrollment, ClassEnrollment.active.eq(False))) == 2

    back = await upload(client, admin, zipped(files()))
    assert back["counts"]["families"] == {"created": 0, "updated": 2, "deactivated": 0, "unchanged": 4}
    assert rows(client, RosterFamily, RosterFamily.active.eq(False)) == []


async def test_the_language_a_family_chose_survives_the_sis(client, admin):
    await upload(client, admin, zipped(files()))
    garcia = family(client, "García family")
    own = await family_user(client, admin, garcia["id"])
    body = {"name": garcia["name"], "language": "vi", "email": garcia["email"], "guardians": garcia["guardians"]}
    await ok(await client.put(f"/families/{garcia['id']}", json=body, headers=own))
    same = await upload(client, admin, zipped(files()))
    assert totals(same) == (0, 0, 0) and family(client, "García family")["language"] == "vi"
    english = files(users=[(",03,,es,", ",03,,en,"), (",KG,,es,", ",KG,,en,"), (",,,Spanish,", ",,,English,")])
    report = await upload(client, admin, zipped(english))
    assert family(client, "García family")["language"] == "vi"
    assert any("kept the family's own language ('vi') over the roster's 'en'" in n for n in report["notes"])


BROKEN = {
    "missing column": (files(users=("givenName,familyName", "firstName,familyName")), "users.csv:1:givenName"),
    "unknown agent": (files(users=('1004,,,,G5,', '1004,,,,G55,')), "users.csv:8:agentSourcedIds"),
    "duplicate sourcedId": (files(users=("G7,,,true,D1,parent", "G6,,,true,D1,parent")), "users.csv:18:sourcedId"),
    "bad UTF-8": ({**files(), "users.csv": files()["users.csv"].replace("Sofía".encode(), b"Sof\xeda")},
                  "users.csv:5:givenName"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_a_broken_bundle_is_refused_naming_its_place_and_writes_nothing(client, admin, case):
    bundle, where = BROKEN[case]
    before = counts(client)
    answer = await client.post(IMPORTS, content=zipped(bundle), headers={**admin, **ZIP})
    assert answer.status_code == 422, answer.text
    assert where in [e["field"] for e in answer.json()["errors"]]
    assert counts(client) == before


async def test_a_broken_bundle_after_a_good_one_changes_nothing_on_the_command_line(client, admin, database_url,
                                                                                   tmp_path):
    await upload(client, admin, zipped(files()))
    before = counts(client)
    broken = write(files(users=[("ana.garcia@example.org", "ana.new@example.org"), ('1004,,,,G5,', '1004,,,,G55,')]),
                   tmp_path / "broken")
    result = run_cli(database_url, "roster", "import", "--school", "lincoln", str(broken))
    assert result.returncode == 1
    assert "users.csv, line 8, column agentSourcedIds: unknown user 'G55' (not in users.csv)" in result.stderr
    assert "nothing was written" in result.stderr
    assert counts(client) == before and family(client, "García family")["email"] == "ana.garcia@example.org"


async def test_a_dry_run_reports_and_writes_nothing(client, admin, database_url):
    before = counts(client)
    printed = run_cli(database_url, "roster", "import", "--school", "lincoln", "--dry-run", str(LINCOLN))
    assert printed.returncode == 0, printed.stderr
    assert "total: 24 created, 0 updated, 0 deactivated (nothing written)" in printed.stdout
    assert "families created: García family; Chen family; Jones family; Nguyen family; Haddad family ..." \
        in printed.stdout
    report = await upload(client, admin, zipped(files()), query="?dry_run=true")
    assert report["dry_run"] and totals(report) == (24, 0, 0) and report["import_id"] is None
    assert report["examples"]["children"]["created"][:2] == ["Sofía (3)", "Mateo (K)"]
    assert counts(client) == before


async def test_the_simple_template(client, admin):
    body = SIMPLE.read_bytes()
    report = await upload(client, admin, body, **{"content-type": "text/csv"})
    assert report["source"] == "simple"
    assert report["counts"]["families"]["created"] == 4 and report["counts"]["children"]["created"] == 5
    assert children_of(client, "García family") == ["Mateo", "Sofía"]
    assert children_of(client, "Pérez family") == ["Mateo"]  # Mateo's second household
    assert family(client, "Brown family")["language"] == "en"  # "Elvish": the school's language, with a note
    assert report["notes"] == [
        "roster.csv, line 6, column language: unknown language 'Elvish': the school's language is used"]
    again = await upload(client, admin, body, **{"content-type": "text/csv"})
    assert totals(again) == (0, 0, 0)
    broken = await client.post(IMPORTS, content=b"child_first_name,grade\nSofia,3\n", headers={**admin})
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "roster.csv:1:guardian_name"


async def test_invitations_once_per_family_in_its_language_delivered_without_a_credential(mail_client, smtp):
    client = mail_client
    admin = await make_user(client)
    await make_school(client, admin)
    await upload(client, admin, zipped(files()))
    sent = await ok(await client.post("/schools/lincoln/roster/invitations", headers=admin))
    assert sent == {"queued": 5, "already_invited": 0, "without_email": 1}  # Zoe Brown's family has no address
    assert await ok(await client.post("/schools/lincoln/roster/invitations", headers=admin)) == {
        "queued": 0, "already_invited": 5, "without_email": 1}
    queued = rows(client, Outbox, Outbox.kind == "roster_invitation")
    assert sorted(o["language"] for o in queued) == ["ar", "en", "es", "vi", "zh"]
    report = in_app(client, sweeps.deliver, client.app.state.settings, dt.datetime.now(dt.timezone.utc))
    assert report.sent == 5
    by_to = {str(m["To"]): m for m in smtp.inbox.messages}
    spanish = by_to["ana.garcia@example.org"]
    assert str(spanish["Subject"]) == "Lincoln Elementary le invita a Family Bridge"
    text = spanish.get_body(("plain",)).get_content()
    assert "/signin?email=ana.garcia%40example.org" in text and "/signin/" not in text  # no sign-in token
    assert str(by_to["wei.chen@example.org"]["Subject"]) == "Lincoln Elementary 邀请您使用 Family Bridge"
    page = await client.get("/signin?email=ana.garcia@example.org")
    assert 'value="ana.garcia@example.org"' in page.text
    await client.post("/signin/email", data={"email": "ana.garcia@example.org"})  # the family asks for its link
    assert re.search(r"/signin/\S+", smtp.inbox.messages[-1].get_body(("plain",)).get_content())


async def test_the_page_previews_then_imports(client, admin):
    token = admin["Authorization"].removeprefix("Bearer ")
    client.follow_redirects = False
    signed = await client.post("/signin/token", data={"token": token, "next": "/roster/lincoln"})
    assert signed.headers["location"] == "/roster/lincoln"
    page = await client.get("/roster/lincoln")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    before = counts(client)
    bad = await client.post("/roster/lincoln/preview", data={"csrf": csrf},
                            files={"bundle": ("roster.zip", zipped(BROKEN["unknown agent"][0]), "application/zip")})
    assert bad.status_code == 422 and "users.csv, line 8, column agentSourcedIds" in bad.text
    shown = await client.post("/roster/lincoln/preview", data={"csrf": csrf},
                              files={"bundle": ("roster.zip", zipped(files()), "application/zip")})
    assert shown.status_code == 200 and "García family" in shown.text
    assert {k: v for k, v in counts(client).items() if k != "roster_import"} == {
        k: v for k, v in before.items() if k != "roster_import"}  # a preview writes no roster data
    import_id = re.search(r'name="import_id" value="(\d+)"', shown.text).group(1)
    done = await client.post("/roster/lincoln/apply", data={"csrf": csrf, "import_id": import_id})
    assert done.status_code == 303 and done.headers["location"] == "/roster/lincoln?done=imported"
    assert len(rows(client, Family)) == 6
    assert [r["status"] for r in rows(client, RosterImport)] == ["applied"]
    again = await client.post("/roster/lincoln/apply", data={"csrf": csrf, "import_id": import_id})
    assert again.status_code == 404  # a preview is applied once


async def test_a_family_that_deleted_its_account_is_not_made_again(client, admin):
    await upload(client, admin, zipped(files()))
    nguyen = family(client, "Nguyen family")
    await ok(await client.delete(f"/families/{nguyen['id']}?confirm={nguyen['id']}", headers=admin))
    report = await upload(client, admin, zipped(files()))
    assert totals(report) == (0, 0, 0)
    assert any("Nguyen family deleted its account" in n for n in report["notes"])
    assert "Nguyen family" not in {f["name"] for f in rows(client, Family)}
    assert all(r["sis"] == "{}" for r in rows(client, RosterFamily, RosterFamily.family.is_null()))


async def test_another_schools_admin_cannot_import_here(client, admin):
    other = await make_user(client, school_id=None)
    await make_school(client, other, slug="washington")
    school = rows(client, School, School.slug == "washington")[0]
    stranger = await make_user(client, school_id=school["id"])
    refused = await client.post(IMPORTS, content=zipped(files()), headers={**stranger, **ZIP})
    assert refused.status_code == 403
    assert len(rows(client, Family)) == 0
