"""Presenting exercises, worked solutions and verdicts: terminal text and JSON objects.

Knows no family by name: everything comes from the Exercise and Verdict data.
Exact values print with sympy's pretty printer; 2-decimal values as aligned grids.
"""

from __future__ import annotations

from typing import Any

import sympy

from handcalc.exact import Mat, fmt2, fmt_exact, shape
from handcalc.exercise import Exercise, Part, kind_of
from handcalc.families import FAMILIES
from handcalc.grade import Verdict

PRETTY_WIDTH = 100


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


def part_dict(part: Part, *, steps: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "part": part.number, "key": part.key, "prompt": part.prompt, "kind": part.kind,
        "shape": list(shape(part.answer)),
        "answer": nested(part.answer, fmt_exact), "rounded": nested(part.answer, fmt2),
    }
    if steps:
        d["steps"] = [{"label": s.label, "value": [[fmt_exact(v) for v in r] for r in s.value],
                       "rounded": [[fmt2(v) for v in r] for r in s.value]} for s in part.steps]
    return d


def exercise_dict(ex: Exercise, *, steps: bool = False) -> dict[str, Any]:
    inst = ex.instance
    return {
        "code": ex.code, "family": inst.family, "level": inst.level, "seed": inst.seed,
        "title": ex.title, "statement": ex.statement,
        "given": given_dict(ex), "params": params_dict(ex),
        "parts": [part_dict(p, steps=steps) for p in ex.parts],
    }


def verdict_dict(v: Verdict) -> dict[str, Any]:
    d = v.diagnosis
    return {
        "code": v.code, "part": v.part, "correct": v.correct, "score": float(v.score),
        "accepted_by": v.accepted_by,
        "diagnosis": None if d is None else {
            "mistake": d.mistake.id, "title": d.mistake.title, "part": d.part,
            "explanation": d.text(), "step": d.mistake.step},
        "cells": [list(r) for r in v.cells],
        "expected_shape": list(v.expected_shape),
    }


# ---------------------------------------------------------------- terminal text

def grid(cells: list[list[str]]) -> list[str]:
    """Strings laid out as a bracketed matrix, one line per row."""
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    if len(lines) == 1:
        return [f"[{lines[0]}]"]
    left = ["⎡"] + ["⎢"] * (len(lines) - 2) + ["⎣"]
    right = ["⎤"] + ["⎥"] * (len(lines) - 2) + ["⎦"]
    return [f"{a}{line}{b}" for a, line, b in zip(left, lines, right, strict=True)]


def pretty_lines(m: Mat) -> list[str]:
    if shape(m) == (1, 1):
        text = sympy.pretty(m[0][0], use_unicode=True)
    else:
        text = sympy.pretty(sympy.Matrix(m), use_unicode=True)
    lines = text.splitlines()
    if max(map(len, lines)) > PRETTY_WIDTH:
        return grid([[fmt_exact(v) for v in r] for r in m])
    return lines


def labelled(label: str, lines: list[str], indent: str = "  ") -> str:
    """`label = ` followed by a multi-line block, the label on the block's middle line."""
    mid = len(lines) // 2
    pad = " " * (len(label) + 3)
    return "\n".join(indent + (f"{label} = " if i == mid else pad) + line
                     for i, line in enumerate(lines))


def rounded_lines(m: Mat) -> list[str]:
    return [fmt2(m[0][0])] if shape(m) == (1, 1) else grid([[fmt2(v) for v in r] for r in m])


def exercise_text(ex: Exercise) -> str:
    out = [f"{ex.title}  [code {ex.code}]", "", ex.statement]
    for name, m in ex.given.items():
        out += ["", labelled(name, pretty_lines(m))]
    out += [""] + [f"  ({part.number}) {part.prompt}" for part in ex.parts]
    out += ["", "Give each answer to 2 decimal places; softmax is taken along each row."]
    return "\n".join(out)


def solution_text(ex: Exercise, checked: float | None = None) -> str:
    out = [exercise_text(ex), "", "Worked solution", "==============="]
    for part in ex.parts:
        out += ["", f"({part.number}) {part.prompt}"]
        for step in part.steps:
            out.append(labelled(step.label, rounded_lines(step.value)))
        out.append(labelled("exact", pretty_lines(part.answer)))
        out.append(labelled("answer", rounded_lines(part.answer)))
    if checked is not None:
        out += ["", f"Checked against torch (float64): largest difference {checked:.1e}."]
    return "\n".join(out)


def verdict_text(v: Verdict) -> str:
    r, c = v.expected_shape
    head = f"{v.code} part {v.part}: "
    if v.correct:
        how = {"exact": "correct", "carried-forward":
               "correct, given your earlier answers (error carried forward)",
               "rounded-intermediates":
               "correct, from intermediates rounded to 2 decimals"}[v.accepted_by or "exact"]
        out = [head + how]
    elif v.cells:
        right = sum(x for row in v.cells for x in row)
        out = [head + ("incorrect" if r * c == 1 else
                       f"incorrect ({right} of {r * c} entries right)")]
        if r * c > 1:
            marks = [[f"{fmt2(a)} {'✓' if ok else '✗'}" for a, ok in zip(ra, rc, strict=True)]
                     for ra, rc in zip(v.answer, v.cells, strict=True)]
            out += ["  " + line for line in grid(marks)]
    else:
        out = [head + f"incorrect (wrong shape: expected {r} x {c})"]
    if v.diagnosis is not None:
        out.append(f"diagnosis: {v.diagnosis.text()}")
    return "\n".join(out)


def families_text() -> str:
    width = max(map(len, FAMILIES))
    lines = [f"{name.ljust(width)}  levels {','.join(map(str, f.levels))}  {f.summary}"
             for name, f in FAMILIES.items()]
    return "\n".join(lines + ["", "worked-1 ... worked-10: the classic worked set"])
