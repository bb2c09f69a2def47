"""Private feed links: hashed at rest, rotated, revoked, and indistinguishable when dead."""

from __future__ import annotations

from calendars.tokens import hash_token
from tests.conftest import TEST_SECRET
from tests.integration.helpers import family_user, in_app, make_family, make_school, make_user, ok
from tests.integration.test_feeds_http import parse_both


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


async def test_rotation_links_and_hash_at_rest(client):
    from calendars.tables import FeedToken

    admin = await make_user(client)
    await make_school(client, admin)
    fam = await make_family(client, admin)
    me = await family_user(client, admin, fam["id"])
    first = await ok(await client.post(f"/families/{fam['id']}/feed-token", headers=me), 201)
    assert set(first) == {"token", "https", "webcal"}
    assert first["https"] == f"http://127.0.0.1:8000/calendars/private/{first['token']}.ics"  # FB_BASE_URL unset
    assert first["webcal"] == f"webcal://127.0.0.1:8000/calendars/private/{first['token']}.ics"
    assert len(first["token"]) >= 32
    assert (await client.get(path_of(first["https"]))).status_code == 200

    second = await ok(await client.post(f"/families/{fam['id']}/feed-token", headers=admin), 201)
    assert second["token"] != first["token"]
    assert (await client.get(path_of(first["https"]))).status_code == 404
    r = await client.get(path_of(second["https"]))
    assert r.status_code == 200 and parse_both(r.content)[0] == {}

    async def stored() -> list[dict]:
        return await FeedToken.select().order_by(FeedToken.id).run()

    rows = in_app(client, stored)
    assert [r["token_hash"] for r in rows] == [hash_token(first["token"], TEST_SECRET),
                                               hash_token(second["token"], TEST_SECRET)]
    assert rows[0]["revoked_at"] is not None and rows[1]["revoked_at"] is None
    assert all(first["token"] not in str(r) and second["token"] not in str(r) for r in rows)


async def test_unknown_and_revoked_links_answer_the_same_404(client):
    admin = await make_user(client)
    await make_school(client, admin)
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Gym", "capacity": 200},
                                      headers=admin), 201)
    link = await ok(await client.post(f"/rooms/{room['id']}/feed-token", headers=admin), 201)
    assert (await client.get(path_of(link["https"]))).status_code == 200
    assert (await client.delete(f"/rooms/{room['id']}/feed-token", headers=admin)).status_code == 204
    revoked = await client.get(path_of(link["https"]))
    unknown = await client.get("/calendars/private/" + "A" * 32 + ".ics")
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content and revoked.json()["errors"][0]["field"] == "token"
    assert (await client.head(path_of(link["https"]))).status_code == 404


async def test_who_may_make_links(client):
    admin = await make_user(client)
    school = await make_school(client, admin)
    other_school = await make_school(client, admin, slug="oak")
    fam = await make_family(client, admin)
    neighbour = await make_family(client, admin)
    me = await family_user(client, admin, fam["id"])
    ana = await ok(await client.post("/schools/lincoln/interpreters", json={
        "name": "Ana", "email": "ana@example.org", "languages": ["es"]}, headers=admin), 201)
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Gym", "capacity": 200},
                                      headers=admin), 201)
    oak_admin = await make_user(client, school_id=other_school["id"])
    lincoln_admin = await make_user(client, school_id=school["id"])
    assert (await client.post(f"/families/{neighbour['id']}/feed-token", headers=me)).status_code == 403
    assert (await client.post(f"/rooms/{room['id']}/feed-token", headers=me)).status_code == 403
    assert (await client.post(f"/interpreters/{ana['id']}/feed-token", headers=me)).status_code == 403
    assert (await client.post(f"/families/{fam['id']}/feed-token", headers=oak_admin)).status_code == 403
    assert (await client.delete(f"/families/{fam['id']}/feed-token", headers=me)).status_code == 204
    assert (await client.post(f"/interpreters/{ana['id']}/feed-token", headers=lincoln_admin)).status_code == 201
    assert (await client.post("/families/9999/feed-token", headers=admin)).status_code == 404
    assert (await client.post(f"/families/{fam['id']}/feed-token")).status_code == 401


async def test_public_url_shapes_the_links(client):
    import dataclasses

    admin = await make_user(client)
    await make_school(client, admin)
    fam = await make_family(client, admin)
    settings = client.app.state.settings
    client.app.state.settings = dataclasses.replace(settings, base_url="https://school.example/fb/")
    try:
        link = await ok(await client.post(f"/families/{fam['id']}/feed-token", headers=admin), 201)
    finally:
        client.app.state.settings = settings
    assert link["https"] == f"https://school.example/fb/calendars/private/{link['token']}.ics"
    assert link["webcal"] == f"webcal://school.example/fb/calendars/private/{link['token']}.ics"
