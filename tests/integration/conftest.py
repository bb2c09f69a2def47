"""Fixtures shared by the integration tests that need a real server process."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from litestar.testing import AsyncTestClient

from scheduler.app import create_app
from tests.conftest import ENGINES, _pg_url, create_pg_database, drop_pg_database, run_cli
from tests.integration.helpers import ServerProcess, SmtpServer
from tests.integration.twilio_server import FROM, SID, TOKEN, TwilioServer


@pytest.fixture(scope="module", params=ENGINES)
def server(request, tmp_path_factory):
    """``family-bridge serve`` on a fresh migrated database of each engine, shared by a module's race tests."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("races") / "races.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url, name = f"sqlite:///{path}", None
    else:
        name = create_pg_database()
        url = _pg_url(name)
        assert run_cli(url, "migrate").returncode == 0
    with ServerProcess(url) as proc:
        yield proc
    if name:
        drop_pg_database(name)


@pytest.fixture
async def web(settings, smtp):
    """The app with mail going to a real local SMTP server; the client keeps cookies like a browser."""
    app = create_app(dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port))
    async with AsyncTestClient(app=app) as c:
        c.follow_redirects = False  # the tests read each redirect, as a browser's network panel would
        yield c


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def twilio():
    """A local server speaking Twilio's Messages API (tests/integration/twilio_server.py)."""
    with TwilioServer() as server:
        yield server


@pytest.fixture
def sms_settings(settings, smtp, twilio):
    """The test settings with e-mail to the local SMTP server and texts to the local Twilio-protocol server."""
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port, sms_provider="twilio",
                               twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_from=FROM,
                               twilio_base_url=twilio.base_url)
