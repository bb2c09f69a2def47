"""What an interpreter sees of the conferences they hold: which families, with which teacher, in which
language, and how (in person, or the teacher's call they join). Never children's names."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.rows import LIVE, guardian_name, load_meetings
from scheduler.conferences.tables import ConferenceMeeting
from scheduler.core.auth import Principal


async def my_families(actor: Principal) -> dict[int, list[dict[str, Any]]]:
    """Per assignment the interpreter holds (claimed or confirmed), its live conference meetings in time order:
    ``start``/``end`` (UTC), ``family`` (or the guardian of a split household), ``teacher``, ``room``,
    ``language``, ``mode`` and the call's ``video_url``/``phone`` when the family chose one."""
    if actor.role != "interpreter" or actor.interpreter_id is None:
        return {}
    held = [a["id"] for a in await InterpreterAssignment.select(InterpreterAssignment.id).where(
        (InterpreterAssignment.interpreter == actor.interpreter_id)
        & InterpreterAssignment.status.is_in(["claimed", "confirmed"])).run()]
    if not held:
        return {}
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in await load_meetings(ConferenceMeeting.assignment.is_in(held) & ConferenceMeeting.status.is_in(list(LIVE))):
        out[r["assignment"]].append({
            "start": r["starts_at"], "end": r["ends_at"], "family": guardian_name(r) or r["family_name"],
            "teacher": r["teacher_name"], "room": r["room_name"] or "", "language": r["language"], "mode": r["mode"],
            "video_url": (r["video_url"] or "") if r["mode"] == "video" else "",
            "phone": (r["phone"] or "") if r["mode"] == "phone" else ""})
    return dict(out)
