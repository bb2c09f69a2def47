"""Parent-teacher conference scheduler: pure Python + OR-Tools CP-SAT.

Siblings' meetings back-to-back, split households met separately,
interpreters never double-booked and kept in contiguous blocks. No Litestar,
no Piccolo: plain data in, plain data out.

Public API:
    parse_problem(data) -> Problem            raises ProblemError(errors=["$.path: message", ...])
    load_problem(path) -> Problem
    solve(problem, time_limit=60.0, seed=0, num_workers=None, progress=None, effort=None) -> Schedule
    verify(problem, schedule) -> list[str]    empty when every rule holds
    schedule_to_json(problem, schedule) -> dict
    summary(problem, schedule) -> dict        figures for people and the benchmark
    make_problem(seed, ...) -> Problem        seeded demo school
    cli.run(argv) -> int                      `family-bridge conferences solve ...`
"""

from .demo import make_problem, problem_to_json
from .metrics import summary
from .model import Meeting, Problem, Schedule, Unplaced
from .output import schedule_to_json
from .parse import ProblemError, load_problem, parse_problem
from .solver import solve
from .verify import verify

__all__ = ["parse_problem", "load_problem", "ProblemError", "solve", "verify", "schedule_to_json", "summary",
           "make_problem", "problem_to_json", "Problem", "Schedule", "Meeting", "Unplaced"]
