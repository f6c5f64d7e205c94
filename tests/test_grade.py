import pytest
from sympy import Rational

from handcalc.core.exact import col, mat, row
from handcalc.errors import ShapeError, UnknownPart
from handcalc.exercises.exercise import build
from handcalc.exercises.grade import CARRIED, EXACT, ROUNDED, grade


def r(*vals):
    return row([Rational(str(v)) for v in vals])


def test_exact_and_flat_list_for_a_column():
    ex = build("worked-5")
    v = grade(ex, 2, r("10", "18.81", "29.48"))
    assert v.correct and v.accepted_by == EXACT and v.score == 1
    v = grade(ex, 2, col([10, Rational("18.81"), Rational("29.48")]))
    assert v.correct


def test_incorrect_marks_cells():
    v = grade(build("worked-5"), 2, r("10", "18.80", "29.48"))
    assert not v.correct
    assert v.cells == ((True,), (False,), (True,))
    assert v.score == Rational(2, 3)


def test_rounded_intermediates():
    v = grade(build("worked-5"), 2, r("10", "18.80", "29.50"))
    assert v.correct and v.accepted_by == ROUNDED
    assert not grade(build("worked-5"), 2, r("10", "18.80", "29.50"), strict=True).correct


def test_mixed_paths_are_wrong():
    # 18.81 from the exact path with 29.50 from the rounded one: neither path whole
    assert not grade(build("worked-5"), 2, r("10", "18.81", "29.50")).correct


def test_diagnosis_forgot_sqrt():
    v = grade(build("worked-4"), 1, r(1, 3))
    assert not v.correct and v.diagnosis.mistake.id == "no-scale"


def test_carried_forward_reports_earlier_mistake():
    v = grade(build("worked-4"), 2, r("0.12", "0.88"), prior={1: r(1, 3)})
    assert v.correct and v.accepted_by == CARRIED
    assert v.diagnosis.mistake.id == "no-scale" and v.diagnosis.part == 1


def test_mask_with_minus_inf_only():
    ex = build("worked-5")
    S = mat([[1, -10**6, -10**6], [2, 4, -10**6], [3, 6, 9]])
    assert not grade(ex, 1, S).correct


def test_wrong_shape_and_unknown_part():
    ex = build("worked-1")
    with pytest.raises(ShapeError, match="expected a single number"):
        grade(ex, 1, r(3, 54))
    with pytest.raises(UnknownPart):
        grade(ex, 4, r(1))


def test_wrong_shape_that_matches_a_mistake_is_diagnosed():
    ex = build("worked-10")
    v = grade(ex, 1, mat([["1/10", "1/5"], ["1/10", "1/5"]]))
    assert v.diagnosis.mistake.id == "grad-transposed"
