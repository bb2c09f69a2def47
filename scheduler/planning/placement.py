"""PURE: would the engine accept this event at this time? The hard rules, for a change made by hand.

A coordinator who moves a published event is doing the engine's job by
hand, so the move is checked with the engine's own rules
(``scheduler/engine/rules.py``, the ones ``verify`` applies) on an instance
built the way a plan builds it: the other published events are pinned where
they are, so their rooms, interpreters' claims and audiences are taken into
account. What cannot be had is named by rule; the service refuses the move
unless the coordinator overrides, and the override is recorded.

The rules, in the words the pages use:

* ``room`` — the event's room is open and free (no other event or childcare
  in it) for the whole event;
* ``room_fit`` — the room still holds the event's capacity and tags;
* ``interpreter`` — for each language the event is interpreted into, some
  interpreter of that language is free for the whole event (the claims on
  the event are released by the move, so anyone may take it again);
* ``childcare`` — some staffed childcare has enough places for the whole
  event;
* ``audience`` — no other published event for the same grade overlaps it.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.engine import rules
from scheduler.engine.model import Instance

RULES = ("room", "room_fit", "interpreter", "childcare", "audience")


@dataclass(frozen=True)
class Problem:
    """A hard rule the placement breaks; ``subject`` is what it is about (an engine id or a language)."""

    rule: str
    subject: str


def problems(inst: Instance, event_id: str, start: int, room_id: str | None) -> list[Problem]:
    """Every hard rule ``event_id`` breaks at ``start`` (absolute minutes) in ``room_id``, in ``RULES`` order."""
    ev = inst.event(event_id)
    end = start + ev.duration
    found: list[Problem] = []
    room = inst.room(room_id) if room_id else None
    if room is not None:
        if not rules.inside_availability(room.available, start, end):
            found.append(Problem("room", room.id))
        if not rules.room_fits(ev, room):
            found.append(Problem("room_fit", room.id))
    for language in ev.interpreter_languages:
        if not any(rules.interpreter_speaks(it, language) and rules.inside_availability(it.available, start, end)
                   for it in inst.interpreters):
            found.append(Problem("interpreter", language))
    if ev.childcare_children and not any(
            rules.childcare_fits(ev, care) and rules.inside_availability(care.available, start, end)
            for care in inst.childcare):
        found.append(Problem("childcare", str(ev.childcare_children)))
    for other in inst.events:
        if other.id == event_id or other.fixed_start is None or not rules.share_audience(ev, other):
            continue
        if rules.overlaps((start, end), (other.fixed_start, other.fixed_start + other.duration)):
            found.append(Problem("audience", other.id))
    return found
