"""Registrations as the API shows them: with their children and waitlist places, in at most three queries.

An event's sign-up list is what planners watch during the rush, and it grows
to hundreds of rows; reading each row's childcare places and waitlist place
separately made that page hundreds of queries long.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from typing import Any

from scheduler.bookings.schemas import RegistrationOut
from scheduler.bookings.tables import ChildcareBooking, Registration


async def registration_outs(regs: list[dict[str, Any]]) -> list[RegistrationOut]:
    """``regs`` (full registration rows) as the API answers them, in the same order.

    A waitlisted registration's place is 1 + the waitlisted registrations of
    its event with a smaller ``waitlist_seq``.
    """
    if not regs:
        return []
    children: dict[int, list[int]] = defaultdict(list)
    for k in await ChildcareBooking.select(ChildcareBooking.registration, ChildcareBooking.child).where(
            ChildcareBooking.registration.is_in([r["id"] for r in regs])).order_by(ChildcareBooking.id).run():
        children[k["registration"]].append(k["child"])
    waiting = sorted({r["event"] for r in regs if r["status"] == "waitlisted"})
    queues: dict[int, list[int]] = defaultdict(list)
    if waiting:
        for w in await Registration.select(Registration.event, Registration.waitlist_seq).where(
                Registration.event.is_in(waiting) & (Registration.status == "waitlisted")
                & Registration.waitlist_seq.is_not_null()).run():
            queues[w["event"]].append(w["waitlist_seq"])
        for seqs in queues.values():
            seqs.sort()
    return [RegistrationOut(
        id=r["id"], event_id=r["event"], family_id=r["family"], status=r["status"],
        waitlist_position=bisect_left(queues[r["event"]], r["waitlist_seq"]) + 1
        if r["status"] == "waitlisted" and r["waitlist_seq"] is not None else None,
        adults=r["adults"], language=r["language"] or "", child_ids=children[r["id"]], created_at=r["created_at"])
        for r in regs]
