"""An administrator, a family and an interpreter use their pages in the demo school, in a real Chromium.

Every page is checked with axe-core for WCAG 2.1 AA and photographed at
desktop and phone width into docs/screenshots.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.browser import axe_violations, overflows_phone, screenshot
from tests.e2e.conftest import Site, sign_in

SLUG = "riverside"


def browser_page(page, site: Site, role: str):
    """A second person in their own browser context (cookies apart), signed in."""
    other = page.context.browser.new_context(viewport=page.viewport_size, locale="en-US").new_page()
    sign_in(other, site, role)
    return other


def looks_right(page, name: str) -> None:
    """Accessible, fits a phone, and photographed."""
    assert axe_violations(page) == [], f"axe-core on {name}"
    assert not overflows_phone(page), f"{name} is wider than a 360 px phone"
    screenshot(page, name)


@pytest.fixture
def published(site: Site) -> None:
    """The demo school's events published (by the planner test when it ran first, else through the API)."""
    with site.api() as api:
        events = api.get(f"/schools/{SLUG}/events", params={"status": "draft", "limit": 1}).json()
        if events["total"] == 0:
            return
        plan = api.post(f"/schools/{SLUG}/plans", json={"time_limit": 10}).json()
        plan = api.get(f"/plans/{plan['id']}", params={"wait": 60}).json()
        assert api.post(f"/plans/{plan['id']}/publish").status_code == 200


def test_sign_in_page_and_a_wrong_token(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(f"{site.url}/family")
    expect(page).to_have_url(re.compile(r"/signin\?next=/family$"))
    looks_right(page, "signin")
    page.fill("#token", "not-a-real-token")
    page.click("form[action='/signin/token'] button")
    expect(page.locator("#signin-error")).to_be_visible()
    expect(page.locator("#token")).to_have_attribute("aria-invalid", "true")


def test_administrator_plans_and_publishes_the_demo_school(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, site, "admin")
    expect(page).to_have_url(re.compile(r"/planner$"))
    expect(page.locator("table.heat caption")).to_be_visible()
    best = page.locator("table.heat td.h5")
    assert best.count() > 0, "the heatmap shows where most families are free"
    looks_right(page, "planner")

    page.select_option("#language", "es")  # the heatmap narrows to Spanish-speaking families
    with page.expect_navigation():
        page.click("form[action='/planner'] button")
    expect(page).to_have_url(re.compile(r"language=es"))
    spanish = int(re.search(r"(\d+)", page.locator("#heat-count").inner_text()).group(1))
    assert 0 < spanish < 1500

    drafts = page.locator("#drafts-title + form + ul.cards > li").count()
    assert drafts > 0
    page.fill("#time_limit", "10")
    page.click("#plan-button")
    expect(page).to_have_url(re.compile(r"/planner/plans/\d+$"))
    summary = page.locator("#plan-summary")
    expect(summary).to_be_visible(timeout=90_000)  # htmx polls the progress until the plan is ready
    placed = int(re.search(r"(\d+)", summary.inner_text()).group(1))
    assert placed > 0
    assert page.locator(".week .day li").count() >= placed  # every placed event is on the week calendar
    assert page.get_by_text(re.compile(r"\d+ families expected")).count() == placed
    looks_right(page, "plan")

    page.click("#publish-button")
    expect(page).to_have_url(re.compile(r"/planner\?done=published"))
    expect(page.locator(".notice")).to_contain_text("published")
    published = page.locator("#published-title + ul.cards > li")
    assert published.count() == placed

    # cancelling asks first, and says who will be told
    published.first.get_by_role("link", name=re.compile("^Cancel")).click()
    expect(page.locator("#who-is-told")).to_contain_text("will be told by e-mail")
    looks_right(page, "cancel-event")
    page.get_by_role("link", name="Keep it as it is").click()
    expect(page).to_have_url(re.compile(r"/planner$"))


def test_family_registers_with_childcare_and_is_waitlisted_when_full(site: Site, context: BrowserContext,
                                                                   published: None) -> None:
    with site.api("family") as api:
        me = api.get("/users/me").json()
        family_id = me["family_id"]
        children = api.get(f"/families/{family_id}/children").json()
    assert children, "the demo family has children"

    page = context.new_page()
    sign_in(page, site, "family")
    expect(page).to_have_url(re.compile(r"/family$"))
    looks_right(page, "family")

    # register for an event with childcare, bringing a child
    card = page.locator("#events > li").filter(has=page.locator("input[name=child]")).first
    card_id = card.get_attribute("id")
    child = card.locator("label.inline", has=page.locator("input[name=child]")).first
    name = child.inner_text().strip()
    child.locator("input").check()
    card.get_by_role("button", name=re.compile("^Register")).click()
    expect(page.locator(".notice")).to_contain_text("You are registered")
    expect(page.locator(f"#{card_id} .status")).to_contain_text("You are registered")
    expect(page.locator(f"#{card_id} .booked")).to_have_text(f"1 adult · childcare for {name}")

    # another event fills up (other families register through the API) and this family joins its waitlist
    target = page.locator("#events > li").filter(has=page.get_by_role("button", name=re.compile("^Register"))).last
    event_id = int(target.get_attribute("id").removeprefix("event-"))
    with site.api("admin") as api:
        others = [f["id"] for f in api.get(f"/schools/{SLUG}/families", params={"limit": 200}).json()["items"]
                  if f["id"] != family_id]
        for other in others:
            answer = api.post(f"/events/{event_id}/registrations", json={"family_id": other})
            assert answer.status_code == 201, answer.text
            if answer.json()["status"] == "waitlisted":
                break
        else:
            pytest.fail("the event never filled")
    page.reload()
    target = page.locator(f"#event-{event_id}")
    expect(target.get_by_role("button", name=re.compile("^Join the waitlist"))).to_be_visible()
    target.get_by_role("button", name=re.compile("^Join the waitlist")).click()
    expect(page.locator(".notice")).to_contain_text("waitlist")
    expect(page.locator(f"#event-{event_id} .status")).to_contain_text(re.compile(r"On the waitlist, number 2\b"))

    # the availability grid saves what was tapped, and the private calendar link comes with a QR code
    page.locator("input[name=cell][value='2-1080']").check()  # Wednesday 18:00
    page.click("#save-availability")
    expect(page.locator(".notice")).to_contain_text("Saved")
    expect(page.locator("input[name=cell][value='2-1080']")).to_be_checked()
    page.click("#private-feed")
    expect(page.locator("#private-webcal")).to_have_attribute("href", re.compile(r"^webcal://.+\.ics$"))
    assert page.locator(".qr svg").count() == 1
    looks_right(page, "family-calendar-link")

    # the link at the foot of every e-mail opens a page (no sign-in) to switch kinds of e-mail off
    from scheduler.core.settings import Settings
    from scheduler.notifications.preferences import preferences_token
    from tests.conftest import TEST_SECRET

    page.goto(f"{site.url}/email-preferences/{preferences_token(Settings(secret_key=TEST_SECRET), family_id)}")
    page.get_by_label("Reminders before an event").uncheck()
    page.click("#save-preferences")
    expect(page.get_by_label("Reminders before an event")).not_to_be_checked()
    looks_right(page, "email-preferences")


def test_family_page_in_arabic_is_right_to_left(site: Site, context: BrowserContext, published: None) -> None:
    page = context.new_page()
    sign_in(page, site, "family")
    page.select_option("#lang-pick", "ar")
    with page.expect_navigation():
        page.click("form.lang button")
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert page.locator("h2#events-title").inner_text() != "Coming up at school"  # translated, not English
    looks_right(page, "family-ar")

    page.get_by_role("link", name=re.compile("حذف")).click()  # "Delete our account": asks first
    expect(page.locator("#confirm-name")).to_be_visible()
    looks_right(page, "family-delete-ar")
    page.goto(f"{site.url}/planner")  # not a family's page: a 403 page in the reader's language
    expect(page.locator("p.error")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    looks_right(page, "error-ar")


def test_interpreter_claims_an_assignment(site: Site, context: BrowserContext, published: None) -> None:
    page = context.new_page()
    sign_in(page, site, "interpreter")
    expect(page).to_have_url(re.compile(r"/interpreter$"))
    open_work = page.locator("#open-work > li")
    assert open_work.count() > 0, "the published demo school has open work for the demo interpreter"
    looks_right(page, "interpreter")
    title = open_work.first.locator("h3").inner_text()
    before = page.locator("#my-work > li").count()
    open_work.first.get_by_role("button", name=re.compile("^Claim")).click()
    expect(page.locator(".notice")).to_contain_text("It is yours")
    expect(page.locator("#my-work > li")).to_have_count(before + 1)
    expect(page.locator("#my-work")).to_contain_text(title)


    # the school confirms the claim from the planner, and the interpreter sees it confirmed
    admin = browser_page(page, site, "admin")
    card = admin.locator("#published-title + ul.cards > li").filter(has_text=title).first
    card.get_by_role("link", name=re.compile("^Interpreters:")).click()
    expect(admin.locator("#interpreting .status.claimed").first).to_be_visible()
    looks_right(admin, "event-interpreters")
    admin.locator("#interpreting").get_by_role("button", name=re.compile("^Confirm")).first.click()
    expect(admin.locator(".notice")).to_contain_text("Confirmed")
    page.reload()
    expect(page.locator("#my-work")).to_contain_text("confirmed by the school")


def test_family_says_what_would_help_and_the_school_sees_the_counts(site: Site, context: BrowserContext) -> None:
    today = dt.date.today()
    with site.api() as api:
        draft = api.post(f"/schools/{SLUG}/events", json={
            "title": "Math games to play at home", "kind": "workshop", "duration_minutes": 60,
            "earliest_date": (today + dt.timedelta(days=60)).isoformat(),
            "latest_date": (today + dt.timedelta(days=80)).isoformat()}).json()
        topics = api.get(f"/schools/{SLUG}/topics").json()["items"]
    with site.api("family") as api:
        family_id = api.get("/users/me").json()["family_id"]
        voted_before = set(api.get(f"/families/{family_id}/topic-votes").json()["topic_ids"])

    page = context.new_page()
    sign_in(page, site, "family")
    card = page.locator(f"#idea-{draft['id']}")
    expect(card).to_contain_text("Math games to play at home")
    card.get_by_role("button", name=re.compile("^I'd come")).click()
    expect(page.locator(".notice")).to_contain_text("the school plans with what you said")
    expect(page.locator(f"#idea-{draft['id']} .status")).to_contain_text("You said you would come")
    topic = topics[-1]
    box = page.locator(f"#topics input[value='{topic['id']}']")
    box.set_checked(topic["id"] not in voted_before)
    page.get_by_role("button", name="Save my choice").click()
    expect(page.locator(".notice")).to_contain_text("your choice of topics is saved")
    looks_right(page, "family-ideas")

    with site.api("family") as api:
        assert draft["id"] in api.get(f"/families/{family_id}/interests").json()["event_ids"]
        voted = set(api.get(f"/families/{family_id}/topic-votes").json()["topic_ids"])
    assert voted == voted_before ^ {topic["id"]}
    with site.api() as api:
        votes = {t["id"]: t["votes"] for t in api.get(f"/schools/{SLUG}/topics").json()["items"]}
    assert votes[topic["id"]] == topic["votes"] + (1 if topic["id"] in voted else -1)

    admin = browser_page(page, site, "admin")
    admin.goto(f"{site.url}/admin/topics")
    expect(admin.locator(f"#topic-{topic['id']} .votes")).to_have_text(str(votes[topic["id"]]))
    looks_right(admin, "admin-topics")
    admin.goto(f"{site.url}/planner")
    expect(admin.locator(f"#outlook-{draft['id']}")).to_contain_text("1 said they would come")
    admin.locator("table.heat td.h5 a").first.click()  # htmx swaps in who is free there, by grade and language
    expect(admin.locator("#cell-detail")).to_contain_text("free for this whole half hour")
    expect(admin.locator("#cell-detail table")).to_have_count(2)
    looks_right(admin, "planner-cell")
