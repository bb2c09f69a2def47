"""The pages' wording and local dates: one catalogue (``locales/<lang>/LC_MESSAGES/web.po``).

Dates and times are CLDR-formatted (babel.dates) in the *school's* zone, so a
family in Hanoi reading a Chicago school's page sees 18:00 for an event at
18:00 in Chicago, the time on the school's clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, get_day_names

from scheduler.core.i18n import catalogue
from scheduler.core.languages import language_label  # noqa: F401  (the pages' name for it)

LOCALES = Path(__file__).with_name("locales")
N_ = str  # marks a msgid for extraction; translated where it is shown
#: A plan's status in words (the codes stay in the API).
PLAN_STATUS = {"solving": N_("working"), "ready": N_("ready to publish"), "failed": N_("failed"),
               "published": N_("published"), "retired": N_("replaced by a newer plan")}
#: The languages the pages are written in, each named in itself for the picker.
NAMES = {"en": "English", "es": "Español", "zh": "中文", "vi": "Tiếng Việt", "ar": "العربية", "so": "Soomaali",
         "ht": "Kreyòl ayisyen"}


def translator(language: str) -> Callable[[str], str]:
    return catalogue(LOCALES, "web", language).gettext


def ngettext(language: str) -> Callable[[str, str, int], str]:
    return catalogue(LOCALES, "web", language).ngettext


def _local(instant: dt.datetime, tz: str) -> dt.datetime:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.timezone.utc)
    return instant.astimezone(ZoneInfo(tz))


def parse_iso(text: str | None, tz: str) -> dt.datetime | None:
    """What the services print: ISO 8601 with an offset, or a wall-clock time on the school's clock."""
    if not text:
        return None
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(tz))


def when(instant: dt.datetime | None, tz: str, language: str) -> str:
    """"Tuesday, March 16, 2027 at 6:00 PM" in the reader's language, on the school's clock."""
    if instant is None:
        return ""
    local = _local(instant, tz)
    return f"{format_date(local, 'full', locale=language)} · {format_time(local, 'short', locale=language)}"


def day(value: dt.date, language: str, width: str = "full") -> str:
    return format_date(value, width, locale=language)


def short_day(value: dt.date, language: str) -> str:
    """"Tue, Mar 16" — for the columns of a week calendar."""
    return format_date(value, "EEE d MMM", locale=language)


def clock(instant: dt.datetime | None, tz: str, language: str) -> str:
    return "" if instant is None else format_time(_local(instant, tz), "short", locale=language)


def clock_minutes(minutes: int, language: str) -> str:
    """A time of day given in minutes after midnight, e.g. for the availability grid."""
    return format_time(dt.time(minutes // 60 % 24, minutes % 60), "short", locale=language)


def weekday_names(language: str, width: str = "wide") -> list[str]:
    """Monday first, as the weekly availability is stored (0 = Monday)."""
    names = get_day_names(width, locale=language)
    return [names[i] for i in range(7)]


def stamp(instant: dt.datetime, tz: str, language: str) -> str:
    return format_datetime(_local(instant, tz), "medium", locale=language)


