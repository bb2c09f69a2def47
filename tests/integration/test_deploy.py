"""The deployment files (deploy/) are read, checked against the code, and *run*.

The static checks catch drift between the files and the code: a setting
added to settings.py but not to env.example, a ``${VAR}`` in compose that
nobody documents, a systemd unit starting something other than compose.
The live test starts exactly the commands the image, compose and systemd
run -- taken from those files, not repeated here -- as real processes on a
throwaway PostgreSQL database, then stops them the way Docker and systemd
do (SIGTERM) and expects a clean exit.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import (
    PG_ADMIN_URL,
    ROOT,
    TEST_SECRET,
    _pg_url,
    cli_env,
    create_pg_database,
    drop_pg_database,
    run_async,
)
from tests.integration.helpers import BoundDatabase, free_port

DEPLOY = ROOT / "deploy"
ROLES = ("migrate", "app", "worker")
UNITS = {"migrate": "family-bridge-migrate.service", "app": "family-bridge.service",
         "worker": "family-bridge-worker.service"}

# ---------------------------------------------------------------- reading the files

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; $${VAR} is an escaped dollar
_COMPOSE_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
_ENV_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution, enough for our file (defaults, required, escaped dollars)."""

    def one(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        value = env.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return value if value is not None else arg
        if op in (":?", "?") and not value:
            raise ValueError(f"compose needs {name}: {arg}")
        return value or ""

    return _COMPOSE_VAR.sub(one, text).replace("$$", "$")


def compose(env: dict[str, str] | None = None) -> dict:
    """compose.yaml as compose sees it: merge keys resolved, variables substituted."""
    raw = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    if env is None:
        return raw

    def walk(node):  # compose substitutes inside values after parsing, never in the YAML text
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return interpolate(node, env) if isinstance(node, str) else node

    return walk(raw)


def compose_env() -> dict[str, str]:
    """What an operator's deploy/.env would at least provide."""
    return {"POSTGRES_PASSWORD": "secret", "FB_SECRET_KEY": TEST_SECRET}


def env_example() -> dict[str, str]:
    """Variable -> documented default (commented or not; quotes removed)."""
    out = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        m = _ENV_LINE.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2).strip().strip('"')
    return out


def settings_variables() -> set[str]:
    """Every variable settings.py reads: the quoted names in its source."""
    source = (ROOT / "scheduler" / "core" / "settings.py").read_text()
    return set(re.findall(r'"((?:FB|DATABASE)_[A-Z0-9_]+)"', source))


def dockerfile() -> dict:
    """The final stage of deploy/Dockerfile: FROM, USER, ENV, HEALTHCHECK, ENTRYPOINT, CMD; all COPY sources."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    out: dict = {"copies": [], "env": {}}
    for line in lines:
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            out.update({"from": rest.split()[0], "env": {}, "user": None})
        elif word == "ENV":
            out["env"].update(dict(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", rest)))
        elif word == "COPY" and "--from" not in rest:
            out["copies"].extend(rest.split()[:-1])
        elif word in ("USER", "HEALTHCHECK"):
            out[word.lower()] = rest.strip()
        elif word in ("ENTRYPOINT", "CMD"):
            out[word.lower()] = json.loads(rest)
    return out


def unit(role: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / UNITS[role]).read_text())
    return parser


def commands() -> dict[str, list[str]]:
    """argv of each role as compose starts it: the image's ENTRYPOINT plus the service's command."""
    entry = dockerfile()["entrypoint"]
    services = compose(compose_env())["services"]
    return {role: [*entry, *services[role]["command"]] for role in ROLES}


# ---------------------------------------------------------------- static checks


def test_compose_services_roles_and_health():
    services = compose()["services"]
    assert set(services) == {"db", *ROLES}
    db = services["db"]
    assert db["image"].startswith("postgres:15")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert set(compose()["volumes"]) >= {v.split(":")[0] for v in db["volumes"]}
    argv = commands()
    assert argv["migrate"][1:] == ["migrate"]
    assert argv["worker"][1:] == ["worker"]
    assert argv["app"][1:3] == ["serve", "--workers"] and int(argv["app"][3]) >= 2
    assert services["migrate"]["restart"] == "no"
    assert services["app"]["environment"]["FB_JOBS_IN_PROCESS"] == "0"
    assert "FB_JOBS_IN_PROCESS" not in services["worker"]["environment"]  # the worker is where jobs run
    for role in ("app", "worker"):
        after = services[role]["depends_on"]
        assert after["db"]["condition"] == "service_healthy"
        assert after["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "disable" not in services["app"].get("healthcheck", {})  # the app keeps the image's /health check
    assert services["app"]["ports"][0].startswith("127.0.0.1:")  # behind a local TLS proxy, never open


def test_every_compose_variable_is_documented():
    used = set(_COMPOSE_VAR.findall((DEPLOY / "compose.yaml").read_text()))
    used = {name for name, _, _ in used}
    assert used >= {"POSTGRES_PASSWORD", "FB_SECRET_KEY", "FB_WEB_WORKERS"}
    assert not used - set(env_example()), "compose uses variables env.example does not document"
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):  # refused, not started with an empty password
        compose({"FB_SECRET_KEY": TEST_SECRET})


def test_env_example_documents_every_setting_with_its_default():
    documented = env_example()
    read = settings_variables()
    assert {"DATABASE_URL", "FB_SECRET_KEY", "FB_DB_POOL_SIZE", "FB_LOG_FORMAT", "FB_MAX_UPLOAD_BYTES",
            "FB_RATE_LIMIT_FEEDS_PER_MINUTE", "FB_JOBS_IN_PROCESS"} <= read
    assert not read - set(documented), "settings.py reads variables env.example does not document"
    # and nothing documented is read nowhere (a typo in env.example would be a silent no-op)
    code = "\n".join(p.read_text() for pkg in ("scheduler", "calendars", "resources")
                     for p in (ROOT / pkg).rglob("*.py"))
    compose_vars = {name for name, _, _ in _COMPOSE_VAR.findall((DEPLOY / "compose.yaml").read_text())}
    unread = {v for v in documented if f'"{v}"' not in code and v not in compose_vars}
    assert not unread, f"env.example documents variables nothing reads: {unread}"
    # each variable line has a prose comment above it (a line of its own, not a trailing comment)
    lines = (DEPLOY / "env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if _ENV_LINE.match(line):
            j = i - 1
            while _ENV_LINE.match(lines[j]):
                j -= 1
            assert lines[j].startswith("# ") and len(lines[j]) > 10, f"no comment above {line!r}"
            assert " #" not in line, f"inline comment in {line!r} would become part of the value"
    # the documented defaults are the real ones: reading them changes nothing
    from scheduler.core.settings import Settings

    fixed = {"DATABASE_URL": "postgresql://u@db/x", "FB_SECRET_KEY": TEST_SECRET}
    as_documented = {k: v for k, v in documented.items() if k in read and k not in fixed}
    assert Settings.from_env({**as_documented, **fixed}) == Settings.from_env(fixed)


def test_dockerfile_image():
    image = dockerfile()
    assert image["from"] == "python:3.11-slim"
    assert image["user"] and image["user"] not in ("root", "0")
    assert "/health" in image["healthcheck"]
    assert image["entrypoint"] == ["family-bridge"] and image["cmd"] == ["serve"]
    assert image["env"]["FB_HOST"] == "0.0.0.0" and image["env"]["FB_LOG_FORMAT"] == "json"
    # every package the distribution ships is copied into the build
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r'include = \[([^\]]*)\]', pyproject).group(1)
    for name in re.findall(r'"(\w+)\*"', packages):
        assert name in image["copies"], f"the Dockerfile does not copy package {name}"
    assert "pyproject.toml" in image["copies"]


def test_systemd_units_start_what_compose_starts():
    argv = commands()
    for role in ROLES:
        parsed = unit(role)
        service = parsed["Service"]
        exec_start = shlex.split(service["ExecStart"])
        assert Path(exec_start[0]).name == argv[role][0]
        assert exec_start[1:] == argv[role][1:], f"{UNITS[role]} and compose start {role} differently"
        assert service["EnvironmentFile"] == "/etc/family-bridge/env"
        assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
        assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root")
    assert unit("migrate")["Service"]["Type"] == "oneshot"
    assert "RemainAfterExit" not in unit("migrate")["Service"]  # re-runs on every restart of the app
    for role in ("app", "worker"):
        assert UNITS["migrate"] in unit(role)["Unit"]["Requires"].split()
        assert UNITS["migrate"] in unit(role)["Unit"]["After"].split()
    assert unit("app")["Service"]["Environment"] == "FB_JOBS_IN_PROCESS=0"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path):
    """``systemd-analyze verify`` with ExecStart pointed at this venv's script (it checks it exists)."""
    script = str(Path(sys.executable).parent / "family-bridge")
    for name in UNITS.values():
        text = (DEPLOY / "systemd" / name).read_text().replace("/opt/family-bridge/venv/bin/family-bridge", script)
        (tmp_path / name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / n) for n in UNITS.values())],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- the real thing


class Role:
    """One deploy role as a real process, output in a file, stopped with SIGTERM like Docker and systemd do."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        script = Path(sys.executable).parent / argv[0]  # the console script pip installed, as in the image
        self.log = tempfile.NamedTemporaryFile("w+", prefix=f"fb-{argv[1]}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([str(script), *argv[1:]], env=env, cwd=cwd, stdout=self.log,
                                     stderr=subprocess.STDOUT, text=True)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def stop(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.proc.args[1]} ignored SIGTERM for {timeout} s: {self.output()[-2000:]}")


def role_env(role: str, database_url: str, port: int) -> dict[str, str]:
    """The environment a container of this role gets: the image's ENV, then the compose service's.

    Only the network plumbing is replaced -- the database address and the
    port (compose's are container-internal) and the interface (this test
    listens on loopback, not on 0.0.0.0).
    """
    env = cli_env(database_url)
    env.update(dockerfile()["env"])
    env.update({k: str(v) for k, v in compose(compose_env())["services"][role]["environment"].items()})
    env.update({"DATABASE_URL": database_url, "FB_HOST": "127.0.0.1", "FB_PORT": str(port)})
    return env


def _wait_for(predicate, seconds: float, what: str, output) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds:.0f} s; output:\n{output()[-3000:]}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _add_district_admin(database_url: str) -> dict[str, str]:
    from scheduler.accounts.tables import User
    from scheduler.core.auth import hash_api_token, new_api_token

    token = new_api_token()

    async def insert() -> None:
        async with BoundDatabase(database_url):
            await User.insert(User(role="admin", name="ops test", email="ops@example.org", school=None,
                                   token_hash=hash_api_token(token))).run()

    run_async(insert())
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.skipif(not PG_ADMIN_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
@pytest.mark.parametrize("engine", ["postgres"])
def test_the_deploy_commands_run_serve_and_stop_cleanly(engine, tmp_path):
    argv = commands()
    name = create_pg_database()
    url = _pg_url(name)
    port = free_port()
    running: list[Role] = []
    try:
        migrate = subprocess.run([str(Path(sys.executable).parent / argv["migrate"][0]), *argv["migrate"][1:]],
                                 env=role_env("migrate", url, port), cwd=tmp_path, capture_output=True, text=True,
                                 timeout=180)
        assert migrate.returncode == 0 and "applied" in migrate.stdout, migrate.stdout + migrate.stderr
        app_env = role_env("app", url, port)
        assert app_env["FB_JOBS_IN_PROCESS"] == "0" and app_env["FB_LOG_FORMAT"] == "json"
        app = Role(argv["app"], app_env, tmp_path)
        running.append(app)
        worker = Role(argv["worker"], role_env("worker", url, port), tmp_path)
        running.append(worker)
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _answers(f"{base}/health"), 90, "the app did not answer /health", app.output)
        assert httpx.get(f"{base}/ready").json() == {"status": "ready"}

        # the image's own HEALTHCHECK command, as Docker would run it inside the container
        check = json.loads(dockerfile()["healthcheck"].split(" CMD ", 1)[1])  # exec form: a JSON list
        probe = subprocess.run([sys.executable if check[0] == "python" else check[0], *check[1:]],
                               env={**os.environ, "FB_PORT": str(port)}, capture_output=True, timeout=30)
        assert probe.returncode == 0, probe.stderr

        # a request that works end to end: create a school over HTTP, read its public feed
        admin = _add_district_admin(url)
        created = httpx.post(f"{base}/schools", headers=admin, json={
            "name": "Lincoln Elementary", "slug": "lincoln", "timezone": "America/Chicago", "languages": ["en"]})
        assert created.status_code == 201, created.text
        feed = httpx.get(f"{base}/calendars/schools/lincoln.ics")
        assert feed.status_code == 200 and feed.content.startswith(b"BEGIN:VCALENDAR")
        bogus = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
        assert httpx.get(f"{base}/calendars/private/{bogus}.ics?email=ops@example.org").status_code == 404

        # the worker ran its first round of sweeps against the database
        _wait_for(lambda: "sweeps queued" in worker.output(), 60, "the worker ran no sweep", worker.output)

        codes = {"app": app.stop(), "worker": worker.stop()}
        running.clear()
        assert codes == {"app": 0, "worker": 0}, (app.output()[-2000:], worker.output()[-2000:])

        # every log line is one JSON object (the banner aside), with no token and no address
        lines = [ln for ln in app.output().splitlines() if ln.strip() and not ln.startswith("Family Bridge at ")]
        records = [json.loads(ln) for ln in lines]
        access = [r for r in records if r["logger"] == "family_bridge.access"]
        assert {r["route"] for r in access} >= {"/schools", "/calendars/schools/{name}", "/calendars/private/{name}"}
        assert all(r["request_id"] for r in access)
        assert bogus not in app.output() and "ops@example.org" not in app.output()
        assert feed.headers["x-request-id"] in {r["request_id"] for r in access}
        for line in worker.output().splitlines():
            if line.startswith("{"):
                json.loads(line)
    finally:
        for role in running:
            role.proc.kill()
            role.proc.wait()
        drop_pg_database(name)
