"""What a notification says: subject, plain text, HTML and an .ics invitation, in the reader's language.

PURE: no database, no SMTP, no clock. The sender reads rows, fills a
:class:`Context` and gets an e-mail ``Message`` back, so wording, locale
formatting and MIME structure are unit-tested without any I/O.

Wording lives in gettext catalogues (``locales/<lang>/LC_MESSAGES/messages.po``)
so translators edit the standard format; they are compiled in memory at
import (Babel's ``write_mo``) rather than committed as binary ``.mo`` files,
which would drift from the ``.po`` they were made from. Dates and times are
formatted by CLDR (babel.dates) in the *school's* zone: a family reads
"18:00" for an event at 18:00 local whatever the UTC offset that day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from collections.abc import Mapping
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.support import NullTranslations

from scheduler.core.i18n import RTL, base_language, catalogue

LOCALES = Path(__file__).with_name("locales")

#: Kinds a family receives; each can be switched off in the family's preferences.
FAMILY_KINDS = ("registration_confirmed", "registration_waitlisted", "waitlist_offered", "waitlist_promoted",
                "reminder", "event_rescheduled", "event_cancelled", "attendance_question", "thank_you", "missed_you")
#: Kinds written after the event (scheduler/attendance/feedback.py): its place and time are no longer news.
AFTER_KINDS = ("thank_you", "missed_you")
#: Kinds about the school rather than an event (no event row, no invitation attached); not switchable:
#: the roster invitation is how a family learns it can sign in at all (scheduler/roster/invitations.py).
SCHOOL_KINDS = ("roster_invitation",)
#: Kinds staff (interpreters, school admins) receive; not switchable: they are work.
STAFF_KINDS = ("assignment_open", "assignment_confirmed", "assignment_unclaimed")

# kind -> (subject, first paragraph); msgids of the catalogues, wrapped by _() when rendered
_N = str  # marks a msgid for extraction without translating at import
TEMPLATES: dict[str, tuple[str, str]] = {
    "reminder": (_N("Reminder: %(title)s on %(date)s"),
                 _N("This is a reminder that %(title)s takes place on %(date)s at %(time)s.")),
    "registration_confirmed": (_N("You are registered: %(title)s"),
                               _N("You are registered for %(title)s on %(date)s at %(time)s.")),
    "registration_waitlisted": (_N("You are on the waitlist: %(title)s"),
                                _N("%(title)s on %(date)s at %(time)s is full. You are on the waitlist; "
                                   "we will write to you if a place opens up.")),
    "waitlist_offered": (_N("A place is held for you: %(title)s"),
                         _N("A place opened up at %(title)s on %(date)s at %(time)s. It is held for you until "
                            "%(deadline_date)s at %(deadline_time)s: accept it in Family Bridge before then, or it "
                            "goes to the next family on the waitlist.")),
    "waitlist_promoted": (_N("A place opened up: %(title)s"),
                          _N("A place opened up: you are now registered for %(title)s on %(date)s at %(time)s.")),
    "event_rescheduled": (_N("New time: %(title)s"), _N("%(title)s has moved. The new time is %(date)s at %(time)s.")),
    "event_cancelled": (_N("Cancelled: %(title)s"),
                        _N("%(title)s on %(date)s at %(time)s has been cancelled. We are sorry for the inconvenience.")),
    "assignment_open": (_N("Interpreter needed (%(language)s): %(title)s"),
                        _N("An interpreter for %(language)s is needed at %(title)s on %(date)s at %(time)s.")),
    "assignment_confirmed": (_N("Assignment confirmed: %(title)s"),
                             _N("You are confirmed as interpreter at %(title)s on %(date)s at %(time)s.")),
    "assignment_unclaimed": (_N("Still no interpreter (%(language)s): %(title)s"),
                             _N("Nobody has claimed the %(language)s interpreting at %(title)s on %(date)s at "
                                "%(time)s yet. Please claim it or find someone who can.")),
    "attendance_question": (_N("Will you come? %(title)s on %(date)s"),
                            _N("%(title)s is on %(date)s at %(time)s. Will you come? Please answer at %(url)s -- if "
                               "you cannot, your place goes to a family on the waitlist.")),
    "conference_postponed": (_N("Postponed: %(title)s, now on %(date)s"),
                             _N("The parent-teacher conferences of %(old_date)s are postponed to %(date)s. Your "
                                "conferences keep their times of day; the first starts at %(first_time)s.")),
    "thank_you": (_N("Thank you for coming: %(title)s"),
                  _N("Thank you for coming to %(title)s on %(date)s. How was it? Choose a score from 1 (poor) to 5 "
                     "(very good), and add a comment if you like, at %(url)s -- it takes a minute.")),
    "missed_you": (_N("We missed you: %(title)s"),
                   _N("We missed you at %(title)s on %(date)s. We hope all is well. The school's next events are "
                      "at %(url)s.")),
    "roster_invitation": (_N("%(school)s invites you to Family Bridge"),
                          _N("%(school)s uses Family Bridge to plan events and conferences with families. To sign "
                             "in, open %(url)s and ask for a sign-in link: it comes to this e-mail address, and no "
                             "password is needed.")),
}
GREETING = _N("Hello,")
PLACE = _N("Place: %(place)s")
ATTACHED = _N("The attached invitation puts it in your calendar.")
PREFERENCES = _N("Choose which e-mails you receive: %(url)s")
SIGNATURE = _N("Family Bridge, %(school)s")
#: What a ``missed_you`` adds when the series has a session to come (``next_title``, ``next_starts`` values).
NEXT_SESSION = _N("The next session, %(next_title)s, is on %(next_date)s at %(next_time)s.")
#: Which kinds carry an invitation, and with which iTIP method.
ICS_METHOD = {"reminder": "REQUEST", "registration_confirmed": "REQUEST", "waitlist_promoted": "REQUEST",
              "event_rescheduled": "REQUEST", "event_cancelled": "CANCEL", "assignment_confirmed": "REQUEST"}


def translations(language: str) -> NullTranslations:
    """The compiled catalogue for a language (English is the msgids themselves)."""
    return catalogue(LOCALES, "messages", language)


@dataclasses.dataclass(frozen=True)
class Context:
    """Everything a message says, already read from the database."""

    kind: str
    language: str
    title: str
    starts_at: dt.datetime | None
    timezone: str
    school: str
    place: str = ""
    preferences_url: str | None = None
    deadline: dt.datetime | None = None  # until when a waitlist offer is held
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)  # e.g. {"language": "Spanish"}


@dataclasses.dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str


def local_date_time(instant: dt.datetime | None, timezone: str, language: str) -> tuple[str, str]:
    """("Monday, March 15, 2027", "6:00 PM") in the locale, read in the school's zone."""
    if instant is None:
        return "", ""
    local = instant.astimezone(ZoneInfo(timezone))
    return format_date(local, "full", locale=language), format_time(local, "short", locale=language)


def next_values(values: Mapping[str, str], timezone: str, language: str, dates) -> dict[str, str]:
    """The next session's title, date and time (``dates``: the long or the short date forms)."""
    next_date, next_time = dates(dt.datetime.fromisoformat(values["next_starts"]), timezone, language)
    return {"next_title": values.get("next_title", ""), "next_date": next_date, "next_time": next_time}


def render(ctx: Context) -> Rendered:
    """Subject and bodies in the context's language (English when the kind or language is unknown)."""
    language = base_language(ctx.language)
    _ = translations(language).gettext
    subject_id, body_id = TEMPLATES[ctx.kind]
    date, time = local_date_time(ctx.starts_at, ctx.timezone, language)
    deadline_date, deadline_time = local_date_time(ctx.deadline, ctx.timezone, language)
    values = {"title": ctx.title, "date": date, "time": time, "school": ctx.school, "language": "",
              "old_date": "", "first_time": "",
              "deadline_date": deadline_date, "deadline_time": deadline_time, **ctx.values}
    paragraphs = [_(GREETING), _(body_id) % values]
    if ctx.values.get("next_starts"):
        paragraphs.append(_(NEXT_SESSION) % next_values(ctx.values, ctx.timezone, language, local_date_time))
    if ctx.place and ctx.kind not in AFTER_KINDS:
        paragraphs.append(_(PLACE) % {"place": ctx.place})
    if ctx.kind in ICS_METHOD:
        paragraphs.append(_(ATTACHED))
    footer = [_(SIGNATURE) % values]
    if ctx.preferences_url:
        footer.append(_(PREFERENCES) % {"url": ctx.preferences_url})
    text = "\n\n".join(paragraphs) + "\n\n-- \n" + "\n".join(footer) + "\n"
    direction = "rtl" if language in RTL else "ltr"
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    foot = html.escape(footer[0])
    if ctx.preferences_url:
        url = html.escape(ctx.preferences_url, quote=True)
        link = html.escape(_(PREFERENCES) % {"url": "\x00"}).replace("\x00", f'<a href="{url}">{url}</a>')
        foot += "<br>" + link
    page = (f'<!DOCTYPE html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
            f"<title>{html.escape(_(subject_id) % values)}</title></head>"
            f'<body dir="{direction}">{body}<hr><p><small>{foot}</small></p></body></html>')
    return Rendered(language=language, subject=_(subject_id) % values, text=text, html=page)


def compose(rendered: Rendered, *, to: str, sender: str, message_id: str, ics: bytes | None = None,
            method: str | None = None, unsubscribe: str | None = None) -> Message:
    """multipart/mixed: (text | HTML) alternative, plus the invitation when there is one.

    Built with the ``email.mime`` classes (compat32 policy) rather than
    ``EmailMessage``: the modern policy re-parses every header it stores,
    which made composing cost more than rendering, iCalendar and SMTP
    together. ``message_id`` is derived from the outbox row, so a receiving
    server that sees a retried delivery can tell it is the same message.
    """
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(rendered.text, "plain", "utf-8"))
    body.attach(MIMEText(rendered.html, "html", "utf-8"))
    if ics is None:
        msg: Message = body
    else:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        invitation = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
        invitation.set_param("method", method or "REQUEST")
        invitation.add_header("Content-Disposition", "attachment", filename="invitation.ics")
        msg.attach(invitation)
    msg["Subject"] = Header(rendered.subject, "utf-8", header_name="Subject")
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = message_id
    msg["Content-Language"] = rendered.language
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    return msg
