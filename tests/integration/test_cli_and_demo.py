"""The real command line: migrate, serve's migration guard, the demo school, and a schemathesis run."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest

from scheduler.db import migration_ids
from tests.conftest import ROOT, cli_env, run_cli


def test_serve_refuses_unmigrated_database_then_migrate_fixes_it(empty_database):
    refused = run_cli(empty_database, "serve")
    assert refused.returncode == 1
    assert "unapplied migration" in refused.stderr and "family-bridge migrate" in refused.stderr
    first = run_cli(empty_database, "migrate")
    assert first.returncode == 0 and f"applied {len(migration_ids())} migration(s)" in first.stdout, first.stderr
    again = run_cli(empty_database, "migrate")
    assert again.returncode == 0 and "up to date" in again.stdout


def test_bad_database_url_is_a_clear_error(tmp_path):
    result = run_cli("mysql://nope", "migrate")
    assert result.returncode == 2 and "DATABASE_URL must start with" in result.stderr


def _tokens(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+)\s+token: (\S+)$", output, re.M))


def test_demo_loads_a_realistic_school_once(database_url):
    started = time.perf_counter()
    loaded = run_cli(database_url, "demo", "--no-serve")
    elapsed = time.perf_counter() - started
    assert loaded.returncode == 0, loaded.stderr
    assert "1500 families" in loaded.stdout and "7 languages" in loaded.stdout and "40 draft events" in loaded.stdout
    print(f"demo load ({database_url.split(':')[0]}): {elapsed:.1f} s including process start")
    assert set(_tokens(loaded.stdout)) == {"district", "admin", "family", "interpreter"}
    second = run_cli(database_url, "demo", "--no-serve")
    assert "already present" in second.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_server(database_url):
    """The real server process (``family-bridge serve``) on a database holding the demo school."""
    loaded = run_cli(database_url, "demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stderr
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "serve"], cwd=ROOT,
                            env=cli_env(database_url, FB_PORT=str(port)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"server did not start: {proc.stdout.read()}")
    yield url, _tokens(loaded.stdout)
    proc.terminate()
    proc.wait(timeout=10)


def test_demo_is_served_over_http(demo_server):
    url, tokens = demo_server
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    events = httpx.get(f"{url}/schools/riverside/events?limit=100&status=draft", headers=admin).json()
    assert events["total"] == 40  # the month's draft events, waiting for the planner
    assert any(e["interpreter_languages"] for e in events["items"])
    families = httpx.get(f"{url}/schools/riverside/families?limit=1", headers=admin).json()
    assert families["total"] == 1500
    family = {"Authorization": f"Bearer {tokens['family']}"}
    assert httpx.get(f"{url}/schools/riverside/families", headers=family).status_code == 403


@pytest.mark.parametrize("role", ["district", "family"])
def test_schemathesis_finds_no_server_error_or_schema_break(demo_server, role):
    """Property-based calls of every operation: no 5xx, every response matches the OpenAPI document."""
    url, tokens = demo_server
    st = shutil.which("schemathesis", path=os.path.dirname(sys.executable)) or "schemathesis"
    result = subprocess.run(
        [st, "run", f"{url}/schema/openapi.json", "-H", f"Authorization: Bearer {tokens[role]}",
         "--checks", "not_a_server_error,response_schema_conformance", "--phases", "coverage,fuzzing",
         "--max-time", os.environ.get("FB_SCHEMATHESIS_SECONDS", "25"), "--seed", "7", "-w", "1",  # hypothesis's lambda-source cache is not thread-safe
         # GET /plans/{id}?wait= long-polls up to 60 s by design
         "--request-timeout", "75"],
        capture_output=True, text=True, timeout=600)
    summary = result.stdout[-3000:]
    errors = result.stdout[result.stdout.find("ERRORS"):][:3000] if "ERRORS" in result.stdout else ""
    assert result.returncode == 0, errors + summary
    assert re.search(r"\d+ generated, \d+ passed", summary), summary
