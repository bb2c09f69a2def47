"""The rate limits' token buckets, in the database so that every server process spends the same budget."""

from __future__ import annotations

from piccolo.columns import DoublePrecision, Varchar
from piccolo.table import Table


class RateLimitBucket(Table):
    """One client address's budget for one group of routes (``scheduler.http.middleware.RateLimit``).

    ``tokens`` left at ``stamp`` (seconds since the epoch, the servers'
    clock); rows idle for an hour are full buckets and are deleted.
    """

    key = Varchar(length=120, unique=True)
    tokens = DoublePrecision()
    stamp = DoublePrecision(index=True)
