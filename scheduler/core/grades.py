"""Grades as schools write them, and the audience tag an event uses for a grade.

Pure: the family pages, the roster import and the planner's turnout rules
(scheduler/planning/turnout.py) must agree on what "grade 3" is, so the one
spelling lives here.
"""

from __future__ import annotations

GRADES = ("pre-k", "K", *(str(n) for n in range(1, 13)))
YOUNG_AGE_BANDS = frozenset({"infant", "toddler", "preschool"})  # under school age: childcare decides if they come

_SPELLINGS = {"pk": "pre-k", "prek": "pre-k", "pre-k": "pre-k", "tk": "pre-k", "k": "K", "kg": "K",
              "kindergarten": "K"}


def audience_tag(grade: str) -> str:
    """The audience tag of an event for families with a child in ``grade`` ("K" -> "grade-k")."""
    return f"grade-{grade.strip().lower()}"


def canonical_grade(text: str) -> str | None:
    """``K``, ``pre-k`` or ``1`` … ``12`` for the ways schools write them (``kg``, ``PK``, ``03``); None if none."""
    key = text.strip().casefold()
    if key in _SPELLINGS:
        return _SPELLINGS[key]
    return str(int(key)) if key.isdigit() and 1 <= int(key) <= 12 else None
