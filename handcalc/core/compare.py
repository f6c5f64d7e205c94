"""Comparing exact answers: whether a matrix holds usable numbers, whether two hold the
same expressions or differ in value, and the float screen's verdict on whether a changed
answer shows the same at 2 decimals. Used by the rules of drawn exercises
(handcalc.exercises.exercise) and by grade; knows no family.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from handcalc.core.exact import Mat, approx_err, entries, is_finite, neg_inf, shape
from handcalc.core.rounding import cents_f, differs_f

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy


def usable(m: Mat) -> bool:
    """A matrix whose entries are real numbers or -inf (not nan, zoo or +inf)."""
    return all(v == neg_inf() or (v.is_number and is_finite(v) and v.is_real is not False)
               for v in entries(m))


def identical(a: Mat, b: Mat) -> bool:
    """Whether two matrices hold the same expressions (so the same values), compared
    structurally: False says nothing about their values."""
    return shape(a) == shape(b) and all(
        x == y for x, y in zip(entries(a), entries(b), strict=True))


def differs(a: Mat, b: Mat) -> bool:
    """Whether two matrices differ in value (not merely in form): an entry differs when
    |x - y| evaluated to 30 digits exceeds 1e-20 (``differ``)."""
    if shape(a) != shape(b):
        return True
    for x, y in zip(entries(a), entries(b), strict=True):
        if not (is_finite(x) and is_finite(y)):
            if x != y:
                return True
        elif differ(x, y):
            return True
    return False


APART = 1e-12  # a proved gap this wide is far beyond differ's 1e-20


def differ(x: sympy.Expr, y: sympy.Expr) -> bool:
    """Whether |x - y| > 1e-20, from its 30-digit evaluation. That evaluation is slow
    where x and y are one number in two forms (it cancels to 0.e-165), so cheaper
    decisions come first: the same expression is the same value; float values whose
    error bounds (approx_err) leave a gap wider than APART differ; a difference whose
    numerator over a common denominator expands to 0 is 0."""
    if x == y:
        return False
    try:
        (vx, ex), (vy, ey) = approx_err(x), approx_err(y)
    except (ValueError, TypeError, OverflowError):  # not a real number: no float to trust
        vx = vy = ex = ey = math.nan
    if math.isfinite(vx) and math.isfinite(vy) and abs(vx - vy) - ex - ey > APART:
        return True
    d = x - y
    if not isinstance(d, sympy.Rational):
        numerator, _ = sympy.fraction(sympy.together(d))
        if sympy.expand(numerator) == 0:
            return False
    return bool(abs(sympy.N(d, 30)) > sympy.Float("1e-20"))


def screen_same2(wrong: Mat, right: Mat) -> bool | None:
    """From floats: True when two different values show the same at 2 decimals, False
    when they are told apart, None when only exact values can say."""
    if shape(wrong) != shape(right):
        return False
    for w, r in zip(entries(wrong), entries(right), strict=True):
        if w == r == -math.inf:
            continue
        if (w == -math.inf) != (r == -math.inf):
            return False
        cw, cr = cents_f(w), cents_f(r)
        if cw is None or cr is None:
            return None
        if cw != cr:
            return False
    return True if differs_f(wrong, right) else None
