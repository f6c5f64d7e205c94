"""The practice drill: exercises one at a time, each part asked in turn, three tries a part.

UI-agnostic: a ``Drill`` holds the state of a session and grades typed text; ``run`` drives
it with two callables, ``ask(prompt) -> str`` (raising EOFError or KeyboardInterrupt to
stop) and ``say(text)``, so the terminal command and the tests share one loop.

* A typed answer is parsed and graded with ``handcalc.exercises.grade.grade``; the learner's last
  answers to the earlier parts of the same exercise are its ``prior``, so an error carried
  forward is credited.
* Text that is not an answer (``ParseError``, ``ShapeError``: any ``HandcalcError``) is
  explained in one line and asked again without using a try.
* A part is over when it is right, or after three wrong tries (or ``skip``); a missed
  part's worked solution (its steps and answer) is shown.
* ``quit``, end of input or Ctrl-C end the session with the summary so far: parts right
  on the first try, right after retries, missed, and the total.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from handcalc.core.exact import Mat, shape
from handcalc.core.parse import parse_answer
from handcalc.core.rounding import simplest_mat
from handcalc.exercises.exercise import Exercise, Part, generate
from handcalc.exercises.grade import Verdict, fit_shape, grade

TRIES = 3
MAX_LINE = 10_000  # characters of one typed line; the rest of a longer line is discarded
FIRST, RETRY, MISSED = "first try", "after retries", "missed"
# the commands, in either language (a Chinese input method types 跳过 as easily as skip)
SKIP, QUIT = ("skip", "跳过"), ("quit", "exit", "退出")
SEED_RANGE = 100000


@dataclass(frozen=True)
class Outcome:
    """How one part of an exercise ended."""

    code: str
    part: int
    tries: int
    result: str  # FIRST, RETRY or MISSED


@dataclass(frozen=True)
class Feedback:
    """What one graded try (or a skip) gave."""

    exercise: Exercise
    part: Part
    verdict: Verdict | None  # None for a skip
    tries_left: int
    outcome: Outcome | None  # set when the part is over


@dataclass(frozen=True)
class Summary:
    outcomes: tuple[Outcome, ...]
    unfinished: tuple[str, int] | None = None  # (code, part) left after a wrong try

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def right(self) -> int:
        return self.count(FIRST) + self.count(RETRY)

    @property
    def total(self) -> int:
        return len(self.outcomes)


class Drill:
    """The state of a session: the current exercise and part, tries used, answers given."""

    def __init__(self, exercises: Iterable[Exercise], tries: int = TRIES) -> None:
        self.tries = tries
        self._exercises: Iterator[Exercise] = iter(exercises)
        self.exercise: Exercise | None = next(self._exercises, None)
        self._index = 0
        self.tries_used = 0
        self._answers: dict[int, Mat] = {}
        self._outcomes: list[Outcome] = []

    @property
    def done(self) -> bool:
        return self.exercise is None

    @property
    def number(self) -> int:
        """The current part's number."""
        return self._index + 1

    @property
    def answer_shape(self) -> tuple[int, int]:
        """The current part's answer's shape, from the float screen: the exercise and its
        first prompt show before anything is solved exactly."""
        if self.exercise is None:
            raise RuntimeError("the session is over")
        return shape(self.exercise.approx[self.exercise.keys[self._index]])

    @property
    def part(self) -> Part:
        if self.exercise is None:
            raise RuntimeError("the session is over")
        return self.exercise.parts[self._index]

    def prior(self) -> dict[int, Mat]:
        """The learner's last answers to the earlier parts, where their shape fits."""
        assert self.exercise is not None
        return {n: a for n, a in self._answers.items() if n < self.part.number
                and fit_shape(a, shape(self.exercise.part(n).answer)) is not None}

    def answer(self, text: str) -> Feedback:
        """Grade typed text against the current part. Raises HandcalcError (unparseable
        text, wrong shape) without using a try."""
        return self.answer_value(parse_answer(text))

    def answer_value(self, value: Mat) -> Feedback:
        """Grade an answer already parsed (by handcalc.core.parse) against the current
        part, as ``answer`` does typed text (the browser drill parses entry by entry)."""
        ex, part = self.exercise, self.part
        assert ex is not None
        verdict = grade(ex, part.number, value, prior=self.prior())
        self.tries_used += 1
        self._answers[part.number] = verdict.answer
        if verdict.correct:
            return self._finish(verdict, FIRST if self.tries_used == 1 else RETRY)
        if self.tries_used >= self.tries:
            return self._finish(verdict, MISSED)
        return Feedback(ex, part, verdict, self.tries - self.tries_used, None)

    def skip(self) -> Feedback:
        """Give up the current part: it counts as missed."""
        return self._finish(None, MISSED)

    def _finish(self, verdict: Verdict | None, result: str) -> Feedback:
        ex, part = self.exercise, self.part
        assert ex is not None
        outcome = Outcome(ex.code, part.number, self.tries_used, result)
        self._outcomes.append(outcome)
        self._index += 1
        self.tries_used = 0
        if self._index == len(ex.parts):
            self.exercise = next(self._exercises, None)
            self._index = 0
            self._answers = {}
        return Feedback(ex, part, verdict, 0, outcome)

    def summary(self) -> Summary:
        unfinished = None
        if self.exercise is not None and self.tries_used:
            unfinished = (self.exercise.code, self.part.number)
        return Summary(tuple(self._outcomes), unfinished)


def drill_families(families: Sequence[str], level: int) -> list[str]:
    """The families a drill draws from: those named (UnknownCode for an unknown one, or
    one without `level`, before the drill starts), else every family that has `level`."""
    from handcalc.errors import UnknownCode
    from handcalc.families import FAMILIES, get_family

    names = list(dict.fromkeys(get_family(f.lower()).name for f in families))
    for name in names:
        levels = FAMILIES[name].levels
        if level not in levels:
            raise UnknownCode(f"{name} has levels {', '.join(map(str, levels))}, not {level}")
    return names or [name for name, f in FAMILIES.items() if level in f.levels]


def session_exercises(families: Sequence[str], level: int, count: int,
                      seed: int) -> Iterator[Exercise]:
    """`count` exercises drawn from `families` (each once before any repeats), made one
    at a time; the same arguments give the same session."""
    rng = random.Random(seed)
    order: list[str] = []
    while len(order) < count:
        order += rng.sample(list(families), len(families))
    for name in order[:count]:
        yield generate(name, level, rng.randrange(1, SEED_RANGE))


# ---------------------------------------------------------------- input


def read_line(stream: TextIO | None, limit: int = MAX_LINE) -> tuple[str, bool]:
    """One line from `stream` without its line break, and whether it was cut: at most
    `limit` characters are kept and the rest of a longer line is read and discarded, so
    no line, however long, is held in memory. EOFError at the end of input and when
    the stream is closed or missing (``<&-``)."""
    if stream is None:
        raise EOFError
    try:
        line = stream.readline(limit + 1)
        if line == "":
            raise EOFError
        if len(line) <= limit or line.endswith("\n"):
            return line.rstrip("\r\n"), False
        rest = line
        while rest and not rest.endswith("\n"):
            rest = stream.readline(1 << 16)
    except (OSError, ValueError):  # a closed stream (ValueError) or a failing one
        raise EOFError from None
    return line[:limit], True


# ---------------------------------------------------------------- text


def part_solution_text(part: Part, lang: str = "en", target: str = "unicode") -> str:
    """The worked solution of one part: its steps, exact answer and 2-decimal answer."""
    from handcalc.text.messages import render, tr
    from handcalc.views.render import labelled, pretty_lines, rounded_lines, terminal_width, wrap

    out = [wrap(tr("practice.solution", lang, target, part=part.number, prompt=part.prompt),
                terminal_width())]
    out += [labelled(render(step.label, lang, target), rounded_lines(step.value, target))
            for step in part.steps]
    out.append(labelled(tr("solution.exact", lang, target),
                        pretty_lines(simplest_mat(part.answer), target)))
    out.append(labelled(tr("solution.answer", lang, target), rounded_lines(part.answer, target)))
    return "\n".join(out)


def summary_text(s: Summary, lang: str = "en", target: str = "unicode") -> str:
    from handcalc.text.messages import tr
    from handcalc.views.render import width_of

    def t(id: str, **args: object) -> str:
        return tr(id, lang, target, **args)

    out = ["", t("practice.summary")]
    out += ["  " + t("practice.outcome", code=o.code, part=o.part,
                     result=t(f"practice.result.{o.result}")) for o in s.outcomes]
    if s.unfinished:
        out.append("  " + t("practice.stopped", code=s.unfinished[0], part=s.unfinished[1]))
    rows = [(t("practice.first"), str(s.count(FIRST))), (t("practice.retry"), str(s.count(RETRY))),
            (t("practice.missed"), str(s.count(MISSED))),
            (t("practice.total"), t("practice.total_value", right=s.right, total=s.total))]
    width = max(width_of(a) for a, _ in rows) + 1
    out += [f"  {a}{' ' * (width - width_of(a))}{b}" for a, b in rows]
    return "\n".join(out)


def help_text(lang: str = "en", target: str = "unicode") -> str:
    from handcalc.text.messages import tr
    from handcalc.views.render import terminal_width, wrap

    return wrap(tr("practice.help", lang, target, tries=TRIES), terminal_width())


def more_rows(text: str, part: Part, ask: Callable[[str], str],
              t: Callable[..., str]) -> str:
    """A matrix typed a row per line: when the line holds exactly one row of the part's
    matrix (no brackets, no ';'), the next rows are asked for, each on its own line (an
    empty line stops), and the lines are joined as rows."""
    from handcalc.errors import HandcalcError

    rows, cols = shape(part.answer)
    if rows < 2 or cols < 2 or "[" in text or ";" in text:
        return text
    try:
        if shape(parse_answer(text)) != (1, cols):
            return text
    except HandcalcError:
        return text
    lines = [text.strip()]
    while len(lines) < rows:
        line = ask(t("practice.next_row", row=len(lines) + 1, rows=rows))
        if not line.strip():
            break
        lines.append(line.strip())
    return "; ".join(lines)


def shape_text(size: tuple[int, int], lang: str = "en", target: str = "unicode") -> str:
    """What a part's answer looks like (rows x cols), as the prompt says it."""
    from handcalc.text.messages import tr

    rows, cols = size
    if rows == cols == 1:
        return tr("practice.shape.scalar", lang, target)
    if rows == 1 or cols == 1:
        return tr("practice.shape.vector", lang, target, n=rows * cols)
    return tr("practice.shape.matrix", lang, target, rows=rows, cols=cols)


HELP_WORDS = ("help", "?", "？", "帮助")
SHOW_WORDS = ("show", "显示")


def run(drill: Drill, ask: Callable[[str], str], say: Callable[[str], None],
        lang: str = "en", target: str = "unicode") -> Summary:
    """Drive a session: show each exercise, ask its parts, answer at once; EOFError or
    KeyboardInterrupt from `ask` (or anywhere in the loop) ends it with the summary.
    'help' or '?' shows the answer syntax and 'show' the exercise again, without using a
    try; after each exercise its score and a separating line."""
    from handcalc.errors import HandcalcError
    from handcalc.text.messages import error_message, tr
    from handcalc.views.render import exercise_text, terminal_width, verdict_text, wrap

    def t(id: str, **args: object) -> str:
        """A message as prose: folded to the terminal's width, Chinese rules kept."""
        return wrap(tr(id, lang, target, **args), terminal_width())

    shown = None
    try:
        while drill.exercise is not None:
            ex = drill.exercise
            if ex is not shown:
                say("\n" + exercise_text(ex, lang, target) + "\n")
                shown = ex
            text = ask(tr("practice.prompt", lang, target, part=drill.number,
                          try_=drill.tries_used + 1, tries=drill.tries,
                          shape=shape_text(drill.answer_shape, lang, target)))
            part = drill.part  # solved exactly once the learner has typed something
            word = text.replace("\u3000", " ").strip().lower()
            if not word:
                say(t("practice.empty"))
                continue
            if word in QUIT:
                break
            if word in HELP_WORDS:
                say(help_text(lang, target))
                continue
            if word in SHOW_WORDS:
                say("\n" + exercise_text(ex, lang, target) + "\n")
                continue
            if word in SKIP:
                feedback = drill.skip()
            else:
                text = more_rows(text, part, ask, t)
                try:
                    feedback = drill.answer(text)
                except HandcalcError as e:
                    say(t("practice.not_graded", why=error_message(e, lang, target)))
                    continue
            say(verdict_text(feedback.verdict, lang, target) if feedback.verdict is not None
                else t("practice.skipped", code=feedback.exercise.code,
                       part=feedback.part.number))
            if feedback.outcome is None:
                left = feedback.tries_left
                say(t("practice.try_again_one") if left == 1 else
                    t("practice.try_again", left=left))
            elif feedback.outcome.result == MISSED:
                say("\n" + part_solution_text(feedback.part, lang, target) + "\n")
            if feedback.outcome is not None and feedback.part.number == len(ex.parts):
                mine = [o for o in drill.summary().outcomes if o.code == ex.code]
                right = sum(o.result != MISSED for o in mine[-len(ex.parts):])
                say(t("practice.exercise_score", code=ex.code, right=right,
                      total=len(ex.parts)))
                say("─" * 40 if target == "unicode" else "-" * 40)
    except (EOFError, KeyboardInterrupt):
        say("")
    summary = drill.summary()
    say(summary_text(summary, lang, target))
    return summary
