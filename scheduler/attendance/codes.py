"""The door code of a registration: ``<registration id>-<8 letters>``, signed, printable, scannable.

The code is what a family shows at the door (a QR on its page and in the
confirmation e-mail, with the text printed under it so staff can type it).
It names nothing but the registration's number; the letters are an HMAC
(FB_SECRET_KEY) over that number, so a code cannot be made up or altered
to point at another family's registration. 40 bits of signature: guessing
is pointless at a door, where the code only checks in a family that is
expected anyway. Pure: no database, no web.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re

import segno

_SHAPE = re.compile(r"^(\d{1,10})-([A-Z2-7]{8})$")


def _signature(secret: str, registration_id: int) -> str:
    mac = hmac.new(secret.encode(), f"door:{registration_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:5]).decode()  # 40 bits -> 8 letters and digits, no padding


def door_code(secret: str, registration_id: int) -> str:
    """The code of one registration, e.g. ``42-K7QM4XPA``."""
    return f"{registration_id}-{_signature(secret, registration_id)}"


def normalise(text: str) -> str:
    """What staff type, as the code is written: upper case, spaces dropped, any dash as ``-``."""
    return re.sub(r"\s+", "", text or "").upper().replace("\u2010", "-").replace("\u2013", "-").replace("_", "-")


def registration_of(secret: str, text: str) -> int | None:
    """The registration a code names, or None when it is malformed or its signature is wrong."""
    match = _SHAPE.match(normalise(text))
    if match is None:
        return None
    registration_id = int(match.group(1))
    if not 1 <= registration_id <= 2_147_483_647:
        return None
    return registration_id if hmac.compare_digest(match.group(2), _signature(secret, registration_id)) else None


def qr_svg(code: str, label: str) -> str:
    """The code as an inline SVG QR (no script, no request), titled for screen readers.

    Always a full QR code, never a Micro QR (which the short text would fit): phones and jsQR read only QR."""
    return segno.make_qr(code, error="m").svg_inline(scale=5, border=4, title=label, omitsize=True)


def qr_png(code: str) -> bytes:
    """The code as a PNG, for the e-mail (mail clients show no inline SVG)."""
    out = io.BytesIO()
    segno.make_qr(code, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()
