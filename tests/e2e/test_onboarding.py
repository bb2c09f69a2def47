"""A real school onboards itself in Chromium, from an empty PostgreSQL database to published events.

The path the README's first steps describe, followed as a newcomer would:
``family-bridge migrate``, ``family-bridge admin create``, the printed
sign-in link, then only pages: the school, the roster (a OneRoster bundle),
rooms, an interpreter, childcare, an event, the planner, publishing and the
families' invitations. Every page on the way is checked with axe-core at
desktop and phone width and photographed into docs/screenshots.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import ENGINES, run_cli
from tests.e2e.test_pages import looks_right
from tests.integration.helpers import ServerProcess, ThrowawayDatabase
from tests.roster_data import files, zipped


@pytest.fixture(scope="module")
def empty_install() -> Iterator[tuple[str, str]]:
    """A new database, migrated and served; (server url, the sign-in path the CLI printed).

    PostgreSQL, as a district runs it, when the suite has one (CI always does); else a SQLite file.
    """
    with ThrowawayDatabase("postgres" if "postgres" in ENGINES else "sqlite") as db:  # ThrowawayDatabase runs `family-bridge migrate`
        made = run_cli(db.url, "admin", "create", "--email", "office@district.example", "--name", "Dana Office")
        assert made.returncode == 0, made.stderr
        assert "created administrator office@district.example" in made.stdout
        link = re.search(r"sign-in link \(works once, within 72 hours\): (\S+)", made.stdout).group(1)
        again = run_cli(db.url, "admin", "create", "--email", "office@district.example")
        assert again.returncode == 0 and "already exists" in again.stdout  # idempotent per e-mail
        with ServerProcess(db.url, FB_JOBS_IN_PROCESS="0") as server:
            yield server.url, "/" + link.split("/", 3)[3]


def submit(page: Page, button: str) -> None:
    """Press a form's button and wait for the page it leads to (a POST, then usually a redirect)."""
    with page.expect_navigation():
        page.click(button)
    page.wait_for_load_state("networkidle")


def tick_evenings(page: Page) -> None:
    """Monday to Thursday, 6 to 8 pm, on the weekly grid of the page's resource."""
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday"):
        for time in ("6:00 PM", "6:30 PM", "7:00 PM", "7:30 PM"):
            page.get_by_role("checkbox", name=f"{day} {time}", exact=True).check()


def test_a_school_goes_from_an_empty_database_to_published_events_on_pages(
        empty_install: tuple[str, str], context: BrowserContext) -> None:
    url, link = empty_install
    page = context.new_page()

    # the one-time link from `admin create` (a button, not a GET, signs in: mail scanners follow links)
    page.goto(url + link)
    looks_right(page, "onboarding-signin-link")
    submit(page, "form[action='/signin/link'] button")
    page.goto(url + "/admin/schools")
    expect(page.locator("#add-title")).to_be_visible()

    # the school: a time zone and the languages it offers
    page.fill("#f-name", "Lincoln Elementary")
    page.fill("#f-slug", "lincoln")
    page.select_option("#f-timezone", "America/Chicago")
    for language in ("en", "es", "vi"):
        page.check(f"input[name='languages'][value='{language}']")
    submit(page, "form[action='/admin/schools'] button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("The school is created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lincoln Elementary")
    looks_right(page, "onboarding-school")

    # the roster: preview first (writes nothing), then import
    page.goto(url + "/roster/lincoln")
    page.set_input_files("#bundle", files=[{"name": "lincoln.zip", "mimeType": "application/zip",
                                            "buffer": zipped(files())}])
    submit(page, "#preview-roster")
    expect(page.get_by_text("García family").first).to_be_visible()
    looks_right(page, "onboarding-roster-preview")
    submit(page, "#apply-roster")
    expect(page).to_have_url(re.compile(r"/roster/lincoln\?done=imported"))

    # rooms, an interpreter and childcare, each on its page
    page.goto(url + "/admin/rooms")
    page.fill("#f-name", "Library")
    page.fill("#f-capacity", "40")
    submit(page, "form[action='/admin/rooms'] button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Library")  # then its weekly hours
    tick_evenings(page)
    looks_right(page, "onboarding-room")
    submit(page, "form[action^='/admin/rooms/']:not([action$='/delete']) button[type=submit]")
    expect(page.get_by_role("status")).to_be_visible()

    page.goto(url + "/admin/interpreters")
    page.fill("#f-name", "Ana Ruiz")
    page.fill("#f-email", "ana@district.example")
    page.check("input[name='languages'][value='es']")
    submit(page, "form[action='/admin/interpreters'] button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Ruiz")
    tick_evenings(page)
    submit(page, "form[action^='/admin/interpreters/']:not([action$='/delete']):not([action$='/account']) "
                 "button[type=submit]")
    expect(page.get_by_role("status")).to_be_visible()

    page.goto(url + "/admin/childcare")
    page.fill("#f-name", "Art room")
    page.fill("#f-capacity", "12")
    submit(page, "form[action='/admin/childcare'] button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Art room")  # then who is on duty, and when
    for row, weekday in enumerate(("0", "1", "2", "3")):
        page.select_option(f"#f-weekday{row}", weekday)
        page.fill(f"#f-start{row}", "17:30")
        page.fill(f"#f-end{row}", "20:30")
        page.fill(f"#f-staff{row}", "2")
    looks_right(page, "onboarding-childcare")
    submit(page, "form[action^='/admin/childcare/']:not([action$='/delete']) button[type=submit]")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)

    # an event, its dates in the coming weeks, with Spanish interpretation
    today = dt.date.today()
    page.goto(url + "/admin/events/new")
    page.fill("#f-title", "Homework routines")
    page.fill("#f-duration_minutes", "60")
    page.fill("#f-earliest_date", (today + dt.timedelta(days=7)).isoformat())
    page.fill("#f-latest_date", (today + dt.timedelta(days=21)).isoformat())
    page.check("input[name='interpreter_languages'][value='es']")
    looks_right(page, "onboarding-new-event")
    submit(page, "#save-event")
    page.goto(url + "/admin/events")
    expect(page.get_by_role("link", name="Homework routines")).to_be_visible()

    # plan and publish
    page.goto(url + "/planner")
    page.fill("#time_limit", "10")
    submit(page, "#plan-button")
    expect(page.locator("#plan-summary")).to_be_visible(timeout=90_000)
    assert int(re.search(r"(\d+)", page.locator("#plan-summary").inner_text()).group(1)) == 1
    submit(page, "#publish-button")
    expect(page.locator(".notice")).to_contain_text("published")

    # invitations to every imported family, once
    page.goto(url + "/roster/lincoln")
    submit(page, "#send-invitations")
    expect(page.locator(".notice")).to_be_visible()
    looks_right(page, "onboarding-invitations")

    # what a family will see: the published event in the school's public feed
    feed = httpx.get(url + "/calendars/schools/lincoln.ics?lang=es", timeout=30)
    assert feed.status_code == 200 and "SUMMARY:Homework routines" in feed.text
