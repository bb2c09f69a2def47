"""Settings from environment variables, read once per process.

Every setting has a default that runs the demo on an embedded SQLite file
with no set-up; production overrides them (see ``deploy/env.example``).
Reading happens in one place so that a typo in a variable name shows up in
one file rather than as a silent default somewhere deep in the code.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SettingsError(ValueError):
    """A setting has a value the service cannot run with."""


@dataclasses.dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/family-bridge.sqlite"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    timezone: str = "America/Chicago"
    base_url: str = ""
    travel_buffer_minutes: int = 30

    @property
    def public_url(self) -> str:
        """The address people use; defaults to where the server listens."""
        return self.base_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the engine is SQLite, else None."""
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        url = env.get("DATABASE_URL", defaults.database_url)
        if not (url.startswith("sqlite:///") or url.startswith(("postgresql://", "postgres://"))):
            raise SettingsError(
                f"DATABASE_URL must start with sqlite:/// or postgresql://, got {url.split(':')[0]!r}"
            )
        try:
            port = int(env.get("FB_PORT", defaults.port))
        except ValueError as exc:
            raise SettingsError("FB_PORT must be a whole number") from exc
        try:
            travel = int(env.get("FB_TRAVEL_BUFFER_MINUTES", defaults.travel_buffer_minutes))
        except ValueError as exc:
            raise SettingsError("FB_TRAVEL_BUFFER_MINUTES must be a whole number") from exc
        tz = env.get("FB_TIMEZONE", defaults.timezone)
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"FB_TIMEZONE: unknown time zone {tz!r}") from exc
        settings = cls(
            database_url=url,
            host=env.get("FB_HOST", defaults.host),
            port=port,
            secret_key=env.get("FB_SECRET_KEY", ""),
            timezone=tz,
            base_url=env.get("FB_BASE_URL", ""),
            travel_buffer_minutes=travel,
        )
        if not settings.secret_key:
            settings = dataclasses.replace(settings, secret_key=_local_secret(settings))
        return settings


def _local_secret(settings: Settings) -> str:
    """A per-installation secret kept beside the SQLite file.

    The demo must run with no set-up, yet a secret baked into the source
    would make every demo's tokens forgeable; so the first start writes a
    random one next to the database. PostgreSQL deployments must set
    FB_SECRET_KEY explicitly, since their app processes may not share a disk.
    """
    path = settings.sqlite_path
    if path is None:
        raise SettingsError("FB_SECRET_KEY must be set when DATABASE_URL is PostgreSQL")
    key_file = path.parent / "secret.key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings.from_env()
