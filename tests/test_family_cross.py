"""cross: a hand-checked instance, the torch rebuild, the command line and diagnoses."""

import json

import pytest
from cli_helpers import run, typed
from sympy import Rational, exp, simplify

from handcalc.core.exact import mat, shape, transpose
from handcalc.exercises.exercise import build, cross_check, generate, mistaken

CODE = "cross-1-6"




def test_hand_checked_instance():
    # 2 decoder queries over 3 encoder positions, d_k = 4 so S = Q K^T / 2.
    # Q = [[1, 1, 1, 1], [0, 0, 1, 0]], K = [[0, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 0]].
    # Q K^T = [[2, 1, 3], [1, 1, 1]], S = [[1, 1/2, 3/2], [1/2, 1/2, 1/2]] (2 x 3).
    # Row 2 has equal scores: A_2 = (1/3, 1/3, 1/3), and with V = [[0, 1], [0, 2], [2, 1]]
    # Z_2 = (2/3, (1 + 2 + 1) / 3) = (0.67, 1.33).
    # Row 1: exp(1, 0.5, 1.5) = 2.718, 1.649, 4.482, sum 8.849: A_1 = 0.31, 0.19, 0.51;
    # Z_1 = (2 * 0.5065, 0.3072 + 2 * 0.1863 + 0.5065) = (1.01, 1.19).
    ex = build(CODE)
    assert ex.code == CODE
    assert ex.given["Q"] == mat([[1, 1, 1, 1], [0, 0, 1, 0]])
    assert ex.given["V"] == mat([[0, 1], [0, 2], [2, 1]])
    S, A, Z = (p.answer for p in ex.parts)
    half = Rational(1, 2)
    assert S == mat([[1, half, 3 * half], [half, half, half]])
    third = Rational(1, 3)
    assert all(simplify(v - third) == 0 for v in A[1])
    total = exp(1) + exp(half) + exp(3 * half)
    assert simplify(A[0][2] - exp(3 * half) / total) == 0
    assert simplify(Z[1][0] - 2 * third) == 0 and simplify(Z[1][1] - 4 * third) == 0
    assert typed(Z) == "1.01 1.19; 0.67 1.33"


@pytest.mark.parametrize("level", [1, 2, 3])
def test_torch_rebuild_agrees(level):
    for seed in (3, 11, 29):
        ex = generate("cross", level, seed)
        assert cross_check(ex) < 1e-9
        m, n = ex.instance.params["m"], ex.instance.params["n"]
        assert m != n and shape(ex.parts[0].answer) == (m, n)


def test_cli_correct_incorrect_invalid():
    assert run("check", CODE, "3", "1.01 1.19; 0.67 1.33").exit_code == 0
    assert run("check", CODE, "1", "1 0.5 1.5; 0.5 0.5 0.5").exit_code == 0
    assert run("check", CODE, "3", "1.01 1.19; 0.67 1.34").exit_code == 1
    wrong_shape = run("check", CODE, "3", "1.01, 1.19, 0.67")
    assert wrong_shape.exit_code == 2 and "expected" in wrong_shape.stderr


def test_transposed_s_is_graded_as_that_mistake_not_invalid():
    ex = build(CODE)
    S_T = transpose(ex.parts[0].answer)  # 3 x 2 where S is 2 x 3
    assert mistaken(ex.instance, "cross-s-transposed")["S"] == S_T
    result = run("check", CODE, "1", typed(S_T), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["correct"] is False and data["diagnosis"]["mistake"] == "cross-s-transposed"
    assert run("check", CODE, "1", typed(S_T), "--strict").exit_code == 2


def test_causal_mask_is_diagnosed():
    ex = build(CODE)
    wrong = mistaken(ex.instance, "cross-causal")
    result = run("check", CODE, "2", typed(wrong["A"]), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["diagnosis"]["mistake"] == "cross-causal"


def test_keys_and_values_from_the_decoder_at_level_3():
    ex = generate("cross", 3, 5)
    assert "X" in ex.given and "H" in ex.given
    assert mistaken(generate("cross", 2, 5).instance, "cross-kv-decoder") is None
    wrong = mistaken(ex.instance, "cross-kv-decoder")
    m = ex.instance.params["m"]
    assert shape(wrong["S"]) == (m, m) and shape(wrong["Z"]) == shape(ex.parts[2].answer)
    result = run("check", ex.code, "3", typed(wrong["Z"]), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["diagnosis"]["mistake"] == "cross-kv-decoder"
