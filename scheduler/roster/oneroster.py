"""Reading a OneRoster 1.1 CSV bundle (IMS Global) into a :class:`~scheduler.roster.model.Roster`.

PURE: bytes in, plain data out. A bundle is a folder or a zip of ``manifest.csv``, ``orgs.csv``,
``users.csv``, ``classes.csv``, ``enrollments.csv`` and optionally ``demographics.csv``,
``courses.csv``, ``academicSessions.csv``. What we take from it, for one school (one org):

* students (``role=student`` at the org) become children: first name, grade (first of
  ``grades``), home language;
* guardians (``guardian``, ``parent``, ``relative``) linked to them through ``agentSourcedIds``
  (on the student's row, the guardian's row, or both) make up the families (``households.py``);
* teachers at the org, the org's classes and their enrolments become the school's staff and
  class lists.

The whole bundle is checked before anything is used, because a reference to a missing row
anywhere means the export is incomplete: a missing required column, a duplicate ``sourcedId``, an
unknown ``agentSourcedIds``/``orgSourcedIds``/``classSourcedId``/``userSourcedId``, a status we do
not know, bad UTF-8 -- each is a :class:`~scheduler.roster.model.Problem` naming file, line and
column, and the bundle is refused whole. Only ``bulk`` files are read: a ``delta`` file lists
changes only, so a row missing from it says nothing, and the sync deactivates what is missing.

The home language comes from an extension column (``metadata.homeLanguage`` by default, a
setting) on ``users.csv`` or, failing that, ``demographics.csv``; a value that is neither an
ISO 639 code nor an English language name is a *note* (the import goes on, the school's language
is used), not an error: one typo must not block a district's import.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

from scheduler.roster.model import (
    Enrollment,
    Guardian,
    Problem,
    Roster,
    RosterError,
    SchoolClass,
    Student,
    Table,
    Teacher,
    resolve_language,
    split_list,
)

REQUIRED: dict[str, tuple[str, ...]] = {
    "manifest.csv": ("propertyName", "value"),
    "orgs.csv": ("sourcedId", "name", "type"),
    "users.csv": ("sourcedId", "enabledUser", "orgSourcedIds", "role", "username", "givenName", "familyName"),
    "classes.csv": ("sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"),
    "enrollments.csv": ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    "demographics.csv": ("sourcedId",),
    "courses.csv": ("sourcedId", "title", "orgSourcedId"),
    "academicSessions.csv": ("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
}
NEEDED = ("orgs.csv", "users.csv")  # without these there is nothing to import
ROLES = frozenset({"administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"})
GUARDIAN_ROLES = frozenset({"guardian", "parent", "relative"})
STATUSES = {"": True, "active": True, "tobedeleted": False, "inactive": False}  # inactive: OneRoster 1.0
MAX_ID = 255  # sourcedIds and household ids: what the roster tables hold
MAX_BUNDLE_BYTES = 500_000_000  # uncompressed: a zip that inflates past this is refused, not unpacked


def read_bundle(source: Path | bytes) -> dict[str, bytes]:
    """The CSV files of a folder or a zip (a path or its bytes), by file name.

    Files inside a zip may sit in one folder (``export/users.csv``): exports are often zipped
    that way. Names are matched exactly, as the standard spells them.
    """
    if isinstance(source, Path) and source.is_dir():
        return {p.name: p.read_bytes() for p in sorted(source.iterdir()) if p.suffix == ".csv" and p.is_file()}
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise RosterError([Problem("bundle", 0, "", "not a zip file or a folder of OneRoster CSV files")]) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.endswith(".csv")
                   and not Path(m.filename).name.startswith(".") and "__MACOSX" not in m.filename]
        if sum(m.file_size for m in members) > MAX_BUNDLE_BYTES:
            raise RosterError([Problem("bundle", 0, "", f"the files inflate past {MAX_BUNDLE_BYTES} bytes")])
        files: dict[str, bytes] = {}
        for member in members:
            name = Path(member.filename).name
            if name in files:
                raise RosterError([Problem(name, 0, "", "the zip holds two files of this name")])
            files[name] = archive.read(member)
    return files


@dataclasses.dataclass(slots=True)
class _User:
    line: int
    role: str
    active: bool
    orgs: list[str]
    given: str
    family: str
    email: str
    phone: str
    agents: list[str]
    grades: list[str]
    language: str
    household: str
    language_at: tuple[str, int] = ("users.csv", 0)  # where the language value was read, for a note


@dataclasses.dataclass
class Options:
    """What the reader needs to know of the school and the settings."""

    school_slug: str
    school_name: str
    org: str | None = None  # the org's sourcedId; None: found by identifier, name, or as the only school
    language_column: str = "metadata.homeLanguage"
    household_column: str = "metadata.householdId"


class _Reader:
    def __init__(self, files: dict[str, bytes], options: Options) -> None:
        self.files, self.options = files, options
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []
        self.broken: set[str] = set()  # files not readable at all: references into them are not checked

    def table(self, name: str) -> Table | None:
        if name not in self.files:
            return None
        table = Table(name, self.files[name], REQUIRED[name], self.problems)
        if not table.ok:
            self.broken.add(name)
        return table

    def known(self, name: str, ids: dict | None, value: str) -> bool:
        """Whether ``value`` is a sourcedId of file ``name`` (or cannot be checked: the file is unreadable)."""
        return ids is None or name in self.broken or value in ids

    def fail(self, file: str, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(file, line, column, message))

    def unique(self, table: Table, seen: dict[str, int], line: int, row: dict[str, str]) -> str | None:
        """The row's sourcedId, or None (and a problem) when it is empty or was seen before."""
        sid = row["sourcedId"]
        if not sid or len(sid) > MAX_ID:
            table.fail(line, "sourcedId", "a sourcedId is required" if not sid else f"longer than {MAX_ID} characters")
            return None
        if sid in seen:
            table.fail(line, "sourcedId", f"duplicate sourcedId {sid!r} (also on line {seen[sid]})")
            return None
        seen[sid] = line
        return sid

    def status(self, table: Table, line: int, row: dict[str, str]) -> bool:
        value = row.get("status", "").lower()
        if value not in STATUSES:
            table.fail(line, "status", f"unknown status {row['status']!r} (active or tobedeleted)")
        return STATUSES.get(value, True)

    def manifest(self) -> set[str]:
        """The files the manifest says are in the bundle (bulk); refuses delta files and other versions."""
        table = self.table("manifest.csv")
        if table is None:
            self.fail("manifest.csv", 0, "", "missing: a OneRoster bundle starts with manifest.csv")
            return set(NEEDED)
        values = {row["propertyName"]: (line, row["value"]) for line, row in table.rows()}
        version_line, version = values.get("oneroster.version", (0, ""))
        if version not in ("1.1", "1.0"):
            self.fail("manifest.csv", version_line, "value",
                      f"oneroster.version is {version or 'missing'}; this reads OneRoster 1.1 CSV")
        present = set()
        for name in REQUIRED:
            if name == "manifest.csv":
                continue
            line, mode = values.get(f"file.{name.removesuffix('.csv')}", (0, "absent"))
            mode = mode.lower()
            if mode == "delta":
                self.fail("manifest.csv", line, "value", f"file.{name.removesuffix('.csv')} is delta; "
                          "export a bulk bundle (a delta lists changes only, so absent rows say nothing)")
            elif mode == "bulk":
                present.add(name)
                if name not in self.files:
                    self.fail(name, 0, "", "missing: the manifest lists it as bulk")
            elif mode != "absent":
                self.fail("manifest.csv", line, "value", f"unknown file mode {mode!r} (bulk, delta or absent)")
        for name in NEEDED:
            if name not in present:
                self.fail("manifest.csv", 0, "", f"{name} must be in the bundle (bulk)")
        return present

    def orgs(self) -> dict[str, dict[str, str]]:
        table = self.table("orgs.csv")
        out: dict[str, dict[str, str]] = {}
        seen: dict[str, int] = {}
        for line, row in table.rows() if table else ():
            sid = self.unique(table, seen, line, row)
            self.status(table, line, row)
            if sid is not None:
                out[sid] = {**row, "line": str(line)}
        return out

    def pick_org(self, orgs: dict[str, dict[str, str]]) -> str:
        """The school's org: the one named, else matched by identifier or name, else the only school."""
        wanted = self.options.org
        if wanted:
            if wanted not in orgs:
                self.fail("orgs.csv", 0, "sourcedId", f"no org {wanted!r} in the bundle")
            return wanted
        schools = {sid: o for sid, o in orgs.items() if o["type"].lower() == "school"}
        for sid, org in schools.items():
            if org.get("identifier", "") == self.options.school_slug:
                return sid
        by_name = [sid for sid, o in schools.items() if o["name"].casefold() == self.options.school_name.casefold()]
        if len(by_name) == 1:
            return by_name[0]
        if len(schools) == 1:
            return next(iter(schools))
        listed = ", ".join(f"{sid} ({o['name']})" for sid, o in list(schools.items())[:10])
        self.fail("orgs.csv", 0, "", f"{len(schools)} schools in the bundle and none has identifier "
                  f"{self.options.school_slug!r} or name {self.options.school_name!r}: name the org "
                  f"(--org / org=) among {listed or 'none'}")
        return ""

    def users(self, orgs: dict[str, dict[str, str]]) -> dict[str, _User]:
        table = self.table("users.csv")
        out: dict[str, _User] = {}
        seen: dict[str, int] = {}
        language_col, household_col = self.options.language_column, self.options.household_column
        for line, row in table.rows() if table else ():
            sid = self.unique(table, seen, line, row)
            active = self.status(table, line, row)
            role = row["role"].lower()
            if role not in ROLES:
                table.fail(line, "role", f"unknown role {row['role']!r} ({', '.join(sorted(ROLES))})")
            user_orgs = split_list(row["orgSourcedIds"])
            for org in user_orgs:
                if not self.known("orgs.csv", orgs, org):
                    table.fail(line, "orgSourcedIds", f"unknown org {org!r} (not in orgs.csv)")
            if len(row.get(household_col, "")) > MAX_ID:
                table.fail(line, household_col, f"longer than {MAX_ID} characters")
            if active and role in (*GUARDIAN_ROLES, "student", "teacher"):
                for column in ("givenName", "familyName"):
                    if not row[column]:
                        table.fail(line, column, "a name is required")
            if sid is None:
                continue
            out[sid] = _User(line=line, role=role, active=active, orgs=user_orgs, given=row["givenName"],
                             family=row["familyName"], email=row.get("email", ""),
                             phone=row.get("phone", "") or row.get("sms", ""),
                             agents=split_list(row.get("agentSourcedIds", "")),
                             grades=split_list(row.get("grades", "")), language=row.get(language_col, ""),
                             household=row.get(household_col, ""), language_at=("users.csv", line))
        for sid, user in out.items():
            for agent in user.agents:
                if agent not in out:
                    table.fail(user.line, "agentSourcedIds", f"unknown user {agent!r} (not in users.csv)")
        return out

    def demographics(self, users: dict[str, _User]) -> None:
        """Fills in a home language users.csv left empty, from the same column in demographics.csv."""
        table = self.table("demographics.csv")
        if table is None:
            return
        seen: dict[str, int] = {}
        column = self.options.language_column
        for line, row in table.rows():
            sid = self.unique(table, seen, line, row)
            self.status(table, line, row)
            if sid is None:
                continue
            if not self.known("users.csv", users, sid):
                table.fail(line, "sourcedId", f"unknown user {sid!r} (not in users.csv)")
            elif sid in users and row.get(column) and not users[sid].language:
                users[sid].language, users[sid].language_at = row[column], ("demographics.csv", line)

    def simple_rows(self, name: str) -> dict[str, tuple[int, dict[str, str]]]:
        """A file read only to check it (courses, sessions): sourcedId -> (line, row)."""
        table = self.table(name)
        out: dict[str, tuple[int, dict[str, str]]] = {}
        seen: dict[str, int] = {}
        for line, row in table.rows() if table else ():
            sid = self.unique(table, seen, line, row)
            self.status(table, line, row)
            if sid is not None:
                out[sid] = (line, row)
        return out

    def classes(self, orgs: dict[str, dict[str, str]], courses: dict | None, sessions: dict | None
                ) -> dict[str, tuple[int, dict[str, str], bool]]:
        table = self.table("classes.csv")
        out: dict[str, tuple[int, dict[str, str], bool]] = {}
        seen: dict[str, int] = {}
        for line, row in table.rows() if table else ():
            sid = self.unique(table, seen, line, row)
            active = self.status(table, line, row)
            if not self.known("orgs.csv", orgs, row["schoolSourcedId"]):
                table.fail(line, "schoolSourcedId", f"unknown org {row['schoolSourcedId']!r} (not in orgs.csv)")
            if not self.known("courses.csv", courses, row["courseSourcedId"]):
                table.fail(line, "courseSourcedId", f"unknown course {row['courseSourcedId']!r} (not in courses.csv)")
            for term in split_list(row["termSourcedIds"]):
                if not self.known("academicSessions.csv", sessions, term):
                    table.fail(line, "termSourcedIds", f"unknown academic session {term!r}")
            if not row["title"]:
                table.fail(line, "title", "a class needs a title")
            if sid is not None:
                out[sid] = (line, row, active)
        return out

    def enrollments(self, classes: dict, users: dict[str, _User]) -> list[tuple[int, dict[str, str]]]:
        table = self.table("enrollments.csv")
        out = []
        seen: dict[str, int] = {}
        for line, row in table.rows() if table else ():
            self.unique(table, seen, line, row)
            active = self.status(table, line, row)
            if not self.known("classes.csv", classes, row["classSourcedId"]):
                table.fail(line, "classSourcedId", f"unknown class {row['classSourcedId']!r} (not in classes.csv)")
            if not self.known("users.csv", users, row["userSourcedId"]):
                table.fail(line, "userSourcedId", f"unknown user {row['userSourcedId']!r} (not in users.csv)")
            if active:
                out.append((line, row))
        return out

    def language(self, user: _User) -> str:
        if not user.language:
            return ""
        code = resolve_language(user.language)
        if code is None:
            self.notes.append(Problem(*user.language_at, self.options.language_column,
                                      f"unknown language {user.language!r}: the school's language is used"))
            return ""
        return code


def parse(files: dict[str, bytes], options: Options) -> Roster:
    """The school's roster from a bundle's files; :class:`RosterError` with every problem if it is broken."""
    reader = _Reader(files, options)
    present = reader.manifest()
    files = {name: data for name, data in files.items() if name in present}
    reader.files = files
    orgs = reader.orgs()
    org = reader.pick_org(orgs) if orgs else ""
    users = reader.users(orgs)
    reader.demographics(users)
    courses = reader.simple_rows("courses.csv") if "courses.csv" in files else None
    sessions = reader.simple_rows("academicSessions.csv") if "academicSessions.csv" in files else None
    classes = reader.classes(orgs, courses, sessions)
    enrollments = reader.enrollments(classes, users)
    if reader.problems:
        raise RosterError(reader.problems)
    return _build(reader, org, users, classes, enrollments, manages_classes="classes.csv" in files)


def _build(reader: _Reader, org: str, users: dict[str, _User], classes: dict, enrollments: list,
           manages_classes: bool) -> Roster:
    roster = Roster(source="oneroster", manages_classes=manages_classes)
    for sid, u in users.items():
        if u.active and u.role == "student" and org in u.orgs:
            roster.students[sid] = Student(sourced_id=sid, given_name=u.given, family_name=u.family,
                                           grade=u.grades[0] if u.grades else "", language=reader.language(u),
                                           guardians=[], line=u.line)
    links: dict[str, list[str]] = {sid: [] for sid in roster.students}
    for sid, u in users.items():  # agentSourcedIds from either side, the student's own order first
        if sid in roster.students:
            links[sid].extend(a for a in u.agents if a not in links[sid])
    for sid, u in users.items():
        if u.role in GUARDIAN_ROLES:
            for student in u.agents:
                if student in links and sid not in links[student]:
                    links[student].append(sid)
    for student, agents in links.items():
        for agent in agents:
            guardian = users[agent]
            if not guardian.active or guardian.role not in GUARDIAN_ROLES:
                continue
            roster.students[student].guardians.append(agent)
            if agent not in roster.guardians:
                roster.guardians[agent] = Guardian(
                    sourced_id=agent, given_name=guardian.given, family_name=guardian.family, email=guardian.email,
                    phone=guardian.phone, language=reader.language(guardian), household=guardian.household,
                    students=[], line=guardian.line)
            roster.guardians[agent].students.append(student)
    teachers_here = {sid for sid, u in users.items() if u.active and u.role == "teacher" and org in u.orgs}
    class_teacher: dict[str, tuple[bool, str]] = {}
    for _line, row in enrollments:
        cls, user = row["classSourcedId"], row["userSourcedId"]
        if users[user].role == "teacher" and users[user].active:
            primary = row.get("primary", "").lower() == "true"
            if cls not in class_teacher or (primary and not class_teacher[cls][0]):
                class_teacher[cls] = (primary, user)
    for sid, (_line, row, active) in classes.items():
        if active and row["schoolSourcedId"] == org:
            teacher = class_teacher.get(sid, (False, ""))[1]
            if teacher:
                teachers_here.add(teacher)
            roster.classes[sid] = SchoolClass(sourced_id=sid, name=row["title"], grades=tuple(
                g[:16] for g in split_list(row.get("grades", ""))), teacher=teacher)
    for sid in sorted(teachers_here, key=lambda s: users[s].line):
        u = users[sid]
        roster.teachers[sid] = Teacher(sourced_id=sid, name=f"{u.given} {u.family}".strip(), email=u.email)
    for _line, row in enrollments:
        if row["classSourcedId"] in roster.classes and row["userSourcedId"] in roster.students:
            roster.enrollments.append(Enrollment(school_class=row["classSourcedId"], student=row["userSourcedId"]))
    roster.notes = reader.notes
    return roster
