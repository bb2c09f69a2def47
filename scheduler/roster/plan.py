"""What an import changes: the roster compared with what the school has. PURE.

``sync.py`` reads the school's current rows into a :class:`Snapshot`, and this module decides,
without touching the database, what to create, update and deactivate, so a dry run and a real
import are the same computation and the rules below are tested as plain functions.

**Who wins, field by field.** The SIS owns names, guardians, e-mail, grades, classes and
enrolments: when the SIS *changes* one of them, the import writes the new value, even over an
edit made in Family Bridge (the school office is where a parent reports a new address). When the
SIS did not change a field since the last import, the import leaves it alone, so an edit made
here stays until the SIS says something new. The family owns its language and a child's age band
(derived from the grade, overridable): the SIS's value is written only while the field still
holds what the SIS last wrote; once the family (or an admin) chose another, a later SIS change is
recorded but not applied, and reported as "kept". Availability, interests and e-mail preferences
are never touched. To tell these cases apart, each row remembers a short hash of the value the
SIS last wrote (``sis``), not the value itself.

**Matching families across imports.** Families are not in the roster: they are households
(``households.py``). A household is matched to an earlier roster family by its household id,
else by the guardians they share, else by the students they share; the rest are new. So a new
guardian joining, a guardian leaving or siblings arriving update a family rather than replace it.

**Deactivation.** Whatever the roster no longer lists (or marks ``tobedeleted``) is marked
inactive: families, children, teachers, classes, enrolments. Nothing is deleted, so
registrations, meetings and history stay, and a row that comes back is reactivated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from scheduler.roster.households import FamilyValues, Household, family_values
from scheduler.roster.model import Problem, Roster

SIS, FAMILY = "sis", "family"
FAMILY_FIELDS = {"name": SIS, "email": SIS, "guardians": SIS, "language": FAMILY, "phone": SIS}
CHILD_FIELDS = {"first_name": SIS, "grade": SIS, "age_band": FAMILY}
KINDS = ("families", "children", "teachers", "classes", "enrollments")
EXAMPLES = 5  # rows shown per kind and action in a preview


def fingerprint(value: Any) -> str:
    """What ``sis`` keeps of a value: enough to recognise it, not to read it back."""
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclasses.dataclass(slots=True)
class FamilyRow:
    id: int  # RosterFamily id
    family_id: int | None  # None: the family deleted its account
    user_id: int | None
    key: str
    guardians: tuple[str, ...]
    sis: dict[str, str]
    active: bool
    current: dict[str, Any]  # name, email, language, guardians, phone as the Family row has them now


@dataclasses.dataclass(slots=True)
class ChildRow:
    id: int  # RosterChild id
    roster_family: int
    sourced_id: str
    child_id: int | None  # None: removed by the family
    sis: dict[str, str]
    active: bool
    current: dict[str, Any]  # first_name, grade, age_band


@dataclasses.dataclass(slots=True)
class StaffRow:
    """A teacher or a class as stored: its id, its values, and whether it is active."""

    id: int
    values: dict[str, Any]
    active: bool


@dataclasses.dataclass
class Snapshot:
    families: list[FamilyRow]
    children: list[ChildRow]
    teachers: dict[str, StaffRow]  # by sourcedId
    classes: dict[str, StaffRow]
    enrollments: dict[tuple[int, int], StaffRow]  # (class id, child id) -> row


@dataclasses.dataclass(slots=True)
class Step:
    """One row to create or change. ``row`` is None for a new one; ``ref`` names it for later steps."""

    ref: Any
    row: int | None
    label: str
    writes: dict[str, Any] = dataclasses.field(default_factory=dict)
    internal: dict[str, Any] = dataclasses.field(default_factory=dict)  # sis, guardians, key: not counted
    reactivate: bool = False
    parent: Any = None  # a child's family ref; an enrolment's (class ref, child ref)


@dataclasses.dataclass
class Plan:
    creates: dict[str, list[Step]] = dataclasses.field(default_factory=lambda: {k: [] for k in KINDS})
    updates: dict[str, list[Step]] = dataclasses.field(default_factory=lambda: {k: [] for k in KINDS})
    touches: dict[str, list[Step]] = dataclasses.field(default_factory=lambda: {k: [] for k in KINDS})
    deactivates: dict[str, list[tuple[int, str]]] = dataclasses.field(default_factory=lambda: {k: [] for k in KINDS})
    unchanged: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    notes: list[Problem] = dataclasses.field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        return {k: {"created": len(self.creates[k]), "updated": len(self.updates[k]),
                    "deactivated": len(self.deactivates[k]), "unchanged": self.unchanged[k]} for k in KINDS}

    def examples(self) -> dict[str, dict[str, list[str]]]:
        return {k: {"created": [s.label for s in self.creates[k][:EXAMPLES]],
                    "updated": [s.label for s in self.updates[k][:EXAMPLES]],
                    "deactivated": [label for _, label in self.deactivates[k][:EXAMPLES]]} for k in KINDS}


def merge(fields: dict[str, str], new: dict[str, Any], sis: dict[str, str], current: dict[str, Any]
          ) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(values to write, the new ``sis``, fields kept because the family changed them): the rule above."""
    writes: dict[str, Any] = {}
    remembered = dict(sis)
    kept: list[str] = []
    for field, owner in fields.items():
        if field not in new:
            continue  # values read without the field (before it existed): nothing to say about it
        value, last = new[field], sis.get(field)
        if last == fingerprint(value):
            continue  # the SIS says what it said last time: whatever is here now stays
        remembered[field] = fingerprint(value)
        if current.get(field, value) == value:  # a row read without the field: unchanged
            continue
        if owner == FAMILY and last is not None and fingerprint(current[field]) != last:
            kept.append(field)
            continue
        writes[field] = value
    return writes, remembered, kept


def _match(households: list[Household], rows: list[FamilyRow], students_of: dict[int, set[str]]
           ) -> list[FamilyRow | None]:
    """For each household, the earlier roster family it is (household id, then guardians, then students)."""
    free = {r.id: r for r in rows}
    out: list[FamilyRow | None] = [None] * len(households)
    by_key = {r.key: r for r in rows if r.key.startswith("household:")}
    for i, h in enumerate(households):
        row = by_key.get(h.key)
        if row is not None and row.id in free:
            out[i] = free.pop(row.id)
    for members, of_row in ((lambda h: set(h.guardians), lambda r: set(r.guardians)),
                            (lambda h: set(h.students), lambda r: students_of.get(r.id, set()))):
        owners: dict[str, list[int]] = {}
        for r in free.values():
            for sid in of_row(r):
                owners.setdefault(sid, []).append(r.id)
        for i, h in enumerate(households):
            if out[i] is not None:
                continue
            overlap: dict[int, int] = {}
            for sid in members(h):
                for rid in owners.get(sid, ()):
                    if rid in free:
                        overlap[rid] = overlap.get(rid, 0) + 1
            if overlap:
                best = min(overlap, key=lambda rid: (-overlap[rid], rid))
                out[i] = free.pop(best)
    return out


def plan(roster: Roster, households: list[Household], snapshot: Snapshot, school_language: str,
         child_values: dict[str, dict[str, str]]) -> Plan:
    """Every change the roster asks for. ``child_values``: student -> first_name, grade, age_band."""
    result = Plan(notes=list(roster.notes))
    students_of: dict[int, set[str]] = {}
    children_by_key = {(c.roster_family, c.sourced_id): c for c in snapshot.children}
    for c in snapshot.children:
        students_of.setdefault(c.roster_family, set()).add(c.sourced_id)
    matched = _match(households, snapshot.families, students_of)
    child_refs: dict[str, list[Any]] = {}  # student -> its children's refs (one per household)
    seen_rows: set[int] = set()
    for i, (household, row) in enumerate(zip(households, matched)):
        values = family_values(household, roster, school_language)
        if row is not None:
            seen_rows.add(row.id)
            if row.family_id is None:
                result.notes.append(Problem("", 0, "", f"{values.name} deleted its account in Family Bridge; "
                                                       "it is not created again"))
                continue
        ref = ("family", i) if row is None else row.id
        _family_step(result, household, row, values, ref)
        for sid in household.students:
            child = children_by_key.get((row.id, sid)) if row is not None else None
            if child is not None and child.child_id is None:
                continue  # the family removed this child: the roster does not add it back
            child_ref = _child_step(result, ref, sid, child, child_values[sid])
            child_refs.setdefault(sid, []).append(child_ref)
    kept_children = {r for refs in child_refs.values() for r in refs if isinstance(r, int)}
    for row in snapshot.families:
        if row.id not in seen_rows and row.active and row.family_id is not None:
            result.deactivates["families"].append((row.id, row.current.get("name", "")))
    gone_children: set[int] = set()
    for c in snapshot.children:
        if c.child_id is None or c.child_id in kept_children:
            continue
        gone_children.add(c.child_id)
        if c.active:
            result.deactivates["children"].append((c.id, _child_label(c.current)))
    _staff(result, roster, snapshot)
    children = {c.child_id: _child_label(c.current) for c in snapshot.children}
    children |= {step.ref: step.label for step in [*result.creates["children"], *result.updates["children"]]}
    classes = {("class", sid): c.name for sid, c in roster.classes.items()}
    classes |= {row.id: str(row.values.get("name", "")) for row in snapshot.classes.values()}
    _enrollments(result, roster, snapshot, child_refs, gone_children, (classes, children))
    return result


def _family_step(result: Plan, household: Household, row: FamilyRow | None, values: FamilyValues, ref: Any) -> None:
    new = {"name": values.name, "email": values.email, "language": values.language,
           "guardians": list(values.guardians), "phone": values.phone}
    internal = {"key": household.key, "guardians": list(household.guardians)}
    if row is None:
        internal["sis"] = {f: fingerprint(new[f]) for f in FAMILY_FIELDS}
        result.creates["families"].append(Step(ref=ref, row=None, label=values.name, writes=new, internal=internal))
        return
    writes, sis, kept = merge(FAMILY_FIELDS, new, row.sis, row.current)
    for field in kept:
        result.notes.append(Problem("", 0, field, f"{row.current['name']}: kept the family's own {field} "
                                                  f"({row.current[field]!r}) over the roster's {new[field]!r}"))
    if sis != row.sis:
        internal["sis"] = sis
    if internal["key"] == row.key and internal["guardians"] == list(row.guardians):
        internal = {k: v for k, v in internal.items() if k == "sis"}
    step = Step(ref=ref, row=row.id, label=values.name, writes=writes, internal=internal, reactivate=not row.active)
    if writes or step.reactivate:
        result.updates["families"].append(step)
    else:
        result.unchanged["families"] += 1
        if internal:
            result.touches["families"].append(step)


def _child_label(values: dict[str, Any]) -> str:
    return f"{values.get('first_name', '')} ({values.get('grade') or '?'})"


def _child_step(result: Plan, family_ref: Any, sid: str, child: ChildRow | None, new: dict[str, str]) -> Any:
    label = _child_label(new)
    if child is None:
        ref = ("child", family_ref, sid)
        result.creates["children"].append(Step(ref=ref, row=None, label=label, writes=dict(new), parent=family_ref,
                                               internal={"sis": {f: fingerprint(new[f]) for f in CHILD_FIELDS}}))
        return ref
    writes, sis, _kept = merge(CHILD_FIELDS, new, child.sis, child.current)
    step = Step(ref=child.child_id, row=child.id, label=label, writes=writes,
                internal={"sis": sis} if sis != child.sis else {}, reactivate=not child.active, parent=family_ref)
    if writes or step.reactivate:
        result.updates["children"].append(step)
    else:
        result.unchanged["children"] += 1
        if step.internal:
            result.touches["children"].append(step)
    return child.child_id


def _staff(result: Plan, roster: Roster, snapshot: Snapshot) -> None:
    """Teachers and classes: keyed by sourcedId, SIS-owned through and through."""
    if not roster.manages_classes:
        return
    wanted = {
        "teachers": {sid: {"name": t.name[:120], "email": t.email[:254]} for sid, t in roster.teachers.items()},
        "classes": {sid: {"name": c.name[:200], "grades": list(c.grades), "teacher": c.teacher}
                    for sid, c in roster.classes.items()},
    }
    for kind, rows in (("teachers", snapshot.teachers), ("classes", snapshot.classes)):
        for sid, values in wanted[kind].items():
            row = rows.get(sid)
            if row is None:
                result.creates[kind].append(Step(ref=sid, row=None, label=values["name"], writes=values))
                continue
            writes = {k: v for k, v in values.items() if row.values.get(k) != v}
            step = Step(ref=sid, row=row.id, label=values["name"], writes=writes, reactivate=not row.active)
            if writes or step.reactivate:
                result.updates[kind].append(step)
            else:
                result.unchanged[kind] += 1
        for sid, row in rows.items():
            if sid not in wanted[kind] and row.active:
                result.deactivates[kind].append((row.id, str(row.values.get("name", ""))))


def _enrollments(result: Plan, roster: Roster, snapshot: Snapshot, child_refs: dict[str, list[Any]],
                 gone_children: set[int], labels: tuple[dict[Any, str], dict[Any, str]]) -> None:
    """A class list row per (class, child): a student of two households is on it twice."""

    def label(pair: tuple[Any, Any]) -> str:
        return f"{labels[0].get(pair[0], '?')}: {labels[1].get(pair[1], '?')}"

    wanted: set[tuple[Any, Any]] = set()
    if roster.manages_classes:
        for e in roster.enrollments:
            class_row = snapshot.classes.get(e.school_class)
            class_ref = class_row.id if class_row is not None else ("class", e.school_class)
            for child_ref in child_refs.get(e.student, ()):
                wanted.add((class_ref, child_ref))
    for pair in sorted(wanted, key=repr):
        row = snapshot.enrollments.get(pair) if all(isinstance(p, int) for p in pair) else None
        if row is None:
            result.creates["enrollments"].append(Step(ref=pair, row=None, label=label(pair), parent=pair))
        elif not row.active:
            result.updates["enrollments"].append(Step(ref=pair, row=row.id, label=label(pair), reactivate=True))
        else:
            result.unchanged["enrollments"] += 1
    for pair, row in snapshot.enrollments.items():
        if not row.active or pair in wanted:
            continue
        if roster.manages_classes or pair[1] in gone_children:
            result.deactivates["enrollments"].append((row.id, label(pair)))
