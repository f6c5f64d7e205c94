"""The Python API for notebooks: handcalc.exercise / handcalc.new, check, solve, lang,
_repr_html_ with MathML; typed errors; `import handcalc` stays light."""

import re
import subprocess
import sys
from fractions import Fraction

import pytest

import handcalc


def test_import_is_light():
    code = ("import sys, handcalc; ex = handcalc.exercise('worked-4'); ex.check(1, '1, 3'); "
            "print('torch' in sys.modules, 'falcon' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]
    out = subprocess.run([sys.executable, "-c", "import sys, handcalc; "
                          "print('sympy' in sys.modules)"], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_check_as_the_cli_does():
    ex = handcalc.exercise("worked-4", lang="en")
    assert ex.code == "worked-4" and [p.shape for p in ex.parts] == [(1, 2), (1, 2)]
    v = ex.check(1, "0.71, 2.12")
    assert v.correct and v.score == 1 and v.accepted_by == "exact" and v.diagnosis is None
    v = ex.check("1", [1, 3])
    assert not v.correct and v.score == 0 and v.entries == ((False, False),)
    assert v.diagnosis_id == "no-scale" and "forgot to divide" in v.diagnosis
    v = ex.check(1, [0.71, 3])
    assert v.score == Fraction(1, 2) and v.entries == ((True, False),)
    v = ex.check(2, "0.12, 0.88", prior={1: "1, 3"})
    assert v.correct and v.accepted_by == "carried-forward"
    assert not ex.check(2, "0.12, 0.88", prior={1: "1, 3"}, strict=True).correct


def test_typed_errors():
    ex = handcalc.exercise("worked-4")
    with pytest.raises(handcalc.UnknownCode):
        handcalc.exercise("nope-1-1")
    with pytest.raises(handcalc.UnknownPart):
        ex.check(3, "1")
    with pytest.raises(handcalc.ParseError):
        ex.check(1, "1, __import__('os')")
    with pytest.raises(handcalc.ShapeError):
        ex.check(1, "1, 2, 3")
    with pytest.raises(handcalc.UnknownCode):
        handcalc.new("gqa", level=9)
    with pytest.raises(handcalc.UnknownCode):
        handcalc.new("gqa", seed=-1)
    with pytest.raises(handcalc.HandcalcError):
        handcalc.exercise("worked-4", lang="fr")


def test_new_gives_the_code_that_rebuilds_it():
    ex = handcalc.new("gqa", level=2, seed=5)
    assert ex.code == "gqa-2-5" and ex.family == "gqa" and ex.level == 2
    again = handcalc.exercise(ex.code)
    assert again.solve().parts == ex.solve().parts
    assert handcalc.new("causal").code.startswith("causal-1-")


def test_solve_and_languages():
    ex = handcalc.exercise("worked-4", lang="zh")
    s = ex.solve()
    assert s.parts[0].rounded == ["0.71", "2.12"] and s.parts[0].answer[0] == "sqrt(2)/2"
    assert "0.71" in str(s) and "解答" in str(s)
    assert re.search(r"[\u4e00-\u9fff]", ex.parts[0].prompt), ex.parts[0].prompt
    en = ex.in_lang("en")
    assert "Worked solution" in str(en.solve())


def test_html_reprs_use_mathml_in_the_language_chosen():
    ex = handcalc.exercise("worked-4", lang="zh")
    page = ex._repr_html_()
    assert "<math" in page and "<mtable" in page and "代码 worked-4" in page
    assert "0.71" not in page  # the exercise, not its key
    verdict = ex.check(1, "1, 3")._repr_html_()
    assert "<msqrt>" in verdict and "诊断" in verdict and "✗" in verdict
    solution = ex.solve()._repr_html_()
    assert "0.71" in solution and "<mfrac>" in solution
    assert "[code worked-4]" in ex.in_lang("en")._repr_html_()


def test_new_from_given_data_is_the_textbook_exercise():
    """The textbook example of issue 20, from notebook data: its code rebuilds it, the
    key's 2-decimal answer is right, and forgetting sqrt(d_k) is diagnosed."""
    import handcalc

    ex = handcalc.new("attention", given={"Q": "1 0; 0 1", "K": [[1, 1], [0, 1]],
                                          "V": "1 2; 3 4"})
    assert "~" in ex.code and handcalc.exercise(ex.code).code == ex.code
    key = ex.solve().parts[0]
    assert ex.check(1, key.rounded).correct
    unscaled = "1 0; 1 1"  # Q K^T, not divided by sqrt(2)
    verdict = ex.check(1, unscaled)
    assert not verdict.correct and verdict.diagnosis is not None
