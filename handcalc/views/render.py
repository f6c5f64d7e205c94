"""Presenting exercises, worked solutions and verdicts: terminal text and JSON objects.

Knows no family by name: everything comes from the Exercise and Verdict data. Words come
from the message catalogue (handcalc.text.messages) in the language asked for; terminal text is
written for the ``unicode`` target, or ``ascii`` where the output cannot carry Unicode
(``handcalc.io.terminal.terminal_target``). JSON text fields are Unicode text in the
language asked for; its keys and ids are the same in every language. Exact values print
with sympy's pretty printer; 2-decimal values as aligned grids.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat, shape
from handcalc.core.rounding import fmt2, fmt_exact, fmt_shown, simplest_mat
from handcalc.exercises.exercise import Exercise, Part, kind_of
from handcalc.exercises.grade import Verdict
from handcalc.exercises.scoring import DEFAULT as DEFAULT_SCORING
from handcalc.exercises.scoring import part_score
from handcalc.families import FAMILIES
from handcalc.text.messages import DEFAULT_LANG, Text, render, tr

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

PRETTY_WIDTH = 100


def _t(text: Text, lang: str, target: str = "unicode") -> str:
    return render(text, lang, target)


# ---------------------------------------------------------------- nested values (JSON)

def nested(m: Mat, fmt: Any, kind: str | None = None) -> Any:
    """A scalar as a string, a vector as a list, a matrix as a list of rows."""
    kind = kind or kind_of(m)
    if kind == "scalar":
        return fmt(m[0][0])
    if kind == "vector":
        return [fmt(v) for r in m for v in r]
    return [[fmt(v) for v in r] for r in m]


def given_dict(ex: Exercise) -> dict[str, Any]:
    return {name: [[fmt_exact(v) for v in r] for r in m] for name, m in ex.given.items()}


def params_dict(ex: Exercise) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in ex.instance.params.items():
        if k.endswith("_text"):
            continue
        if isinstance(v, bool | int | str):
            out[k] = v
        elif isinstance(v, tuple):
            out[k] = list(v)
        else:
            out[k] = fmt_exact(v)
    return out


def part_dict(part: Part, *, steps: bool = False, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    d: dict[str, Any] = {
        "part": part.number, "key": part.key, "prompt": _t(part.prompt, lang),
        "kind": part.kind,
        "shape": list(shape(part.answer)),
        "answer": nested(part.answer, fmt_exact), "rounded": nested(part.answer, fmt2),
    }
    if steps:
        d["steps"] = [{"label": _t(s.label, lang),
                       "value": [[fmt_exact(v) for v in r] for r in s.value],
                       "rounded": [[fmt2(v) for v in r] for r in s.value]} for s in part.steps]
    return d


def exercise_dict(ex: Exercise, *, steps: bool = False,
                  lang: str = DEFAULT_LANG) -> dict[str, Any]:
    inst = ex.instance
    return {
        "code": ex.code, "family": inst.family, "level": inst.level, "seed": inst.seed,
        "lang": lang, "title": _t(ex.title, lang), "statement": _t(ex.statement, lang),
        "given": given_dict(ex), "params": params_dict(ex),
        "parts": [part_dict(p, steps=steps, lang=lang) for p in ex.parts],
    }


def verdict_dict(v: Verdict, lang: str = DEFAULT_LANG, scoring: str = DEFAULT_SCORING
                 ) -> dict[str, Any]:
    """A verdict as JSON; ``score`` under the scoring policy ``scoring``
    (handcalc.exercises.scoring)."""
    # classgrade.report_json writes a class's verdicts that agree in everything used here
    # but code and part once: a new field of the verdict used here belongs in its key too
    d = v.diagnosis
    return {
        "code": v.code, "part": v.part, "correct": v.correct,
        "score": float(part_score(v, scoring)), "scoring": scoring,
        "accepted_by": v.accepted_by,
        "diagnosis": None if d is None else {
            "mistake": d.mistake.id, "title": _t(d.mistake.title, lang), "part": d.part,
            "explanation": _t(d.text(), lang), "step": d.mistake.step,
            "also": [m.id for m in d.also]},
        "cells": [list(r) for r in v.cells],
        "expected_shape": list(v.expected_shape),
    }


# ---------------------------------------------------------------- terminal text
#
# One style for every matrix: entries on one line each, right-aligned columns, brackets,
# no blank lines between rows; given matrices side by side when the width allows; -inf
# written as a learner types it. Widths count East Asian wide characters as two columns.

MIN_WIDTH = 60
EXACT_CELL = 28  # an exact entry longer than this is shortened with an ellipsis


def width_of(text: str) -> int:
    """Columns a line takes in a terminal (wide CJK characters count two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else
               0 if unicodedata.combining(ch) else 1 for ch in text)


# Chinese line breaking (kinsoku): no line starts with closing or middle punctuation, none
# ends with opening punctuation
NO_LINE_START = frozenset("，、。．：；！？）］｝〕〉》」』】〙〗～…‥”’%％·・")
NO_LINE_END = frozenset("（［｛〔〈《「『【〘〖“‘")
_WIDE = r"\u2e80-\u9fff\uff00-\uffef\u3000-\u303f"
_PIECES = rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+"  # spaces, a wide character, a run of others


def _full_width_punct(ch: str) -> bool:
    """A punctuation mark of Chinese text (CJK or full-width block): no space beside it."""
    import unicodedata

    return ("\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef") and \
        unicodedata.category(ch)[0] == "P"


def wrap(text: str, width: int, indent: str = "") -> str:
    """Prose folded to `width` columns: at spaces, and between wide (CJK) characters, which
    need none; a word longer than the width stands alone on its line. Chinese rules: no
    line starts with closing punctuation (NO_LINE_START: the character before it moves
    down with it, or, after a word as long as the line, the punctuation hangs past the
    width) or ends with opening punctuation (NO_LINE_END), and a space beside a
    full-width punctuation mark (between two Chinese sentences) is dropped."""
    import re

    lines: list[list[str]] = []
    line: list[str] = []
    space = False
    for piece in re.findall(_PIECES, text):
        if piece.isspace():
            space = bool(line)
            continue
        if space and (_full_width_punct(line[-1][-1]) or _full_width_punct(piece[0])):
            space = False
        candidate = [*line, " ", piece] if space else [*line, piece]
        space = False
        if width_of(indent + "".join(candidate)) <= width or not line:
            line = candidate
            continue
        carry: list[str] = []
        head = piece
        while len(line) > 1 and (head[0] in NO_LINE_START or line[-1][-1] in NO_LINE_END):
            moved = line.pop()
            if moved != " ":
                carry.insert(0, moved)
                head = moved
        if head[0] in NO_LINE_START:  # nothing can move down with it: it hangs past the width
            line = [*line, *carry, piece]
            continue
        while line and line[-1] == " ":
            line.pop()
        lines.append(line)
        line = [*carry, piece]
    lines.append(line)
    return "\n".join((indent + "".join(x)).rstrip() for x in lines)


def terminal_width() -> int:
    import shutil

    return max(MIN_WIDTH, shutil.get_terminal_size((100, 24)).columns)


def grid(cells: list[list[str]], target: str = "unicode") -> list[str]:
    """Strings laid out as a bracketed matrix, one line per row, columns right-aligned."""
    widths = [max(width_of(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = ["  ".join(" " * (w - width_of(c)) + c for c, w in zip(r, widths, strict=True))
             for r in cells]
    if len(lines) == 1:
        return [f"[{lines[0]}]"]
    if target == "ascii":
        return [f"[{line}]" for line in lines]
    left = ["⎡"] + ["⎢"] * (len(lines) - 2) + ["⎣"]
    right = ["⎤"] + ["⎥"] * (len(lines) - 2) + ["⎦"]
    return [f"{a}{line}{b}" for a, line, b in zip(left, lines, right, strict=True)]


@lru_cache(maxsize=4096)
def exact_text(x: sympy.Expr, target: str = "unicode") -> str:
    """An exact value on one line: 3, -1/2, 0.1, 5√2/2, e²/(1 + e²), -inf. A drawn int or
    Fraction (handcalc.families.base.Given) reads as the sympy number it stands for.
    Kept: a worked solution shows most values more than once (a step, then the key)."""
    if isinstance(x, int | Fraction):
        return _ratio_text(Fraction(x))
    from handcalc.core.exact import is_neg_inf
    from handcalc.text import mathtext

    if is_neg_inf(x):
        return "-inf"
    if isinstance(x, sympy.Rational):
        return _ratio_text(Fraction(x.p, x.q))
    from handcalc.text.exactmath import typst_math

    try:
        return mathtext.to_target(typst_math(x), target)
    except mathtext.MathSyntaxError:
        return fmt_exact(x)


def _ratio_text(x: Fraction) -> str:
    """A rational: a terminating decimal (0.1, -2.25) reads best as one; 1/3 stays a
    fraction, an integer an integer."""
    q = x.denominator
    for f in (2, 5):
        while q % f == 0:
            q //= f
    if q == 1 and x.denominator > 1:
        return _decimal(x)
    return str(x)


def typed_text(x: sympy.Expr, target: str = "unicode") -> str:
    """A typed value as the learner gave it, decimals with at least 2 places: 18.80,
    0.7131, 5√2/2."""
    text = exact_text(x, target)
    rational = isinstance(x, int | Fraction) or (
        not isinstance(x, float) and isinstance(x, sympy.Rational))  # a typed -inf: float
    if rational and "/" not in text:
        whole, _, frac = text.partition(".")
        return f"{whole}.{frac.ljust(2, '0')}"
    return text


def _decimal(x: Fraction) -> str:
    """A rational with a terminating decimal expansion, written exactly: 0.1, -2.25."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        text = format(Decimal(x.numerator) / Decimal(x.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def shorten(text: str, limit: int = EXACT_CELL) -> str:
    """`text` cut to `limit` columns with an ellipsis (never wrapped across lines)."""
    if width_of(text) <= limit:
        return text
    out = ""
    for ch in text:
        if width_of(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def matrix_lines(m: Mat, target: str = "unicode", *, exact: bool = True,
                 limit: int | None = None) -> list[str]:
    """A matrix (or vector or scalar) in the one terminal style, exact or at 2 decimals."""
    cells = ([[exact_text(v, target) for v in r] for r in m] if exact else fmt_shown(m))
    if limit is not None:
        cells = [[shorten(c, limit) if target == "unicode" else c[:limit] for c in r]
                 for r in cells]
    return [cells[0][0]] if shape(m) == (1, 1) else grid(cells, target)


def pretty_lines(m: Mat, target: str = "unicode") -> list[str]:
    """Exact values in the terminal style (kept for callers of the old name)."""
    return matrix_lines(m, target)


def labelled(label: str, lines: list[str], indent: str = "  ") -> str:
    """`label = ` followed by a multi-line block, the label on the block's middle line."""
    return "\n".join(indent + line for line in labelled_block(label, lines))


def labelled_block(label: str, lines: list[str]) -> list[str]:
    mid = len(lines) // 2
    pad = " " * (width_of(label) + 3)
    return [(f"{label} = " if i == mid else pad) + line for i, line in enumerate(lines)]


def rounded_lines(m: Mat, target: str = "unicode") -> list[str]:
    return matrix_lines(m, target, exact=False)


def side_by_side(blocks: list[list[str]], width: int, indent: str = "  ",
                 gap: int = 4) -> list[str]:
    """Blocks of lines placed next to each other, as many to a row as fit in `width`,
    their middle lines aligned; a block wider than the width stands alone."""
    rows: list[list[list[str]]] = [[]]
    used = len(indent)
    for block in blocks:
        w = max(map(width_of, block))
        if rows[-1] and used + gap + w > width:
            rows.append([])
            used = len(indent)
        used += (gap if rows[-1] else 0) + w
        rows[-1].append(block)
    out: list[str] = []
    for row in rows:
        if out:
            out.append("")
        mids = [len(b) // 2 for b in row]
        top = max(mids)
        height = max(len(b) - m for b, m in zip(row, mids, strict=True)) + top
        padded = []
        for b, m in zip(row, mids, strict=True):
            w = max(map(width_of, b))
            lines = [""] * (top - m) + b + [""] * (height - (top - m) - len(b))
            padded.append([line + " " * (w - width_of(line)) for line in lines])
        out += [(indent + (" " * gap).join(parts)).rstrip()
                for parts in zip(*padded, strict=True)]
    return out


def name_text(name: str, target: str) -> str:
    """A given matrix's name (Q, Z1, W^O, dL/dQ) as terminal text."""
    from handcalc.text.messages import Math

    return render(Math(name_math(name)), DEFAULT_LANG, target)


def name_math(name: str) -> str:
    """A given matrix's name in neutral math: Z1 -> Z_1, dL/dQ -> (partial L)/(partial Q)."""
    import re

    m = re.fullmatch(r"([A-Za-z])(\d+)", name)
    if m:
        return f"{m.group(1)}_{m.group(2)}"
    g = re.fullmatch(r"d([A-Za-z])/d([A-Za-z])", name)
    if g:
        return f"(partial {g.group(1)}) / (partial {g.group(2)})"
    if re.fullmatch(r"[A-Za-z](_[A-Za-z0-9]|\^[A-Za-z0-9])?", name):
        return name
    return '"' + name.replace('"', "") + '"'


def exercise_text(ex: Exercise, lang: str = DEFAULT_LANG, target: str = "unicode",
                  width: int | None = None) -> str:
    width = width or terminal_width()
    out = [tr("exercise.head", lang, target, title=ex.title, code=ex.code), "",
           wrap(_t(ex.statement, lang, target), width)]
    blocks = [labelled_block(name_text(name, target), matrix_lines(m, target))
              for name, m in ex.instance.plain_given.items()]
    if blocks:
        out += [""] + side_by_side(blocks, width)
    out += [""] + [wrap(f"  ({n}) {_t(ex.prompt(n), lang, target)}", width, "      ")
                   for n in range(1, len(ex.keys) + 1)]
    footer = [tr("exercise.footer.round", lang, target)]
    if ex.family.row_softmax:
        footer.append(tr("exercise.footer.softmax", lang, target))
    out += ["", wrap(" ".join(footer), width)]
    return "\n".join(out)


def solution_text(ex: Exercise, checked: float | None = None, lang: str = DEFAULT_LANG,
                  target: str = "unicode", width: int | None = None) -> str:
    width = width or terminal_width()
    head = tr("solution.head", lang, target)
    out = [exercise_text(ex, lang, target, width), "", head, "=" * width_of(head)]
    for part in ex.parts:
        out += ["", wrap(f"({part.number}) {_t(part.prompt, lang, target)}", width,
                         "    ").lstrip()]
        for step in part.steps:
            out.append(labelled(_t(step.label, lang, target), rounded_lines(step.value, target)))
        label = tr("solution.exact", lang, target)
        answer = simplest_mat(part.answer)  # a form that cancels to a fraction shows it
        exact = matrix_lines(answer, target)
        if max(map(width_of, labelled_block(label, exact))) + 2 > width:
            cols = shape(answer)[1]
            room = (width - width_of(label) - 7) // cols - 2
            exact = matrix_lines(answer, target, limit=max(8, room))
            out.append(labelled(label, exact))
            out.append("  " + tr("solution.shortened", lang, target, code=ex.code))
        else:
            out.append(labelled(label, exact))
        out.append(labelled(tr("solution.answer", lang, target),
                            rounded_lines(part.answer, target)))
    if checked is not None:
        out += ["", tr("solution.checked", lang, target, diff=f"{checked:.1e}")]
    return "\n".join(out)


NEAR_MISS = 0.015  # a wrong entry this close to the key is a rounding slip, most likely
_COLOURS = {"✓": "\x1b[32m✓\x1b[0m", "✗": "\x1b[31m✗\x1b[0m"}


def verdict_text(v: Verdict, lang: str = DEFAULT_LANG, target: str = "unicode",
                 color: bool = False) -> str:
    """The verdict as the learner reads it: the entries as typed, marked right or wrong
    (in colour when `color`), then the diagnosis or a hint."""
    r, c = v.expected_shape
    ok_mark, bad_mark = ("✓", "✗") if target == "unicode" else ("ok", "X")
    if v.correct:
        what = tr(f"verdict.accepted.{v.accepted_by or 'exact'}", lang, target)
    elif v.cells:
        right = sum(x for row in v.cells for x in row)
        what = tr("verdict.incorrect", lang, target) if r * c == 1 else tr(
            "verdict.incorrect_count", lang, target, right=right, total=r * c)
    else:
        what = tr("verdict.wrong_shape", lang, target, rows=r, cols=c)
    out = [tr("verdict.head", lang, target, code=v.code, part=v.part, what=what)]
    if v.cells and not v.correct and r * c > 1:
        marks = [[f"{typed_text(a, target)} {ok_mark if ok else bad_mark}"
                  for a, ok in zip(ra, rc, strict=True)]
                 for ra, rc in zip(v.answer, v.cells, strict=True)]
        lines = grid(marks, target)
        if color:
            for mark, coloured in _COLOURS.items():
                lines = [line.replace(mark, coloured) for line in lines]
        out += ["  " + line for line in lines]
    if v.diagnosis is not None:
        out.append(wrap(tr("verdict.diagnosis", lang, target, text=v.diagnosis.text()),
                        terminal_width()))
    elif v.cells and not v.correct and near_miss(v):
        counted = v.exercise.family.quantity(v.exercise.keys[v.part - 1]).count
        out.append(wrap(tr("verdict.count_hint" if counted else "verdict.rounding_hint", lang,
                           target), terminal_width()))
    return "\n".join(out)


def near_miss(v: Verdict) -> bool:
    """Every wrong entry within NEAR_MISS of the key (floats suffice for a hint)."""
    from handcalc.core.exact import approx, entries

    key = v.exercise.keys[v.part - 1]  # (a count's near miss gets the count hint)
    values = entries(v.exercise.approx[key])
    typed = entries(v.answer)
    wrong = [(approx(t), k) for t, k, ok in zip(typed, values, (x for r in v.cells for x in r),
                                              strict=True) if not ok]
    return bool(wrong) and all(abs(t - k) <= NEAR_MISS for t, k in wrong)


def families_text(lang: str = DEFAULT_LANG, target: str = "unicode") -> str:
    width = max(map(len, FAMILIES))
    lines = [f"{name.ljust(width)}  "
             f"{tr('families.levels', lang, target, levels=','.join(map(str, f.levels)))}  "
             f"{_t(f.summary, lang, target)}"
             for name, f in FAMILIES.items()]
    return "\n".join(lines + ["", tr("families.worked", lang, target),
                              tr("given.list.hint", lang, target)])
