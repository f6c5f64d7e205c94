"""variance: the slip of issue 23's sweep, Var(q . k) divided by sqrt(d_k) for the variance
of the scaled score (its other mistakes: tests/test_mistakes.py)."""

import pytest
from family_checks import diagnosis_of
from sympy import Rational, sympify

from handcalc.core.exact import mat
from handcalc.exercises.exercise import Exercise, build, generate, mistaken
from handcalc.families import Instance
from handcalc.families.variance import variance_params

ASK = ("var", "std", "scaled_var")


def hand(dks, var_q=1, var_k=1):
    return Instance("variance-hand", "variance", None, None, {},
                    variance_params(dks, sympify(var_q), sympify(var_k)), ASK)


def test_hand_checked_variance_divided_by_the_root():
    # d_k = 4 and 16, Var(q_i) = 2, Var(k_i) = 3: Var(q . k) = 24 and 96; scaled: 6 and 6.
    # Divided by sqrt(d_k) instead of d_k: 24 / 2 = 12 and 96 / 4 = 24.
    inst = hand((4, 16), 2, 3)
    assert Exercise(inst).by_key("scaled_var").answer == mat([[6, 6]])
    wrong = mistaken(inst, "var-scale-not-squared")
    assert wrong["scaled_var"] == mat([[12, 24]])
    assert wrong["var"] == mat([[24, 96]])  # parts 1 and 2 are untouched


def test_at_d_k_1_the_root_changes_nothing():
    inst = hand((1,), Rational(1, 2), 2)
    assert mistaken(inst, "var-scale-not-squared")["scaled_var"] == \
        Exercise(inst).by_key("scaled_var").answer


@pytest.mark.parametrize("level", [1, 2, 3])
def test_variance_divided_by_the_root_is_named(level):
    ex = generate("variance", level, 1)
    wrong = mistaken(ex.instance, "var-scale-not-squared")
    found = diagnosis_of(ex.code, 3, wrong["scaled_var"])
    assert found["mistake"] == "var-scale-not-squared" and found["also"] == []


def test_the_diagnosis_reads_in_both_languages():
    from cli_helpers import run, typed

    ex = build("variance-2-1")
    wrong = typed(mistaken(ex.instance, "var-scale-not-squared")["scaled_var"])
    en = " ".join(run("check", ex.code, 3, wrong).output.split())  # lines wrapped
    zh = "".join(run("check", ex.code, 3, wrong, "--lang", "zh").output.split())
    assert "divides its variance by c²" in en, en
    assert "它的方差除以c²" in zh, zh
