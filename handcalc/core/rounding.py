"""The two-decimal rule, decided exactly: the sign of an exact value (Rationals, then
guaranteed accuracy at growing precision, then algebra), float approximations with error
bounds, rounding to 2 decimals, the distance from a rounding boundary, and whether a typed
value is within 0.005 of an exact one. Floats decide only where they clear a guard band;
anything closer is decided on the exact value."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

from handcalc.core import rational
from handcalc.core.exact import (
    GUARD,
    MARGIN,
    TOL,
    TOL_F,
    Mat,
    approx_err,
    entries,
    is_finite,
    is_neg_inf,
    neg_inf,
    numeric,
    shape,
)
from handcalc.core.rational import cents_pq, cents_text
from handcalc.errors import Undecidable

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

SIGN_DIGITS = (30, 120, 480, 1920)  # precisions tried by sign(), in decimal digits


def sign(x: sympy.Expr) -> int:
    """The sign of a real number (-1, 0 or 1), decided exactly (see the module's
    docstring); ValueError for a value that is not real, Undecidable when neither
    evaluation nor sympy's algebra can tell it from zero."""
    if isinstance(x, sympy.Rational):
        return _rational_sign(x)
    from sympy.core.evalf import PrecisionExhausted

    for digits in SIGN_DIGITS:
        try:
            value = x.evalf(digits, strict=True, maxn=2 * digits)
        except PrecisionExhausted:  # no correct digit at this precision: zero or tiny
            continue
        if not value.is_number or value.is_real is False or value.has(sympy.I):
            raise ValueError(f"not a real number: {x}")
        if value != 0:
            return 1 if value > 0 else -1
    return _symbolic_sign(x)


def _rational_sign(x: sympy.Rational) -> int:
    return (x.p > 0) - (x.p < 0)


def _symbolic_sign(x: sympy.Expr) -> int:
    """The sign of a value too close to zero to evaluate: zero when sympy proves it."""
    for form in (x, sympy.expand(x), sympy.expand_log(x, force=True), sympy.simplify(x)):
        if isinstance(form, sympy.Rational):
            return _rational_sign(form)
        if form.is_zero:
            return 0
    from sympy.polys.polyerrors import NotAlgebraic

    try:
        poly = sympy.minimal_polynomial(x, sympy.Dummy("t"), polys=True)
    except (NotAlgebraic, NotImplementedError, ValueError):
        poly = None
    if poly is not None and poly.degree() == 1:  # a rational: -c0 / c1
        return _rational_sign(-sympy.Rational(poly.nth(0)) / sympy.Rational(poly.nth(1)))
    raise Undecidable(f"cannot decide the sign of {sympy.sstr(x)[:60]} exactly")


def _floor(t: sympy.Expr) -> int:
    """floor(t), exactly: estimated from 30 digits, then checked (and corrected) by sign."""
    if isinstance(t, sympy.Rational):
        return int(sympy.floor(t))
    estimate = numeric(t)
    digits = len(str(abs(int(estimate)))) + 30  # enough for every integer digit
    if digits > 60:
        estimate = numeric(t, digits)
    n = int(sympy.floor(estimate))
    while sign(t - n) < 0:
        n -= 1
    while sign(t - (n + 1)) >= 0:
        n += 1
    return n


def _band(*values: float) -> float:
    """GUARD * max(1, |v| for v in values) (a loop: this is called very often)."""
    m = 1.0
    for v in values:
        a = abs(v)
        if a > m:
            m = a
    return GUARD * m


def _cents_margin(margin: sympy.Expr) -> float:
    """margin * 100 as a float (the default's computed once)."""
    return _MARGIN_CENTS if margin is MARGIN else float(margin * 100)


_MARGIN_CENTS = float(MARGIN * 100)


def _frac_to_half(x: float) -> float:
    """Distance of |x| * 100 from the nearest k + 1/2 (a rounding tie at 2 decimals)."""
    t = abs(x) * 100
    return abs(t - math.floor(t) - 0.5)


def cents_f(f: float) -> int | None:
    """A float screen value rounded to whole cents (half away from zero), or None when it
    lies too near a rounding tie for a float to tell (or is not finite)."""
    if not math.isfinite(f) or _frac_to_half(f) <= _band(f * 100):
        return None
    n = math.floor(abs(f) * 100 + 0.5)
    return -n if f < 0 else n


class Undecided(Exception):
    """A float screen cannot settle this; the exact value must."""


def round2_f(f: float) -> float:
    """A float screen value rounded to 2 decimals (a float), or Undecided near a tie."""
    if f == -math.inf:
        return f
    n = cents_f(f)
    if n is None:
        raise Undecided(f)
    return n / 100


# id(v) -> [v, is_neg_inf(v), is_finite(v), approx_err(v)], the last two found when first
# needed: within_f is asked about the same typed values many times over (an entry holds
# its value, so the id is not reused)
_FACTS: dict[int, list] = {}
_FACTS_SIZE = 1 << 16


def within_f(v: sympy.Expr, f: float) -> bool | None:
    """The two-decimal rule for typed v against a float screen value f: True or False
    when the floats settle it beyond the guard band, None when only exact values can."""
    facts = _FACTS.get(id(v))
    if facts is None or facts[0] is not v:
        if len(_FACTS) >= _FACTS_SIZE:
            _FACTS.clear()
        facts = _FACTS[id(v)] = [v, is_neg_inf(v), None, None]
    if f == -math.inf or facts[1]:
        return bool(f == -math.inf and facts[1])
    if not math.isfinite(f):
        return None
    if facts[2] is None:
        facts[2] = is_finite(v)
    if not facts[2]:
        return None
    if facts[3] is None:
        facts[3] = approx_err(v)
    fv, ev = facts[3]
    gap = abs(fv - f) - TOL_F
    return (gap < 0) if abs(gap) > GUARD * max(1.0, abs(fv), abs(f)) + ev else None


def differs_f(a: Mat, b: Mat) -> bool:
    """Whether two float screen matrices surely differ (beyond the guard band)."""
    if shape(a) != shape(b):
        return True
    for x, y in zip(entries(a), entries(b), strict=True):
        if (x == -math.inf) != (y == -math.inf):
            return True
        if math.isfinite(x) and math.isfinite(y) and abs(x - y) > _band(x, y):
            return True
    return False


def near_boundary_f(f: float, margin: sympy.Expr = MARGIN) -> bool | None:
    """near_boundary for a float screen value, or None when only the exact value can tell."""
    if f == -math.inf:
        return False
    if not math.isfinite(f):
        return None
    gap = _frac_to_half(f) - _cents_margin(margin)
    return (gap < 0) if abs(gap) > _band(f * 100) else None


def _cents(x: sympy.Expr) -> int:
    """x * 100 rounded half away from zero, as a signed int (x finite)."""
    if isinstance(x, sympy.Rational):  # in integers
        return cents_pq(int(x.p), int(x.q))
    f, err = approx_err(x)
    if _frac_to_half(f) > _band(f * 100) + 100 * err:
        n = math.floor(abs(f) * 100 + 0.5)
        return -n if f < 0 else n
    s = sign(x)
    n = _floor(s * x * 100 + sympy.Rational(1, 2))
    return -n if s < 0 else n


def round2(x: sympy.Expr) -> sympy.Expr:
    """x rounded to 2 decimals, half away from zero, as an exact Rational (-oo stays)."""
    if x == neg_inf() or x == sympy.oo:
        return x
    return sympy.Rational(_cents(x), 100)


def fmt2(x: sympy.Expr) -> str:
    """x at 2 decimals as text: '18.81', '-0.50', '-inf'."""
    if x == neg_inf():
        return "-inf"
    if x == sympy.oo:
        return "inf"
    return cents_text(_cents(x))


def simplest(x: sympy.Expr) -> sympy.Expr:
    """x as a fraction p/q (q <= 12) where it is one in a longer form, proved so (the
    difference over a common denominator expands to 0), e.g. a sum of exponentials that
    cancels to 0; else x as it is. For showing an exact answer, never for a record."""
    if isinstance(x, sympy.Rational):
        return x
    try:
        v, err = approx_err(x)
    except (ValueError, TypeError, OverflowError):
        return x
    if not math.isfinite(v) or abs(v) > 1e6:
        return x
    if not math.isfinite(err) and not is_finite(x):  # a bound proves x finite, cheaply
        return x
    for q in range(1, 13):
        p = round(v * q)
        if abs(v - p / q) < 1e-9:
            numerator, _ = sympy.fraction(sympy.together(x - sympy.Rational(p, q)))
            if sympy.expand(numerator) == 0:
                return sympy.Rational(p, q)
            return x
    return x


def simplest_mat(m: Mat) -> Mat:
    """simplest() of every entry."""
    return tuple(tuple(simplest(v) for v in r) for r in m)


def whole(m: Mat) -> bool:
    """Whether every entry of m is an exact integer (or -inf, a masked entry): a matrix of
    indices, counts or bytes, or integer data, which reads best without decimals."""
    return all(isinstance(v, sympy.Integer) or v == neg_inf() for r in m for v in r)


def fmt_shown(m: Mat) -> list[list[str]]:
    """m as a worked step or a key shows it: integers as integers when every entry is
    one (whole), else each entry at 2 decimals (fmt2)."""
    if whole(m):
        return [["-inf" if v == neg_inf() else str(int(v)) for v in r] for r in m]
    return [[fmt2(v) for v in r] for r in m]


def fmt_exact(x: sympy.Expr) -> str:
    """x as exact text: '5*sqrt(2)/2', '1/10', '-inf'."""
    if x == neg_inf():
        return "-inf"
    return sympy.sstr(x)


def near_boundary(x: sympy.Expr, margin: sympy.Expr = MARGIN) -> bool:
    """True when x lies within `margin` of a rounding boundary k/100 + 1/200."""
    if not is_finite(x):
        return False
    if isinstance(x, sympy.Rational):
        return rational.near_boundary(Fraction(int(x.p), int(x.q)), margin)
    f, err = approx_err(x)
    gap = _frac_to_half(f) - _cents_margin(margin)
    if abs(gap) > _band(f * 100) + 100 * err:
        return gap < 0
    t = sign(x) * x * 100
    offset = t - _floor(t) - sympy.Rational(1, 2)  # from the tie k + 1/2, in cents
    return sign(sign(offset) * offset - margin * 100) < 0


def within(v: sympy.Expr, x: sympy.Expr, tol: sympy.Expr = TOL) -> bool:
    """The two-decimal rule: |v - x| <= tol, decided exactly. -inf accepts only -inf."""
    if not is_finite(x) or not is_finite(v):
        return bool(v == x)
    if isinstance(x, sympy.Rational) and isinstance(v, sympy.Rational):
        return bool(abs(v - x) <= tol)
    (fv, ev), (fx, ex) = approx_err(v), approx_err(x)
    gap = abs(fv - fx) - float(tol)
    if abs(gap) > _band(fv, fx) + ev + ex:
        return gap < 0
    d = v - x  # a Rational whenever the irrational parts cancel: decided exactly
    s = sign(d)
    return s == 0 or sign(s * d - tol) <= 0


def same2(a: Mat, b: Mat) -> bool:
    """Whether two matrices show the same at 2 decimals (same shape, same rounded text)."""
    return shape(a) == shape(b) and all(
        fmt2(x) == fmt2(y) for x, y in zip(entries(a), entries(b), strict=True))


