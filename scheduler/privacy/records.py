"""Where a family's data lives: every table holding rows about it, and the lookups export and
deletion share.
"""

from __future__ import annotations

import json
from typing import Any

from scheduler.accounts.tables import IdempotencyKey
from scheduler.core.auth import Principal, require_family_access
from scheduler.core.db import locked
from scheduler.core.errors import NotFound
from scheduler.families.tables import Family

# Every stored table holding rows about a family -> the export section that carries them.
# tests/integration/test_data_rights.py derives the tables that reference a family (or its
# children, users, registrations) from the Piccolo metadata and fails for any missing here.
SOURCES: dict[str, str] = {
    "family": "profile",
    "child": "children",
    "family_availability": "availability",
    "family_dated_availability": "availability",
    "event_interest": "interests",
    "registration": "registrations",
    "childcare_booking": "registrations",
    "app_user": "users",
    "idempotency_key": "idempotency_keys",
    "sign_in_link": "web_sign_in",
    "web_session": "web_sign_in",
    "feed_token": "feed_tokens",
    "outbox": "notifications",
    "conference_meeting": "conferences",
    "conference_split_household": "conferences",
    "conference_class": "conferences",
    "conference_hold": "conferences",  # a slot the family is holding for a couple of minutes while self-booking
    "conference_window": "conferences",  # the reasons a meeting could not be placed (``unplaced``)
    "topic_vote": "topic_votes",
    "plan": "planning_snapshots",  # a plan's instance copies the family's availability and interests
    "roster_family": "roster",  # which household of the school's roster the family is
    "roster_child": "roster",
    "roster_class_enrollment": "roster",
    "sms_inbound": "text_messages",  # texts the family sent us (STOP, answers, messages for the school)
    "attendance_answer": "registrations",  # the answer to the day-before "will you come?"
    "conference_confirmation": "conferences",  # the day-before question about an evening of conferences
    "check_in": "attendance",  # checked in at the door
    "feedback": "attendance",  # the score and comment after an event
}


async def family_for(actor: Principal, family_id: int, lock: bool = False) -> dict[str, Any]:
    """The family row, 404 before 403 like every other family route."""
    query = Family.select().where(Family.id == family_id)
    row = await (locked(query) if lock else query).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    require_family_access(actor, family_id, row["school"])
    return row


def family_key(family_id: int) -> str:
    """How the planner names a family in a plan's instance (``scheduler.planning.instance.build_instance``)."""
    return f"family-{family_id}"


def is_family_entry(entry_id: object, family_id: int) -> bool:
    """A family's entries in a plan's instance: itself, and its second "I'd come" entry (``family-<id>-keen``)."""
    return entry_id in (family_key(family_id), f"{family_key(family_id)}-keen")


async def idempotency_rows(family_id: int, user_ids: list[int]) -> list[dict[str, Any]]:
    """Stored answers of the family's own users, and an administrator's stored answers about this
    family (a registration made on its behalf), recognised by the family id inside the answer."""
    where = IdempotencyKey.user.is_in(user_ids or [-1])
    where |= IdempotencyKey.route.like("register:%") & IdempotencyKey.body.like(f'%"family_id":{family_id},%')
    rows = await IdempotencyKey.select().where(where).order_by(IdempotencyKey.id).run()
    return [r for r in rows if r["user"] in user_ids or answer(r).get("family_id") == family_id]


def answer(row: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(row["body"])
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def unplaced_of(window: dict[str, Any], family_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the family's entries, everyone else's) in a conference window's ``unplaced`` list."""
    items = json.loads(window["unplaced"] or "[]")
    return ([u for u in items if u.get("family_id") == family_id],
            [u for u in items if u.get("family_id") != family_id])
