"""Exact matrices and the two-decimal rule.

A matrix is a tuple of rows of sympy values (``Mat``); a scalar is 1 x 1 and a vector
1 x n or n x 1. Products and sums are built from sympy's own Add/Mul, never simplified,
so values stay exact (Rational, sqrt, exp) end to end.

Numbers are judged at 2 decimals exactly:

* ``round2(x)`` rounds half away from zero: sign(x) * floor(|x| * 100 + 1/2) / 100;
* ``within(v, x)`` decides |v - x| <= 0.005 exactly: in Rationals when v - x is
  rational, else from the sign of |v - x| - 0.005 (``sign``);
* ``near_boundary(x)`` says whether x lies within 0.0005 of a rounding boundary x.xx5.

``sign(x)`` is exact: a rational by its numerator; anything else evaluated by sympy with
a guaranteed relative accuracy (``evalf(strict=True)``) at 30, then 120, 480 and 1920
digits, whose first nonzero result has the true sign; a value that evaluates to no
nonzero digit is decided symbolically (sympy proves it zero, or its minimal polynomial
does) and otherwise refused (Undecidable), never rounded.

Speed without giving up exactness: each exact value is also evaluated in floats with a
bound on its error (``approx_err``, cached). A comparison is settled from floats only
when it misses the threshold by more than that bound plus a guard band (1e-9, relative,
which also covers the float screen of handcalc.core.work); otherwise it is decided from the
exact value. So the decisions are the exact ones, and floats never decide a case near a
boundary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import lru_cache

import sympy
from sympy import Integer, Rational
from sympy.core.evalf import PrecisionExhausted
from sympy.polys.polyerrors import NotAlgebraic

from handcalc.errors import Undecidable

Mat = tuple[tuple[sympy.Expr, ...], ...]

TOL = Rational(1, 200)  # 0.005, the two-decimal rule
MARGIN = Rational(1, 2000)  # 0.0005, distance kept from a rounding boundary
NEG_INF = -sympy.oo
GUARD = 1e-9  # relative band around a threshold inside which floats do not decide
TOL_F = float(TOL)  # the float screen's threshold (0.005 as the nearest float)


def is_neg_inf(x: object) -> bool:
    """x == -oo, without sympy's comparison for a Rational (never -oo)."""
    return x is NEG_INF or (not isinstance(x, Rational) and x == NEG_INF)


def to_exact(value: object) -> sympy.Expr:
    """An int, str fraction ("1/10"), Fraction or sympy value as an exact sympy value."""
    if isinstance(value, sympy.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        return Integer(value)
    if isinstance(value, str):
        return Rational(value)
    if isinstance(value, float):
        raise TypeError("floats are not exact; give an int or a fraction string")
    return Rational(value)  # fractions.Fraction


def mat(rows: Iterable[Iterable[object]]) -> Mat:
    """A Mat from nested iterables of exact numbers."""
    out = tuple(tuple(to_exact(v) for v in row) for row in rows)
    if not out or any(len(r) != len(out[0]) for r in out) or not out[0]:
        raise ValueError("a matrix needs equal, non-empty rows")
    return out


def _value(v: object) -> object:
    """Exact numbers as sympy values; floats (the numeric screen's) pass through."""
    return v if isinstance(v, float) else to_exact(v)


def row(values: Iterable[object]) -> Mat:
    """A 1 x n row vector."""
    return (tuple(_value(v) for v in values),)  # type: ignore[return-value]


def col(values: Iterable[object]) -> Mat:
    """An n x 1 column vector."""
    return tuple((_value(v),) for v in values)  # type: ignore[return-value]


def scalar(value: object) -> Mat:
    """A 1 x 1 matrix."""
    return ((_value(value),),)  # type: ignore[return-value]


def total(values: Iterable[object]) -> sympy.Expr:
    """The sum of exact values (one sympy Add) or of floats."""
    vals = list(values)
    if vals and isinstance(vals[0], float):
        return sum(vals, 0.0)  # type: ignore[return-value]
    return sympy.Add(*vals)


def shape(m: Mat) -> tuple[int, int]:
    return len(m), len(m[0])


def entries(m: Mat) -> list[sympy.Expr]:
    return [v for r in m for v in r]


def transpose(m: Mat) -> Mat:
    return tuple(zip(*m, strict=True))


def _floats_only(m: Mat) -> bool:
    return all(type(v) is float for r in m for v in r)


def matmul(a: Mat, b: Mat) -> Mat:
    """a @ b for (n x k) @ (k x m)."""
    if shape(a)[1] != shape(b)[0]:
        raise ValueError(f"cannot multiply {fmt_shape(a)} by {fmt_shape(b)}")
    bt = transpose(b)
    if _floats_only(a) and _floats_only(b):  # the float kit: what total() does, sooner
        return tuple(tuple(sum([x * y for x, y in zip(r, c, strict=True)], 0.0) for c in bt)
                     for r in a)
    return tuple(tuple(total(_times(x, y) for x, y in zip(r, c, strict=True)) for c in bt)
                 for r in a)


def _times(x: object, y: object) -> object:
    """x * y. A product of an exact 0 is 0 unless sympy proves the other factor infinite,
    which it asks that factor's assumptions to find out, slowly; a factor that approx_err
    bounds as finite cannot be infinite, so the 0 is returned at once (the same value)."""
    if x is _ZERO and _surely_finite(y):
        return x
    if y is _ZERO and _surely_finite(x):
        return y
    return x * y  # type: ignore[operator]


def quotient(x: object, y: object) -> object:
    """x / y. An exact 0 over a divisor that approx_err bounds away from 0 and from
    infinity is 0 at once (sympy asks the divisor's assumptions first, slowly, to the same
    end); anything else, floats included, is divided as it is."""
    if x is _ZERO and _surely_finite(y) and _surely_nonzero(y):
        return x
    return x / y  # type: ignore[operator]


_ZERO = sympy.S.Zero  # the one exact 0 (Integer(0) and Rational(0) are this object)


def _surely_nonzero(v: object) -> bool:
    if isinstance(v, Rational):
        return v != 0
    value, err = approx_err(v)  # type: ignore[arg-type]
    return abs(value) > err


def _surely_finite(v: object) -> bool:
    if isinstance(v, Rational):
        return True
    if not isinstance(v, sympy.Expr):
        return False
    try:
        value, err = approx_err(v)
    except (ValueError, TypeError, OverflowError):
        return False
    return math.isfinite(value) and math.isfinite(err)


def elementwise(f: Callable[..., sympy.Expr], *ms: Mat) -> Mat:
    """f applied entry by entry to matrices of one shape."""
    if len({shape(m) for m in ms}) != 1:
        raise ValueError("elementwise operation on matrices of different shapes")
    return tuple(tuple(f(*vals) for vals in zip(*rows, strict=True))
                 for rows in zip(*ms, strict=True))


def add(a: Mat, b: Mat) -> Mat:
    return elementwise(lambda x, y: x + y, a, b)


def hconcat(*ms: Mat) -> Mat:
    """[A || B]: side by side, along the feature axis."""
    return tuple(sum(rows, ()) for rows in zip(*ms, strict=True))


def vconcat(*ms: Mat) -> Mat:
    """A over B: stacked along the token axis."""
    return tuple(r for m in ms for r in m)


def fmt_shape(m: Mat | tuple[int, int]) -> str:
    r, c = m if isinstance(m[0], int) else shape(m)  # type: ignore[misc,arg-type]
    return f"{r} x {c}"


def is_finite(x: sympy.Expr) -> bool:
    return x.is_finite is True or (x.is_number and bool(x.is_finite))


SIGN_DIGITS = (30, 120, 480, 1920)  # precisions tried by sign(), in decimal digits


def sign(x: sympy.Expr) -> int:
    """The sign of a real number (-1, 0 or 1), decided exactly (see the module's
    docstring); ValueError for a value that is not real, Undecidable when neither
    evaluation nor sympy's algebra can tell it from zero."""
    if isinstance(x, Rational):
        return _rational_sign(x)
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


def _rational_sign(x: Rational) -> int:
    return (x.p > 0) - (x.p < 0)


def _symbolic_sign(x: sympy.Expr) -> int:
    """The sign of a value too close to zero to evaluate: zero when sympy proves it."""
    for form in (x, sympy.expand(x), sympy.expand_log(x, force=True), sympy.simplify(x)):
        if isinstance(form, Rational):
            return _rational_sign(form)
        if form.is_zero:
            return 0
    try:
        poly = sympy.minimal_polynomial(x, sympy.Dummy("t"), polys=True)
    except (NotAlgebraic, NotImplementedError, ValueError):
        poly = None
    if poly is not None and poly.degree() == 1:  # a rational: -c0 / c1
        return _rational_sign(-Rational(poly.nth(0)) / Rational(poly.nth(1)))
    raise Undecidable(f"cannot decide the sign of {sympy.sstr(x)[:60]} exactly")


def _floor(t: sympy.Expr) -> int:
    """floor(t), exactly: estimated from 30 digits, then checked (and corrected) by sign."""
    if isinstance(t, Rational):
        return int(sympy.floor(t))
    estimate = _numeric(t)
    digits = len(str(abs(int(estimate)))) + 30  # enough for every integer digit
    if digits > 60:
        estimate = _numeric(t, digits)
    n = int(sympy.floor(estimate))
    while sign(t - n) < 0:
        n -= 1
    while sign(t - (n + 1)) >= 0:
        n += 1
    return n


def _numeric(x: sympy.Expr, digits: int = 30) -> sympy.Float:
    value = sympy.N(x, digits)
    if not isinstance(value, sympy.Float | sympy.Integer | sympy.Rational):
        raise ValueError(f"not a real number: {x}")
    return value


ULP = 1e-15  # a generous bound on float64's relative error per operation (2.2e-16)


def _mul_err(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    (x, ex), (y, ey) = a, b
    v = x * y
    return v, abs(x) * ey + abs(y) * ex + ex * ey + ULP * abs(v)


def _pow_err(base: tuple[float, float], e: Rational) -> tuple[float, float]:
    b, eb = base
    fe = float(e)
    if b == 0 or eb >= abs(b) / 2 or (b < 0 and not e.is_integer):
        return math.nan, math.inf
    v = math.sqrt(b) if e == Rational(1, 2) else b ** fe
    r = eb / (abs(b) - eb)  # relative error of the base, on the safe side
    return v, abs(v) * ((1 + r) ** abs(fe) - 1 + ULP)


@lru_cache(maxsize=1 << 16)
def approx_err(x: sympy.Expr) -> tuple[float, float]:
    """(v, e): x evaluated in floats over its expression tree, with |v - x| <= e.

    The bound is carried through each operation (sums, products, rational powers, exp);
    anything else falls back to a 20-digit evaluation. e is inf where no bound is known,
    which sends every decision about x to the exact path. Cached, so shared
    subexpressions are evaluated once."""
    if x == NEG_INF or x == sympy.oo:
        return float(x), 0.0
    if isinstance(x, Rational):
        v = x.p / x.q  # int / int is correctly rounded
        return v, ULP * abs(v)
    if x is sympy.E or x is sympy.pi:
        v = float(x)
        return v, ULP * v
    if isinstance(x, sympy.exp):
        a, ea = approx_err(x.args[0])
        if a > 700 or not math.isfinite(ea):
            return math.inf, math.inf
        v = math.exp(a)
        return v, v * (math.expm1(ea) + ULP)
    if x.is_Add:
        parts = [approx_err(t) for t in x.args]
        v = math.fsum(p for p, _ in parts)
        return v, math.fsum(e for _, e in parts) + ULP * abs(v)
    if x.is_Mul:
        out = (1.0, 0.0)
        for t in x.args:
            out = _mul_err(out, approx_err(t))
        return out
    if x.is_Pow and isinstance(x.exp, Rational):
        return _pow_err(approx_err(x.base), x.exp)
    v = float(_numeric(x, 20))
    return v, 1e-18 * max(1.0, abs(v))


def approx(x: sympy.Expr) -> float:
    """x as a float (see approx_err); -inf for -oo."""
    return approx_err(x)[0]


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
    if isinstance(x, Rational):  # in integers: floor(|p| / q * 100 + 1/2)
        p, q = int(x.p), int(x.q)
        n = (200 * abs(p) + q) // (2 * q)
        return -n if p < 0 else n
    f, err = approx_err(x)
    if _frac_to_half(f) > _band(f * 100) + 100 * err:
        n = math.floor(abs(f) * 100 + 0.5)
        return -n if f < 0 else n
    s = sign(x)
    n = _floor(s * x * 100 + Rational(1, 2))
    return -n if s < 0 else n


def round2(x: sympy.Expr) -> sympy.Expr:
    """x rounded to 2 decimals, half away from zero, as an exact Rational (-oo stays)."""
    if x == NEG_INF or x == sympy.oo:
        return x
    return Rational(_cents(x), 100)


def fmt2(x: sympy.Expr) -> str:
    """x at 2 decimals as text: '18.81', '-0.50', '-inf'."""
    if x == NEG_INF:
        return "-inf"
    if x == sympy.oo:
        return "inf"
    n = _cents(x)
    sign = "-" if n < 0 else ""
    n = abs(n)
    return f"{sign}{n // 100}.{n % 100:02d}"


def simplest(x: sympy.Expr) -> sympy.Expr:
    """x as a fraction p/q (q <= 12) where it is one in a longer form, proved so (the
    difference over a common denominator expands to 0), e.g. a sum of exponentials that
    cancels to 0; else x as it is. For showing an exact answer, never for a record."""
    if isinstance(x, Rational) or not is_finite(x):
        return x
    try:
        v, _ = approx_err(x)
    except (ValueError, TypeError, OverflowError):
        return x
    if not math.isfinite(v) or abs(v) > 1e6:
        return x
    for q in range(1, 13):
        p = round(v * q)
        if abs(v - p / q) < 1e-9:
            numerator, _ = sympy.fraction(sympy.together(x - Rational(p, q)))
            if sympy.expand(numerator) == 0:
                return Rational(p, q)
            return x
    return x


def simplest_mat(m: Mat) -> Mat:
    """simplest() of every entry."""
    return tuple(tuple(simplest(v) for v in r) for r in m)


def whole(m: Mat) -> bool:
    """Whether every entry of m is an exact integer (or -inf, a masked entry): a matrix of
    indices, counts or bytes, or integer data, which reads best without decimals."""
    return all(isinstance(v, Integer) or v == NEG_INF for r in m for v in r)


def fmt_shown(m: Mat) -> list[list[str]]:
    """m as a worked step or a key shows it: integers as integers when every entry is
    one (whole), else each entry at 2 decimals (fmt2)."""
    if whole(m):
        return [["-inf" if v == NEG_INF else str(int(v)) for v in r] for r in m]
    return [[fmt2(v) for v in r] for r in m]


def fmt_exact(x: sympy.Expr) -> str:
    """x as exact text: '5*sqrt(2)/2', '1/10', '-inf'."""
    if x == NEG_INF:
        return "-inf"
    return sympy.sstr(x)


def near_boundary(x: sympy.Expr, margin: sympy.Expr = MARGIN) -> bool:
    """True when x lies within `margin` of a rounding boundary k/100 + 1/200."""
    if not is_finite(x):
        return False
    if isinstance(x, Rational):
        t = abs(x) * 100
        return bool(abs(t - sympy.floor(t) - Rational(1, 2)) < margin * 100)
    f, err = approx_err(x)
    gap = _frac_to_half(f) - _cents_margin(margin)
    if abs(gap) > _band(f * 100) + 100 * err:
        return gap < 0
    t = sign(x) * x * 100
    offset = t - _floor(t) - Rational(1, 2)  # from the tie k + 1/2, in cents
    return sign(sign(offset) * offset - margin * 100) < 0


def within(v: sympy.Expr, x: sympy.Expr, tol: sympy.Expr = TOL) -> bool:
    """The two-decimal rule: |v - x| <= tol, decided exactly. -inf accepts only -inf."""
    if not is_finite(x) or not is_finite(v):
        return bool(v == x)
    if isinstance(x, Rational) and isinstance(v, Rational):
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


def to_floats(m: Mat) -> list[list[float]]:
    """Nested floats, for the torch kernel and the float screen (never a verdict alone)."""
    return [[approx(v) if isinstance(v, sympy.Basic) else float(v) for v in r] for r in m]

