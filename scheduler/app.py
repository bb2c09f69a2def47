"""create_app(): one explicit list of every feature's routes, the database lifespan, OpenAPI, error mapping."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from calendars import api as calendars
from resources import api as resources
from scheduler import jobs, web
from scheduler.accounts import api as accounts
from scheduler.assignments import api as assignments
from scheduler.attendance import api as attendance
from scheduler.attendance import feedback_api
from scheduler.attendance import figures_api as attendance_figures
from scheduler.bookings import api as bookings
from scheduler.conferences import api as conferences
from scheduler.core.credential_cache import Listener
from scheduler.core.db import bind, engine_from_url, is_postgres, start_pool
from scheduler.core.settings import Settings, get_settings
from scheduler.events import api as events
from scheduler.families import api as families
from scheduler.http import errors, health, middleware
from scheduler.http.openapi import document_operations
from scheduler.http.params import provide_actor
from scheduler.http.request import GuardedRequest
from scheduler.notifications import api as notifications
from scheduler.notifications import sms_api
from scheduler.piccolo_app import APP_CONFIG
from scheduler.planning import api as planning
from scheduler.privacy import api as privacy
from scheduler.roster import api as roster
from scheduler.topics import api as topics

REDOC = "/static/vendor/redoc-2.5.0.standalone.js"

# Every route of the service. The privacy feature's DELETE /families/{id} comes after the families
# controller on that path (see scheduler/privacy/api.py).
ROUTES = [health.health, health.ready, *resources.ROUTES, *families.ROUTES, *privacy.ROUTES, *events.ROUTES,
          *accounts.ROUTES, *bookings.ROUTES, *assignments.ROUTES, *planning.ROUTES, *notifications.ROUTES,
          *conferences.ROUTES, *topics.ROUTES, *calendars.ROUTES, *roster.ROUTES, *sms_api.ROUTES,
          *attendance.ROUTES, *feedback_api.ROUTES,
          *attendance_figures.ROUTES]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        engine = engine_from_url(settings.database_url)
        bind(engine, APP_CONFIG)
        await start_pool(engine, settings.db_pool_size)
        # bearer tokens remembered only while revocations are heard (PostgreSQL's NOTIFY; never on SQLite)
        listener = Listener(engine.get_new_connection) if is_postgres(engine) else None
        if listener is not None:
            app.state.credentials = listener.cache
            await listener.start()
        scheduler = None
        if settings.jobs_in_process:  # reminders and e-mail in this process (FB_JOBS_IN_PROCESS)
            scheduler = jobs.build_scheduler(settings)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            if listener is not None:
                await listener.stop()
            if is_postgres(engine):
                await engine.close_connection_pool()

    app = Litestar(
        route_handlers=[*ROUTES, web.router()],
        dependencies={"actor": Provide(provide_actor)},
        lifespan=[database],
        request_class=GuardedRequest,
        template_config=web.TEMPLATES,
        exception_handlers=errors.HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Family Bridge",
            version="0.1.0",
            description="The HTTP API of Family Bridge: everything its pages do. Sign in with `Authorization: "
                        "Bearer <token>`; every error is `{status_code, detail, errors: [{field, message}]}`.",
            path="/schema",
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
            # the viewer ships with the package (pinned), so a school network without internet still shows it
            render_plugins=[RedocRenderPlugin(js_url=REDOC, google_fonts=False, path=["/", "/redoc"], favicon="")],
        ),
        request_max_body_size=middleware.body_ceiling(settings),
        logging_config=None,  # serve/worker configure logging (http.logs.logging_config); Litestar's would replace it
        debug=False,
    )
    app.state.settings = settings
    document_operations(app)
    return middleware.install(app, settings)  # headers, request ids, access log, rate and body limits
