"""The pages that close the loop, in a real Chromium at desktop AND phone width: axe-clean at both, no wider
than a 360 px phone, photographed.

The attendance overview, an event's feedback summary, the family's feedback page, the day-before pages of a
conference evening and of an interpreter's assignment, and the door page at desktop width (its phone width
is covered by tests/e2e/test_checkin.py). The demo school has three past evenings with check-ins; the
signed links are made with the test secret, as the sweeps would make them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from scheduler.attendance import feedback
from scheduler.core.settings import Settings
from scheduler.notifications import signed
from tests.conftest import TEST_SECRET
from tests.e2e.browser import DESKTOP, PHONE, axe_violations, overflows_phone, screenshot
from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import published  # noqa: F401 (a fixture)


def _db(site: Site) -> sqlite3.Connection:
    return sqlite3.connect(site.database_url.removeprefix("sqlite:///"), timeout=30)


def _settings(site: Site) -> Settings:
    return Settings(database_url=site.database_url, secret_key=TEST_SECRET)


def both_widths(page: Page, name: str) -> None:
    """axe-core at desktop and at phone width, no wider than a phone, photographed."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        assert axe_violations(page) == [], f"axe-core on {name} at {label} width"
    page.set_viewport_size(DESKTOP)
    assert not overflows_phone(page), f"{name} is wider than a 360 px phone"
    screenshot(page, name)


def _latest_checked_in(site: Site) -> tuple[int, int]:
    """(event, family) of a family checked in at the demo's most recent past evening."""
    with _db(site) as db:
        return db.execute("SELECT c.event, c.family FROM check_in c JOIN event e ON e.id = c.event "
                          "WHERE c.family IS NOT NULL ORDER BY e.starts_at DESC, c.id LIMIT 1").fetchone()


def test_attendance_and_feedback_pages(site: Site, context: BrowserContext) -> None:
    event, family = _latest_checked_in(site)
    page = context.new_page()
    sign_in(page, site, "admin")
    page.goto(f"{site.url}/admin/attendance")
    expect(page.locator("h1")).to_be_visible()
    both_widths(page, "admin-attendance")
    page.goto(f"{site.url}/staff/events/{event}/door")
    expect(page.locator("h1")).to_be_visible()
    both_widths(page, "door")

    visitor = context.browser.new_context(viewport=DESKTOP, locale="en-US").new_page()
    link = feedback.feedback_url(_settings(site), event, family)
    visitor.goto(f"{site.url}/feedback/{link.rpartition('/')[2]}")
    expect(visitor.locator("textarea[name=comment]")).to_be_visible()
    both_widths(visitor, "feedback")
    visitor.locator("input[name=score][value='4']").check()
    visitor.locator("textarea[name=comment]").fill("Useful evening")
    visitor.locator("textarea[name=comment]").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(visitor.locator(".notice")).to_be_visible()

    page.goto(f"{site.url}/admin/events/{event}/feedback")
    expect(page.locator("body")).to_contain_text("Useful evening")
    both_widths(page, "admin-event-feedback")


@pytest.mark.usefixtures("published")
def test_day_before_pages(site: Site, context: BrowserContext) -> None:
    with _db(site) as db:
        family, window, starts, tz = db.execute(
            "SELECT m.family, m.window, m.starts_at, s.timezone FROM conference_meeting m "
            "JOIN conference_window w ON w.id = m.window JOIN school s ON s.id = w.school "
            "WHERE m.status IN ('proposed', 'accepted') ORDER BY m.id LIMIT 1").fetchone()
        evening = dt.datetime.fromisoformat(starts).astimezone(ZoneInfo(tz)).date().isoformat()
        confirmation = db.execute(
            "INSERT INTO conference_confirmation (family, window, evening_date, answer, channel, asked_at) "
            "VALUES (?, ?, ?, '', '', ?) RETURNING id",
            (family, window, evening, dt.datetime.now(dt.timezone.utc).isoformat())).fetchone()[0]
        assignment, school = db.execute(
            "SELECT a.id, a.school FROM interpreter_assignment a WHERE a.status = 'open' ORDER BY a.id LIMIT 1"
        ).fetchone()
        interpreter = db.execute("SELECT id FROM interpreter WHERE school = ? ORDER BY id LIMIT 1",
                                 (school,)).fetchone()[0]
        db.execute("UPDATE interpreter_assignment SET status = 'claimed', interpreter = ? WHERE id = ?",
                   (interpreter, assignment))
    page = context.new_page()
    page.goto(f"{site.url}/confirm/conferences/{signed.token(_settings(site), 'conference', confirmation)}")
    expect(page.locator("form.actions")).to_be_visible()
    both_widths(page, "confirm-conferences")
    page.goto(f"{site.url}/confirm/interpreting/"
              f"{signed.token(_settings(site), 'interpreting', assignment, interpreter)}")
    expect(page.locator("form.actions")).to_be_visible()
    both_widths(page, "confirm-interpreting")
