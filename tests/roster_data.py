"""The roster fixture bundles (tests/data/roster) and variants of them, for unit and integration tests."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

LINCOLN = Path(__file__).parent / "data" / "roster" / "lincoln"
SIMPLE = Path(__file__).parent / "data" / "roster" / "simple.csv"


def files(**edits: tuple[str, str] | list[tuple[str, str]] | bytes | None) -> dict[str, bytes]:
    """The Lincoln bundle's files, with ``name=(old, new)`` text replacements, whole new bytes, or None to drop.

    File names are given without ``.csv`` (``users=("G1,", "G9,")``).
    """
    out = {p.name: p.read_bytes() for p in sorted(LINCOLN.iterdir())}
    for name, edit in edits.items():
        key = f"{name}.csv"
        if edit is None:
            del out[key]
        elif isinstance(edit, bytes):
            out[key] = edit
        else:
            text = out[key].decode()
            for old, new in edit if isinstance(edit, list) else [edit]:
                assert old in text, f"{old!r} is not in {key}"
                text = text.replace(old, new)
            out[key] = text.encode()
    return out


def zipped(bundle: dict[str, bytes], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in bundle.items():
            archive.writestr(f"{folder}{name}", data)
    return buffer.getvalue()


def write(bundle: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in bundle.items():
        (folder / name).write_bytes(data)
    return folder
