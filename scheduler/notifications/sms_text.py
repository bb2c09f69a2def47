"""What a text message says and what a reply means: segment counting, the short form, reply keywords.

PURE: no database, no HTTP, no clock. A text is the short form of the same
message the e-mail carries -- the same translated subject line (so a family
reads it in its language as soon as the e-mail is translated), the local
date and time, the place and one link -- cut to fit in at most two SMS
segments when the language's script allows it.

Segments, as carriers count them: a text written only in the GSM 03.38
alphabet (the basic table; characters of the extension table such as ``€``
or ``{`` count twice) fits 160 characters in one segment, or 153 per segment
once split (the rest is the concatenation header). Anything else goes as
UCS-2: 70 UTF-16 code units in one segment, 67 per segment when split (an
emoji or other character outside the Basic Multilingual Plane is two units).
Somali, Spanish without accents on capitals, and Haitian Creole usually stay
GSM-7; Vietnamese, Chinese and Arabic are UCS-2, where two segments hold
134 units -- a Chinese reminder fits, a long Vietnamese title is shortened.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time

from scheduler.core.i18n import base_language, catalogue
from scheduler.notifications.messages import AFTER_KINDS, LOCALES, NEXT_SESSION, PLACE, TEMPLATES, next_values

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
MAX_SEGMENTS = 2
_N = str  # marks a msgid for extraction without translating at import
#: What a question's text adds: how to answer it by text (``sms_inbound`` reads the reply).
QUESTIONS = {"attendance_question": _N("Reply YES or NO"),
             "thank_you": _N("How was it? Reply 1 (poor) to 5 (very good), and a comment if you like")}


class Segments(NamedTuple):
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int


#: Typographic characters CLDR and translators use that have a plain GSM-7 twin: replacing them keeps a
#: Somali or English text in GSM-7 (160 characters a segment) instead of UCS-2 (70) for one narrow space.
PLAIN = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u2007": " ", "\u2019": "'", "\u2018": "'",
                       "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "..."})


def plain(text: str) -> str:
    """``text`` with typographic spaces, quotes and dashes as their GSM-7 twins."""
    return text.translate(PLAIN)


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def segments(text: str) -> Segments:
    """How many SMS segments ``text`` takes, and in which encoding."""
    if is_gsm(text):
        units = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    count = 0 if units == 0 else 1 if units <= single else math.ceil(units / multi)
    return Segments(encoding, units, count)


def _cut(title: str, keep: int) -> str:
    """``title`` shortened to ``keep`` characters, marked as cut ("...": GSM-7 has no "…")."""
    if keep >= len(title):
        return title
    return title[:max(keep - 3, 1)].rstrip() + "..."


def fit(build, title: str, place: str, limit: int = MAX_SEGMENTS) -> str:
    """The longest text ``build(title, place)`` within ``limit`` segments: drop the place, then shorten the title.

    When even a one-character title does not fit (a language whose script is
    long in UCS-2 and a long link) the shortest form is returned as it is:
    it goes in more segments rather than not at all.
    """
    text = build(title, place)
    if segments(text).count <= limit:
        return text
    if place:
        text = build(title, "")
        if segments(text).count <= limit:
            return text
    low, high, best = 1, len(title) - 1, None
    while low <= high:  # the longest cut title that fits
        middle = (low + high) // 2
        candidate = build(_cut(title, middle), "")
        if segments(candidate).count <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best if best is not None else build(_cut(title, 1), "")


def short_date_time(instant: dt.datetime | None, timezone: str, language: str) -> tuple[str, str]:
    """("Mon, Mar 15", "6:00 PM"): the compact CLDR forms, read in the school's zone."""
    if instant is None:
        return "", ""
    local = instant.astimezone(ZoneInfo(timezone))
    return format_skeleton("MMMEd", local, locale=language), format_time(local, "short", locale=language)


class _Blank(dict):
    """Placeholders a text does not fill (a kind added later with its own) read as empty, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def render_sms(kind: str, language: str, *, title: str, starts_at: dt.datetime | None, timezone: str, place: str,
               link: str, values: dict[str, str] | None = None) -> str:
    """The short form of a notification: its translated subject, date and time, place, link.

    The subject line is the e-mail's own (``messages.TEMPLATES``), so a text
    needs no wording of its own in the catalogues; the date goes in it where
    the subject has one, otherwise before the time.
    """
    language = base_language(language)
    _ = catalogue(LOCALES, "messages", language).gettext
    subject_id, _body = TEMPLATES[kind]
    date, time = short_date_time(starts_at, timezone, language)

    def build(shown_title: str, shown_place: str) -> str:
        subject = _(subject_id) % _Blank({**(values or {}), "title": shown_title, "date": date, "time": time})
        when = "" if kind in AFTER_KINDS else time if "%(date)s" in subject_id else f"{date} {time}".strip()
        parts = [subject, when] if when else [subject]
        text = ", ".join(p for p in parts if p)
        if shown_place and kind not in AFTER_KINDS:
            text += ". " + _(PLACE) % {"place": shown_place}
        if (values or {}).get("next_starts"):
            text += ". " + _(NEXT_SESSION) % next_values(values, timezone, language, short_date_time)
        if kind in QUESTIONS:
            text += ". " + _(QUESTIONS[kind])
        return plain(f"{text} {link}".strip())

    return fit(build, plain(title), plain(place))


#: The answers to HELP and START (CTIA requires both): who writes, and how to stop.
SERVICE_TEXTS = {
    "sms_help": _N("%(school)s: texts about school events, from Family Bridge. Reply STOP to stop them, "
                   "START to get them again."),
    "sms_start": _N("%(school)s: you will get texts about school events again. Reply STOP to stop them."),
}


def render_service_text(kind: str, language: str, school: str) -> str:
    """The HELP or START answer in the family's language."""
    _ = catalogue(LOCALES, "messages", base_language(language)).gettext
    return plain(_(SERVICE_TEXTS[kind]) % {"school": school})


# ---------------------------------------------------------------- replies

#: Reply keywords in the served languages (en, es, vi, zh, ar, so, ht), compared after folding (see ``fold``).
#: STOP/START/HELP follow the carriers' (CTIA) lists; YES/NO answer the last question sent to the number.
KEYWORDS: dict[str, frozenset[str]] = {
    "stop": frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout",
                       "parar", "para", "alto", "baja",  # es
                       "dung", "ngung",  # vi (dừng, ngừng)
                       "停止", "退订", "取消订阅",  # zh
                       "توقف", "ايقاف", "الغاء",  # ar (توقف، إيقاف، إلغاء)
                       "jooji", "joojin",  # so
                       "kanpe", "sispann", "rete"}),  # ht
    "start": frozenset({"start", "unstop", "resume",
                        "iniciar", "comenzar", "reanudar",  # es
                        "batdau", "bat dau", "tieptuc",  # vi (bắt đầu, tiếp tục)
                        "开始", "订阅",  # zh
                        "ابدا", "بدء",  # ar (ابدأ)
                        "bilow",  # so
                        "komanse", "rekomanse"}),  # ht
    "help": frozenset({"help", "info",
                       "ayuda",  # es
                       "giup", "tro giup",  # vi (giúp, trợ giúp)
                       "帮助", "幫助",  # zh
                       "مساعدة",  # ar
                       "caawin", "caawimo", "gargaar",  # so
                       "ed", "eden"}),  # ht
    "yes": frozenset({"yes", "y", "1", "yeah", "yep", "ok",
                      "si",  # es (sí)
                      "co", "vang", "da",  # vi (có, vâng, dạ)
                      "是", "是的", "好", "会", "會",  # zh
                      "نعم", "ايوه", "اي",  # ar
                      "haa", "haye",  # so
                      "wi"}),  # ht
    "no": frozenset({"no", "n", "2", "nope",
                     "khong",  # vi (không)
                     "否", "不", "不会", "不會", "不是",  # zh
                     "لا",  # ar
                     "maya", "mayo",  # so
                     "non"}),  # ht
}


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone, one space between words: "¡Sí!" -> "si", "DỪNG" -> "dung"."""
    text = unicodedata.normalize("NFKD", text.strip().casefold().replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() or c.isspace() else " " for c in text)
    return " ".join(text.split())


def keyword(body: str) -> str | None:
    """"stop", "start", "help", "yes" or "no" when the whole reply is one of the keywords, else None.

    The whole reply, not its first word: "no puedo ir porque..." is a message
    for the school, not a bare "no".
    """
    folded = fold(body)
    for meaning, words in KEYWORDS.items():
        if folded in words:
            return meaning
    return None
