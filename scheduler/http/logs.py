"""Log lines: text or JSON (FB_LOG_FORMAT), written by a thread, stamped with the request id.

:func:`logging_config` is used by ``serve`` (handed to uvicorn, so every worker process gets it)
and ``worker``; lines are written by a thread (:class:`BackgroundHandler`), so a slow reader of
stderr never stalls requests.
"""

from __future__ import annotations

import atexit
import collections
import datetime as dt
import json
import logging
import logging.config
import sys
import threading
import traceback
from typing import Any

from scheduler.core.settings import Settings
from scheduler.http.middleware import request_id_var

ACCESS_FIELDS = ("method", "path", "route", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (``None`` outside a request, e.g. in jobs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and the access fields.

    An exception contributes its type and the location of each stack frame
    but not its message nor the source lines: messages of database errors
    quote the offending values (``Key (email)=(...)``), and no personal data
    may reach a log.
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                out[field] = getattr(record, field)
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__
            # where, not what: file, line and function of each frame (no source text, no locals)
            out["stack"] = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(record.exc_info[2])]
        return json.dumps(out, ensure_ascii=False, default=str)


class BackgroundHandler(logging.Handler):
    """Formats in the caller, writes to stderr from a thread in batches: logging never blocks the event loop.

    A plain StreamHandler writes (and flushes) inside the request: when the
    reader of stderr is slow or stuck -- a full pipe nobody drains, journald
    throttling -- every request waits on it. Here the caller only formats
    (so the request id and the redaction happen in the request's context) and
    appends the line to a deque; a thread wakes every :attr:`interval` seconds
    and writes whatever has gathered in one write. (Handing each line to the
    thread through a ``queue.Queue`` woke it once per line: with an access
    line per request that was ~5 % of a busy server's CPU in lock hand-offs.)
    When ``capacity`` lines are waiting, further lines are dropped and counted
    (``dropped``) rather than growing memory or stalling requests.
    """

    interval = 0.05

    def __init__(self, stream: Any = None, capacity: int = 10_000) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stderr
        self.capacity, self.dropped = capacity, 0
        self.lines: collections.deque[str] = collections.deque()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._write_loop, name="log-writer", daemon=True)
        self.thread.start()
        atexit.register(self.stop)

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) >= self.capacity:
            self.dropped += 1
            return
        try:
            self.lines.append(self.format(record) + "\n")
        except Exception:  # a broken record must not break the request
            self.handleError(record)

    def _write_loop(self) -> None:
        while not self.stopping.wait(self.interval):
            self._write_out()
        self._write_out()

    def _write_out(self) -> None:
        batch = []
        while self.lines:
            batch.append(self.lines.popleft())
        if batch:
            try:
                self.stream.write("".join(batch))
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed under us: nothing better to do with the lines
                pass

    def stop(self, timeout: float = 2.0) -> None:
        """Write out what is waiting, but never hang an exit on a reader that stopped reading."""
        self.stopping.set()
        self.thread.join(timeout)

    def close(self) -> None:
        self.stop()
        super().close()


class TextFormatter(logging.Formatter):
    """Readable lines for development: ``time LEVEL logger [request id] message``.

    Tracebacks are printed in full, exception message included; production
    should use FB_LOG_FORMAT=json, which leaves messages out.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the app (also handed to uvicorn as ``log_config``).

    uvicorn applies it in every worker process it spawns, which is why this
    is a dict of importable names rather than set-up code run in ``serve``.
    uvicorn's own access log stays off: it prints the query string and
    un-redacted paths; :class:`RequestContext` writes the access lines.
    """
    formatter = "scheduler.http.logs.JsonFormatter" if settings.log_format == "json" \
        else "scheduler.http.logs.TextFormatter"
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "scheduler.http.logs.RequestIdFilter"}},
        "formatters": {"main": {"()": formatter}},
        "handlers": {"stderr": {"()": "scheduler.http.logs.BackgroundHandler", "formatter": "main",
                                "filters": ["request_id"]}},
        "loggers": {
            "family_bridge": {"level": "INFO"},
            "uvicorn": quiet, "uvicorn.error": quiet,
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "piccolo": quiet, "apscheduler": quiet, "asyncio": quiet,
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }


def configure_logging(settings: Settings) -> None:
    """Apply :func:`logging_config` in this process (the ``worker`` command)."""
    logging.config.dictConfig(logging_config(settings))
