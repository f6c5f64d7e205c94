"""decode: hand-checked instances, the torch rebuild, and the command line."""

import json

import pytest
import sympy
from cli_helpers import run, typed
from sympy import E, Rational, oo

from handcalc.core import kernel
from handcalc.core.exact import elementwise, is_finite, mat
from handcalc.core.rounding import round2
from handcalc.exercises.exercise import Exercise, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance

# One new token, by hand: t = 2, d_k = 4 (sqrt(d_k) = 2).
#   K = [[2, 0, 0, 0], [0, 0, 0, 0]], V = [[1, 0], [0, 1]];
#   q_3 = (1, 0, 0, 0), k_3 = (0, 0, 0, 0), v_3 = (0, 0).
#   tilde(K) = [K; k_3]: q_3 . k_j = (2, 0, 0), s = (1, 0, 0)
#   a = (e, 1, 1) / (e + 2);  z = a tilde(V) = (e / (e + 2), 1 / (e + 2))
ONE = Instance(
    "decode-hand", "decode", None, None,
    {"K": mat([[2, 0, 0, 0], [0, 0, 0, 0]]), "V": mat([[1, 0], [0, 1]]),
     "q3": mat([[1, 0, 0, 0]]), "k3": mat([[0, 0, 0, 0]]), "v3": mat([[0, 0]])},
    {"t": 2, "new": 1, "d_k": 4}, ("S", "A", "Z"))

# Two new tokens, by hand: t = 2, d_k = 1.
#   K = (1, 0), V = (1, 0); token 3: q = 1, k = 1, v = 2; token 4: q = 0, k = 0, v = 1.
#   tilde(K) = (1, 0, 1, 0), tilde(V) = (1, 0, 2, 1).
#   Query 0 (token 3, position 2) sees keys 0..2, query 1 (token 4) sees all four:
#   S = [[1, 0, 1, -inf], [0, 0, 0, 0]]
#   A = [[e, 1, e, 0] / (2e + 1), [1/4, 1/4, 1/4, 1/4]]
#   Z = [[3e / (2e + 1)], [1]]
TWO = Instance(
    "decode-hand2", "decode", None, None,
    {"K": mat([[1], [0]]), "V": mat([[1], [0]]),
     "q3": mat([[1]]), "k3": mat([[1]]), "v3": mat([[2]]),
     "q4": mat([[0]]), "k4": mat([[0]]), "v4": mat([[1]])},
    {"t": 2, "new": 2, "d_k": 1}, ("S", "A", "Z"))


def answers(inst):
    return {p.key: p.answer for p in Exercise(inst).parts}


def same(a, b):
    flat_a = [sympy.S(v) for r in a for v in r]
    flat_b = [sympy.S(v) for r in b for v in r]
    return len(flat_a) == len(flat_b) and all(
        x == y if not (is_finite(x) and is_finite(y)) else sympy.simplify(x - y) == 0
        for x, y in zip(flat_a, flat_b, strict=True))


def test_hand_checked_one_new_token():
    got = answers(ONE)
    assert got["S"] == mat([[1, 0, 0]])
    assert same(got["A"], mat([[E / (E + 2), 1 / (E + 2), 1 / (E + 2)]]))
    assert same(got["Z"], mat([[E / (E + 2), 1 / (E + 2)]]))
    # the cache only: s = (1, 0); the top-left mask: only key 0; no sqrt(d_k): s = (2, 0, 0)
    assert mistaken(ONE, "decode-no-append")["S"] == mat([[1, 0]])
    assert same(mistaken(ONE, "decode-no-append")["Z"], mat([[E / (E + 1), 1 / (E + 1)]]))
    assert mistaken(ONE, "mask-top-left")["S"] == ((1, -oo, -oo),)
    assert mistaken(ONE, "mask-top-left")["Z"] == mat([[1, 0]])
    assert mistaken(ONE, "no-scale")["S"] == mat([[2, 0, 0]])
    assert mistaken(ONE, "decode-no-self") is None  # one token: the same as no-append


def test_hand_checked_two_new_tokens():
    got = answers(TWO)
    assert got["S"] == ((1, 0, 1, -oo), (0, 0, 0, 0))
    q = Rational(1, 4)
    assert same(got["A"], ((E / (2 * E + 1), 1 / (2 * E + 1), E / (2 * E + 1), 0),
                           (q, q, q, q)))
    assert same(got["Z"], mat([[3 * E / (2 * E + 1)], [1]]))
    # top-left: query i sees keys 0..i
    assert mistaken(TWO, "mask-top-left")["S"] == ((1, -oo, -oo, -oo), (0, 0, -oo, -oo))
    assert mistaken(TWO, "mask-top-left")["Z"] == mat([[1], [Rational(1, 2)]])
    # own key left out: query i sees keys 0 .. t + i - 1
    assert mistaken(TWO, "decode-no-self")["S"] == ((1, 0, -oo, -oo), (0, 0, 0, -oo))
    assert same(mistaken(TWO, "decode-no-self")["Z"], mat([[E / (E + 1)], [1]]))
    assert mistaken(TWO, "decode-no-append")["S"] == mat([[1, 0], [0, 0]])


@pytest.mark.parametrize("inst", [ONE, TWO], ids=["one", "two"])
def test_torch_rebuild_agrees(inst):
    numeric = FAMILIES["decode"].kernel(inst, kernel)
    for key, value in answers(inst).items():
        for x, y in zip([v for r in value for v in r], [v for r in numeric[key] for v in r],
                        strict=True):
            assert (x == -oo and y == float("-inf")) or abs(float(x) - y) < 1e-12


def test_torch_rebuild_agrees_on_generated():
    for level in (1, 2, 3):
        assert cross_check(generate("decode", level, 11)) < 1e-9




@pytest.mark.parametrize("level", [1, 2, 3])
def test_cli_correct_incorrect_invalid(level):
    ex = generate("decode", level, 21)
    for part in ex.parts:
        assert run("check", ex.code, str(part.number), typed(part.answer)).exit_code == 0
        if all(is_finite(v) for r in part.answer for v in r):
            off = elementwise(lambda v: round2(v) + Rational(1, 100), part.answer)
            assert run("check", ex.code, str(part.number), typed(off),
                       "--strict").exit_code == 1
    result = run("check", ex.code, "3", "1, 2, 3, 4, 5")
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize(("mistake", "level", "key"), [
    ("decode-no-append", 2, "S"), ("decode-no-append", 2, "Z"), ("mask-top-left", 2, "A"),
    ("mask-top-left", 3, "S"), ("decode-no-self", 3, "S"), ("no-scale", 2, "S")])
def test_mistaken_answer_is_diagnosed(mistake, level, key):
    ex = generate("decode", level, 5)
    part = ex.by_key(key)
    wrong = mistaken(ex.instance, mistake)[key]
    result = run("check", ex.code, str(part.number), typed(wrong), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["correct"] is False and data["diagnosis"]["mistake"] == mistake
