"""Grading a class: rows in; graded rows, learner totals and the class summary out."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from handcalc.classgrade.read import HEADER, Invalid, Note, RawRow, read_rows
from handcalc.errors import HandcalcError, ShapeError, SpecError
from handcalc.exact import Mat, shape
from handcalc.exercise import Exercise, build
from handcalc.grade import CARRIED, EXACT, ROUNDED, Verdict, fit_shape, grade
from handcalc.parse import parse_answer


@dataclass(frozen=True)
class Submission:
    """A well-formed row: the code is the exercise's own (canonical) code."""

    line: int
    learner: str
    code: str
    part: int
    text: str
    answer: Mat


@dataclass(frozen=True)
class Graded:
    """A graded row. ``verdict`` is None for an answer of the wrong shape (see ``note``);
    ``counted`` is False when the learner answered the same part again later."""

    row: Submission
    verdict: Verdict | None
    counted: bool
    note: str = ""

    @property
    def correct(self) -> bool:
        return self.verdict is not None and self.verdict.correct

    @property
    def score(self) -> Fraction:
        return Fraction(0) if self.verdict is None else self.verdict.score

    @property
    def accepted_by(self) -> str | None:
        return None if self.verdict is None else self.verdict.accepted_by

    @property
    def mistake(self) -> str | None:
        d = None if self.verdict is None else self.verdict.diagnosis
        return None if d is None else d.mistake.id


@dataclass(frozen=True)
class LearnerTotal:
    learner: str
    exercises: int
    answered: int
    correct: int
    score: Fraction
    by_path: Mapping[str, int]
    invalid: int


@dataclass(frozen=True)
class MistakeCount:
    id: str
    title: str
    count: int


@dataclass(frozen=True)
class PartSummary:
    part: int
    prompt: str
    answered: int
    correct: int
    by_path: Mapping[str, int]
    mistakes: tuple[MistakeCount, ...]
    unrecognised: int

    @property
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class ExerciseSummary:
    code: str
    title: str
    parts: tuple[PartSummary, ...]


@dataclass(frozen=True)
class ClassReport:
    source: str
    rows: tuple[Graded, ...]
    invalid: tuple[Invalid, ...]
    warnings: tuple[Note, ...]
    learners: tuple[LearnerTotal, ...]
    exercises: tuple[ExerciseSummary, ...]





def _remembered(cache: dict[str, Any], key: str, make: Callable[[str], Any]) -> Any:
    """make(key), computed once per key; a HandcalcError is remembered and raised again."""
    found = cache.get(key)
    if found is None:
        try:
            found = make(key)
        except HandcalcError as e:
            found = e
        cache[key] = found
    if isinstance(found, HandcalcError):
        raise found
    return found


class ClassGrader:
    """Grades rows with caches shared by every learner (see the module docstring)."""

    def __init__(self) -> None:
        self._exercises: dict[str, Exercise | HandcalcError] = {}
        self._parsed: dict[str, Mat | HandcalcError] = {}
        self._strict: dict[tuple[str, int, Mat], Verdict | None] = {}
        self._full: dict[tuple[Any, ...], Verdict | ShapeError] = {}
        self.grade_calls = 0

    def exercise(self, code: str) -> Exercise:
        def make(key: str) -> Exercise:
            try:
                return build(key)
            except RuntimeError as e:  # no acceptable instance near that seed
                raise SpecError(f"cannot build '{code}': {e}") from None

        return _remembered(self._exercises, code.strip().lower(), make)

    def parse(self, text: str) -> Mat:
        return _remembered(self._parsed, text, parse_answer)

    def check(self, raw: RawRow) -> Submission | Invalid:
        f = raw.fields
        learner, code, part, text = f["learner"], f["code"], f["part"], f["answer"]

        def bad(reason: str) -> Invalid:
            return Invalid(raw.line, reason, learner, code, part, text)

        for column in HEADER:
            if not f[column]:
                return bad(f"empty {column}")
        try:
            ex = self.exercise(code)
        except HandcalcError as e:
            return bad(str(e))
        try:
            number = ex.part(part).number
        except HandcalcError as e:
            return bad(str(e))
        try:
            answer = self.parse(text)
        except HandcalcError as e:
            return bad(f"answer: {e}")
        return Submission(raw.line, learner, ex.code, number, text, answer)

    def grade(self, ex: Exercise, sub: Submission, prior: Mapping[int, Mat]) -> Verdict:
        """grade(ex, part, answer, prior=prior), from the caches where the call was made."""
        skey = (ex.code, sub.part, sub.answer)
        if skey not in self._strict:
            try:
                self.grade_calls += 1
                self._strict[skey] = grade(ex, sub.part, sub.answer, strict=True)
            except ShapeError:
                self._strict[skey] = None  # maybe a catalogued mistake of another shape
        exact = self._strict[skey]
        if exact is not None and exact.correct:
            return exact  # the exact path does not depend on earlier answers
        fkey = (skey, tuple(sorted(prior.items())))
        found = self._full.get(fkey)
        if found is None:
            self.grade_calls += 1
            try:
                found = grade(ex, sub.part, sub.answer, prior=prior)
            except ShapeError as e:
                found = e
            self._full[fkey] = found
        if isinstance(found, ShapeError):
            raise found
        return found


def _prior(ex: Exercise, part: int, final: Mapping[int, Submission]) -> dict[int, Mat]:
    out = {}
    for number, sub in final.items():
        if number < part and fit_shape(sub.answer, shape(ex.part(number).answer)) is not None:
            out[number] = sub.answer
    return out


def grade_rows(raw_rows: Iterable[RawRow], grader: ClassGrader | None = None
               ) -> tuple[list[Graded], list[Invalid]]:
    """Every well-formed row graded (in file order), and the rows that are not well formed."""
    grader = grader or ClassGrader()
    subs: list[Submission] = []
    invalid: list[Invalid] = []
    for raw in raw_rows:
        checked = grader.check(raw)
        if isinstance(checked, Submission):
            subs.append(checked)
        else:
            invalid.append(checked)
    final: dict[tuple[str, str], dict[int, Submission]] = {}
    for sub in subs:
        final.setdefault((sub.learner, sub.code), {})[sub.part] = sub
    graded = []
    for sub in subs:
        ex = grader.exercise(sub.code)
        mine = final[(sub.learner, sub.code)]
        counted = mine[sub.part] is sub
        try:
            verdict = grader.grade(ex, sub, _prior(ex, sub.part, mine))
        except ShapeError as e:
            graded.append(Graded(sub, None, counted, f"wrong shape: {e}"))
            continue
        except Exception as e:  # a bug in grading must not lose the rest of the class
            invalid.append(Invalid(sub.line, f"internal error while grading this row "
                                             f"({type(e).__name__}: {e}); please report it",
                                   sub.learner, sub.code, str(sub.part), sub.text))
            continue
        graded.append(Graded(sub, verdict, counted))
    invalid.sort(key=lambda i: i.line)
    return graded, invalid


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
            sum((g.score for g in mine), Fraction(0)),
            {p: paths.get(p, 0) for p in (EXACT, CARRIED, ROUNDED)}, bad.get(name, 0)))
    return tuple(out)


def _exercises(graded: list[Graded], grader: ClassGrader) -> tuple[ExerciseSummary, ...]:
    from handcalc.mistakes import CATALOGUE

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
                number, ex.part(number).prompt, len(rows), sum(g.correct for g in rows),
                {p: paths.get(p, 0) for p in (EXACT, CARRIED, ROUNDED)},
                tuple(MistakeCount(m, CATALOGUE[m].title, n)
                      for m, n in sorted(mistakes.items(), key=lambda x: (-x[1], x[0]))),
                sum(1 for g in wrong if not g.mistake)))
        out.append(ExerciseSummary(code, ex.title, tuple(summaries)))
    return tuple(out)


def grade_file(path: str | os.PathLike[str], grader: ClassGrader | None = None) -> ClassReport:
    """Read and grade a submissions file; SpecError when it cannot be read at all."""
    grader = grader or ClassGrader()
    raw, unreadable, warnings = read_rows(path)
    graded, invalid = grade_rows(raw, grader)
    seen: dict[tuple[str, str, int], int] = {}
    for g in graded:
        key = (g.row.learner, g.row.code, g.row.part)
        if key in seen:
            warnings.append(Note(seen[key], f"{g.row.learner} answered {g.row.code} part "
                                                f"{g.row.part} again on line {g.row.line}; "
                                                "the last answer counts"))
        seen[key] = g.row.line
    all_invalid = sorted(unreadable + invalid, key=lambda i: i.line)
    return ClassReport(os.path.basename(os.fspath(path)), tuple(graded), tuple(all_invalid),
                       tuple(sorted(warnings, key=lambda w: w.line)),
                       _learners(graded, all_invalid), _exercises(graded, grader))




def score_text(x: Fraction) -> str:
    """A score as the reports show it: 1, 0.5, 0.33."""
    return f"{float(x):.2f}".rstrip("0").rstrip(".") if x.denominator != 1 else str(x)

