"""The rational kit: the float screen's second look, exact where the math allows.

The float screen (handcalc.core.work's float kit) cannot tell two values apart that lie
within its guard band, nor say on which side of a rounding tie a value lies when it is
too near: the exact sympy computation decides those. Much of the math is rational
(scores of integer data, masks, counts, maxima, gradients of rational data), and for
rational values Python's ``Fraction`` decides exactly, without sympy. The rational kit
runs a family's math with the given data as Fractions: ``num`` gives Fractions, ``sqrt``
a Fraction or an exact square root, ``exp`` an exact sum of exponentials (the kinds of
handcalc.core.expsum: a softmax's weights are their ratios), ``cos`` and ``sin`` an exact
value at 0 and at multiples of pi/6 and pi/4 (RoPE's drawn angles), else a float. A
result entry of an exact kind (or -inf, a masked score) is the
exact value itself, and two such entries are equal exactly when their forms are; a float
entry is only an approximation, and the decision goes to sympy as before.

The decisions here are the exact ones of handcalc.core.rounding and handcalc.exercises
(a rounding tie's margin, the two-decimal text, ``differs``' 1e-20): exactly for
rationals; for the other exact kinds, equality exactly and anything else from floats
only when clearly apart, else None (sympy decides). tests/test_lazysympy.py compares them
with the exact path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from handcalc.core.expsum import EXACT_TYPES, GAP, ExpFrac, ExpSum, Surds, approx_err

DIFFER = Fraction(1, 10**20)  # handcalc.exercises.exercise.differ's threshold
MARGIN = Fraction(1, 2000)  # 0.0005, distance kept from a rounding boundary (core.exact's)


def num(x: Any) -> Any:
    """A number as the rational kit holds it: an int as a Fraction, an exact kind (or an
    angle that knows itself as a multiple of pi) as it is, a sympy Rational as a Fraction,
    anything else as a float (-inf stays -inf)."""
    if isinstance(x, Fraction | float | Surds | ExpSum | ExpFrac) or hasattr(x, "pi_multiple"):
        return x  # an angle that knows itself as a multiple of pi stays one, for cos and sin
    if isinstance(x, int):
        return Fraction(x)
    if getattr(x, "is_Rational", False):  # a sympy Rational (sympy is loaded: x is one)
        return Fraction(int(x.p), int(x.q))
    return float(x)


def sqrt(x: Any) -> Any:
    x = num(x)
    if isinstance(x, Fraction) and x >= 0:
        return Surds.root(x)
    return math.sqrt(float(x))


def exp(x: Any) -> Any:
    x = num(x)
    if x == -math.inf:
        return Fraction(0)
    if isinstance(x, Fraction | Surds):
        return ExpSum.exp(x)
    return math.exp(float(x))


def _cos_pi(q: Fraction) -> Any:
    """cos(q pi) exactly where q pi is a multiple of pi/6 or pi/4, else None."""
    k = q * 12
    if k.denominator != 1:
        return None
    k = int(k) % 24
    if k > 12:
        k = 24 - k  # cos(2 pi - x) = cos x
    sign = 1
    if k > 6:
        k, sign = 12 - k, -1  # cos(pi - x) = -cos x
    half = {0: Fraction(1), 2: Surds.root(Fraction(3, 4)), 3: Surds.root(Fraction(1, 2)),
            4: Fraction(1, 2), 6: Fraction(0)}.get(k)
    return None if half is None else half * sign


def cos(x: Any) -> Any:
    """cos x: exact at 0 and at an angle that is a multiple of pi/6 or pi/4 (one that
    carries ``pi_multiple``, as RoPE's drawn angles do), else a float."""
    q = getattr(x, "pi_multiple", None)
    if isinstance(q, Fraction):
        found = _cos_pi(q)
        return found if found is not None else math.cos(float(x))
    x = num(x)
    return Fraction(1) if isinstance(x, Fraction) and x == 0 else math.cos(float(x))


def sin(x: Any) -> Any:
    q = getattr(x, "pi_multiple", None)
    if isinstance(q, Fraction):
        found = _cos_pi(Fraction(1, 2) - q)  # sin x = cos(pi/2 - x)
        return found if found is not None else math.sin(float(x))
    x = num(x)
    return Fraction(0) if isinstance(x, Fraction) and x == 0 else math.sin(float(x))


def quotient(x: Any, y: Any) -> Any:
    """x / y; a float over the very same float object is 1, exactly: one computation's
    value (nonzero and finite) over itself, as in the softmax of a single score."""
    if x is y and isinstance(x, float) and x != 0 and math.isfinite(x):
        return Fraction(1)
    return x / y


KINDS = (Fraction, *EXACT_TYPES)  # what the kit holds besides floats


def exact(v: Any) -> bool:
    """Whether a rational kit's entry is the exact value (of an exact kind, or -inf)."""
    return isinstance(v, KINDS) or v == -math.inf


def is_rational(v: Any) -> bool:
    """Whether a rational kit's entry is an exact rational (a Fraction), or -inf."""
    return isinstance(v, Fraction) or v == -math.inf


def cents_pq(p: int, q: int) -> int:
    """p/q * 100 rounded half away from zero, in integers: floor(|p| / q * 100 + 1/2),
    signed (q > 0). handcalc.core.rounding's too."""
    n = (200 * abs(p) + q) // (2 * q)
    return -n if p < 0 else n


def cents_text(n: int) -> str:
    """Whole cents as 2-decimal text: -50 -> '-0.50'. handcalc.core.rounding's too."""
    return f"{'-' if n < 0 else ''}{abs(n) // 100}.{abs(n) % 100:02d}"


def cents(x: Any) -> int | None:
    """x * 100 rounded half away from zero (handcalc.core.rounding._cents); for an exact
    value that is not rational, from its float when its error bound keeps it clear of a
    tie (and GAP), else None."""
    if isinstance(x, Fraction):
        return cents_pq(x.numerator, x.denominator)
    f, err = approx_err(x)
    t = abs(f) * 100
    if not (math.isfinite(t) and math.isfinite(err)) or \
            abs(t - math.floor(t) - 0.5) <= GAP * max(1.0, t) + 100 * err:
        return None
    n = math.floor(t + 0.5)
    return -n if f < 0 else n


def fmt2(x: Any) -> str | None:
    """x at 2 decimals as handcalc.core.rounding.fmt2 writes it (None: undecided)."""
    if x == -math.inf:
        return "-inf"
    n = cents(x)
    return None if n is None else cents_text(n)


def near_boundary(x: Any, margin: Any = MARGIN) -> bool:
    """Whether an exact rational (or -inf) lies within ``margin`` of a rounding boundary
    k/100 + 1/200: handcalc.core.rounding.near_boundary's rationals."""
    if x == -math.inf:
        return False
    t = abs(x) * 100
    return bool(abs(t - math.floor(t) - Fraction(1, 2)) < margin * 100)


def _differ(x: Any, y: Any) -> bool | None:
    """|x - y| > 1e-20 for two exact values: exactly for rationals, and for the other
    kinds exactly when equal, from the difference's float when its error bound keeps it
    clear (by GAP) of 0."""
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return abs(x - y) > DIFFER
    d = x - y
    if d == 0:
        return False
    if isinstance(d, Fraction):
        return abs(d) > DIFFER
    f, err = approx_err(d)
    size = max(1.0, abs(float(x)), abs(float(y)))
    return True if abs(f) - err > GAP * size else None


def differs(a: Sequence[Any], b: Sequence[Any]) -> bool | None:
    """handcalc.exercises.exercise.differs for exact entries of one shape; None when
    undecided (values apart by less than the float's band: sympy decides)."""
    undecided = False
    for x, y in zip(a, b, strict=True):
        if x == -math.inf or y == -math.inf:
            if not (x == -math.inf and y == -math.inf):
                return True
            continue
        got = _differ(x, y)
        if got:
            return True
        undecided = undecided or got is None
    return None if undecided else False


def same2(wrong: Sequence[Any], right: Sequence[Any]) -> bool | None:
    """Whether a mistaken result shows the same at 2 decimals as the right one while
    differing from it (the rejection rule), or None when the kit cannot tell."""
    if not all(exact(v) for v in (*wrong, *right)):
        return None
    try:
        apart = differs(wrong, right)
        if not apart:
            return apart
        texts = [(fmt2(x), fmt2(y)) for x, y in zip(wrong, right, strict=True)]
    except (ValueError, ArithmeticError):
        return None
    if any(x is None or y is None for x, y in texts):
        return None
    return all(x == y for x, y in texts)
