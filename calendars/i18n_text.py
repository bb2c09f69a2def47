"""The few sentences a calendar feed writes on its own, in the seven languages of the pages.

Feeds are read in families' calendar apps, far from our web pages and their
translation machinery, so the two generated sentences of an event description
(which languages are interpreted, whether childcare is offered) live here as
plain data; language names come from the one table (``scheduler.core.languages``,
CLDR), so every language an event offers is named, in the reader's language.
The output is a deterministic function of the language.

Unknown languages fall back to English; a regional tag such as ``es-MX`` uses
its base language ``es``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from scheduler.core.languages import language_label

DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "zh", "vi", "ar", "so", "ht")

#: "Interpretation is available in: {languages}."
_INTERPRETED: dict[str, str] = {
    "en": "Interpretation available in: {languages}.",
    "es": "Habrá interpretación en: {languages}.",
    "zh": "提供以下语言的口译：{languages}。",
    "vi": "Có phiên dịch bằng: {languages}.",
    "ar": "تتوفر الترجمة الفورية باللغات: {languages}.",
    "so": "Turjumaan waa la heli karaa: {languages}.",
    "ht": "Gen entèprèt nan: {languages}.",
}

_LIST_SEPARATOR: dict[str, str] = {"en": ", ", "es": ", ", "zh": "、", "vi": ", ", "ar": "، ", "so": ", ", "ht": ", "}

_CHILDCARE: dict[bool, dict[str, str]] = {
    True: {
        "en": "Childcare is offered.",
        "es": "Se ofrece cuidado de niños.",
        "zh": "提供儿童看护。",
        "vi": "Có dịch vụ giữ trẻ.",
        "ar": "تتوفر رعاية الأطفال.",
        "so": "Daryeelka carruurta waa la bixiyaa.",
        "ht": "Gen gadri pou timoun yo.",
    },
    False: {
        "en": "No childcare is offered.",
        "es": "No se ofrece cuidado de niños.",
        "zh": "不提供儿童看护。",
        "vi": "Không có dịch vụ giữ trẻ.",
        "ar": "لا تتوفر رعاية الأطفال.",
        "so": "Daryeelka carruurta lama bixiyo.",
        "ht": "Pa gen gadri pou timoun yo.",
    },
}


@lru_cache(maxsize=512)
def base_language(language: str) -> str:
    """``es-MX`` -> ``es``; lower-cased so lookups do not depend on tag case."""
    return language.replace("_", "-").split("-", 1)[0].lower()


def _lang(language: str) -> str:
    base = base_language(language)
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


# Languages whose names CLDR writes capitalised but a sentence writes in lower case.
_LOWER_IN_SENTENCE = frozenset({"vi"})


def language_name(code: str, language: str) -> str:
    """Name of language ``code`` written in ``language`` (CLDR), as it reads inside a sentence."""
    lang = _lang(language)
    name = language_label(base_language(code), lang)
    return name[:1].lower() + name[1:] if lang in _LOWER_IN_SENTENCE else name


def interpreted_sentence(codes: Iterable[str], language: str) -> str | None:
    """The interpretation sentence, or None when nothing is interpreted.

    The order of ``codes`` is kept (the caller sorts), so output is stable.
    """
    codes = list(codes)
    if not codes:
        return None
    lang = _lang(language)
    names = _LIST_SEPARATOR[lang].join(language_name(c, lang) for c in codes)
    return _INTERPRETED[lang].format(languages=names)


def childcare_sentence(offered: bool, language: str) -> str:
    """Whether childcare is offered, in ``language`` (English fallback)."""
    return _CHILDCARE[offered][_lang(language)]
