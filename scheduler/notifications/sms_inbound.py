"""Texts families send us: signature check, STOP/START/HELP, YES/NO answers, and the school's inbox.

Twilio signs each webhook with the account's auth token: HMAC-SHA1 over the
full public URL it posted to followed by every form parameter, sorted by
name, as ``name + value`` with no separators, base64-encoded into
``X-Twilio-Signature``. The URL is ours (``FB_BASE_URL`` + the path), not
what the request says it is: behind a proxy the two differ, and a request
whose claimed host we believed could be replayed from elsewhere.

What a reply means (``sms_text.keyword``, in every served language):

* STOP (PARAR, JOOJI, DỪNG, 停止, توقف, KANPE ...): the number is opted out
  at once -- recorded in ``sms_opt_out`` and every text still waiting for it
  marked ``skipped`` in the same transaction; the sender checks the list
  again before each text, so a text claimed a moment earlier does not go
  either. No answer is sent (the carrier confirms a STOP itself).
* START: the opt-out is removed and a confirmation text queued.
* HELP: who is writing and how to stop, as a text.
* YES / NO (SÍ, HAA, WI, 是, نعم, 1 / 2 ...): the answer to the last question
  texted to the number (``QUESTION_KINDS``); with no question asked it is a
  message for the school like any other.
* a score, "4" or "4 great evening", when the last question texted to the
  number is the thank-you after an event (``attendance/feedback.py``): the
  family's feedback, with the rest as its comment. The question's kind
  decides what a reply means: "1" answers a thank-you as a score of 1, and
  a yes/no question as YES.
* anything else: the school's inbox (``/admin/inbox``) with the family and its
  language; the school answers from there, as a text through the outbox.
  A number no family has (a new phone, a neighbour's) has no school: its
  texts go to the district administrators' inbox, shown as "unknown
  number" and answered by text the same way. STOP from it is honoured like
  any other.

Each inbound text is recorded once (``SmsInbound.provider_ref`` is the
provider's message id, unique): Twilio retries a webhook that timed out,
and the retry changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable
from typing import Any

from scheduler.attendance import feedback
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import use_case
from scheduler.core.errors import Forbidden, InvalidInput, NotFound
from scheduler.core.phones import normalize_phone
from scheduler.core.timeutil import utcnow
from scheduler.families.tables import Family
from scheduler.notifications import attendance
from scheduler.notifications.channels import text_row
from scheduler.notifications.sms_text import keyword
from scheduler.notifications.sweeps import queue
from scheduler.notifications.tables import Outbox, SmsInbound, SmsOptOut

#: Kinds that ask a yes/no question a texted YES or NO answers (the day-before "will you come?" when it exists).
QUESTION_KINDS: tuple[str, ...] = (attendance.KIND, feedback.KIND_THANKS)
MAX_REPLY = 640  # characters of a reply from the inbox: at most 5 GSM-7 segments, 10 in UCS-2


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a form POST to ``url``."""
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def verify(auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None) -> None:
    """Refuse (403) a request without the provider's valid signature; nothing has been read or written yet."""
    if not auth_token or not signature or not hmac.compare_digest(
            signature.encode(), twilio_signature(auth_token, url, params).encode()):
        raise Forbidden("this request is not signed by the SMS provider", "X-Twilio-Signature")


async def _family_of(phone: str) -> dict[str, Any] | None:
    """The family a number belongs to: the one we last texted at it, else the first with that phone."""
    last = await Outbox.select(Outbox.family).where(
        (Outbox.channel == "sms") & (Outbox.to_phone == phone) & Outbox.family.is_not_null()).order_by(
        Outbox.id, ascending=False).first().run()
    where = (Family.id == last["family"]) if last else (Family.phone == phone)
    return await Family.select(Family.id, Family.school, Family.language).where(where).order_by(Family.id).first().run()


async def _last_question(phone: str) -> dict[str, Any] | None:
    if not QUESTION_KINDS:
        return None
    return await Outbox.select(Outbox.id, Outbox.kind, Outbox.payload, Outbox.family, Outbox.event).where(
        (Outbox.channel == "sms") & (Outbox.to_phone == phone) & (Outbox.status == "sent")
        & Outbox.kind.is_in(list(QUESTION_KINDS))).order_by(Outbox.id, ascending=False).first().run()


@use_case
async def receive(provider_ref: str, from_number: str, body: str) -> str:
    """Record one inbound text and act on it; returns what it was taken as (stop/start/help/yes/no/feedback/inbox)."""
    provider_ref = provider_ref.strip()[:64]
    if not provider_ref:
        raise InvalidInput([("MessageSid", "missing")])
    seen = await SmsInbound.select(SmsInbound.handled_as).where(SmsInbound.provider_ref == provider_ref).first().run()
    if seen is not None:
        return seen["handled_as"]  # the provider retried a webhook we already handled
    phone = normalize_phone(from_number) or from_number.strip()[:20]
    family = await _family_of(phone)
    language = family["language"] if family else "en"
    school = family["school"] if family else None
    meaning = keyword(body) or "inbox"
    answers = None
    now = utcnow()
    if meaning == "stop":
        await SmsOptOut.insert(SmsOptOut(phone=phone, keyword=body.strip()[:40], opted_out_at=now)).on_conflict(
            target=SmsOptOut.phone, action="DO NOTHING").run()
        await Outbox.update({Outbox.status: "skipped", Outbox.last_error: "the number replied STOP",
                             Outbox.lease_until: None}).where(
            (Outbox.channel == "sms") & (Outbox.to_phone == phone) & (Outbox.status == "pending")).run()
    elif meaning in ("start", "help"):
        if meaning == "start":
            await SmsOptOut.delete().where(SmsOptOut.phone == phone).run()
        await queue([text_row(f"sms_{meaning}", f"sms-{meaning}:{provider_ref}", phone, language=language,
                              school=school, family=family["id"] if family else None, payload="{}")])
    else:
        question = await _last_question(phone)
        if question is None:
            meaning = "inbox"
        elif question["kind"] == feedback.KIND_THANKS:
            taken = await feedback.answer_from_question(question, body, language)
            meaning, answers = ("feedback", question["id"]) if taken else ("inbox", None)
        elif meaning in ("yes", "no"):
            answers = question["id"]
            await attendance.answer_from_question(question, meaning == "yes")
    await SmsInbound.insert(SmsInbound(provider_ref=provider_ref, from_phone=phone, body=body[:1600], school=school,
                                       family=family["id"] if family else None, language=language,
                                       handled_as=meaning, answers=answers, received_at=now)).run()
    return meaning


async def status_callback(provider_ref: str, status: str, error_code: str) -> bool:
    """What the provider later learned of a text we sent (delivered, undelivered, failed); False: not ours.

    A text the carrier could not deliver turns the row ``failed`` with the
    provider's error code (30003 unreachable, 30005 unknown number, ...), so
    the admin's outbox view tells the truth; "delivered" only records itself.
    """
    status = status.strip().lower()[:16]
    row = await Outbox.select(Outbox.id).where(
        (Outbox.provider_ref == provider_ref) & (Outbox.channel == "sms")).first().run()
    if row is None or not provider_ref:
        return False
    values: dict = {Outbox.provider_status: status}
    if status in ("failed", "undelivered"):
        code = "".join(c for c in error_code if c.isdigit())[:8]
        values |= {Outbox.status: "failed", Outbox.last_error: f"{status}: provider error {code or 'unknown'}"}
    await Outbox.update(values).where((Outbox.id == row["id"]) & (Outbox.status.is_in(["sent", "failed"]))).run()
    return True


# ---------------------------------------------------------------- the school's inbox


async def inbox(actor: Principal, school_id: int | None, limit: int = 200) -> list[dict[str, Any]]:
    """The texts of a school's families that are messages for the school, newest first, with any reply.

    ``school_id`` None: the district's inbox, texts from numbers no family has (district admins only).
    """
    require_admin(actor, school_id)
    of_school = SmsInbound.school.is_null() if school_id is None else SmsInbound.school == school_id
    rows = await SmsInbound.select(
        SmsInbound.id, SmsInbound.body, SmsInbound.language, SmsInbound.received_at, SmsInbound.from_phone,
        SmsInbound.family, SmsInbound.family.name.as_alias("family_name"), SmsInbound.reply,
        SmsInbound.reply.payload.as_alias("reply_payload"), SmsInbound.reply.status.as_alias("reply_status")).where(
        of_school & (SmsInbound.handled_as == "inbox")).order_by(
        SmsInbound.id, ascending=False).limit(limit).run()
    for r in rows:
        r["reply_text"] = json.loads(r.pop("reply_payload") or "{}").get("text", "") if r["reply"] else ""
    return rows


@use_case
async def reply(actor: Principal, inbound_id: int, text: str) -> int:
    """Answer an inbox message with a text to the number it came from (queued in the outbox); the outbox row id."""
    text = text.strip()
    if not text or len(text) > MAX_REPLY:
        raise InvalidInput([("text", f"write between 1 and {MAX_REPLY} characters")])
    row = await SmsInbound.select().where(SmsInbound.id == inbound_id).first().run()
    if row is None:
        raise NotFound(f"no message {inbound_id}", "inbound_id")
    require_admin(actor, row["school"])
    key = f"sms-reply:{inbound_id}:{uuid.uuid4().hex}"
    await queue([text_row("sms_reply", key, row["from_phone"], language=row["language"], school=row["school"],
                          family=row["family"], payload=json.dumps({"text": text, "inbound": inbound_id}))])
    outbox_id = (await Outbox.select(Outbox.id).where(Outbox.dedupe_key == key).first().run())["id"]
    await SmsInbound.update({SmsInbound.reply: outbox_id}).where(SmsInbound.id == inbound_id).run()
    return outbox_id


owner_of("inbound_id", "SELECT school, family, NULL AS interpreter FROM sms_inbound WHERE id = {}")
