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

# whole-number settings for which 0 is meaningful (no escalation lead time; a rate limit switched off)
_ZERO_ALLOWED = frozenset({"escalate_days", "rate_limit_feeds_per_minute", "rate_limit_signin_per_minute"})


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
    # e-mail delivery (scheduler/notifications/mailer.py); the default is a local debugging server
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    smtp_tls: str = "none"  # none / starttls / ssl
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Family Bridge <no-reply@family-bridge.invalid>"
    # Off in the dataclass so tests and tools that build Settings in code start no background
    # jobs; on by default when read from the environment (FB_JOBS_IN_PROCESS=0 with a separate worker).
    jobs_in_process: bool = False
    sweep_seconds: int = 60  # reminders, escalations, event changes
    send_seconds: int = 10  # outbox delivery
    escalate_days: int = 3  # an interpreter assignment still open this close to the event is escalated
    interpreter_confirm_hours: int = 12  # an interpreter who has not said "I will be there" by then: coordinator told
    outbox_max_attempts: int = 8  # then the message is marked failed
    outbox_backoff_seconds: int = 60  # first retry delay; doubles per attempt, capped at 6 h
    outbox_batch: int = 200  # rows one sender claims at a time (one SMTP connection per batch)
    # text messages (scheduler/notifications/sms_provider.py): "" (none: e-mail only) or "twilio"
    sms_provider: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""  # also the key Twilio signs its webhooks with
    twilio_from: str = ""  # the sending number (E.164) or a Messaging Service SID
    twilio_base_url: str = "https://api.twilio.com"
    # PostgreSQL connections each app process may open (asyncpg pool max_size); the worker and
    # `migrate` use at most 4. Total: web workers x pool + 4 per worker process, under max_connections.
    db_pool_size: int = 10
    # operations (scheduler/http/middleware.py)
    log_format: str = "text"  # text (readable) / json (one object per line, for log collectors)
    max_body_bytes: int = 2_000_000  # any request body (JSON, forms)
    max_upload_bytes: int = 5_000_000  # a calendar file (PUT ...busy.ics)
    # Requests per minute per client address and route group, counted in the database (so shared by every
    # web worker and server); 0 switches a group's limit off.
    rate_limit_feeds_per_minute: int = 120  # private feed URLs (token in the path)
    rate_limit_signin_per_minute: int = 20  # sign-in, magic-link and preferences links
    # roster import (scheduler/roster): the OneRoster extension columns holding a home language
    # (ISO 639 code or English name) and a household id (guardians sharing one are one family)
    roster_language_column: str = "metadata.homeLanguage"
    roster_household_column: str = "metadata.householdId"
    # how long a family's pick of a conference slot is held for it while it picks the others
    conference_hold_seconds: int = 120

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
        numbers = {}
        for name, var in (("smtp_port", "FB_SMTP_PORT"), ("sweep_seconds", "FB_SWEEP_SECONDS"),
                          ("send_seconds", "FB_SEND_SECONDS"), ("escalate_days", "FB_ESCALATE_DAYS"),
                          ("outbox_max_attempts", "FB_OUTBOX_MAX_ATTEMPTS"),
                          ("outbox_backoff_seconds", "FB_OUTBOX_BACKOFF_SECONDS"),
                          ("outbox_batch", "FB_OUTBOX_BATCH"), ("db_pool_size", "FB_DB_POOL_SIZE"),
                          ("max_body_bytes", "FB_MAX_BODY_BYTES"), ("max_upload_bytes", "FB_MAX_UPLOAD_BYTES"),
                          ("rate_limit_feeds_per_minute", "FB_RATE_LIMIT_FEEDS_PER_MINUTE"),
                          ("rate_limit_signin_per_minute", "FB_RATE_LIMIT_SIGNIN_PER_MINUTE"),
                          ("conference_hold_seconds", "FB_CONFERENCE_HOLD_SECONDS"),
                          ("interpreter_confirm_hours", "FB_INTERPRETER_CONFIRM_HOURS")):
            try:
                numbers[name] = int(env.get(var, getattr(defaults, name)))
            except ValueError as exc:
                raise SettingsError(f"{var} must be a whole number") from exc
            if numbers[name] < (0 if name in _ZERO_ALLOWED else 1):
                raise SettingsError(f"{var} is out of range")
        smtp_tls = env.get("FB_SMTP_TLS", defaults.smtp_tls).lower()
        if smtp_tls not in ("none", "starttls", "ssl"):
            raise SettingsError("FB_SMTP_TLS must be none, starttls or ssl")
        log_format = env.get("FB_LOG_FORMAT", defaults.log_format).lower()
        if log_format not in ("text", "json"):
            raise SettingsError("FB_LOG_FORMAT must be text or json")
        jobs = env.get("FB_JOBS_IN_PROCESS", "1").lower()
        if jobs not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
            raise SettingsError("FB_JOBS_IN_PROCESS must be 1 or 0")
        sms_provider = env.get("FB_SMS_PROVIDER", "").strip().lower()
        if sms_provider not in ("", "twilio"):
            raise SettingsError("FB_SMS_PROVIDER must be twilio or empty")
        twilio = {name: env.get(var, getattr(defaults, name)).strip() for name, var in (
            ("twilio_account_sid", "FB_TWILIO_ACCOUNT_SID"), ("twilio_auth_token", "FB_TWILIO_AUTH_TOKEN"),
            ("twilio_from", "FB_TWILIO_FROM"), ("twilio_base_url", "FB_TWILIO_BASE_URL"))}
        if sms_provider == "twilio":
            missing = [var for name, var in (("twilio_account_sid", "FB_TWILIO_ACCOUNT_SID"),
                                             ("twilio_auth_token", "FB_TWILIO_AUTH_TOKEN"),
                                             ("twilio_from", "FB_TWILIO_FROM")) if not twilio[name]]
            if missing:
                raise SettingsError(f"FB_SMS_PROVIDER=twilio needs {', '.join(missing)}")
            if not twilio["twilio_base_url"].startswith(("https://", "http://")):
                raise SettingsError("FB_TWILIO_BASE_URL must start with https:// or http://")
        tz = env.get("FB_TIMEZONE", defaults.timezone)
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"FB_TIMEZONE: unknown time zone {tz!r}") from exc
        columns = {}
        for name, var in (("roster_language_column", "FB_ROSTER_LANGUAGE_COLUMN"),
                          ("roster_household_column", "FB_ROSTER_HOUSEHOLD_COLUMN")):
            columns[name] = env.get(var, getattr(defaults, name)).strip()
            if not columns[name] or "," in columns[name]:
                raise SettingsError(f"{var} must name one CSV column (e.g. {getattr(defaults, name)})")
        settings = cls(
            database_url=url,
            host=env.get("FB_HOST", defaults.host),
            port=port,
            secret_key=env.get("FB_SECRET_KEY", ""),
            timezone=tz,
            base_url=env.get("FB_BASE_URL", ""),
            travel_buffer_minutes=travel,
            smtp_host=env.get("FB_SMTP_HOST", defaults.smtp_host),
            smtp_tls=smtp_tls,
            smtp_user=env.get("FB_SMTP_USER", ""),
            smtp_password=env.get("FB_SMTP_PASSWORD", ""),
            smtp_from=env.get("FB_SMTP_FROM", defaults.smtp_from),
            jobs_in_process=jobs in ("1", "true", "yes", "on"),
            log_format=log_format,
            sms_provider=sms_provider,
            **twilio,
            **numbers,
            **columns,
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
