"""Check-in at the door on a 360 px phone, in Chromium: search and check in, a typed code, a scanned code
(Chromium's fake camera playing the family's QR), and the offline queue synced once it is back online."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
import segno
from playwright.sync_api import Browser, Page, expect

from scheduler.attendance.checkin import fold
from scheduler.attendance.codes import door_code
from tests.conftest import TEST_SECRET
from tests.e2e.browser import ARGS, CHROMIUM, PHONE, axe_violations
from tests.e2e.conftest import Site

SLUG = "riverside"


@pytest.fixture
def door(site: Site) -> dict:
    """A published event two hours from now (check-in is open), four demo families registered, a teacher."""
    admin = site.api("admin")
    made = admin.post(f"/schools/{SLUG}/events", json={
        "title": f"Door night {uuid.uuid4().hex[:4]}", "kind": "meeting", "duration_minutes": 90,
        "earliest_date": dt.date.today().isoformat(), "latest_date": dt.date.today().isoformat()})
    assert made.status_code == 201, made.text
    event = made.json()["id"]
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=2)
    with sqlite3.connect(site.database_url.removeprefix("sqlite:///"), timeout=30) as db:
        db.execute("UPDATE event SET status = 'published', starts_at = ?, ends_at = ?, seats = 80 WHERE id = ?",
                   (str(start), str(start + dt.timedelta(minutes=90)), event))
    families = admin.get(f"/schools/{SLUG}/families", params={"limit": 40}).json()["items"]
    names = {}
    picked = []
    for f in families:  # four families whose first name word is theirs alone, so a search finds one
        word = fold(f["name"].split()[0])
        if word not in names and len(picked) < 4:
            names[word] = f
            picked.append(f)
    regs = {}
    for f in picked:
        answer = admin.post(f"/events/{event}/registrations", json={"family_id": f["id"]})
        assert answer.status_code == 201, answer.text
        regs[f["id"]] = answer.json()["id"]
    teacher = admin.post(f"/schools/{SLUG}/users", json={"role": "teacher", "name": "Door Teacher",
                                                          "email": f"door.{uuid.uuid4().hex[:6]}@example.org"})
    assert teacher.status_code == 201, teacher.text
    return {"event": event, "families": picked, "regs": regs, "token": teacher.json()["token"]}


def _sign_in(page: Page, site: Site, token: str) -> None:
    page.goto(f"{site.url}/signin")
    page.fill("#token", token)
    with page.expect_navigation():
        page.click("form[action='/signin/token'] button")
    page.wait_for_load_state("networkidle")


def _code(registration: int) -> str:
    """The code printed on the family's page and in its e-mail (the server runs with the tests' secret)."""
    return door_code(TEST_SECRET, registration)


def _server_rows(site: Site, event: int) -> list[dict]:
    answer = site.api("admin").get(f"/events/{event}/check-ins")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _row(page: Page, family: dict):
    return page.locator(f"#door-list li[data-family='{family['id']}']")


def test_staff_check_in_on_a_phone_search_code_offline_then_sync(browser: Browser, site: Site, door: dict):
    ctx = browser.new_context(viewport=PHONE, locale="en-US")
    page = ctx.new_page()
    _sign_in(page, site, door["token"])
    url = f"{site.url}/staff/events/{door['event']}/door"
    page.goto(url)
    assert axe_violations(page) == []
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"), "wider than 360 px"
    first, second, third, fourth = door["families"]

    # search a family (typed without accents, lower case) and check it in
    word = fold(first["name"].split()[0])
    page.fill("#q", word)
    expect(_row(page, second)).to_be_hidden()  # the list filters as one types
    with page.expect_navigation():
        page.press("#q", "Enter")  # ... and the search is a plain GET too
    assert f"q={word}" in page.url
    _row(page, first).get_by_role("button", name=re.compile("Check in")).click()
    expect(_row(page, first).locator(".door-state")).to_have_text("Checked in")
    expect(page.locator("#count-checked")).to_have_text("1")

    # a family shows its code: typed (the printed text under the QR)
    code = _code(door["regs"][second["id"]])
    page.goto(url)
    page.fill("#f-code", code)
    page.locator("form[data-kind=code] button").click()
    expect(page.locator("#door-pending li")).to_have_text(f"{second['name']}: Checked in")
    assert {r["family_id"] for r in _server_rows(site, door["event"])} == {first["id"], second["id"]}

    # offline: two check-ins wait on the phone, shown at once
    page.goto(url)
    ctx.set_offline(True)
    for family in (third, fourth):
        _row(page, family).get_by_role("button", name=re.compile("Check in")).click()
        expect(_row(page, family).locator(".door-state")).to_have_text("Checked in (waiting to sync)")
    expect(page.locator("#door-sync")).to_contain_text("2 waiting to sync")
    queue = page.evaluate(f"JSON.parse(localStorage.getItem('fb-door-queue:{door['event']}'))")
    assert len(queue) == 2
    assert len(_server_rows(site, door["event"])) == 2  # nothing reached the server

    # back online: the queue goes out by itself, and empties
    ctx.set_offline(False)
    for family in (third, fourth):
        expect(_row(page, family).locator(".door-state")).to_have_text("Checked in", timeout=30_000)
    assert page.evaluate(f"localStorage.getItem('fb-door-queue:{door['event']}')") == "[]"
    stored = _server_rows(site, door["event"])
    assert sorted(r["family_id"] for r in stored) == sorted(f["id"] for f in door["families"])
    assert {q["client_ref"] for q in queue} <= {r["client_ref"] for r in stored}

    # the same queue sent again (a phone that never heard the answer) adds nothing
    again = page.evaluate("""async ([queue, csrf, url]) => {
        const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                    body: JSON.stringify({csrf: csrf, items: queue.map(i => ({
                                        client_ref: i.client_ref, family_id: i.family_id,
                                        checked_in_at: i.checked_in_at}))})});
        return await r.json(); }""", [queue, page.locator("#door").get_attribute("data-csrf"), url + "/sync"])
    assert [r["outcome"] for r in again["results"]] == ["checked_in", "checked_in"]
    assert len(_server_rows(site, door["event"])) == 4

    page.reload()
    expect(page.locator("#count-checked")).to_have_text("4")
    assert page.locator("#door-list .door-state.done").count() == 4
    assert axe_violations(page) == []
    ctx.close()


def _y4m(text: str, path: Path, width: int = 640, height: int = 480, frames: int = 10) -> None:
    """A short YUV4MPEG2 video of the QR on white, for Chromium's fake camera."""
    matrix = [list(row) for row in segno.make_qr(text, error="m").matrix]
    scale = min(width, height) * 3 // 4 // (len(matrix) + 8)
    size = len(matrix) * scale
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray([235]) * (width * height)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * width + left + x * scale
                    luma[start:start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 4)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


def test_a_scanned_code_checks_the_family_in(browser: Browser, site: Site, door: dict, tmp_path):
    family = door["families"][0]
    code = _code(door["regs"][family["id"]])
    video = tmp_path / "code.y4m"
    _y4m(code, video)
    camera = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
        *ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        ctx = camera.new_context(viewport=PHONE, locale="en-US")
        page = ctx.new_page()
        _sign_in(page, site, door["token"])
        page.goto(f"{site.url}/staff/events/{door['event']}/door")
        page.locator("#scan-start").click()
        expect(page.locator("#door-pending li")).to_have_text(f"{family['name']}: Checked in", timeout=30_000)
        assert [r["family_id"] for r in _server_rows(site, door["event"])] == [family["id"]]
        assert axe_violations(page) == []
    finally:
        camera.close()
