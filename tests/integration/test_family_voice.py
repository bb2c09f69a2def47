"""What families tell the planner through HTTP: "I'd come" / "Not for us", topic votes, sessions of a workshop
counting a family once, and the heatmap of a dated week with imported busy times."""

from __future__ import annotations

from tests.integration.helpers import family_user, make_event, make_family, make_school, make_user, ok, sign_in
from tests.integration.test_plans import plan_and_wait


async def test_interests_say_yes_or_not_for_us_and_refuse_both_at_once(client):
    admin = await make_user(client)
    await make_school(client, admin)
    family = await make_family(client, admin)
    a = await make_event(client, admin, title="Homework routines")
    b = await make_event(client, admin, title="Kindergarten readiness")
    url = f"/families/{family['id']}/interests"
    said = await ok(await client.put(url, json={"event_ids": [a["id"]], "not_for_us": [b["id"]]}, headers=admin))
    assert said == {"event_ids": [a["id"]], "not_for_us": [b["id"]]}
    assert await ok(await client.get(url, headers=admin)) == said
    both = await client.put(url, json={"event_ids": [a["id"]], "not_for_us": [a["id"]]}, headers=admin)
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "not_for_us[0]"
    unknown = await client.put(url, json={"event_ids": [a["id"], 999]}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "event_ids[1]"
    assert await ok(await client.get(url, headers=admin)) == said  # nothing half-written


async def test_topics_votes_counted_by_language_and_never_named(client):
    admin = await make_user(client)
    await make_school(client, admin)
    s = "/schools/lincoln/topics"
    homework = await ok(await client.post(s, json={"title": "Helping with homework", "translations": {
        "es": "Ayudar con la tarea"}}, headers=admin), 201)
    screens = await ok(await client.post(s, json={"title": "Screen time"}, headers=admin), 201)
    bad = await client.post(s, json={"title": "Math", "translations": {"vi": "Toán"}}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "translations.vi"  # not a school language

    voters = []
    for language in ("es", "es", "en"):
        fam = await make_family(client, admin, language=language)
        voters.append((fam, await family_user(client, admin, fam["id"])))
    for fam, headers in voters:
        await ok(await client.put(f"/families/{fam['id']}/topic-votes", json={"topic_ids": [homework["id"]]},
                                  headers=headers))
    fam, headers = voters[0]
    seen = await ok(await client.get(f"{s}?lang=es", headers=headers))
    assert [(t["title"], t["voted"], t["votes"]) for t in seen["items"]] == [
        ("Ayudar con la tarea", True, None), ("Screen time", False, None)]  # a family sees no counts
    listed = await ok(await client.get(s, headers=admin))
    counts = {t["title"]: (t["votes"], t["votes_by_language"]) for t in listed["items"]}
    assert counts == {"Helping with homework": (3, {"es": 2, "en": 1}), "Screen time": (0, {})}

    await ok(await client.put(f"/topics/{screens['id']}", json={"title": "Screen time", "open": False},
                              headers=admin))
    closed = await client.put(f"/families/{fam['id']}/topic-votes", json={"topic_ids": [screens["id"]]},
                              headers=headers)
    assert closed.status_code == 422 and closed.json()["errors"][0]["field"] == "topic_ids[0]"
    assert (await ok(await client.get(f"/families/{fam['id']}/topic-votes", headers=headers)))["topic_ids"] == [
        homework["id"]]
    other_family = voters[1][0]
    assert (await client.get(f"/families/{other_family['id']}/topic-votes", headers=headers)).status_code == 403
    assert (await client.post(s, json={"title": "Mine"}, headers=headers)).status_code == 403


async def _workshop_school(client) -> tuple[dict, dict]:
    admin = await make_user(client)
    await make_school(client, admin)
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Library", "capacity": 40},
                                      headers=admin), 201)
    await ok(await client.put(f"/rooms/{room['id']}/availability", headers=admin,
                              json=[{"weekday": d, "start": "16:00", "end": "21:00"} for d in range(5)]))
    event = await make_event(client, admin, title="Homework routines", duration_minutes=60, seat_limit=2,
                             earliest_date="2027-03-08", latest_date="2027-03-12", audience=["grade-3"])
    return admin, event


async def test_sessions_of_a_workshop_count_each_family_once(client):
    admin, event = await _workshop_school(client)
    families = []
    for i in range(5):  # five English-speaking grade-3 families: three free Mondays 16-17, two Thursdays 19-20
        fam = await ok(await client.post("/schools/lincoln/families", json={
            "name": f"F{i}", "language": "en", "email": f"f{i}@example.org"}, headers=admin), 201)
        await ok(await client.post(f"/families/{fam['id']}/children", json={
            "first_name": "Kid", "grade": "3", "age_band": "school-age"}, headers=admin), 201)
        window = {"weekday": 0, "start": "16:00", "end": "17:00"} if i < 3 else \
            {"weekday": 3, "start": "19:00", "end": "20:00"}
        await ok(await client.put(f"/families/{fam['id']}/availability", headers=admin,
                                  json={"weekly": [window], "dated": []}))
        families.append(fam)
    await ok(await client.put(f"/families/{families[0]['id']}/interests", headers=admin,
                              json={"event_ids": [event["id"]]}))

    # "as many as needed": one family said "I'd come" and a session seats 2 -> one session
    one = await ok(await client.post(f"/events/{event['id']}/sessions", json={"sessions": "as_needed"}, headers=admin))
    assert [e["id"] for e in one] == [event["id"]] and one[0]["series"] is None
    sessions = await ok(await client.post(f"/events/{event['id']}/sessions", json={"sessions": 2}, headers=admin))
    assert len(sessions) == 2 and {e["series"] for e in sessions} == {event["id"]}
    assert sessions[1]["title"] == "Homework routines" and sessions[1]["status"] == "draft"
    bad = await client.post(f"/events/{event['id']}/sessions", json={"sessions": 11}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sessions"

    plan = await plan_and_wait(client, admin)
    placed = [e for e in plan["events"] if e["outcome"] == "placed"]
    assert len(placed) == 2
    # every family counts toward one session only: 3 + 2, not 5 + 5
    assert sorted(e["expected_turnout"] for e in placed) == [2, 3]
    assert sum(e["audience"]["audience"] + e["audience"]["interested"] for e in placed) == 10  # both are for all 5


async def test_the_heatmap_of_a_week_takes_off_busy_times_and_a_cell_tells_who_is_free(web):
    admin = await make_user(web)
    await make_school(web, admin)
    for i, (language, grade) in enumerate([("es", "3"), ("es", "K"), ("en", "3")]):
        fam = await ok(await web.post("/schools/lincoln/families", json={
            "name": f"F{i}", "language": language, "email": f"f{i}@example.org"}, headers=admin), 201)
        await ok(await web.post(f"/families/{fam['id']}/children", json={
            "first_name": "Kid", "grade": grade, "age_band": "school-age"}, headers=admin), 201)
        dated = [{"start": "2027-03-08T18:00", "end": "2027-03-08T19:00", "busy": True}] if i == 0 else []
        await ok(await web.put(f"/families/{fam['id']}/availability", headers=admin, json={
            "weekly": [{"weekday": 0, "start": "18:00", "end": "20:00"},
                       {"weekday": 6, "start": "10:00", "end": "11:00"}], "dated": dated}))
    await sign_in(web, admin["Authorization"].removeprefix("Bearer "))
    page = await web.get("/planner?week=2027-03-10")  # any day of the week shows its Monday to Sunday
    assert page.status_code == 200 and 'value="2027-03-08"' in page.text
    assert "day=6&amp;slot=600" in page.text  # Sunday 10:00 is a cell

    def cell(day: int, slot: int) -> str:
        return f"/planner/free?week=2027-03-08&day={day}&slot={slot}"

    busy = await web.get(cell(0, 18 * 60), headers={"HX-Request": "true"})
    assert busy.status_code == 200 and "<html" not in busy.text  # a fragment for htmx
    assert "2 families are free" in busy.text  # family 0 imported a busy hour
    later = await web.get(cell(0, 19 * 60))
    assert "3 families are free" in later.text and "<html" in later.text
    assert "Spanish" in later.text and "F0" not in later.text  # counts by language and grade, no names
    next_week = await web.get("/planner/free?week=2027-03-15&day=0&slot=1080")
    assert "3 families are free" in next_week.text  # the busy hour was that Monday only
    old = await web.get("/planner?week=1999-01-01")
    assert old.status_code == 422 and "outside the dates" in old.text
    bad = await web.get("/planner/free?week=2027-03-08&day=9&slot=600")
    assert bad.status_code == 422 and "not a cell of the heatmap" in bad.text


async def test_topics_are_managed_on_a_page_in_the_schools_languages(web):
    admin = await make_user(web)
    await make_school(web, admin)  # English and Spanish
    csrf = await sign_in(web, admin["Authorization"].removeprefix("Bearer "))
    page = await web.get("/admin/topics")
    assert page.status_code == 200 and 'name="title-es"' in page.text  # the school's other language
    empty = await web.post("/admin/topics", data={"csrf": csrf, "title": "", "title-es": "Tarea"})
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text and 'value="Tarea"' in empty.text
    added = await web.post("/admin/topics", data={"csrf": csrf, "title": "Homework", "title-es": "Tarea"})
    assert added.status_code == 303
    listed = await ok(await web.get("/schools/lincoln/topics", headers=admin))
    (topic,) = listed["items"]
    assert (topic["title"], topic["translations"], topic["open"]) == ("Homework", {"es": "Tarea"}, True)
    closed = await web.post(f"/admin/topics/{topic['id']}/open", data={"csrf": csrf, "open": "0"})
    assert closed.status_code == 303
    assert (await ok(await web.get("/schools/lincoln/topics", headers=admin)))["items"][0]["open"] is False
    assert (await web.post(f"/admin/topics/{topic['id']}/delete", data={"csrf": csrf})).status_code == 303
    assert (await ok(await web.get("/schools/lincoln/topics", headers=admin)))["items"] == []
    event_form = await web.get("/admin/events/new")
    assert 'name="title-es"' in event_form.text and 'name="description-es"' in event_form.text
