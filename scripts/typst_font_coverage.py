"""Write handcalc/sheets/fonts/typst-fonts.txt: the characters the fonts built into typst cover.

The `typst` Python package embeds its fonts (Libertinus Serif, New Computer Modern, New
Computer Modern Math, DejaVu Sans Mono) in its native library, where they lie as plain
OpenType files. This script finds them there, checks that it found exactly the faces
that ``typst.Fonts(include_system_fonts=False)`` lists, and writes the union of their
cmaps as ranges of code points. Run it after upgrading typst:

    python scripts/typst_font_coverage.py

(tests/test_fonts.py fails while the committed file differs from what the installed typst
embeds.) Needs only handcalc and typst.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

from handcalc.sheets.fonts import BUILTIN_COVERAGE, format_ranges
from handcalc.sheets.fonts.sfnt import SFNT_TAGS, FontFileError, face_coverage, family_name, tables

HEAD_MAGIC = 0x5F0F3CF5


def embedded_fonts(blob: bytes) -> dict[tuple[str, bytes], bytes]:
    """The OpenType fonts lying whole in `blob`, keyed by (family, head table bytes) so that
    a font embedded twice counts once."""
    found: dict[tuple[str, bytes], bytes] = {}
    for tag in SFNT_TAGS:
        at = blob.find(tag)
        while at != -1:
            font = _font_at(blob, at)
            if font is not None:
                head = tables(font)[b"head"]
                found.setdefault((family_name(font) or "?", font[head[0]:head[0] + 54]), font)
            at = blob.find(tag, at + 1)
    return found


def _font_at(blob: bytes, at: int) -> bytes | None:
    """The font whose table directory starts at `at`, or None when there is none."""
    try:
        count = struct.unpack_from(">H", blob, at + 4)[0]
        if not 4 <= count <= 64:
            return None
        end = 0
        entries = {}
        for i in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", blob, at + 12 + 16 * i)
            if not all(32 <= b < 127 for b in tag):
                return None
            entries[tag] = offset
            end = max(end, offset + length)
        if b"cmap" not in entries or b"head" not in entries or at + end > len(blob):
            return None
        font = blob[at:at + end]
        if struct.unpack_from(">I", font, entries[b"head"] + 12)[0] != HEAD_MAGIC:
            return None
        tables(font)
        return font
    except (struct.error, FontFileError):
        return None


def typst_coverage() -> tuple[str, set[int]]:
    """The installed typst's version and the union of its embedded fonts' coverage."""
    from importlib.metadata import version

    import typst

    library = next(Path(typst.__file__).parent.glob("_typst*"))
    fonts = embedded_fonts(library.read_bytes())
    listed = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True).fonts()
    want = sorted({_letters(f.family) for f in listed})  # typst renames NewComputerModern10
    got = sorted({_letters(family) for family, _ in fonts})
    if want != got or len(fonts) != len(listed):
        raise SystemExit(f"typst lists {len(listed)} faces of {want}; found {len(fonts)} of "
                         f"{got} in {library.name}")
    covered: set[int] = set()
    for font in fonts.values():
        covered |= face_coverage(font)
    return version("typst"), covered


def _letters(family: str) -> str:
    return "".join(ch for ch in family.lower() if ch.isalpha())


def coverage_file(typst_version: str, families: Iterable[str], covered: set[int]) -> str:
    """The text of typst-fonts.txt."""
    return (f"# Characters covered by the fonts built into typst {typst_version}: "
            f"{', '.join(sorted(families))}.\n"
            "# Written by scripts/typst_font_coverage.py; one range of code points a line.\n"
            + format_ranges(covered))


def main() -> None:
    import typst

    typst_version, covered = typst_coverage()
    families = {f.family for f in typst.Fonts(include_system_fonts=False).fonts()}
    BUILTIN_COVERAGE.write_text(coverage_file(typst_version, families, covered),
                                encoding="utf-8")
    print(f"{BUILTIN_COVERAGE}: {len(covered)} characters")


if __name__ == "__main__":
    main()
