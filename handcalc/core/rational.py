"""The rational kit: the float screen's second look, exact where the math is rational.

The float screen (handcalc.core.work's float kit) cannot tell two values apart that lie
within its guard band, nor say on which side of a rounding tie a value lies when it is
too near: the exact sympy computation decides those. Much of the math is rational
(scores of integer data, masks, counts, maxima, gradients of rational data), and for
rational values Python's ``Fraction`` decides exactly, without sympy. The rational kit
runs a family's math with the given data as Fractions: ``num`` gives Fractions, and
``sqrt``, ``exp``, ``cos`` and ``sin`` give an exact value where sympy's is rational
(sqrt(4) = 2, exp(0) = 1, exp(-oo) = 0, cos(0) = 1, sin(0) = 0) and a float otherwise.
A result entry that is a Fraction (or -inf, a masked score) is thus the exact value
itself; a float entry is only an approximation, and the decision goes to sympy as before.

The decisions here are the exact ones of handcalc.core.rounding and handcalc.exercises
(a rounding tie's margin, the two-decimal text, ``differs``' 1e-20) for exact rationals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

DIFFER = Fraction(1, 10**20)  # handcalc.exercises.exercise.differ's threshold
MARGIN_CENTS = Fraction(1, 2000) * 100  # handcalc.core.exact.MARGIN in cents


def num(x: Any) -> Any:
    """A number as the rational kit holds it: a Fraction when exact and rational, else a
    float (-inf stays -inf)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        return x
    if getattr(x, "is_Rational", False):  # a sympy Rational (sympy is loaded: x is one)
        return Fraction(int(x.p), int(x.q))
    return float(x)


def sqrt(x: Any) -> Any:
    x = num(x)
    if isinstance(x, Fraction) and x >= 0:
        n, d = math.isqrt(x.numerator), math.isqrt(x.denominator)
        if n * n == x.numerator and d * d == x.denominator:
            return Fraction(n, d)
    return math.sqrt(float(x))


def exp(x: Any) -> Any:
    x = num(x)
    if x == -math.inf:
        return Fraction(0)
    if isinstance(x, Fraction) and x == 0:
        return Fraction(1)
    return math.exp(float(x))


def cos(x: Any) -> Any:
    x = num(x)
    return Fraction(1) if isinstance(x, Fraction) and x == 0 else math.cos(float(x))


def sin(x: Any) -> Any:
    x = num(x)
    return Fraction(0) if isinstance(x, Fraction) and x == 0 else math.sin(float(x))


def quotient(x: Any, y: Any) -> Any:
    """x / y; a float over the very same float object is 1, exactly: one computation's
    value (nonzero and finite) over itself, as in the softmax of a single score."""
    if x is y and isinstance(x, float) and x != 0 and math.isfinite(x):
        return Fraction(1)
    return x / y


def exact(v: Any) -> bool:
    """Whether a rational kit's entry is the exact value (a Fraction, or -inf)."""
    return isinstance(v, Fraction) or v == -math.inf


def cents(x: Fraction) -> int:
    """x * 100 rounded half away from zero (handcalc.core.rounding._cents)."""
    n = (200 * abs(x.numerator) + x.denominator) // (2 * x.denominator)
    return -n if x < 0 else n


def fmt2(x: Any) -> str:
    """x at 2 decimals as handcalc.core.rounding.fmt2 writes it."""
    if x == -math.inf:
        return "-inf"
    n = cents(x)
    return f"{'-' if n < 0 else ''}{abs(n) // 100}.{abs(n) % 100:02d}"


def near_boundary(x: Any) -> bool:
    """handcalc.core.rounding.near_boundary for an exact rational (or -inf)."""
    if x == -math.inf:
        return False
    t = abs(x) * 100
    return abs(t - math.floor(t) - Fraction(1, 2)) < MARGIN_CENTS


def differs(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """handcalc.exercises.exercise.differs for entries of one shape, all exact."""
    for x, y in zip(a, b, strict=True):
        if x == -math.inf or y == -math.inf:
            if x != y:
                return True
        elif abs(x - y) > DIFFER:
            return True
    return False


def same2(wrong: Sequence[Any], right: Sequence[Any]) -> bool | None:
    """Whether a mistaken result shows the same at 2 decimals as the right one while
    differing from it (the rejection rule), or None when an entry is not exact."""
    if not all(exact(v) for v in (*wrong, *right)):
        return None
    return differs(wrong, right) and all(
        fmt2(x) == fmt2(y) for x, y in zip(wrong, right, strict=True))
