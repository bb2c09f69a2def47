"""Use cases for topics: the school lists what it could run, families say what would help them.

Votes are counted per topic and per family language for the school; no
summary names a family. A family sees open topics in its language (the
title the school wrote for it, else the first) and which it voted for.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from resources.services import school_by_slug
from resources.tables import School
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, require_admin, require_family_access, require_member
from scheduler.core.db import use_case
from scheduler.core.errors import InvalidInput, NotFound
from scheduler.families.tables import Family
from scheduler.topics.schemas import TopicIn, TopicOut
from scheduler.topics.tables import Topic, TopicVote

owner_of("topic_id", "SELECT school, NULL AS family, NULL AS interpreter FROM topic WHERE id = {}")


def title_in(row: dict[str, Any], language: str) -> str:
    """The topic's title in ``language`` when the school wrote it, else as written first."""
    return json.loads(row.get("translations") or "{}").get(language) or row["title"]


async def _topic(topic_id: int) -> dict[str, Any]:
    row = await Topic.select().where(Topic.id == topic_id).first().run()
    if row is None:
        raise NotFound(f"no topic {topic_id}", "topic_id")
    return row


def _problems(data: TopicIn, school: dict[str, Any]) -> list[tuple[str, str]]:
    offered = set(school["languages"] or [])
    return [(f"translations.{lang}", f"{lang!r} is not one of the school's languages ({', '.join(sorted(offered))})")
            for lang in sorted(data.translations) if lang not in offered]


def _values(data: TopicIn) -> dict[Any, Any]:
    return {Topic.title: data.title, Topic.open: data.open,
            Topic.translations: json.dumps(dict(sorted(data.translations.items())))}


async def _counts(topic_ids: list[int]) -> tuple[Counter[int], dict[int, Counter[str]]]:
    rows = await TopicVote.select(TopicVote.topic, TopicVote.family.language).where(
        TopicVote.topic.is_in(topic_ids or [-1])).run()
    by_language: dict[int, Counter[str]] = {}
    for r in rows:
        by_language.setdefault(r["topic"], Counter())[r["family.language"]] += 1
    return Counter(r["topic"] for r in rows), by_language


async def _out_for_admin(rows: list[dict[str, Any]]) -> list[TopicOut]:
    votes, by_language = await _counts([r["id"] for r in rows])
    return [TopicOut(id=r["id"], school_id=r["school"], title=r["title"], translations=json.loads(r["translations"]),
                     open=r["open"], votes=votes.get(r["id"], 0), votes_by_language=dict(by_language.get(r["id"], {})))
            for r in rows]


@use_case
async def create_topic(actor: Principal, slug: str, data: TopicIn) -> TopicOut:
    """Offer a topic to the school's families."""
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    if problems := _problems(data, school):
        raise InvalidInput(problems)
    row = (await Topic.insert(Topic(school=school["id"])).returning(Topic.id).run())[0]
    await Topic.update(_values(data)).where(Topic.id == row["id"]).run()
    return (await _out_for_admin([await _topic(row["id"])]))[0]


@use_case
async def update_topic(actor: Principal, topic_id: int, data: TopicIn) -> TopicOut:
    """Rename, translate, close or reopen a topic; its votes stay."""
    row = await _topic(topic_id)
    require_admin(actor, row["school"])
    school = await School.select().where(School.id == row["school"]).first().run()
    if problems := _problems(data, school):
        raise InvalidInput(problems)
    await Topic.update(_values(data)).where(Topic.id == topic_id).run()
    return (await _out_for_admin([await _topic(topic_id)]))[0]


@use_case
async def delete_topic(actor: Principal, topic_id: int) -> None:
    """Remove a topic and its votes."""
    row = await _topic(topic_id)
    require_admin(actor, row["school"])
    await Topic.delete().where(Topic.id == topic_id).run()


async def list_topics(actor: Principal, slug: str, language: str | None = None) -> list[TopicOut]:
    """Administrators: every topic with its votes. Families (and interpreters): the open topics, in ``language``,
    and for a family whether it voted for each."""
    school = await school_by_slug(slug)
    require_member(actor, school["id"])
    if actor.role == "admin":
        return await _out_for_admin(await Topic.select().where(Topic.school == school["id"]).order_by(Topic.id).run())
    rows = await Topic.select().where((Topic.school == school["id"]) & (Topic.open == True)).order_by(  # noqa: E712
        Topic.id).run()
    mine = set()
    if actor.role == "family" and actor.family_id is not None:
        mine = {r["topic"] for r in await TopicVote.select(TopicVote.topic).where(
            TopicVote.family == actor.family_id).run()}
    return [TopicOut(id=r["id"], school_id=r["school"], title=title_in(r, language or "") if language else r["title"],
                     translations=json.loads(r["translations"]), open=True,
                     voted=(r["id"] in mine) if actor.role == "family" else None) for r in rows]


async def family_votes(actor: Principal, family_id: int) -> list[int]:
    """The topics a family voted for."""
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    return sorted(r["topic"] for r in await TopicVote.select(TopicVote.topic).where(TopicVote.family == family_id).run())


async def _family(family_id: int) -> dict[str, Any]:
    row = await Family.select(Family.id, Family.school).where(Family.id == family_id).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    return row


@use_case
async def set_votes(actor: Principal, family_id: int, topic_ids: list[int]) -> list[int]:
    """Replace a family's votes: the open topics of its school it would come to."""
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    wanted = sorted(set(topic_ids))
    known = {r["id"] for r in await Topic.select(Topic.id).where(
        (Topic.school == family["school"]) & (Topic.open == True) & Topic.id.is_in(wanted or [-1])).run()}  # noqa: E712
    if missing := [(f"topic_ids[{topic_ids.index(t)}]", f"no open topic {t} in this school") for t in wanted
                   if t not in known]:
        raise InvalidInput(missing)
    await TopicVote.delete().where(TopicVote.family == family_id).run()
    if wanted:
        await TopicVote.insert(*[TopicVote(topic=t, family=family_id) for t in wanted]).run()
    return wanted
