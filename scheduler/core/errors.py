"""Domain errors: plain exceptions, mapped to HTTP in one place (app.py).

This module imports nothing, so every package (resources, calendars) may
raise these without depending on the web layer.
"""

from __future__ import annotations


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
