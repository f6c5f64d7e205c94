"""softmax-grad: a hand-checked instance, the torch rebuild, and the command line."""

import json

import pytest
import sympy
from cli_helpers import run
from sympy import E

from handcalc.core import kernel
from handcalc.core.exact import mat, to_floats
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import Exercise, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance

FAMILY = FAMILIES["softmax-grad"]


def hand_instance():
    return Instance("softmax-grad-hand", "softmax-grad", None, None,
                    {"s": mat([[1, 1, 2]]), "dL/dA": mat([[-2, -1, 1]])},
                    {"rows": 1, "n": 3}, ("A", "gA", "dS"))


def same(a, b):
    return all(sympy.simplify(x - y) == 0 for ra, rb in zip(a, b, strict=True)
               for x, y in zip(ra, rb, strict=True))


def test_hand_checked_instance():
    # s = (1, 1, 2), g = (-2, -1, 1). exp(s) = (e, e, e^2), D = 2e + e^2 = e (2 + e), so
    # a = (1, 1, e) / (2 + e) = (0.2119, 0.2119, 0.5761).
    # c = sum a_j g_j = (-2 - 1 + e) / (2 + e) = (e - 3) / (2 + e) = -0.0597.
    # dL/ds_j = a_j (g_j - c):
    #   j = 1: (-2 (2 + e) - (e - 3)) / (2 + e)^2 = (-1 - 3e) / (2 + e)^2 = -0.4112
    #   j = 2: (-(2 + e) - (e - 3)) / (2 + e)^2 = (1 - 2e) / (2 + e)^2  = -0.1993
    #   j = 3: e ((2 + e) - (e - 3)) / (2 + e)^2 = 5e / (2 + e)^2      =  0.6105
    # and the row sums to (-1 - 3e + 1 - 2e + 5e) / (2 + e)^2 = 0.
    ex = Exercise(hand_instance())
    d = 2 + E
    assert same(ex.by_key("A").answer, [[1 / d, 1 / d, E / d]])
    assert same(ex.by_key("gA").answer, [[(E - 3) / d]])
    assert same(ex.by_key("dS").answer, [[(-1 - 3 * E) / d**2, (1 - 2 * E) / d**2,
                                           5 * E / d**2]])
    assert [[fmt2(v) for v in r] for r in ex.by_key("dS").answer] == [["-0.41", "-0.20", "0.61"]]
    assert sympy.simplify(sum(ex.by_key("dS").answer[0])) == 0


def test_torch_rebuild_agrees_with_exact():
    ex = Exercise(hand_instance())
    out = kernel.softmax_grad(ex.given["s"], ex.given["dL/dA"])
    for key in ("A", "gA", "dS"):
        exact = [v for r in to_floats(ex.by_key(key).answer) for v in r]
        assert [v for r in out[key] for v in r] == pytest.approx(exact, abs=1e-12)
    for level in (1, 2, 3):
        for seed in (3, 8):
            assert cross_check(generate("softmax-grad", level, seed)) < 1e-9


def test_level_3_has_two_rows_each_summing_to_zero():
    ex = generate("softmax-grad", 3, 5)
    dS = ex.by_key("dS").answer
    assert len(dS) == 2 and len(ex.by_key("gA").answer) == 2
    for r in dS:
        assert abs(float(sympy.N(sum(r), 30))) < 1e-20


def text(m):
    return "; ".join(" ".join(fmt2(v) for v in r) for r in m)



def test_cli_correct_incorrect_invalid():
    ex = generate("softmax-grad", 1, 4)
    key = text(ex.by_key("dS").answer)
    assert run("check", ex.code, "3", key).exit_code == 0
    wrong = key.split(" ")
    wrong[0] = fmt2(sympy.Rational(wrong[0]) + sympy.Rational(1, 10))
    assert run("check", ex.code, "3", " ".join(wrong), "--strict").exit_code == 1
    bad = run("check", ex.code, "3", "0.1, 0.2")
    assert bad.exit_code == 2 and "expected 3 values" in bad.output
    assert run("check", ex.code, "2", "0.1, 0.2").exit_code == 2


@pytest.mark.parametrize("mistake", FAMILY.mistakes)
def test_mistaken_answer_is_diagnosed(mistake):
    ex = generate("softmax-grad", 2, 4)
    wrong = mistaken(ex.instance, mistake)["dS"]
    assert text(wrong) != text(ex.by_key("dS").answer)
    result = run("check", ex.code, "3", text(wrong), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["correct"] is False
    assert data["diagnosis"]["mistake"] == mistake and data["diagnosis"]["part"] == 3


def test_text_in_both_languages():
    ex = generate("softmax-grad", 3, 2)
    for lang in ("en", "zh"):
        out = run("show", ex.code, "--lang", lang)
        assert out.exit_code == 0 and "∂L/∂A" in out.output
        assert run("solve", ex.code, "--lang", lang).exit_code == 0
