"""Shapes of the check-in API: one item of a phone's offline queue, a batch of them, and the answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from scheduler.core.validation import one_line

ClientRef = Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description=(
    "made by the phone when the check-in is tapped (a UUID): the same client_ref again is the same check-in"))]
People = Annotated[int, Meta(ge=0, le=30)]
Id = Annotated[int, Meta(ge=1, le=2_147_483_647)]
MAX_BATCH = 200


class CheckInItem(Struct, forbid_unknown_fields=True):
    """One check-in: exactly one of ``code`` (the family's door code), ``family_id`` or ``walk_in_name``."""

    client_ref: ClientRef
    code: Annotated[str, Meta(max_length=40, description="the door code, as scanned or typed")] | None = None
    family_id: Id | None = None
    walk_in_name: one_line(120) | None = None
    adults: People | None = None  # default: the registration's adults, else 1
    children: People | None = None  # default 0
    checked_in_at: Annotated[dt.datetime, Meta(tz=True, description=(
        "the phone's time of the tap, with its offset; outside the event's day +-1 day, or in the future, the "
        "time the server received it is kept instead (a phone's clock can be wrong)"))] | None = None


class CheckInBatch(Struct, forbid_unknown_fields=True):
    """A phone's queue, sent when it is online; each item is answered on its own."""

    items: Annotated[list[CheckInItem], Meta(min_length=1, max_length=MAX_BATCH)]


class CheckInOut(Struct):
    id: int
    event_id: int
    client_ref: str
    kind: Literal["registered", "family", "walk_in"]  # family: a family of the school without a registration
    registration_id: int | None
    family_id: int | None
    name: str  # the family's name, or the walk-in's
    adults: int
    children: int
    checked_in_at: dt.datetime
    recorded_at: dt.datetime


class Counts(Struct):
    registered: int  # families with a confirmed registration
    registered_checked_in: int
    walk_ins: int  # check-ins without a registration (roster families and named walk-ins)
    checked_in: int  # all check-ins
    people: int  # adults and children checked in


class ItemResult(Struct):
    client_ref: str
    outcome: Literal["checked_in", "already", "refused"]
    check_in: CheckInOut | None = None
    field: str = ""
    reason: str = ""
    note: str = ""  # e.g. the phone's time was replaced


class BatchOut(Struct):
    results: list[ItemResult]
    counts: Counts


class CheckInList(Struct):
    counts: Counts
    items: list[CheckInOut]
