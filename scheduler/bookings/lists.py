"""Who registered for an event: the list administrators read on a page and take away as CSV.

It names families (the school's own data, for its administrators only),
says who waits and in which place, who needs childcare for which children
and who needs an interpreter in which language: what the people running
the evening need at the door.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.core.auth import Principal, require_admin
from scheduler.core.errors import NotFound
from scheduler.core.languages import INSTRUCTION_LANGUAGE
from scheduler.events.tables import Event

ORDER = {"confirmed": 0, "offered": 1, "waitlisted": 2, "cancelled": 3}


async def event_list(actor: Principal, event_id: int) -> list[dict[str, Any]]:
    """Every registration of the event: confirmed first, then offered, the waitlist in order, cancelled last."""
    event = await Event.select(Event.school).where(Event.id == event_id).first().run()
    if event is None:
        raise NotFound(f"no event {event_id}", "event_id")
    require_admin(actor, event["school"])
    regs = await Registration.select(
        Registration.id, Registration.status, Registration.adults, Registration.language, Registration.waitlist_seq,
        Registration.family, Registration.family.name.as_alias("family_name"),
        Registration.family.email.as_alias("email"), Registration.family.language.as_alias("family_language"),
    ).where(Registration.event == event_id).run()
    care: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in await ChildcareBooking.select(ChildcareBooking.registration, ChildcareBooking.age_band,
                                           ChildcareBooking.child.first_name.as_alias("first_name")).where(
            (ChildcareBooking.event == event_id) & (ChildcareBooking.status != "cancelled")).order_by(
            ChildcareBooking.id).run():
        care[c["registration"]].append({"first_name": c["first_name"], "age_band": c["age_band"]})
    rows = sorted(regs, key=lambda r: (ORDER.get(r["status"], 9), r["waitlist_seq"] or 0, r["id"]))
    position = 0
    out = []
    for r in rows:
        if r["status"] == "waitlisted":
            position += 1
        language = r["language"] or r["family_language"]
        out.append({"family_id": r["family"], "family": r["family_name"], "email": r["email"], "status": r["status"],
                    "waitlist_position": position if r["status"] == "waitlisted" else None, "adults": r["adults"],
                    "interpreter": None if language == INSTRUCTION_LANGUAGE else language,
                    "childcare": care.get(r["id"], [])})
    return out


def _cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (=, +, -, @) is quoted, so a family
    name typed as a formula cannot run in the administrator's spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The list as CSV (UTF-8 with a BOM, which spreadsheet programs need to read accents right)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(["family", "email", "status", "waitlist_position", "adults", "interpreter_language",
                     "childcare_children"])
    for r in rows:
        writer.writerow([_cell(r["family"]), _cell(r["email"]), r["status"], r["waitlist_position"] or "", r["adults"],
                         r["interpreter"] or "",
                         _cell("; ".join(f"{c['first_name']} ({c['age_band']})" for c in r["childcare"]))])
    return buffer.getvalue()
