"""The worked set, answers computed by hand independently of handcalc's code."""

import math

import pytest

from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import build, cross_check


def rounded(code):
    return [[[fmt2(v) for v in r] for r in p.answer] for p in build(code).parts]


def softmax(xs):
    m = [math.exp(x) for x in xs]
    return [v / sum(m) for v in m]


def f2(x):
    return f"{x:.2f}"


def test_worked_1():
    assert rounded("worked-1") == [[["3.54"]], [["1.00"]], [["4.00", "0.00"]]]


def test_worked_2():
    a = math.e / (1 + math.e)
    assert rounded("worked-2") == [
        [["1.00", "0.00"], ["0.00", "1.00"]],
        [[f2(a), f2(1 - a)], [f2(1 - a), f2(a)]],
        [["2.19", "0.54"], ["0.81", "1.46"]],
    ]


def test_worked_3():
    assert rounded("worked-3") == [[["0.50"]], [["5.00", "-2.00", "0.00", "3.00"]]]


def test_worked_4():
    s = [1 / math.sqrt(2), 3 / math.sqrt(2)]
    assert rounded("worked-4") == [[[f2(x) for x in s]], [[f2(x) for x in softmax(s)]]]


def test_worked_5():
    w2, w3 = softmax([2, 4]), softmax([3, 6, 9])
    z = [10, 10 * w2[0] + 20 * w2[1], 10 * w3[0] + 20 * w3[1] + 30 * w3[2]]
    assert rounded("worked-5") == [
        [["1.00", "-inf", "-inf"], ["2.00", "4.00", "-inf"], ["3.00", "6.00", "9.00"]],
        [[f2(v)] for v in z],
    ]
    assert [r[0] for r in rounded("worked-5")[1]] == ["10.00", "18.81", "29.48"]


def test_worked_6_to_10():
    assert rounded("worked-6") == [[["64.00"]], [["8.00"]]]
    assert rounded("worked-7") == [[["1.00", "2.00", "-1.00", "0.00"],
                                    ["3.00", "4.00", "0.00", "1.00"]],
                                   [["-1.00", "2.00"], ["3.00", "3.00"]]]
    assert rounded("worked-8") == [[["1.00", "1.00"]], [["0.00", "0.00"]]]
    assert rounded("worked-9") == [[["16.00", "1.00"]], [["4.00", "1.00"]], [["1.00", "1.00"]]]
    assert rounded("worked-10") == [[["0.10", "0.10"], ["0.20", "0.20"]]]


@pytest.mark.parametrize("n", range(1, 11))
def test_worked_agrees_with_torch(n):
    assert cross_check(build(f"worked-{n}")) < 1e-12


@pytest.mark.parametrize("n", range(1, 11))
def test_the_set_as_computed_is_what_its_typed_data_resolve_to(n):
    """worked.py writes each exercise out as numbers, to build without the exact parser:
    the family's description, given the typed set, makes the very same instance."""
    from handcalc.exercises.worked import WORKED, resolved

    built, typed = WORKED[n], resolved(n)
    assert built.family == typed.family and built.ask == typed.ask
    assert dict(built.given) == dict(typed.given) and list(built.given) == list(typed.given)
    assert dict(built.params) == dict(typed.params)
    assert list(built.params) == list(typed.params)
