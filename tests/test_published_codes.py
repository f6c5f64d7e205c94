"""A code once printed rebuilds the same exercise, even after the acceptance rules grew
(exercises.exercise.FIRST_RULES): the rules added since shape new draws only."""

import pytest

from handcalc.exercises.exercise import build, generate, rejection

# Codes that `new` printed before the rules of issue 23 (no all-zero part, a family's own
# refusal, newly catalogued mistakes) and that a fresh draw now passes over.
PRINTED = ["score-1-17", "score-1-24", "score-1-44"]


@pytest.mark.parametrize("code", PRINTED)
def test_a_printed_code_keeps_its_exercise(code):
    name, level, seed = code.rsplit("-", 2)
    assert build(code).code == code
    assert generate(name, int(level), int(seed)).code != code  # new draws skip it
    assert rejection(build(code)) is not None


def test_a_code_drawn_now_rebuilds_itself():
    for seed in range(1, 40):
        code = generate("gqa", 1, seed).code
        assert build(code).code == code
