"""Which guardians live together: the families a roster makes. PURE.

A roster lists students and, through ``agentSourcedIds``, their guardians; Family Bridge plans
with *households* (one family signs in, books and gets e-mail). So:

* siblings share a family: a family is a group of guardians, and every student linked to any of
  them is one of its children;
* guardians of the same child are one household when the roster's household column
  (``metadata.householdId`` by default) gives them the same id. Without that column, when they
  share a family name, a phone number or an e-mail address; otherwise they are two households
  and the child is a child of both (a split household: each parent signs in, books and is
  written to on their own).

In doubt the rule splits rather than merges: a parent merged into someone else's family cannot
sign in (the family has one e-mail address), while a couple split in two only receives two
invitations. A household column in the export removes the doubt.

A student with no (active) guardian is a family of their own, with no e-mail: they are on the
class lists that conferences use, and the school can add a contact later.
"""

from __future__ import annotations

import dataclasses
import re

from scheduler.core.phones import normalize_phone
from scheduler.roster.model import Guardian, Roster

_DIGITS = re.compile(r"\D+")


@dataclasses.dataclass(frozen=True, slots=True)
class Household:
    """One family to be: its guardians (main contact first) and its students, as sourcedIds."""

    key: str  # "household:<id>" when the roster names it; else "guardians:<first>" or "student:<sid>"
    guardians: tuple[str, ...]
    students: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class FamilyValues:
    """What the roster says a family is (before the sync decides what it may overwrite)."""

    name: str
    email: str
    language: str
    guardians: tuple[str, ...]  # names
    phone: str = ""  # E.164 (the first guardian's number that reads as one), "" when none


def _phone(value: str) -> str:
    digits = _DIGITS.sub("", value)
    return digits[-10:] if len(digits) >= 7 else ""


def _together(a: Guardian, b: Guardian) -> bool:
    if a.household and b.household:
        return a.household == b.household
    if a.family_name and a.family_name.casefold() == b.family_name.casefold():
        return True
    if _phone(a.phone) and _phone(a.phone) == _phone(b.phone):
        return True
    return bool(a.email) and a.email.casefold() == b.email.casefold()


def households(roster: Roster) -> list[Household]:
    """Every household of the roster, in the order of their first student in the file."""
    parent = {sid: sid for sid in roster.guardians}

    def find(sid: str) -> str:
        while parent[sid] != sid:
            parent[sid] = parent[parent[sid]]
            sid = parent[sid]
        return sid

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb, key=rank.__getitem__)] = min(ra, rb, key=rank.__getitem__)

    students = sorted(roster.students.values(), key=lambda s: s.line)
    rank: dict[str, int] = {}  # order of first appearance: the main contact of a household comes first
    for student in students:
        for sid in student.guardians:
            rank.setdefault(sid, len(rank))
    named: dict[str, str] = {}
    for sid in rank:
        household = roster.guardians[sid].household
        if household:
            union(named.setdefault(household, sid), sid)
    for student in students:
        guardians = [roster.guardians[g] for g in student.guardians]
        for i, a in enumerate(guardians):
            for b in guardians[i + 1:]:
                if _together(a, b):
                    union(a.sourced_id, b.sourced_id)
    members: dict[str, list[str]] = {}
    for sid in rank:  # rank order, so each list has the main contact first
        members.setdefault(find(sid), []).append(sid)
    of_root: dict[str, list[str]] = {root: [] for root in members}
    slots: list[tuple[str, str]] = []  # ("student", sid) or ("guardians", root), in first-student order
    for student in students:
        roots = dict.fromkeys(find(g) for g in student.guardians)
        if not roots:
            slots.append(("student", student.sourced_id))
        for root in roots:
            if not of_root[root]:
                slots.append(("guardians", root))
            of_root[root].append(student.sourced_id)
    result = []
    for kind, value in slots:
        if kind == "student":
            result.append(Household(key=f"student:{value}", guardians=(), students=(value,)))
            continue
        guardians = tuple(members[value])
        explicit = next((roster.guardians[g].household for g in guardians if roster.guardians[g].household), "")
        key = f"household:{explicit}" if explicit else f"guardians:{guardians[0]}"
        result.append(Household(key=key, guardians=guardians, students=tuple(of_root[value])))
    return result


def family_values(household: Household, roster: Roster, school_language: str) -> FamilyValues:
    """Name from the guardians' family names, e-mail of the first guardian with one, their language.

    The language is the first guardian's that the roster gives, else a child's, else the
    school's: a home language is usually recorded on the student.
    """
    guardians = [roster.guardians[g] for g in household.guardians]
    students = [roster.students[s] for s in household.students]
    surnames = list(dict.fromkeys(g.family_name for g in guardians if g.family_name))
    if not surnames:
        surnames = list(dict.fromkeys(s.family_name for s in students if s.family_name))
    email = next((g.email for g in guardians if "@" in g.email), "")
    phone = next((p for p in (normalize_phone(g.phone) for g in guardians) if p), "")
    language = next((p.language for p in [*guardians, *students] if p.language), school_language)
    return FamilyValues(name=f"{' / '.join(surnames)} family"[:120], email=email[:254], language=language, phone=phone,
                        guardians=tuple(g.name[:120] for g in guardians if g.name))
