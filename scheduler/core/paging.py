"""Pagination shared by every list route: limit/offset, with the total."""

from __future__ import annotations

import dataclasses
from typing import Any

MAX_LIMIT = 200


@dataclasses.dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    offset: int = 0


async def fetch_page(query: Any, count_query: Any, page: PageRequest) -> tuple[list[dict], int]:
    """Rows of one page (ordered by id, so pages are stable) and the total count."""
    rows = await query.limit(page.limit).offset(page.offset).run()
    total = await count_query.run()
    return rows, total
