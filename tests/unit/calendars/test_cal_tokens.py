"""Feed token tests: entropy, hashing at rest, constant-time verify, subscribe links."""

from __future__ import annotations

import re

import pytest

from calendars.tokens import hash_token, new_token, subscribe_links, verify

SECRET = "server-secret-0123456789abcdef"
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def test_token_is_long_url_safe_and_unique() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert len(token) >= 22  # 22 base64 chars = 132 bits >= 128
        assert URL_SAFE.match(token)
    # Rough entropy check: the pooled alphabet is (close to) all 64 symbols.
    assert len(set("".join(tokens))) >= 60


def test_hash_differs_from_token_and_is_stable() -> None:
    token = new_token()
    digest = hash_token(token, SECRET)
    assert digest != token and token not in digest
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_token(token, SECRET) == digest
    assert hash_token(token, SECRET.encode()) == digest


def test_verify_true_and_false() -> None:
    token = new_token()
    stored = hash_token(token, SECRET)
    assert verify(token, stored, SECRET)
    assert not verify(new_token(), stored, SECRET)
    assert not verify(token[:-1], stored, SECRET)
    assert not verify(token, stored, "another-secret-0123456789")


def test_different_secrets_give_different_hashes() -> None:
    token = new_token()
    assert hash_token(token, SECRET) != hash_token(token, "another-secret-0123456789")


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError):
        hash_token(new_token(), "short")


def test_subscribe_links() -> None:
    links = subscribe_links("https://lincoln.example/fb/", "/feeds/abc.ics")
    assert links == {
        "https": "https://lincoln.example/fb/feeds/abc.ics",
        "webcal": "webcal://lincoln.example/fb/feeds/abc.ics",
    }
    assert subscribe_links("https://lincoln.example", "feeds/x.ics")["webcal"] == "webcal://lincoln.example/feeds/x.ics"
    assert subscribe_links("http://localhost:8000", "feeds/x.ics")["https"] == "http://localhost:8000/feeds/x.ics"
    with pytest.raises(ValueError):
        subscribe_links("lincoln.example", "feeds/x.ics")
