"""Family Bridge booking engine (engine-format v1): pure Python + OR-Tools.

Public API:
    parse_instance(data) -> Instance          raises InstanceError(errors=[(path, message), ...])
    solve(instance, time_limit=30.0, seed=0)  -> SolveResult(solution, details, stats)
    verify(instance, solution) -> list[str]   empty when the solution is valid
"""
from .explain import EventDetail
from .model import Instance
from .parse import InstanceError, parse_instance
from .solver import SolveResult, solve
from .verify import verify

__all__ = ["parse_instance", "InstanceError", "solve", "verify", "SolveResult", "EventDetail", "Instance"]
