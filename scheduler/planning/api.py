"""HTTP routes for plans: propose (202 + Location), review (long-poll), publish."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import Body, FromPath, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from scheduler.core.access import api
from scheduler.core.paging import PageRequest
from scheduler.http.params import Actor, Limit, Offset, PathId
from scheduler.planning import services as plans
from scheduler.planning.schemas import PlanIn, PlanOut, PlanPage

Wait = Annotated[float, QueryParameter(ge=0, le=60, description="seconds to wait while the plan is still solving")]


class SchoolPlansController(Controller):
    path = "/schools/{slug:str}/plans"
    tags = ["plans"]

    @post("/", status_code=HTTP_202_ACCEPTED, guards=[api.admin("slug")])
    async def create(self, actor: Actor, slug: FromPath[str],
                     data: Annotated[PlanIn | None, Body(description="solver options; all optional")] = None
                     ) -> Response[PlanOut]:
        """Build an instance from the school's draft events and start solving it."""
        plan = await plans.create_plan(actor, slug, data or PlanIn())
        return Response(plan, status_code=HTTP_202_ACCEPTED, headers={"Location": f"/plans/{plan.id}"})

    @get("/", guards=[api.admin("slug")])
    async def list(self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0) -> PlanPage:
        """The school's plans, newest first."""
        items, total = await plans.list_plans(actor, slug, PageRequest(limit, offset))
        return PlanPage(items=items, total=total, limit=limit, offset=offset)


class PlanController(Controller):
    path = "/plans"
    tags = ["plans"]

    @get("/{plan_id:int}", guards=[api.admin("plan_id")])
    async def read(self, actor: Actor, plan_id: PathId, wait: Wait = 0) -> PlanOut:
        """A plan: the proposal with expected turnout and a reason for every event left out (?wait= long-polls)."""
        return await plans.get_plan(actor, plan_id, wait)

    @post("/{plan_id:int}/publish", status_code=200, guards=[api.admin("plan_id")])
    async def publish(self, actor: Actor, plan_id: PathId) -> PlanOut:
        """Publish a ready plan: events get their times, rooms and seats; interpreter work opens."""
        return await plans.publish_plan(actor, plan_id)


ROUTES = [SchoolPlansController, PlanController]
