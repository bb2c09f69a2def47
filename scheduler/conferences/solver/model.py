"""The conference problem as plain frozen data.

Everything here is immutable so a problem can be shared between the greedy,
the CP-SAT improver and `verify` without anyone mutating it behind the others'
backs. Times are timezone-aware datetimes (UTC internally); the local zone is
kept on the problem so output can be shown in wall-clock time again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Span:
    """A half-open stretch of absolute time [start, end)."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        """Real elapsed minutes (DST-safe because both ends are absolute)."""
        return int((self.end - self.start) / timedelta(minutes=1))

    def contains(self, other: "Span") -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Window:
    """The conference evenings and the timing rules shared by every meeting.

    `grid_minutes` is the granularity of start times: a coarser grid makes the
    solver much faster and matches how schools print conference sheets.
    `visit_slack_minutes` is how much waiting beyond the passing time still
    counts as "the same visit" to the school.
    """

    timezone: str
    evenings: tuple[Span, ...]
    slot_minutes: int = 10
    interpreted_slot_minutes: int = 20
    passing_minutes: int = 5
    grid_minutes: int = 5
    visit_slack_minutes: int = 5
    school_language: str = "en"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Teacher:
    """A teacher in a fixed room; availability defaults to the evenings."""

    id: str
    name: str
    room: str
    language: str
    availability: tuple[Span, ...]
    breaks: tuple[Span, ...]
    students: tuple[str, ...]


@dataclass(frozen=True)
class Child:
    id: str
    name: str


@dataclass(frozen=True)
class Guardian:
    """One adult of a split household, attending on their own."""

    id: str
    name: str
    availability: tuple[Span, ...]
    language: str


@dataclass(frozen=True)
class Family:
    """A household. With two or more `guardians` it is a split household:
    each guardian meets every teacher separately, on their own availability."""

    id: str
    name: str
    language: str
    children: tuple[str, ...]
    availability: tuple[Span, ...]
    guardians: tuple[Guardian, ...] = ()

    @property
    def split(self) -> bool:
        return len(self.guardians) >= 2


@dataclass(frozen=True)
class Interpreter:
    id: str
    name: str
    languages: frozenset[str]
    availability: tuple[Span, ...]


@dataclass(frozen=True)
class Problem:
    window: Window
    teachers: tuple[Teacher, ...]
    children: tuple[Child, ...]
    families: tuple[Family, ...]
    interpreters: tuple[Interpreter, ...] = ()


@dataclass(frozen=True)
class Party:
    """Whoever walks through the door: a whole family, or one guardian of a
    split household. Parties, not families, are what must not be in two
    places at once."""

    id: str
    family: str
    guardian: str | None
    name: str
    language: str
    availability: tuple[Span, ...]


@dataclass(frozen=True)
class Request:
    """One meeting that must happen: a party with a teacher about the
    party's children in that teacher's class."""

    id: str
    party: Party
    teacher: Teacher
    children: tuple[str, ...]
    minutes: int
    interpreted: bool


def parties(problem: Problem) -> list[Party]:
    """Expand families into the parties that attend (split households ⇒ one
    party per guardian)."""
    out: list[Party] = []
    for fam in problem.families:
        if fam.split:
            for g in fam.guardians:
                out.append(Party(f"{fam.id}.{g.id}", fam.id, g.id, g.name, g.language, g.availability))
        else:
            out.append(Party(fam.id, fam.id, None, fam.name, fam.language, fam.availability))
    return out


def requests(problem: Problem) -> list[Request]:
    """Every meeting that was asked for, in a stable order (family order,
    then teacher order) so that everything downstream is deterministic."""
    w = problem.window
    out: list[Request] = []
    by_family = {f.id: f for f in problem.families}
    for party in parties(problem):
        kids = set(by_family[party.family].children)
        for t in problem.teachers:
            mine = tuple(c for c in t.students if c in kids)
            if not mine:
                continue
            interpreted = party.language != t.language
            minutes = w.interpreted_slot_minutes if interpreted else w.slot_minutes
            out.append(Request(f"{party.id}/{t.id}", party, t, mine, minutes, interpreted))
    return out


@dataclass(frozen=True)
class Meeting:
    """A placed meeting in the output schedule."""

    request: str
    start: datetime
    end: datetime
    interpreter: str | None = None


@dataclass(frozen=True)
class Unplaced:
    request: str
    reason: str


@dataclass(frozen=True)
class Schedule:
    """The solver's answer: placed meetings, reasons for the rest, and the
    evidence (objective, proven bound, status) an administrator needs to
    judge it."""

    meetings: tuple[Meeting, ...]
    unplaced: tuple[Unplaced, ...] = ()
    objective: int = 0
    bound: int = 0
    status: str = "UNKNOWN"
    stats: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
