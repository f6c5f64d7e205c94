"""temperature: a hand-checked instance, the torch rebuild, and the command line."""

import json

import pytest
import sympy
from cli_helpers import run
from sympy import E, Rational, exp

from handcalc.core import kernel
from handcalc.core.exact import mat, to_floats
from handcalc.core.rounding import fmt2, same2
from handcalc.exercises.exercise import Exercise, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance

FAMILY = FAMILIES["temperature"]


def hand_instance():
    given = {"z": mat([[0, 1, 2]]), "T": mat([[Rational(1, 2), 2]])}
    return Instance("temperature-hand", "temperature", None, None, given, {"n": 3, "m": 2},
                    ("P", "pmax"))


def same(a, b):
    return all(sympy.simplify(x - y) == 0 for ra, rb in zip(a, b, strict=True)
               for x, y in zip(ra, rb, strict=True))


def rounded(m):
    return [[fmt2(v) for v in r] for r in m]


def test_hand_checked_instance():
    # z = (0, 1, 2). T = 1/2: z / T = (0, 2, 4), sum exp = 1 + 7.389 + 54.598 = 62.987,
    # p = (0.0159, 0.1173, 0.8668). T = 2: z / T = (0, 1/2, 1), sum exp = 1 + 1.6487 +
    # 2.7183 = 5.3670, p = (0.1863, 0.3072, 0.5065). Largest: 0.87 and 0.51 (T < 1 sharpens).
    ex = Exercise(hand_instance())
    d1, d2 = 1 + E**2 + E**4, 1 + exp(Rational(1, 2)) + E
    assert same(ex.by_key("P").answer, [[1 / d1, E**2 / d1, E**4 / d1],
                                        [1 / d2, exp(Rational(1, 2)) / d2, E / d2]])
    assert same(ex.by_key("pmax").answer, [[E**4 / d1, E / d2]])
    assert rounded(ex.by_key("P").answer) == [["0.02", "0.12", "0.87"], ["0.19", "0.31", "0.51"]]
    # the mistakes: multiplied by T swaps the two rows here (z T at 1/2 is z / T at 2);
    # after the softmax, softmax(z) = (0.0900, 0.2447, 0.6652) is divided by T
    assert rounded(mistaken(ex.instance, "temperature-multiplied")["P"]) == [
        ["0.19", "0.31", "0.51"], ["0.02", "0.12", "0.87"]]
    assert rounded(mistaken(ex.instance, "temperature-after-softmax")["P"]) == [
        ["0.18", "0.49", "1.33"], ["0.05", "0.12", "0.33"]]


def test_torch_rebuild_agrees_with_exact():
    ex = Exercise(hand_instance())
    out = kernel.temperature_softmax(ex.given["z"], ex.given["T"])
    for key in ex.keys:
        exact = [v for r in to_floats(ex.by_key(key).answer) for v in r]
        assert [v for r in out[key] for v in r] == pytest.approx(exact, abs=1e-12)
    for level in (1, 2, 3):
        for seed in (3, 8):
            assert cross_check(generate("temperature", level, seed)) < 1e-9


def text(m):
    return "; ".join(" ".join(fmt2(v) for v in r) for r in m)



def test_cli_correct_incorrect_invalid():
    ex = generate("temperature", 2, 4)
    key = text(ex.by_key("pmax").answer)
    assert run("check", ex.code, "2", key).exit_code == 0
    values = key.split(" ")
    values[-1] = fmt2(sympy.Rational(values[-1]) - sympy.Rational(1, 10))
    assert run("check", ex.code, "2", " ".join(values), "--strict").exit_code == 1
    bad = run("check", ex.code, "2", "0.1, 0.2")
    assert bad.exit_code == 2 and "expected 3 values" in bad.output
    assert run("check", ex.code, "1", "0.1 0.2 0.3 0.4").exit_code == 2


@pytest.mark.parametrize("mistake", FAMILY.mistakes)
def test_mistaken_answer_is_diagnosed(mistake):
    ex = generate("temperature", 2, 6)
    wrong = mistaken(ex.instance, mistake)
    for part in ex.parts:
        assert not same2(wrong[part.key], part.answer)
        result = run("check", ex.code, str(part.number), text(wrong[part.key]), "--json")
        assert result.exit_code == 1, result.output
        data = json.loads(result.output)
        assert data["correct"] is False
        assert data["diagnosis"]["mistake"] == mistake
        assert data["diagnosis"]["part"] == part.number


def test_text_in_both_languages():
    ex = generate("temperature", 3, 2)
    for lang in ("en", "zh"):
        out = run("show", ex.code, "--lang", lang)
        assert out.exit_code == 0 and "TemperatureLogitsWarper" in out.output
        assert run("solve", ex.code, "--lang", lang).exit_code == 0
