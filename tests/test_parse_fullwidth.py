"""Chinese keyboards: the full-width forms U+FF01..U+FF5E mean their ASCII twins and the
ideographic comma U+3001 a comma, in the grammar and in every command that reads answers;
nothing else outside ASCII is let in."""

import json

import pytest
from click.testing import CliRunner
from sympy import Rational, sqrt

from handcalc.cli import cli
from handcalc.core.parse import parse_answer, parse_value
from handcalc.core.rounding import fmt2
from handcalc.errors import ParseError
from handcalc.views.practice import session_exercises

R = Rational


@pytest.mark.parametrize(("typed", "ascii_twin"), [
    ("０.７１", "0.71"),
    ("０．７１", "0.71"),
    ("0.71，2.12", "0.71, 2.12"),
    ("0.71、2.12", "0.71, 2.12"),
    ("０．２０、０．８０", "0.20, 0.80"),
    ("１ ２；３ ４", "1 2; 3 4"),
    ("［［１，２］，［３，４］］", "[[1, 2], [3, 4]]"),
    ("（１＋２）／３", "(1+2)/3"),
    ("－１．５", "-1.5"),
    ("２＊３", "2*3"),
    ("５／ｓｑｒｔ（２）", "5/sqrt(2)"),
    ("ｅ／（１＋ｅ）", "e/(1+e)"),
    ("２＾３", "2^3"),
    ("－ｉｎｆ", "-inf"),
])
def test_full_width_forms_read_as_their_ascii_twins(typed, ascii_twin):
    assert parse_answer(typed) == parse_answer(ascii_twin)


def test_full_width_values():
    assert parse_answer("０.７１") == ((R(71, 100),),)
    assert parse_value("５／ｓｑｒｔ（２）") == 5 / sqrt(2)
    assert parse_answer("0.71，2.12") == ((R(71, 100), R(212, 100)),)


@pytest.mark.parametrize(("typed", "fragments", "position"), [
    ("3。54", ("ideographic full stop", "type ."), 1),
    ("０。７１", ("ideographic full stop", "type ."), 1),
    ("１＃", ("'#'",), 1),                    # the twin's hint, at the typed character
    ("１，２，ｘ", ("unknown name 'x'",), 4),
    ("１ ～", ("U+FF5E",), 2),                 # the typed character is the one described
    ("１．２．３", ("decimal point",), 3),
    ("＂１＂", ("quotes",), 0),
    ("（１", ("never closed",), 0),
])
def test_errors_point_at_the_typed_character(typed, fragments, position):
    with pytest.raises(ParseError) as info:
        parse_answer(typed)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert info.value.position == position


def test_the_ideographic_space_is_a_space():
    """U+3000 is what the space bar types in full-width mode: a space, as between entries."""
    assert parse_answer("１\u3000２") == parse_answer("1 2")
    assert parse_answer("\u30000.5\u3000") == ((R(1, 2),),)


def test_messages_quote_tokens_as_typed():
    with pytest.raises(ParseError) as info:
        parse_answer("１ ＋")
    assert "'＋'" in str(info.value)


@pytest.mark.parametrize("ch", [chr(0xFF00), chr(0xFF5F), chr(0xFF60), chr(0xFF61),
                                chr(0x3002), chr(0xFFE3), chr(0xFFE5)])
def test_neighbours_of_the_mapped_block_stay_refused(ch):
    with pytest.raises(ParseError):
        parse_answer("1" + ch)


# ---------------------------------------------------------------- commands


def check(*args):
    return CliRunner().invoke(cli, ["check", *args])


def test_check_full_width_comma_is_correct_like_the_ascii_answer():
    ascii_answer = check("worked-4", "1", "0.71, 2.12", "--json")
    for typed in ("0.71，2.12", "０．７１、２．１２"):
        result = check("worked-4", "1", typed, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == json.loads(ascii_answer.stdout)
        assert json.loads(result.stdout)["correct"] is True


def test_check_ideographic_full_stop_exits_2_with_the_hint():
    result = check("worked-4", "1", "0。71, 2.12")
    assert result.exit_code == 2
    assert "type . for a decimal point" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_prior_in_full_width_carries_forward():
    result = check("worked-4", "2", "0.12、0.88", "--prior", "1=１，３", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted_by"] == "carried-forward"


def full_width_digits(text):
    return text.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})


def test_practice_accepts_full_width_answers():
    (ex,) = session_exercises(["score"], 1, 1, 11)
    answers = "".join(full_width_digits("；".join("，".join(fmt2(v) for v in r) for r in p.answer))
                      + "\n" for p in ex.parts)
    assert not answers.isascii()
    result = CliRunner().invoke(cli, ["practice", "score", "--seed", "11", "--count", "1"],
                                input=answers)
    assert result.exit_code == 0, result.output
    assert f"right on the first try: {len(ex.parts)}" in result.output
