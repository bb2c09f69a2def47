"""Families book their own conference times on their page, in a real Chromium against the served demo school:
siblings' meetings back-to-back, video chosen, a meeting moved; axe-core clean and no wider than a 360 px phone.

Runs after ``test_pages.py`` (it cancels the demo family's proposed meetings to book them itself).
"""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import browser_page, looks_right


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_family_self_books_siblings_back_to_back_chooses_video_and_moves(site: Site,
                                                                        context: BrowserContext) -> None:
    with site.api("family") as api:
        family_id = api.get("/users/me").json()["family_id"]
        trip = api.get(f"/families/{family_id}/conferences").json()
        assert len({m["teacher_id"] for m in trip["meetings"]}) >= 2, "the demo family meets two teachers"
        for m in trip["meetings"]:  # the family gives its proposed times back to book its own
            assert api.post(f"/conference-meetings/{m['id']}/cancel").status_code == 200
    teachers = sorted({m["teacher_id"] for m in trip["meetings"]})
    with site.api("admin") as api:
        assert api.put(f"/conference-teachers/{teachers[0]}/contact",
                       json={"video_url": "https://meet.example.org/room-1"}).status_code == 200
        window = api.get("/schools/riverside/conference-windows").json()[0]["id"]
    page = context.new_page()
    admin = browser_page(page, site, "admin")  # the school reopens the week for self-booking on its page
    admin.goto(f"{site.url}/admin/conferences/{window}")
    if "Reopen" in admin.locator("#self-booking-button").inner_text():
        admin.locator("#self-booking-button").click()
        expect(admin.locator(".notice")).to_contain_text("book their own")
    admin.context.close()
    with site.api("family") as api:
        offers = api.get(f"/families/{family_id}/conference-slots").json()
    # the family's teachers in the demo week (another test's week, made from the roster, may hold its children too)
    teachers = [t for t in teachers if t in {o["teacher_id"] for o in offers}]
    assert len(teachers) >= 2, offers
    slots = {o["teacher_id"]: [x for x in o["slots"] if x["fits"]] for o in offers}
    first_pick, second_pick = next((a, b) for a in slots[teachers[0]] for b in slots[teachers[1]]
                                   if 5 <= (_t(b["start"]) - _t(a["end"])) / dt.timedelta(minutes=1) <= 10)
    sign_in(page, site, "family")
    expect(page).to_have_url(re.compile(r"/family$"))
    expect(page.locator("#conf-book")).to_be_visible()
    looks_right(page, "family-conferences-booking")

    # the first teacher at a time with a free time of the second right after it; the page then offers
    # that time first for the second teacher, marked (siblings in one visit)
    form = page.locator(f"form.offer:has(input[name=teacher_id][value='{teachers[0]}'])")
    form.locator("select").select_option(first_pick["start"])
    form.get_by_role("button", name="Hold this time").click()
    expect(page.locator(".notice")).to_contain_text("held for you")
    form = page.locator(f"form.offer:has(input[name=teacher_id][value='{teachers[1]}'])")
    expect(form.locator("select option").first).to_contain_text("next to your other conference")
    offered = form.locator("select option").first.get_attribute("value")
    assert offered <= second_pick["start"]  # the nearest time after the first meeting (passing time kept)
    form.get_by_role("button", name="Hold this time").click()
    expect(page.locator(".notice")).to_contain_text("held for you")
    expect(page.locator("ul.holds li")).to_have_count(2)
    page.get_by_role("button", name="Book the times I chose").click()
    expect(page.locator(".notice")).to_contain_text("Booked")
    with site.api("family") as api:
        booked = api.get(f"/families/{family_id}/conferences").json()["meetings"]
    assert len(booked) == 2 and all(m["status"] == "accepted" for m in booked)
    first, second = sorted(booked, key=lambda m: m["start"])
    gap = (_t(second["start"]) - _t(first["end"])) / dt.timedelta(minutes=1)
    assert 0 <= gap <= 10, (first, second)  # back-to-back: passing time at most one grid step more

    # video with the first teacher: the link shows under the meeting
    video = next(m for m in booked if m["teacher_id"] == teachers[0])
    item = page.locator(f"#meeting-{video['id']}")
    item.locator("summary").click()
    item.get_by_label("Video call").check()
    item.get_by_label(re.compile("what would you like to talk about")).fill("How she learns best")
    item.get_by_role("button", name="Save").click()
    expect(page.locator(".notice")).to_contain_text("Saved")
    expect(page.locator(f"#meeting-{video['id']}")).to_contain_text("https://meet.example.org/room-1")
    expect(page.locator(f"#meeting-{video['id']}")).to_contain_text("How she learns best")

    # move the other meeting to a later free time within the family's availability
    other = next(m for m in booked if m["teacher_id"] != teachers[0])
    item = page.locator(f"#meeting-{other['id']}")
    item.locator("summary").click()
    choices = item.locator("select[name=start] option")
    target = choices.last.get_attribute("value")
    item.locator("select[name=start]").select_option(target)
    item.get_by_role("button", name="Move").click()
    expect(page.locator(".notice")).to_contain_text("new time")
    with site.api("family") as api:
        moved = next(m for m in api.get(f"/families/{family_id}/conferences").json()["meetings"]
                     if m["id"] == other["id"])
    assert moved["start"].startswith(target)
    looks_right(page, "family-conferences-booked")


def test_a_family_the_solver_could_not_place_books_from_the_link_it_was_sent(site: Site,
                                                                          context: BrowserContext) -> None:
    """The e-mail to an unplaced family (its text is checked in tests/integration/test_conference_family.py)
    links to the family page's booking section; the family signs in and books the teacher it was missing."""
    with site.api("admin") as api:
        window = api.get("/schools/riverside/conference-windows").json()[0]
        window = api.get(f"/conference-windows/{window['id']}").json()
        assert window["status"] == "published" and window["unplaced"], "the demo week leaves families unplaced"
        asked = window["unplaced"][0]
        family = api.get(f"/families/{asked['family_id']}").json()
        made = api.post("/schools/riverside/users", json={  # the family's own account
            "role": "family", "name": family["name"], "email": f"unplaced-{family['id']}@example.org",
            "family_id": family["id"]})
        assert made.status_code == 201, made.text
    site.tokens[f"family-{family['id']}"] = made.json()["token"]
    page = context.new_page()
    sign_in(page, site, f"family-{family['id']}")
    page.goto(f"{site.url}/family#conf-book")  # the link in the e-mail
    offer = page.locator(f"form.offer:has(input[name=teacher_id][value='{asked['teacher_id']}'])")
    expect(offer).to_be_visible()  # in the family's own language: found by structure, not by English words
    with page.expect_navigation():
        offer.locator("button[type=submit]").click()  # hold the first free time offered
    expect(page.locator("ul.holds li")).to_have_count(1)
    with page.expect_navigation():
        page.locator("form[action='/family/conferences/book'] button[type=submit]").click()
    expect(page.locator("ul.holds li")).to_have_count(0)
    with site.api(f"family-{family['id']}") as api:
        meetings = api.get(f"/families/{family['id']}/conferences").json()["meetings"]
    assert any(m["teacher_id"] == asked["teacher_id"] and m["status"] == "accepted" for m in meetings)
    looks_right(page, "family-conferences-asked")
