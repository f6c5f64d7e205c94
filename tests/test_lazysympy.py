"""The quick paths without sympy (issue 27): sympy imported on first use
(handcalc.lazysympy), drawn data kept as drawn (handcalc.families.base.Given), the rational
kit (handcalc.core.rational) and plain typed answers (quickkeys.plain_answer).

What a learner runs most (new, show, practice's first exercise, check of a plain answer)
imports no sympy where the float and rational screens decide; and every decision is the
exact path's: the rejection rules over every family and level, and grade over more than
10,000 (code, part, answer) cases, right, wrong, mistaken and within 1e-6 of the 0.005
edge, compared with grade of the same text parsed exactly."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy
import test_quickkeys as cases
from hypothesis import given, settings
from hypothesis import strategies as st

from handcalc.core import rational
from handcalc.core.expsum import ExpSum, Surds
from handcalc.core.parse import lines_as_rows, parse_answer
from handcalc.errors import HandcalcError
from handcalc.exercises import exercise, quickkeys
from handcalc.exercises.exercise import Exercise, draw, generate
from handcalc.exercises.grade import grade
from handcalc.families import FAMILIES, window
from handcalc.families.base import Given
from handcalc.families.layernorm import eps_math
from handcalc.families.rope import _six
from handcalc.views.render import verdict_text

# the short commands end without the interpreter's teardown (cli.ends_now), after the
# atexit handlers: the line is written there, and a run that lacks it fails
WRAPPER = ("import atexit, sys\nfrom handcalc.cli import main\n"
           "sys.argv = ['handcalc', *sys.argv[1:]]\n"
           "atexit.register(lambda: print('SYMPY', 'sympy' in sys.modules, file=sys.stderr))\n"
           "main()\n")


def run(*args: str) -> tuple[subprocess.CompletedProcess, bool]:
    env = {**os.environ, "HANDCALC_NO_CACHE": "1"}  # no remembered keys: drawn afresh
    r = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True,
                       env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert b"SYMPY " in r.stderr, r.stderr.decode()[-1500:]
    return r, b"SYMPY True" in r.stderr


@pytest.mark.parametrize("args", [
    ("show", "gqa-2-100"), ("show", "causal-3-14"), ("show", "rope-3-5"),
    ("new", "score", "--level", "2", "--seed", "5"), ("new", "layernorm", "--seed", "1"),
    ("new", "temperature", "--level", "3", "--seed", "2"), ("new", "cost", "--seed", "9"),
    ("new", "rope", "--seed", "3"), ("new", "attention-grad", "--level", "2", "--seed", "4"),
    ("new", "online-softmax", "--level", "3", "--seed", "8"), ("show", "keys-3-7"),
    ("practice", "--seed", "4", "--count", "1", "concat"),
    ("check", "attention-3-14", "3", "1.06 -0.56; 0.49 -0.05; -1.04 0.37"),
    ("check", "attention-3-14", "3", "0 0; 0 0; 0 0"),
    ("check", "causal-3-14", "1", "1 -inf -inf; 0 -1 -inf; 1 0 2"),
    ("show", "worked-4"), ("check", "worked-5", "2", "10, 18.81, 29.48"),
    ("check", "worked-4", "1", "1, 3"),
], ids=lambda a: " ".join(a))
def test_the_quick_commands_import_no_sympy(args):
    r, loaded = run(*args)
    assert r.returncode in (0, 1), r.stderr.decode()[-1500:]
    assert not loaded, r.stdout.decode()[-500:]
    assert b"Traceback" not in r.stderr


def test_an_exact_form_or_typed_data_still_imports_it():
    assert run("check", "attention-3-14", "3", "sqrt(2) 0; 0 0; 0 0")[1]
    assert run("new", "score", "--given", "q=1 2", "--given", "k=1 0", "--given", "v=3 4")[1]


def _rejections(name: str, level: int, seeds: range) -> list[tuple[str | None, str | None]]:
    out = []
    for s in seeds:
        inst = draw(name, level, s * 7919 + level)
        out += [(exercise._rejection(Exercise(inst), published), None)
                for published in (False, True)]
    return out


def test_the_rational_kit_decides_every_rule_as_the_exact_path(monkeypatch):
    """Every family and level, drawn instances (accepted and refused), new and published
    rules: the verdict with the rational kit's second look, and without it (the float
    screen, then sympy)."""
    with_kit = {(n, lv): _rejections(n, lv, range(12))
                for n, f in FAMILIES.items() for lv in f.levels}
    monkeypatch.setattr(exercise, "rational_results", lambda inst, mistake=None: None)
    monkeypatch.setattr(window, "_same_z", lambda *args: None)
    monkeypatch.setattr(Exercise, "rational", None)
    compared = 0
    for (name, level), verdicts in with_kit.items():
        assert verdicts == _rejections(name, level, range(12)), (name, level)
        compared += len(verdicts)
    assert compared >= 1500


def _fields(v):
    why = v.diagnosis
    return (v.correct, v.score, v.cells, v.accepted_by, v.expected_shape,
            None if why is None else (why.mistake.id, tuple(m.id for m in why.also)))


def test_grade_of_plain_answers_is_the_exact_grade():
    compared = decided = 0
    for name, family in FAMILIES.items():
        for level in family.levels:
            for seed in range(1, 4):
                ex = generate(name, level, seed)
                for part in ex.parts:
                    for text in cases.answers(ex, part):
                        typed = quickkeys.plain_answer(text)
                        if typed is None:
                            continue
                        try:
                            full = grade(ex, part.number, parse_answer(lines_as_rows(text)))
                        except HandcalcError as e:
                            with pytest.raises(type(e)):
                                grade(ex, part.number, typed)
                            continue
                        plain = grade(ex, part.number, typed)
                        compared += 1
                        decided += full.diagnosis is not None or not full.correct
                        assert _fields(plain) == _fields(full), (ex.code, part.number, text)
                        assert verdict_text(plain) == verdict_text(full)
    assert compared >= 10_000, compared
    assert decided >= 0.3 * compared, decided  # wrong and mistaken answers, not only keys


def test_a_key_from_the_float_screen_never_says_right_where_grade_does_not():
    decided = 0
    for name, family in FAMILIES.items():
        for level in family.levels:
            ex = generate(name, level, 3)
            record = quickkeys._screen_record(Exercise(ex.instance))
            if record is None:
                continue
            for part in ex.parts:
                for text in cases.answers(ex, part):
                    if quickkeys.decide(record, str(part.number), text) is None:
                        continue
                    decided += 1
                    full = grade(ex, part.number, parse_answer(lines_as_rows(text)))
                    assert full.correct and full.accepted_by == "exact", (ex.code, text)
    assert decided >= 500, decided


DECIMAL = st.builds(lambda sign, whole, frac: f"{sign}{whole}{frac}",
                    st.sampled_from(["", "-"]),
                    st.integers(0, 10**6).map(str),
                    st.one_of(st.just(""), st.integers(0, 10**6).map(lambda n: f".{n}")))


@settings(max_examples=300, deadline=None)
@given(rows=st.integers(1, 3), cols=st.integers(1, 3), data=st.data(),
       sep=st.sampled_from([" ", ", ", "  "]), rowsep=st.sampled_from(["; ", ";", "\n"]))
def test_plain_answers_are_the_values_the_exact_parser_gives(rows, cols, data, sep, rowsep):
    cells = [[data.draw(st.one_of(DECIMAL, st.just("-inf"))) for _ in range(cols)]
             for _ in range(rows)]
    text = rowsep.join(sep.join(r) for r in cells)
    plain = quickkeys.plain_answer(text)
    exact = parse_answer(lines_as_rows(text))
    assert plain is not None
    assert [len(r) for r in plain] == [len(r) for r in exact]
    for a, b in zip((v for r in plain for v in r), (v for r in exact for v in r), strict=True):
        assert (b == -sympy.oo and a == float("-inf")) or a == b


TOKEN = st.one_of(DECIMAL, st.sampled_from(["-inf", " ", ",", ", ", ";", "; ", "\n", ",\n",
                                             "\r\n", "[", "]", "  "]))


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKEN, min_size=1, max_size=14))
def test_whatever_plain_reading_accepts_the_exact_parser_reads_alike(tokens):
    """Any mix of numbers and separators: when the quick reading takes it, the exact
    parser reads the very same matrix (else the exact parser decides, errors included)."""
    text = "".join(tokens)
    plain = quickkeys.plain_answer(text)
    if plain is None:
        return
    exact = parse_answer(lines_as_rows(text))
    assert [len(r) for r in plain] == [len(r) for r in exact], text
    for a, b in zip((v for r in plain for v in r), (v for r in exact for v in r), strict=True):
        assert (b == -sympy.oo and a == float("-inf")) or a == b, text


@pytest.mark.parametrize("text", ["1e3", "sqrt(2)", "1/2", "+1", "1 2; 3", "", "1 2; 3 4\n5 6",
                                  "[1, 2]", " ".join(["1"] * 21), "; ".join(["1"] * 21),
                                  "1 " * 1001, "1000000000001", "-2000000000000.5"])
def test_other_texts_are_left_to_the_exact_parser(text):
    assert quickkeys.plain_answer(text) is None


def test_the_quick_reading_keeps_the_parser_s_caps():
    from handcalc.core.parse import limits

    assert (quickkeys.MAX_LENGTH, quickkeys.MAX_ROWS, quickkeys.MAX_COLS,
            quickkeys.MAX_ENTRIES, quickkeys.MAX_ABS_VALUE) == (
        limits.MAX_LENGTH, limits.MAX_ROWS, limits.MAX_COLS, limits.MAX_ENTRIES,
        limits.MAX_ABS_VALUE)


def test_the_quick_path_keeps_the_engine_s_guard_band():
    from handcalc.core import exact

    assert quickkeys.GUARD == exact.GUARD  # a copy: the quick path imports no engine


def test_given_reads_its_data_as_exact_values():
    g = Given({"Q": ((1, 2), (3, Fraction(1, 2)))})
    assert g["Q"] == ((sympy.Integer(1), sympy.Integer(2)), (sympy.Integer(3),
                                                            sympy.Rational(1, 2)))
    assert isinstance(g["Q"][1][1], sympy.Rational)
    assert g == {"Q": g["Q"]} and list(g) == ["Q"] and len(g) == 1
    assert pickle.loads(pickle.dumps(g)) == g
    inst = draw("rmsnorm", 2, 5)
    assert inst.plain_given["g"] != () and not isinstance(inst.plain_given["g"][0][0],
                                                          sympy.Basic)
    assert inst.float_given["x"] == tuple(tuple(float(v) for v in r)
                                          for r in inst.given["x"])


def test_the_rational_kit_is_exact_or_a_float():
    assert rational.sqrt(Fraction(9, 4)) == Fraction(3, 2)
    assert rational.sqrt(8) == Surds({2: Fraction(2)})  # 2 sqrt(2)
    assert rational.sqrt(Fraction(1, 2)) * rational.sqrt(2) == 1
    assert rational.exp(Fraction(0)) == 1 and rational.exp(float("-inf")) == 0
    e = rational.exp(Fraction(1, 2))
    assert isinstance(e, ExpSum) and rational.exp(Fraction(1, 4)) * \
        rational.exp(Fraction(1, 4)) == e
    assert isinstance(rational.exp(rational.sqrt(2) * Fraction(1, 3)), ExpSum)
    assert isinstance(rational.cos(Fraction(1)), float) and rational.cos(Fraction(0)) == 1
    x = 0.5 + 0.25
    assert rational.quotient(x, x) == 1 and isinstance(rational.quotient(x, x + 0.0), float)
    assert rational.fmt2(Fraction(-1, 200)) == "-0.01" and rational.fmt2(Fraction(1, 300)) == "0.00"
    assert rational.near_boundary(Fraction(52, 10000))  # 0.0052: 0.0002 from the tie 0.005
    assert not rational.near_boundary(Fraction(1, 100))


def test_sums_of_exponentials_are_equal_exactly_when_their_forms_are():
    """The canonical forms of handcalc.core.expsum against sympy's values."""
    a, b = rational.exp(Fraction(1)), rational.exp(Fraction(2))
    w1 = a / (a + b)  # a softmax weight
    w2 = 1 / (1 + rational.exp(Fraction(1)))  # the same weight, written otherwise
    assert w1 == w2 and rational.differs([w1], [w2]) is False
    assert w1 / w1 == 1 and a / a == 1 and (a + b) - b == a
    s = rational.sqrt(2)
    assert rational.exp(s) * rational.exp(-s) == 1
    other = b / (a + b)
    assert w1 + other == 1  # the weights of a row sum to 1, exactly
    assert rational.differs([w1], [other]) is True
    want = sympy.E / (sympy.E + sympy.E ** 2)
    assert abs(float(w1) - float(want)) < 1e-15
    assert rational.same2([w1], [w2]) is False  # the same value: not a slip's answer
    with pytest.raises(ValueError):
        max(a + Fraction(1, 10**12), a + Fraction(2, 10**12))  # too close for floats
    assert max(a, b) == b and abs(-a) == a


def test_rope_values_to_six_decimals_are_sympy_s():
    """Every angle a drawn RoPE exercise turns by (positions up to 10, theta 1 or 1/10)."""
    for k in range(1, 11):
        for a in (Fraction(k), Fraction(k, 10)):
            for f in ("cos", "sin"):
                want = f"{float(getattr(sympy, f)(sympy.Rational(a))):.6f}"
                assert _six(f, a) == want == _six(f, sympy.Rational(a)), (f, a)


def test_eps_reads_as_before():
    assert eps_math(Fraction(1, 100000)) == "10^(-5)" == eps_math(sympy.Rational(1, 100000))
    assert eps_math(Fraction(1, 3)) == "1/3" and eps_math(Fraction(3, 1000)) == "3/1000"


def test_a_result_a_mistake_does_not_reach_is_the_right_one_itself():
    """Work.affected (and has(..., reaches=...)) tells the screens which results a mistake
    leaves alone: for every family, level and mistake, over drawn instances, each result
    it calls unaffected is the very expression of the right result."""
    checked = 0
    for name, family in FAMILIES.items():
        for level in family.levels:
            for seed in range(1, 4):
                inst = generate(name, level, seed).instance
                right = exercise.compute(inst).results
                for mistake in family.mistakes:
                    try:
                        w = exercise.compute(inst, mistake=mistake)
                    except (exercise.NotApplicable, ZeroDivisionError, ValueError):
                        continue
                    for key, value in w.results.items():
                        if not w.affected[key]:
                            checked += 1
                            assert exercise.identical(value, right[key]), (inst.code, mistake,
                                                                           key)
    assert checked >= 500, checked


def _as_sympy(v):
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sum(sympy.Rational(c.numerator, c.denominator) * sympy.sqrt(n)
               for n, c in v.terms.items())


def test_cos_and_sin_of_a_multiple_of_pi_are_exact():
    from handcalc.families.rope import PiTimes

    exact = 0
    for k in range(-30, 31):
        angle = PiTimes(Fraction(k, 12))
        for f in ("cos", "sin"):
            got = getattr(rational, f)(angle)
            want = getattr(sympy, f)(sympy.pi * sympy.Rational(k, 12))
            if isinstance(got, float):
                assert k % 2 and k % 3 and abs(got - float(want)) < 1e-12
            else:
                exact += 1
                assert sympy.simplify(_as_sympy(got) - want) == 0, (f, k)
    assert exact >= 80


def _sym(v):
    """A kit value as sympy's."""
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    if isinstance(v, Surds):
        return sum(_sym(c) * sympy.sqrt(n) for n, c in v.terms.items())
    if isinstance(v, ExpSum):
        return sum(_sym(r) * sympy.exp(_sym(a)) for a, r in v.terms.values())
    return _sym(v.num) / _sym(v.den)


SCORE = st.builds(lambda k, half, root: Fraction(k, 2 if half else 1) * (
    rational.sqrt(2) if root else 1), st.integers(-3, 3), st.booleans(), st.booleans())


@settings(max_examples=25, deadline=None)
@given(row=st.lists(SCORE, min_size=1, max_size=3), other=st.lists(SCORE, min_size=1,
                                                                     max_size=3))
def test_the_kit_s_softmax_is_sympy_s(row, other):
    """Weights of two rows of scores (rational, or rational times sqrt 2): each within its
    error bound of sympy's value, and two weights equal in the kit exactly when sympy
    proves them equal."""
    from handcalc.core.expsum import approx_err

    def softmax(scores):
        exps = [rational.exp(s) for s in scores]
        total = sum(exps, Fraction(0))
        return [e / total for e in exps]

    weights = softmax(row) + softmax(other)
    for w in weights:
        v, err = approx_err(w)
        assert abs(v - float(_sym(w))) <= err + 1e-15
    for a in weights:
        for b in weights:
            assert (a == b) == (sympy.simplify(_sym(a) - _sym(b)) == 0), (a, b)


def test_a_data_code_is_told_by_the_data_parser_s_separator():
    from handcalc.exercises import datacode

    assert exercise.DATA_SEP == datacode.SEP
