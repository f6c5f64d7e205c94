"""Spec sections that give their own data instead of drawing it (issue 20).

A section names its family and gives the data of one exercise, or of several::

    [[sections]]
    family = "attention"
    given = { Q = [[1, 0], [0, 1]], K = [[1, 1], [0, 1]], V = [[1, 2], [3, 4]] }
    params = { scaled = true }          # optional: the family's defaults otherwise
    parts = ["S", "Z"]                  # optional: the family's parts otherwise

    [[sections]]
    family = "rmsnorm"
    exercises = [ { given = { x = [[1, -2]], g = [[1, 2]] }, params = { eps = 0.01 } },
                  { given = { x = "3 4", g = "1 1" } } ]

Matrices are rows of numbers (``0.1`` is 1/10, ``"1/3"`` a third) or text as an answer
is typed (``"1 0; 0 1"``); ``handcalc families FAMILY`` lists the names. Each exercise
becomes the code that carries its data (handcalc.exercises.datacode), so the section is
then a section of fixed codes: the same in every version. What such data cannot promise
(handcalc.exercises.posed.findings) is said on stderr, one line per finding.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from handcalc.errors import HandcalcError

EXERCISE_KEYS = ("given", "params", "parts")
MAX_GIVEN_EXERCISES = 100


class Checker(Protocol):
    def fail(self, where: str, what: str) -> Exception: ...
    def keys(self, table: dict[str, Any], valid: Any, where: str) -> None: ...
    def string(self, value: object, where: str) -> str: ...


def given_section(c: Checker, sec: dict[str, Any], where: str) -> dict[str, Any]:
    """The section with its own data turned into ``codes`` (SpecError, one line, naming
    the section and exercise, for data that poses no exercise)."""
    from handcalc.exercises.posed import findings, pose
    from handcalc.text.messages import render, resolve_lang

    if "family" not in sec:
        raise c.fail(f"{where}, family", "missing; a section that gives its own data names "
                                         "its family (handcalc families FAMILY lists what "
                                         "it takes)")
    for key in ("level", "count", "codes"):
        if key in sec:
            raise c.fail(where, f"give either given data or {key}, not both")
    family = c.string(sec["family"], f"{where}, family").lower()
    if "exercises" in sec:
        if any(k in sec for k in EXERCISE_KEYS):
            raise c.fail(where, "give either exercises = [...] or given/params/parts, "
                                "not both")
        items = sec["exercises"]
        if not isinstance(items, list) or not items:
            raise c.fail(f"{where}, exercises", "expected a non-empty list of tables "
                                                "{ given = {...}, params = {...} }")
        if len(items) > MAX_GIVEN_EXERCISES:
            raise c.fail(f"{where}, exercises", f"{len(items)} exercises; at most "
                                                f"{MAX_GIVEN_EXERCISES}")
        tables = [(f"{where}, exercises[{i}]", t) for i, t in enumerate(items, 1)]
    else:
        tables = [(where, {k: sec[k] for k in EXERCISE_KEYS if k in sec})]
    codes = []
    lang = resolve_lang()
    for place, table in tables:
        if not isinstance(table, dict):
            raise c.fail(place, "expected a table { given = {...}, params = {...} }")
        c.keys(table, EXERCISE_KEYS, place)
        given, params = table.get("given", {}), table.get("params", {})
        parts = table.get("parts")
        if not isinstance(given, dict) or not isinstance(params, dict):
            raise c.fail(place, "given and params are tables: given = { Q = [[1, 0]] }")
        if parts is not None and (not isinstance(parts, list)
                                  or not all(isinstance(p, str) for p in parts)):
            raise c.fail(f"{place}, parts", 'expected a list of part names such as ["S", "Z"]')
        try:
            ex = pose(family, given, params, tuple(parts) if parts else None)
            notes = findings(ex)
        except HandcalcError as e:
            raise c.fail(place, str(e)) from None
        for note in notes:
            sys.stderr.write(f"{getattr(c, 'name', 'spec')}: {place}: "
                             f"{render(note, lang, 'unicode')}\n")
        codes.append(ex.code)
    out = {k: sec[k] for k in ("title", "points", "work") if k in sec}
    out["codes"] = codes
    return out
