"""Gettext catalogues and language choice, shared by e-mails and web pages.

Catalogues are ``.po`` files compiled in memory when first used (Babel's
``write_mo``) rather than committed ``.mo`` binaries that drift from their
source. English is the msgids themselves.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "es", "zh", "vi", "ar", "so", "ht")
RTL = frozenset({"ar", "fa", "he", "ur"})


def base_language(language: str | None) -> str:
    """``es-MX`` -> ``es``; languages we have no catalogue for read English."""
    base = (language or "en").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


def direction(language: str) -> str:
    return "rtl" if base_language(language) in RTL else "ltr"


@functools.cache
def catalogue(folder: Path, domain: str, language: str) -> NullTranslations:
    """The compiled ``<folder>/<language>/LC_MESSAGES/<domain>.po`` (English: the msgids)."""
    if language == "en":
        return NullTranslations()
    po = folder / language / "LC_MESSAGES" / f"{domain}.po"
    if not po.exists():  # an install that left the .po files out: say so once, show English
        logging.getLogger("family_bridge.i18n").warning("no %s catalogue for %s; showing English", domain, language)
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def from_accept_language(header: str | None) -> str | None:
    """The first language of ``Accept-Language`` (by q-value) that we have, else None."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            choices.append((-quality, index, tag))
    for _, _, tag in sorted(choices):
        try:
            language = Locale.parse(tag, sep="-").language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LANGUAGES:
            return language
    return None
