"""Signed links that are their own key: ``<head>.<HMAC of purpose:head>`` under FB_SECRET_KEY.

The day-before questions (a family's "will you come?", a conference
evening's, an interpreter's "will you be there?") are answered on a page the
e-mail links to, by people who may not be signed in. The link names the thing
asked about (``head``: ids joined by ``-``) and proves we wrote it; the
purpose is part of what is signed, so a link for one kind of question never
opens another's page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from scheduler.core.errors import Forbidden
from scheduler.core.settings import Settings


def signature(secret: str, purpose: str, head: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{head}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def token(settings: Settings, purpose: str, *ids: int) -> str:
    head = "-".join(str(i) for i in ids)
    return f"{head}.{signature(settings.secret_key, purpose, head)}"


def ids_from(settings: Settings, purpose: str, value: str, count: int = 1) -> list[int]:
    """The ids a token names, or 403 naming ``token`` when it was not written by us for this purpose."""
    head, _, sig = value.partition(".")
    parts = head.split("-")
    if (len(parts) == count and all(p.isdigit() and len(p) < 11 for p in parts)
            and hmac.compare_digest(sig, signature(settings.secret_key, purpose, head))):
        return [int(p) for p in parts]
    raise Forbidden("this link is not valid", "token")
