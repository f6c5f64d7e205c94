"""rmsnorm: a hand-checked instance, the torch rebuild, the command line and diagnoses."""

import json

import pytest
from cli_helpers import run, typed
from sympy import Rational, sqrt

from handcalc.core.exact import mat
from handcalc.exercises.exercise import build, cross_check, generate, mistaken

CODE = "rmsnorm-1-5"




def test_hand_checked_instance():
    # x = (2, -1), g = (1, 2), eps = 0.01 inside the root.
    # ms = (4 + 1) / 2 = 5/2; RMS = sqrt(5/2 + 1/100) = sqrt(251) / 10 = 1.5843;
    # y = (2 / 1.5843 * 1, -1 / 1.5843 * 2) = (1.2624, -1.2624) -> 1.26, -1.26.
    ex = build(CODE)
    assert ex.code == CODE
    assert ex.given["x"] == mat([[2, -1]]) and ex.given["g"] == mat([[1, 2]])
    assert ex.instance.params["eps"] == Rational(1, 100)
    ms, rms, y = (p.answer for p in ex.parts)
    assert ms == mat([[Rational(5, 2)]])
    assert rms == mat([[sqrt(251) / 10]])
    assert y == mat([[20 / sqrt(251), -20 / sqrt(251)]])
    assert typed(y) == "1.26 -1.26"


@pytest.mark.parametrize("level", [1, 2, 3])
def test_torch_rebuild_agrees(level):
    for seed in (3, 11, 29):
        assert cross_check(generate("rmsnorm", level, seed)) < 1e-9


def test_cli_correct_incorrect_invalid():
    assert run("check", CODE, "1", "2.5").exit_code == 0
    assert run("check", CODE, "2", "sqrt(251)/10").exit_code == 0
    assert run("check", CODE, "3", "1.26, -1.26").exit_code == 0
    assert run("check", CODE, "3", "1.26, -1.27").exit_code == 1
    wrong_shape = run("check", CODE, "3", "1.26")
    assert wrong_shape.exit_code == 2 and "expected" in wrong_shape.stderr


@pytest.mark.parametrize(("mistake", "part"), [
    ("rms-mean-subtracted", "1"), ("rms-no-sqrt", "2"), ("rms-no-gain", "3"),
    ("rms-div-d-minus-1", "1")])
def test_mistake_named_in_check_json(mistake, part):
    ex = build(CODE)
    key = ex.keys[int(part) - 1]
    result = run("check", CODE, part, typed(mistaken(ex.instance, mistake)[key]), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    # at d = 2 dividing by d - 1 is not averaging: named first or disclosed beside it
    named = {data["diagnosis"]["mistake"], *data["diagnosis"]["also"]}
    assert data["correct"] is False and mistake in named


def test_eps_is_stated_inside_the_root():
    en = run("show", CODE, "--lang", "en").stdout
    assert "ε = 10⁻² inside the square root" in en and "no mean subtracted" in en
    assert "ε = 10⁻⁵" in run("show", generate("rmsnorm", 2, 1).code).stdout
