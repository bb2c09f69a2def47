"""The request class of the app: bodies checked before anything reads them."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.types import Empty

from scheduler.core.errors import DomainError
from scheduler.core.validation import FORM_CONTROL, MAX_JSON_DEPTH, nests_deeper


class GuardedRequest(Request):
    """JSON not nested too deeply, form fields without control characters.

    The JSON decoders recurse: a 2 KB body of 1,000 nested lists raised
    RecursionError (a 500). A NUL in a form field reached PostgreSQL, which
    cannot store it (a 500 again). Both are a 400 naming the body or the field.
    """

    async def json(self) -> Any:
        if self._json is Empty and self._connection_state.json is Empty and nests_deeper(await self.body()):
            raise DomainError(f"the JSON body nests arrays or objects more than {MAX_JSON_DEPTH} levels deep",
                              "body")
        return await super().json()

    async def form(self) -> Any:
        data = await super().form()
        for key, value in data.multi_items():
            if isinstance(value, str) and FORM_CONTROL.search(value):
                raise DomainError(f"{key}: control characters are not allowed", key)
        return data
