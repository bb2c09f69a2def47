"""What a family tells the school before anything is planned: "I'd come" / "Not for us" on each draft, and
the topics that would help it. The planner counts both (scheduler/planning/turnout.py)."""

from __future__ import annotations

from typing import Any

from litestar import post
from litestar.response import Redirect

from scheduler.core.access import pages
from scheduler.core.auth import Principal
from scheduler.core.timeutil import utcnow, zone
from scheduler.events import services as events
from scheduler.families import services as families
from scheduler.topics import services as topics
from scheduler.web.admin_common import one
from scheduler.web.common import Page, back


def _family_id(page: Page) -> int:
    family_id = page.require("family").principal.family_id
    assert family_id is not None  # a family account always names its family
    return family_id


async def voice_context(page: Page, actor: Principal, family_id: int, tags: set[str], show_all: bool,
                        for_us: Any) -> dict[str, Any]:
    """The drafts the family can speak to (its grades and the whole school) with what it said, and the open
    topics with its votes, each in the family's language where the school wrote it."""
    school = page.school or {}
    today = utcnow().astimezone(zone(page.tz)).date()
    drafts = [e for e in await events.school_events(school["id"], "draft")
              if e["latest_date"] >= today and (show_all or for_us(e, tags))
              and e["series"] in (None, e["id"])]  # a workshop offered several times shows once
    for e in drafts:
        e["title"], e["description"] = events.localized(e, page.language)
    yes, no = await families.get_interests(actor, family_id)
    said = {i: "yes" for i in yes} | {i: "no" for i in no}
    return {"ideas": drafts, "said": said, "topics": await topics.list_topics(actor, school["slug"], page.language)}


@post("/family/ideas/{event_id:int}", include_in_schema=False, guards=[pages.signed_in("family")])
async def say_of_event(page: Page, event_id: int) -> Redirect:
    """ "I'd come", "Not for us", or take it back (choice empty)."""
    form = await page.form()
    choice = one(form, "choice")
    await families.say_of_event(page.require().principal, _family_id(page), event_id, choice)
    return back(f"/family#idea-{event_id}", "said")


@post("/family/topics", include_in_schema=False, guards=[pages.signed_in("family")])
async def vote(page: Page) -> Redirect:
    form = await page.form()
    ids = [int(v) for v in form.get("topic", []) if v.isdigit()]
    await topics.set_votes(page.require().principal, _family_id(page), ids)
    return back("/family#topics-title", "voted")


ROUTES = [say_of_event, vote]
