"""Grading a class: rows in; graded rows, learner totals and the class summary out.

Rows that cannot be graded are counted; the first MAX_LISTED_INVALID of them are kept in
full (their fields cut short), so that a file of a million malformed rows costs little.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from handcalc.classgrade import messages as msg
from handcalc.classgrade.read import (
    HEADER,
    VERSION_HEADER,
    Invalid,
    Note,
    RawRow,
    clip,
)
from handcalc.core.exact import Mat, shape
from handcalc.core.parse import lines_as_rows, parse_answer
from handcalc.errors import HandcalcError, ShapeError, SpecError
from handcalc.exercises.exercise import Exercise, build
from handcalc.exercises.grade import Verdict, fit_shape, grade
from handcalc.exercises.scoring import DEFAULT as DEFAULT_SCORING
from handcalc.exercises.scoring import part_score
from handcalc.io.procs import check_interrupted

MAX_LISTED_INVALID = 10_000
MAX_CACHED_ERRORS = 10_000  # per cache: the errors of distinct bad codes and answers

@dataclass(frozen=True, slots=True)
class Submission:
    """A well-formed row: the code is the exercise's own (canonical) code."""

    line: int
    learner: str
    code: str
    part: int
    text: str
    answer: Mat
    version: int | None = None  # the version the row names (submissions by version)


@dataclass(frozen=True, slots=True)
class Graded:
    """A graded row. ``verdict`` is None for an answer of the wrong shape (see ``note``);
    ``counted`` is False when the learner answered the same part again later."""

    row: Submission
    verdict: Verdict | None
    counted: bool
    note: str = ""
    scoring: str = DEFAULT_SCORING  # the policy of the part's section (exercises.scoring)

    @property
    def correct(self) -> bool:
        return self.verdict is not None and self.verdict.correct

    @property
    def score(self) -> Fraction:
        return part_score(self.verdict, self.scoring)

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
    text: Any = field(default=None, compare=False)  # the title as a message, for any language


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
    text: Any = field(default=None, compare=False)  # the title as a message, for any language


@dataclass(frozen=True)
class ClassReport:
    source: str
    rows: tuple[Graded, ...]
    invalid: tuple[Invalid, ...]
    warnings: tuple[Note, ...]
    learners: tuple[LearnerTotal, ...]
    exercises: tuple[ExerciseSummary, ...]
    unlisted: int = 0  # rows that could not be graded beyond the MAX_LISTED_INVALID listed
    assignment: Any = None  # handcalc.classgrade.assign.Assignment, with --spec
    marks: tuple[Any, ...] = ()  # handcalc.classgrade.marks.LearnerMarks, one per learner
    columns: tuple[str, ...] = ()  # the gradebook's exercise columns
    # learner -> their student number (a 学号 column), for the gradebook and the feedback
    student_ids: Mapping[str, str] = field(default_factory=dict)

    @property
    def invalid_count(self) -> int:
        """Every row that could not be graded, listed or not."""
        return len(self.invalid) + self.unlisted





class _Cache:
    """make(key), computed once per key; a HandcalcError is remembered (without its
    traceback, and only the first MAX_CACHED_ERRORS of them) and raised again."""

    def __init__(self, make: Callable[[str], Any]) -> None:
        self.make = make
        self.found: dict[str, Any] = {}
        self.errors = 0

    def __call__(self, key: str) -> Any:
        found = self.found.get(key)
        if found is None:
            try:
                found = self.make(key)
            except HandcalcError as e:
                found = e.with_traceback(None)
                if self.errors >= MAX_CACHED_ERRORS:
                    raise found from None
                self.errors += 1
            self.found[key] = found
        if isinstance(found, HandcalcError):
            raise found.with_traceback(None)  # else every raise lengthens its traceback
        return found


def cell_answer(text: str) -> str:
    """The answer a spreadsheet cell means: the lines of a cell typed on several lines are
    the rows of a matrix (``1 2⏎3 4`` is ``1 2; 3 4``), unless it has brackets or ``;``."""
    return lines_as_rows(text)


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def digits(field: str) -> str:
    """A version, exercise or part number as typed, full-width digits (what a Chinese input
    method types) read as ASCII ones; other scripts' digits stay as they are (refused)."""
    return field.strip().translate(_FULL_WIDTH_DIGITS)


# invisible in a name: zero-width characters, the word joiner, the byte-order mark, soft
# hyphen, and the bidirectional marks, embeddings, overrides and isolates
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff]")


def learner_key(name: str) -> str:
    """The learner a name means: NFKC (full-width letters as ASCII ones), without invisible
    characters (zero-width, bidirectional controls), so that ``bob``, ``ｂｏｂ`` and ``bob``
    with a zero-width space are one learner."""
    folded = unicodedata.normalize("NFKC", _INVISIBLE.sub("", name))
    return _INVISIBLE.sub("", folded).strip() or name


def shown_name(name: str) -> str:
    """A name with its invisible characters shown as ``\\u200b``-style escapes."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


class _InvalidRows:
    """The rows that could not be graded: the first MAX_LISTED_INVALID kept, all counted."""

    def __init__(self) -> None:
        self.listed: list[Invalid] = []
        self.unlisted = 0

    def add(self, row: Invalid) -> None:
        if len(self.listed) < MAX_LISTED_INVALID:
            self.listed.append(row)
        else:
            self.unlisted += 1


class ClassGrader:
    """Grades rows with caches shared by every learner (see the module docstring)."""

    def __init__(self, assignment: Any = None) -> None:
        self.assignment = assignment  # an Assignment: rows by version, codes checked
        self._exercises = _Cache(self._build)
        self._typed: dict[str, Exercise] = {}  # a code as typed -> its exercise
        self._jobs: dict[tuple[Any, ...], Exercise] = {}
        self._parsed = _Cache(lambda text: parse_answer(cell_answer(text)))
        # the caches' keys name an answer by a number for its value (answer_id): a key of
        # small ints hashes at once, a matrix of sympy numbers does not
        self._answer_ids: dict[Mat, int] = {}
        self._ids_of: dict[int, tuple[Mat, int]] = {}  # id(answer) -> (answer, its number)
        self._strict: dict[tuple[str, int, int], Verdict | None] = {}
        self._full: dict[tuple[Any, ...], Verdict | ShapeError] = {}
        self._shapes: dict[str, tuple[tuple[int, int], ...]] = {}
        self._fits: dict[tuple[int, tuple[int, int]], bool] = {}
        self.grade_calls = 0
        self.unassigned = 0  # rows naming a code, version or exercise the assignment lacks
        self.names: dict[str, tuple[str, int]] = {}  # learner_key -> first spelling, line
        self.name_notes: list[Note] = []  # raw names that fold into another one's learner
        self._noted: set[tuple[str, str]] = set()
        self._spelled: dict[str, str] = {}  # a raw name -> its learner, worked out once

    @staticmethod
    def _build(code: str) -> Exercise:
        try:
            return build(code)
        except RuntimeError as e:  # no acceptable instance near that seed
            raise SpecError(msg.refusal("cannot_build", code=code, why=str(e))) from None

    def job(self, job: tuple[Any, ...]) -> Exercise:
        """The exercise of one of handcalc.sheets.build.plan's jobs, built once (and then
        known by its code too)."""
        found = self._jobs.get(job)
        if found is None:
            from handcalc.classgrade.assign import build_job

            found = self._jobs[job] = build_job(job)
            self._exercises.found.setdefault(found.code, found)
        return found

    def scoring(self, code: str) -> str:
        """The scoring policy of a code's part (exercises.scoring): its section's in the
        assignment, else the default."""
        if self.assignment is None:
            return DEFAULT_SCORING
        return str(self.assignment.scoring(code))

    def exercise(self, code: str) -> Exercise:
        exercise: Exercise | None = self._typed.get(code)
        if exercise is None:
            exercise = self._exercises(code.strip().lower())
            if len(self._typed) < MAX_CACHED_ERRORS:
                self._typed[code] = exercise
        return exercise

    def parse(self, text: str) -> Mat:
        answer: Mat = self._parsed(text)
        return answer

    def _slot(self, f: Mapping[str, str]) -> tuple[str, int] | str:
        """The code and version of a row by version and exercise, or why there is none."""
        for column in VERSION_HEADER:
            if not f[column]:
                return msg.said("classtext.reason.empty", column=msg.column_name(column))
        version, exercise = digits(f["version"]), digits(f["exercise"])
        a = self.assignment
        if not (version.isascii() and version.isdigit() and len(version) < 6):
            return msg.said("classtext.reason.not_a_version", version=clip(version),
                            count=len(a.versions))
        if not (exercise.isascii() and exercise.isdigit() and len(exercise) < 6):
            return msg.said("classtext.reason.not_an_exercise", exercise=clip(exercise),
                            version=int(version), count=a.slots_per_version)
        k = int(version)
        if not 1 <= k <= len(a.versions):
            self.unassigned += 1
            return msg.said("classtext.reason.not_a_version", version=k, count=len(a.versions))
        slot = a.slot(k, int(exercise))
        if slot is None:
            self.unassigned += 1
            return msg.said("classtext.reason.not_an_exercise", exercise=int(exercise),
                            version=k, count=len(a.versions[k - 1]))
        return slot.code, k

    def learner(self, raw: str, line: int) -> str:
        """The learner a raw name means: the first spelling seen of its learner_key, so that
        names that print alike are one learner; the first time each other spelling folds
        into it is noted."""
        known = self._spelled.get(raw)
        if known is not None:
            return known
        key = learner_key(raw)
        first = self.names.setdefault(key, (raw, line))
        if first[0] != raw and (key, raw) not in self._noted:
            self._noted.add((key, raw))
            if len(self.name_notes) < MAX_CACHED_ERRORS:
                self.name_notes.append(Note(line, msg.said(
                    "classtext.note.names_folded", raw=shown_name(raw),
                    first=shown_name(first[0]), line=first[1])))
        if len(self._spelled) < MAX_CACHED_ERRORS * 100:
            self._spelled[raw] = first[0]
        return first[0]

    def check(self, raw: RawRow) -> Submission | Invalid:
        f = raw.fields
        learner = f["learner"]
        if learner:
            learner = self.learner(learner, raw.line)
        version = None
        if "version" in f:
            part, text = digits(f["part"]), f["answer"]
            code = f"version {f['version']} exercise {f['exercise']}"
            slot = self._slot(f)
            if isinstance(slot, str):
                return Invalid(raw.line, slot, clip(learner), clip(code), clip(part), clip(text))
            code, version = slot
        else:
            code, part, text = f["code"], digits(f["part"]), f["answer"]

        def bad(reason: str) -> Invalid:
            return Invalid(raw.line, reason, clip(learner), clip(code), clip(part), clip(text))

        for column in HEADER:
            if column in f and not f[column]:
                return bad(msg.said("classtext.reason.empty", column=msg.column_name(column)))
        try:
            ex = self.exercise(code)
        except HandcalcError as e:
            return bad(msg.error_said(e))
        if self.assignment is not None and ex.code not in self.assignment.where:
            self.unassigned += 1
            return bad(msg.said("classtext.reason.not_assigned", code=ex.code,
                                spec=self.assignment.name))
        try:
            number = ex.part(part).number
        except HandcalcError as e:
            return bad(msg.error_said(e))
        try:
            answer = self.parse(text)
        except HandcalcError as e:
            return bad(msg.said("classtext.reason.answer", why=msg.error_said(e)))
        return Submission(raw.line, learner, ex.code, number, text, answer, version)

    def answer_id(self, answer: Mat) -> int:
        """A number for the answer's value: equal answers (typed alike or not) get the same
        number, different ones different numbers."""
        found = self._ids_of.get(id(answer))
        if found is not None and found[0] is answer:
            return found[1]
        n = self._answer_ids.setdefault(answer, len(self._answer_ids))
        self._ids_of[id(answer)] = (answer, n)  # holds the answer, so its id is not reused
        return n

    def _strictly(self, ex: Exercise, sub: Submission) -> tuple[tuple[str, int, int],
                                                                 Verdict | None]:
        """The cache key of (code, part, answer) and grade(..., strict=True) of it (None for
        an answer of the wrong shape), graded once per key."""
        skey = (ex.code, sub.part, self.answer_id(sub.answer))
        if skey not in self._strict:
            try:
                self.grade_calls += 1
                self._strict[skey] = grade(ex, sub.part, sub.answer, strict=True)
            except ShapeError:
                self._strict[skey] = None  # maybe a catalogued mistake of another shape
        return skey, self._strict[skey]

    def grade(self, ex: Exercise, sub: Submission, prior: Mapping[int, Mat]) -> Verdict:
        """grade(ex, part, answer, prior=prior), from the caches where the call was made."""
        skey, exact = self._strictly(ex, sub)
        if exact is not None and exact.correct:
            return exact  # the exact path does not depend on earlier answers
        return self._fully(ex, sub, skey, prior)

    def _fully(self, ex: Exercise, sub: Submission, skey: tuple[str, int, int],
               prior: Mapping[int, Mat]) -> Verdict:
        fkey = (skey, tuple(sorted((n, self.answer_id(m)) for n, m in prior.items())))
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

    def grade_row(self, ex: Exercise, sub: Submission, final: Mapping[int, Submission]
                  ) -> Verdict:
        """The verdict of a row, given the learner's final answers to the parts of its code
        (the earlier ones that fit their parts' shapes are its prior): grade(ex, sub,
        prior), with the prior gathered only for an answer that is not exactly right."""
        check_interrupted()
        skey, exact = self._strictly(ex, sub)
        if exact is not None and exact.correct:
            return exact
        return self._fully(ex, sub, skey, self.prior(ex, sub.part, final))

    def prior(self, ex: Exercise, part: int, final: Mapping[int, Submission]
              ) -> dict[int, Mat]:
        """The learner's final answers to the parts before `part` that fit their shapes."""
        shapes = self._shapes.get(ex.code)
        if shapes is None:
            shapes = self._shapes[ex.code] = tuple(shape(p.answer) for p in ex.parts)
        out = {}
        for number, sub in final.items():
            if number < part:
                key = (self.answer_id(sub.answer), shapes[number - 1])
                fits = self._fits.get(key)
                if fits is None:
                    fits = self._fits[key] = fit_shape(sub.answer, key[1]) is not None
                if fits:
                    out[number] = sub.answer
        return out


@dataclass(frozen=True, slots=True)
class Failure:
    """A row whose grading raised an unexpected error (a bug): its kind and message."""

    kind: str
    why: str


# What grading a row gave: its verdict, the note of an answer of the wrong shape, or a
# Failure
Outcome = Verdict | str | Failure
# How grade_rows grades the well-formed rows of a class (a grader, the rows in file order,
# each learner's final answers by (learner, code)): their outcomes, in that order
Grading = Callable[[ClassGrader, Sequence[Submission],
                    Mapping[tuple[str, str], Mapping[int, Submission]]], Sequence[Outcome]]


def outcome(grader: ClassGrader, ex: Exercise, sub: Submission,
            final: Mapping[int, Submission]) -> Outcome:
    """grader.grade_row(ex, sub, final), or what it raised."""
    try:
        return grader.grade_row(ex, sub, final)
    except ShapeError as e:
        return msg.said("classtext.reason.wrong_shape", why=msg.error_said(e))
    except Exception as e:  # a bug in grading must not lose the rest of the class
        return Failure(type(e).__name__, str(e))


def grade_in_order(grader: ClassGrader, subs: Sequence[Submission],
                   final: Mapping[tuple[str, str], Mapping[int, Submission]]
                   ) -> list[Outcome]:
    """Each row's outcome, graded here one after the other (the Grading by default)."""
    return [outcome(grader, grader.exercise(s.code), s, final[(s.learner, s.code)])
            for s in subs]


def grade_rows(rows: Iterable[RawRow | Invalid], grader: ClassGrader | None = None,
               grading: Grading | None = None) -> tuple[list[Graded], list[Invalid], int]:
    """Every well-formed row graded (in file order), the rows that are not well formed (the
    first MAX_LISTED_INVALID, in file order) and how many more there are. ``grading``:
    how the well-formed rows are graded, with the same results whichever it is
    (grade_in_order, or handcalc.classgrade.parallel.Parallel on several cores)."""
    grader = grader or ClassGrader()
    subs: list[Submission] = []
    invalid = _InvalidRows()
    for row in rows:
        checked = grader.check(row) if isinstance(row, RawRow) else row
        if isinstance(checked, Submission):
            subs.append(checked)
        else:
            invalid.add(checked)
    final: dict[tuple[str, str], dict[int, Submission]] = {}
    for sub in subs:
        final.setdefault((sub.learner, sub.code), {})[sub.part] = sub
    outcomes = (grading or grade_in_order)(grader, subs, final)
    graded = []
    for sub, out in zip(subs, outcomes, strict=True):
        counted = final[(sub.learner, sub.code)][sub.part] is sub
        if isinstance(out, Failure):
            invalid.add(Invalid(sub.line, msg.said("classerror.internal", kind=out.kind,
                                                   why=out.why),
                                clip(sub.learner), sub.code, str(sub.part), clip(sub.text)))
        elif isinstance(out, str):
            graded.append(Graded(sub, None, counted, out, grader.scoring(sub.code)))
        else:
            graded.append(Graded(sub, out, counted, "", grader.scoring(sub.code)))
    invalid.listed.sort(key=lambda i: i.line)
    return graded, invalid.listed, invalid.unlisted


def score_text(x: Fraction) -> str:
    """A score as the reports show it: 1, 0.5, 0.33."""
    return f"{float(x):.2f}".rstrip("0").rstrip(".") if x.denominator != 1 else str(x)

