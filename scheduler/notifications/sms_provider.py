"""Sending a text: a small interface, and the Twilio REST Messages driver behind it.

Another provider is one more class with ``send`` and ``close`` and one more
line in :func:`sms_sender`; the outbox, retries and webhooks do not change.

Errors are sorted as e-mail's are (``mailer.py``): the provider cannot be
reached, times out, answers 429 or 5xx -> ``ConnectionFailed`` (the message
and the rest of the batch wait and are tried again with backoff); a 4xx
about this one message (a number that cannot receive texts, Twilio error
21211, 21610 "unsubscribed") -> a permanent ``DeliveryError``; 401/403 (a
wrong account or token) is not about the message but nothing will pass
until someone fixes the settings, so it is ``ConnectionFailed`` too and the
messages wait rather than fail. Reasons hold the HTTP status and the
provider's numeric error code, never the number or the text.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Protocol

import httpx

from scheduler.core.settings import Settings
from scheduler.notifications.mailer import ConnectionFailed, DeliveryError

TIMEOUT_S = 20.0


@dataclasses.dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    status_callback: str | None = None


@dataclasses.dataclass(frozen=True)
class SmsReceipt:
    provider_ref: str  # the provider's id for the message (Twilio: "SM…")
    status: str  # e.g. "queued"


class SmsSender(Protocol):
    """What the outbox needs of an SMS provider."""

    async def send(self, message: SmsMessage) -> SmsReceipt: ...

    async def close(self) -> None: ...


class TwilioSender:
    """``POST {base}/2010-04-01/Accounts/{sid}/Messages.json``, form-encoded, HTTP basic auth ``sid:token``.

    One HTTP connection (keep-alive) per delivery batch, like SMTP's.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = (f"{settings.twilio_base_url.rstrip('/')}/2010-04-01/Accounts/"
                    f"{settings.twilio_account_sid}/Messages.json")
        self.client = httpx.AsyncClient(auth=(settings.twilio_account_sid, settings.twilio_auth_token),
                                        timeout=TIMEOUT_S)

    async def send(self, message: SmsMessage) -> SmsReceipt:
        sender = self.settings.twilio_from
        # a Messaging Service SID (MG…) picks the number itself; otherwise From is the number
        form = {"To": message.to, "Body": message.body,
                **({"MessagingServiceSid": sender} if sender.startswith("MG") else {"From": sender})}
        if message.status_callback:
            form["StatusCallback"] = message.status_callback
        try:
            response = await self.client.post(self.url, data=form)
        except httpx.HTTPError as exc:
            raise ConnectionFailed(type(exc).__name__) from None
        try:
            answer = response.json()
        except (json.JSONDecodeError, ValueError):
            answer = {}
        code = answer.get("code") if isinstance(answer, dict) else None
        reason = f"HTTP {response.status_code}" + (f" Twilio {code}" if code else "")
        if response.status_code in (401, 403, 408, 429) or response.status_code >= 500:
            raise ConnectionFailed(reason)
        if response.status_code >= 400:
            raise DeliveryError(reason, permanent=True)
        if not isinstance(answer, dict) or not answer.get("sid"):
            raise ConnectionFailed(f"HTTP {response.status_code} without a message sid")
        return SmsReceipt(provider_ref=str(answer["sid"])[:64], status=str(answer.get("status") or "queued")[:16])

    async def close(self) -> None:
        await self.client.aclose()


def sms_sender(settings: Settings) -> SmsSender | None:
    """The configured provider, or None when texts are not set up (families then get e-mail only)."""
    if settings.sms_provider == "twilio":
        return TwilioSender(settings)
    return None
