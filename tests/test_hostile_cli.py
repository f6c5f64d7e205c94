"""Hostile answers at the command line: `handcalc check worked-5 2 <text>` for every entry
of the parser's hostile corpus (tests/data/hostile_answers.json, owned by the parser's
tests) must exit 2 with a one-line message on stderr, no traceback, in well under a second.
Comma decimals (`3,54`) are refused with a message about the shape and the dot.
"""

import json
import time
from pathlib import Path

import pytest
from bounded import CPU_SECONDS
from click.testing import CliRunner

from handcalc.cli import cli

CORPUS_PATH = Path(__file__).parent / "data" / "hostile_answers.json"
SECONDS = CPU_SECONDS  # a bound on work (see bounded.py); they take about 0.01 to 0.2 s


def build_text(spec):
    """The corpus's text: a string, or parts where {"repeat": s, "times": n} is s * n."""
    if isinstance(spec, str):
        return spec
    return "".join(p if isinstance(p, str) else p["repeat"] * p["times"] for p in spec)


CORPUS = json.loads(CORPUS_PATH.read_text(encoding="ascii"))


def check(*args):
    start = time.process_time()
    result = CliRunner().invoke(cli, ["check", *args])
    return result, time.process_time() - start


def assert_refused(result, seconds):
    assert result.exit_code == 2, (result.exit_code, result.output[:300])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[:500]
    assert lines[0].startswith("handcalc: ") and len(lines[0]) < 400, lines[0][:500]
    assert seconds < SECONDS, seconds


@pytest.mark.parametrize("entry", CORPUS, ids=[f"{i}-{e['category']}"
                                               for i, e in enumerate(CORPUS)])
def test_hostile_answer_is_refused_at_the_cli(entry):
    result, seconds = check("worked-5", "2", build_text(entry["text"]))
    assert_refused(result, seconds)


@pytest.mark.parametrize("text", ["3,54", "-3,54", "3,5", " 3 , 54 ", "3,540", "3,54 "])
def test_comma_decimal_for_a_number_is_refused_with_a_hint(text):
    result, seconds = check("worked-1", "1", text)
    assert_refused(result, seconds)
    message = result.stderr.lower()
    assert "single number" in message and "dot" in message and "3.54" in message


@pytest.mark.parametrize(("code", "part", "text"), [
    ("worked-4", "1", "0,71, 2,12"),      # 4 values for a 2-vector
    ("worked-5", "2", "10; 18,81; 29,48"),  # rows of 1 and 2 values
    ("worked-2", "3", "2,19 0,54; 0,81 1,46"),
])
def test_comma_decimals_in_vectors_and_matrices_are_refused(code, part, text):
    result, seconds = check(code, part, text)
    assert_refused(result, seconds)


@pytest.mark.parametrize("text", ["", " ", "\t", "\n", "\x00", "[]", "[[]]", ";", ",", "--"])
def test_empty_and_separator_only_answers_are_refused(text):
    result, seconds = check("worked-5", "2", text)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert seconds < SECONDS


@pytest.mark.parametrize("args", [
    ("worked-5", "2", "10, 18.81, 29.48", "--prior", "1=" + "9" * 5000),
    ("worked-5", "2", "10, 18.81, 29.48", "--prior", "1=__import__('os')"),
    ("worked-5", "\uff12", "1"),  # a full-width digit 2 as the part
    ("worked-" + "9" * 100, "1", "1"),
    ("causal-2-" + "9" * 100, "1", "1"),
    ("causal-2-1\x00", "1", "1"),
    ("worked-5", "-1", "1"),
    ("worked-5", "0", "1"),
])
def test_hostile_codes_parts_and_priors_are_refused(args):
    result, seconds = check(*args)
    assert_refused(result, seconds)


@pytest.mark.parametrize("code", ["worked-" + "9" * 4301, "causal-2-" + "9" * 4301])
def test_code_with_more_than_4300_digits_is_refused(code):
    result, seconds = check(code, "1", "1")
    assert_refused(result, seconds)


@pytest.mark.parametrize("args", [("worked-5", "2" * 5000, "1"), ("worked-" + "9" * 4000,
                                                                  "1", "1")])
def test_long_code_or_part_gives_a_short_message(args):
    result, seconds = check(*args)
    assert_refused(result, seconds)
