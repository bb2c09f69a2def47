"""The SMS provider's webhooks: texts families send us, and what became of the texts we sent.

Public addresses (Twilio calls them), but every request must carry the
provider's signature (``sms_inbound.verify``): an unsigned or wrongly signed
request is refused with 403 before anything is written. Left out of the
OpenAPI document: they are the provider's protocol, not the service's API.
"""

from __future__ import annotations

from litestar import Request, Response, post

from scheduler.core.access import api
from scheduler.core.settings import Settings
from scheduler.notifications import sms_inbound

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _signed_form(request: Request) -> dict[str, str]:
    """The posted form, once its signature is checked against our public URL for this path."""
    settings: Settings = request.app.state.settings
    form = await request.form()
    params = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    sms_inbound.verify(settings.twilio_auth_token if settings.sms_provider == "twilio" else "", url, params,
                       request.headers.get("x-twilio-signature"))
    return dict(params)


@post("/sms/twilio/inbound", guards=[api.token], include_in_schema=False, status_code=200)
async def twilio_inbound(request: Request) -> Response:
    """A text from a family: STOP/START/HELP, a YES/NO answer, or a message for the school's inbox."""
    form = await _signed_form(request)
    await sms_inbound.receive(form.get("MessageSid") or form.get("SmsSid") or "", form.get("From", ""),
                              form.get("Body", ""))
    return Response(EMPTY_TWIML, media_type="text/xml")  # answers go through the outbox, not TwiML


@post("/sms/twilio/status", guards=[api.token], include_in_schema=False, status_code=204)
async def twilio_status(request: Request) -> None:
    """A delivery report for a text we sent (queued, sent, delivered, undelivered, failed)."""
    form = await _signed_form(request)
    await sms_inbound.status_callback(form.get("MessageSid") or form.get("SmsSid") or "",
                                      form.get("MessageStatus") or form.get("SmsStatus") or "",
                                      form.get("ErrorCode", ""))


ROUTES = [twilio_inbound, twilio_status]
