"""The fonts a PDF may use, and the check that they cover every character of a document.

Typst draws a character that no font has as an empty box and says nothing; handcalc checks
first and refuses instead (``MissingGlyphs``, exit 2, nothing written). The fonts are
those built into typst (their coverage is recorded in ``typst-fonts.txt``, written by
scripts/typst_font_coverage.py), the CJK font shipped in this folder (Regular and Bold
subsets of Noto Sans CJK SC covering GBK, Big5 and
the CJK Unified Ideographs block, built by scripts/build_cjk_font.py; see
README.md here) and
the fonts in any folder given with ``--font-dir``, whose cmaps are read with
``handcalc.sheets.fonts.sfnt`` (a character counts only when its glyph exists and has an
outline; a collection whose header claims more faces than the file holds is refused, exit
2, before typst sees it). System fonts are never used, so a document gives the same bytes
on every machine.

A character counts as covered when some font maps it to a glyph: typst falls back to any
of its fonts for a character the chosen font lacks. Default-ignorable characters (zero
width joiners, variation selectors, soft hyphens ...) and line and paragraph separators
need no glyph: typst draws nothing for them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

from handcalc.errors import HandcalcError, MissingGlyphs
from handcalc.io.terminal import safe_text

FONT_DIR = Path(__file__).resolve().parent
CJK_FAMILY = "Noto Sans SC Handcalc"
CJK_FONT = FONT_DIR / "NotoSansSC-Handcalc.otf"  # the Regular face; Bold covers the same
BUILTIN_COVERAGE = FONT_DIR / "typst-fonts.txt"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")  # what typst loads from a font folder
MAX_NAMED = 10  # characters named in one error message

# Unicode 15.1 Default_Ignorable_Code_Point, and U+2028/U+2029 (line, paragraph separator)
NO_GLYPH_NEEDED = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


def format_ranges(points: Iterable[int]) -> str:
    """Code points as lines 'XXXX' or 'XXXX-YYYY' (hex, inclusive), in order."""
    lines = []
    run: list[int] = []
    for p in sorted(set(points)):
        if run and p == run[1] + 1:
            run[1] = p
            continue
        if run:
            lines.append(_range_line(*run))
        run = [p, p]
    if run:
        lines.append(_range_line(*run))
    return "".join(line + "\n" for line in lines)


def _range_line(lo: int, hi: int) -> str:
    return f"{lo:04X}" if lo == hi else f"{lo:04X}-{hi:04X}"


def parse_ranges(text: str) -> set[int]:
    """The code points of format_ranges text ('#' starts a comment line)."""
    out: set[int] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lo, _, hi = line.partition("-")
        out.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    return out


@functools.cache
def builtin_coverage() -> frozenset[int]:
    """The characters the fonts built into typst cover (from typst-fonts.txt)."""
    return frozenset(parse_ranges(BUILTIN_COVERAGE.read_text(encoding="utf-8")))


@functools.cache
def file_coverage(path: Path) -> frozenset[int]:
    """The characters the fonts of one file cover (every face of a collection); nothing
    for a file that is not a font this reader understands (typst skips those too)."""
    from handcalc.sheets.fonts.sfnt import (
        BrokenCollection,
        FontFileError,
        face_coverage,
        face_offsets,
    )

    try:
        data = path.read_bytes()
        covered: set[int] = set()
        for face in face_offsets(data):
            covered |= face_coverage(data, face)
    except BrokenCollection as e:  # typst would stall minutes on it, for every PDF
        raise HandcalcError(f"{safe_text(path)}: {e}; remove it from the font folder"
                            ) from None
    except (OSError, FontFileError):
        return frozenset()
    return frozenset(covered)


@functools.cache
def cjk_coverage() -> frozenset[int]:
    """The characters that fall back to the shipped CJK font: those it covers and typst's
    own fonts do not."""
    return file_coverage(CJK_FONT) - builtin_coverage()


def uses_cjk(texts: Iterable[str]) -> bool:
    """Whether some character of `texts` is drawn with the shipped CJK font."""
    cjk = cjk_coverage()
    return any(ord(ch) in cjk for text in texts for ch in set(text))


def font_files(folder: Path) -> list[Path]:
    """The font files typst loads from a folder (and its subfolders), in a stable order."""
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in FONT_SUFFIXES and p.is_file())


def font_folders(extra: Sequence[str | PathLike[str]] = ()) -> list[Path]:
    """The folders to give typst: the shipped fonts, then `extra` (--font-dir); a name in
    `extra` that is not a folder is refused."""
    for folder in extra:
        if not Path(folder).is_dir():
            what = "not a folder" if Path(folder).exists() else "no such folder"
            raise HandcalcError(f"--font-dir {folder}: {what}")
    return [FONT_DIR, *(Path(p) for p in extra)]


def coverage(extra: Sequence[str | PathLike[str]] = ()) -> frozenset[int]:
    """Every character some font covers: typst's own, the shipped ones and `extra`'s."""
    covered = set(builtin_coverage())
    for folder in font_folders(extra):
        for path in font_files(folder):
            covered |= file_coverage(path.resolve())
    return frozenset(covered)


def needs_glyph(ch: str) -> bool:
    """Whether a character is drawn with a glyph (ASCII controls and the default-ignorable
    characters are not)."""
    c = ord(ch)
    if c < 0x20 or c == 0x7F:
        return False
    return not any(lo <= c <= hi for lo, hi in NO_GLYPH_NEEDED)


def uncovered(texts: Iterable[tuple[str, str]],
              covered: frozenset[int] | set[int]) -> dict[str, str]:
    """The characters of `texts` ((where, text) pairs) that no font covers, each with the
    first place it occurs, in the order found."""
    missing: dict[str, str] = {}
    for where, text in texts:
        bad = [ch for ch in set(text) - missing.keys()
               if ord(ch) not in covered and needs_glyph(ch)]
        for ch in sorted(bad, key=text.index):
            missing[ch] = where
    return missing


def describe(missing: dict[str, str]) -> str:
    """One line naming the characters and where they are."""
    shown = list(missing.items())[:MAX_NAMED]
    parts = [f"{ch} (U+{ord(ch):04X}) in {where}" for ch, where in shown]
    more = len(missing) - len(shown)
    tail = f" and {more} more" if more else ""
    return (f"no font covers {', '.join(parts)}{tail}; the PDF would show empty boxes. "
            "Use other characters, or give a folder of fonts that have them with --font-dir")


def check_coverage(texts: Iterable[tuple[str, str]],
                   extra: Sequence[str | PathLike[str]] = ()) -> None:
    """Raise MissingGlyphs naming every character of `texts` ((where, text) pairs) that no
    font covers: typst's own fonts, the shipped ones, and those in the folders `extra`."""
    missing = uncovered(texts, coverage(extra))
    if missing:
        raise MissingGlyphs(describe(missing), missing)
