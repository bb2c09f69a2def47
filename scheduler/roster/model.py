"""What a roster says, as plain data: the people, classes and enrolments of one school, and the
problems found while reading it.

PURE (no Piccolo, no Litestar): both readers (``oneroster.py``, ``simple_csv.py``) produce a
:class:`Roster`, and the sync (``sync.py``) compares it with the database. Keeping the reading
pure lets every broken-file case be tested as a plain function, and a preview costs no database
work until the diff.

Errors and notes name the file, the line (as an editor numbers it: the header is line 1) and the
column, because the person fixing them has the CSV open in a spreadsheet, not our code.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator

from scheduler.core.languages import NAMES, is_language_code
from scheduler.core.validation import FORM_CONTROL

_BY_NAME = {name.casefold(): code for code, name in NAMES.items()}


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """Where something is wrong (or only worth saying) in the uploaded files."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.file:  # about the school's data, not a place in the files (a kept edit, say)
            return self.message
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}, column {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class RosterError(ValueError):
    """The files cannot be imported at all; nothing is written. Carries every problem found (up to a limit)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


@dataclasses.dataclass(slots=True)
class Guardian:
    sourced_id: str
    given_name: str
    family_name: str
    email: str
    phone: str
    language: str  # ISO 639 code, "" when the roster gives none (or one we do not know: see notes)
    household: str  # the household id column's value, "" when none
    students: list[str]  # sourcedIds of the students this guardian's own row names
    line: int

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclasses.dataclass(slots=True)
class Student:
    sourced_id: str
    given_name: str
    family_name: str
    grade: str  # as the roster writes it (``KG``, ``03``); the sync makes it canonical
    language: str
    guardians: list[str]  # sourcedIds of guardians, in the roster's order (the first is the main contact)
    line: int


@dataclasses.dataclass(frozen=True, slots=True)
class Teacher:
    sourced_id: str
    name: str
    email: str


@dataclasses.dataclass(frozen=True, slots=True)
class SchoolClass:
    sourced_id: str
    name: str
    grades: tuple[str, ...]
    teacher: str  # the sourcedId of the class's (primary) teacher, "" when none is enrolled


@dataclasses.dataclass(frozen=True, slots=True)
class Enrollment:
    school_class: str  # class sourcedId
    student: str  # student sourcedId


@dataclasses.dataclass
class Roster:
    """The active people of one school, as the roster has them today.

    Rows marked ``tobedeleted`` are left out: to the sync they are the same as rows that
    disappeared (both deactivate). ``manages_classes`` is False when the bundle has no class
    files (a OneRoster manifest saying ``absent``, or the simple template): the school's
    classes are then left as they are rather than all deactivated.
    """

    source: str  # "oneroster" or "simple"
    students: dict[str, Student] = dataclasses.field(default_factory=dict)
    guardians: dict[str, Guardian] = dataclasses.field(default_factory=dict)
    teachers: dict[str, Teacher] = dataclasses.field(default_factory=dict)
    classes: dict[str, SchoolClass] = dataclasses.field(default_factory=dict)
    enrollments: list[Enrollment] = dataclasses.field(default_factory=list)
    manages_classes: bool = True
    notes: list[Problem] = dataclasses.field(default_factory=list)


def resolve_language(value: str) -> str | None:
    """An ISO 639 code for a code (``es``, ``ES``, ``es-MX``) or an English name (``Spanish``); None if unknown."""
    text = value.strip()
    code = text.replace("_", "-").split("-")[0].lower()
    if is_language_code(code):
        return code
    return _BY_NAME.get(text.casefold())


MAX_PROBLEMS = 50  # a file broken on every line is reported by its first fifty problems


class Table:
    """One CSV file, checked on the way in: UTF-8, a header with the required columns, line numbers.

    Rows come out as dicts (column -> text, stripped) with the line they start on, so a problem
    found later (an unknown reference, a duplicate) can still name its place.
    """

    def __init__(self, name: str, data: bytes, required: tuple[str, ...], problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        text = self._decode(data)
        self._reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(self._reader)
        except (StopIteration, csv.Error):
            header = []
        self.header = [h.strip() for h in header]
        if self.header:
            self.header[0] = self.header[0].lstrip("\ufeff")
        self.ok = text is not None
        if self.ok:
            for column in required:
                if column not in self.header:
                    self.fail(1, column, "missing required column"
                              + (" (the file is empty)" if not self.header else ""))
                    self.ok = False
            seen: set[str] = set()
            for column in self.header:
                if column in seen:
                    self.fail(1, column, "this column appears twice in the header")
                    self.ok = False
                seen.add(column)

    def fail(self, line: int, column: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.name, line, column, message))

    def _decode(self, data: bytes) -> str | None:
        """The text, or None (and the place of the problem) when it is not UTF-8 or holds control characters.

        A control character (a NUL, say) would reach the database, which PostgreSQL refuses; it is
        the file's fault, so it is named like any other problem."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, column = _place(data.decode("utf-8", "replace"), len(data[:exc.start].decode("utf-8", "replace")))
            self.fail(line, column, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8")
            return None
        bad = [m.start() for m, _ in zip(FORM_CONTROL.finditer(text), range(5))]
        for pos in bad:
            line, column = _place(text, pos)
            self.fail(line, column, f"a control character (U+{ord(text[pos]):04X}) is not allowed")
        return None if bad else text

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line, row) for every non-empty record; a record with the wrong number of fields is a problem."""
        if not self.ok:
            return
        width = len(self.header)
        line = 1
        while True:
            start = line + 1
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.fail(start, "", f"unreadable CSV ({exc})")
                return
            line = self._reader.line_num
            if not "".join(record).strip():
                continue
            if len(record) != width:
                self.fail(start, "", f"{len(record)} fields where the header has {width}")
                continue
            yield start, dict(zip(self.header, map(str.strip, record)))


def _place(text: str, pos: int) -> tuple[int, str]:
    """(line, column name) of a character of a CSV text, for a problem found before parsing it."""
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    head = text[:text.find("\n")] if "\n" in text else text
    names = next(csv.reader([head.lstrip("\ufeff")]), [])
    fields = next(csv.reader([text[start:pos]]), [""])
    index = max(len(fields) - 1, 0)
    return line, names[index].strip() if index < len(names) else f"#{index + 1}"


def split_list(value: str) -> list[str]:
    """OneRoster's lists inside one field: comma-separated, spaces around items ignored."""
    return [item.strip() for item in value.split(",") if item.strip()]
