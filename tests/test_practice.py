"""The practice drill: the Drill state machine, the run loop and `handcalc practice`."""

import random
import re

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import build
from handcalc.families import FAMILIES
from handcalc.views.practice import FIRST, MISSED, RETRY, Drill, run, session_exercises


def typed(m):
    """A matrix as a learner types it at 2 decimals: '1.50' or '0.20, 0.80' or '1 2; 3 4'."""
    return "; ".join(" ".join(fmt2(v) for v in r) for r in m)


def session(families, seed, count=1, level=1):
    return list(session_exercises(families, level, count, seed))


def practice(*args, input=""):
    return CliRunner().invoke(cli, ["practice", *args], input=input)


def wrong(part):
    """A well-shaped answer that is wrong (every finite entry moved by 7)."""
    return "; ".join(" ".join("-inf" if fmt2(v) == "-inf" else f"{float(fmt2(v)) + 7:.2f}"
                              for v in r) for r in part.answer)


def test_all_right_first_try():
    (ex,) = session(["score"], 11)
    answers = "".join(typed(p.answer) + "\n" for p in ex.parts)
    result = practice("score", "--seed", "11", "--count", "1", input=answers)
    assert result.exit_code == 0, result.output
    assert ex.code in result.output
    assert f"right on the first try: {len(ex.parts)}" in result.output
    assert f"total:                  {len(ex.parts)} of {len(ex.parts)} parts right" \
        in result.output
    assert "Worked solution" not in result.output


def test_wrong_then_right_counts_after_retries():
    (ex,) = session(["attention"], 5)
    first = ex.parts[0]
    rest = "".join(typed(p.answer) + "\n" for p in ex.parts[1:])
    result = practice("attention", "--seed", "5", "--count", "1",
                      input=wrong(first) + "\n" + typed(first.answer) + "\n" + rest)
    assert result.exit_code == 0, result.output
    assert "try again (2 tries left)" in result.output
    assert f"{ex.code} part 1: {RETRY}" in result.output
    assert f"{ex.code} part 2: {FIRST}" in result.output
    assert "right after retries:    1" in result.output


def test_three_wrong_then_solution_shown_and_next_part_asked():
    (ex,) = session(["causal"], 8)
    first = ex.parts[0]
    result = practice("causal", "--seed", "8", "--count", "1",
                      input=(wrong(first) + "\n") * 3 + typed(ex.parts[1].answer) + "\n")
    assert result.exit_code == 0, result.output
    assert "try again (1 try left)" in result.output
    assert "Worked solution of part 1" in result.output
    solution = result.output.split("Worked solution of part 1")[1]
    assert "answer = " in solution and "exact = " in solution
    assert re.search(r"part 2, .+ \(try 1 of 3\)", solution)
    assert f"{ex.code} part 1: {MISSED}" in result.output
    assert "missed:                 1" in result.output
    assert result.output.count("try 4 of 3") == 0


def test_invalid_input_does_not_use_a_try():
    (ex,) = session(["layernorm"], 3)
    first = ex.parts[0]
    n = len(first.answer[0])
    bad = ["abc", "1, 2, 3, 4, 5, 6, 7" if n != 7 else "1", "", "[[1, 2]", "3,,4"]
    result = practice("layernorm", "--seed", "3", "--count", "1",
                      input="\n".join(bad) + "\n" + typed(first.answer) + "\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("not graded, try again:") == 4
    assert "type an answer" in result.output
    assert "(try 2 of 3)" not in result.output
    assert f"{ex.code} part 1: {FIRST}" in result.output
    assert "Traceback" not in result.output


def test_eof_midway_prints_summary_so_far():
    (ex,) = session(["keys"], 2)
    result = practice("keys", "--seed", "2", "--count", "1",
                      input=typed(ex.parts[0].answer) + "\n" + wrong(ex.parts[1]) + "\n")
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Summary" in result.output and "Traceback" not in result.output
    assert f"{ex.code} part 1: {FIRST}" in result.output
    assert f"{ex.code} part 2: stopped (not counted)" in result.output
    assert "total:                  1 of 1 parts right" in result.output


def test_eof_at_once_and_quit():
    result = practice("heads", "--seed", "1")
    assert result.exit_code == 0 and "total:                  0 of 0 parts right" in result.output
    result = practice("heads", "--seed", "1", input="quit\n")
    assert result.exit_code == 0 and "Summary" in result.output


def test_skip_counts_as_missed_and_shows_solution():
    (ex,) = session(["heads"], 4)
    result = practice("heads", "--seed", "4", "--count", "1", input="skip\n")
    assert f"{ex.code} part 1: skipped" in result.output
    assert "Worked solution of part 1" in result.output
    assert f"{ex.code} part 1: {MISSED}" in result.output


def test_ctrl_c_ends_cleanly():
    said = []
    answers = iter(["abc"])

    def ask(prompt):
        try:
            return next(answers)
        except StopIteration:
            raise KeyboardInterrupt from None

    summary = run(Drill([build("worked-1")]), ask, said.append)
    assert summary.total == 0 and summary.unfinished is None
    assert "Summary" in said[-1]


def test_carried_forward_with_the_learners_last_answers():
    drill = Drill([build("worked-4")])
    for _ in range(3):
        feedback = drill.answer("1, 3")  # forgot sqrt(d_k)
        assert feedback.verdict.diagnosis.mistake.id == "no-scale"
    assert feedback.outcome.result == MISSED
    feedback = drill.answer("0.12, 0.88")  # right from the learner's own scores
    assert feedback.verdict.correct and feedback.verdict.accepted_by == "carried-forward"
    assert feedback.outcome.result == FIRST
    assert drill.done
    s = drill.summary()
    assert (s.count(FIRST), s.count(RETRY), s.count(MISSED), s.right, s.total) == (1, 0, 1, 1, 2)


def test_unknown_family_exits_2_with_the_list():
    result = practice("banana")
    assert result.exit_code == 2
    for name in FAMILIES:
        assert name in result.output


def test_seed_reproducible_and_fresh_seed_leaves_global_random_alone():
    a = practice("--seed", "42", "--count", "2", input="1\n")
    b = practice("--seed", "42", "--count", "2", input="1\n")
    assert a.exit_code == 0 and a.output == b.output
    random.seed(1234)
    state = random.getstate()
    c = practice("--count", "1", input="quit\n")
    assert c.exit_code == 0 and "repeat this session with --seed" in c.output
    assert random.getstate() == state


def test_session_covers_families_before_repeating():
    names = [ex.instance.family for ex in session(["score", "heads", "concat"], 9, count=6)]
    assert sorted(names[:3]) == sorted(names[3:]) == ["concat", "heads", "score"]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_default_is_all_families_and_levels_work(level):
    result = practice("--seed", "7", "--level", str(level), "--count", "1", input="quit\n")
    assert result.exit_code == 0, result.output
    assert f"level {level}" in result.output



def test_prompts_say_the_shape_and_help_show_use_no_try():
    (ex,) = session(["causal"], 8)
    result = practice("causal", "--seed", "8", "--count", "1",
                      input="help\n?\nshow\n" + typed(ex.parts[0].answer) + "\nquit\n")
    assert result.exit_code == 0, result.output
    rows, cols = len(ex.parts[0].answer), len(ex.parts[0].answer[0])
    assert f"part 1, a {rows} × {cols} matrix with rows separated by ; (try 1 of 3)" \
        in result.output
    assert result.output.count("'help' or '?' shows this") == 3  # the start, help and ?
    assert result.output.count(f"[code {ex.code}]") == 2  # shown, and shown again
    assert "part 1 (try 2 of 3)" not in result.output  # help and show used no try


def test_each_exercise_ends_with_its_score_and_a_line():
    (ex,) = session(["score"], 3)
    answers = "".join(typed(p.answer) + "\n" for p in ex.parts)
    result = practice("score", "--seed", "3", "--count", "1", input=answers)
    assert f"{ex.code}: {len(ex.parts)} of {len(ex.parts)} parts right" in result.output
    assert "─" * 40 in result.output


def test_practice_in_chinese():
    (ex,) = session(["score"], 3)
    result = practice("score", "--seed", "3", "--count", "1", "--lang", "zh",
                      input="skip\nquit\n")
    assert result.exit_code == 0, result.output
    assert "第 1 小题，一个数（第 1 次，共 3 次）" in result.output
    assert "已跳过" in result.output and "小结" in result.output
