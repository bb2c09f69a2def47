"""Administrators: the topics families vote on ("what would help you?"), with the votes counted by language."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from scheduler.core.access import pages
from scheduler.core.languages import language_label
from scheduler.core.validation import convert
from scheduler.topics import services as topics
from scheduler.topics.schemas import TopicIn
from scheduler.web.admin_common import one, school, values_of
from scheduler.web.common import Page, back


def _topic_in(form: dict[str, list[str]], languages: list[str], open_: bool = True) -> TopicIn:
    translations = {lang: one(form, f"title-{lang}") for lang in languages[1:] if one(form, f"title-{lang}")}
    return convert(TopicIn, {"title": one(form, "title"), "translations": translations, "open": open_})


async def _context(page: Page) -> dict[str, Any]:
    here = school(page)
    items = await topics.list_topics(page.require().principal, here["slug"])
    _ = page.gettext
    return {"topics": sorted(items, key=lambda t: (not t.open, -(t.votes or 0), t.id)),
            "other_languages": (here["languages"] or ["en"])[1:],
            "language_name": lambda code: language_label(code, page.language),
            "notices": {"added": _("The topic is on every family's page."), "saved": _("Saved."),
                        "deleted": _("The topic and its votes are deleted.")}}


@get("/admin/topics", include_in_schema=False, guards=[pages.signed_in("admin")])
async def topics_page(page: Page) -> Template:
    return page.render("admin_topics.html", values={}, errors={}, **await _context(page))


@post("/admin/topics", include_in_schema=False, guards=[pages.signed_in("admin")])
async def add_topic(page: Page) -> Template | Redirect:
    form = await page.form()
    here = school(page)

    async def work() -> Redirect:
        await topics.create_topic(page.require().principal, here["slug"], _topic_in(form, here["languages"] or []))
        return back("/admin/topics", "added")

    return await page.submit(work, "admin_topics.html", values_of(form), **await _context(page))


@post("/admin/topics/{topic_id:int}/open", include_in_schema=False, guards=[pages.admin("topic_id")])
async def open_or_close(page: Page, topic_id: int) -> Redirect:
    """Close a topic (families no longer see it; its votes stay) or open it again."""
    form = await page.form()
    actor = page.require("admin").principal
    current = next(t for t in await topics.list_topics(actor, school(page)["slug"]) if t.id == topic_id)
    await topics.update_topic(actor, topic_id, TopicIn(title=current.title, translations=current.translations,
                                                       open=one(form, "open") == "1"))
    return back("/admin/topics", "saved")


@post("/admin/topics/{topic_id:int}/delete", include_in_schema=False, guards=[pages.admin("topic_id")])
async def delete_topic(page: Page, topic_id: int) -> Redirect:
    await page.form()
    await topics.delete_topic(page.require("admin").principal, topic_id)
    return back("/admin/topics", "deleted")


ROUTES = [topics_page, add_topic, open_or_close, delete_topic]
