"""Which channel a message goes on: e-mail, a text, or both, as the family chose.

Decision: every queueing path keeps writing one row per message with the
family's e-mail address (``outbox.notify``, the sweeps, and features that add
kinds of their own), and the *sender* routes it when it claims it: a family
that receives texts gets a twin row (``channel = "sms"``, the same kind,
event and payload, the dedupe key plus ``:sms``, so two senders add it once)
which is then delivered, retried and given up on exactly like e-mail; the
e-mail row itself goes, or is marked ``skipped`` with the reason when the
family reads texts only. Routing at send time rather than at queue time
means a family that switches to texts (or replies STOP) is heard on its
current channels, and no queueing code needs to know about phones.

A text cannot go (no provider configured, no number, the number replied
STOP): a family that chose texts only gets the e-mail instead, if it has an
address -- a STOP ends texts, not every message from the school.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple

from scheduler.core.i18n import base_language
from scheduler.core.phones import wants
from scheduler.core.settings import Settings
from scheduler.core.timeutil import as_utc
from scheduler.events.services import localized
from scheduler.families.tables import Family
from scheduler.notifications import sms_text
from scheduler.notifications.messages import FAMILY_KINDS, TEMPLATES
from scheduler.notifications.sms_provider import SmsMessage
from scheduler.notifications.tables import Outbox, SmsOptOut

#: Kinds that are texts only, written to a number: the school's reply from the inbox, the HELP and START answers.
TEXT_KINDS = ("sms_reply", "sms_help", "sms_start")
#: Kinds a family's channels apply to (the roster invitation is about e-mail sign-in: it stays an e-mail).
ROUTED_KINDS = tuple(k for k in FAMILY_KINDS if k in TEMPLATES)


class Route(NamedTuple):
    email: bool  # send the e-mail row
    text: bool  # add (or keep) its text twin
    reason: str = ""  # why the e-mail is not sent, when it is not


def route(row: dict[str, Any], family: dict[str, Any] | None, opted_out: set[str], sms_ready: bool) -> Route:
    """What becomes of one claimed e-mail row, given the family's channels and phone."""
    if row["channel"] != "email" or row["family"] is None or row["kind"] not in ROUTED_KINDS or family is None:
        return Route(email=True, text=False)
    wanted = wants(family.get("channels") or "email")
    phone = family.get("phone") or ""
    text = "sms" in wanted and sms_ready and bool(phone) and phone not in opted_out
    has_address = "@" in (row["to_email"] or "")
    if "email" in wanted or not text:
        if has_address:
            return Route(email=True, text=text)
        return Route(email=False, text=text, reason="no e-mail address; sent as a text message" if text
                     else "no e-mail address, and no text can go")
    return Route(email=False, text=True, reason="sent as a text message (the family's choice)")


async def recipients(rows: list[dict[str, Any]], family_ids: list[int]
                     ) -> tuple[dict[int, dict[str, Any]], set[str]]:
    """The batch's families (preferences, channels, phone) and which of their numbers replied STOP."""
    families = {f["id"]: f for f in await Family.select(
        Family.id, Family.notification_prefs, Family.channels, Family.phone).where(
        Family.id.is_in(family_ids)).run()} if family_ids else {}
    phones = sorted({f["phone"] for f in families.values() if f["phone"]} | {r["to_phone"] for r in rows if r["to_phone"]})
    opted_out = {o["phone"] for o in await SmsOptOut.select(SmsOptOut.phone).where(
        SmsOptOut.phone.is_in(phones)).run()} if phones else set()
    return families, opted_out


def split(rows: list[dict[str, Any]], families: dict[int, dict[str, Any]], opted_out: set[str], sms_ready: bool,
          now: dt.datetime) -> tuple[list[dict[str, Any]], list[Outbox], list[tuple[int, str]]]:
    """A claimed batch routed: (rows to send now, text twins to queue, (e-mail row, why it is skipped))."""
    keep, twins, skips = [], [], []
    for row in rows:
        decision = route(row, families.get(row["family"]), opted_out, sms_ready)
        if decision.text:
            twins.append(text_twin(row, families[row["family"]]["phone"], now))
        if decision.email:
            keep.append(row)
        else:
            skips.append((row["id"], decision.reason))
    return keep, twins, skips


async def route_batch(rows: list[dict[str, Any]], families: dict[int, dict[str, Any]], opted_out: set[str],
                      settings: Settings, now: dt.datetime, report: Any) -> list[dict[str, Any]]:
    """A claimed batch on the families' channels: text twins queued, e-mails kept or marked skipped (and counted).

    Each channel keeps its own "unreachable" state in the sender, so an SMS provider that is down holds back
    texts only; e-mails and texts share the claim, the leases, the retries and the give-up.
    """
    keep, twins, skips = split(rows, families, opted_out, bool(settings.sms_provider), now)
    for row_id, reason in skips:  # one statement each, as the sender marks any outcome
        await Outbox.update({Outbox.status: "skipped", Outbox.last_error: reason, Outbox.lease_until: None}).where(
            (Outbox.id == row_id) & (Outbox.status == "pending")).run()
    report.skipped += len(skips)
    if twins:  # ON CONFLICT DO NOTHING: a twin two senders add is added once
        await Outbox.insert(*twins).on_conflict(target=Outbox.dedupe_key, action="DO NOTHING").run()
    return keep


def text_twin(row: dict[str, Any], phone: str, now: dt.datetime) -> Outbox:
    """The text message of an e-mail row: same kind, family, event and payload; its own key, status and tries."""
    return Outbox(kind=row["kind"], dedupe_key=f"{row['dedupe_key']}:sms"[:200], channel="sms", to_email="",
                  to_phone=phone, language=row["language"], school=row["school"], family=row["family"],
                  interpreter=row["interpreter"], event=row["event"], payload=row["payload"], next_attempt_at=now)


def text_row(kind: str, key: str, phone: str, *, language: str, school: int | None, family: int | None,
             payload: str) -> Outbox:
    """A text-only message (``TEXT_KINDS``): queued by the inbound webhook and the inbox's reply form."""
    return Outbox(kind=kind, dedupe_key=key[:200], channel="sms", to_email="", to_phone=phone, language=language,
                  school=school, family=family, payload=payload)


def text_message(row: dict[str, Any], events: dict[int, dict[str, Any]], schools: dict[int, dict[str, Any]],
                 settings: Settings) -> SmsMessage:
    """What a text row says: the short form of its notification (``sms_text.py``), or the school's own words."""
    event = events.get(row["event"])
    school = schools.get(event["school"] if event else row["school"])
    callback = f"{settings.public_url}/sms/twilio/status"
    payload = json.loads(row["payload"] or "{}")
    if row["kind"] == "sms_reply":
        body = str(payload.get("text", ""))
    elif row["kind"] in TEXT_KINDS:
        body = sms_text.render_service_text(row["kind"], row["language"], school["name"] if school else "")
    else:
        language = base_language(row["language"])
        # the school's own words in the family's language; a kind about no event (a later feature's) has none
        title = localized(event, language)[0] if event else ""
        starts = event["starts_at"] if event else None
        starts = as_utc(starts)
        if "at" in payload:  # a conference question tells the family's first meeting, not the evening's start
            starts = dt.datetime.fromtimestamp(payload["at"], dt.timezone.utc)
        body = sms_text.render_sms(row["kind"], language, title=title, starts_at=starts,
                                   timezone=school["timezone"] if school else "UTC",
                                   place=(event["room_name"] or "") if event else "",
                                   values={k: str(v) for k, v in payload.items()},
                                   link=str(payload.get("url") or f"{settings.public_url}/family"))
    return SmsMessage(to=row["to_phone"], body=body, status_callback=callback)
