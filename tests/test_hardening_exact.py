"""Hardening (issue 9): the two-decimal decision is exact for every value the parser
accepts (1e-80 either side of x +- 0.005, rational and irrational x, rational and
irrational differences), and codes, part numbers and --prior in non-ASCII digits or with
5,000 digits are refused with one line, never a traceback.
"""

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sympy import E, Rational, exp, log, pi, sqrt

from handcalc.cli import cli
from handcalc.core.rounding import _floor, near_boundary, round2, sign, within

TOL = Rational(1, 200)
TINY = Rational(1, 10**80)
XS = [5 * sqrt(2) / 2, E / (1 + E), exp(2) / (exp(2) + 1), sqrt(3) / 7 + pi / 100,
      Rational(7, 3), Rational(-11, 8)]


def below(x, digits=300):
    """A rational within 10**-digits below x (exactly: floor(x * 10**digits) / 10**digits)."""
    return Rational(_floor(x * 10**digits), 10**digits)


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.mark.parametrize("answer, status", [
    ("5*sqrt(2)/2 + 0.005 + 1e-20^4", 1),
    ("5*sqrt(2)/2 + 0.005 - 1e-20^4", 0),
    ("5*sqrt(2)/2 - 0.005 - 1e-20^4", 1),
    ("5*sqrt(2)/2 - 0.005 + 1e-20^4", 0),
    ("5*sqrt(2)/2 + 0.005", 0),
])
def test_check_decides_1e_80_from_the_edge(answer, status):
    result = invoke("check", "--strict", "worked-1", "1", answer)
    assert result.exit_code == status, result.output


@pytest.mark.parametrize("x", XS, ids=[str(x) for x in XS])
@pytest.mark.parametrize("side", [1, -1], ids=["x+0.005", "x-0.005"])
def test_within_1e_80_either_side_of_the_edge(x, side):
    edge = x + side * TOL
    # the irrational parts cancel: a rational difference, decided in Rationals
    assert within(edge - side * TINY, x) and within(edge, x)
    assert not within(edge + side * TINY, x)
    # a rational typed value: an irrational difference, decided by its sign
    near = below(edge)
    inward, outward = (near - TINY, near + 2 * TINY) if side > 0 else (near + 2 * TINY,
                                                                       near - TINY)
    assert within(inward, x)
    assert not within(outward, x)


@given(x=st.sampled_from(XS), side=st.sampled_from([1, -1]), s=st.sampled_from([1, -1]),
       k=st.integers(1, 9), e=st.integers(20, 150))
def test_within_is_exact_near_the_edge(x, side, s, k, e):
    """v = x +- 0.005 (to 300 digits) moved by k * 10**-e: inside exactly when moved
    toward x."""
    v = below(x + side * TOL) + Rational(1, 10**301) + s * k * Rational(1, 10**e)
    assert within(v, x) == (s * side < 0)


def test_round2_and_near_boundary_at_a_tie_plus_or_minus_1e_80():
    up = Rational(201, 200) + (sqrt(2) - below(sqrt(2), 80))  # 1.005 + a little
    down = Rational(201, 200) - (sqrt(2) - below(sqrt(2), 80))  # 1.005 - a little
    assert round2(up) == Rational(101, 100) and round2(down) == 1
    assert round2(-up) == Rational(-101, 100) and round2(-down) == -1
    assert near_boundary(up) and near_boundary(down)


def test_sign_proves_zero_and_never_rounds():
    assert sign((sqrt(2) + 1) ** 2 - 2 * sqrt(2) - 3) == 0
    assert sign(log(6) - log(2) - log(3)) == 0
    assert sign(sqrt(2) - below(sqrt(2), 200)) == 1
    assert sign(below(sqrt(2), 200) - sqrt(2)) == -1
    assert sign(E / (1 + E) - 1 / (1 + exp(-1))) == 0
    assert sign(Rational(-3, 10**90)) == -1


def test_a_difference_that_is_zero_only_symbolically_is_on_the_edge():
    x = 5 * sqrt(2) / 2
    v = log(6) - log(2) - log(3) + x + TOL  # |v - x| is exactly 0.005
    assert within(v, x)
    assert not within(v + TINY, x)


def test_integer_part_of_a_large_irrational():
    x = sqrt(2) * 10**40
    assert _floor(x) == int(sympy.floor(sympy.N(x, 80)))


# ---------------------------------------------------------------- no traceback

HUGE = "9" * 5000


@pytest.mark.parametrize("args", [
    ["check", "worked-٣", "1", "3"],
    ["check", "worked-3", "٣", "3"],
    ["check", "worked-１", "1", "3"],
    ["check", "causal-٢-4821", "1", "3"],
    ["check", "wor\u212aed-1", "1", "3"],  # the Kelvin sign lower-cases to k
    ["check", "worked-1\nworked-2", "1", "3"],
    ["check", "worked-4", HUGE, "1"],
    ["check", "worked-4", "2", "0.12, 0.88", "--prior", "١=1, 3"],
    ["check", "worked-4", "2", "0.12, 0.88", "--prior", "１=1, 3"],
    ["check", "worked-4", "2", "0.12, 0.88", "--prior", f"{HUGE}=1, 3"],
    ["show", "worked-" + HUGE],
], ids=["arabic-indic code", "arabic-indic part", "full-width code", "arabic-indic level",
        "kelvin sign", "newline in code", "5000-digit part", "arabic-indic prior",
        "full-width prior", "5000-digit prior", "5000-digit code"])
def test_non_ascii_digits_and_huge_numbers_are_refused_with_one_line(args):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handcalc: ") and len(lines[0]) < 300


def test_a_spec_code_in_arabic_indic_digits_is_refused(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('title = "T"\n[[sections]]\ncodes = ["worked-٣"]\n', encoding="utf-8")
    result = invoke("worksheet", spec, "-o", tmp_path / "s.md")
    assert result.exit_code == 2 and "codes[1]" in result.stderr
    assert not (tmp_path / "s.md").exists()
