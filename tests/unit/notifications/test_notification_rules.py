"""Small rules of the sender and sweeps: which reminder is due, backoff, signed links, SMTP error texts, settings."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest

from scheduler.core.errors import Forbidden
from scheduler.core.settings import Settings, SettingsError
from scheduler.notifications import mailer
from scheduler.notifications.preferences import family_from_token, preferences_token, preferences_url
from scheduler.notifications.sweeps import backoff, reminder_offset

START = dt.datetime(2027, 3, 15, 23, 0, tzinfo=dt.timezone.utc)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(("before", "expected"), [(49, None), (48, 48), (47, 48), (3, 48), (2, 2), (0.5, 2),
                                                  (0, None), (-1, None)])
def test_the_smallest_due_offset_is_the_reminder_to_send(before, expected):
    assert reminder_offset(START, [48, 2], START - before * H) == expected


def test_no_offsets_no_reminder():
    assert reminder_offset(START, [], START - H) is None


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30, 60) == dt.timedelta(hours=6)


def test_preference_links_are_signed_per_family_and_per_secret():
    s = Settings(secret_key="one-secret", base_url="https://fb.example.org")
    token = preferences_token(s, 42)
    assert family_from_token(s, token) == 42
    assert preferences_url(s, 42) == f"https://fb.example.org/email-preferences/{token}"
    for forged in (f"43.{token.split('.')[1]}", token + "x", "42", "", "x.y", "-1." + token.split(".")[1]):
        with pytest.raises(Forbidden):
            family_from_token(s, forged)
    with pytest.raises(Forbidden):
        family_from_token(Settings(secret_key="another"), token)


def test_smtp_error_reasons_carry_no_addresses():
    refused = smtplib.SMTPRecipientsRefused({"ana@example.org": (550, b"5.1.1 <ana@example.org> unknown")})
    assert mailer._reason(refused) == "SMTPRecipientsRefused 550"
    assert mailer._reason(smtplib.SMTPDataError(451, b"try later ana@example.org")) == "SMTPDataError 451"
    assert mailer._reason(ConnectionRefusedError(111, "refused")) == "ConnectionRefusedError"


def test_settings_from_env():
    s = Settings.from_env({"FB_SECRET_KEY": "k", "DATABASE_URL": "postgresql://x/y", "FB_SMTP_HOST": "mail",
                           "FB_SMTP_PORT": "587", "FB_SMTP_TLS": "STARTTLS", "FB_JOBS_IN_PROCESS": "0",
                           "FB_ESCALATE_DAYS": "5"})
    assert (s.smtp_host, s.smtp_port, s.smtp_tls, s.jobs_in_process, s.escalate_days) == ("mail", 587, "starttls",
                                                                                             False, 5)
    assert Settings.from_env({"FB_SECRET_KEY": "k", "DATABASE_URL": "postgresql://x/y"}).jobs_in_process is True
    assert Settings().jobs_in_process is False  # built in code (tests, tools): no background jobs
    for bad in ({"FB_SMTP_TLS": "maybe"}, {"FB_SMTP_PORT": "x"}, {"FB_OUTBOX_MAX_ATTEMPTS": "0"},
                {"FB_JOBS_IN_PROCESS": "perhaps"}):
        with pytest.raises(SettingsError):
            Settings.from_env({"FB_SECRET_KEY": "k", "DATABASE_URL": "postgresql://x/y", **bad})
