"""Scoring policies (handcalc.exercises.scoring): one function decides a part's score, and
grade's rows, marks, gradebook, feedback and JSON report, and check --json all follow the
spec's (or the section's) policy."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc.classgrade.marks import decimal
from handcalc.cli import cli
from handcalc.core.exact import is_finite
from handcalc.core.parse import parse_answer
from handcalc.core.rounding import fmt2
from handcalc.errors import SpecError
from handcalc.exercises.exercise import build, mistaken
from handcalc.exercises.grade import grade
from handcalc.exercises.scoring import DEFAULT, POLICIES, part_score
from handcalc.sheets.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"


def typed(value) -> str:
    return "; ".join(" ".join(fmt2(v) if is_finite(v) else "-inf" for v in r) for r in value)


# ---------------------------------------------------------------- the one function

def test_the_default_is_diagnosed():
    assert DEFAULT == "diagnosed" and set(POLICIES) == {"diagnosed", "entries", "part"}


def test_part_score_under_each_policy():
    ex = build("worked-4")  # part 1: the scaled scores 0.71, 2.12
    right = grade(ex, 1, parse_answer("0.71, 2.12"))
    slip = grade(ex, 1, parse_answer("0.71, 3.12"))  # one entry wrong, no known mistake
    assert slip.diagnosis is None
    expected = {"entries": (1, Fraction(1, 2)), "part": (1, 0), "diagnosed": (1, Fraction(1, 2))}
    for policy, (r, s) in expected.items():
        assert part_score(right, policy) == r and part_score(slip, policy) == s
        assert part_score(None, policy) == 0
    with pytest.raises(ValueError):
        part_score(right, "all")


def test_a_diagnosed_mistake_scores_0_however_many_entries_match():
    """The issue's case: forgetting sqrt(d_k) on a part whose zero entries still match."""
    ex = build(_exam_code(exercise=2))  # attention, level 3: S has zero entries
    wrong = mistaken(ex.instance, "no-scale")[ex.parts[0].key]
    v = grade(ex, 1, parse_answer(typed(wrong)))
    assert v.diagnosis is not None and v.diagnosis.mistake.id == "no-scale"
    share = part_score(v, "entries")
    assert 0 < share < 1  # the zeros match
    assert part_score(v, "diagnosed") == part_score(v, "part") == 0


def _exam_code(exercise: int, version: int = 1) -> str:
    from handcalc.classgrade.assign import load_assignment

    return load_assignment(EXAM, 1).slot(version, exercise).code


# ---------------------------------------------------------------- the spec's key

def spec(body: str):
    return parse_spec('title = "t"\nseed = 1\n' + body, "t.toml")


def test_scoring_key_at_the_top_and_in_a_section():
    sections = ('[[sections]]\ncodes = ["worked-4"]\n'
                '[[sections]]\ncodes = ["worked-5"]\nscoring = "entries"\n')
    assert spec(sections).scoring == ("diagnosed", "entries")
    assert spec('scoring = "part"\n' + sections).scoring == ("part", "entries")
    assert spec('scoring = "Part"\n' + sections).scoring == ("part", "entries")


@pytest.mark.parametrize("body, words", [
    ('scoring = "all"\n[[sections]]\ncodes = ["worked-4"]\n',
     "t.toml: scoring: unknown value 'all'; choose one of: diagnosed, entries, part"),
    ('[[sections]]\ncodes = ["worked-4"]\nscoring = 1\n',
     "t.toml: section 1, scoring: expected one of diagnosed, entries, part, got an integer"),
    ('scorring = "part"\n[[sections]]\ncodes = ["worked-4"]\n', "did you mean 'scoring'?"),
])
def test_a_bad_scoring_value_is_one_clear_line(body, words):
    with pytest.raises(SpecError) as e:
        spec(body)
    assert words in str(e.value) and "\n" not in str(e.value)


# ---------------------------------------------------------------- grade and check

def exam_with(tmp_path: Path, policy: str) -> Path:
    path = tmp_path / f"exam-{policy}.toml"
    path.write_text(f'scoring = "{policy}"\n' + EXAM.read_text("utf-8"), "utf-8")
    return path


@pytest.mark.parametrize("policy, earned", [("entries", None), ("diagnosed", 0), ("part", 0)])
def test_grade_reports_gradebook_and_feedback_follow_the_policy(tmp_path, policy, earned):
    """Exam version 1, exercise 2 (2 + 3 + 3 points): part 1 with sqrt(d_k) forgotten, the
    others right; exercise 1 part 3 with one slip (no known mistake)."""
    ex = build(_exam_code(exercise=2))
    one = build(_exam_code(exercise=1))
    forgot = typed(mistaken(ex.instance, "no-scale")[ex.parts[0].key])
    slip = one.parts[2].answer
    slip_text = f"{fmt2(slip[0][0])}, {fmt2(slip[0][1] + 1)}"
    rows = [["ann", 1, 2, 1, forgot]] + [["ann", 1, 2, p.number, typed(p.answer)]
                                         for p in ex.parts[1:]]
    rows.append(["ann", 1, 1, 3, slip_text])
    subs = tmp_path / "a.csv"
    with subs.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["learner", "version", "exercise", "part", "answer"], *rows])
    spec_path = exam_with(tmp_path, policy)
    r = CliRunner().invoke(cli, ["grade", str(subs), "--spec", str(spec_path), "--json",
                                 "--gradebook", str(tmp_path / "book.csv"),
                                 "--feedback", str(tmp_path / "fb.md")])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    by_part = {(row["exercise"], row["part"]): row for row in data["rows"]}
    first = by_part[(2, 1)]
    assert first["diagnosis"]["mistake"] == "no-scale" and first["scoring"] == policy
    cells = [c for row in first["cells"] for c in row]
    share = Fraction(sum(cells), len(cells))
    expected = share if earned is None else Fraction(earned)
    assert first["score"] == pytest.approx(float(expected))
    slipped = by_part[(1, 3)]
    assert slipped["diagnosis"] is None
    assert slipped["score"] == (0 if policy == "part" else 0.5)
    total = expected * 2 + 3 + 3 + (0 if policy == "part" else Fraction(1, 2))
    book = list(csv.DictReader(io.StringIO((tmp_path / "book.csv").read_text("utf-8"))))
    assert book[0]["total"] == decimal(total)  # the gradebook's 2 decimals
    md = (tmp_path / "fb.md").read_text("utf-8")
    assert f"({decimal(expected * 2)} of 2)".replace(".", "\\.") in md


def test_check_json_scoring_option():
    def score(answer: str, *opts: str) -> dict:
        r = CliRunner().invoke(cli, ["check", "worked-4", "1", answer, "--json", *opts])
        assert r.exit_code == 1, r.output
        return json.loads(r.stdout)

    assert score("0.71, 3.12")["score"] == 0.5
    assert score("0.71, 3.12", "--scoring", "part")["score"] == 0
    out = score("1, 3")
    assert out["diagnosis"]["mistake"] == "no-scale" and out["scoring"] == "diagnosed"
    assert out["score"] == 0 and score("1, 3", "--scoring", "entries")["score"] == 0
    r = CliRunner().invoke(cli, ["check", "worked-4", "1", "1, 3", "--scoring", "all"])
    assert r.exit_code == 2
