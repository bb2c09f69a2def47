"""An administrator sets up, solves and publishes a conference week on the pages; a teacher signs in with
the e-mailed link and sees their day — in a real Chromium, against ``family-bridge serve`` on the demo.

The demo has no roster import, so two roster teachers and their classes (demo children) are written
into its database first, as an import would; a second server on the same database sends mail to a real
SMTP server (aiosmtpd), so the teacher's sign-in link really arrives by e-mail.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import looks_right
from tests.integration.helpers import ServerProcess, SmtpServer

SLUG = "riverside"
TEACHERS = (("Ms Okafor", "okafor.e2e@example.org", "3E"), ("Mr Lindqvist", "lindqvist.e2e@example.org", "4E"))


@pytest.fixture
def mail_site(site: Site) -> Iterator[tuple[Site, SmtpServer]]:
    """The demo's database with two roster teachers, served by a second server whose mail really goes out."""
    path = site.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=30) as db:
        school = db.execute("SELECT id FROM school WHERE slug = ?", (SLUG,)).fetchone()[0]
        if not db.execute("SELECT 1 FROM roster_teacher WHERE email = ?", (TEACHERS[0][1],)).fetchone():
            children = [r[0] for r in db.execute(
                "SELECT c.id FROM child c JOIN family f ON f.id = c.family WHERE f.school = ? ORDER BY c.id LIMIT 24",
                (school,))]
            for k, (name, email, klass) in enumerate(TEACHERS):
                teacher = db.execute("INSERT INTO roster_teacher (school, sourced_id, name, email, active, updated_at) "
                                     "VALUES (?, ?, ?, ?, 1, CURRENT_TIMESTAMP) RETURNING id",
                                     (school, f"e2e-t{k}", name, email)).fetchone()[0]
                klass_id = db.execute("INSERT INTO roster_class (school, sourced_id, name, grades, teacher, active, "
                                      "updated_at) VALUES (?, ?, ?, '[\"3\"]', ?, 1, CURRENT_TIMESTAMP) RETURNING id",
                                      (school, f"e2e-c{k}", klass, teacher)).fetchone()[0]
                db.executemany("INSERT INTO roster_class_enrollment (school_class, child, active) VALUES (?, ?, 1)",
                               [(klass_id, c) for c in children[k * 12:(k + 1) * 12]])
    with SmtpServer() as smtp, ServerProcess(site.database_url, FB_JOBS_IN_PROCESS="0", FB_SMTP_HOST="127.0.0.1",
                                             FB_SMTP_PORT=str(smtp.port)) as server:
        yield Site(url=server.url, tokens=site.tokens, database_url=site.database_url), smtp


def test_administrator_sets_up_solves_publishes_and_a_teacher_sees_the_day(mail_site, context: BrowserContext) -> None:
    site, smtp = mail_site
    page = context.new_page()
    sign_in(page, site, "admin")
    expect(page).to_have_url(re.compile(r"/planner$"))
    page.goto(f"{site.url}/admin/conferences")
    expect(page.locator("h1")).to_have_text("Parent-teacher conferences")
    looks_right(page, "conferences")

    page.fill("#f-name", "Autumn conferences (browser test)")
    page.fill("#f-date-0", "2027-04-20")
    page.click("form[action='/admin/conferences'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/conferences/\d+\?done=created$"))
    for name, _, _ in TEACHERS:
        card = page.locator("#roster-teachers > li").filter(has_text=name)
        card.get_by_role("button", name=re.compile("^Add to the week")).click()
        expect(page.locator("#teacher-list")).to_contain_text(name)
    page.fill("#f-time_limit", "3")
    page.click("#solve-button")
    expect(page.locator("#progress, #publish-button").first).to_be_visible()
    expect(page.locator("#publish-button")).to_be_visible(timeout=90_000)  # htmx polls until the solve is done
    expect(page.locator("#figures")).to_contain_text("Meetings placed")
    looks_right(page, "conference-review")
    page.click("#publish-button")
    expect(page.locator("#window-status")).to_contain_text("published")
    expect(page.locator("#self-booking-button")).to_be_visible()

    # the office makes the teacher's account; the sign-in link arrives by e-mail
    page.goto(f"{site.url}/admin/staff")
    page.fill("#f-name", TEACHERS[0][0])
    page.fill("#f-email", TEACHERS[0][1])
    page.select_option("#f-role", "teacher")
    page.click("form[action='/admin/staff'] button[type=submit]")
    expect(page.locator(".notice")).to_be_visible()
    link = next(re.search(r"/signin/(\S+)", m.get_content()).group(1) for m in reversed(smtp.inbox.messages)
                if m["To"] == TEACHERS[0][1])

    teacher = context.browser.new_context(viewport=page.viewport_size, locale="en-US").new_page()
    teacher.goto(f"{site.url}/signin/{link}")
    teacher.get_by_role("button", name="Continue").click()
    expect(teacher).to_have_url(re.compile(r"/teacher$"))
    expect(teacher.locator("h1").first).to_contain_text(TEACHERS[0][0])
    expect(teacher.locator("section.evening h2")).to_have_count(1)
    assert teacher.locator("table.day tbody tr").count() > 0, "the teacher's day lists meetings"
    expect(teacher.get_by_text("can no longer be changed here")).to_be_visible()
    looks_right(teacher, "teacher-day")
    teacher.emulate_media(media="print")  # printed, only the evenings remain
    expect(teacher.locator("header.top")).to_be_hidden()
    teacher.emulate_media(media="screen")
