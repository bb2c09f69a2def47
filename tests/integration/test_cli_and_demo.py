"""The real command line: migrate, serve's migration guard, the demo school, and a schemathesis run."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from scheduler.core.db import migration_ids
from scheduler.piccolo_app import APP_CONFIG
from tests.conftest import ENGINES, ROOT, _pg_url, cli_env, create_pg_database, drop_pg_database, run_cli
from tests.integration.helpers import ServerProcess


def test_serve_refuses_unmigrated_database_then_migrate_fixes_it(empty_database):
    refused = run_cli(empty_database, "serve")
    assert refused.returncode == 1
    assert "unapplied migration" in refused.stderr and "family-bridge migrate" in refused.stderr
    first = run_cli(empty_database, "migrate")
    assert first.returncode == 0 and f"applied {len(migration_ids(APP_CONFIG))} migration(s)" in first.stdout, first.stderr
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


@pytest.fixture(scope="module", params=ENGINES)
def demo_api(request, tmp_path_factory):
    """One demo school per engine behind a real server, with the ids a fuzzer needs to reach real objects."""
    if request.param == "sqlite":
        url, name = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'demo.sqlite'}", None
    else:
        name = create_pg_database()
        url = _pg_url(name)
    assert run_cli(url, "migrate").returncode == 0
    loaded = run_cli(url, "demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stderr
    tokens = _tokens(loaded.stdout)
    with ServerProcess(url) as server:
        def get(path: str, role: str = "district") -> Any:
            return httpx.get(f"{server.url}{path}", headers={"Authorization": f"Bearer {tokens[role]}"}).json()

        family_id = get("/users/me", "family")["family_id"]
        window = get("/schools/riverside/conference-windows")[0]["id"]
        ids = {"slug": "riverside", "family_id": family_id,
               "child_id": get(f"/families/{family_id}/children")[0]["id"],
               "interpreter_id": get("/users/me", "interpreter")["interpreter_id"],
               "room_id": get("/schools/riverside/rooms?limit=1")["items"][0]["id"],
               "childcare_id": get("/schools/riverside/childcare?limit=1")["items"][0]["id"],
               "event_id": get("/schools/riverside/events?limit=1")["items"][0]["id"],
               "window_id": window, "teacher_id": get(f"/conference-windows/{window}/teachers")[0]["id"]}
        yield server.url, tokens, ids
    if name:
        drop_pg_database(name)


@pytest.mark.parametrize("role", ["district", "admin", "family", "interpreter"])
def test_schemathesis_finds_no_server_error_or_schema_break(demo_api, role, tmp_path):
    """Property-based calls of every operation, chained by the links schemathesis infers (the stateful phase):
    no 5xx, every response matches the OpenAPI document, and every status it answers is documented there.
    The demo's own ids are supplied so the calls reach real objects, not only 404s."""
    url, tokens, ids = demo_api
    config = tmp_path / "schemathesis.toml"
    config.write_text("[parameters]\n" + "".join(f'"path.{k}" = {v!r}\n'.replace("'", '"') for k, v in ids.items()))
    st = shutil.which("schemathesis", path=os.path.dirname(sys.executable)) or "schemathesis"
    result = subprocess.run(
        [st, "--config-file", str(config), "run", f"{url}/schema/openapi.json",
         "-H", f"Authorization: Bearer {tokens[role]}",
         "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance",
         "--phases", "coverage,fuzzing,stateful",
         "--max-time", os.environ.get("FB_SCHEMATHESIS_SECONDS", "20"), "--seed", "7", "-w", "1",  # hypothesis's lambda-source cache is not thread-safe
         # GET /plans/{id}?wait= long-polls up to 60 s by design
         "--request-timeout", "75"],
        capture_output=True, text=True, timeout=600)
    summary = result.stdout[-3000:]
    errors = result.stdout[result.stdout.find("FAILURES"):][:3000] if "FAILURES" in result.stdout else ""
    assert result.returncode == 0, errors + summary
    assert re.search(r"\d+ generated, \d+ passed", summary), summary


def test_the_tables_in_the_code_match_the_migrations(tmp_path):
    """Piccolo's auto-diff of every feature's tables against the migration history finds nothing to add."""
    folder = ROOT / "scheduler" / "piccolo_migrations"
    before = set(folder.iterdir())
    url = f"sqlite:///{tmp_path / 'diff.sqlite'}"
    assert run_cli(url, "migrate").returncode == 0
    piccolo = shutil.which("piccolo", path=os.path.dirname(sys.executable)) or "piccolo"
    result = subprocess.run([piccolo, "migrations", "new", "family_bridge", "--auto"], cwd=ROOT, env=cli_env(url),
                            capture_output=True, text=True, timeout=120)
    for made in set(folder.iterdir()) - before:  # never leave a migration behind, even when this fails
        made.unlink()
    assert "No changes detected" in result.stdout, result.stdout + result.stderr
