"""Terminal text and JSON of exercises, solutions and verdicts."""

import json

from sympy import Rational

from handcalc.core.exact import mat, row
from handcalc.exercises.exercise import build
from handcalc.exercises.grade import grade
from handcalc.views.render import (
    exercise_dict,
    exercise_text,
    grid,
    labelled,
    nested,
    solution_text,
    verdict_dict,
    verdict_text,
)


def test_grid_and_labelled():
    assert grid([["1.00", "-inf"]]) == ["[1.00  -inf]"]
    lines = grid([["1", "22"], ["333", "4"]])
    assert lines == ["⎡  1  22⎤", "⎣333   4⎦"]
    text = labelled("S", lines)
    assert text.splitlines()[1].startswith("  S = ")


def test_nested_by_kind():
    assert nested(mat([[1]]), str) == "1"
    assert nested(row([1, 2]), str) == ["1", "2"]
    assert nested(mat([[1], [2]]), str) == ["1", "2"]
    assert nested(mat([[1, 2], [3, 4]]), str) == [["1", "2"], ["3", "4"]]


def test_exercise_text_and_dict():
    ex = build("worked-4")
    text = exercise_text(ex)
    assert "worked-4" in text and "(2) the normalized weights" in text
    data = json.loads(json.dumps(exercise_dict(ex, steps=True)))
    assert data["parts"][0]["rounded"] == ["0.71", "2.12"]
    assert data["parts"][0]["answer"] == ["sqrt(2)/2", "3*sqrt(2)/2"]
    assert data["parts"][1]["steps"]
    assert "18.81" in solution_text(build("worked-5"))


def test_verdict_text_marks_wrong_cells_and_diagnosis():
    v = grade(build("worked-4"), 1, row([1, 3]))
    text = verdict_text(v)
    assert "incorrect (0 of 2 entries right)" in text and "✗" in text
    assert "forgot to divide" in text
    d = verdict_dict(v)
    assert d["cells"] == [[False, False]] and d["diagnosis"]["mistake"] == "no-scale"
    ok = grade(build("worked-1"), 1, row([Rational("3.54")]))
    assert verdict_text(ok) == "worked-1 part 1: correct"
