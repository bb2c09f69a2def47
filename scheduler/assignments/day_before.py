"""The day before: interpreters confirm their work, and the coordinator hears of any who do not.

An interpreter who does not turn up leaves a family unable to talk to the
teacher, and the school learns it at the door. So each claimed or confirmed
assignment of a published event starting in 2..24 h (the window of the
families' question, ``notifications/attendance.py``) gets an e-mail to its
interpreter with a signed link to a page with two buttons, "I will be there"
/ "I cannot come" (a page, not answering links: mail scanners open links);
the interpreter's own page has the same buttons for tomorrow's work.

"I cannot come" releases the assignment through ``services.release_held``
(the board's release), offers it again to every interpreter of the language
(``services.tell_reopened``) and tells the school's coordinators -- its admin
accounts -- at once (``interpreter_declined``). Not answered ``yes`` by
``FB_INTERPRETER_CONFIRM_HOURS`` (default 12) before the start: the
coordinators get ``interpreter_unconfirmed``, once per assignment,
interpreter and start. Both staff e-mails name event, language and
interpreter. The answer is kept on the assignment (``day_before_answer``),
cleared whenever the work changes hands.

Keys hold the start (``interpreter-question:<assignment>:<interpreter>:<epoch>``),
so a moved event asks again; a question answered, or about work that changed
hands, is skipped at delivery (:func:`settled`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from resources.tables import Interpreter
from scheduler.accounts.tables import User
from scheduler.assignments import services
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.core.db import locked, use_case
from scheduler.core.errors import Conflict, Forbidden, NotFound
from scheduler.core.languages import language_name
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow
from scheduler.notifications import signed
from scheduler.notifications.attendance import ASK_FROM, ASK_UNTIL
from scheduler.notifications.outbox import notify

QUESTION = "interpreter_question"
DECLINED = "interpreter_declined"
UNCONFIRMED = "interpreter_unconfirmed"


def answer_url(settings: Settings, assignment_id: int, interpreter_id: int) -> str:
    """The link names the work and the person: once the work changes hands, the old link opens nothing."""
    token = signed.token(settings, "interpreting", assignment_id, interpreter_id)
    return f"{settings.public_url}/confirm/interpreting/{token}"


def from_token(settings: Settings, token: str) -> tuple[int, int]:
    assignment_id, interpreter_id = signed.ids_from(settings, "interpreting", token, 2)
    return assignment_id, interpreter_id


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def _held(now: dt.datetime, until: dt.timedelta, after: dt.timedelta = dt.timedelta(0)):
    a = InterpreterAssignment
    return (a.status.is_in(list(services.TAKEN)) & (a.event.status == "published") & a.interpreter.is_not_null()
            & (a.starts_at > now + after) & (a.starts_at <= now + until) & (a.day_before_answer != "yes"))


def _columns() -> list:
    a = InterpreterAssignment
    return [a.id, a.event, a.school, a.language, a.interpreter, a.starts_at, a.interpreter.email.as_alias("email"),
            a.interpreter.name.as_alias("interpreter_name")]


async def due_questions(settings: Settings, now: dt.datetime) -> int:
    """Ask the interpreter of each held assignment starting in 2..24 h that is not confirmed yet."""
    queued = 0
    for a in await InterpreterAssignment.select(*_columns()).where(_held(now, ASK_FROM, ASK_UNTIL)).order_by(
            InterpreterAssignment.id).run():
        epoch = _epoch(a["starts_at"])
        queued += await notify(QUESTION, f"interpreter-question:{a['id']}:{a['interpreter']}:{epoch}", a["email"],
                               interpreter=a["interpreter"], event=a["event"], school=a["school"],
                               payload={"assignment": a["id"], "starts": epoch, "language": language_name(a["language"]),
                                        "url": answer_url(settings, a["id"], a["interpreter"])})
    return queued


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


async def tell_coordinators(kind: str, a: dict[str, Any], key: str) -> int:
    """One e-mail per admin account of the school (the coordinators), naming event, language, interpreter."""
    admins = await User.select(User.email).where((User.role == "admin") & (User.school == a["school"])).order_by(
        User.id).run()
    payload = {"assignment": a["id"], "language": language_name(a["language"]), "interpreter": a["interpreter_name"],
               "url": f"/planner/events/{a['event']}/interpreters"}
    queued = 0
    for u in admins:
        if u["email"]:
            queued += await notify(kind, f"{key}:{_email_key(u['email'])}", u["email"], school=a["school"],
                                   event=a["event"], payload=payload)
    return queued


async def escalations(now: dt.datetime, hours: int) -> int:
    """Coordinators told of held work starting within ``hours`` whose interpreter has not said yes."""
    queued = 0
    for a in await InterpreterAssignment.select(*_columns()).where(_held(now, dt.timedelta(hours=hours))).order_by(
            InterpreterAssignment.id).run():
        queued += await tell_coordinators(
            UNCONFIRMED, a, f"interpreter-unconfirmed:{a['id']}:{a['interpreter']}:{_epoch(a['starts_at'])}")
    return queued


async def settled(rows: list[dict[str, Any]]) -> set[int]:
    """Queued questions not worth sending: answered, or the work is no longer this interpreter's."""
    asked = {r["id"]: (json.loads(r["payload"] or "{}").get("assignment"), r["interpreter"]) for r in rows
             if r["kind"] == QUESTION}
    if not asked:
        return set()
    held = {(a["id"], a["interpreter"]) for a in await InterpreterAssignment.select(
        InterpreterAssignment.id, InterpreterAssignment.interpreter).where(
        InterpreterAssignment.id.is_in([a for a, _ in asked.values() if a is not None] or [-1])
        & InterpreterAssignment.status.is_in(list(services.TAKEN)) & (InterpreterAssignment.day_before_answer == ""))
        .run()}
    return {row_id for row_id, pair in asked.items() if pair not in held}


async def details(assignment_id: int, interpreter_id: int) -> dict[str, Any]:
    """What the answer page shows; 403 once the work is no longer this interpreter's (the link was theirs)."""
    a = InterpreterAssignment
    row = await a.select(a.id, a.status, a.interpreter, a.language, a.starts_at, a.day_before_answer,
                         a.event.title.as_alias("title")).where(
        a.id == assignment_id).first().run()
    if row is None:
        raise NotFound("this assignment no longer exists", "token")
    if row["interpreter"] != interpreter_id or row["status"] not in services.TAKEN:
        raise Forbidden("this work is no longer yours", "token")
    return row


@use_case
async def answer(assignment_id: int, interpreter_id: int, coming: bool, now: dt.datetime | None = None) -> str:
    """Record "yes", or release the work, offer it again and tell the coordinators. Returns the answer."""
    now = now or utcnow()
    await locked(Interpreter.select(Interpreter.id).where(Interpreter.id == interpreter_id)).run()
    await locked(InterpreterAssignment.select(InterpreterAssignment.id).where(
        InterpreterAssignment.id == assignment_id)).run()
    a = await InterpreterAssignment.select(*_columns()).where(InterpreterAssignment.id == assignment_id).first().run()
    held = await InterpreterAssignment.select(InterpreterAssignment.status).where(
        (InterpreterAssignment.id == assignment_id) & (InterpreterAssignment.interpreter == interpreter_id)
        & InterpreterAssignment.status.is_in(list(services.TAKEN))).first().run()
    if a is None or held is None:
        raise Conflict("this work is no longer yours", "answer")
    if a["starts_at"] <= now:
        raise Conflict("this work has started", "answer")
    if coming:
        await InterpreterAssignment.update({InterpreterAssignment.day_before_answer: "yes",
                                            InterpreterAssignment.day_before_answered_at: now}).where(
            InterpreterAssignment.id == assignment_id).run()
        return "yes"
    await services.release_held(interpreter_id, assignment_id)
    await services.tell_reopened([assignment_id])
    await tell_coordinators(DECLINED, a, f"interpreter-declined:{assignment_id}:{interpreter_id}:{_epoch(a['starts_at'])}")
    return "no"


async def tomorrow(interpreter_id: int, now: dt.datetime) -> dict[int, str]:
    """The interpreter's held work starting in the next 24 h -> its answer ("" or "yes"): the board's buttons."""
    return {r["id"]: r["day_before_answer"] for r in await InterpreterAssignment.select(
        InterpreterAssignment.id, InterpreterAssignment.day_before_answer).where(
        (InterpreterAssignment.interpreter == interpreter_id) & InterpreterAssignment.status.is_in(list(services.TAKEN))
        & (InterpreterAssignment.starts_at > now) & (InterpreterAssignment.starts_at <= now + ASK_FROM)).run()}


async def marks(event_id: int, now: dt.datetime) -> dict[int, str]:
    """Held work of an event -> "yes" (the interpreter said so) or "waiting" (starts within 24 h, no answer yet):
    the planner's interpreters page shows it beside each interpreter."""
    rows = await InterpreterAssignment.select(InterpreterAssignment.id, InterpreterAssignment.day_before_answer,
                                              InterpreterAssignment.starts_at).where(
        (InterpreterAssignment.event == event_id) & InterpreterAssignment.status.is_in(list(services.TAKEN))).run()
    return {r["id"]: "yes" if r["day_before_answer"] == "yes" else "waiting" for r in rows
            if r["day_before_answer"] == "yes" or now < r["starts_at"] <= now + ASK_FROM}
