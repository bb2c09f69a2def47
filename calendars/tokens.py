"""Feed tokens: the pure parts (generate, hash, verify, build links).

A private feed URL such as ``/feeds/<token>.ics`` is a bearer credential:
calendar apps cannot log in, so whoever has the URL reads the feed. Hence:

* Tokens carry 192 random bits from :mod:`secrets` (unguessable; at least the
  128 bits the design asks for), URL-safe base64 so they fit in a path.
* The database stores only ``hash_token(token, secret)``, an HMAC-SHA256 keyed
  with a server secret kept outside the database. A stolen database (or
  backup) therefore yields no working URLs, and without the secret the hashes
  cannot even be brute-forced offline. Revoking = deleting the row.
* Lookup is by hash: the request's token is hashed and the row found by an
  indexed *equality* lookup on that hash. A B-tree comparison may
  short-circuit on the first differing byte, but it compares HMAC outputs,
  which an attacker cannot steer byte by byte without knowing the secret, so
  response timing leaks nothing useful about any stored token. We never
  compare the raw token against stored data with ``==``.
* :func:`verify` re-checks with :func:`hmac.compare_digest` (constant time)
  for callers that already hold the stored hash (e.g. a row fetched by id).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit, urlunsplit

TOKEN_BYTES = 24  # 192 bits -> 32 URL-safe characters


def new_token() -> str:
    """A fresh random URL-safe token (192 bits of entropy, 32 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if len(key) < 16:
        raise ValueError("the server secret must be at least 16 bytes")
    return key


def hash_token(token: str, secret: str | bytes) -> str:
    """HMAC-SHA256 of the token under the server secret, as 64 hex characters.

    This is what the database stores and indexes.
    """
    return hmac.new(_key(secret), token.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(token: str, stored_hash: str, secret: str | bytes) -> bool:
    """Whether ``token`` matches ``stored_hash``, compared in constant time."""
    return hmac.compare_digest(hash_token(token, secret), stored_hash)


def subscribe_links(base_url: str, path: str) -> dict[str, str]:
    """Subscribe links for a feed: ``https://...`` and the ``webcal://...`` form.

    ``webcal://`` makes phones and desktop calendars offer "subscribe" instead
    of downloading a one-off file; the https link is for Google Calendar's
    "From URL" box and for copying. ``base_url`` may carry a path prefix
    (``https://school.example/fb``); ``path`` is joined under it. A plain
    ``http`` base (local development) keeps its scheme under the "https" key.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    full_path = parts.path.rstrip("/") + "/" + path.lstrip("/")
    https = urlunsplit((parts.scheme, parts.netloc, full_path, "", ""))
    webcal = urlunsplit(("webcal", parts.netloc, full_path, "", ""))
    return {"https": https, "webcal": webcal}
