"""Drawn exercises of a chosen size, beyond the levels (more tokens, a wider d_k, ...).

``sized(family, size, seed)`` draws an exercise whose dimensions are those of ``size``
(names from the family's description: its shapes' symbols such as ``n``, ``d``, ``t``,
``L``, or its integer parameters such as ``h``, ``G``, ``block``; a parameter whose
default counts a matrix's rows or columns sizes that matrix, so ``d_k = 3`` widens Q and
K). Every other value comes from a drawn exercise of the family's top level (its
parameters, and the pool of numbers each given matrix is drawn from). The candidate is
then held to the rules of drawn exercises (handcalc.exercises.exercise.rejection: no
answer within 0.0005 of a rounding boundary, every catalogued mistake changes the
2-decimal answer); seed + 1, + 2, ... are tried until one passes. The exercise gets the
code that carries its data (handcalc.exercises.datacode): it needs no seed to rebuild.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from handcalc.core.exact import Mat
from handcalc.errors import GivenError, HandcalcError
from handcalc.exercises import datacode
from handcalc.exercises.exercise import Exercise, draw, rejection
from handcalc.families import Instance, get_family
from handcalc.families.given import MAX_DIM, Form, Param, resolve
from handcalc.families.givens import DESCRIPTIONS
from handcalc.text.messages import msg

SIZE_TRIES = 400
POOL_DRAWS = 20  # drawn exercises whose numbers make each matrix's pool


STRUCTURE = ("h", "H", "G", "new", "block")  # parameters that are sizes, not values


def _top(family: str) -> tuple[Form, int]:
    """The form of the family's top-level exercises and its index."""
    fam = get_family(family)
    t = draw(family, fam.levels[-1], 0)
    index = DESCRIPTIONS[family].form_of(t.given, t.params)
    return DESCRIPTIONS[family].forms[index], index


def size_names(family: str) -> dict[str, tuple[int, int]]:
    """The names a size may give (the shapes' symbols and the parameters that are sizes),
    each with its lowest and highest value."""
    return _names(_top(family)[0])


def _names(form: Form) -> dict[str, tuple[int, int]]:
    """name -> (lowest, highest) of each size a form takes."""
    params = {p.name: p for p in form.params if p.kind == "int"
              and (_sizer(p) is not None or p.note.startswith("count")
                   or p.name in STRUCTURE)}
    out: dict[str, tuple[int, int]] = {}
    for m in form.mats:
        for d in (m.rows, m.cols):
            if isinstance(d, str) and "*" not in d and d not in params:
                out[d] = (1, MAX_DIM)
    for name, p in params.items():
        out[name] = (p.lo if p.lo is not None else 1, p.hi if p.hi is not None else MAX_DIM)
    return out


def _sizer(p: Param) -> tuple[str, str] | None:
    """(matrix, "rows" or "cols") for a parameter whose default counts them."""
    kind, _, name = p.note.partition(":")
    if kind in ("cols", "rows", "cols_unscaled") and name:
        return name, "rows" if kind == "rows" else "cols"
    return None


def sized(family: str, size: Mapping[str, Any], seed: int) -> Exercise:
    """A drawn exercise of the size (GivenError for a size it cannot take or meet)."""
    top = get_family(family).levels[-1]
    form, index = _top(family)
    names = _names(form)
    values: dict[str, int] = {}
    for key, value in size.items():
        if key not in names:
            raise GivenError(msg("given.error.size_name", family=family, name=str(key)[:24],
                                 names=", ".join(names) or "-"))
        lo, hi = names[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise GivenError(msg("given.error.range", family=family, name=key,
                                 value=str(value)[:24], range=f"{lo} .. {hi}"))
        values[key] = value
    templates = [draw(family, top, (seed + i) % 10**9) for i in range(POOL_DRAWS)]
    pools = {m.name: _pool([t for t in templates if DESCRIPTIONS[family].form_of(
        t.given, t.params) == index], m.name) for m in form.mats}
    for attempt in range(SIZE_TRIES):
        template = draw(family, top, (seed + attempt) % 10**9)
        if DESCRIPTIONS[family].form_of(template.given, template.params) != index:
            continue
        rng = random.Random(f"{family}/{seed}/{attempt}")
        candidate = _candidate(form, template, values, pools, rng)
        if candidate is None:
            continue
        given, params = candidate
        try:
            r = resolve(DESCRIPTIONS[family], given, params, template.ask)
            inst = Instance("sized", family, 0, 0, r.given, r.params, r.ask)
            datacode.within_reach(inst)
            if rejection(inst) is not None:
                continue
            code = datacode.encode(family, r)
        except HandcalcError:
            continue
        return Exercise(Instance(code, family, None, None, r.given, r.params, r.ask))
    raise GivenError(msg("given.error.size_none", family=family, tries=SIZE_TRIES))


def _candidate(form: Form, template: Instance, size: Mapping[str, int],
               pools: Mapping[str, tuple[list[Any], bool]], rng: random.Random
               ) -> tuple[dict[str, Mat], dict[str, Any]] | None:
    """Given data and params of the size, numbers drawn from the template's pools."""
    derived = {p.name for p in form.params if callable(p.default)}
    params = {k: v for k, v in template.params.items()
              if k not in derived and not k.endswith("_text")}
    bound: dict[str, int] = {}
    for p in form.params:  # a size given to a counting parameter sizes its matrix
        if p.name in size:
            params[p.name] = size[p.name]
            where = _sizer(p)
            if where is not None:
                m = next(m for m in form.mats if m.name == where[0])
                sym = m.rows if where[1] == "rows" else m.cols
                if isinstance(sym, str) and sym != p.name:
                    bound[sym] = size[p.name]
    for key, value in size.items():
        if key not in params:
            bound[key] = value
    names_params = {**template.params, **params}
    for m in form.mats:  # the template's dimensions where the size says nothing
        for name in m.names(template.params):
            if name in template.given:
                r, c = len(template.given[name]), len(template.given[name][0])
                for sym, n in ((m.rows, r), (m.cols, c)):
                    if isinstance(sym, str) and "*" not in sym:
                        bound.setdefault(sym, int(names_params.get(sym, n)))
    if "keys" in params:  # keys: the chosen keys within the tokens
        n = bound.get("n", 0)
        if params["query"] > n or any(j > n for j in params["keys"]):
            return None
    given: dict[str, Mat] = {}
    for m in form.mats:
        pool, ascending = pools[m.name]
        if not pool:
            return None
        for name in m.names(names_params):
            rows, cols = (_dim(d, names_params, bound) for d in (m.rows, m.cols))
            if name == "M" and "b" in template.params:  # padding: b padded at its end
                params["b"] = template.params["b"]
                pads = rng.randint(1, max(1, cols - 1))
                padded = [1] * (cols - pads) + [0] * pads
                given[name] = tuple(tuple(padded if r + 1 == params["b"] else [1] * cols)
                                    for r in range(rows))
            elif ascending and rows == 1:  # distinct and in order, as drawn (temperatures)
                distinct = sorted(set(pool))
                if cols > len(distinct):
                    return None
                given[name] = (tuple(sorted(rng.sample(distinct, cols))),)
            else:
                given[name] = tuple(tuple(rng.choice(pool) for _ in range(cols))
                                    for _ in range(rows))
    return given, params


def _dim(d: int | str, params: Mapping[str, Any], bound: Mapping[str, int]) -> int:
    if isinstance(d, int):
        return d
    total = 1
    for f in d.split("*"):
        total *= int(params[f]) if f in params else bound[f]
    return total


def _pool(templates: list[Instance], name: str) -> tuple[list[Any], bool]:
    """The numbers of the templates' matrices of that name (K{i}: every K0, K1, ...), and
    whether every such matrix is one strictly ascending row (drawn in order, distinct)."""
    pattern = re.escape(name).replace(r"\{i\}", "[0-9]+")
    mats = [m for t in templates for n, m in t.given.items() if re.fullmatch(pattern, n)]
    ascending = bool(mats) and all(
        len(m) == 1 and len(m[0]) > 1 and all(a < b for a, b in zip(m[0], m[0][1:], strict=False))
        for m in mats)
    return [v for m in mats for row in m for v in row], ascending
