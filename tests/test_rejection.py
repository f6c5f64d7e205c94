"""The refusal rules (handcalc.exercises.exercise.rejection): the float screen and its shortcuts
decide exactly as the exact values alone would, and each exercise is decided once."""

import pytest
import sympy

import handcalc.exercises.exercise as exercise
from handcalc.core.exact import entries, mat, shape
from handcalc.core.rounding import near_boundary, same2
from handcalc.exercises.exercise import (
    Exercise,
    differs,
    draw,
    generate,
    identical,
    mistaken,
    rejection,
    usable,
)
from handcalc.families import FAMILIES

PAIRS = [(name, level) for name, f in FAMILIES.items() for level in f.levels]


def exact_rejection(inst):
    """The rules of a new draw decided on exact values only: no float screen, no shortcut
    (in the order rejection applies them)."""
    ex = Exercise(inst)
    for number, part in enumerate(ex.parts, 1):
        if any(near_boundary(v) for v in entries(part.answer)):
            return f"part {number} lies within 0.0005 of a rounding boundary"
    if inst.level is None:
        return None
    family = FAMILIES[inst.family]
    for number, part in enumerate(ex.parts, 1):
        zeros = tuple(tuple(sympy.Integer(0) for _ in r) for r in part.answer)
        if not differs(part.answer, zeros) and not family.zero_allowed(inst, part.key):
            return f"part {number}'s whole answer is 0"
    why = family.refusal(inst) or family.later_refusal(inst)
    if why is not None:
        return why
    for number, part in enumerate(ex.parts, 1):
        if part.key in family.visible and any(
                0 < abs(sympy.N(x, 30)) < sympy.Rational(1, 200) for x in entries(part.answer)):
            return f"part {number} has an entry that is not 0 but prints as 0.00"
    for mistake in family.mistakes:
        results = mistaken(inst, mistake)
        if results is None:
            continue
        for number, key in enumerate(inst.ask, 1):
            value, right = results.get(key), ex.by_key(key).answer
            if (value is not None and usable(value) and differs(value, right)
                    and same2(value, right)):
                return f"mistake '{mistake}' gives part {number}'s 2-decimal answer"
    return None


@pytest.mark.parametrize(("name", "level"), PAIRS)
def test_screened_rejection_is_the_exact_one(name, level):
    # plain draws, so that refused instances are among them
    for seed in (3, 10):
        inst = draw(name, level, seed)
        assert rejection(inst) == exact_rejection(inst), inst.code


@pytest.mark.parametrize("code", ["keys-2-23", "keys-3-47", "causal-3-19", "layernorm-1-27",
                                  "layernorm-2-11"])
def test_draws_refused_for_a_mistake(code):
    name, level, seed = code.rsplit("-", 2)
    inst = draw(name, int(level), int(seed))
    assert rejection(inst).startswith("mistake '")
    assert rejection(inst) == exact_rejection(inst)


def test_rejection_is_decided_once_per_exercise(monkeypatch):
    ex = generate("attention-grad", 3, 5)  # generate decided it: None
    assert "rejected" in ex.__dict__

    def again(ex):
        raise AssertionError("decided twice")

    monkeypatch.setattr(exercise, "_rejection", again)
    assert rejection(ex) is None
    with pytest.raises(AssertionError, match="decided twice"):
        rejection(Exercise(ex.instance))  # a new Exercise decides anew


def test_identical_compares_expressions_not_values():
    x = sympy.exp(sympy.Rational(1, 2))
    a = mat([[1, 2]])
    assert identical(a, mat([[1, 2]]))
    assert not identical(a, mat([[1, 3]]))
    assert not identical(a, mat([[1], [2]]))
    same_value = ((x / (1 + x) + 1 / (1 + x),),)
    assert not identical(same_value, mat([[1]]))  # the same value in another form
    assert not differs(same_value, mat([[1]]))
    assert identical(((-sympy.oo, x),), ((-sympy.oo, x),))


def slow_differs(a, b):
    """differs as first written: every finite entry's difference evaluated to 30 digits."""
    if shape(a) != shape(b):
        return True
    for x, y in zip(entries(a), entries(b), strict=True):
        if not (x.is_finite and y.is_finite):
            if x != y:
                return True
        elif abs(sympy.N(x - y, 30)) > sympy.Float("1e-20"):
            return True
    return False


E = sympy.E
h = sympy.exp(sympy.Rational(1, 2))
r2 = sympy.sqrt(2)


@pytest.mark.parametrize("x, y", [
    (3 / (1 + E) + 3 * E / (1 + E), 3 / (1 + h) + 3 * h / (1 + h)),  # 3 in two forms
    ((2 + 2 * sympy.exp(2 * r2)) / (1 + sympy.exp(2 * r2)), sympy.Integer(2)),
    (sympy.exp(2) / (sympy.exp(2) + sympy.exp(4)) + sympy.exp(4) / (sympy.exp(2)
                                                                      + sympy.exp(4)), 1),
    (3 * sympy.sqrt(3) * (-sympy.sqrt(3) - 1) / 2 - sympy.Rational(3, 2) + 3 * sympy.sqrt(3) / 2,
     -3 * sympy.sqrt(3) / 2 + 3 * sympy.sqrt(3) * (1 - sympy.sqrt(3)) / 2 - sympy.Rational(3, 2)),
    (E / (1 + E), 1 - 1 / (1 + E)),
    (E / (1 + E), sympy.Rational(73, 100)),  # apart
    (sympy.Rational(375, 8), sympy.Rational(375, 32)),
    (sympy.Rational(1, 3), sympy.Rational(1, 3) + sympy.Rational(1, 10**25)),  # within 1e-20
    (sympy.Rational(1, 3), sympy.Rational(1, 3) + sympy.Rational(1, 10**15)),  # beyond it
    (E, E + sympy.Rational(1, 10**25)),
    (E, E + sympy.Rational(1, 10**15)),
    (r2 / 2, 1 / r2),
    (sympy.exp(r2) * sympy.exp(-r2), sympy.Integer(1)),
    (-sympy.oo, -sympy.oo),
    (-sympy.oo, sympy.Integer(0)),
    (1 + sympy.I, sympy.Integer(1)),  # not real: no float to trust, evaluated as before
    (sympy.sqrt(-2) * sympy.sqrt(-2), sympy.Integer(-2)),
])
def test_differs_decides_as_the_30_digit_evaluation(x, y):
    a, b = mat([[x, 1]]), mat([[y, 1]])
    assert differs(a, b) == slow_differs(a, b)
    assert differs(b, a) == slow_differs(b, a)
