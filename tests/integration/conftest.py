"""Fixtures shared by the integration tests that need a real server process."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ENGINES, _pg_url, create_pg_database, drop_pg_database, run_cli
from tests.integration.helpers import ServerProcess, SmtpServer


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
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
