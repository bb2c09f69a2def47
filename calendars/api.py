"""HTTP for calendars: .ics feeds with ETag / Last-Modified / 304, feed links, .ics upload.

Feeds are read by calendar apps that poll every few minutes and cannot log
in: the school feed is public, private feeds are reached by an unguessable
link. Conditional GET is what keeps that polling cheap, so it is done
carefully here (RFC 9110 section 13): If-None-Match wins over
If-Modified-Since, and both answer 304 with the same validators as a 200.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from litestar import Controller, HttpMethod, Request, Response, delete, post, put, route
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_304_NOT_MODIFIED

from calendars import busy_import, links, private_feeds, school_feed
from calendars.feed_rows import BusyOut, Feed, FeedTokenOut, gzipped
from scheduler.core.access import api
from scheduler.core.errors import NotFound
from scheduler.core.settings import Settings
from scheduler.http.params import Actor, PathId

ICS = "text/calendar"  # Litestar adds "; charset=utf-8" to text/* types
Lang = Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$", max_length=35,
                                            description="language of the generated text, e.g. es")]
Audience = Annotated[str | None, QueryParameter(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
                                                description="an audience tag, e.g. grade-3")]
DateFrom = Annotated[dt.date | None, QueryParameter(name="from", description="first local day of the range")]
DateTo = Annotated[dt.date | None, QueryParameter(name="to", description="last local day of the range")]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored; ``*`` matches.

    The gzip-coded body has its own ETag (:func:`gzip_etag`); a client holding either is current.
    """
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") in (etag, gzip_etag(etag)) for tag in header.split(","))


def gzip_etag(etag: str) -> str:
    """The ETag of the gzip-coded body: a different representation, so a different strong validator."""
    return etag[:-1] + '-gzip"'


def accepts_gzip(request: Request) -> bool:
    """Whether ``Accept-Encoding`` lists gzip (or ``*``) without ``q=0``."""
    for item in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            q = params.replace(" ", "").removeprefix("q=")
            return not (params and q.replace("0", "").replace(".", "") == "")
    return False


def not_modified(request: Request, feed: Feed) -> bool:
    """Whether the client's copy is current; If-Modified-Since counts only without If-None-Match."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, feed.etag)
    since = request.headers.get("if-modified-since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False  # an unparseable date is ignored, as RFC 9110 asks
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return feed.last_modified <= when
    return False


def feed_response(request: Request, feed: Feed, cache_control: str, private: bool = False) -> Response[bytes]:
    """200 with the body, 304 without; HEAD gets the 200's headers and no body."""
    packed = accepts_gzip(request)
    headers = {"ETag": gzip_etag(feed.etag) if packed else feed.etag,
               "Last-Modified": format_datetime(feed.last_modified, usegmt=True), "Cache-Control": cache_control,
               "Vary": "Accept-Encoding"}
    if private:
        headers["Referrer-Policy"] = "no-referrer"
    if not_modified(request, feed):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers, media_type=ICS)
    body = feed.body
    if packed:
        body = gzipped(feed)  # built once per body, like the body itself
        headers["Content-Encoding"] = "gzip"
    if request.method == HttpMethod.HEAD:
        headers["Content-Length"] = str(len(body))
        body = b""
    return Response(body, status_code=HTTP_200_OK, headers=headers, media_type=ICS)


def _ics_name(name: str) -> str:
    """``riverside.ics`` -> ``riverside``; paths without ``.ics`` are not feeds."""
    if not name.endswith(".ics") or len(name) == 4:
        raise NotFound(f"no feed {name!r}; feed addresses end in .ics", "path")
    return name.removesuffix(".ics")


class FeedController(Controller):
    """The .ics feeds themselves: no sign-in (calendar apps cannot), so no ``actor``."""

    path = "/calendars"
    tags = ["calendars"]
    security = [{}]

    @route("/schools/{name:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], media_type=ICS, guards=[api.public])
    async def school(self, request: Request, name: FromPath[str], lang: Lang = None,
                     audience: Audience = None) -> Response[bytes]:
        """Public feed of a school (``/calendars/schools/{slug}.ics``); ``?lang=es``, ``?audience=grade-3``."""
        feed = await school_feed.school_feed(_settings(request), _ics_name(name), lang, audience)
        return feed_response(request, feed, "public, max-age=300")

    @route("/private/{name:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], media_type=ICS, guards=[api.token])
    async def private(self, request: Request, name: FromPath[str]) -> Response[bytes]:
        """Private feed (``/calendars/private/{token}.ics``) of a family, an interpreter or a room."""
        feed = await private_feeds.private_feed(_settings(request), _ics_name(name))
        return feed_response(request, feed, "private, max-age=300", private=True)


class FeedTokenController(Controller):
    """Private feed links: POST makes a new one (shown once, earlier ones stop working), DELETE revokes."""

    tags = ["calendars"]

    @post("/families/{family_id:int}/feed-token", status_code=201, guards=[api.family("family_id")])
    async def rotate_family(self, request: Request, actor: Actor, family_id: PathId) -> FeedTokenOut:
        """A new private link to the family's feed (its bookings and meetings); shown once, earlier links stop."""
        return await links.rotate_token(_settings(request), actor, "family", family_id)

    @delete("/families/{family_id:int}/feed-token", guards=[api.family("family_id")])
    async def revoke_family(self, actor: Actor, family_id: PathId) -> None:
        """Revoke the family's feed link: calendar apps polling it get 404 from now on."""
        await links.revoke_token(actor, "family", family_id)

    @post("/interpreters/{interpreter_id:int}/feed-token", status_code=201, guards=[api.interpreter("interpreter_id")])
    async def rotate_interpreter(self, request: Request, actor: Actor, interpreter_id: PathId) -> FeedTokenOut:
        """A new private link to the interpreter's feed of claimed and confirmed work; shown once."""
        return await links.rotate_token(_settings(request), actor, "interpreter", interpreter_id)

    @delete("/interpreters/{interpreter_id:int}/feed-token", guards=[api.interpreter("interpreter_id")])
    async def revoke_interpreter(self, actor: Actor, interpreter_id: PathId) -> None:
        """Revoke the interpreter's feed link."""
        await links.revoke_token(actor, "interpreter", interpreter_id)

    @post("/rooms/{room_id:int}/feed-token", status_code=201, guards=[api.admin("room_id")])
    async def rotate_room(self, request: Request, actor: Actor, room_id: PathId) -> FeedTokenOut:
        """A new private link to a room's feed (what is booked in it), for the front office or a door screen."""
        return await links.rotate_token(_settings(request), actor, "room", room_id)

    @delete("/rooms/{room_id:int}/feed-token", guards=[api.admin("room_id")])
    async def revoke_room(self, actor: Actor, room_id: PathId) -> None:
        """Revoke the room's feed link."""
        await links.revoke_token(actor, "room", room_id)


class BusyImportController(Controller):
    """Upload an .ics as busy times (replaces the previous import).

    The body is read raw from the request: Litestar decodes a ``data``
    parameter only as JSON, MessagePack or forms. A body over
    FB_MAX_UPLOAD_BYTES is refused with 413 before it is read, by
    ``scheduler.http.middleware.BodyLimit`` (by Content-Length, or while streaming);
    the limit is a setting, so it cannot be fixed here in the decorator.
    """

    tags = ["calendars"]

    @put("/families/{family_id:int}/busy.ics", guards=[api.family("family_id")])
    async def family(self, request: Request, actor: Actor, family_id: PathId, date_from: DateFrom = None,
                     date_to: DateTo = None) -> list[BusyOut]:
        """Body: the raw ``text/calendar`` file; answers the busy intervals stored, in the school's zone."""
        data = await request.body()
        return await busy_import.import_busy_times(actor, "family", family_id, data, date_from, date_to,
                                                _settings(request).max_upload_bytes)

    @put("/interpreters/{interpreter_id:int}/busy.ics", guards=[api.interpreter("interpreter_id")])
    async def interpreter(self, request: Request, actor: Actor, interpreter_id: PathId, date_from: DateFrom = None,
                          date_to: DateTo = None) -> list[BusyOut]:
        """Body: the raw ``text/calendar`` file; answers the busy intervals stored, in the school's zone."""
        data = await request.body()
        return await busy_import.import_busy_times(actor, "interpreter", interpreter_id, data, date_from, date_to,
                                                _settings(request).max_upload_bytes)


class TeacherFeedController(Controller):
    """A teacher's private conference calendar: admins make the link, calendar apps read it without signing in."""

    tags = ["calendars"]

    @post("/conference-teachers/{teacher_id:int}/feed-token", status_code=201, guards=[api.admin("teacher_id")])
    async def rotate(self, request: Request, actor: Actor, teacher_id: PathId) -> FeedTokenOut:
        """A new private link to the teacher's published meetings; shown once, earlier links stop."""
        return await links.rotate_teacher_token(_settings(request), actor, teacher_id)

    @route("/calendars/teachers/{name:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], media_type=ICS,
           security=[{}], guards=[api.token])
    async def feed(self, request: Request, name: FromPath[str]) -> Response[bytes]:
        """The teacher's published meetings (families by name, never children); ETag and 304 like every feed."""
        feed = await private_feeds.teacher_feed(_settings(request), _ics_name(name))
        return feed_response(request, feed, "private, max-age=300", private=True)


ROUTES = [FeedController, FeedTokenController, BusyImportController, TeacherFeedController]
