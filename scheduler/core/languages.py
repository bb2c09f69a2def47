"""ISO 639 language codes the service accepts, and names people read: the one table of languages.

English names for messages and logs are :data:`NAMES`; a name in the
reader's own language comes from CLDR (:func:`language_label`), falling back
to the English name for the codes CLDR lacks (Dari, Karen, Chuukese ...).
The engine, the conference solver, the feeds and the pages all ask here.

Codes are validated against ISO 639-1 (two letters) plus the ISO 639-2/3
codes schools meet in practice that have no two-letter form (Hmong,
Karen, Chuukese ...): a typo like ``"sp"`` must be refused at input time,
not discovered when no interpreter ever matches.
"""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError

ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch
    co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd
    gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka
    kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi
    mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl
    ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw
    ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu""".split()
)
THREE_LETTER = frozenset({"hmn", "kar", "chk", "mah", "yue", "cmn", "prs", "mam", "quc", "fil", "ceb", "ilo"})

NAMES = {
    "en": "English", "es": "Spanish", "zh": "Chinese", "vi": "Vietnamese",
    "ar": "Arabic", "so": "Somali", "ht": "Haitian Creole", "ru": "Russian",
    "pt": "Portuguese", "fr": "French", "ko": "Korean", "tl": "Tagalog",
    "hmn": "Hmong", "ne": "Nepali", "sw": "Swahili", "am": "Amharic",
    "uk": "Ukrainian", "fa": "Persian", "ps": "Pashto", "ur": "Urdu",
    "hi": "Hindi", "bn": "Bengali", "my": "Burmese", "kar": "Karen",
    "km": "Khmer", "lo": "Lao", "ti": "Tigrinya", "pl": "Polish",
    "yue": "Cantonese", "prs": "Dari", "ja": "Japanese", "de": "German",
}

# The language events are held in; anyone else needs an interpreter.
INSTRUCTION_LANGUAGE = "en"

_CODE = re.compile(r"^[a-z]{2,3}$")


def is_language_code(code: str) -> bool:
    """True for a lower-case ISO 639 code the service knows."""
    return bool(_CODE.match(code)) and (code in ISO_639_1 or code in THREE_LETTER)


def language_name(code: str) -> str:
    """An English name for messages; the code itself when no name is known."""
    return NAMES.get(code, code)


@functools.cache
def _cldr_names(reader: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(reader).languages)
    except (ValueError, UnknownLocaleError):
        return {}


def language_label(code: str, reader: str) -> str:
    """The name of language ``code`` written in language ``reader`` ("vietnamita" for vi in Spanish)."""
    return _cldr_names(reader).get(code) or language_name(code)
