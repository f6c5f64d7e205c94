"""Grading one typed answer against one part, exactly.

The two-decimal rule: an entry with exact value x accepts a typed value v when
|v - x| <= 0.005, decided exactly; -inf accepts only -inf. A part is correct when every
entry is; its score is the fraction of correct entries.

When the answer is wrong, other paths are tried on the whole part (never entry by
entry), unless ``strict``:

1. carried-forward: right given the learner's own earlier answers (``prior``);
2. rounded-intermediates: right when each shown intermediate is rounded to 2 decimals;
3. the family's mistake catalogue: the answer matches a named mistake (a diagnosis,
   not an acceptance).

A flat list is accepted for an n x 1 answer and a column for a 1 x n answer.

A part whose quantity is an exact integer count (``Quantity.count``: multiply-adds,
entries, bytes) is graded exactly instead: an entry accepts only its integer value, on
every path (key, carried forward, rounded, mistakes).

Every comparison is a filtered predicate: the family's math run in floats settles it
when it misses the threshold by more than handcalc.core.exact's guard band (1e-9 relative,
about 10^5 times the float error of these computations); otherwise the exact sympy
computation decides. The verdicts are therefore the exact ones, and a check whose
answer is clearly right or wrong never pays for the exact solve.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from handcalc.core import rational as rat
from handcalc.core.compare import differs, usable
from handcalc.core.exact import TOL, Mat, entries, fmt_shape, shape, transpose
from handcalc.core.mistakes import CATALOGUE, Mistake
from handcalc.core.rounding import Undecided, differs_f, within, within_f
from handcalc.core.work import NotApplicable, Work, float_mat
from handcalc.errors import ShapeError
from handcalc.exercises.exercise import SCREEN_ERRORS, Exercise, compute, rational_entry
from handcalc.text.messages import ListOf, Msg, msg

EXACT = "exact"
CARRIED = "carried-forward"
ROUNDED = "rounded-intermediates"

_FAILED = (NotApplicable, ZeroDivisionError, ValueError, TypeError)
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Diagnosis:
    """The catalogued mistake an answer matches; ``also``: the other catalogued mistakes
    that give this part the same answer, disclosed (the answer cannot tell them apart)."""

    mistake: Mistake
    part: int
    also: tuple[Mistake, ...] = ()

    def text(self) -> Msg:
        if self.also:
            return msg("diagnosis.text_also", part=self.part,
                       explanation=self.mistake.explanation,
                       titles=ListOf(tuple(m.title for m in self.also)))
        return msg("diagnosis.text", part=self.part, explanation=self.mistake.explanation)


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
    expected_shape: tuple[int, int]
    exercise: Exercise = field(repr=False, compare=False)

    @property
    def expected(self) -> Mat:
        """The exact answer of the part (computes the exact solution if not yet done)."""
        return self.exercise.part(self.part).answer


def fit_shape(answer: Mat, expected: tuple[int, int]) -> Mat | None:
    """The answer in the expected shape (a flat list fits a column), or None."""
    if shape(answer) == expected:
        return answer
    if shape(transpose(answer)) == expected and 1 in expected:
        return transpose(answer)
    return None


def shape_message(expected: tuple[int, int], got: Mat) -> Msg:
    """Why an answer of the shape of `got` does not fit `expected`, with a hint when the
    slip is a likely one (a comma decimal, a matrix typed as one flat list)."""
    r, c = expected
    n_got = len(entries(got))
    want = msg("error.want.number") if r == c == 1 else (
        msg("error.want.values", n=r * c) if r == 1 or c == 1 else
        msg("error.want.matrix", rows=r, cols=c))
    got_text = msg("error.got.one") if n_got == 1 else (
        msg("error.got.values", n=n_got) if 1 in shape(got) else
        msg("error.got.matrix", shape=fmt_shape(got)))
    if r == c == 1 and n_got == 2:
        hint: Msg | str = msg("error.hint.dot")
    elif r > 1 and c > 1 and n_got == r * c and 1 in shape(got):
        hint = msg("error.hint.rows")
    else:
        hint = ""
    if r > 1 and c > 1 or r == c == 1:
        return msg("error.with_hint", text=msg("error.expected", want=want, got=got_text),
                   hint=hint)
    return msg("error.with_hint", text=msg("error.expected_size", want=want, rows=r, cols=c,
                                           got=got_text), hint=hint)


class _Paths:
    """The computations that grading one exercise may need, each done once: float screens
    and exact solves, keyed by (mistake, rounded, the learner's earlier answers).

    The earlier answers are known in the keys by a number (``_prior_key``): a matrix of
    sympy numbers is slow to hash, and one grade() asks for many paths with the same
    earlier answers; their float forms are made once too."""

    def __init__(self, ex: Exercise) -> None:
        self.ex = ex
        self._screens: dict[tuple, Work | None | Undecided] = {}
        self._exact: dict[tuple, Work | None] = {}
        self._priors: dict[tuple, int] = {}  # earlier answers (sorted items) -> a number
        self._floats: dict[int, dict[str, Mat]] = {}  # that number -> them in floats
        self._numbers = itertools.count(1)  # never reused: old keys cannot be mistaken
        self._last: tuple[tuple, int] | None = None

    def _prior_key(self, prior: Mapping[str, Mat] | None) -> int:
        """The number of these earlier answers (0: none)."""
        if not prior:
            return 0
        items = tuple(sorted(prior.items()))
        last = self._last
        if last is not None and last[0] == items:  # the same objects: compared by identity
            return last[1]
        number = self._priors.get(items)
        if number is None:
            if len(self._priors) > _CACHE_SIZE:
                self._priors.clear()
                self._floats.clear()
            number = self._priors[items] = next(self._numbers)
        self._last = (items, number)
        return number

    def _key(self, mistake: str | None, rounded: bool,
             prior: Mapping[str, Mat] | None) -> tuple:
        return mistake, rounded, self._prior_key(prior)

    def _in_floats(self, number: int, prior: Mapping[str, Mat] | None) -> dict[str, Mat] | None:
        """The earlier answers as the float kit holds them (handcalc.core.work), made once."""
        if not prior:
            return prior  # type: ignore[return-value]
        found = self._floats.get(number)
        if found is None:
            found = self._floats[number] = {k: float_mat(v) for k, v in prior.items()}
        return found

    def screen(self, mistake: str | None = None, rounded: bool = False,
               prior: Mapping[str, Mat] | None = None) -> Work | None | Undecided:
        """The float run: a Work, None when the path cannot be taken, Undecided when
        only the exact run can tell."""
        key = self._key(mistake, rounded, prior)
        if key not in self._screens:
            if len(self._screens) > _CACHE_SIZE:
                self._screens.clear()
            try:
                self._screens[key] = compute(self.ex.instance, mistake=mistake,
                                             rounded=rounded,
                                             prior=self._in_floats(key[2], prior),
                                             numeric=True, record=False)
            except NotApplicable:
                self._screens[key] = None
            except SCREEN_ERRORS as e:
                self._screens[key] = Undecided(e)
        return self._screens[key]

    def exact(self, mistake: str | None = None, rounded: bool = False,
              prior: Mapping[str, Mat] | None = None) -> Work | None:
        key = self._key(mistake, rounded, prior)
        if key not in self._exact:
            if len(self._exact) > _CACHE_SIZE:
                self._exact.clear()
            try:
                self._exact[key] = compute(self.ex.instance, mistake=mistake, rounded=rounded,
                                           prior=prior)
            except _FAILED:
                self._exact[key] = None
        return self._exact[key]

    def rational(self, mistake: str | None = None, rounded: bool = False,
                 prior: Mapping[str, Mat] | None = None) -> dict[str, Mat] | None:
        """The rational kit's run (handcalc.core.rational) of a plain path (no rounding, no
        earlier answers): its exact entries decide before sympy; None where it has none."""
        return None if rounded or prior else self.ex.rational_run(mistake)

    def matches(self, key: str, answer: Mat, **path: Any) -> bool:
        """Whether the answer matches quantity `key` on this path, at 2 decimals (exactly
        for a count)."""
        screened = self.screen(**path)
        if screened is None:
            return False
        counted = is_count(self.ex, key)
        if isinstance(screened, Work) and not counted:
            value = screened.results.get(key)
            if value is None:
                return False
            verdict = _match_screen(answer, value)
            if verdict is not None:
                return verdict
        if counted and isinstance(screened, Work):  # a count: exact in the rational kit?
            value = self.rational(**path)
            if value is not None and key in value and all(map(_plain, entries(answer))) \
                    and all(rat.is_rational(q) for q in entries(value[key])):
                fitted = fit_shape(answer, shape(value[key]))
                return fitted is not None and all(
                    v == q for v, q in zip(entries(fitted), entries(value[key]), strict=True))
        work = self.exact(**path)
        value = None if work is None else work.results.get(key)
        return value is not None and _match_exact(answer, value, tolerance(self.ex, key))

    def changes(self, key: str, **path: Any) -> bool:
        """Whether the path's value of `key` differs from the right one."""
        screened = self.screen(**path)
        if isinstance(screened, Work) and key in screened.results:
            if not screened.affected[key]:
                return False
            if differs_f(screened.results[key], self.ex.approx[key]):
                return True
            value, right = self.rational(**path), self.ex.rational
            if value is not None and right is not None and key in right:
                if key not in value:
                    return False
                if shape(value[key]) == shape(right[key]) and all(
                        rat.exact(q) for q in entries(value[key]) + entries(right[key])):
                    try:
                        apart = rat.differs(entries(value[key]), entries(right[key]))
                    except (ValueError, ArithmeticError):
                        apart = None
                    if apart is not None:
                        return apart
        work = self.exact(**path)
        value = None if work is None else work.results.get(key)
        return value is not None and usable(value) and differs(value, self.ex.by_key(key).answer)


def _plain(v: Any) -> bool:
    """A typed entry given as a Fraction or -inf (handcalc.exercises.quickkeys.plain_answer)."""
    return isinstance(v, Fraction) or (isinstance(v, float) and v == -math.inf)


_PATHS: dict[str, _Paths] = {}


def paths_for(ex: Exercise) -> _Paths:
    """The shared computation cache of an exercise (one per code)."""
    found = _PATHS.get(ex.code)
    if found is None or (found.ex.instance is not ex.instance and
                         found.ex.instance != ex.instance):
        if len(_PATHS) > 256:
            _PATHS.clear()
        found = _PATHS[ex.code] = _Paths(ex)
    return found


def _match_screen(answer: Mat, value: Mat) -> bool | None:
    fitted = fit_shape(answer, shape(value))
    if fitted is None:
        return False
    undecided = False
    for v, f in zip(entries(fitted), entries(value), strict=True):
        ok = within_f(v, f)
        if ok is False:
            return False
        undecided = undecided or ok is None
    return None if undecided else True


def _match_exact(answer: Mat, value: Mat, tol: Any = TOL) -> bool:
    if not usable(value):
        return False
    fitted = fit_shape(answer, shape(value))
    return fitted is not None and all(
        within(v, x, tol) for v, x in zip(entries(fitted), entries(value), strict=True))


def is_count(ex: Exercise, key: str) -> bool:
    """Whether quantity `key` of the exercise is an exact integer count."""
    return any(q.key == key and q.count for q in ex.family.quantities)


def tolerance(ex: Exercise, key: str) -> Any:
    """How far a typed entry of quantity `key` may be from its exact value: 0.005 (the
    two-decimal rule), or 0 for an exact count."""
    return 0 if is_count(ex, key) else TOL


def _cell(ex: Exercise, number: int, index: int, v: Any, f: float) -> bool:
    exact = is_count(ex, ex.keys[number - 1])
    ok = None if exact else within_f(v, f)
    if ok is None and exact:  # a count the rational kit has exactly, typed as a rational
        q = rational_entry(ex, ex.keys[number - 1], index)
        if q is not None and _plain(v):
            ok = v == q
    if ok is None:
        ok = within(v, entries(ex.part(number).answer)[index], 0 if exact else TOL)
    return ok


def prior_by_key(ex: Exercise, number: int, prior: Mapping[int, Mat]) -> dict[str, Mat]:
    """The learner's earlier answers, by quantity, fitted to their parts' shapes."""
    out = {}
    for earlier, value in prior.items():
        n = ex.number(earlier)
        if n >= number:
            continue
        key = ex.keys[n - 1]
        fitted = fit_shape(value, shape(ex.approx[key]))
        if fitted is None:
            raise ShapeError(msg("error.prior", part=n,
                                 what=shape_message(shape(ex.approx[key]), value)))
        out[key] = fitted
    return out


def diagnose(ex: Exercise, number: int, answer: Mat,
             prior: Mapping[str, Mat] | None = None) -> Diagnosis | None:
    """The first catalogued mistake whose answer to this part the typed answer matches,
    with every other catalogued mistake that the same answer matches as well."""
    paths, key = paths_for(ex), ex.keys[number - 1]
    contexts = (None, prior) if prior else (None,)
    found = [mistake_id for mistake_id in ex.family.mistakes
             if any(paths.matches(key, answer, mistake=mistake_id, prior=ctx)
                    and paths.changes(key, mistake=mistake_id, prior=ctx) for ctx in contexts)]
    if not found:
        return None
    return Diagnosis(CATALOGUE[found[0]], number, tuple(CATALOGUE[m] for m in found[1:]))


def _earlier_diagnosis(ex: Exercise, number: int,
                       prior: Mapping[str, Mat]) -> Diagnosis | None:
    paths = paths_for(ex)
    for n in range(1, number):
        key = ex.keys[n - 1]
        value = prior.get(key)
        if value is not None and not paths.matches(key, value):
            found = diagnose(ex, n, value)
            if found:
                return found
    return None


def grade(ex: Exercise, number: int | str, answer: Mat, *,
          prior: Mapping[int, Mat] | None = None, strict: bool = False) -> Verdict:
    """Grade one typed answer (already parsed) against part `number` of `ex`."""
    n = ex.number(number)
    key = ex.keys[n - 1]
    earlier = prior_by_key(ex, n, prior or {})
    expected = shape(ex.approx[key])
    fitted = fit_shape(answer, expected)
    if fitted is None:
        found = None if strict else diagnose(ex, n, answer, earlier)
        if found is None:
            raise ShapeError(msg("error.part", part=n, what=shape_message(expected, answer)))
        return Verdict(ex.code, n, False, Fraction(0), (), None, found, answer, expected, ex)
    values = entries(ex.approx[key])
    width = expected[1]
    cells = tuple(tuple(_cell(ex, n, i * width + j, v, values[i * width + j])
                        for j, v in enumerate(r)) for i, r in enumerate(fitted))
    flat = [c for r in cells for c in r]
    score = Fraction(sum(flat), len(flat))

    def verdict(correct: bool, by: str | None, why: Diagnosis | None) -> Verdict:
        return Verdict(ex.code, n, correct, Fraction(1) if correct else score, cells, by, why,
                       fitted, expected, ex)

    if all(flat):
        return verdict(True, EXACT, None)
    if strict:
        return verdict(False, None, None)
    paths = paths_for(ex)
    if earlier and any(not paths.matches(k, v) for k, v in earlier.items()):
        if paths.matches(key, fitted, prior=earlier):
            return verdict(True, CARRIED, _earlier_diagnosis(ex, n, earlier))
    count = ex.family.quantity(key).count  # whole numbers: no 2-decimal path
    if not count and paths.matches(key, fitted, rounded=True):
        return verdict(True, ROUNDED, None)
    return verdict(False, None, diagnose(ex, n, fitted, earlier))
