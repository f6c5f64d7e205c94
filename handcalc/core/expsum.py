"""Exact values of a softmax without sympy: square roots, sums of exponentials, their ratios.

The rational kit (handcalc.core.rational) is exact where the math is rational. A softmax is
not: its weights are ratios of sums of exponentials of the scores, and the scores of a
scaled exercise are rational multiples of a square root. Those values still have a
canonical form, in which two values are equal exactly when their forms are:

* ``Surds``: a sum of rational multiples of square roots of distinct squarefree whole
  numbers, sum_n c_n sqrt(n) (the scores q.k / sqrt(d)). Such roots are linearly
  independent over the rationals, so the sum is 0 only when every c_n is.
* ``ExpSum``: a sum of exponentials of distinct exponents that are Surds, each times a
  nonzero rational or Surds r_i, sum_i r_i exp(a_i). By the Lindemann-Weierstrass
  theorem, exponentials of distinct algebraic numbers are linearly independent over the
  algebraic numbers, so the sum is 0 only when every r_i is.
* ``ExpFrac``: a ratio of two ExpSums (a softmax weight, an output row); a/b = c/d exactly
  when a d - b c is the zero ExpSum.

Each value normalises to the simplest kind that holds it (an ExpSum of exp(0) alone is a
Fraction, and so on), so equal values of different kinds never meet. Anything else (the
square root of an ExpSum, a product of two irrational Surds, forms grown past MAX_TERMS)
becomes a float: an approximation, for the exact path to decide. A value's float and its
error bound come from ``approx_err``; order (max, abs) is decided from them only when the
floats are apart by more than their errors, else refused (ValueError), never guessed.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

MAX_TERMS = 64  # an ExpSum with more terms is left to sympy (as a float)
GAP = 1e-9  # relative: floats this far apart order two unequal values


def squarefree(n: int) -> tuple[int, int] | None:
    """(a, m) with n = a^2 m and m squarefree, for 0 < n < 10^12 (None: too large)."""
    if not 0 < n < 10**12:
        return None
    a, m, f = 1, n, 2
    while f * f <= m:
        while m % (f * f) == 0:
            m //= f * f
            a *= f
        f += 1
    return a, m


def _q(x: Any) -> Fraction | None:
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return Fraction(x)
    return None


ULP = 1e-15  # a generous bound on a float operation's relative error (2.2e-16): for
# the kit here and for handcalc.core.exact's error calculus


def approx_err(x: Any) -> tuple[float, float]:
    """(v, e): x in floats with |v - x| <= e, for every kind here and Fractions, ints
    and floats (a float as it is, e 0: the kit's floats are decided elsewhere). A sum's
    bound follows the size of its terms, so cancellation cannot hide an error."""
    if isinstance(x, Fraction | int):
        v = x.numerator / x.denominator
        return v, ULP * abs(v)
    if isinstance(x, float):
        return x, 0.0
    if isinstance(x, Surds):
        terms = [float(c) * math.sqrt(n) for n, c in x.terms.items()]
        return math.fsum(terms), 4 * ULP * math.fsum(abs(t) for t in terms)
    if isinstance(x, ExpSum):
        terms, err = [], 0.0
        for a, r in x.terms.values():
            (va, ea), (vr, er) = approx_err(a), approx_err(r)
            e = math.exp(va)
            terms.append(vr * e)
            # exp's own error, the exponent's (e^(a +- ea)), the coefficient's, the product
            err += abs(vr) * e * (4 * ULP + math.expm1(ea)) + er * e * (1 + math.expm1(ea))
        return math.fsum(terms), err + 4 * ULP * math.fsum(abs(t) for t in terms)
    if isinstance(x, ExpFrac):
        (vn, en), (vd, ed) = approx_err(x.num), approx_err(x.den)
        if abs(vd) <= ed:
            return math.nan, math.inf
        v = vn / vd
        return v, (en + abs(v) * ed) / (abs(vd) - ed) + ULP * abs(v)
    return float(x), math.inf


def _order(x: Any, y: Any) -> int:
    """-1, 0 or 1: x against y, exactly equal or apart by more than their floats' errors
    (and GAP)."""
    if x == y:
        return 0
    (fx, ex), (fy, ey) = approx_err(x), approx_err(y)
    if math.isinf(fx) or math.isinf(fy):  # -inf, a masked score, below everything
        if fx == fy:
            raise ValueError("two infinities of two kinds")
        return -1 if fx < fy else 1
    if not abs(fx - fy) > ex + ey + GAP * max(1.0, abs(fx), abs(fy)):
        raise ValueError("too close to order without sympy")
    return -1 if fx < fy else 1


class _Exact:
    """Order and arithmetic fallbacks shared by the three kinds."""

    def __lt__(self, other: Any) -> bool:
        return _order(self, other) < 0

    def __gt__(self, other: Any) -> bool:
        return _order(self, other) > 0

    def __le__(self, other: Any) -> bool:
        return _order(self, other) <= 0

    def __ge__(self, other: Any) -> bool:
        return _order(self, other) >= 0

    def __abs__(self) -> Any:
        return -self if _order(self, 0) < 0 else self

    def __sub__(self, other: Any) -> Any:
        return self + (-other)

    def __rsub__(self, other: Any) -> Any:
        return (-self) + other

    def __radd__(self, other: Any) -> Any:
        return self + other

    def __rmul__(self, other: Any) -> Any:
        return self * other

    def __float__(self) -> float:
        return approx_err(self)[0]


class Surds(_Exact):
    """sum_n c_n sqrt(n): ``terms`` maps squarefree n >= 1 to a nonzero Fraction c_n."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[int, Fraction]) -> None:
        self.terms = terms

    @staticmethod
    def make(terms: dict[int, Fraction]) -> Any:
        terms = {n: c for n, c in terms.items() if c}
        if not terms:
            return Fraction(0)
        if list(terms) == [1]:
            return terms[1]
        return Surds(terms)

    @staticmethod
    def root(x: Fraction) -> Any:
        """sqrt(x) for a rational x >= 0: exact, or a float when x is too large."""
        found = squarefree(x.numerator * x.denominator)
        if found is None:
            return math.sqrt(x)
        a, m = found
        return Surds.make({m: Fraction(a, x.denominator)})

    def _as(self, other: Any) -> dict[int, Fraction] | None:
        if isinstance(other, Surds):
            return other.terms
        q = _q(other)
        return None if q is None else {1: q}

    def __add__(self, other: Any) -> Any:
        terms = self._as(other)
        if terms is None:
            return NotImplemented if not isinstance(other, float) else float(self) + other
        out = dict(self.terms)
        for n, c in terms.items():
            out[n] = out.get(n, Fraction(0)) + c
        return Surds.make(out)

    def __neg__(self) -> Surds:
        return Surds({n: -c for n, c in self.terms.items()})

    def __mul__(self, other: Any) -> Any:
        q = _q(other)
        if q is not None:
            return Surds.make({n: c * q for n, c in self.terms.items()})
        if isinstance(other, Surds) and len(self.terms) == len(other.terms) == 1:
            (n, c), (m, d) = next(iter(self.terms.items())), next(iter(other.terms.items()))
            found = squarefree(n * m)
            if found is not None:
                return Surds.make({found[1]: c * d * found[0]})
        if isinstance(other, Surds | float):
            return float(self) * float(other)
        return NotImplemented

    def __truediv__(self, other: Any) -> Any:
        q = _q(other)
        if q is not None:
            return self * (1 / q)
        if isinstance(other, Surds) and len(other.terms) == 1:
            (m, d), = other.terms.items()  # x / (d sqrt(m)) = x sqrt(m) / (d m)
            return self * Surds({m: 1 / (d * m)})
        if isinstance(other, Surds | float):
            return float(self) / float(other)
        return NotImplemented

    def __rtruediv__(self, other: Any) -> Any:
        q = _q(other)
        if q is not None and len(self.terms) == 1:
            (m, d), = self.terms.items()
            return Surds.make({m: q / (d * m)})
        return float(other) / float(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Surds) and self.terms == other.terms

    def __hash__(self) -> int:
        return hash(frozenset(self.terms.items()))

    def __repr__(self) -> str:
        return " + ".join(f"{c}*sqrt({n})" for n, c in sorted(self.terms.items()))


Exponent = Fraction | Surds


def _key(a: Exponent) -> Any:
    return a if isinstance(a, Fraction) else frozenset(a.terms.items())


Coefficient = Fraction | Surds


class ExpSum(_Exact):
    """sum_i r_i exp(a_i): ``terms`` maps each exponent's key to (a_i, r_i), r_i nonzero."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[Any, tuple[Exponent, Coefficient]]) -> None:
        self.terms = terms

    @staticmethod
    def make(terms: dict[Any, tuple[Exponent, Any]]) -> Any:
        terms = {k: (a, r) for k, (a, r) in terms.items() if r != 0}
        if len(terms) > MAX_TERMS or any(not isinstance(r, Fraction | Surds)
                                         for _, r in terms.values()):
            return math.fsum(float(r) * math.exp(float(a)) for a, r in terms.values())
        if not terms:
            return Fraction(0)
        if list(terms) == [Fraction(0)]:
            return terms[Fraction(0)][1]
        return ExpSum(terms)

    @staticmethod
    def exp(a: Exponent) -> Any:
        return ExpSum.make({_key(a): (a, Fraction(1))})

    def _as(self, other: Any) -> dict[Any, tuple[Exponent, Coefficient]] | None:
        if isinstance(other, ExpSum):
            return other.terms
        q = other if isinstance(other, Surds) else _q(other)
        return None if q is None else {Fraction(0): (Fraction(0), q)}

    def __add__(self, other: Any) -> Any:
        terms = self._as(other)
        if terms is None:
            if isinstance(other, ExpFrac):
                return NotImplemented
            return float(self) + float(other) if isinstance(other, float) \
                else NotImplemented
        out = dict(self.terms)
        for k, (a, r) in terms.items():
            out[k] = (a, out[k][1] + r) if k in out else (a, r)
        return ExpSum.make(out)

    def __neg__(self) -> ExpSum:
        return ExpSum({k: (a, -r) for k, (a, r) in self.terms.items()})

    def __mul__(self, other: Any) -> Any:
        q = other if isinstance(other, Surds) else _q(other)
        if q is not None:
            return ExpSum.make({k: (a, r * q) for k, (a, r) in self.terms.items()})
        if isinstance(other, ExpSum):
            out: dict[Any, tuple[Exponent, Any]] = {}
            for a, r in self.terms.values():
                for b, s in other.terms.values():
                    c = a + b
                    k = _key(c)
                    out[k] = (c, out[k][1] + r * s) if k in out else (c, r * s)
            return ExpSum.make(out)
        if isinstance(other, ExpFrac):
            return NotImplemented
        return float(self) * float(other) if isinstance(other, float) else NotImplemented

    def __truediv__(self, other: Any) -> Any:
        q = _q(other)
        if q is not None:
            return self * (1 / q)
        if isinstance(other, Surds):
            return self * (1 / other)
        if isinstance(other, ExpSum):
            return ExpFrac.make(self, other)
        if isinstance(other, ExpFrac):
            return ExpFrac.make(self * other.den, other.num)
        return float(self) / float(other) if isinstance(other, float) else NotImplemented

    def __rtruediv__(self, other: Any) -> Any:
        q = other if isinstance(other, Surds) else _q(other)
        if q is not None:
            return ExpFrac.make(q, self)
        return float(other) / float(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpSum) and self.terms.keys() == other.terms.keys() and all(
            self.terms[k][1] == other.terms[k][1] for k in self.terms)

    def __hash__(self) -> int:
        return hash(frozenset((k, r) for k, (_, r) in self.terms.items()))


class ExpFrac(_Exact):
    """num / den, two ExpSums (or Fractions), den not 0."""

    __slots__ = ("num", "den")

    def __init__(self, num: Any, den: Any) -> None:
        self.num, self.den = num, den

    @staticmethod
    def make(num: Any, den: Any) -> Any:
        if den == 0:
            raise ZeroDivisionError("an exact 0 divisor")
        if num == 0:
            return Fraction(0)
        if not isinstance(den, ExpSum):  # a Fraction or Surds
            return num / den
        if len(den.terms) == 1:  # r exp(a): num exp(-a) / r
            (a, r), = den.terms.values()
            return num * ExpSum.exp(-a) / r
        if num == den:
            return Fraction(1)
        return ExpFrac(num, den)

    def _pair(self, other: Any) -> tuple[Any, Any] | None:
        if isinstance(other, ExpFrac):
            return other.num, other.den
        if isinstance(other, ExpSum | Surds) or _q(other) is not None:
            return other, Fraction(1)
        return None

    def __add__(self, other: Any) -> Any:
        pair = self._pair(other)
        if pair is None:
            return float(self) + float(other) if isinstance(other, float) else NotImplemented
        c, d = pair
        if d == self.den:
            return ExpFrac.make(self.num + c, d)
        return ExpFrac.make(self.num * d + c * self.den, self.den * d)

    def __neg__(self) -> ExpFrac:
        return ExpFrac(-self.num, self.den)

    def __mul__(self, other: Any) -> Any:
        pair = self._pair(other)
        if pair is None:
            return float(self) * float(other) if isinstance(other, float) else NotImplemented
        return ExpFrac.make(self.num * pair[0], self.den * pair[1])

    def __truediv__(self, other: Any) -> Any:
        pair = self._pair(other)
        if pair is None:
            return float(self) / float(other) if isinstance(other, float) else NotImplemented
        return ExpFrac.make(self.num * pair[1], self.den * pair[0])

    def __rtruediv__(self, other: Any) -> Any:
        if _q(other) is not None or isinstance(other, ExpSum | Surds):
            return ExpFrac.make(other * self.den, self.num)
        return float(other) / float(self)

    def __eq__(self, other: object) -> bool:
        pair = self._pair(other)
        return pair is not None and self.num * pair[1] == self.den * pair[0]

    __hash__ = None  # type: ignore[assignment]  # equal ratios have no common form to hash


EXACT_TYPES = (Surds, ExpSum, ExpFrac)
