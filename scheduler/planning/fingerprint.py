"""PURE: a short digest of each kind of input a plan was made from, so a plan knows when it went stale.

Events are checked one by one at publication (``services._check_fresh``
names the event). Everything else a plan reads is summed up here per kind —
rooms, interpreters, childcare, families' availability, what families said —
and compared when the plan is shown or published: a room closed on
Tuesdays, an interpreter's new busy time, a family's changed evenings or a
new "I'd come" each make the plan stale, and the page says which kind.
Only what the instance depends on is digested (not names, e-mail addresses
or timestamps of the rows), so renaming a room does not ask for a re-plan.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

KINDS = {
    "rooms": ("rooms", "room_weekly"),
    "interpreters": ("interpreters", "interpreter_weekly", "interpreter_busy", "claims"),
    "childcare": ("childcare", "staffing", "ratios"),
    "availability": ("families", "family_weekly", "family_dated", "children"),
    "interests": ("interests", "registrations"),
}
IGNORED = frozenset({"created_at", "updated_at", "name", "email", "phone", "user", "first_name", "notes"})
CLAIM_KEYS = ("interpreter", "starts_at", "ends_at")  # who is busy when; not the claim's status or timestamps


def _rows(rows: Any, attribute: str, planned: set[int]) -> list[dict[str, Any]]:
    out = []
    for r in getattr(rows, attribute):
        if attribute in ("interests", "registrations") and r["event"] not in planned:
            continue  # registrations for published events do not change a plan of drafts
        keep = CLAIM_KEYS if attribute == "claims" else [k for k in r if k not in IGNORED]
        out.append({k: r.get(k) for k in sorted(keep)})
    return sorted(out, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def fingerprints(rows: Any) -> dict[str, str]:
    """Per kind of input, a digest of the rows the plan reads (``PlanningRows``)."""
    planned = {e["id"] for e in rows.events}
    return {kind: hashlib.sha256(json.dumps([_rows(rows, a, planned) for a in attributes], default=str,
                                            sort_keys=True).encode()).hexdigest()[:16]
            for kind, attributes in KINDS.items()}


def changed(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The kinds of input that differ (all of them when the plan kept no digest)."""
    return [kind for kind in KINDS if before.get(kind) != now.get(kind)]
