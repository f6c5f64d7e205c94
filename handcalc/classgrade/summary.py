"""A class report: every row graded (handcalc.classgrade.core), each learner's totals, each
exercise's parts summarised (how often right, by which path, the most frequent mistakes),
and, against an assignment, each learner's marks (handcalc.classgrade.marks)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from handcalc.classgrade import messages as msg
from handcalc.classgrade.core import (
    ClassGrader,
    ClassReport,
    ExerciseSummary,
    Graded,
    Grading,
    LearnerTotal,
    MistakeCount,
    PartSummary,
    grade_rows,
)
from handcalc.classgrade.marks import fraction_sum, mark_learners
from handcalc.classgrade.read import STUDENT_ID, Invalid, Note, RawRow, read_rows, source_name
from handcalc.errors import SpecError
from handcalc.exercises.grade import CARRIED, EXACT, ROUNDED


def _learners(graded: list[Graded], invalid: list[Invalid]) -> tuple[LearnerTotal, ...]:
    rows: dict[str, list[Graded]] = {}
    for g in graded:
        rows.setdefault(g.row.learner, [])
        if g.counted:
            rows[g.row.learner].append(g)
    bad = Counter(i.learner for i in invalid if i.learner)
    for name in bad:
        rows.setdefault(name, [])
    out = []
    for name in sorted(rows, key=lambda n: (n.casefold(), n)):
        mine = rows[name]
        paths = Counter(g.accepted_by for g in mine if g.correct)
        out.append(LearnerTotal(
            name, len({g.row.code for g in mine}), len(mine), sum(g.correct for g in mine),
            fraction_sum(g.score for g in mine),
            {p: paths.get(p, 0) for p in (EXACT, CARRIED, ROUNDED)}, bad.get(name, 0)))
    return tuple(out)


def _exercises(graded: list[Graded], grader: ClassGrader) -> tuple[ExerciseSummary, ...]:
    from handcalc.core.mistakes import CATALOGUE

    by_part: dict[str, dict[int, list[Graded]]] = {}
    for g in graded:
        if g.counted:
            by_part.setdefault(g.row.code, {}).setdefault(g.row.part, []).append(g)
    out = []
    for code, parts in by_part.items():
        ex = grader.exercise(code)
        summaries = []
        for number in sorted(parts):
            rows = parts[number]
            paths = Counter(g.accepted_by for g in rows if g.correct)
            wrong = [g for g in rows if not g.correct]
            mistakes = Counter(g.mistake for g in wrong if g.mistake)
            summaries.append(PartSummary(
                number, str(ex.part(number).prompt), len(rows), sum(g.correct for g in rows),
                {p: paths.get(p, 0) for p in (EXACT, CARRIED, ROUNDED)},
                tuple(MistakeCount(m, str(CATALOGUE[m].title), n, CATALOGUE[m].title)
                      for m, n in sorted(mistakes.items(), key=lambda x: (-x[1], x[0]))),
                sum(1 for g in wrong if not g.mistake)))
        out.append(ExerciseSummary(code, str(ex.title), tuple(summaries), ex.title))
    return tuple(out)


MISMATCH_ROWS = 3  # the assignment is refused when at least this many rows name none of its
MISMATCH_SHARE = 0.9  # exercises and they are more than this share of the rows naming one


def _check_matches(path: str | os.PathLike[str], matched: int, unmatched: int,
                   assignment: Any) -> None:
    """SpecError when no row, or almost none, names an exercise of the assignment: the wrong
    spec, the wrong --versions, or a spec changed since the sheets were printed; grading
    would give every learner 0."""
    rows = matched + unmatched
    if unmatched and (not matched or (unmatched >= MISMATCH_ROWS and
                                      unmatched > MISMATCH_SHARE * rows)):
        from handcalc.io.terminal import safe_text

        raise SpecError(msg.refusal("not_the_assignment", name=safe_text(source_name(path)),
                                    bad=unmatched, rows=rows,
                                    spec=safe_text(assignment.name)))


def grade_file(path: str | os.PathLike[str], grader: ClassGrader | None = None,
               encoding: str | None = None, assignment: Any = None,
               grading: Grading | None = None) -> ClassReport:
    """Read and grade a submissions file (``-``: standard input) in ``encoding`` (default:
    UTF-8 or what its byte-order mark says) against ``assignment`` (an Assignment, or None:
    no spec); SpecError when it cannot be read at all, or when it names versions and
    exercises but there is no assignment. ``grading``: see grade_rows."""
    grader = grader or ClassGrader(assignment)
    if assignment is not None:
        grader.assignment = assignment
    rows, warnings = read_rows(path, encoding, by_version=assignment is not None)
    student_ids: dict[str, str] = {}
    graded, invalid, unlisted = grade_rows(_noting_ids(rows, student_ids), grader, grading)
    warnings.extend(grader.name_notes)
    if assignment is not None:
        _check_matches(path, len(graded), grader.unassigned, assignment)
    seen: dict[tuple[str, str, int], int] = {}
    for g in graded:
        key = (g.row.learner, g.row.code, g.row.part)
        if key in seen:
            warnings.append(Note(seen[key], msg.said(
                "classtext.note.again", learner=g.row.learner, code=g.row.code,
                part=g.row.part, again=g.row.line)))
        seen[key] = g.row.line
    learners = _learners(graded, invalid)
    marks, columns = mark_learners([t.learner for t in learners], graded, grader, assignment)
    off = {id(g) for m in marks for g in m.off_sheet}
    if off:  # graded but not counted: every report agrees with the gradebook
        graded = [replace(g, counted=False) if id(g) in off else g for g in graded]
        learners = _learners(graded, invalid)
    return ClassReport(os.path.basename(source_name(path)), tuple(graded), tuple(invalid),
                       tuple(sorted(warnings, key=lambda w: w.line)),
                       learners, _exercises(graded, grader), unlisted,
                       assignment, marks, columns, student_ids)


def _noting_ids(rows: Iterable[RawRow | Invalid], ids: dict[str, str]
                ) -> Iterator[RawRow | Invalid]:
    """The rows as they are, noting each learner's first student number in `ids`."""
    for row in rows:
        if isinstance(row, RawRow):
            number = row.fields.get(STUDENT_ID, "").strip()
            if number:
                ids.setdefault(row.fields.get("learner", ""), number)
        yield row
