"""A draw-time screen: do the catalogued mistakes show at 2 decimals, each its own way?

Used by the online-softmax and rope families inside ``draw``, in floats only (cheap), so
that most draws pass handcalc.exercises.exercise's rejection rules at the first seed, and so that
two mistakes never give the same 2-decimal answer to a part (a typed mistaken answer then
names its own mistake). It only screens: the exact decisions stay with
handcalc.exercises.exercise.rejection.

For each part: every mistake that changes the part's value must change its 2-decimal
form, to one that no other mistake gives and that the rounded-intermediates path (which
the grader accepts) does not give either; the right answer must stay at least 0.0005
from a rounding boundary. Values too close to a tie for floats count as failures.

The mistakes screened are those the family had when its codes were first published:
the screen shapes the data a seed draws, so a mistake catalogued since
(handcalc.core.mistakes.LATER_MISTAKES) must not take part in it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from handcalc.core.exact import Mat, entries
from handcalc.core.mistakes import published_mistakes
from handcalc.core.rounding import Undecided, cents_f, differs_f, near_boundary_f
from handcalc.core.work import NotApplicable, Work
from handcalc.families.base import Draw, Family, Instance


def _cents(m: Mat) -> tuple[int, ...] | None:
    out = []
    for v in entries(m):
        c = cents_f(v)
        if c is None:
            return None
        out.append(c)
    return tuple(out)


def mistakes_apart(family: Family, level: int, given: dict[str, Mat],
                   params: dict[str, Any], ask: tuple[str, ...]) -> bool:
    """Whether a draw passes the screen (see the module's docstring)."""
    inst = Instance("", family.name, level, None, given, params, ask)
    right = Work(numeric=True)
    family.compute(inst, right)
    rounded = Work(rounded=True, numeric=True)  # accepted too: no mistake may give it
    try:
        family.compute(inst, rounded)
    except (Undecided, ZeroDivisionError, ValueError, OverflowError):
        return False
    seen: dict[str, set[tuple[int, ...]]] = {}
    for key in ask:
        value = right.results[key]
        if any(near_boundary_f(v) is not False for v in entries(value)):
            return False
        cents, cents_rounded = _cents(value), _cents(rounded.results[key])
        if cents is None or cents_rounded is None:
            return False
        seen[key] = {cents, cents_rounded}
    # the mistakes of the family's first draws: a seed's data never changes
    for mistake in published_mistakes(family.name, family.mistakes):
        w = Work(mistake=mistake, numeric=True)
        try:
            family.compute(inst, w)
        except NotApplicable:
            continue
        except (ZeroDivisionError, ValueError, OverflowError):
            return False
        for key in ask:
            value = w.results.get(key)
            if value is None or not differs_f(value, right.results[key]):
                continue
            cents = _cents(value)
            if cents is None or cents in seen[key]:
                return False
            seen[key].add(cents)
    return True


TRIES = 200  # draws screened before one is taken as it is (the rejection rules decide)


def draw_apart(family: Family, rng: random.Random, level: int,
               draw_once: Callable[[random.Random, int], Draw | None]) -> Draw:
    """The first of `draw_once`'s draws (None: try again) whose mistakes are apart
    (mistakes_apart); after TRIES the last draw is taken as it is."""
    for attempt in range(TRIES):
        d = draw_once(rng, level)
        if d is not None and (attempt == TRIES - 1 or mistakes_apart(
                family, level, d.given, d.params, d.ask)):
            return d
    raise RuntimeError(f"{family.name}: no draw in {TRIES} tries")
