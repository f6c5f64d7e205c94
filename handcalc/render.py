"""Presenting exercises, worked solutions and verdicts: terminal text and JSON objects.

Knows no family by name: everything comes from the Exercise and Verdict data. Words come
from the message catalogue (handcalc.text) in the language asked for; terminal text is
written for the ``unicode`` target, or ``ascii`` where the output cannot carry Unicode
(``terminal_target``). JSON text fields are Unicode text in the language asked for; its
keys and ids are the same in every language. Exact values print with sympy's pretty
printer; 2-decimal values as aligned grids.
"""

from __future__ import annotations

from typing import Any

import sympy

from handcalc.exact import Mat, fmt2, fmt_exact, shape
from handcalc.exercise import Exercise, Part, kind_of
from handcalc.families import FAMILIES
from handcalc.grade import Verdict
from handcalc.text import DEFAULT_LANG, Text, render, tr

PRETTY_WIDTH = 100
_UNICODE_PROBE = "√ᵀ⎡⎢⎣⎤⎥⎦✓✗−∞·×≤‖"


def terminal_target(encoding: str | None) -> str:
    """'unicode' when text in `encoding` can carry the characters we print, else 'ascii'."""
    try:
        _UNICODE_PROBE.encode(encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return "ascii"
    return "unicode"


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


def verdict_dict(v: Verdict, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    d = v.diagnosis
    return {
        "code": v.code, "part": v.part, "correct": v.correct, "score": float(v.score),
        "accepted_by": v.accepted_by,
        "diagnosis": None if d is None else {
            "mistake": d.mistake.id, "title": _t(d.mistake.title, lang), "part": d.part,
            "explanation": _t(d.text(), lang), "step": d.mistake.step},
        "cells": [list(r) for r in v.cells],
        "expected_shape": list(v.expected_shape),
    }


# ---------------------------------------------------------------- terminal text

def grid(cells: list[list[str]], target: str = "unicode") -> list[str]:
    """Strings laid out as a bracketed matrix, one line per row."""
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    if len(lines) == 1:
        return [f"[{lines[0]}]"]
    if target == "ascii":
        return [f"[{line}]" for line in lines]
    left = ["⎡"] + ["⎢"] * (len(lines) - 2) + ["⎣"]
    right = ["⎤"] + ["⎥"] * (len(lines) - 2) + ["⎦"]
    return [f"{a}{line}{b}" for a, line, b in zip(left, lines, right, strict=True)]


def pretty_lines(m: Mat, target: str = "unicode") -> list[str]:
    uni = target == "unicode"
    if shape(m) == (1, 1):
        text = sympy.pretty(m[0][0], use_unicode=uni)
    else:
        text = sympy.pretty(sympy.Matrix(m), use_unicode=uni)
    lines = text.splitlines()
    if max(map(len, lines)) > PRETTY_WIDTH:
        return grid([[fmt_exact(v) for v in r] for r in m], target)
    return lines


def labelled(label: str, lines: list[str], indent: str = "  ") -> str:
    """`label = ` followed by a multi-line block, the label on the block's middle line."""
    mid = len(lines) // 2
    pad = " " * (len(label) + 3)
    return "\n".join(indent + (f"{label} = " if i == mid else pad) + line
                     for i, line in enumerate(lines))


def rounded_lines(m: Mat, target: str = "unicode") -> list[str]:
    return [fmt2(m[0][0])] if shape(m) == (1, 1) else grid(
        [[fmt2(v) for v in r] for r in m], target)


def name_text(name: str, target: str) -> str:
    """A given matrix's name (Q, Z1, W^O, dL/dQ) as terminal text."""
    from handcalc.text import Math

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


def exercise_text(ex: Exercise, lang: str = DEFAULT_LANG, target: str = "unicode") -> str:
    out = [tr("exercise.head", lang, target, title=ex.title, code=ex.code), "",
           _t(ex.statement, lang, target)]
    for name, m in ex.given.items():
        out += ["", labelled(name_text(name, target), pretty_lines(m, target))]
    out += [""] + [f"  ({part.number}) {_t(part.prompt, lang, target)}" for part in ex.parts]
    footer = [tr("exercise.footer.round", lang, target)]
    if ex.family.row_softmax:
        footer.append(tr("exercise.footer.softmax", lang, target))
    out += ["", " ".join(footer)]
    return "\n".join(out)


def solution_text(ex: Exercise, checked: float | None = None, lang: str = DEFAULT_LANG,
                  target: str = "unicode") -> str:
    head = tr("solution.head", lang, target)
    out = [exercise_text(ex, lang, target), "", head, "=" * max(15, len(head) * 2)]
    for part in ex.parts:
        out += ["", f"({part.number}) {_t(part.prompt, lang, target)}"]
        for step in part.steps:
            out.append(labelled(_t(step.label, lang, target), rounded_lines(step.value, target)))
        out.append(labelled(tr("solution.exact", lang, target),
                            pretty_lines(part.answer, target)))
        out.append(labelled(tr("solution.answer", lang, target),
                            rounded_lines(part.answer, target)))
    if checked is not None:
        out += ["", tr("solution.checked", lang, target, diff=f"{checked:.1e}")]
    return "\n".join(out)


def verdict_text(v: Verdict, lang: str = DEFAULT_LANG, target: str = "unicode") -> str:
    r, c = v.expected_shape
    ok_mark, bad_mark = ("✓", "✗") if target == "unicode" else ("ok", "X")
    if v.correct:
        what = tr(f"verdict.accepted.{v.accepted_by or 'exact'}", lang, target)
        out = [tr("verdict.head", lang, target, code=v.code, part=v.part, what=what)]
    elif v.cells:
        right = sum(x for row in v.cells for x in row)
        what = tr("verdict.incorrect", lang, target) if r * c == 1 else tr(
            "verdict.incorrect_count", lang, target, right=right, total=r * c)
        out = [tr("verdict.head", lang, target, code=v.code, part=v.part, what=what)]
        if r * c > 1:
            marks = [[f"{fmt2(a)} {ok_mark if ok else bad_mark}"
                      for a, ok in zip(ra, rc, strict=True)]
                     for ra, rc in zip(v.answer, v.cells, strict=True)]
            out += ["  " + line for line in grid(marks, target)]
    else:
        what = tr("verdict.wrong_shape", lang, target, rows=r, cols=c)
        out = [tr("verdict.head", lang, target, code=v.code, part=v.part, what=what)]
    if v.diagnosis is not None:
        out.append(tr("verdict.diagnosis", lang, target, text=v.diagnosis.text()))
    return "\n".join(out)


def families_text(lang: str = DEFAULT_LANG, target: str = "unicode") -> str:
    width = max(map(len, FAMILIES))
    lines = [f"{name.ljust(width)}  "
             f"{tr('families.levels', lang, target, levels=','.join(map(str, f.levels)))}  "
             f"{_t(f.summary, lang, target)}"
             for name, f in FAMILIES.items()]
    return "\n".join(lines + ["", tr("families.worked", lang, target)])
