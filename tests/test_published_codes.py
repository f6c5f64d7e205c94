"""A code once printed rebuilds the same exercise, even after the acceptance rules grew
(exercises.exercise.FIRST_RULES): the rules added since shape new draws only."""

import pytest

from handcalc.exercises.exercise import FIRST_RULES, build, generate, rejection

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


# A spec whose fourth version draws layernorm-1 from seed 30158: a fresh draw from that seed
# now passes over it to 30159, but the sheets printed from this spec carry 30158.
SPEC = 'title = "T"\nseed = 5\nversions = 4\n[[sections]]\nfamily = "layernorm"\nlevel = 1\n'


def test_a_specs_draws_keep_the_exercises_first_printed(tmp_path):
    from handcalc.classgrade.assign import load_assignment
    from handcalc.sheets.build import job_exercise, plan
    from handcalc.sheets.moodle import slots
    from handcalc.sheets.spec import load_spec
    from handcalc.web.sources import exercise_source

    path = tmp_path / "s.toml"
    path.write_text(SPEC, encoding="utf-8")
    spec = load_spec(path)
    jobs = [job for version in plan(spec) for section in version for job in section]
    assert ("draw", "layernorm", 1, 30158) in jobs
    assert generate("layernorm", 1, 30158).code == "layernorm-1-30159"  # a new draw moves on
    printed = [job_exercise(job).code for job in jobs]
    assert "layernorm-1-30158" in printed
    # the sheet, the grader, the Moodle export and the browser drill agree on them
    assert [s.code for v in load_assignment(path).versions for s in v] == printed
    assert [ex.code for v in slots(spec) for ex, _ in v] == printed
    first = exercise_source([], 1, 0, str(path), [], 1)
    assert [ex.code for ex in first()] == printed[:1]


# A mistake catalogued since codes were published (core.mistakes.LATER_MISTAKES, for every
# family, not only those of FIRST_RULES) is left out of the acceptance of published draws:
# window-2-23, whose weights the scale forgotten gives at 2 decimals, stays what a spec
# drawing from seed 23 prints, while a new draw passes over it.
def test_a_later_mistake_leaves_published_draws_of_every_family_alone(monkeypatch):
    from handcalc.core.mistakes import LATER_MISTAKES
    from handcalc.families import FAMILIES

    assert "window" not in FIRST_RULES and "no-scale" in LATER_MISTAKES["window"]
    ex = build("window-2-23")
    assert ex.code == "window-2-23" and ex.rejected_when_published is None
    assert rejection(ex) == "mistake 'no-scale' gives part 3's 2-decimal answer"
    assert generate("window", 2, 23, published=True).code == "window-2-23"
    assert generate("window", 2, 23).code != "window-2-23"
    # the mechanism itself: were no-scale not listed, the published draw would move on too
    monkeypatch.setitem(LATER_MISTAKES, "window", tuple(
        m for m in LATER_MISTAKES["window"] if m != "no-scale"))
    assert generate("window", 2, 23, published=True).code != "window-2-23"
    for name, later in LATER_MISTAKES.items():
        assert set(later) <= set(FAMILIES[name].mistakes), name
