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

A section may instead draw exercises of a size beyond the levels (handcalc.exercises.sized,
held to the rules of drawn exercises)::

    [[sections]]
    family = "causal"
    size = { n = 5, d = 2 }
    count = 2

They are drawn from the spec's seed, the section and the exercise's number, once: the
same in every version (each carries its data in its code).
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from handcalc.errors import HandcalcError

EXERCISE_KEYS = ("given", "params", "parts")
MAX_SIZED = 20  # exercises of one sized section
MAX_GIVEN_EXERCISES = 100


class Checker(Protocol):
    def fail(self, where: str, what: str) -> Exception: ...
    def keys(self, table: dict[str, Any], valid: Any, where: str) -> None: ...
    def string(self, value: object, where: str) -> str: ...


def given_section(c: Checker, sec: dict[str, Any], where: str,
                  seed: int | None = None) -> dict[str, Any]:
    """The section with its own data, or its size, turned into ``codes`` (SpecError, one
    line, naming the section and exercise, for data that poses no exercise)."""
    from handcalc.exercises.posed import findings, pose
    from handcalc.text.messages import render, resolve_lang

    if "size" in sec:
        return _sized_section(c, sec, where, seed)

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


def _sized_section(c: Checker, sec: dict[str, Any], where: str,
                   seed: int | None) -> dict[str, Any]:
    """``size = { n = 5, d = 2 }`` with ``count``: drawn exercises of that size, each from
    the spec's seed, the section and its number (the same in every version)."""
    import hashlib

    from handcalc.exercises.sized import sized
    from handcalc.text.messages import msg

    for key in ("level", "codes", *EXERCISE_KEYS, "exercises"):
        if key in sec:
            raise c.fail(where, f"give either size or {key}, not both")
    if "family" not in sec:
        raise c.fail(f"{where}, family", "missing; a section with size names its family")
    if seed is None:
        raise c.fail("seed", str(msg("given.error.size_seed")))
    family = c.string(sec["family"], f"{where}, family").lower()
    size = sec["size"]
    if not isinstance(size, dict):
        raise c.fail(f"{where}, size", "expected a table such as { n = 5, d = 2 }")
    count = sec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SIZED:
        raise c.fail(f"{where}, count", f"expected an integer from 1 to {MAX_SIZED}")
    codes = []
    for e in range(1, count + 1):
        digest = hashlib.sha256(f"{seed}/{where}/{e}".encode()).digest()
        start = int.from_bytes(digest[:4], "big") % 10**9
        try:
            codes.append(sized(family, size, start).code)
        except HandcalcError as err:
            raise c.fail(f"{where}, size", str(err)) from None
    out = {k: sec[k] for k in ("title", "points", "work") if k in sec}
    out["codes"] = list(dict.fromkeys(codes))
    return out
