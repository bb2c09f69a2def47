"""Every page string is translated in every language, with the same placeholders."""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from scheduler.web.i18n import LOCALES

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


@pytest.mark.parametrize("language", ["es", "zh", "vi", "ar", "so", "ht"])
def test_catalogue_is_complete_and_keeps_placeholders(language: str) -> None:
    template = read_po((LOCALES / "web.pot").open("rb"))
    catalogue = read_po((LOCALES / language / "LC_MESSAGES" / "web.po").open("rb"), locale=language)
    wanted = {m.id for m in template if m.id}
    have = {m.id: m for m in catalogue if m.id}
    assert wanted <= set(have), f"untranslated in {language}: {sorted(map(str, wanted - set(have)))[:5]}"
    for msgid in wanted:
        message = have[msgid]
        expected = sorted(PLACEHOLDER.findall(_ids(message)[-1]))
        for text in _strings(message):
            assert text, f"{language}: empty translation of {msgid!r}"
            found = sorted(PLACEHOLDER.findall(text))
            if message.pluralizable:  # a form for exactly one or two may say the number in words
                assert set(found) <= set(expected), f"{language}: unknown placeholder in {msgid!r}"
            else:
                assert found == expected, f"{language}: placeholders differ in {msgid!r}"
    write_mo(io.BytesIO(), catalogue)  # compiles


def test_the_template_holds_every_string_the_pages_show(tmp_path) -> None:
    """Extracting again finds no msgid missing from web.pot: a string added without it would show in English."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    pybabel = shutil.which("pybabel", path=os.path.dirname(sys.executable)) or "pybabel"
    fresh = tmp_path / "fresh.pot"
    subprocess.run([pybabel, "extract", "-F", "scheduler/web/babel.cfg", "-k", "N_", "-k", "T_", "--no-location",
                    "--omit-header", "-o", str(fresh), "."], cwd=root, check=True, capture_output=True)
    wanted = {_ids(m)[0] for m in read_po(fresh.open("rb")) if m.id}
    have = {_ids(m)[0] for m in read_po((LOCALES / "web.pot").open("rb")) if m.id}
    assert wanted - have == set(), f"run pybabel extract (see babel.cfg): {sorted(wanted - have)[:5]}"
