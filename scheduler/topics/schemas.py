"""Shapes of the topics API."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from scheduler.core.validation import LangCode, one_line

Title = one_line(200, description="the topic as families read it")


class TopicIn(Struct, forbid_unknown_fields=True):
    title: Title
    translations: Annotated[dict[LangCode, Title], Meta(
        description="the title in the school's other languages")] = {}
    open: Annotated[bool, Meta(description="shown to families for their votes")] = True


class TopicOut(Struct):
    id: int
    school_id: int
    title: str
    translations: dict[str, str]
    open: bool
    votes: int | None = None  # administrators only: how many families would come
    votes_by_language: dict[str, int] | None = None  # administrators only: counts, never names
    voted: bool | None = None  # families only: whether this family voted for it


class TopicPage(Struct):
    items: list[TopicOut]
    total: int


class VotesIn(Struct, forbid_unknown_fields=True):
    topic_ids: Annotated[list[Annotated[int, Meta(ge=1, le=2_147_483_647)]], Meta(max_length=200)]
