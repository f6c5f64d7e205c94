"""The scaled-unasked mistake of the attention family, and the notice of a skipped seed."""

import json

from cli_helpers import run

from handcalc.exercises.exercise import build, generate, mistaken


def test_scaling_an_unscaled_exercise_is_diagnosed():
    # worked 2: Q = K = I (2 columns), no scaling. Dividing by sqrt(2) anyway gives
    # S = I / sqrt(2) = [[0.71, 0], [0, 0.71]].
    result = run("check", "worked-2", "1", "0.71 0; 0 0.71", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["diagnosis"]["mistake"] == "scaled-unasked"


def test_scaled_unasked_applies_only_where_scores_are_unscaled_and_d_above_1():
    assert mistaken(build("worked-5").instance, "scaled-unasked") is None  # d = 1
    assert mistaken(generate("attention", 2, 1).instance, "scaled-unasked") is None


def test_skipped_seed_prints_one_line_on_stderr():
    ex = build("attention-3-5")
    assert ex.code == "attention-3-14"  # seeds 5 ... 13 are skipped at level 3
    for args in (("show", "attention-3-5"), ("show", " Attention-3-5", "--json"),
                 ("check", "attention-3-5", "1", "0")):
        result = run(*args)
        lines = result.stderr.splitlines()
        assert lines[0] == ("note: attention-3-5 is not an exercise code (generation skips "
                            "that seed); using the next one, attention-3-14"), args
    zh = run("show", "attention-3-5", "--lang", "zh").stderr
    assert "attention-3-14" in zh and "下一道题" in zh


def test_an_exact_code_prints_no_notice():
    assert run("show", "attention-3-14").stderr == ""
    assert run("show", "worked-2").stderr == ""
