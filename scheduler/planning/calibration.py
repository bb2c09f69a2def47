"""PURE: expected turnout calibrated from attendance history (who registered, who was checked in at the door).

The planner's audience rules (``turnout.py``) say who *could* come; past
events say how many of those who registered *did*. The calibration, stated:

* **History** is the school's past events that were not cancelled *and had
  at least one check-in recorded*: an event with no check-in at all most
  likely had nobody scanning at the door, so its zero would read as "nobody
  came" and is left out. Only registrations still ``confirmed`` count (a
  cancelled registration, or one left on the waitlist and never promoted,
  never expected anyone). A registered family *came* when it was checked in
  at that event (by its registration or as the family). Walk-ins (a party
  with no registration) count in the event's actual turnout but in no
  family's rate: they never said they would come.
* **The school's rate** ``p0`` = came / registered over the history;
  ``DEFAULT_RATE`` (0.7) when there is none.
* **A family's show-up probability** = (came + A x p0) / (registered + A)
  with ``A = 2``: shrunk toward the school's rate, so one no-show does not
  zero a family and a family with no history gets ``p0``.
* **Time of day**: events fall in a bucket (weekday or weekend x morning
  before 12:00, afternoon before 17:00, evening; local start time). A
  bucket's rate is shrunk the same way, (came + A x p0) / (registered + A),
  and its *factor* is that rate / p0 (1 when it has no history).
* **Expected turnout** of an event at a start = the sum over the families
  counted toward it (``turnout.py``) and free then of
  min(1, probability x factor): families expected at the door. The
  "I'd come" weight of 2 is the planner's preference, not a head count, so
  here each family counts once: its own history already says how keen it is.

**What the engine sees** (engine-format v1 has no weights: a family weighs 2
by being listed twice, ``family-<id>-keen``). The engine's weight of a family
for an event is round(W x probability / p0), kept between 1 and 2, where W is
the uncalibrated weight (1 in the audience, 2 "I'd come"). Dividing by the
school's rate keeps the objective in the same unit as before (a family that
comes as often as the school's average weighs what it did), so objectives of
plans with and without history stay comparable; an "I'd come" family that
seldom comes (probability < 0.75 x p0) weighs 1, an audience family that
nearly always comes (>= 1.5 x p0) weighs 2. Nobody is dropped: a family in
the audience is still counted, only its weight moves. The time-of-day factor
is not in the engine (its start is what the engine chooses and the format
cannot weigh a family by start); it is applied to the expected turnout the
plan reports at the chosen start. Without history the instance is exactly
the uncalibrated one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

SHRINK = 2.0  # A: how many registrations of the school's rate every family (and bucket) starts with
DEFAULT_RATE = 0.7  # p0 when the school has no history yet
MORNING_ENDS, AFTERNOON_ENDS = 12 * 60, 17 * 60  # local minutes of the day

Row = Mapping[str, Any]


def bucket(local_start: dt.datetime) -> str:
    """``weekday-evening``, ``weekend-morning``…: when in the week an event starts (local wall time)."""
    minute = local_start.hour * 60 + local_start.minute
    part = "morning" if minute < MORNING_ENDS else "afternoon" if minute < AFTERNOON_ENDS else "evening"
    return f"{'weekend' if local_start.weekday() >= 5 else 'weekday'}-{part}"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One registration of a history event: whose, when (bucket), and whether the family came."""

    family: int
    bucket: str
    came: bool


def history(events: Iterable[Row], registrations: Iterable[Row], checkins: Iterable[Row],
            buckets: Mapping[int, str]) -> list[Outcome]:
    """The registrations that count as history (see the module docstring), each with whether the family came.

    ``events``: past events ``{id, status}``; ``registrations``: ``{id, event, family, status}``;
    ``checkins``: ``{event, registration, family}``; ``buckets``: event id -> its bucket.
    """
    checked: dict[int, list[Row]] = defaultdict(list)
    for c in checkins:
        checked[c["event"]].append(c)
    counted = {e["id"] for e in events if e.get("status") != "cancelled" and checked.get(e["id"])}
    out = []
    for r in registrations:
        if r["event"] not in counted or r.get("status") != "confirmed":
            continue
        out.append(Outcome(r["family"], buckets[r["event"]], came(r, checked[r["event"]])))
    return out


def came(registration: Row, checkins: Iterable[Row]) -> bool:
    """Whether a registered family was checked in (by its registration, or as the family) among these check-ins."""
    return any(c.get("registration") == registration["id"] or c.get("family") == registration["family"]
               for c in checkins)


def shrunk(came: int, registered: int, prior: float) -> float:
    return (came + SHRINK * prior) / (registered + SHRINK)


@dataclasses.dataclass(frozen=True)
class Calibration:
    """The calibration a plan uses: the school's rate, each family's probability, each bucket's factor."""

    prior: float
    families: Mapping[int, float]
    factors: Mapping[str, float]
    registrations: int = 0  # how many registrations of the history it rests on
    events: int = 0  # how many past events (with check-ins) that is

    @property
    def has_history(self) -> bool:
        return self.registrations > 0

    def probability(self, family: int, when: str | None = None) -> float:
        """How likely the family is to come to an event starting in bucket ``when`` (None: whatever the time)."""
        p = self.families.get(family, self.prior) * (self.factors.get(when, 1.0) if when else 1.0)
        return min(1.0, p)

    def to_json(self) -> dict[str, Any]:
        return {"prior": round(self.prior, 4), "shrink": SHRINK, "events": self.events,
                "registrations": self.registrations, "factors": {k: round(v, 4) for k, v in self.factors.items()},
                "families": {str(k): round(v, 4) for k, v in self.families.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(prior=data["prior"], families={int(k): v for k, v in data.get("families", {}).items()},
                   factors=dict(data.get("factors", {})), registrations=data.get("registrations", 0),
                   events=data.get("events", 0))


def calibrate(outcomes: Iterable[Outcome], events: int = 0) -> Calibration:
    """The calibration from history outcomes (``history``); with none, every family gets ``DEFAULT_RATE``."""
    outcomes = list(outcomes)
    if not outcomes:
        return Calibration(prior=DEFAULT_RATE, families={}, factors={})
    prior = sum(o.came for o in outcomes) / len(outcomes)
    by_family: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_bucket: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        for tally in (by_family[o.family], by_bucket[o.bucket]):
            tally[0] += o.came
            tally[1] += 1
    families = {f: shrunk(c, n, prior) for f, (c, n) in by_family.items()}
    # a school where nobody ever came has prior 0: every factor is then 1 (no time is better than another)
    factors = {b: shrunk(c, n, prior) / prior if prior else 1.0 for b, (c, n) in by_bucket.items()}
    return Calibration(prior=prior, families=families, factors=factors, registrations=len(outcomes), events=events)


def engine_weight(cal: Calibration, family: int, uncalibrated: int) -> int:
    """The family's integer weight for the engine: round(W x probability / p0), between 1 and 2 (see above)."""
    if not cal.has_history or not cal.prior:
        return uncalibrated
    ratio = cal.probability(family) / cal.prior
    return max(1, min(2, int(uncalibrated * ratio + 0.5)))


def weigh(counted: Mapping[int, set[int]], keen: Mapping[int, set[int]], cal: Calibration) -> dict[int, set[int]]:
    """The events each family weighs 2 toward (its ``-keen`` entry) once calibrated; ``counted`` is unchanged."""
    out = {}
    for fid, events in counted.items():
        mine = {e for e in events if engine_weight(cal, fid, 2 if e in keen.get(fid, ()) else 1) == 2}
        if mine:
            out[fid] = mine
    return out


def expected(cal: Calibration, families: Iterable[int], when: str | None) -> float:
    """Families expected at the door: the sum of min(1, probability x the bucket's factor)."""
    return round(sum(cal.probability(f, when) for f in set(families)), 1)
