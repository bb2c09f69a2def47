"""Shapes of the roster API: what an import did (or would do), and what sending invitations did."""

from __future__ import annotations

from msgspec import Struct


class KindCounts(Struct):
    created: int
    updated: int
    deactivated: int
    unchanged: int


class ImportReport(Struct):
    """Counts per kind (families, children, teachers, classes, enrollments), the first rows of each,
    and the notes (unknown languages, unknown grades, kept family edits), the first 200 of them."""

    source: str  # oneroster / simple
    dry_run: bool
    counts: dict[str, KindCounts]
    examples: dict[str, dict[str, list[str]]]
    notes: list[str]
    notes_total: int
    import_id: int | None = None  # the history row (a page's preview: the upload waiting to be applied)


class InvitationsOut(Struct):
    queued: int  # new invitations in the outbox
    already_invited: int  # families invited before at the same address: nothing sent twice
    without_email: int  # families the school has no address for (or no sign-in account)
