"""Seeded demo school: used by the benchmark and, later, the demo data.

Shape (defaults): 600 students in 30 classes, families of one to three
children (20% have two or more), 25% of families speak one of six languages
other than English, 8 interpreters, a few split households, two evenings
16:00–20:00 (10-minute slots, 15 with an interpreter) with a staggered 15-minute teacher break. Families give
availability the way real ones do: some any time, many one evening only,
some a two-hour window.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .model import Child, Family, Guardian, Interpreter, Problem, Span, Teacher, Window

LANGUAGES = [("es", 0.36), ("vi", 0.16), ("zh", 0.14), ("ar", 0.14), ("so", 0.10), ("ht", 0.10)]
# Eight interpreters for six languages: most cover two, as in real pools.
INTERPRETERS = [["es"], ["es"], ["es", "ht"], ["vi", "zh"], ["vi"], ["ar", "so"], ["zh", "ar"], ["so", "ht", "es"]]
SURNAMES = ["Nguyen", "Garcia", "Smith", "Lee", "Haddad", "Chen", "Warsame", "Joseph", "Brown", "Lopez",
            "Tran", "Kim", "Ali", "Wang", "Pierre", "Johnson", "Martinez", "Hassan", "Li", "Davis"]


def _t(zone: ZoneInfo, day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=zone).astimezone(timezone.utc)


def make_problem(seed: int = 0, *, students: int = 600, teachers: int = 30, days: tuple[str, ...] = (
        "2027-03-09", "2027-03-10"), start: str = "16:00", end: str = "20:00",
        multi_child_share: float = 0.2, language_share: float = 0.25, split_share: float = 0.05,
        interpreters: int = 8, tz: str = "America/New_York") -> Problem:
    """Build a reproducible school (same seed ⇒ same problem)."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    evenings = tuple(Span(_t(zone, d, start), _t(zone, d, end)) for d in days)
    window = Window(timezone=tz, evenings=evenings, slot_minutes=10, interpreted_slot_minutes=15,
                    passing_minutes=5, grid_minutes=5, visit_slack_minutes=5)

    # Families and children.
    children: list[Child] = []
    families: list[Family] = []
    n = 0
    while len(children) < students:
        size = 1 if rng.random() >= multi_child_share else (2 if rng.random() < 0.75 else 3)
        size = min(size, students - len(children))
        surname = rng.choice(SURNAMES)
        kids = tuple(f"c{len(children) + j}" for j in range(size))
        children += [Child(k, f"{surname} child {j + 1}") for j, k in enumerate(kids)]
        lang = "en"
        if rng.random() < language_share:
            lang = rng.choices([code for code, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0]
        avail = _availability(rng, zone, days, start, end, evenings)
        guardians: tuple[Guardian, ...] = ()
        if rng.random() < split_share:
            guardians = (Guardian("a", f"{surname} guardian A", avail, lang),
                         Guardian("b", f"{surname} guardian B",
                                  _availability(rng, zone, days, start, end, evenings), lang))
        families.append(Family(f"f{n}", f"the {surname} family ({n})", lang, kids, avail, guardians))
        n += 1
    # Arrival order for the first-come-first-served baseline is input order.
    rng.shuffle(families)

    # Class lists: each child in one class, classes balanced, siblings apart.
    per_class = -(-students // teachers)
    rosters: list[list[str]] = [[] for _ in range(teachers)]
    for fam in families:
        used: set[int] = set()
        for c in fam.children:
            open_ = [t for t in range(teachers) if len(rosters[t]) < per_class and t not in used] or \
                    [t for t in range(teachers) if len(rosters[t]) < per_class]
            t = rng.choice(open_)
            rosters[t].append(c)
            used.add(t)
    teacher_list = []
    for t in range(teachers):
        brk = tuple(Span(_t(zone, d, f"{17 + (t % 3) // 2}:{(t % 2) * 30:02d}"),
                         _t(zone, d, f"{17 + (t % 3) // 2}:{(t % 2) * 30 + 15:02d}")) for d in days)
        teacher_list.append(Teacher(f"t{t}", f"{rng.choice(['Ms', 'Mr', 'Mx'])} {SURNAMES[t % len(SURNAMES)]}-{t}",
                                    f"R{101 + t}", "en", evenings, brk, tuple(rosters[t])))
    interp = tuple(Interpreter(f"i{j}", f"Interpreter {j}", frozenset(INTERPRETERS[j % len(INTERPRETERS)]), evenings)
                   for j in range(interpreters))
    return Problem(window, tuple(teacher_list), tuple(children), tuple(families), interp)


def _availability(rng: random.Random, zone: ZoneInfo, days: tuple[str, ...], start: str, end: str,
                  evenings: tuple[Span, ...]) -> tuple[Span, ...]:
    r = rng.random()
    if r < 0.35:
        return evenings
    day = rng.randrange(len(days))
    if r < 0.65:
        return (evenings[day],)
    h0, h1 = int(start[:2]), int(end[:2])
    a = rng.randrange(h0 * 2, (h1 - 2) * 2 + 1)  # half-hour steps, two-hour window
    return (Span(_t(zone, days[day], f"{a // 2:02d}:{(a % 2) * 30:02d}"),
                 _t(zone, days[day], f"{a // 2 + 2:02d}:{(a % 2) * 30:02d}")),)


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """Serialise a problem to the documented input format (for the CLI)."""
    zone = problem.window.zone

    def t(d: datetime) -> str:
        return d.astimezone(zone).strftime("%Y-%m-%dT%H:%M")

    def spans(xs: tuple[Span, ...]) -> list[dict[str, str]]:
        return [{"start": t(s.start), "end": t(s.end)} for s in xs]

    w = problem.window
    return {
        "window": {"timezone": w.timezone, "evenings": spans(w.evenings), "slot_minutes": w.slot_minutes,
                   "interpreted_slot_minutes": w.interpreted_slot_minutes, "passing_minutes": w.passing_minutes,
                   "grid_minutes": w.grid_minutes, "visit_slack_minutes": w.visit_slack_minutes,
                   "school_language": w.school_language},
        "teachers": [{"id": x.id, "name": x.name, "room": x.room, "language": x.language,
                      "availability": spans(x.availability), "breaks": spans(x.breaks),
                      "students": list(x.students)} for x in problem.teachers],
        "children": [{"id": c.id, "name": c.name} for c in problem.children],
        "families": [{"id": f.id, "name": f.name, "language": f.language, "children": list(f.children),
                      "availability": spans(f.availability),
                      **({"guardians": [{"id": g.id, "name": g.name, "language": g.language,
                                         "availability": spans(g.availability)} for g in f.guardians]}
                         if f.guardians else {})} for f in problem.families],
        "interpreters": [{"id": i.id, "name": i.name, "languages": sorted(i.languages),
                          "availability": spans(i.availability)} for i in problem.interpreters],
    }
