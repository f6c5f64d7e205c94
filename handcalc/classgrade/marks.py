"""Each learner's marks against what was assigned: their version, per exercise and part the
counted answer or a blank, the points, and the total out of the maximum.

With an assignment (``--spec``), a learner's sheet is their version's exercises: the version
their rows name (submissions by version and exercise), or the version holding most of the
codes they answered (ties: the lowest; noted when the choice was not clear). Every part of
the sheet with no counted answer is a blank worth 0. A counted answer to an exercise that is
not on the learner's sheet is graded but adds nothing (noted). A learner none of whose rows
could be graded gets version 1, all blank (noted).

Without an assignment, a learner's sheet is every part of each code they answered (in the
order the class's codes first appear), one point a part.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

from handcalc.classgrade.assign import Assignment, part_points

if TYPE_CHECKING:  # annotations only: core imports this module to mark its rows
    from handcalc.classgrade.core import ClassGrader, Graded

CORRECT, INCORRECT, BLANK = "correct", "incorrect", "blank"

# notes on a learner's sheet: (message id in classflow.po, arguments)
Note = tuple[str, tuple[tuple[str, object], ...]]


def fraction_sum(values: Iterable[Fraction | int]) -> Fraction:
    """sum(values, Fraction(0)), exactly, over a common denominator (the Fraction class
    reduces after every addition, which is slow for the thousands of sums of a class)."""
    n, d = 0, 1
    for v in values:
        vn, vd = v.numerator, v.denominator
        if vd != d:
            common = math.lcm(d, vd)
            n, d = n * (common // d), common
            vn *= common // vd
        n += vn
    return Fraction(n, d)


@dataclass(frozen=True)
class PartMark:
    part: int
    points: Fraction
    graded: Graded | None  # None: not answered (blank)

    @property
    def earned(self) -> Fraction:
        if self.graded is None:
            return Fraction(0)
        score = self.graded.score
        return score if self.points == 1 else score * self.points

    @property
    def status(self) -> str:
        if self.graded is None:
            return BLANK
        return CORRECT if self.graded.correct else INCORRECT


@dataclass(frozen=True)
class ExerciseMark:
    exercise: int  # its number on the sheet (with a spec) or its gradebook column (without)
    code: str
    section: int | None
    parts: tuple[PartMark, ...]

    @cached_property
    def total(self) -> Fraction:
        return fraction_sum(p.earned for p in self.parts)

    @cached_property
    def maximum(self) -> Fraction:
        return fraction_sum(p.points for p in self.parts)


@dataclass(frozen=True)
class LearnerMarks:
    learner: str
    version: int | None
    exercises: tuple[ExerciseMark, ...]
    notes: tuple[Note, ...] = ()
    off_sheet: tuple[Graded, ...] = ()

    @cached_property
    def total(self) -> Fraction:
        return fraction_sum(e.total for e in self.exercises)

    @cached_property
    def maximum(self) -> Fraction:
        return fraction_sum(e.maximum for e in self.exercises)

    @cached_property
    def percent(self) -> Fraction:
        return self.total * 100 / self.maximum if self.maximum else Fraction(0)


def decimal(x: Fraction, places: int = 2) -> str:
    """A total or a percentage as a decimal string: 7, 7.5, 6.67 (half away from zero)."""
    n, d = x.numerator, x.denominator
    if d == 1:
        return str(n)
    unit = 10 ** places
    whole = (2 * abs(n) * unit + d) // (2 * d)
    text = str(whole // unit)
    if places:
        text += f".{whole % unit:0{places}d}".rstrip("0").rstrip(".")
    return ("-" if n < 0 and whole else "") + text


def _choose(counts: Counter[int], fallback: int = 1) -> tuple[int, bool]:
    """The version with the most matches (ties: the lowest) and whether that was a tie."""
    if not counts:
        return fallback, False
    best = max(counts.values())
    tops = sorted(k for k, n in counts.items() if n == best)
    return tops[0], len(tops) > 1


def _counted(rows: Sequence[Graded]) -> dict[str, list[Graded]]:
    out: dict[str, list[Graded]] = {}
    for g in rows:
        if g.counted:
            out.setdefault(g.row.learner, []).append(g)
    return out


def _parts(grader: ClassGrader, code: str, spec: object, section: int | None,
           answers: dict[tuple[str, int], Graded]) -> tuple[PartMark, ...]:
    ex = grader.exercise(code)
    return tuple(PartMark(p.number, part_points(spec, section, p.number) if section is not None
                          else Fraction(1), answers.get((code, p.number)))
                 for p in ex.parts)


def mark_learners(learners: Sequence[str], rows: Sequence[Graded], grader: ClassGrader,
                  assignment: Assignment | None) -> tuple[tuple[LearnerMarks, ...],
                                                          tuple[str, ...]]:
    """Every learner's marks (in the order of `learners`) and the gradebook's exercise
    columns: "exercise 1", ... with an assignment, else the class's codes."""
    counted = _counted(rows)
    if assignment is None:
        codes = tuple(dict.fromkeys(g.row.code for g in rows if g.counted))
        column = {c: i for i, c in enumerate(codes, 1)}
        out = []
        for name in learners:
            mine = counted.get(name, [])
            answers = {(g.row.code, g.row.part): g for g in mine}
            own = sorted({g.row.code for g in mine}, key=column.__getitem__)
            out.append(LearnerMarks(name, None, tuple(
                ExerciseMark(column[c], c, None, _parts(grader, c, None, None, answers))
                for c in own)))
        return tuple(out), codes
    marks = tuple(_mark(name, counted.get(name, []), grader, assignment) for name in learners)
    return marks, tuple(f"exercise {e}" for e in range(1, assignment.slots_per_version + 1))


def _mark(name: str, mine: list[Graded], grader: ClassGrader, a: Assignment) -> LearnerMarks:
    notes: list[Note] = []
    named = Counter(g.row.version for g in mine if g.row.version is not None)
    if named:
        version, tie = _choose(named)
        if len(named) > 1:
            notes.append(("classflow.note.versions", (
                ("version", version), ("versions", ", ".join(str(k) for k in sorted(named))))))
    else:
        codes = {g.row.code for g in mine}
        matches: Counter[int] = Counter()
        for code in codes:
            for k in {k for k, _ in a.where.get(code, ())}:
                matches[k] += 1
        version, tie = _choose(matches)
        if tie or (matches and matches[version] < len(codes)):
            notes.append(("classflow.note.chosen", (
                ("version", version), ("matched", matches[version]), ("answered", len(codes)))))
    if not mine:
        notes.append(("classflow.note.nothing", (("version", version),)))
    slots = a.versions[version - 1]
    on_sheet = {s.code for s in slots}
    answers = {(g.row.code, g.row.part): g for g in mine if g.row.code in on_sheet}
    off = tuple(g for g in mine if g.row.code not in on_sheet)
    if off:
        notes.append(("classflow.note.off_sheet", (("version", version), ("count", len(off)))))
    exercises = tuple(ExerciseMark(s.exercise, s.code, s.section,
                                   _parts(grader, s.code, a.spec, s.section, answers))
                      for s in slots)
    return LearnerMarks(name, version, exercises, tuple(notes), off)


Place = tuple[Fraction, int | None, int]  # a part's points, version and exercise number


def row_points(marks: Sequence[LearnerMarks]) -> dict[tuple[str, str, int], Place]:
    """(learner, code, part) -> where that part is on the learner's sheet."""
    out = {}
    for m in marks:
        for e in m.exercises:
            for p in e.parts:
                out[(m.learner, e.code, p.part)] = (p.points, m.version, e.exercise)
    return out
