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
from handcalc.text.messages import Text, error_text, msg

EXERCISE_KEYS = ("given", "params", "parts")
MAX_SIZED = 20  # exercises of one sized section
MAX_GIVEN_EXERCISES = 100


class Checker(Protocol):
    def fail(self, where: Text, what: Text) -> Exception: ...
    def keys(self, table: dict[str, Any], valid: Any, where: Text) -> None: ...
    def string(self, value: object, where: Text) -> str: ...


def _at(where: Text, key: str) -> Text:
    """A key inside a place of the spec: ``section 2, exercises[1]``."""
    return msg("spec.where.key", where=where, key=key)


def given_section(c: Checker, sec: dict[str, Any], where: Text,
                  seed: int | None = None, lang: str | None = None) -> dict[str, Any]:
    """The section with its own data, or its size, turned into ``codes`` (SpecError, one
    line, naming the section and exercise, for data that poses no exercise). What the
    data cannot promise is said on stderr in `lang` (the language of the output built
    from the spec; the environment's when None)."""
    from handcalc.exercises.posed import findings, pose
    from handcalc.text.messages import render, resolve_lang

    if "size" in sec:
        return _sized_section(c, sec, where, seed)

    if "family" not in sec:
        raise c.fail(_at(where, "family"), msg("given.spec.no_family"))
    for key in ("level", "count", "codes"):
        if key in sec:
            raise c.fail(where, msg("given.spec.data_or", key=key))
    family = c.string(sec["family"], _at(where, "family")).lower()
    if "exercises" in sec:
        if any(k in sec for k in EXERCISE_KEYS):
            raise c.fail(where, msg("given.spec.exercises_or"))
        items = sec["exercises"]
        if not isinstance(items, list) or not items:
            raise c.fail(_at(where, "exercises"), msg("given.spec.exercises_list"))
        if len(items) > MAX_GIVEN_EXERCISES:
            raise c.fail(_at(where, "exercises"), msg("given.spec.too_many", count=len(items),
                                                      cap=MAX_GIVEN_EXERCISES))
        tables = [(_at(where, f"exercises[{i}]"), t) for i, t in enumerate(items, 1)]
    else:
        tables = [(where, {k: sec[k] for k in EXERCISE_KEYS if k in sec})]
    codes = []
    lang = lang or resolve_lang()
    for place, table in tables:
        if not isinstance(table, dict):
            raise c.fail(place, msg("given.spec.table"))
        c.keys(table, EXERCISE_KEYS, place)
        given, params = table.get("given", {}), table.get("params", {})
        parts = table.get("parts")
        if not isinstance(given, dict) or not isinstance(params, dict):
            raise c.fail(place, msg("given.spec.tables"))
        if parts is not None and (not isinstance(parts, list)
                                  or not all(isinstance(p, str) for p in parts)):
            raise c.fail(_at(place, "parts"), msg("given.spec.parts"))
        try:
            ex = pose(family, given, params, tuple(parts) if parts else None)
            notes = findings(ex)
        except HandcalcError as e:
            raise c.fail(place, error_text(e)) from None
        for note in notes:
            sys.stderr.write(render(msg("spec.error.at", name=getattr(c, "shown", "spec"),
                                        where=place, what=note), lang, "unicode") + "\n")
        codes.append(ex.code)
    out = {k: sec[k] for k in ("title", "points", "work") if k in sec}
    out["codes"] = codes
    return out


def _sized_section(c: Checker, sec: dict[str, Any], where: Text,
                   seed: int | None) -> dict[str, Any]:
    """``size = { n = 5, d = 2 }`` with ``count``: drawn exercises of that size, each from
    the spec's seed, the section and its number (the same in every version)."""
    import hashlib

    from handcalc.exercises.sized import sized

    for key in ("level", "codes", *EXERCISE_KEYS, "exercises"):
        if key in sec:
            raise c.fail(where, msg("given.spec.size_or", key=key))
    if "family" not in sec:
        raise c.fail(_at(where, "family"), msg("given.spec.size_family"))
    if seed is None:
        raise c.fail("seed", msg("given.error.size_seed"))
    family = c.string(sec["family"], _at(where, "family")).lower()
    size = sec["size"]
    if not isinstance(size, dict):
        raise c.fail(_at(where, "size"), msg("given.spec.size_table"))
    count = sec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SIZED:
        raise c.fail(_at(where, "count"), msg("given.spec.count", cap=MAX_SIZED))
    codes = []
    for e in range(1, count + 1):
        # the place in English ("section 2"), as the first release drew it: the same codes
        digest = hashlib.sha256(f"{seed}/{str(where)}/{e}".encode()).digest()
        start = int.from_bytes(digest[:4], "big") % 10**9
        try:
            codes.append(sized(family, size, start).code)
        except HandcalcError as err:
            raise c.fail(_at(where, "size"), error_text(err)) from None
    out = {k: sec[k] for k in ("title", "points", "work") if k in sec}
    out["codes"] = list(dict.fromkeys(codes))
    return out
