"""HTTP routes for topics and families' votes."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from scheduler.core.access import api
from scheduler.core.validation import LangCode
from scheduler.http.params import Actor, PathId
from scheduler.topics import services
from scheduler.topics.schemas import TopicIn, TopicOut, TopicPage, VotesIn


class SchoolTopicsController(Controller):
    """What the school could run next: families vote."""

    path = "/schools/{slug:str}/topics"
    tags = ["topics"]

    @post("/", guards=[api.admin("slug")])
    async def create_topic(self, actor: Actor, slug: FromPath[str], data: JSONBody[TopicIn]) -> TopicOut:
        """Offer a topic for families to vote on ("what would help you?")."""
        return await services.create_topic(actor, slug, data)

    @get("/", guards=[api.member("slug")])
    async def list_topics(self, actor: Actor, slug: FromPath[str], lang: FromQuery[LangCode | None] = None
                          ) -> TopicPage:
        """Administrators: every topic with its votes (counts, by language). Others: the open topics, titled in
        ``lang`` where the school wrote it; a family also sees what it voted for."""
        items = await services.list_topics(actor, slug, lang)
        return TopicPage(items=items, total=len(items))


class TopicController(Controller):
    path = "/topics"
    tags = ["topics"]

    @put("/{topic_id:int}", guards=[api.admin("topic_id")])
    async def update(self, actor: Actor, topic_id: PathId, data: JSONBody[TopicIn]) -> TopicOut:
        """Rename, translate, close or reopen a topic (its votes stay)."""
        return await services.update_topic(actor, topic_id, data)

    @delete("/{topic_id:int}", guards=[api.admin("topic_id")])
    async def remove(self, actor: Actor, topic_id: PathId) -> None:
        """Delete a topic and its votes."""
        await services.delete_topic(actor, topic_id)


class FamilyVotesController(Controller):
    path = "/families/{family_id:int}/topic-votes"
    tags = ["topics"]

    @get("/", guards=[api.family("family_id")])
    async def votes(self, actor: Actor, family_id: PathId) -> VotesIn:
        """The topics the family voted for."""
        return VotesIn(topic_ids=await services.family_votes(actor, family_id))

    @put("/", guards=[api.family("family_id")])
    async def set_votes(self, actor: Actor, family_id: PathId, data: JSONBody[VotesIn]) -> VotesIn:
        """Replace the family's votes with these open topics of its school."""
        return VotesIn(topic_ids=await services.set_votes(actor, family_id, data.topic_ids))


ROUTES = [SchoolTopicsController, TopicController, FamilyVotesController]
