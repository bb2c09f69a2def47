"""The demo school served by a real ``family-bridge serve`` and a real Chromium to look at it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import run_cli
from tests.e2e.browser import DESKTOP, launch
from tests.integration.helpers import ServerProcess


@dataclasses.dataclass
class Site:
    url: str
    tokens: dict[str, str]  # role -> API token, as the demo printed them
    database_url: str = ""  # the demo's database, for a test that starts a second server on it

    def api(self, role: str = "admin") -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120,  # plans are read with ?wait=60
                            headers={"Authorization": f"Bearer {self.tokens[role]}"})


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    """What the README's first command gives: the demo school, loaded by ``family-bridge demo``."""
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    done = run_cli(url, "demo", "--no-serve", timeout=300)
    assert done.returncode == 0, done.stderr
    tokens = {}
    for line in (folder / "demo-tokens.txt").read_text().splitlines():
        role, label, *rest = line.split()
        if label == "token:":
            tokens[role] = rest[0]
    with ServerProcess(url, FB_JOBS_IN_PROCESS="0") as server:
        yield Site(url=server.url, tokens=tokens, database_url=url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module, not per session: Playwright's sync API keeps an event loop running
    in this thread while it is open, and pytest-xdist runs other modules' async tests on the same worker."""
    with sync_playwright() as playwright:
        chromium = launch(playwright)  # fails, never skips, when Chromium is missing
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=DESKTOP, locale="en-US")
    yield ctx
    ctx.close()


def sign_in(page: Page, site: Site, role: str) -> None:
    """Through the sign-in page, the way a person pastes the token the demo printed."""
    page.goto(f"{site.url}/signin")
    page.fill("#token", site.tokens[role])
    with page.expect_navigation():  # else a busy machine lets the next goto() cancel the sign-in POST
        page.click("form[action='/signin/token'] button")
    page.wait_for_load_state("networkidle")
