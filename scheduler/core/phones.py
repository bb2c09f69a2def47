"""Phone numbers and the channels a family hears from us on: one rule for the API, the pages and the roster.

Numbers are stored in E.164 ("+16125550123"), the form SMS providers take
and send back in webhooks, so a reply is matched to its family by plain
equality. Ten digits without a country code are read as a North American
number (the districts this serves); anything else must start with "+".
"""

from __future__ import annotations

import re

CHANNELS = ("email", "sms", "both")
_SEPARATORS = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}", re.ASCII)  # ASCII digits only: "²" and "٣" are digits to Python


def normalize_phone(raw: str) -> str | None:
    """E.164 for a number people write ("(612) 555-0123", "+252 61 555 0123"), "" for none, None if invalid."""
    text = _SEPARATORS.sub("", raw or "")
    if not text:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        if len(text) == 11 and text.startswith("1"):
            text = text[1:]
        text = "+1" + text
        if len(text) != 12:
            return None
    return text if _E164.fullmatch(text) else None


def default_channels(email: str, phone: str) -> str:
    """What a new family gets: e-mail if it has an address, text if it has a phone, both if both."""
    has_email, has_phone = "@" in (email or ""), bool(phone)
    if has_email and has_phone:
        return "both"
    return "sms" if has_phone else "email"


def wants(channels: str) -> frozenset[str]:
    """"both" -> {"email", "sms"}."""
    return frozenset({"email", "sms"}) if channels == "both" else frozenset({channels or "email"})


def channel_problems(channels: str, email: str, phone: str) -> list[tuple[str, str]]:
    """Why a family cannot hear from us on the channels it chose (field, message)."""
    problems = []
    if channels not in CHANNELS:
        problems.append(("channels", f"must be one of {', '.join(CHANNELS)}"))
    elif "sms" in wants(channels) and not phone:
        problems.append(("phone", "text messages need a phone number"))
    elif "email" in wants(channels) and "@" not in (email or ""):
        problems.append(("email", "e-mail needs an e-mail address"))
    return problems
