"""SMTP delivery: one connection per batch, errors sorted into "try later" and "give up".

Blocking ``smtplib`` in a worker thread rather than an async client: the
sender handles one batch at a time anyway, and the standard library speaks
every TLS mode servers use. Error texts returned here never contain the
server's reply (it often quotes the address) -- only the exception type and
SMTP code, so ``Outbox.last_error`` and the logs hold no personal data.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from scheduler.core.settings import Settings

TIMEOUT_S = 20.0


class DeliveryError(Exception):
    """A message was not accepted; ``reason`` is safe to store and log."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


class ConnectionFailed(DeliveryError):
    """The server could not be reached or dropped us: nothing in the batch can go now."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=False)


def _reason(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({c for c, _ in exc.recipients.values()})
        return f"SMTPRecipientsRefused {','.join(map(str, codes))}"
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


class SmtpMailer:
    """A connection to the configured server, opened for one batch of messages."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> None:
        s = self.settings
        try:
            if s.smtp_tls == "ssl":
                self.smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=TIMEOUT_S,
                                             context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT_S)
                if s.smtp_tls == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                self.smtp.login(s.smtp_user, s.smtp_password)
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise ConnectionFailed(_reason(exc)) from None

    def _send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self._open()
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            permanent = all(500 <= code < 600 for code, _ in exc.recipients.values())
            raise DeliveryError(_reason(exc), permanent) from None
        except smtplib.SMTPResponseException as exc:
            if isinstance(exc, smtplib.SMTPServerDisconnected) or exc.smtp_code in (421,):
                self._close()
                raise ConnectionFailed(_reason(exc)) from None
            raise DeliveryError(_reason(exc), 500 <= exc.smtp_code < 600) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise ConnectionFailed(_reason(exc)) from None

    def _close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None

    async def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; returns once it accepted it (250)."""
        await asyncio.to_thread(self._send, message)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)
