"""attention-grad: a hand-checked instance, the torch rebuild, and the command line."""

import json

import pytest
import sympy
from cli_helpers import run
from sympy import exp, sqrt

from handcalc.core import kernel
from handcalc.core.exact import mat, to_floats
from handcalc.core.rounding import fmt2, same2
from handcalc.exercises.exercise import Exercise, compute, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance

FAMILY = FAMILIES["attention-grad"]


def hand_instance():
    given = {"Q": mat([[1, 0], [0, 1]]), "K": mat([[1, 0], [0, 1]]),
             "V": mat([[1, 0], [2, 1]]), "dL/dZ": mat([[1, 0], [0, 2]])}
    return Instance("attention-grad-hand", "attention-grad", None, None, given,
                    {"n": 2, "d": 2}, ("A", "dV", "dA", "dS", "dQ"))


def same(a, b):
    return all(sympy.simplify(x - y) == 0 for ra, rb in zip(a, b, strict=True)
               for x, y in zip(ra, rb, strict=True))


def test_hand_checked_instance():
    # Q = K = I, so S = I / sqrt(2); write u = exp(1/sqrt(2)) = 2.0281.
    # A = [[u, 1], [1, u]] / (u + 1) = [[0.67, 0.33], [0.33, 0.67]].
    # dV = A^T dZ with dZ = diag(1, 2): [[u, 2], [1, 2u]] / (u + 1).
    # dA = dZ V^T: row 1 is (1, 0) . v_j = (1, 2), row 2 is (0, 2) . v_j = (0, 2).
    # r_1 = (u + 2) / (u + 1), r_2 = 2u / (u + 1); dS_ij = A_ij (dA_ij - r_i):
    #   dS_11 = u / (u + 1) (1 - r_1) = -u / (u + 1)^2, dS_12 = +u / (u + 1)^2,
    #   dS_21 = 1 / (u + 1) (0 - r_2) = -2u / (u + 1)^2, dS_22 = +2u / (u + 1)^2
    # (each row sums to 0); dQ = dS K / sqrt(2) = dS / sqrt(2) since K = I.
    # u / (u + 1)^2 = 0.2212, so dS = [[-0.22, 0.22], [-0.44, 0.44]], dQ = [[-0.16, 0.16],
    # [-0.31, 0.31]].
    ex = Exercise(hand_instance())
    u = exp(1 / sqrt(2))
    c = u / (u + 1) ** 2
    assert same(ex.by_key("A").answer, [[u / (u + 1), 1 / (u + 1)], [1 / (u + 1), u / (u + 1)]])
    assert same(ex.by_key("dV").answer, [[u / (u + 1), 2 / (u + 1)],
                                         [1 / (u + 1), 2 * u / (u + 1)]])
    assert ex.by_key("dA").answer == mat([[1, 2], [0, 2]])
    assert same(ex.by_key("dS").answer, [[-c, c], [-2 * c, 2 * c]])
    assert same(ex.by_key("dQ").answer, [[-c / sqrt(2), c / sqrt(2)],
                                         [-2 * c / sqrt(2), 2 * c / sqrt(2)]])
    assert [[fmt2(v) for v in r] for r in ex.by_key("dQ").answer] == [["-0.16", "0.16"],
                                                                       ["-0.31", "0.31"]]


def test_exact_key_equals_the_step_by_step_computation():
    """The key is written over each row's common denominator; the learner's step-by-step
    path (rounded intermediates aside) gives the same numbers."""
    for level in (1, 2, 3):
        ex = generate("attention-grad", level, 11)
        prior = {"A": ex.by_key("A").answer}  # forces the step-by-step form
        stepwise = compute(ex.instance, prior=prior).results
        for key in ("dS", "dQ"):
            assert same2(stepwise[key], ex.by_key(key).answer)
            for x, y in zip(sum(stepwise[key], ()), sum(ex.by_key(key).answer, ()),
                            strict=True):
                assert abs(sympy.N(x - y, 30)) < 1e-25


def test_torch_rebuild_agrees_with_exact():
    ex = Exercise(hand_instance())
    g = ex.given
    out = kernel.attention_grads(g["Q"], g["K"], g["V"], g["dL/dZ"], d=2)
    for key in ex.keys:
        exact = [v for r in to_floats(ex.by_key(key).answer) for v in r]
        assert [v for r in out[key] for v in r] == pytest.approx(exact, abs=1e-12)
    for level in (1, 2, 3):
        for seed in (3, 8):
            assert cross_check(generate("attention-grad", level, seed)) < 1e-9


def text(m):
    return "; ".join(" ".join(fmt2(v) for v in r) for r in m)



def test_cli_correct_incorrect_invalid():
    ex = generate("attention-grad", 1, 4)
    key = text(ex.by_key("dQ").answer)
    assert run("check", ex.code, "5", key).exit_code == 0
    rows = [r.split(" ") for r in key.split("; ")]
    rows[0][0] = fmt2(sympy.Rational(rows[0][0]) + sympy.Rational(1, 10))
    wrong = "; ".join(" ".join(r) for r in rows)
    assert run("check", ex.code, "5", wrong, "--strict").exit_code == 1
    bad = run("check", ex.code, "5", "0.1, 0.2, 0.3")
    assert bad.exit_code == 2 and "2 × 2" in bad.output
    assert run("check", ex.code, "6", "1").exit_code == 2


@pytest.mark.parametrize("mistake", FAMILY.mistakes)
def test_mistaken_answer_is_diagnosed(mistake):
    for seed in range(1, 30):
        ex = generate("attention-grad", 2, seed)
        wrong = mistaken(ex.instance, mistake)
        part = next((p for p in ex.parts if wrong.get(p.key) is not None
                     and not same2(wrong[p.key], p.answer)), None)
        if part is None:
            continue
        result = run("check", ex.code, str(part.number), text(wrong[part.key]), "--json")
        assert result.exit_code == 1, result.output
        data = json.loads(result.output)
        assert data["correct"] is False
        assert data["diagnosis"]["mistake"] == mistake
        assert data["diagnosis"]["part"] == part.number
        return
    pytest.fail(f"{mistake} changes no answer")


def test_text_in_both_languages():
    ex = generate("attention-grad", 2, 2)
    for lang in ("en", "zh"):
        out = run("show", ex.code, "--lang", lang)
        assert out.exit_code == 0 and "∂L/∂Z" in out.output
        assert run("solve", ex.code, "--lang", lang).exit_code == 0


def test_forward_scale_forgotten_is_named():
    """Issue 23's sweep: S = Q K^T without the 1 / sqrt(d): A and every gradient through
    it follow, but dA = dZ V^T does not depend on it."""
    from family_checks import diagnosis_of

    ex = generate("attention-grad", 2, 1)
    wrong = mistaken(ex.instance, "no-scale")
    assert wrong["dA"] == ex.by_key("dA").answer
    assert run("check", ex.code, "3", text(wrong["dA"])).exit_code == 0
    for key in ("A", "dS"):
        found = diagnosis_of(ex.code, ex.keys.index(key) + 1, wrong[key])
        assert found["mistake"] == "no-scale", key
