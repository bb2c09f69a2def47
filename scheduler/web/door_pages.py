"""Staff at the door (a phone, 360 px): find a family and check it in, scan or type a code, add a walk-in.

Works without JavaScript: the search is a GET (``?q=``), every button a
form posting back here with a ``client_ref`` made when the page was drawn
(so a double tap is one check-in). With JavaScript (``static/door.js``) a
tap is queued in the phone's storage and shown at once as waiting; the
queue is sent to ``/door/sync`` as a batch when the phone is online, and an
item leaves the queue only once the server has answered for it. The camera
scans the code where the browser can (``BarcodeDetector``, else the vendored
jsQR); typing the printed code always works.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from scheduler.accounts import signin
from scheduler.attendance import checkin
from scheduler.attendance.schemas import MAX_BATCH, CheckInItem, ItemResult
from scheduler.core.access import pages
from scheduler.core.errors import T_, Forbidden, InvalidInput, say
from scheduler.core.validation import convert
from scheduler.http.middleware import PERMISSIONS_POLICY
from scheduler.web.admin_common import one, values_of
from scheduler.web.common import Page, back

STAFF = pages.member("event_id", "admin", "teacher")
ACTIONS = ("family", "code", "walk_in", "undo")
# The camera for this page only (every other page refuses it): the response's own header wins over the default.
CAMERA = {"Permissions-Policy": PERMISSIONS_POLICY.replace("camera=()", "camera=(self)")}


def _path(event_id: int, q: str = "") -> str:
    return f"/staff/events/{event_id}/door" + (f"?q={quote(q)}" if q else "")


async def _context(page: Page, event_id: int, q: str) -> dict[str, Any]:
    actor = page.require("admin", "teacher").principal
    event = await checkin.door_event(actor, event_id)
    _ = page.gettext
    return {"event": event, "q": q, "families": await checkin.search(actor, event_id, q),
            "walk_ins": await checkin.named_walk_ins(event_id), "counts": await checkin.counts(event_id),
            "new_ref": lambda: str(uuid.uuid4()),
            "notices": {"checked_in": _("Checked in."), "already": _("Already checked in."),
                        "undone": _("The check-in is taken back.")},
            "texts": {"waiting": _("Checked in (waiting to sync)"), "done": _("Checked in"),
                      "already": _("Already checked in"), "refused": _("Not checked in:"),
                      "offline": _("Offline: check-ins wait on this phone and are sent when it is back online."),
                      "pending": _("%(n)s waiting to sync"), "no_camera": _("The camera cannot be used here: "
                                                                             "type the code instead."),
                      "scanning": _("Point the camera at the family's code."), "stop": _("Stop the camera")}}


@get("/staff/events/{event_id:int}/door", include_in_schema=False, guards=[STAFF])
async def door(page: Page, event_id: int, q: str = "") -> Template:
    q = q.strip()[:100]
    shown = page.render("door.html", errors={}, values={"adults": 1, "children": 0}, **await _context(page, event_id, q))
    shown.headers.update(CAMERA)
    return shown


def _item(form: dict[str, list[str]], action: str) -> CheckInItem:
    data: dict[str, Any] = {"client_ref": one(form, "client_ref")}
    if action == "family":
        data["family_id"] = one(form, "family_id") or "0"
    elif action == "code":
        data["code"] = one(form, "code")
        if not data["code"]:
            raise InvalidInput([("code", T_("type the code printed under the family's QR code"))])
    else:
        data |= {"walk_in_name": one(form, "walk_in_name"), "adults": one(form, "adults") or "1",
                 "children": one(form, "children") or "0"}
    return convert(CheckInItem, data)


@post("/staff/events/{event_id:int}/door", include_in_schema=False, guards=[STAFF])
async def door_post(page: Page, event_id: int) -> Template | Redirect:
    """A button without JavaScript: check one party in, or take a check-in back."""
    form = await page.form()
    action = one(form, "action")
    q = one(form, "q")[:100]
    actor = page.require("admin", "teacher").principal

    async def work() -> Redirect:
        if action not in ACTIONS:
            raise InvalidInput([("action", T_("choose what to do"))])
        if action == "undo":
            check_in_id = one(form, "check_in_id")
            await checkin.undo(actor, event_id, int(check_in_id) if check_in_id.isdigit() and len(check_in_id) < 10
                               else 0)
            return back(_path(event_id, q), "undone")
        outcome, _row, _note = await checkin.check_in(actor, event_id, _item(form, action),
                                                      page.settings.secret_key)
        return back(_path(event_id, q), outcome)

    context = await _context(page, event_id, q)
    return await page.submit(work, "door.html", values_of(form), **context)


def _refused(raw: Any, exc: InvalidInput, page: Page) -> ItemResult:
    ref = raw.get("client_ref") if isinstance(raw, dict) else None
    field, reason = checkin.reason_of(exc)
    return ItemResult(client_ref=ref if isinstance(ref, str) else "", outcome="refused", field=field,
                      reason=say(reason, page.gettext))


@post("/staff/events/{event_id:int}/door/sync", include_in_schema=False, guards=[STAFF])
async def door_sync(page: Page, request: Request, event_id: int) -> Response:
    """The phone's queue (JSON ``{csrf, items}``): every item answered, refusals in the page's language.

    Items are read one by one, so one the phone got wrong is refused alone
    (the phone then drops it) instead of holding the whole queue back."""
    session = page.require("admin", "teacher")
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list) or len(body["items"]) > MAX_BATCH:
        raise InvalidInput([("items", T_("send a list of at most %(n)s check-ins", n=MAX_BATCH))])
    if not signin.csrf_ok(session.token_hash, page.settings.secret_key, str(body.get("csrf") or "")):
        raise Forbidden(page.gettext("This form has expired. Reload the page and try again."), "csrf")
    answers: list[ItemResult | None] = []
    good: list[CheckInItem] = []
    for raw in body["items"]:
        try:
            good.append(convert(CheckInItem, raw if isinstance(raw, dict) else {}))
            answers.append(None)
        except InvalidInput as exc:
            answers.append(_refused(raw, exc, page))
    batch = await checkin.check_in_batch(session.principal, event_id, good, page.settings.secret_key)
    done = iter(batch.results)
    results = [a if a is not None else next(done) for a in answers]
    for r in results:
        r.reason = say(r.reason, page.gettext)
    return Response({"results": results, "counts": batch.counts}, headers={"Cache-Control": "no-store"})


ROUTES = [door, door_post, door_sync]
