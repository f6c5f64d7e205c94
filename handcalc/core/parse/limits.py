"""The parser's caps, and the guards that keep an exact value small while it is built:
the size of a rational under a root or in exp, and a product of many factors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handcalc.errors import ParseError
from handcalc.text.messages import msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

Mat = tuple[tuple["sympy.Expr", ...], ...]

MAX_LENGTH = 2000
MAX_DEPTH = 20
MAX_ROWS = 20
MAX_COLS = 20
MAX_ENTRIES = 400
MAX_DIGITS = 30
MAX_DECIMAL_EXPONENT = 20
MAX_POWER_NUMERATOR = 12
MAX_POWER_DENOMINATOR = 4
MAX_EXP_ARGUMENT = 50
MAX_TRIG_ARGUMENT = 1000  # cos and sin: an angle in radians (RoPE's m theta), exact
MAX_ABS_VALUE = 10**12

MAX_RATIONAL_BITS = 4000  # size cap of an exact intermediate result of a power
# Size cap of a rational under a root (or inside exp, where exp(c*ln(x)) becomes x^c):
# sympy factors such numbers, which gets slow for big ones.
MAX_ROOT_BITS = 300
MAX_INTERMEDIATE = 1e300  # a float: compared with sympy Floats, read without importing sympy
TINY = 1e-25  # numerically indistinguishable from zero at 30 digits
PREC = 30


ROOT_TOO_BIG = msg("parse.root_too_big", digits=MAX_ROOT_BITS * 3 // 10)


def rational_bits(value: sympy.Rational) -> int:
    return max(int(value.p).bit_length(), int(value.q).bit_length())


def check_roots(value: sympy.Expr, pos: int | None) -> sympy.Expr:
    """Reject a product whose radicals sympy merged into a root of a huge number."""
    factors = value.args if value.is_Mul else (value,)
    for factor in factors:
        if (
            factor.is_Pow
            and factor.base.is_Rational
            and not factor.exp.is_Integer
            and rational_bits(factor.base) > MAX_ROOT_BITS
        ):
            raise ParseError(ROOT_TOO_BIG, pos)
    return value


class Product:
    """A running product kept as coefficient * radicals * other factors * sums.

    sympy distributes a number over a sum it multiplies, so multiplying a long sum
    by 2, then 2, then 2 ... one factor at a time would be quadratic, and so would
    re-flattening a growing product. Sums and other factors are collected and
    multiplied in once at the end. Radicals (roots of rationals) are multiplied one
    at a time: sympy merges them (sqrt(2)*sqrt(3) is sqrt(6)) and factors the merged
    number, so a huge merged radicand must be caught before it grows further.
    """

    __slots__ = ("coeff", "radicals", "others", "sums")

    def __init__(self, value: sympy.Expr) -> None:
        self.coeff: sympy.Expr = sympy.Integer(1)
        self.radicals: sympy.Expr = sympy.Integer(1)
        self.others: list[sympy.Expr] = []
        self.sums: list[sympy.Expr] = []
        self.multiply(value, None)

    def multiply(self, factor: sympy.Expr, pos: int | None) -> None:
        coeff, rest = factor.as_coeff_Mul(rational=True)
        self.coeff *= coeff
        for arg in sympy.Mul.make_args(rest):
            if arg.is_Rational:
                self.coeff *= arg
            elif arg.is_Add:
                self.sums.append(arg)
            elif arg.is_Pow and arg.base.is_Rational:
                radicals = check_roots(self.radicals * arg, pos)
                coeff, self.radicals = radicals.as_coeff_Mul(rational=True)
                self.coeff *= coeff
            else:
                self.others.append(arg)

    def divide(self, divisor: sympy.Expr, pos: int) -> None:
        """Divide by a divisor already known to be non-zero."""
        coeff, rest = divisor.as_coeff_Mul(rational=True)
        self.coeff /= coeff
        if rest != 1:
            self.multiply(1 / rest, pos)

    def value(self, pos: int | None) -> sympy.Expr:
        return check_roots(sympy.Mul(self.coeff, self.radicals, *self.others, *self.sums), pos)


