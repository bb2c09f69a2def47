"""The simple CSV template, for schools without OneRoster: one row per child. PURE.

Columns (header names as written here; ``phone``, ``language`` and ``household_id`` may be left
out or empty)::

    child_first_name,grade,guardian_name,email,phone,language,household_id
    Sofía,3,Ana García,ana@example.org,555-0100,es,H1
    Mateo,K,Ana García,ana@example.org,555-0100,es,H1      <- a sibling: same household
    Mateo,K,Luis Pérez,luis@example.org,,Spanish,H2         <- his father's household: a split household

Rows with the same ``household_id`` (or, when it is empty, the same e-mail address) are one
family; a child listed under two households is a child of both. A second row for the same child
and household with another guardian adds that guardian. The rows become the same
:class:`~scheduler.roster.model.Roster` a OneRoster bundle does, with made-up sourcedIds built
from the household and the names, so the sync is the same: re-importing the file changes
nothing, and a row that disappears deactivates. (A renamed child is therefore a new child: the
template has no stable id, which is what OneRoster's ``sourcedId`` is for.) Those made-up ids are
hashes, so the ids the roster keeps name nobody.

The phone number groups rows and becomes the family's number for text messages (E.164, the first
guardian's that reads as a number; see scheduler/core/phones.py).
"""

from __future__ import annotations

import hashlib

from scheduler.roster.model import Guardian, Problem, Roster, RosterError, Student, Table, resolve_language

FILE = "roster.csv"
COLUMNS = ("child_first_name", "grade", "guardian_name", "email", "phone", "language", "household_id")
REQUIRED = ("child_first_name", "grade", "guardian_name", "email")
TEMPLATE = ",".join(COLUMNS) + "\n"  # what the upload page offers to download


def _pseudonym(*parts: str) -> str:
    """A stable id made from names without containing them: it is kept after a family deletes its account."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def parse(data: bytes, name: str = FILE) -> Roster:
    """The roster of one template file; :class:`RosterError` naming line and column if it is broken."""
    problems: list[Problem] = []
    table = Table(name, data, REQUIRED, problems)
    roster = Roster(source="simple", manages_classes=False)
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in table.rows():
        child, guardian_name, email = row["child_first_name"], row["guardian_name"], row["email"]
        household = row.get("household_id", "") or (f"e-{_pseudonym(email.casefold())}" if email else "")
        for column in ("child_first_name", "guardian_name"):
            if not row[column]:
                table.fail(line, column, "this value is required")
        if not household or len(household) > 255:
            table.fail(line, "household_id", "give a household_id (at most 255 characters) or an e-mail address")
            continue
        if email and "@" not in email:
            table.fail(line, "email", f"{email!r} is not an e-mail address")
        key = (household, child.casefold(), guardian_name.casefold())
        if key in seen:
            table.fail(line, "child_first_name", f"the same child, guardian and household as line {seen[key]}")
            continue
        seen[key] = line
        language = ""
        if row.get("language"):
            language = resolve_language(row["language"]) or ""
            if not language:
                roster.notes.append(Problem(name, line, "language",
                                            f"unknown language {row['language']!r}: the school's language is used"))
        given, _, family = guardian_name.rpartition(" ")
        student_id = f"simple:{_pseudonym(household, child.casefold())}"
        guardian_id = f"simple:{_pseudonym(household, guardian_name.casefold())}"
        student = roster.students.setdefault(student_id, Student(
            sourced_id=student_id, given_name=child, family_name=family or given, grade=row["grade"],
            language=language, guardians=[], line=line))
        if guardian_id not in student.guardians:
            student.guardians.append(guardian_id)
        guardian = roster.guardians.setdefault(guardian_id, Guardian(
            sourced_id=guardian_id, given_name=given if family else "", family_name=family or given, email=email,
            phone=row.get("phone", ""), language=language, household=household, students=[], line=line))
        guardian.email = guardian.email or email
        guardian.language = guardian.language or language
        guardian.students.append(student_id)
    if problems:
        raise RosterError(problems)
    return roster
