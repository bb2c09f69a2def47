"""The few sentences a calendar feed writes on its own, in five languages.

Feeds are read in families' calendar apps, far from our web pages and their
translation machinery, so the two generated sentences of an event description
(which languages are interpreted, whether childcare is offered) live here as
plain data. Keeping them in a tiny pure module keeps `feeds.py` free of any
i18n framework and makes the output a deterministic function of the language.

Unknown languages fall back to English; a regional tag such as ``es-MX`` uses
its base language ``es``.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "zh", "vi", "ar")

#: Language names as written in each feed language (keys are ISO 639-1 codes).
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {"en": "English", "es": "Spanish", "zh": "Chinese", "vi": "Vietnamese", "ar": "Arabic"},
    "es": {"en": "inglés", "es": "español", "zh": "chino", "vi": "vietnamita", "ar": "árabe"},
    "zh": {"en": "英语", "es": "西班牙语", "zh": "中文", "vi": "越南语", "ar": "阿拉伯语"},
    "vi": {
        "en": "tiếng Anh",
        "es": "tiếng Tây Ban Nha",
        "zh": "tiếng Trung",
        "vi": "tiếng Việt",
        "ar": "tiếng Ả Rập",
    },
    "ar": {"en": "الإنجليزية", "es": "الإسبانية", "zh": "الصينية", "vi": "الفيتنامية", "ar": "العربية"},
}

#: "Interpretation is available in: {languages}."
_INTERPRETED: dict[str, str] = {
    "en": "Interpretation available in: {languages}.",
    "es": "Habrá interpretación en: {languages}.",
    "zh": "提供以下语言的口译：{languages}。",
    "vi": "Có phiên dịch bằng: {languages}.",
    "ar": "تتوفر الترجمة الفورية باللغات: {languages}.",
}

_LIST_SEPARATOR: dict[str, str] = {"en": ", ", "es": ", ", "zh": "、", "vi": ", ", "ar": "، "}

_CHILDCARE: dict[bool, dict[str, str]] = {
    True: {
        "en": "Childcare is offered.",
        "es": "Se ofrece cuidado de niños.",
        "zh": "提供儿童看护。",
        "vi": "Có dịch vụ giữ trẻ.",
        "ar": "تتوفر رعاية الأطفال.",
    },
    False: {
        "en": "No childcare is offered.",
        "es": "No se ofrece cuidado de niños.",
        "zh": "不提供儿童看护。",
        "vi": "Không có dịch vụ giữ trẻ.",
        "ar": "لا تتوفر رعاية الأطفال.",
    },
}


def base_language(language: str) -> str:
    """``es-MX`` -> ``es``; lower-cased so lookups do not depend on tag case."""
    return language.replace("_", "-").split("-", 1)[0].lower()


def _lang(language: str) -> str:
    base = base_language(language)
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def language_name(code: str, language: str) -> str:
    """Name of language ``code`` written in ``language``; the code itself if unknown."""
    return LANGUAGE_NAMES[_lang(language)].get(base_language(code), code)


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
