"""Unit and property tests of the answer parser (handcalc.core.parse)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from bounded import bounded_cpu
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import E, Integer, Rational, exp, log, oo, pi, sqrt

from handcalc.core.parse import parse_answer, parse_value
from handcalc.errors import ParseError

R = Rational


def rejects(text: str, *fragments: str) -> ParseError:
    """Assert that parse_answer rejects text and the message mentions every fragment."""
    with pytest.raises(ParseError) as info:
        parse_answer(text)
    err = info.value
    assert err.message and "\n" not in str(err)
    for fragment in fragments:
        assert fragment in err.message, (text, err.message)
    return err


# -- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", Integer(12)),
        ("3.54", R(177, 50)),
        ("0.1", R(1, 10)),
        (".5", R(1, 2)),
        ("5.", Integer(5)),
        ("0.20", R(1, 5)),
        ("1e-3", R(1, 1000)),
        ("2.5E2", Integer(250)),
        ("2e+1", Integer(20)),
        ("1E5", Integer(100000)),
        ("1e-20", R(1, 10**20)),
        ("007", Integer(7)),
        ("123456789012.345678901234567890", R(123456789012345678901234567890, 10**18)),
        ("0.00000000000000000000000000001", R(1, 10**29)),
    ],
)
def test_numbers_are_exact(text: str, value: sympy.Expr) -> None:
    got = parse_value(text)
    assert got == value
    assert got.is_Rational and not isinstance(got, sympy.Float)


def test_scalar_answer_is_1x1() -> None:
    assert parse_answer("3.54") == ((R(177, 50),),)
    assert parse_value("0.1") == R(1, 10)


def test_digit_and_exponent_caps() -> None:
    assert parse_value("1" * 12) == Integer(int("1" * 12))
    assert parse_value("0." + "1" * 29) == R(int("1" * 29), 10**29)
    rejects("1" * 31, "31 digits", "30")
    rejects("0." + "1" * 30, "digits")
    rejects("1e21", "20")
    rejects("1e-21", "20")
    rejects("1e1000000", "20")


# -- operators and precedence -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1+2*3", Integer(7)),
        ("(1+2)*3", Integer(9)),
        ("7/2", R(7, 2)),
        ("8/4/2", Integer(1)),
        ("2-3-4", Integer(-5)),
        ("-2^2", Integer(-4)),
        ("(-2)^2", Integer(4)),
        ("2^3^2", Integer(512)),
        ("2**3**2", Integer(512)),
        ("2^-1", R(1, 2)),
        ("-2**2", Integer(-4)),
        ("+3", Integer(3)),
        ("--3", Integer(3)),
        ("2*-3", Integer(-6)),
        ("1 - -2", Integer(3)),
        ("4^(1/2)", Integer(2)),
        ("2^(1/2)", sqrt(2)),
        ("8^(2/3)", Integer(4)),
        ("16^0.25", Integer(2)),
        ("2^(1/3)", Integer(2) ** R(1, 3)),
        ("(1/2)^12", R(1, 4096)),
        ("3^0", Integer(1)),
    ],
)
def test_arithmetic(text: str, value: sympy.Expr) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2×3", Integer(6)),
        ("2 · 3", Integer(6)),  # between digits, · is refused (a decimal point?)
        ("2⋅3", Integer(6)),
        ("2∗3", Integer(6)),
        ("6÷4", R(3, 2)),
        ("−2", Integer(-2)),
        ("5−3", Integer(2)),
        ("–0.5", R(-1, 2)),
        ("1e−3", R(1, 1000)),
    ],
)
def test_unicode_operators(text: str, value: sympy.Expr) -> None:
    assert parse_value(text) == value


# -- constants and functions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("e", E),
        ("pi", pi),
        ("π", pi),
        ("5/sqrt(2)", 5 / sqrt(2)),
        ("e/(1+e)", E / (1 + E)),
        ("exp(2)/(exp(2)+1)", exp(2) / (exp(2) + 1)),
        ("e^2", exp(2)),
        ("exp(-0.5)", exp(R(-1, 2))),
        ("ln(2)", log(2)),
        ("log(2)", log(2)),
        ("ln(e)", Integer(1)),
        ("sqrt(16)", Integer(4)),
        ("√2", sqrt(2)),
        ("√(8)", 2 * sqrt(2)),
        ("√√16", Integer(2)),
        ("√2/2", sqrt(2) / 2),
        ("1/√2", 1 / sqrt(2)),
        ("√2^2", Integer(2)),
        ("-√2", -sqrt(2)),
        ("√pi", sqrt(pi)),
        ("√e", sqrt(E)),
        ("√sqrt(16)", Integer(2)),
        ("2√2", 2 * sqrt(2)),
        ("2√2/2", sqrt(2)),
        ("3sqrt(2)", 3 * sqrt(2)),
        ("2exp(1)", 2 * E),
        ("2ln(2)", 2 * log(2)),
        ("2log(2)", 2 * log(2)),
        ("2pi", 2 * pi),
        ("2π", 2 * pi),
        ("0.5π", pi / 2),
        ("2(1+1)", Integer(4)),
        ("2(3)(4)", Integer(24)),
        ("(1+1)(2+1)", Integer(6)),
        ("sqrt(2)(3)", 3 * sqrt(2)),
        ("2(1+1)^2", Integer(8)),
        ("-2(3)", Integer(-6)),
        ("1+2(3)", Integer(7)),
        ("2√2√2", Integer(4)),
        ("1/(2pi)", 1 / (2 * pi)),
        ("exp(ln(3))", Integer(3)),
        ("sqrt(e^2)", E),
    ],
)
def test_constants_and_functions(text: str, value: sympy.Expr) -> None:
    assert parse_value(text) == value


def test_function_call_needs_parentheses() -> None:
    rejects("sqrt 2", "'('")
    rejects("sqrt", "'('")
    rejects("sqrt()", "empty parentheses")
    rejects("sqrt(2,3)", "','")
    rejects("√-1", "'√'")
    rejects("√", "'√'")


def test_implicit_multiplication_only_where_unambiguous() -> None:
    rejects("2e", "2*e")
    rejects("2E", "2*e")
    rejects("pi2", "unknown name 'pi2'")
    rejects("π2", "missing operator")
    rejects("(1+1)2", "missing operator")
    rejects("pi(2)", "missing operator")
    rejects("e(2)", "missing operator")
    rejects("(2)√2", "missing operator")
    rejects("sqrt(2)sqrt(3)", "missing operator")
    rejects("2inf", "'inf'")
    rejects("1/2pi", "ambiguous")
    rejects("1/2√2", "ambiguous")
    rejects("1/2(3)", "ambiguous")
    rejects("2^2(3)", "ambiguous")
    assert parse_value("1/2*pi") == pi / 2


def test_names_are_lowercase_and_allowlisted() -> None:
    rejects("E", "lowercase", "e")
    rejects("PI", "lowercase")
    rejects("Sqrt(2)", "lowercase")
    rejects("Inf", "lowercase")
    err = rejects("foo", "unknown name 'foo'",
                  "allowed: e, pi, inf, sqrt, exp, ln, log, cos, sin")
    assert err.position == 0
    rejects("nan", "unknown name 'nan'")
    rejects("x^2", "unknown name 'x'")
    rejects("tan(1)", "unknown name 'tan'")
    rejects("sqrt2", "sqrt(2)")
    rejects("log10(2)", "unknown name 'log10'")


# -- infinity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("inf", oo), ("∞", oo), ("+inf", oo), ("-inf", -oo), ("-∞", -oo), ("−∞", -oo), ("- inf", -oo)],
)
def test_infinity_as_whole_entry(text: str, value: sympy.Expr) -> None:
    assert parse_value(text) == value


def test_infinity_in_lists() -> None:
    assert parse_answer("[0.5, -inf]") == ((R(1, 2), -oo),)
    assert parse_answer("inf -inf 1") == ((oo, -oo, Integer(1)),)
    assert parse_answer("-inf; 2") == ((-oo,), (Integer(2),))


@pytest.mark.parametrize(
    "text",
    [
        "1+inf",
        "inf+1",
        "2*inf",
        "-inf*2",
        "(inf)",
        "--inf",
        "inf^2",
        "sqrt(inf)",
        "exp(inf)",
        "inf-inf",
        "1/inf",
    ],
)
def test_infinity_inside_arithmetic_is_rejected(text: str) -> None:
    rejects(text, "inf")


# -- lists and matrices ------------------------------------------------------------------

V2 = ((R(1, 5), R(4, 5)),)
M2 = ((R(219, 100), R(27, 50)), (R(81, 100), R(73, 50)))


@pytest.mark.parametrize(
    "text",
    [
        "0.20, 0.80",
        "[0.20, 0.80]",
        "0.20 0.80",
        "[0.20 0.80]",
        "  0.20 ,0.80 ",
        "0.2\t0.8",
        "0.2\u00a00.8",
        "[ 0.2 , 0.8 ]",
    ],
)
def test_flat_lists(text: str) -> None:
    assert parse_answer(text) == V2


@pytest.mark.parametrize(
    "text",
    [
        "[[2.19, 0.54], [0.81, 1.46]]",
        "2.19 0.54; 0.81 1.46",
        "2.19, 0.54; 0.81, 1.46",
        "[2.19 0.54; 0.81 1.46]",
        "[2.19, 0.54; 0.81, 1.46]",
        "[[2.19 0.54] [0.81 1.46]]",
        "[[2.19 0.54]\n [0.81 1.46]]",
        "[[2.19, 0.54];[0.81, 1.46]]",
        "2.19 0.54;0.81, 1.46",
    ],
)
def test_matrices(text: str) -> None:
    assert parse_answer(text) == M2


def test_columns() -> None:
    col = ((Integer(1),), (Integer(2),), (Integer(3),))
    assert parse_answer("[[1],[2],[3]]") == col
    assert parse_answer("1;2;3") == col
    assert parse_answer("[1; 2; 3]") == col


def test_matrix_of_expressions() -> None:
    got = parse_answer("[[e/(1+e), 1/(1+e)], [1/2, √2/2]]")
    assert got == ((E / (1 + E), 1 / (1 + E)), (R(1, 2), sqrt(2) / 2))
    assert parse_answer("sqrt(2) 2^-1") == ((sqrt(2), R(1, 2)),)


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("1 -2", [[1, -2]]),
        ("1 - 2", [[-1]]),
        ("1-2", [[-1]]),
        ("1- 2", [[-1]]),
        ("1 +2", [[1, 2]]),
        ("1 + 2", [[3]]),
        ("1 *2", [[2]]),
        ("2 ^2", [[4]]),
        ("(1 -2)", [[-1]]),
        ("sqrt(4 -2) 1", [[sqrt(2), 1]]),
        ("1 -2 - 3", [[1, -5]]),
        ("1 --2", [[1, 2]]),
        ("2 (3)", [[2, 3]]),
        ("2 sqrt(4)", [[2, 2]]),
        ("1, -2", [[1, -2]]),
        ("1 , - 2", [[1, -2]]),
        ("1 - 2, 3", [[-1, 3]]),
        ("1 -2, 3", [[-1, 3]]),
        ("[1 -2; 3 -4]", [[1, -2], [3, -4]]),
        ("2^-1 -1", [[R(1, 2), -1]]),
    ],
)
def test_matlab_sign_rule(text: str, rows: list[list[object]]) -> None:
    assert parse_answer(text) == tuple(tuple(sympy.sympify(v) for v in row) for row in rows)


def test_comma_rows_reject_missing_separator() -> None:
    rejects("1 2, 3", "missing operator", "','")


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("1 2; 3", "row 2 has 1 entry, row 1 has 2", 5),
        ("1 2; 3 4 5", "row 2 has 3 entries, row 1 has 2", 5),
        ("[[1,2],[3]]", "row 2 has 1 entry, row 1 has 2", 8),
        ("[1,2", "'[' is never closed", 0),
        ("[[1,2]", "'[' is never closed", 0),
        ("[[1,2],[3,4]", "'[' is never closed", 0),
        ("[[1,2],[3,4", "'[' is never closed", 7),
        ("]", "unmatched ']'", 0),
        ("1,2]", "unmatched ']'", 3),
        ("(1+2", "'(' is never closed", 0),
        ("1+2)", "unmatched ')'", 3),
        ("1;", "trailing ';'", 1),
        ("1,", "trailing ','", 1),
        ("[1,2,]", "trailing ','", 4),
        ("[[1,2],]", "trailing ','", 6),
        ("1,,2", "empty entry", 2),
        (",1", "empty entry", 0),
        ("1;;2", "empty row", 2),
        (";1", "empty row", 0),
        ("[]", "empty list", 0),
        ("[[]]", "empty", 1),
        ("()", "empty parentheses", 0),
        ("[1,2],[3,4]", "after the closing ']'", 5),
        ("[[1,2],3]", "expected '['", 7),
        ("[[1;2]]", "';' inside a bracketed row", 3),
        ("[[[1]]]", "unexpected '['", 2),
        ("1 [2]", "unexpected '['", 2),
    ],
)
def test_malformed_structure(text: str, fragment: str, position: int) -> None:
    err = rejects(text, fragment)
    assert err.position == position


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\u00a0"])
def test_empty_answer(text: str) -> None:
    err = rejects(text, "empty answer")
    assert err.position is None
    with pytest.raises(ParseError, match="empty answer"):
        parse_value(text)


def test_parse_value_rejects_lists() -> None:
    for text in ["1, 2", "[1]", "1;2", "1 2", "1 -2", "[[1]]", "1 sqrt(2)"]:
        with pytest.raises(ParseError, match="single value"):
            parse_value(text)
    with pytest.raises(ParseError, match="missing operator"):
        parse_value("(1)2")
    assert parse_value("1 - 2") == -1
    assert parse_value(" 7 ") == 7


# -- caps --------------------------------------------------------------------------------


def test_length_cap_checked_first() -> None:
    assert parse_answer("1" + " " * 1999) == ((Integer(1),),)
    err = rejects("1" + " " * 2000, "too long", "2000")
    assert err.position == 2000
    rejects("\u00b2" * 5000, "too long")
    with pytest.raises(ParseError, match="too long"):
        parse_value("1" * 2001)


def test_depth_cap() -> None:
    assert parse_value("(" * 20 + "1" + ")" * 20) == 1
    err = rejects("(" * 21 + "1" + ")" * 21, "nested too deeply", "20")
    assert err.position == 20
    assert parse_value("-" * 20 + "1") == 1
    rejects("-" * 21 + "1", "nested too deeply")
    rejects("-" * 1999 + "1", "nested too deeply")
    rejects("sqrt(" * 21 + "2" + ")" * 21, "nested too deeply")
    rejects("√" * 25 + "2", "nested too deeply")
    rejects("^".join(["1"] * 30), "nested too deeply")


def test_shape_caps() -> None:
    row20 = " ".join(["1"] * 20)
    assert len(parse_answer(row20)[0]) == 20
    rejects(" ".join(["1"] * 21), "20 columns")
    assert len(parse_answer("; ".join(["1"] * 20))) == 20
    err = rejects("; ".join(["1"] * 21), "20 rows")
    assert err.position == 60
    matrix20 = ";".join([row20] * 20)
    assert len(parse_answer(matrix20)) == 20
    rejects(";".join([" ".join(["1"] * 30)] * 30), "20 columns")


def test_power_caps() -> None:
    assert parse_value("2^12") == 4096
    assert parse_value("2^-12") == R(1, 4096)
    assert parse_value("16^(3/4)") == 8
    rejects("2^13", "exponent 13", "12")
    rejects("2^1000", "out of range")
    rejects("2^(1/5)", "exponent 1/5")
    rejects("9^9^9^9", "out of range")
    rejects("10**10**10", "out of range")
    rejects("2^e", "exponent must be a number like 2 or 1/2")
    rejects("2^pi", "exponent must be a number")
    rejects("2^sqrt(2)", "exponent must be a number")
    rejects("(-8)^(1/3)", "fractional power", ">= 0")
    rejects("(-2)^0.5", ">= 0")
    assert parse_value("(-2)^3") == -8
    rejects("0^-1", "division by zero")
    rejects("0^0", "0^0")
    rejects("(10^12)^12^12", "out of range")
    rejects("(" * 5 + "1e20" + ")^12" * 5, "too large")
    rejects("((exp(50))^12)^12", "out of range")


def test_exp_cap() -> None:
    assert parse_value("exp(50)/exp(49)") == E
    assert parse_value("exp(-50)") == exp(-50)
    rejects("exp(50.1)", "exp argument", "50")
    rejects("exp(-51)", "exp argument")
    rejects("exp(exp(exp(10)))", "exp argument")
    rejects("exp(50)", "1e12")  # e^50 is finite but larger than 1e12


def test_value_cap() -> None:
    assert parse_value("1e12") == 10**12
    assert parse_value("-1e12") == -(10**12)
    rejects("1e12+1", "at most 1e12")
    rejects("-1e12-1", "at most 1e12")
    rejects("1e20", "at most 1e12")
    rejects("exp(28)", "at most 1e12")
    assert parse_value("exp(27)") == exp(27)
    assert parse_value("1e-20") == R(1, 10**20)


def test_domain_errors() -> None:
    rejects("1/0", "division by zero")
    rejects("0/0", "division by zero")
    rejects("1/(1-1)", "division by zero")
    rejects("1/(e-e)", "division by zero")
    rejects("1/(sqrt(2)+sqrt(3)-sqrt(5+2*sqrt(6)))", "division by zero")
    rejects("sqrt(-1)", "square root of a negative number")
    rejects("√(1-2)", "square root of a negative number")
    rejects("sqrt(1-pi)", "square root of a negative number")
    rejects("ln(0)", "logarithm of a number <= 0")
    rejects("ln(-1)", "logarithm of a number <= 0")
    rejects("log(1-e)", "logarithm of a number <= 0")
    assert parse_value("sqrt(0)") == 0


def test_radicand_cap() -> None:
    big = "123456789012345678901234567891"
    assert parse_value(f"sqrt({big})/{big}") == sqrt(Integer(big)) / Integer(big)
    rejects("*".join(f"sqrt({big[:-2]}{i})" for i in range(11, 17)), "under a root")
    rejects("sqrt(" + "*".join([big] * 10) + ")", "under a root")


# -- characters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments", "position"),
    [
        ("5²", ("'²'", "U+00B2", "^"), 1),
        ("٣", ("U+0663", "0-9"), 0),
        ("３。５", ("ideographic full stop", "type ."), 1),
        ("～", ("U+FF5E", "TILDE"), 0),
        ("1\u200b2", ("U+200B",), 1),
        ("\u202e12", ("U+202E",), 0),
        ("1\u200f", ("U+200F",), 1),
        ("\U0001d41e\U0001d431\U0001d41e\U0001d41c(1)", ("U+1D41E",), 0),
        ("1\x00", ("U+0000",), 1),
        ("½", ("U+00BD",), 0),
        ("1 × 2 ≤ 3", ("U+2264",), 6),
        ("1_000", ("underscore",), 1),
        ("0x1F", ("hexadecimal",), 1),
        ("1j", ("complex",), 1),
        ("'abc'", ("quotes",), 0),
        ('"1"', ("quotes",), 0),
        ("\\x41", ("backslash",), 0),
        ("1 # comment", ("'#'",), 2),
        ("x = 1", ("unknown name 'x'",), 0),
        ("1 = 1", ("'='",), 2),
        ("1:2", ("':'",), 1),
        ("{}", ("braces",), 0),
        ("5!", ("factorial",), 1),
        ("50%", ("'%'",), 2),
        ("1@2", ("'@'",), 1),
        ("a.b", ("unknown name 'a'",), 0),
        ("(1).real", ("attribute",), 3),
        ("1.2.3", ("decimal point",), 3),
        ("..5", ("'.'",), 0),
        ("__import__('os')", ("unknown name '__import__'",), 0),
        ("lambda: 1", ("unknown name 'lambda'",), 0),
    ],
)
def test_rejected_characters(text: str, fragments: tuple[str, ...], position: int) -> None:
    err = rejects(text, *fragments)
    assert err.position == position


def test_no_unicode_normalisation() -> None:
    # NFKC would turn these into accepted ASCII; the parser must not.
    # (the full-width forms U+FF01..U+FF5E are the one exception: see test_parse_fullwidth)
    # (U+3000, the ideographic space, is a space: test_parse_fullwidth)
    for text in ["ℯ", "𝟐", "ﬁ", "⁵", "₂", "𝑒"]:
        rejects(text, "U+")


def test_positions_index_the_original_text() -> None:
    err = rejects("π + √2 + bad", "unknown name 'bad'")
    assert err.position == 9
    err = rejects("−1 ÷ 0", "division by zero")
    assert err.position == 3


def test_messages_are_one_line_and_do_not_echo_invisible_characters() -> None:
    err = rejects("1\u202e\n2")
    assert "\u202e" not in str(err)
    err = rejects("q" * 500)
    assert len(err.message) < 200


# -- performance and safety ---------------------------------------------------------------


def test_20x20_matrix_of_decimals_is_fast() -> None:
    row = " ".join(f".{(i * 7) % 10}" if i % 2 else f"{i % 10}." for i in range(20))
    text = "; ".join([row] * 20)
    assert len(text) <= 2000
    with bounded_cpu():
        mat = parse_answer(text)
    assert len(mat) == 20 and all(len(r) == 20 for r in mat)


def test_module_source_has_no_code_execution() -> None:
    import handcalc.core.parse as module

    source = "".join(p.read_text(encoding="utf-8")
                     for p in Path(module.__file__).parent.glob("*.py"))
    for forbidden in ("eval(", "exec(", "sympify", "parse_expr", "compile(", 'S("'):
        assert forbidden not in source, forbidden
    for heavy in ("import numpy", "import torch"):
        assert heavy not in source


def check_any_text(text: str) -> None:
    try:
        with bounded_cpu():
            mat = parse_answer(text)
    except ParseError as err:
        assert isinstance(err.message, str) and err.message
        assert "\n" not in str(err)
        assert err.position is None or 0 <= err.position <= len(text)
    else:
        assert isinstance(mat, tuple) and mat
        width = len(mat[0])
        for row in mat:
            assert isinstance(row, tuple) and len(row) == width
            for entry in row:
                assert isinstance(entry, sympy.Expr)
                assert not entry.has(sympy.zoo, sympy.nan, sympy.I)
                assert not isinstance(entry, sympy.Float)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    check_any_text(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.+-*/^()[],; eπ√sqrtexpln", max_size=300))
def test_grammar_alphabet_parses_or_raises_parse_error(text: str) -> None:
    check_any_text(text)


TOKENS = [
    "1",
    "2",
    "0.5",
    "12",
    "1e-3",
    "e",
    "pi",
    "π",
    "√",
    "sqrt(",
    "exp(",
    "ln(",
    "log(",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    " ",
    ",",
    ";",
    "[",
    "]",
    "inf",
    "99999",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=120))
def test_token_soup_parses_or_raises_parse_error(tokens: list[str]) -> None:
    check_any_text("".join(tokens))


def test_a_percentage_is_read_back_as_a_decimal_in_the_hint():
    for typed, shown in (("73%", "73% is 0.73; write 0.73"), ("5.5 %", "5.5% is 0.055"),
                         ("１００％", "100% is 1; write 1")):
        with pytest.raises(ParseError) as e:
            parse_answer(typed)
        assert shown in str(e.value), (typed, str(e.value))
    with pytest.raises(ParseError, match="write 0.25, not 25%"):
        parse_answer("%")
