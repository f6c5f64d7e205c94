"""handcalc: generate, solve and grade hand-calculation exercises on self-attention.

For notebooks and scripts (see handcalc.api)::

    import handcalc
    ex = handcalc.exercise("worked-4", lang="zh")   # or handcalc.new("gqa", level=2)
    own = handcalc.new("attention", given={"Q": "1 0; 0 1", "K": "1 1; 0 1",
                                           "V": "1 2; 3 4"})   # your own data
    ex.check(1, "0.71, 2.12")                       # a Verdict: correct, score, diagnosis
    ex.solve()                                      # the worked solution

Importing handcalc loads nothing heavy: the engine loads on the first call, and torch never.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from handcalc.errors import HandcalcError, ParseError, ShapeError, UnknownCode, UnknownPart

if TYPE_CHECKING:
    from handcalc.api import Exercise

__version__ = "0.1.0"
__all__ = ["exercise", "new", "HandcalcError", "ParseError", "ShapeError", "UnknownCode",
           "UnknownPart"]


def exercise(code: str, lang: str | None = None) -> Exercise:
    """The exercise a code stands for (``worked-4``, ``causal-2-4821``); `lang` is "en" or
    "zh" (default: HANDCALC_LANG, else the locale, else English)."""
    from handcalc import api

    return api.exercise(code, lang)


def new(family: str, level: int = 1, seed: int | None = None,
        lang: str | None = None, *, given: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        parts: Sequence[str] | None = None) -> Exercise:
    """A fresh exercise of `family` at `level` from `seed` (default: a new one); or your
    own from `given` matrices (rows of numbers, or typed text such as "1 0; 0 1"),
    `params` and `parts` (``handcalc families FAMILY`` lists the names)."""
    from handcalc import api

    return api.new(family, level, seed, lang, given=given, params=params, parts=parts)
