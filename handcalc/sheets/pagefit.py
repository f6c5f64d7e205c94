"""Upper bounds on the printed height of a worksheet's pieces, in points, from their data.

A printed exercise stays on one page when it fits on one. Typst can tell by measuring
the exercise, but measuring lays it out a second time, which tripled the compile time of
a class set. Most exercises are far shorter than a page, and a generous bound on their
height, worked out here from what they hold (lines of text, rows of matrices, answer
boxes, rows of a heatmap), says so without measuring: ``handcalc.sheets.typeset`` keeps a piece
whose bound is at most a page together at once and measures only the rest. A bound too
high only costs a measurement; a bound too low could push a piece past the page's foot,
so tests/test_pagefit.py measures real pieces of every family in Typst and checks that
each bound is above its piece's height.

The sizes follow typeset's preamble (10.5 pt text, its block spacings, answer boxes of
1.55 cm x 0.8 cm with 5 pt gaps, heatmap rows of 0.9 cm), each rounded up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

EM = 10.5  # pt: the text size
CM = 72 / 2.54  # pt per cm
PAGE_HEIGHT = 25.6 * CM  # typst_blocks.PAGE_HEIGHT
LINE = 1.9 * EM  # a line of text (1.3 em apart), room for an inline fraction
SPACE = 1.3 * EM  # between two blocks (Typst's 1.2em, and a little)
TEXT_EM = 47.0  # the text width (17.4 cm) in em
PROMPT_EM = 38.0  # a part's prompt, beside its number and points
LABEL_EM = 20.0  # a key label's column (at most 7.5 cm)
VALUE_EM = 28.0  # a key value's column, at the least
ROW = 1.6 * EM  # a matrix row of numbers in display math (1.5 em)
TALL_ROW = 2.4 * EM  # a matrix row that holds a fraction, a root or a power (1.8 em)
BOX_H = 0.8 * CM  # an answer box
GAP = 5.0  # between answer boxes
HEAT_ROW = 0.9 * CM

_MARKUP = re.compile(r'#"|"|\$|#[a-z]+\(|[\[\]*]')
# a symbol's name in math, printed as one glyph (at most 1.1 em, counted as two characters)
_SYMBOL = re.compile(r"\b(?:times|dot|sigma|infinity|sum|tilde|hat|epsilon|alpha|beta|gamma|"
                     r"lambda|mu|partial|theta|delta|Delta|pi|approx|arrow|eq\.not|gt\.eq|"
                     r"lt\.eq)\b")
_WIDE = re.compile(r"[\u1100-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def text_em(markup: str) -> float:
    """The width of a text at most, in em: a Chinese character (or a full-width one) is
    1 em wide, any other at most 0.6 em; markup's own characters (but for quotes and
    dollars) are counted too, a symbol's name in math as two."""
    plain = _MARKUP.sub("", _SYMBOL.sub("xx", markup))
    wide = len(_WIDE.findall(plain))
    return wide + 0.6 * (len(plain) - wide)


def lines(markup: str, width_em: float) -> int:
    """Lines a text wraps to at most (a line breaks early by up to a word, so a line
    holds 85% of its width)."""
    return max(1, math.ceil(text_em(markup) / (0.85 * width_em)))


def tall(entries: Sequence[str]) -> bool:
    """Whether math entries may stand taller than a line of numbers."""
    return any(c in e for e in entries for c in "/^_") or any("sqrt" in e for e in entries)


def matrix(cells: Sequence[Sequence[str]]) -> float:
    """A matrix (or one value) in display math."""
    return sum(TALL_ROW if tall(r) else ROW for r in cells) + 0.3 * EM


def matrix_em(name: str, cells: Sequence[Sequence[str]]) -> float:
    """The width of `name = matrix` in em, at most."""
    cols = max(len(r) for r in cells)
    widest = max((text_em(c) for r in cells for c in r), default=1.0)
    return text_em(name) + 3 + cols * (widest + 1.0) + 2


def given(named: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> float:
    """Given matrices side by side, a new line when the next does not fit."""
    if not named:
        return 0.0
    height, line_h, used = 0.0, 0.0, 0.0
    for name, cells in named:
        w = matrix_em(name, cells) + 1.6
        if used and used + w > TEXT_EM - 2.2:
            height, line_h, used = height + line_h, 0.0, 0.0
        used += w
        line_h = max(line_h, matrix(cells) + 0.4 * EM)
    return height + line_h + 1.6 * EM


def head(title: str, statement: str,
         named: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> float:
    """An exercise's heading, statement and given data."""
    heading = 2.0 * EM + 2 + 1.8 * EM * lines(title, TEXT_EM - 14)
    return heading + lines(statement, TEXT_EM) * LINE + SPACE + given(named)


def part_head(prompt: str) -> float:
    return 1.4 * EM + lines(prompt, PROMPT_EM) * LINE


def answer_area(r: int, c: int) -> float:
    """typeset's answer area: one box, or a grid of boxes in brackets."""
    return BOX_H if (r, c) == (1, 1) else r * BOX_H + (r - 1) * GAP + 8


WIDE_ANSWER = 5  # more answer boxes in a row than this: the room to work goes above them


def sheet_part(prompt: str, shape: Sequence[int], room_pt: float = 0.0) -> float:
    """A part on the student sheet: its prompt, then its answer area (beside room to work
    `room_pt` high, if any; above a row wider than WIDE_ANSWER boxes)."""
    if room_pt and shape[1] > WIDE_ANSWER:
        return part_head(prompt) + room_pt + 6 + answer_area(*shape) + 1.1 * EM
    return part_head(prompt) + max(room_pt, answer_area(*shape)) + 1.1 * EM


def key_row(label: str, value_h: float) -> float:
    """A row of a key's steps: the label (wrapping in its column) and the value."""
    return max(lines(label, LABEL_EM) * LINE, value_h) + 6


def exact_entries(entries: Sequence[Sequence[str]], per_row: int) -> float:
    """Exact entries in a grid `per_row` to a row, each a run of boxed terms (the lines of
    an entry) that wrap in their cell."""
    rows = [entries[i:i + per_row] for i in range(0, len(entries), per_row)]
    cell_em = VALUE_EM / per_row
    return sum(max(sum(lines(t, cell_em) * TALL_ROW for t in e) for e in r) + 7
               for r in rows)


def heatmap(rows: int) -> float:
    return (rows + 1) * HEAT_ROW + 2


def key_part(prompt: str, rows: Sequence[float]) -> float:
    """A part of the key: its prompt and its rows (key_row)."""
    return part_head(prompt) + sum(rows) + SPACE


def keeps_whole(height: float) -> bool:
    """Whether a key's piece this high is kept on one page: up to a third of a page (a
    taller one may break between its rows rather than leave most of a page empty)."""
    return height <= PAGE_HEIGHT / 3


def fits(height: float) -> bool:
    """Whether a piece of this bound surely fits on a page."""
    return height <= PAGE_HEIGHT
