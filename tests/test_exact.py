import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational, exp, sqrt

from handcalc.core.exact import NEG_INF, col, hconcat, mat, matmul, row, shape, transpose, vconcat
from handcalc.core.rounding import fmt2, fmt_exact, near_boundary, round2, same2, within


def test_round2_half_away_from_zero_exact():
    assert round2(Rational(1, 8)) == Rational(13, 100)
    assert round2(Rational(-1, 8)) == Rational(-13, 100)
    assert round2(5 / sqrt(2)) == Rational(354, 100)
    assert round2(NEG_INF) == NEG_INF


@settings(max_examples=300, deadline=None)
@given(st.integers(-10**9, 10**9), st.integers(1, 10**6))
def test_round2_of_a_rational_is_the_nearest_cent_half_away_from_zero(p, q):
    x = Rational(p, q)
    r = round2(x)
    assert abs(r - x) <= Rational(1, 200)  # the nearest cent...
    if abs(r - x) == Rational(1, 200):  # ...and at a half, the one away from zero
        assert abs(r) > abs(x)
    assert (r * 100).is_integer
    assert fmt2(x) == _text2(r)


def _text2(r: Rational) -> str:
    n = int(r * 100)
    return f"{'-' if n < 0 else ''}{abs(n) // 100}.{abs(n) % 100:02d}"


def test_fmt2():
    assert fmt2(5 / sqrt(2)) == "3.54"
    assert fmt2(Rational(-1, 1000)) == "0.00"
    assert fmt2(Rational(-3, 2)) == "-1.50"
    assert fmt2(NEG_INF) == "-inf"
    assert fmt2(exp(9)) == "8103.08"


def test_within_is_exact_at_the_boundary():
    x = Rational(354, 100)
    assert within(Rational(3545, 1000), x)  # exactly 0.005 away: accepted
    assert not within(Rational(35451, 10000), x)
    assert not within(Rational(353, 100), 5 / sqrt(2))  # 0.0055 away
    assert within(Rational(3531, 1000), 5 / sqrt(2))  # 0.0045 away
    assert within(Rational(354, 100), 5 / sqrt(2))
    assert within(NEG_INF, NEG_INF)
    assert not within(Rational(-10**6), NEG_INF)
    assert not within(NEG_INF, Rational(0))


def test_within_irrational_close_to_tolerance():
    x = sqrt(2)
    v = Rational(14192, 10000)  # |v - sqrt 2| = 0.00498...
    assert within(v, x)
    assert not within(Rational(14193, 10000), x)


def test_near_boundary():
    assert near_boundary(Rational(1, 8))  # 0.125 is a tie
    assert near_boundary(Rational(12549, 100000))
    assert not near_boundary(Rational(1244, 10000))
    assert not near_boundary(NEG_INF)
    assert not near_boundary(5 / sqrt(2))


def test_matrix_helpers():
    a = mat([[1, 2], [3, 4]])
    assert shape(a) == (2, 2)
    assert transpose(a) == mat([[1, 3], [2, 4]])
    assert matmul(a, col([1, 1])) == col([3, 7])
    assert hconcat(a, a)[0] == tuple(sympy.Integer(v) for v in (1, 2, 1, 2))
    assert shape(vconcat(a, a)) == (4, 2)
    assert same2(row([Rational(1, 3)]), row([Rational(333, 1000)]))
    assert fmt_exact(Rational(1, 10)) == "1/10"
    assert fmt_exact(NEG_INF) == "-inf"


def _fmt2_exactly(x):
    """fmt2 decided on a 50-digit value only: the reference for the float screen."""
    if x == NEG_INF:
        return "-inf"
    v = sympy.N(x, 50)
    n = int(sympy.floor(abs(v) * 100 + Rational(1, 2)))
    return f"{'-' if v < 0 and n else ''}{n // 100}.{n % 100:02d}"


def test_screened_two_decimals_agree_with_exact_evaluation():
    from handcalc.exercises.exercise import build, generate
    from handcalc.families import FAMILIES

    exercises = [build(f"worked-{i}") for i in range(1, 11)] + [
        generate(name, level, seed) for name, family in FAMILIES.items()
        for level in family.levels for seed in (3, 404)]
    values = [v for ex in exercises for p in ex.parts
              for m in [p.answer, *(s.value for s in p.steps)] for r in m for v in r]
    values += [Rational(5, 1000), Rational(-5, 1000), Rational(1005, 1000),
               Rational(1, 200) + Rational(1, 10**18), Rational(1, 200) - Rational(1, 10**18),
               NEG_INF, Rational(0), Rational(-1, 1000), Rational(-1, 200), sqrt(2) / 2,
               10 * exp(-20) / (1 + exp(-20)), Rational(1, 8) + exp(-40)]
    assert [fmt2(v) for v in values] == [_fmt2_exactly(v) for v in values]


def test_approx_err_bounds_the_error():
    from handcalc.core.exact import approx_err

    for x in (sqrt(2) / 2, exp(3) / (exp(3) + exp(6) + exp(9)), 5 / sqrt(2) - Rational(7, 2),
              (1 + sqrt(3)) ** 3, Rational(1, 3) * exp(-2)):
        v, err = approx_err(x)
        assert abs(sympy.N(x - sympy.Float(v, 60), 50)) <= err


def test_matmul_is_sympys_product_also_with_zeros():
    e = exp(Rational(1, 2))
    a = ((0, e / (1 + e)), (sympy.Integer(2), 0))
    b = ((e, NEG_INF), (sqrt(2) * e, 0))
    a = tuple(tuple(sympy.sympify(v) for v in r) for r in a)
    b = tuple(tuple(sympy.sympify(v) for v in r) for r in b)
    plain = tuple(tuple(sympy.Add(*(x * y for x, y in zip(r, c, strict=True)))
                        for c in zip(*b, strict=True)) for r in a)
    got = matmul(a, b)
    assert got == plain  # the same expressions, entry by entry
    assert got[0][1] is sympy.nan  # 0 * -oo stays nan: only finite factors are skipped
    assert matmul(((0.0, 1.5),), ((2.0,), (4.0,))) == ((6.0,),)  # the float kit


def test_quotient_is_sympys_division():
    import pytest

    from handcalc.core.exact import quotient

    e = exp(Rational(1, 2))
    for x, y in [(0, 1 + e), (0, e - e), (0, NEG_INF), (0, sqrt(2) - 1), (2, 1 + e),
                 (0, Rational(3, 4)), (0, 0)]:
        x, y = sympy.sympify(x), sympy.sympify(y)
        assert quotient(x, y) == x / y
    assert quotient(0.0, 2.0) == 0.0
    with pytest.raises(ZeroDivisionError):  # the float kit divides as floats do
        quotient(0.0, 0.0)
