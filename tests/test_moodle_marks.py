"""Marks in Moodle and in handcalc: each question's blank weights carry its parts' points
and its defaultgrade is the exercise's points; a learner who answers every part without
carried-forward (each part the key or a catalogued mistake's values) gets the same mark
from `handcalc grade` as from Moodle's grading of the cloze blanks (restated below), under
the "entries" policy; under "part" and "diagnosed" the same mark unless a mistaken part
has entries that equal the key, which Moodle (grading each blank alone) still credits."""

from __future__ import annotations

import csv
import html
from fractions import Fraction
from pathlib import Path

import pytest
from test_moodle import code_of, extract, questions, text_of

from handcalc.classgrade.assign import load_assignment
from handcalc.classgrade.core import ClassGrader
from handcalc.classgrade.summary import grade_file
from handcalc.core.exact import is_finite, shape
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import build, compute, mistaken, usable
from handcalc.exercises.scoring import POLICIES
from handcalc.sheets.moodle import quiz_xml
from handcalc.sheets.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"
VERSIONS = 2


def exam_spec(tmp_path: Path, policy: str) -> Path:
    path = tmp_path / f"exam-{policy}.toml"
    path.write_text(f'scoring = "{policy}"\n' + EXAM.read_text("utf-8"), "utf-8")
    return path


@pytest.fixture(scope="module")
def quizzes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("marks")
    out = {}
    for policy in POLICIES:
        path = exam_spec(tmp, policy)
        out[policy] = (path, quiz_xml(load_spec(path), VERSIONS, "en"))
    return out


def clozes(xml: str):
    """(version, exercise, question element) of every cloze question, in order."""
    counts: dict[int, int] = {}
    e = 0
    for q in questions(xml):
        if q.get("type") == "category":
            e += 1
            counts[e] = 0
            continue
        counts[e] += 1
        yield counts[e], e, q


# ---------------------------------------------------------------- weights and defaultgrade

@pytest.mark.parametrize("policy", POLICIES)
def test_blank_weights_carry_each_parts_points_and_defaultgrade_the_total(quizzes, policy):
    path, xml = quizzes[policy]
    spec = load_spec(path)
    assignment = load_assignment(path, VERSIONS)
    totals: dict[int, Fraction] = {}
    for version, exercise, q in clozes(xml):
        slot = assignment.slot(version, exercise)
        ex = build(code_of(q))
        assert ex.code == slot.code
        points = [Fraction(spec.points_of(slot.section, p.number)) for p in ex.parts]
        _, subs = extract(text_of(q, "questiontext"))
        weights = [int(s["raw"][1:s["raw"].index(":")]) for s in subs]
        per_part, i = [], 0
        for p in ex.parts:
            n = shape(p.answer)[0] * shape(p.answer)[1]
            per_part.append(sum(weights[i:i + n]))
            assert len(set(weights[i:i + n])) == 1  # the entries of a part weigh the same
            i += n
        assert i == len(weights)
        # in proportion: weight of part / all weights == points of part / all points
        for w, pts in zip(per_part, points, strict=True):
            assert Fraction(w, sum(per_part)) == pts / sum(points)
        assert Fraction(q.find("defaultgrade").text) == sum(points)
        totals[version] = totals.get(version, Fraction(0)) + sum(points)
    assert totals == {k: 50 for k in range(1, VERSIONS + 1)}  # the exam's 50 points


# ---------------------------------------------------------------- Moodle's grading, restated

def moodle_fraction(sub: dict, typed: str) -> Fraction:
    """A cloze blank's grade for a typed response: the first alternative that matches
    (NUMERICAL: |v - value| <= tolerance; SHORTANSWER_C: the same text), else 0."""
    if sub["type"] == "NUMERICAL":
        try:
            v = Fraction(typed)
        except ValueError:
            return Fraction(0)  # not a number: Moodle grades it wrong
    for alt in sub["alts"]:
        answer = html.unescape(alt["answer"])
        if sub["type"] == "NUMERICAL":
            value, tolerance = (Fraction(x) for x in answer.split(":"))
            hit = abs(v - value) <= tolerance
        else:
            hit = answer == typed
        if hit:
            f = alt["fraction"]
            return Fraction(1) if f == "=" else Fraction(f.strip("%")) / 100
    return Fraction(0)


def moodle_mark(q, typed: list[str]) -> Fraction:
    _, subs = extract(text_of(q, "questiontext"))
    weights = [int(s["raw"][1:s["raw"].index(":")]) for s in subs]
    got = sum(w * moodle_fraction(s, t) for w, s, t in zip(weights, subs, typed, strict=True))
    return got / sum(weights) * Fraction(q.find("defaultgrade").text)


def typed_cells(value) -> list[list[str]]:
    return [[fmt2(v) if is_finite(v) else "-inf" for v in row] for row in value]


def answer_sets(ex):
    """Learners' answers, per part the values typed: the key everywhere, and, per catalogued
    mistake and part where it has other values of the part's shape, the key everywhere but
    that mistake's values in that part (one wrong part, so no credit is carried forward)."""
    keys = [p.answer for p in ex.parts]
    out = [("key", keys)]
    for m in ex.family.mistakes:
        results = mistaken(ex.instance, m)
        if results is None:
            continue
        for i, p in enumerate(ex.parts):
            v = results.get(p.key)
            if v is not None and usable(v) and shape(v) == shape(p.answer) and \
                    typed_cells(v) != typed_cells(p.answer):
                out.append((f"{m}-{p.number}", keys[:i] + [v] + keys[i + 1:]))
    return out


def differences(ex, parts) -> tuple[bool, bool]:
    """Where Moodle, grading each blank alone, may give more than handcalc: (an entry of a
    mistaken part equals the key at 2 decimals, which Moodle credits whatever the policy;
    an entry of a mistaken part equals the value from intermediates rounded to 2 decimals,
    which Moodle accepts entry by entry and handcalc only for a whole part)."""
    rounded = compute(ex.instance, rounded=True).results
    overlap = by_rounding = False
    for p, v in zip(ex.parts, parts, strict=True):
        if v is p.answer:
            continue
        r = rounded.get(p.key)
        for i, row in enumerate(typed_cells(v)):
            for j, t in enumerate(row):
                key = typed_cells(p.answer)[i][j]
                overlap |= t == key
                by_rounding |= t != key and r is not None and typed_cells(r)[i][j] == t
    return overlap, by_rounding


def test_grade_and_moodle_give_the_same_mark(quizzes, tmp_path):
    seen = {"same": 0, "moodle credits right entries of a mistaken part": 0, "rounded": 0}
    for policy in POLICIES:
        path, xml = quizzes[policy]
        rows, expected = [], {}
        for version, exercise, q in clozes(xml):
            ex = build(code_of(q))
            for name, parts in answer_sets(ex):
                learner = f"{name}-{version}-{exercise}"
                typed = [typed_cells(v) for v in parts]
                for p, cells in zip(ex.parts, typed, strict=True):
                    rows.append([learner, version, exercise, p.number,
                                 "; ".join(" ".join(r) for r in cells)])
                flat = [t for cells in typed for r in cells for t in r]
                expected[learner] = (exercise, moodle_mark(q, flat), *differences(ex, parts))
        csv_path = tmp_path / f"answers-{policy}.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["learner", "version", "exercise", "part", "answer"])
            w.writerows(rows)
        report = grade_file(csv_path, ClassGrader(),
                            assignment=load_assignment(path, VERSIONS))
        assert not report.invalid
        for m in report.marks:
            exercise, in_moodle, overlap, rounded = expected[m.learner]
            in_handcalc = m.exercises[exercise - 1].total
            if not rounded and (policy == "entries" or not overlap):
                assert in_handcalc == in_moodle, (policy, m.learner, in_handcalc, in_moodle)
                seen["same"] += 1
            else:
                seen["rounded"] += rounded
                assert in_moodle >= in_handcalc, (policy, m.learner)
                if in_moodle > in_handcalc:
                    seen["moodle credits right entries of a mistaken part"] += 1
    assert all(seen.values()), seen
