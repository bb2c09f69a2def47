"""The credential cache's rules on plain data: off until its listener is up, a lookup older than a notice not kept,
entries gone after the backstop TTL."""

from __future__ import annotations

from scheduler.core import credential_cache
from scheduler.core.credential_cache import OWNERS_CHANGED, CredentialCache


def test_nothing_is_served_while_the_listener_is_down():
    cache = CredentialCache()
    cache.remember(cache.generation, "h", "principal")
    assert cache.principal("h") is None
    cache.set_enabled(True)
    cache.remember(cache.generation, "h", "principal", ("sql", 1), {"school": 1})
    assert cache.principal("h") == "principal" and cache.owner("sql", 1) == {"school": 1}
    cache.set_enabled(False)  # the connection dropped: notices may be missed, so everything goes
    cache.set_enabled(True)
    assert cache.principal("h") is None and cache.owner("sql", 1) is None


def test_a_lookup_that_started_before_a_notice_is_not_kept():
    cache = CredentialCache()
    cache.set_enabled(True)
    started = cache.generation
    cache.notice("h")  # the revocation commits while the lookup is on its way
    cache.remember(started, "h", "stale principal")
    assert cache.principal("h") is None


def test_notices_forget_what_they_name():
    cache = CredentialCache()
    cache.set_enabled(True)
    cache.remember(cache.generation, "a", "A", ("sql", 1), {"school": 1})
    cache.remember(cache.generation, "b", "B")
    cache.notice("a")
    assert cache.principal("a") is None and cache.principal("b") == "B" and cache.owner("sql", 1) == {"school": 1}
    cache.notice(OWNERS_CHANGED)
    assert cache.owner("sql", 1) is None and cache.principal("b") == "B"


def test_entries_expire_after_the_backstop(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(credential_cache.time, "monotonic", lambda: now[0])
    cache = CredentialCache()
    cache.set_enabled(True)
    cache.remember(cache.generation, "h", "P")
    now[0] += credential_cache.TTL - 1
    assert cache.principal("h") == "P"
    now[0] += 2
    assert cache.principal("h") is None
