"""Schedule → JSON document (the CLI's output format, see README.md).

Times are written back in the school's local wall-clock time, the way they
came in, so a round trip through the tool never surprises anyone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .metrics import summary
from .model import Problem, Schedule, requests
from .parse import TIME_FORMAT


def schedule_to_json(problem: Problem, schedule: Schedule) -> dict[str, Any]:
    zone = problem.window.zone
    reqs = {r.id: r for r in requests(problem)}

    def local(t: datetime) -> str:
        return t.astimezone(zone).strftime(TIME_FORMAT)

    meetings = []
    for m in schedule.meetings:
        r = reqs[m.request]
        meetings.append({
            "id": m.request, "family": r.party.family, "guardian": r.party.guardian,
            "teacher": r.teacher.id, "room": r.teacher.room, "children": list(r.children),
            "start": local(m.start), "end": local(m.end), "minutes": r.minutes,
            "language": r.party.language if r.interpreted else None, "interpreter": m.interpreter,
        })
    unplaced = []
    for u in schedule.unplaced:
        r = reqs[u.request]
        unplaced.append({"id": u.request, "family": r.party.family, "guardian": r.party.guardian,
                         "teacher": r.teacher.id, "reason": u.reason})
    return {
        "status": schedule.status,
        "objective": schedule.objective,
        "bound": schedule.bound,
        "timezone": problem.window.timezone,
        "meetings": meetings,
        "unplaced": unplaced,
        "summary": summary(problem, schedule),
        "stats": dict(schedule.stats),
    }
