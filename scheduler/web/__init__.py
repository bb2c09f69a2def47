"""Server-rendered pages (Jinja + htmx) for administrators, families and interpreters.

The pages call the same services as the JSON API. Forms work without
JavaScript; htmx (vendored, ``static/vendor``) only makes them swap in place
and polls a running plan.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.di import Provide
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from scheduler.core.access import SignInRequired
from scheduler.core.access import pages as access
from scheduler.core.errors import DomainError
from scheduler.web import (
    admin_attendance_pages,
    admin_conference_pages,
    admin_event_pages,
    admin_inbox_pages,
    admin_resource_pages,
    admin_school_pages,
    admin_topic_pages,
    attendance_pages,
    confirm_pages,
    door_pages,
    family_pages,
    family_voice_pages,
    feedback_pages,
    interpreter_pages,
    planner_pages,
    preferences_pages,
    roster_pages,
    signin_pages,
    teacher_pages,
)
from scheduler.web.common import page_error, provide_page, sign_in_needed

HERE = Path(__file__).parent

TEMPLATES = TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def router() -> Router:
    pages = Router(
        path="/",
        route_handlers=[*signin_pages.ROUTES, *planner_pages.ROUTES, *admin_event_pages.ROUTES,
                        *admin_resource_pages.ROUTES, *admin_school_pages.ROUTES, *admin_inbox_pages.ROUTES,
                        *admin_topic_pages.ROUTES, *attendance_pages.ROUTES, *admin_attendance_pages.ROUTES,
                        *confirm_pages.ROUTES, *door_pages.ROUTES, *feedback_pages.ROUTES,
                        *family_pages.ROUTES, *family_voice_pages.ROUTES,
                        *interpreter_pages.ROUTES, *preferences_pages.ROUTES, *roster_pages.ROUTES,
                        *admin_conference_pages.ROUTES, *teacher_pages.ROUTES],
        dependencies={"page": Provide(provide_page)},
        exception_handlers={SignInRequired: sign_in_needed, DomainError: page_error},
        include_in_schema=False,
    )
    static = create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False,
                                        cache_control=None, guards=[access.public])
    return Router(path="/", route_handlers=[pages, static], include_in_schema=False)
