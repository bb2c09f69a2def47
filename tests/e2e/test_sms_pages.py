"""The school's inbox of texts and the day-before "Will you come?" page, in a real Chromium: axe-clean, fit a
phone, a blank answer shown beside its field, the family's "yes" recorded.

The demo server runs without an SMS provider, so the inbound text is written
into its database the way the signed webhook would (integration tests cover
the webhook itself, tests/integration/test_sms.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sqlite3

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import TEST_SECRET
from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import SLUG, looks_right, published  # noqa: F401 (a fixture)


def _db(site: Site) -> sqlite3.Connection:
    return sqlite3.connect(site.database_url.removeprefix("sqlite:///"), timeout=30)


def test_the_school_answers_a_text_from_its_inbox(site: Site, context: BrowserContext) -> None:
    with site.api("admin") as api:
        family = api.get(f"/schools/{SLUG}/families", params={"limit": 1, "language": "so"}).json()["items"] or \
            api.get(f"/schools/{SLUG}/families", params={"limit": 1}).json()["items"]
        family = family[0]
    with _db(site) as db:
        school = db.execute("SELECT school FROM family WHERE id = ?", (family["id"],)).fetchone()[0]
        db.execute("INSERT INTO sms_inbound (provider_ref, from_phone, body, school, family, language, handled_as, "
                   "received_at) VALUES ('SM-e2e-1', '+16125550101', 'Ma iman karo, wiilkaygu wuu jiran yahay', ?, ?, "
                   "?, 'inbox', '2027-03-14 17:00:00+00:00')", (school, family["id"], family["language"]))
    page = context.new_page()
    sign_in(page, site, "admin")
    page.get_by_role("link", name="Inbox").click()  # the menu: also waits until the sign-in has landed
    expect(page).to_have_url(f"{site.url}/admin/inbox")
    expect(page.locator("blockquote")).to_contain_text("wiilkaygu")
    looks_right(page, "admin-inbox")
    page.get_by_role("button", name="Send").first.click()  # blank: refused beside the field
    expect(page.locator("textarea[aria-invalid=true]")).to_be_visible()
    looks_right(page, "admin-inbox-error")
    page.locator("textarea").first.fill("Mahadsanid. We hope he feels better soon.")
    page.get_by_role("button", name="Send").first.click()
    expect(page.locator(".notice")).to_contain_text("sent as a text")
    with _db(site) as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'sms_reply'").fetchone()[0] == 1


@pytest.mark.usefixtures("published")
def test_the_will_you_come_page_records_yes(site: Site, context: BrowserContext) -> None:
    with site.api("family") as api:
        mine: list[int] = []
        events = api.get(f"/schools/{SLUG}/events", params={"status": "published", "limit": 50}).json()["items"]
        assert events, "the demo school has published events"
        for event in events:  # the first event the demo family can register for (or already has)
            answer = api.post(f"/events/{event['id']}/registrations", json={})
            if answer.status_code == 201 and answer.json()["status"] == "confirmed":
                mine.append(answer.json()["id"])
                break
    assert mine, "the demo family could register for an event"
    registration = mine[0]
    mac = hmac.new(TEST_SECRET.encode(), f"attendance:{registration}".encode(), hashlib.sha256).digest()
    token = f"{registration}.{base64.urlsafe_b64encode(mac[:18]).decode()}"
    page = context.new_page()
    page.goto(f"{site.url}/attendance/{token}")
    expect(page.get_by_role("heading", name="Will you come?")).to_be_visible()
    looks_right(page, "will-you-come")
    page.get_by_role("button", name="Yes, we will come").click()
    expect(page.locator(".notice")).to_contain_text("we look forward")
    with _db(site) as db:
        assert db.execute("SELECT answer, channel FROM attendance_answer WHERE registration = ?",
                          (registration,)).fetchone() == ("yes", "web")
