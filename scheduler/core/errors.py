"""Domain errors: plain exceptions, mapped to HTTP in one place (scheduler/http/errors.py).

This module imports nothing, so every package (resources, calendars) may
raise these without depending on the web layer.

Messages are English sentences for the API. A message a person meets on a
page is written ``T_("unknown grade %(grade)s", grade=...)``: still a plain
``str`` (the English), but it keeps its msgid and values, so a page can show
it in the reader's language (``Text.translated``). ``T_`` is also the
keyword the pages' catalogue extracts (scheduler/web/babel.cfg).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Text(str):
    """An English message that knows its msgid and values, so it can be said in another language."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, english: str | None = None, **values: Any) -> Text:
        obj = super().__new__(cls, english if english is not None else (msgid % values if values else msgid))
        obj.msgid, obj.values = msgid, values
        return obj

    def translated(self, gettext: Callable[[str], str]) -> str:
        template = gettext(self.msgid)
        try:
            return template % self.values if self.values else template
        except (KeyError, TypeError, ValueError):  # a broken translation: the English is still true
            return str(self)


def T_(msgid: str, **values: Any) -> Text:
    """A translatable message (see the module docstring)."""
    return Text(msgid, **values)


def say(message: str, gettext: Callable[[str], str]) -> str:
    """A message in the reader's language when it is translatable, else as it is."""
    return message.translated(gettext) if isinstance(message, Text) else message


class DomainError(Exception):
    """Base for errors a client can fix or must be told about."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_items(self) -> list[dict[str, str]]:
        return [{"field": self.field or "", "message": self.message}]


class InvalidInput(DomainError):
    """One or more fields are wrong; every problem is listed, not just the first."""

    status_code = 422

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        field, message = problems[0]
        text = "; ".join(f"{f}: {m}" for f, m in problems)
        super().__init__(text, field)

    def as_items(self) -> list[dict[str, str]]:
        return [{"field": f, "message": m} for f, m in self.problems]


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request clashes with stored state (duplicate slug, booked slot)."""

    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class Unauthorized(DomainError):
    status_code = 401


class PayloadTooLarge(DomainError):
    """A request body (or an uploaded file) over its limit; refused before it is read or parsed."""

    status_code = 413
