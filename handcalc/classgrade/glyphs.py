"""Learners' text that no font can draw, in the class workflow's PDFs.

A learner's name or answer is data: it never stops a report. A character of it that no
font covers (an emoji, a CJK Extension B character; the shipped font covers the whole CJK
basic block) is printed as its code point in brackets, ``[U+1F600]``, visible and legible,
and each learner whose rows hold one gets one warning line on stderr (naming the
first such line). The teacher's own
text (the spec's and the file's names) is still checked by
``handcalc.sheets.fonts.check_coverage`` and refused when a font is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any


@dataclass(frozen=True)
class Unprintable:
    """The characters of learners' text that no font covers, and where they are: one
    (first line, learner, characters) per learner whose rows hold some."""

    chars: frozenset[str] = frozenset()
    where: tuple[tuple[int, str, str], ...] = ()


def shown(ch: str) -> str:
    """How a character no font has is printed: its code point in brackets."""
    return f"[U+{ord(ch):04X}]"


def replace(text: str, chars: Iterable[str]) -> str:
    """`text` with each of `chars` printed as shown()."""
    for ch in chars:
        if ch in text:
            text = text.replace(ch, shown(ch))
    return text


def teacher_texts(report: Any) -> list[tuple[str, str]]:
    """The texts of a class PDF that are the teacher's own: the names of the spec and of
    the submissions file (a character of them with no font refuses the PDF)."""
    out = [("the submissions file's name", report.source)]
    if report.assignment is not None:
        out.append(("--spec", report.assignment.name))
    return out


def learner_texts(report: Any) -> list[tuple[int, str, str]]:
    """(line, learner, text) of every row of a class report: the learner's name and what
    they typed, graded or not."""
    out = [(g.row.line, g.row.learner, f"{g.row.learner}\n{g.row.text}")
           for g in report.rows]
    out += [(i.line, i.learner, "\n".join((i.learner, i.code, i.part, i.answer, i.reason)))
            for i in report.invalid]
    return out


def find_unprintable(report: Any,
                     font_dirs: Sequence[str | PathLike[str]] = ()) -> Unprintable:
    """The characters of the learners' text of `report` that no font covers (typst's own,
    the shipped CJK font and those in `font_dirs`)."""
    from handcalc.sheets.fonts import coverage, needs_glyph

    covered = coverage(font_dirs)
    chars: set[str] = set()
    found: dict[str, tuple[int, str]] = {}  # learner -> (first line, characters)
    for line, learner, text in learner_texts(report):
        bad = sorted((ch for ch in set(text) if ord(ch) not in covered and needs_glyph(ch)),
                     key=text.index)
        if bad:
            chars.update(bad)
            first, seen = found.get(learner, (line, ""))
            found[learner] = (min(first, line), seen + "".join(c for c in bad if c not in seen))
    where = sorted((line, learner, seen) for learner, (line, seen) in found.items())
    return Unprintable(frozenset(chars), tuple(where))
