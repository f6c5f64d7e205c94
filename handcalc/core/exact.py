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
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from handcalc.core.expsum import ULP
from handcalc.core.expsum import approx_err as kit_approx_err
from handcalc.core.rational import KINDS
from handcalc.core.rational import MARGIN as MARGIN  # 0.0005, kept from a rounding boundary

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

Mat = tuple[tuple["sympy.Expr", ...], ...]

# exact (sympy takes a Fraction as the Rational it is), and read without importing sympy
TOL = Fraction(1, 200)  # 0.005, the two-decimal rule
GUARD = 1e-9  # relative band around a threshold inside which floats do not decide
TOL_F = float(TOL)  # the float screen's threshold (0.005 as the nearest float)


def neg_inf() -> sympy.Expr:
    """-oo, the masked score (sympy's one NegativeInfinity: ``is`` tells it)."""
    return sympy.S.NegativeInfinity


def __getattr__(name: str) -> object:
    """``NEG_INF``, read from this module (sympy imported then): neg_inf()."""
    if name == "NEG_INF":
        return neg_inf()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_neg_inf(x: object) -> bool:
    """x == -oo, without sympy's comparison for a Rational (never -oo); a screen's float
    or a typed Fraction without sympy."""
    if isinstance(x, float | int | Fraction):
        return x == -math.inf
    ninf = neg_inf()
    return x is ninf or (not isinstance(x, sympy.Rational) and x == ninf)


def to_exact(value: object) -> sympy.Expr:
    """An int, str fraction ("1/10"), Fraction or sympy value as an exact sympy value."""
    if isinstance(value, sympy.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, str):
        return sympy.Rational(value)
    if isinstance(value, float):
        raise TypeError("floats are not exact; give an int or a fraction string")
    if hasattr(value, "_sympy_"):  # an exact value of handcalc's own (rope.PiTimes)
        return value._sympy_()
    return sympy.Rational(value)  # fractions.Fraction


def mat(rows: Iterable[Iterable[object]]) -> Mat:
    """A Mat from nested iterables of exact numbers."""
    return shaped(tuple(to_exact(v) for v in row) for row in rows)


def shaped(rows: Iterable[Iterable[object]]) -> Mat:
    """Rows as a matrix of the values as they are, checked: equal, non-empty rows."""
    out = tuple(tuple(row) for row in rows)
    if not out or any(len(r) != len(out[0]) for r in out) or not out[0]:
        raise ValueError("a matrix needs equal, non-empty rows")
    return out  # type: ignore[return-value]


def _value(v: object) -> object:
    """Exact numbers as sympy values; floats and Fractions (the screens' kits, see
    handcalc.core.rational) pass through."""
    return v if isinstance(v, (float, *KINDS)) else to_exact(v)


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
    if len(vals) == 1 and isinstance(vals[0], (float, *KINDS)):
        return vals[0]  # type: ignore[return-value]  # itself (the rational kit's x / x)
    if vals and isinstance(vals[0], float):
        return sum(vals, 0.0)  # type: ignore[return-value]
    if vals and all(isinstance(v, (float, *KINDS)) for v in vals):  # the rational kit's
        return sum(vals, Fraction(0))  # type: ignore[return-value]
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
    if _is_zero(x) and _surely_finite(y):
        return x
    if _is_zero(y) and _surely_finite(x):
        return y
    return x * y  # type: ignore[operator]


def quotient(x: object, y: object) -> object:
    """x / y. An exact 0 over a divisor that approx_err bounds away from 0 and from
    infinity is 0 at once (sympy asks the divisor's assumptions first, slowly, to the same
    end); anything else, floats included, is divided as it is."""
    if _is_zero(x) and _surely_finite(y) and _surely_nonzero(y):
        return x
    return x / y  # type: ignore[operator]


def _is_zero(x: object) -> bool:
    """x is sympy's exact 0 (Integer(0) and Rational(0) are that one object); a float or
    Fraction of the screens' kits never is (nor does asking import sympy)."""
    return not isinstance(x, (float, int, *KINDS)) and x is sympy.S.Zero


def _surely_nonzero(v: object) -> bool:
    if isinstance(v, sympy.Rational):
        return v != 0
    value, err = approx_err(v)  # type: ignore[arg-type]
    return abs(value) > err


def _surely_finite(v: object) -> bool:
    if isinstance(v, sympy.Rational):
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
    if isinstance(x, float | int | Fraction):
        return math.isfinite(x)
    return x.is_finite is True or (x.is_number and bool(x.is_finite))


def numeric(x: sympy.Expr, digits: int = 30) -> sympy.Float:
    value = sympy.N(x, digits)
    if not isinstance(value, sympy.Float | sympy.Integer | sympy.Rational):
        raise ValueError(f"not a real number: {x}")
    return value




def _mul_err(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    (x, ex), (y, ey) = a, b
    v = x * y
    return v, abs(x) * ey + abs(y) * ex + ex * ey + ULP * abs(v)


def _pow_err(base: tuple[float, float], e: sympy.Rational) -> tuple[float, float]:
    b, eb = base
    fe = float(e)
    if b == 0 or eb >= abs(b) / 2 or (b < 0 and not e.is_integer):
        return math.nan, math.inf
    v = math.sqrt(b) if e == sympy.Rational(1, 2) else b ** fe
    r = eb / (abs(b) - eb)  # relative error of the base, on the safe side
    return v, abs(v) * ((1 + r) ** abs(fe) - 1 + ULP)


@lru_cache(maxsize=1 << 16)
def approx_err(x: sympy.Expr) -> tuple[float, float]:
    """(v, e): x evaluated in floats over its expression tree, with |v - x| <= e.

    The bound is carried through each operation (sums, products, rational powers, exp);
    anything else falls back to a 20-digit evaluation. e is inf where no bound is known,
    which sends every decision about x to the exact path. Cached, so shared
    subexpressions are evaluated once."""
    if isinstance(x, Fraction | int):  # typed plain decimals (handcalc.exercises.quickkeys)
        return kit_approx_err(x)
    if isinstance(x, float):  # a typed -inf
        return x, 0.0 if math.isinf(x) else ULP * abs(x)
    if x == neg_inf() or x == sympy.oo:
        return float(x), 0.0
    if isinstance(x, sympy.Rational):
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
    if x.is_Pow and isinstance(x.exp, sympy.Rational):
        return _pow_err(approx_err(x.base), x.exp)
    v = float(numeric(x, 20))
    return v, 1e-18 * max(1.0, abs(v))


def approx(x: sympy.Expr) -> float:
    """x as a float (see approx_err); -inf for -oo."""
    return approx_err(x)[0]


def to_floats(m: Mat) -> list[list[float]]:
    """Nested floats, for the torch kernel and the float screen (never a verdict alone)."""
    return [[float(v) if isinstance(v, int | float | Fraction) else approx(v) for v in r]
            for r in m]

