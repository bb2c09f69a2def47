"""Liveness and readiness: ``/health`` touches nothing; ``/ready`` answers 200 only when the database
answers and has every migration.
"""

from __future__ import annotations

import asyncio

from litestar import Response, get

from scheduler.core.access import api
from scheduler.core.db import pending_migrations


@get("/health", tags=["service"], guards=[api.public])
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


READY_TIMEOUT_S = 3.0


@get("/ready", tags=["service"], guards=[api.public])
async def ready() -> Response:
    """Readiness: 200 when the database answers and has every migration; else 503 with the reason.

    Load balancers should route only to ready processes; orchestrators should
    restart only on failed ``/health`` (a database outage is not cured by
    restarting the app).
    """
    reason = None
    try:
        pending = await asyncio.wait_for(pending_migrations(), READY_TIMEOUT_S)
    except asyncio.TimeoutError:
        reason = f"the database did not answer within {READY_TIMEOUT_S:g} s"
    except Exception as exc:  # the type says enough (connection refused, auth failed); no DSN in answers
        reason = f"the database is unreachable ({type(exc).__name__})"
    else:
        if pending:
            reason = (f"the database lacks {len(pending)} migration(s) of this version; "
                      "run `family-bridge migrate`")
    headers = {"Cache-Control": "no-store"}
    if reason is not None:
        return Response({"status_code": 503, "detail": reason, "errors": [{"field": "database", "message": reason}]},
                        status_code=503, headers=headers)
    return Response({"status": "ready"}, status_code=200, headers=headers)
