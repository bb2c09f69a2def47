"""Check-in at the door through HTTP on each engine: codes, the offline batch, races, walk-ins, roles, undo."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import uuid

from scheduler.attendance.codes import door_code
from scheduler.attendance.tables import CheckIn
from scheduler.events.tables import Event
from scheduler.notifications import sweeps
from tests.conftest import TEST_SECRET
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

REF = re.compile(r'name="client_ref" value="([0-9a-f-]+)"')


def ref() -> str:
    return str(uuid.uuid4())


async def _family(client, admin, name: str, child: str | None = None) -> dict:
    r = await client.post("/schools/lincoln/families", json={"name": name, "language": "es",
                                                               "email": f"{uuid.uuid4().hex[:8]}@example.org",
                                                               "guardians": [f"{name} guardian"]}, headers=admin)
    family = await ok(r, 201)
    if child:
        await ok(await client.post(f"/families/{family['id']}/children", json={
            "first_name": child, "grade": "2", "age_band": "school-age"}, headers=admin), 201)
    return family


async def _world(client, start: dt.datetime | None = None) -> dict:
    """School Lincoln, a published event two hours from now, two registered families, one not registered."""
    admin = await make_user(client)
    school = await make_school(client, admin)
    teacher = await make_user(client, "teacher", school["id"])
    event = await make_event(client, admin)
    start = start or dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=2)
    publish(client, event["id"], start.isoformat())
    garcia = await make_family(client, admin)
    nguyen = await _family(client, admin, "Nguyễn family", child="Linh")
    osman = await _family(client, admin, "Osman family")
    regs = {}
    for fam in (garcia, nguyen):
        regs[fam["id"]] = await ok(await client.post(f"/events/{event['id']}/registrations", json={
            "adults": 2, "family_id": fam["id"]}, headers=admin), 201)
    return {"admin": admin, "teacher": teacher, "event": event["id"], "garcia": garcia, "nguyen": nguyen,
            "osman": osman, "regs": regs, "start": start}


async def _batch(client, w, items, who="teacher"):
    return await client.post(f"/events/{w['event']}/check-ins", json={"items": items}, headers=w[who])


async def test_codes_valid_forged_and_of_another_event(client):
    w = await _world(client)
    reg = w["regs"][w["garcia"]["id"]]
    other = await make_event(client, w["admin"], title="Art Night")
    publish(client, other["id"], w["start"].isoformat())
    other_reg = await ok(await client.post(f"/events/{other['id']}/registrations", json={
        "family_id": w["osman"]["id"]}, headers=w["admin"]), 201)
    good = door_code(TEST_SECRET, reg["id"])
    forged = f"{reg['id']}-AAAAAAAA"
    shifted = f"{w['regs'][w['nguyen']['id']]['id']}-{good.split('-')[1]}"  # another registration, same letters
    answer = await ok(await _batch(client, w, [
        {"client_ref": ref(), "code": good.lower().replace("-", " - ")},  # typed carelessly: still good
        {"client_ref": ref(), "code": forged}, {"client_ref": ref(), "code": shifted},
        {"client_ref": ref(), "code": door_code(TEST_SECRET, other_reg["id"])},
        {"client_ref": ref(), "code": door_code("another secret", reg["id"])}]))
    outcomes = [(r["outcome"], r["field"]) for r in answer["results"]]
    assert outcomes == [("checked_in", ""), ("refused", "code"), ("refused", "code"), ("refused", "code"),
                        ("refused", "code")]
    assert "another event" in answer["results"][3]["reason"]
    first = answer["results"][0]["check_in"]
    assert (first["kind"], first["registration_id"], first["family_id"], first["adults"]) == (
        "registered", reg["id"], w["garcia"]["id"], 2)
    assert answer["counts"] == {"registered": 2, "registered_checked_in": 1, "walk_ins": 0, "checked_in": 1,
                                "people": 2}
    # a cancelled registration's code no longer checks in
    await ok(await client.delete(f"/events/{other['id']}/registrations/{other_reg['id']}", headers=w["admin"]))
    answer = await ok(await client.post(f"/events/{other['id']}/check-ins", json={"items": [
        {"client_ref": ref(), "code": door_code(TEST_SECRET, other_reg["id"])}]}, headers=w["admin"]))
    assert answer["results"][0]["outcome"] == "refused" and "not confirmed" in answer["results"][0]["reason"]


async def test_a_batch_with_duplicates_and_a_bad_item_keeps_the_good_ones(client):
    w = await _world(client)
    a, b, walk = ref(), ref(), ref()
    phone_time = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)).isoformat()
    items = [{"client_ref": a, "family_id": w["garcia"]["id"], "checked_in_at": phone_time},
             {"client_ref": a, "family_id": w["garcia"]["id"], "checked_in_at": phone_time},  # sent twice
             {"client_ref": ref(), "family_id": w["garcia"]["id"]},  # tapped again on another phone
             {"client_ref": ref(), "family_id": 999999},  # no such family: refused, the rest kept
             {"client_ref": ref(), "code": "x", "walk_in_name": "Both"},  # two ways at once: refused
             {"client_ref": b, "family_id": w["osman"]["id"], "checked_in_at": "2001-01-01T00:00:00Z"},
             {"client_ref": walk, "walk_in_name": "Mrs Diaz", "adults": 1, "children": 3}]
    answer = await ok(await _batch(client, w, items))
    res = answer["results"]
    assert [r["outcome"] for r in res] == ["checked_in", "checked_in", "already", "refused", "refused", "checked_in",
                                           "checked_in"]
    assert res[0]["check_in"] == res[1]["check_in"] == res[2]["check_in"]
    assert res[3]["field"] == "family_id" and res[4]["field"] == "walk_in_name"
    assert res[0]["check_in"]["checked_in_at"].startswith(phone_time[:16])
    assert res[5]["note"] and not res[5]["check_in"]["checked_in_at"].startswith("2001")  # a wrong clock: clamped
    assert (res[5]["check_in"]["kind"], res[6]["check_in"]["kind"], res[6]["check_in"]["name"]) == (
        "family", "walk_in", "Mrs Diaz")
    assert answer["counts"] == {"registered": 2, "registered_checked_in": 1, "walk_ins": 2, "checked_in": 3,
                                "people": 2 + 1 + 4}
    # the whole queue again (the phone never heard the answer): nothing added, the same answers
    again = await ok(await _batch(client, w, items, who="admin"))
    assert [r["check_in"] for r in again["results"]] == [r["check_in"] for r in res]
    stored = rows(client, CheckIn)
    assert len(stored) == 3 and len({r["client_ref"] for r in stored}) == 3
    listed = await ok(await client.get(f"/events/{w['event']}/check-ins", headers=w["teacher"]))
    assert {i["client_ref"] for i in listed["items"]} == {a, b, walk} and listed["counts"] == answer["counts"]
    # the same client_ref at another event is refused there, not taken over
    other = await make_event(client, w["admin"], title="Art Night")
    publish(client, other["id"], w["start"].isoformat())
    there = await ok(await client.post(f"/events/{other['id']}/check-ins", json={"items": [items[0]]},
                                       headers=w["admin"]))
    assert (there["results"][0]["outcome"], there["results"][0]["field"]) == ("refused", "client_ref")


async def test_two_staff_racing_the_same_family_make_one_row(client):
    w = await _world(client)
    for _ in range(3):
        family = w["nguyen"]["id"]
        answers = await asyncio.gather(*[_batch(client, w, [{"client_ref": ref(), "family_id": family}], who)
                                         for who in ("teacher", "admin", "teacher", "admin")])
        outcomes = sorted([(await ok(a))["results"][0]["outcome"] for a in answers])
        assert outcomes == ["already", "already", "already", "checked_in"]
        assert len(rows(client, CheckIn, CheckIn.family == family)) == 1
        mine = rows(client, CheckIn, CheckIn.family == family)[0]
        undone = await client.delete(f"/events/{w['event']}/check-ins/{mine['id']}", headers=w["teacher"])
        assert undone.status_code == 204
        assert rows(client, CheckIn) == []


async def test_undo_then_check_in_again(client):
    w = await _world(client)
    first = (await ok(await _batch(client, w, [{"client_ref": ref(), "family_id": w["garcia"]["id"]}])))["results"][0]
    gone = await client.delete(f"/events/{w['event']}/check-ins/{first['check_in']['id']}", headers=w["teacher"])
    assert gone.status_code == 204
    again = await client.delete(f"/events/{w['event']}/check-ins/{first['check_in']['id']}", headers=w["teacher"])
    assert again.status_code == 404 and again.json()["errors"][0]["field"] == "check_in_id"
    again_ref = ref()
    second = (await ok(await _batch(client, w, [{"client_ref": again_ref, "family_id": w["garcia"]["id"]}])))["results"]
    assert second[0]["outcome"] == "checked_in" and second[0]["check_in"]["client_ref"] == again_ref
    assert [r["client_ref"] for r in rows(client, CheckIn)] == [again_ref]


async def test_check_in_is_open_around_the_event_only(client):
    w = await _world(client, start=dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=5))
    answer = await ok(await _batch(client, w, [{"client_ref": ref(), "family_id": w["garcia"]["id"]}]))
    assert (answer["results"][0]["outcome"], answer["results"][0]["field"]) == ("refused", "event_id")

    async def draft() -> None:
        await Event.update({Event.status: "draft"}).where(Event.id == w["event"]).run()

    in_app(client, draft)
    answer = await ok(await _batch(client, w, [{"client_ref": ref(), "walk_in_name": "X"}]))
    assert "not published" in answer["results"][0]["reason"]
    assert rows(client, CheckIn) == []


async def test_families_interpreters_and_other_schools_are_refused(client):
    w = await _world(client)
    family = await family_user(client, w["admin"], w["garcia"]["id"])
    interpreter = await make_user(client, "interpreter", 1)
    await make_school(client, w["admin"], slug="roosevelt")
    other_admin = {"Authorization": "Bearer x"}
    stranger = await make_user(client, "teacher", 2)
    body = {"items": [{"client_ref": ref(), "family_id": w["garcia"]["id"]}]}
    for who, status in ((family, 403), (interpreter, 403), (stranger, 403), (other_admin, 401), ({}, 401)):
        for method, url, kw in (("POST", f"/events/{w['event']}/check-ins", {"json": body}),
                                ("GET", f"/events/{w['event']}/check-ins", {}),
                                ("DELETE", f"/events/{w['event']}/check-ins/1", {})):
            r = await client.request(method, url, headers=who, **kw)
            assert r.status_code == status, (method, url, r.text)
    assert rows(client, CheckIn) == []
    # a family of another school cannot be checked in at this school's event
    elsewhere = await ok(await client.post("/schools/roosevelt/families", json={
        "name": "Far family", "language": "en", "email": "far@example.org", "guardians": []}, headers=w["admin"]), 201)
    answer = await ok(await _batch(client, w, [{"client_ref": ref(), "family_id": elsewhere["id"]}]))
    assert (answer["results"][0]["outcome"], answer["results"][0]["field"]) == ("refused", "family_id")


async def test_malformed_batches_name_the_field(client):
    w = await _world(client)
    for body, field in (({"items": []}, "items"), ({"items": [{"client_ref": "short"}]}, "items[0].client_ref"),
                        ({"items": [{"client_ref": ref(), "walk_in_name": "A", "adults": 99}]}, "items[0].adults")):
        r = await _batch(client, w, body["items"])
        assert r.status_code in (400, 422), r.text
        assert field in r.text


async def test_the_door_page_works_without_javascript(web):
    w = await _world(web)
    csrf = await sign_in(web, w["teacher"]["Authorization"].removeprefix("Bearer "))
    door = f"/staff/events/{w['event']}/door"
    page = await web.get(door)
    assert page.status_code == 200 and "García family" in page.text and "Nguyễn family" in page.text
    assert "camera=(self)" in page.headers["permissions-policy"]
    found = await web.get(door, params={"q": "GARCIA"})  # case and accents ignored
    assert "García family" in found.text and "Nguyễn family" not in found.text
    by_child = await web.get(door, params={"q": "linh"})
    assert "Nguyễn family" in by_child.text and "García family" not in by_child.text
    walking = await web.get(door, params={"q": "osman"})  # not registered: offered as a walk-in
    assert "Osman family" in walking.text and "not registered" in walking.text
    ref_ = REF.search(found.text).group(1)
    form = {"csrf": csrf, "action": "family", "family_id": str(w["garcia"]["id"]), "client_ref": ref_, "q": "garcia"}
    done = await web.post(door, data=form)
    assert done.status_code == 303 and "done=checked_in" in done.headers["location"]
    twice = await web.post(door, data=form)  # a double tap: the same client_ref
    assert "done=checked_in" in twice.headers["location"]
    stored = rows(web, CheckIn)
    assert len(stored) == 1 and stored[0]["client_ref"] == ref_
    # a wrong code comes back beside the field, in the page's language, with what was typed
    bad = await web.post(door + "?lang=es", data={"csrf": csrf, "action": "code", "code": "1-ZZZZZZZZ",
                                                  "client_ref": str(uuid.uuid4())})
    assert bad.status_code == 422 and 'value="1-ZZZZZZZZ"' in bad.text and 'id="e-code"' in bad.text
    assert 'lang="es"' in bad.text
    walk = await web.post(door, data={"csrf": csrf, "action": "walk_in", "walk_in_name": "Mrs Diaz", "adults": "2",
                                      "children": "1", "client_ref": str(uuid.uuid4())})
    assert walk.status_code == 303
    page = await web.get(door)
    assert "Mrs Diaz" in page.text and '<strong id="count-checked">1</strong>' in page.text
    assert '<strong id="count-walk-ins">1</strong>' in page.text
    undo = await web.post(door, data={"csrf": csrf, "action": "undo", "check_in_id": str(stored[0]["id"])})
    assert undo.status_code == 303 and len(rows(web, CheckIn)) == 1
    # the JavaScript's sync: JSON with the page's CSRF token, each item answered
    synced = await web.post(door + "/sync", json={"csrf": csrf, "items": [
        {"client_ref": str(uuid.uuid4()), "code": door_code(TEST_SECRET, w["regs"][w["garcia"]["id"]]["id"])},
        {"client_ref": "bad"}]})
    answer = synced.json()
    assert [r["outcome"] for r in answer["results"]] == ["checked_in", "refused"]
    assert answer["results"][1]["field"] == "client_ref" and answer["counts"]["registered_checked_in"] == 1
    forged = await web.post(door + "/sync", json={"csrf": "nope", "items": []})
    assert forged.status_code == 403


async def test_the_family_page_shows_a_door_code_for_each_confirmed_registration(web):
    w = await _world(web)
    family = await family_user(web, w["admin"], w["garcia"]["id"])
    await sign_in(web, family["Authorization"].removeprefix("Bearer "))
    page = await web.get("/family")
    code = door_code(TEST_SECRET, w["regs"][w["garcia"]["id"]]["id"])
    assert page.status_code == 200 and f"<strong>{code}</strong>" in page.text and "<svg" in page.text
    door = await web.get(f"/staff/events/{w['event']}/door")
    assert door.status_code == 403


async def test_the_confirmation_e_mail_carries_the_door_code(client, settings, smtp):
    w = await _world(client)
    mail = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port)
    in_app(client, sweeps.deliver, mail, dt.datetime.now(dt.timezone.utc))
    reg = w["regs"][w["garcia"]["id"]]
    code = door_code(TEST_SECRET, reg["id"])
    mine = [m for m in smtp.inbox.messages if m["To"] == "garcia@example.org"]
    assert len(mine) == 1
    text = mine[0].get_body(preferencelist=("plain",)).get_content()
    assert code in text  # in the family's language once the catalogue has the line
    assert code in mine[0].get_body(preferencelist=("html",)).get_content()
    images = [p for p in mine[0].walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_filename() == "door-code.png"
    assert any(p.get_content_type() == "text/calendar" for p in mine[0].walk())  # the invitation is still there
