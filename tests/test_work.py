"""The recorded computation: steps, rounding, carry-forward, mistakes and the float kit."""

import math

import pytest
from sympy import Rational, exp

from handcalc.core import attention as att
from handcalc.core.exact import mat, to_floats
from handcalc.core.rounding import Undecided, round2_f
from handcalc.core.work import NotApplicable, Work
from handcalc.text.messages import Math, msg


def data(w, m):
    """What w.given(instance) hands a family: exact values, or floats in the float kit."""
    return tuple(tuple(v) for v in to_floats(m)) if w.numeric else m


def run(w):
    Q = K = data(w, mat([[1], [2], [3]]))
    S0 = att.scores(w, Q, K, 1, scaled=False)
    visible = att.causal_visible(3)
    S = w.result("S", att.apply_mask(w, S0, visible))
    A = w.result("A", att.masked_softmax(w, S, S0, visible))
    w.result("Z", att.output(w, A, data(w, mat([[10], [20], [30]]))))
    return w


def test_steps_are_grouped_by_result():
    w = run(Work())
    assert [s.label for s in w.steps["S"]] == [Math("Q K^T")]
    assert [s.label for s in w.steps["A"]] == [msg("step.exp_rows"), msg("step.row_sums")]
    assert w.results["A"][1][0] == exp(2) / (exp(2) + exp(4))


def test_rounded_mode_carries_two_decimals():
    w = run(Work(rounded=True))
    assert w.results["Z"][1][0] == Rational("18.80")
    assert w.results["Z"][2][0] == Rational("29.50")


def test_prior_is_carried_forward_and_marks_later_results_affected():
    wrong_S = mat([[1, -10**3, -10**3], [2, 4, -10**3], [3, 6, 9]])
    w = run(Work(prior={"S": wrong_S}))
    assert w.affected["A"] and w.affected["Z"]


def test_mistake_marks_only_results_after_it():
    w = run(Work(mistake="softmax-columns"))
    assert not w.affected["S"] and w.affected["A"] and w.affected["Z"]


def test_not_applicable_mistake():
    with pytest.raises(NotApplicable):
        run(Work(mistake="no-scale"))  # unscaled: there is no sqrt(d_k) to forget


def test_float_kit_runs_the_same_code():
    exact, screen = run(Work()), run(Work(numeric=True))
    assert any(exact.steps.values()) and not any(screen.steps.values())  # none recorded
    for key in ("S", "A", "Z"):
        for re_, rf in zip(exact.results[key], screen.results[key], strict=True):
            for x, f in zip(re_, rf, strict=True):
                assert isinstance(f, float)
                if math.isfinite(f):
                    assert abs(float(x.evalf(30)) - f) < 1e-12


def test_float_rounding_refuses_near_a_tie():
    assert round2_f(0.12345) == 0.12
    with pytest.raises(Undecided):
        round2_f(0.125)


def test_the_float_kit_converts_the_given_data_once():
    from handcalc.families import Instance

    inst = Instance("x", "score", 1, 1, {"q": mat([[1, "1/2"]]), "k": mat([[-2], [3]])})
    floats = Work(numeric=True).given(inst)
    assert floats == {"q": ((1.0, 0.5),), "k": ((-2.0,), (3.0,))}
    assert Work(numeric=True).given(inst) is floats  # kept on the instance
    assert Work().given(inst) is inst.given  # the exact kit: the data itself
    with pytest.raises(TypeError):
        floats["q"] = ((0.0, 0.0),)  # type: ignore[index]


def test_an_instance_pickles_without_its_float_cache():
    import pickle

    from handcalc.exercises.exercise import generate

    inst = generate("causal", 2, 4821).instance
    inst.float_given  # noqa: B018 - fills the cache
    again = pickle.loads(pickle.dumps(inst))
    assert again == inst and "float_given" not in again.__dict__
    assert again.float_given == inst.float_given
