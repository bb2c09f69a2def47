"""One validation for the API and the pages: text types, decoder errors that name the field, form decoding.

The JSON API decodes bodies with msgspec through Litestar; the pages build
the same Structs from form fields with :func:`convert`. Both therefore check
the same bounds (lengths, patterns, ranges) declared once on the Struct, and
both turn a decoder error into ``(field, message)`` with :func:`problem`.

Text: every free-text field is :func:`one_line` or :func:`multi_line`.
Control characters are refused in both (a NUL cannot even be stored by
PostgreSQL, and the others only ever come from broken clients or attacks);
tabs and line breaks only in multi-line fields. The rule is a pattern in
the type, so it also shows in the OpenAPI document and a fuzzer respects it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from scheduler.core.errors import T_, InvalidInput, Text

# C0 controls, DEL and C1 controls; MULTI_LINE lets tab, LF and CR through.
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
MULTI_LINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
# In any form field: line breaks and tabs may be typed into a text area, nothing else below space.
FORM_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_IN_ADDRESS = r"[^@\x00-\x20\x7f-\x9f]+"  # no white space, no control characters
EMAIL_PATTERN = rf"^{_NOT_IN_ADDRESS}@{_NOT_IN_ADDRESS}\.{_NOT_IN_ADDRESS}$"
HHMM_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
LANG_PATTERN = r"^[a-z]{2,3}$"
TAG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,59}$"
_PATTERN_MESSAGES = {
    ONE_LINE_PATTERN: T_("must be one line of text without control characters (no tabs, line breaks or NUL)"),
    MULTI_LINE_PATTERN: T_("must be text without control characters (tabs and line breaks are allowed)"),
    EMAIL_PATTERN: T_("is not an e-mail address (name@example.org, without spaces or control characters)"),
    HHMM_PATTERN: T_("is not a time of day; write HH:MM from 00:00 to 24:00"),
    LANG_PATTERN: T_("is not a language code; write a lower-case ISO 639 code such as 'es'"),
    TAG_PATTERN: T_("is not a tag; use lower-case letters, digits and '-', at most 40 characters"),
    SLUG_PATTERN: T_("is not a slug; use 2 to 60 lower-case letters, digits and '-'"),
}
N_ = str  # marks a msgid for the pages' catalogue; it is translated where it is shown
# The decoder's own sentences, kept as the API's English, with a translatable meaning for the pages.
_DECODER_MEANINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Expected `(int|float)`, got `\w+`$"), N_("must be a number")),
    (re.compile(r"^Expected `(int|float)` >= (?P<n>-?[\d.]+)$"), N_("must be at least %(n)s")),
    (re.compile(r"^Expected `(int|float)` <= (?P<n>-?[\d.]+)$"), N_("must be at most %(n)s")),
    (re.compile(r"^Expected `str` of length >= 1$"), N_("must not be empty")),
    (re.compile(r"^Expected `str` of length >= (?P<n>\d+)$"), N_("must be at least %(n)s characters long")),
    (re.compile(r"^Expected `str` of length <= (?P<n>\d+)$"), N_("must be at most %(n)s characters long")),
    (re.compile(r"^Expected `array` of length <= (?P<n>\d+)$"), N_("at most %(n)s may be chosen")),
    (re.compile(r"^Object missing required field"), N_("is required")),
    (re.compile(r"^Invalid enum value"), N_("is not one of the choices")),
    (re.compile(r"^Expected `date`"), N_("must be a date (YYYY-MM-DD)")),
)



def one_line(max_length: int, min_length: int = 1, description: str | None = None) -> Any:
    """A single line of text: a name, a title, an address."""
    return Annotated[str, Meta(min_length=min_length, max_length=max_length, pattern=ONE_LINE_PATTERN,
                               description=description)]


def multi_line(max_length: int, min_length: int = 0, description: str | None = None) -> Any:
    """Free text that may span lines: a description, a note."""
    return Annotated[str, Meta(min_length=min_length, max_length=max_length, pattern=MULTI_LINE_PATTERN,
                               description=description)]


Email = Annotated[str, Meta(pattern=EMAIL_PATTERN, max_length=254, description="an e-mail address")]
HHMM = Annotated[str, Meta(pattern=HHMM_PATTERN, description="local time of day, HH:MM (24:00 allowed as an end)")]
LangCode = Annotated[str, Meta(pattern=LANG_PATTERN, description="lower-case ISO 639 code, e.g. es")]
Tag = Annotated[str, Meta(pattern=TAG_PATTERN, description="lower-case letters, digits and '-'")]
Slug = Annotated[str, Meta(pattern=SLUG_PATTERN, description="the school's short name in addresses")]
LocalDateTime = one_line(40, description="local wall-clock time in the school's zone, YYYY-MM-DDTHH:MM")
AgeBand = one_line(16, description="infant, toddler, preschool or school-age")  # the services name a wrong band


# msgspec: "Object missing required field `title` - at `$.events[0]`"
_AT = re.compile(r" - at `\$([^`]*)`$")
_NAMED_KEY = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]*)`")
_REGEX = re.compile(r"^Expected `str` matching regex '(.*)'$")


def _join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}.{key}" if key and not key.startswith("[") else f"{path}{key}"


def problem(message: str, base: str = "") -> tuple[str, str]:
    """A decoder message -> (field, message), the field named as a client would write it.

    ``base`` is where the decoded value sits (a query parameter's name; empty
    for a body). ``$.weekly[1].end`` becomes ``weekly[1].end``; a missing or
    unknown key is named itself (``title``, ``[0].staff``) rather than the
    object that lacks or carries it; a text pattern gets its plain-words rule.
    """
    path = ""
    at = _AT.search(message)
    if at:
        message, path = message[: at.start()], at.group(1).removeprefix(".")
    field = _join(base, path)
    named = _NAMED_KEY.match(message)
    if named:
        field = _join(field, named.group(1))
    regex = _REGEX.match(message)
    if regex:
        pattern = regex.group(1).encode().decode("unicode_escape")
        return field, _PATTERN_MESSAGES.get(pattern, message)
    for decoder, meaning in _DECODER_MEANINGS:
        match = decoder.match(message)
        if match:
            return field, Text(meaning, english=message, **match.groupdict())
    return field, message


T = TypeVar("T")


def convert(kind: type[T], data: Mapping[str, Any], field: Callable[[str], str] | None = None) -> T:
    """Build a Struct from a form (or any mapping) with every bound of its type checked.

    Calling the Struct directly skips ``Meta`` bounds, which is how a page
    once stored a 5,000-character child name that the API refuses. ``field``
    names a problem's field as the page does (a table row's ``start3``).
    """
    try:
        return msgspec.convert(dict(data), kind, strict=False)
    except msgspec.ValidationError as exc:
        name, message = problem(str(exc))
        raise InvalidInput([(field(name) if field else name, message)]) from None


# ---------------------------------------------------------------- JSON nesting

MAX_JSON_DEPTH = 32  # our deepest body nests 3 levels; the decoders recurse and fail near 1,000
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nests_deeper(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when a JSON text nests arrays and objects more than ``limit`` deep (brackets in strings do not count).

    Cheap for every ordinary body: with no more opening brackets than the
    limit it cannot nest deeper, and counting them is all it costs. Only a
    body with many brackets has its strings removed and its brackets walked.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b'""', body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False
