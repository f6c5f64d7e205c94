"""mha: a hand-checked instance, the torch rebuild, and the command line."""

import json

import pytest
import sympy
from cli_helpers import run, typed
from sympy import E, Rational

from handcalc.core import kernel
from handcalc.core.exact import elementwise, mat
from handcalc.core.rounding import round2
from handcalc.exercises.exercise import Exercise, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance

# By hand: X = [[1, 1], [0, 1]], W^Q = I, W^K = W^O = [[0, 1], [1, 0]], W^V = I.
#   Q = X = [[1, 1], [0, 1]];  K = X W^K = [[1, 1], [1, 0]];  V = X = [[1, 1], [0, 1]]
#   h = 2, d_k = 1: head i is column i.
#   head 1: Q_1 = (1, 0), K_1 = (1, 1): S_1 = [[1, 1], [0, 0]], A_1 = 1/2 everywhere,
#           V_1 = (1, 0): Z_1 = (1/2, 1/2)
#   head 2: Q_2 = (1, 1), K_2 = (1, 0): S_2 = [[1, 0], [1, 0]],
#           A_2 rows = (e/(e+1), 1/(e+1)), V_2 = (1, 1): Z_2 = (1, 1)
#   C = [Z_1 || Z_2] = [[1/2, 1], [1/2, 1]];  Y = C W^O = [[1, 1/2], [1, 1/2]]
HAND = Instance(
    "mha-hand", "mha", None, None,
    {"X": mat([[1, 1], [0, 1]]), "W^Q": mat([[1, 0], [0, 1]]),
     "W^K": mat([[0, 1], [1, 0]]), "W^V": mat([[1, 0], [0, 1]]),
     "W^O": mat([[0, 1], [1, 0]])},
    {"h": 2, "head": 2, "d_model": 2, "d_k": 1}, ("Q", "S", "A", "C", "Y"))


def answers(ex):
    return {p.key: p.answer for p in ex.parts}


def test_hand_checked_instance():
    got = answers(Exercise(HAND))
    a, b = E / (E + 1), 1 / (E + 1)
    assert got["Q"] == mat([[1, 1], [0, 1]])
    assert got["S"] == mat([[1, 0], [1, 0]])
    assert all(sympy.simplify(x - y) == 0 for x, y in zip(
        [v for r in got["A"] for v in r], [a, b, a, b], strict=True))
    half = Rational(1, 2)
    assert got["C"] == mat([[half, 1], [half, 1]])
    assert got["Y"] == mat([[1, half], [1, half]])


def test_hand_checked_mistakes():
    # heads split along tokens: Q flat (1, 1, 0, 1) -> head 2 = (0, 1); K flat (1, 1, 1, 0)
    # -> head 2 = (1, 0); its scores [[0, 0], [1, 0]]
    assert mistaken(HAND, "split-tokens")["S"] == mat([[0, 0], [1, 0]])
    half = Rational(1, 2)
    assert mistaken(HAND, "concat-order")["C"] == mat([[1, half], [1, half]])
    assert mistaken(HAND, "no-wo")["Y"] == mat([[half, 1], [half, 1]])
    root = sympy.sqrt(2)
    assert mistaken(HAND, "dk-is-dmodel")["S"] == mat([[1 / root, 0], [1 / root, 0]])


def test_torch_rebuild_agrees():
    ex = Exercise(HAND)
    numeric = FAMILIES["mha"].kernel(HAND, kernel)
    for key, value in answers(ex).items():
        for x, y in zip([v for r in value for v in r], [v for r in numeric[key] for v in r],
                        strict=True):
            assert abs(float(x) - y) < 1e-12
    for level in (1, 2, 3):
        assert cross_check(generate("mha", level, 11)) < 1e-9




@pytest.mark.parametrize("level", [1, 2, 3])
def test_cli_correct_incorrect_invalid(level):
    ex = generate("mha", level, 21)
    for part in ex.parts:
        assert run("check", ex.code, str(part.number), typed(part.answer)).exit_code == 0
        off = elementwise(lambda v: round2(v) + Rational(1, 100), part.answer)
        assert run("check", ex.code, str(part.number), typed(off), "--strict").exit_code == 1
    result = run("check", ex.code, "1", "1, 2, 3")  # Q is n x d_model
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize(("mistake", "key"), [("no-wo", "Y"), ("concat-order", "C"),
                                              ("split-tokens", "S"), ("dk-is-dmodel", "S")])
def test_mistaken_answer_is_diagnosed(mistake, key):
    ex = generate("mha", 2, 5)
    part = ex.by_key(key)
    wrong = mistaken(ex.instance, mistake)[key]
    result = run("check", ex.code, str(part.number), typed(wrong), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["correct"] is False and data["diagnosis"]["mistake"] == mistake


def test_scale_forgotten_is_named_at_level_3():
    """Issue 23's sweep: the named head's Q_i K_i^T not divided by sqrt(d_k) = sqrt(2)
    (level 3); at levels 1 and 2 d_k = 1 and there is no scale to forget."""
    from family_checks import diagnosis_of

    ex = generate("mha", 3, 1)
    wrong = mistaken(ex.instance, "no-scale")
    assert wrong["Q"] == ex.by_key("Q").answer  # the projections come first
    root = sympy.sqrt(2)
    assert all(sympy.simplify(w - r * root) == 0 for wr, rr in
               zip(wrong["S"], ex.by_key("S").answer, strict=True)
               for w, r in zip(wr, rr, strict=True))
    assert diagnosis_of(ex.code, 2, wrong["S"])["mistake"] == "no-scale"
    assert diagnosis_of(ex.code, 3, wrong["A"])["mistake"] == "no-scale"
    assert mistaken(HAND, "no-scale") is None
    assert mistaken(generate("mha", 2, 1).instance, "no-scale") is None
