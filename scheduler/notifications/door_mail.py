"""The door code in the "you are registered" e-mail: one line with the code, and the code as a QR image.

The code (scheduler/attendance/codes.py) names only the registration and is
signed; staff scan the QR or type the printed text at the door. Added to a
composed message rather than to the templates, so every other kind of
e-mail is untouched. The QR is a PNG attached inline (mail clients do not
show inline SVG, and many block images fetched from the web).
"""

from __future__ import annotations

import html
import json
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from scheduler.attendance import codes
from scheduler.notifications import messages

_N = str
DOOR_LINE = _N("Show this code at the door: %(code)s")
KINDS = ("registration_confirmed", "waitlist_promoted")  # the family has a confirmed place


def _with_line(part: Message, line: str) -> MIMEText:
    """A body part again, with the line before the signature."""
    text = part.get_payload(decode=True).decode("utf-8")
    if part.get_content_subtype() == "html":
        text = text.replace("<hr>", f"<p><strong>{html.escape(line)}</strong></p><hr>", 1)
        return MIMEText(text, "html", "utf-8")
    return MIMEText(text.replace("\n\n-- \n", f"\n\n{line}\n\n-- \n", 1), "plain", "utf-8")


def with_door_code(msg: Message, row: dict[str, Any], secret: str) -> Message:
    """``msg`` with the door code, when ``row`` is a confirmed place; other messages as they are."""
    registration_id = json.loads(row.get("payload") or "{}").get("registration")
    if row.get("kind") not in KINDS or not isinstance(registration_id, int):
        return msg
    code = codes.door_code(secret, registration_id)
    line = messages.translations(messages.base_language(row.get("language") or "en")).gettext(DOOR_LINE) % {
        "code": code}
    if msg.get_content_subtype() == "alternative":  # no invitation attached: make room for the image
        outer = MIMEMultipart("mixed")
        for name in ("Subject", "From", "To", "Message-ID", "Content-Language", "List-Unsubscribe"):
            if msg[name] is not None:
                outer[name] = msg[name]
                del msg[name]
        outer.attach(msg)
        msg = outer
    body = msg.get_payload()[0]
    body.set_payload([_with_line(part, line) for part in body.get_payload()])
    image = MIMEImage(codes.qr_png(code), "png")
    image.add_header("Content-Disposition", "inline", filename="door-code.png")
    image.add_header("Content-ID", "<door-code>")
    msg.attach(image)
    return msg
