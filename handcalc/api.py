"""The Python API for notebooks and scripts: the engine behind ``handcalc check``, ``show``
and ``solve``, as objects.

    >>> import handcalc
    >>> ex = handcalc.exercise("worked-4", lang="en")
    >>> v = ex.check(1, "0.71, 2.12")
    >>> v.correct, v.score, v.accepted_by
    (True, Fraction(1, 1), 'exact')
    >>> ex.check(1, "1, 3").diagnosis_id
    'no-scale'

Answers are what ``check`` takes (``"0.71, 2.12"``, ``"1 2; 3 4"``, ``"5/sqrt(2)"``), or
numbers and nested lists of them, which are written as text and read by the same parser,
with the same caps. Errors are the CLI's, typed (handcalc.errors): UnknownCode,
UnknownPart, ParseError, ShapeError. In Jupyter an exercise, a verdict and a worked
solution show as HTML with MathML math (``_repr_html_``), in the language chosen.
torch is never imported here: ``handcalc solve`` is the command that cross-checks a key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from handcalc.core.exact import shape
from handcalc.core.parse import parse_answer
from handcalc.core.rounding import fmt2, fmt_exact
from handcalc.errors import UnknownCode
from handcalc.exercises import exercise as engine
from handcalc.exercises import grade as grading
from handcalc.text.messages import render, resolve_lang
from handcalc.views import html
from handcalc.views import render as text

Answer = Any  # text, a number, or (nested) lists of numbers


@dataclass(frozen=True)
class PartInfo:
    """A part as asked: its number, its question in words and the shape of its answer."""

    number: int
    prompt: str
    shape: tuple[int, int]


@dataclass(frozen=True)
class Verdict:
    """A graded answer, as ``check --json`` gives it: ``correct``, ``score`` (the fraction
    of right entries, 1 when correct), ``accepted_by`` ("exact", "carried-forward",
    "rounded-intermediates" or None), the ``diagnosis`` in words and its mistake id, and
    ``entries``: per entry, whether it is right (empty when the shape differs)."""

    code: str
    part: int
    correct: bool
    score: Fraction
    accepted_by: str | None
    diagnosis: str | None
    diagnosis_id: str | None
    entries: tuple[tuple[bool, ...], ...]
    lang: str
    graded: grading.Verdict = field(repr=False, compare=False)

    def _repr_html_(self) -> str:
        return html.with_style(html.verdict_html(self.graded, self.lang))

    def __str__(self) -> str:
        return text.verdict_text(self.graded, self.lang)


@dataclass(frozen=True)
class PartSolution:
    number: int
    answer: Any  # exact values as strings, nested like the answer (as show --json)
    rounded: Any  # the same at 2 decimals


@dataclass(frozen=True)
class Solution:
    """The worked solution: every part's exact and 2-decimal answer; its steps show in
    ``str()`` and in Jupyter."""

    code: str
    parts: tuple[PartSolution, ...]
    lang: str
    exercise: engine.Exercise = field(repr=False, compare=False)

    def _repr_html_(self) -> str:
        return html.with_style(html.solution_html(self.exercise, self.lang))

    def __str__(self) -> str:
        return text.solution_text(self.exercise, None, self.lang)


@dataclass(frozen=True)
class Exercise:
    """An exercise: ``code``, ``parts`` (PartInfo), ``check``, ``solve``."""

    exercise: engine.Exercise = field(repr=False)
    lang: str = "en"

    @property
    def code(self) -> str:
        return self.exercise.code

    @property
    def family(self) -> str:
        return self.exercise.instance.family

    @property
    def level(self) -> int | None:
        return self.exercise.instance.level

    @property
    def given(self) -> dict[str, Any]:
        """The given matrices as exact strings (as ``show --json``)."""
        return text.given_dict(self.exercise)

    @property
    def parts(self) -> tuple[PartInfo, ...]:
        ex = self.exercise
        return tuple(PartInfo(n, render(ex.prompt(n), self.lang, "unicode"),
                              shape(ex.approx[key])) for n, key in enumerate(ex.keys, 1))

    def in_lang(self, lang: str) -> Exercise:
        """The same exercise in another language ("en" or "zh")."""
        return Exercise(self.exercise, resolve_lang(lang))

    def check(self, part: int | str, answer: Answer,
              prior: Mapping[int, Answer] | None = None, *, strict: bool = False) -> Verdict:
        """Grade `answer` to `part` as ``handcalc check`` does; `prior` maps earlier parts
        to your answers to them, for carried-forward credit."""
        ex = self.exercise
        number = ex.number(part)
        earlier = {ex.number(n): parse_answer(answer_text(a)) for n, a in (prior or {}).items()}
        v = grading.grade(ex, number, parse_answer(answer_text(answer)), prior=earlier,
                          strict=strict)
        d = v.diagnosis
        return Verdict(v.code, v.part, v.correct, v.score, v.accepted_by,
                       None if d is None else render(d.text(), self.lang, "unicode"),
                       None if d is None else d.mistake.id, v.cells, self.lang, v)

    def solve(self) -> Solution:
        """The worked solution (exact, by sympy)."""
        parts = tuple(PartSolution(p.number, text.nested(p.answer, fmt_exact),
                                   text.nested(p.answer, fmt2)) for p in self.exercise.parts)
        return Solution(self.code, parts, self.lang, self.exercise)

    def _repr_html_(self) -> str:
        return html.with_style(html.exercise_html(self.exercise, self.lang))

    def __str__(self) -> str:
        return text.exercise_text(self.exercise, self.lang, width=100)


def answer_text(answer: Answer) -> str:
    """An answer as the text ``check`` reads: text as it is; a number as its shortest
    repr; a list (or anything with ``tolist``, such as a numpy array) as [..]."""
    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    if isinstance(answer, str):
        return answer
    if isinstance(answer, bool):
        raise TypeError("an answer is text, a number or a list of numbers, not a bool")
    if isinstance(answer, list | tuple):
        return "[" + ", ".join(answer_text(a) for a in answer) + "]"
    if isinstance(answer, int | float | Fraction):
        return str(answer)
    raise TypeError(f"an answer is text, a number or a list of numbers, not {type(answer)}")


def exercise(code: str, lang: str | None = None) -> Exercise:
    """The exercise a code stands for (``worked-4``, ``causal-2-4821``)."""
    return Exercise(engine.build(code), resolve_lang(lang))


def new(family: str, level: int = 1, seed: int | None = None,
        lang: str | None = None, *, given: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        parts: Sequence[str] | None = None) -> Exercise:
    """A fresh exercise of `family` at `level`, drawn from `seed` (default: a new one); or,
    with `given` (matrices as rows of numbers or typed text, "1 0; 0 1"), `params` and
    `parts`, your own exercise from that data (``handcalc families FAMILY`` lists the
    names). Its ``code`` rebuilds it either way."""
    import random

    if given is not None or params is not None or parts is not None:
        from handcalc.exercises.posed import pose

        return Exercise(pose(family.strip().lower(), dict(given or {}), dict(params or {}),
                             tuple(parts) if parts else None), resolve_lang(lang))
    if seed is None:
        seed = random.SystemRandom().randrange(1000, 100000)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < engine.MAX_SEED:
        raise UnknownCode(f"the seed must be a whole number from 0 to {engine.MAX_SEED - 1}")
    return Exercise(engine.generate(family, level, seed), resolve_lang(lang))
