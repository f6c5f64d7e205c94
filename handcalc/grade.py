"""Grading one typed answer against one part, exactly.

The two-decimal rule: an entry with exact value x accepts a typed value v when
|v - x| <= 0.005 (decided exactly, see handcalc.exact.within); -inf accepts only -inf.
A part is correct when every entry is; its score is the fraction of correct entries.

When the answer is wrong, other paths are tried on the whole part (never entry by
entry), unless ``strict``:

1. carried-forward: right given the learner's own earlier answers (``prior``);
2. rounded-intermediates: right when each shown intermediate is rounded to 2 decimals;
3. the family's mistake catalogue: the answer matches a named mistake (a diagnosis,
   not an acceptance).

A flat list is accepted for an n x 1 answer and a column for a 1 x n answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from handcalc.errors import ShapeError
from handcalc.exact import Mat, entries, fmt_shape, shape, transpose, within
from handcalc.exercise import Exercise, Part, compute, differs, mistaken, usable
from handcalc.mistakes import CATALOGUE, Mistake

EXACT = "exact"
CARRIED = "carried-forward"
ROUNDED = "rounded-intermediates"


@dataclass(frozen=True)
class Diagnosis:
    mistake: Mistake
    part: int

    def text(self) -> str:
        return f"part {self.part} {self.mistake.explanation}"


@dataclass(frozen=True)
class Verdict:
    code: str
    part: int
    correct: bool
    score: Fraction
    cells: tuple[tuple[bool, ...], ...]
    accepted_by: str | None
    diagnosis: Diagnosis | None
    answer: Mat
    expected: Mat


def fit_shape(answer: Mat, expected: tuple[int, int]) -> Mat | None:
    """The answer in the expected shape (a flat list fits a column), or None."""
    if shape(answer) == expected:
        return answer
    if shape(transpose(answer)) == expected and 1 in expected:
        return transpose(answer)
    return None


def shape_message(expected: tuple[int, int], got: Mat) -> str:
    r, c = expected
    n_got = len(entries(got))
    want = "a single number" if r == c == 1 else (
        f"{r * c} values" if r == 1 or c == 1 else f"a {r} x {c} matrix")
    got_text = "1 value" if n_got == 1 else (
        f"{n_got} values" if 1 in shape(got) else f"a {fmt_shape(got)} matrix")
    hint = "; write decimals with a dot (3.54, not 3,54)" if r == c == 1 and n_got == 2 else ""
    size = "" if want.startswith("a ") else f" ({r} x {c})"
    return f"expected {want}{size}, got {got_text}{hint}"


def _matches(answer: Mat, value: Mat | None) -> bool:
    if value is None or not usable(value):
        return False
    fitted = fit_shape(answer, shape(value))
    return fitted is not None and all(
        within(v, x) for v, x in zip(entries(fitted), entries(value), strict=True))


def prior_by_key(ex: Exercise, part: Part, prior: Mapping[int, Mat]) -> dict[str, Mat]:
    """The learner's earlier answers, by quantity, fitted to their parts' shapes."""
    out = {}
    for number, value in prior.items():
        earlier = ex.part(number)
        if earlier.number >= part.number:
            continue
        fitted = fit_shape(value, shape(earlier.answer))
        if fitted is None:
            raise ShapeError(f"--prior {number}: {shape_message(shape(earlier.answer), value)}")
        out[earlier.key] = fitted
    return out


def diagnose(ex: Exercise, part: Part, answer: Mat,
             prior: Mapping[str, Mat] | None = None) -> Diagnosis | None:
    """The first catalogued mistake whose answer to this part the typed answer matches."""
    for mistake_id in ex.family.mistakes:
        for ctx in ((None, prior) if prior else (None,)):
            results = mistaken(ex.instance, mistake_id, ctx)
            if results is None:
                continue
            value = results.get(part.key)
            if value is not None and differs(value, part.answer) and _matches(answer, value):
                return Diagnosis(CATALOGUE[mistake_id], part.number)
    return None


def _earlier_diagnosis(ex: Exercise, part: Part,
                       prior: Mapping[str, Mat]) -> Diagnosis | None:
    for earlier in ex.parts[:part.number - 1]:
        value = prior.get(earlier.key)
        if value is not None and not _matches(value, earlier.answer):
            found = diagnose(ex, earlier, value)
            if found:
                return found
    return None


def _carried(ex: Exercise, part: Part, earlier: Mapping[str, Mat]) -> Mat | None:
    try:
        return compute(ex.instance, prior=earlier).results.get(part.key)
    except (ValueError, ZeroDivisionError, TypeError):
        return None


def grade(ex: Exercise, number: int | str, answer: Mat, *,
          prior: Mapping[int, Mat] | None = None, strict: bool = False) -> Verdict:
    """Grade one typed answer (already parsed) against part `number` of `ex`."""
    part = ex.part(number)
    earlier = prior_by_key(ex, part, prior or {})
    expected = shape(part.answer)
    fitted = fit_shape(answer, expected)
    if fitted is None:
        found = None if strict else diagnose(ex, part, answer, earlier)
        if found is None:
            raise ShapeError(f"part {part.number}: {shape_message(expected, answer)}")
        return Verdict(ex.code, part.number, False, Fraction(0), (), None, found, answer,
                       part.answer)
    cells = tuple(tuple(within(v, x) for v, x in zip(rv, rx, strict=True))
                  for rv, rx in zip(fitted, part.answer, strict=True))
    flat = [c for r in cells for c in r]
    score = Fraction(sum(flat), len(flat))

    def verdict(correct: bool, by: str | None, why: Diagnosis | None) -> Verdict:
        return Verdict(ex.code, part.number, correct, Fraction(1) if correct else score,
                       cells, by, why, fitted, part.answer)

    if all(flat):
        return verdict(True, EXACT, None)
    if strict:
        return verdict(False, None, None)
    if earlier and any(differs(v, ex.by_key(k).answer) for k, v in earlier.items()):
        carried = _carried(ex, part, earlier)
        if _matches(fitted, carried):
            return verdict(True, CARRIED, _earlier_diagnosis(ex, part, earlier))
    rounded = compute(ex.instance, rounded=True).results.get(part.key)
    if _matches(fitted, rounded):
        return verdict(True, ROUNDED, None)
    return verdict(False, None, diagnose(ex, part, fitted, earlier))
