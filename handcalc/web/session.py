"""A learner's drill in the browser: the practice Drill (handcalc.views.practice) behind a
JSON view of what the page shows.

The Drill decides everything (three tries a part, skip, carried-forward priors, the
summary); this module only adds what a page needs that a terminal does not: answers typed
into a grid of boxes (each box parsed by the same parser, with the same caps, as
``check``), the exercise left on screen once its last part is over until the learner asks
for the next, and the state as JSON in the language asked for. A part's key and worked
solution enter that JSON only once the part is over.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from handcalc.core.exact import Mat, shape
from handcalc.core.parse import parse_answer
from handcalc.errors import HandcalcError
from handcalc.exercises.exercise import Exercise
from handcalc.exercises.grade import Verdict
from handcalc.text.messages import Msg, error_message, msg, tr
from handcalc.views import html
from handcalc.views.practice import FIRST, MISSED, RETRY, Drill, Outcome, Summary

MAX_SESSIONS = 64  # sessions kept in memory; the oldest is forgotten first
MAX_BOX = 200  # characters of one box; the parser's own caps apply below this


class BoxError(HandcalcError):
    """A box of the answer grid that is empty, or that holds more than one number; or
    `inner`, the parser's error about the box `box`."""

    def __init__(self, message: Msg, box: Msg | str = "",
                 inner: HandcalcError | None = None) -> None:
        super().__init__(message)
        self.box, self.inner = box, inner


def page_error(e: HandcalcError, lang: str) -> str:
    """An error as plain text in `lang` (the page sets it as text, never as markup)."""
    if isinstance(e, BoxError) and e.inner is not None:
        return tr("web.box_error", lang, box=e.box, why=error_message(e.inner, lang))
    return error_message(e, lang)


@dataclass
class PartRecord:
    """What the page shows of one part: its last verdict and how it ended."""

    verdict: Verdict | None = None
    outcome: Outcome | None = None
    error: HandcalcError | None = None


def box_name(rows: int, cols: int, i: int, j: int) -> Msg | str:
    """How a message names box (i, j) of a rows x cols answer (0-based)."""
    if rows == cols == 1:
        return msg("web.box.only")
    if rows == 1 or cols == 1:
        return msg("web.box.entry", n=i * cols + j + 1)
    return msg("web.box.cell", row=i + 1, col=j + 1)


def parse_grid(cells: object, expected: tuple[int, int]) -> Mat:
    """The boxes' texts (a list of rows of strings, shaped like the answer) as one exact
    answer: each box parsed by handcalc.core.parse, one number a box. BoxError or the
    parser's ParseError (naming the box) for anything else."""
    rows, cols = expected
    if (not isinstance(cells, list) or len(cells) != rows or any(
            not isinstance(r, list) or len(r) != cols or
            any(not isinstance(c, str) for c in r) for r in cells)):
        raise BoxError(msg("web.grid_shape", rows=rows, cols=cols))
    out: list[list[Any]] = []
    for i, row in enumerate(cells):
        out.append([])
        for j, text in enumerate(row):
            where = box_name(rows, cols, i, j)
            if not text.strip():
                raise BoxError(msg("web.box_empty", box=where))
            if len(text) > MAX_BOX:
                raise BoxError(msg("web.box_long", box=where, n=MAX_BOX))
            try:
                value = parse_answer(text)
            except HandcalcError as e:
                raise BoxError(msg("web.box_error", box=where, why=str(e)), where, e) from None
            if shape(value) != (1, 1):
                raise BoxError(msg("web.box_one", box=where))
            out[-1].append(value[0][0])
    return tuple(tuple(r) for r in out)


class Session:
    """One learner's drill: the Drill, the exercise on screen and its parts' records."""

    def __init__(self, exercises: Iterable[Exercise]) -> None:
        self.drill = Drill(exercises)
        self.shown: Exercise | None = self.drill.exercise
        self.records: dict[int, PartRecord] = {}
        self.finished = False  # the learner asked for the summary

    # ---------------------------------------------------------------- actions

    def answer(self, cells: object) -> None:
        """Grade the grid against the current part; a BoxError or the grader's
        HandcalcError (kept for the page, no try used) when it cannot be graded."""
        number = self._current()
        record = self.records.setdefault(number, PartRecord())
        try:
            value = parse_grid(cells, shape(self.drill.part.answer))
            feedback = self.drill.answer_value(value)
        except HandcalcError as e:
            record.error = e
            raise
        record.error = None
        record.verdict, record.outcome = feedback.verdict, feedback.outcome

    def skip(self) -> None:
        number = self._current()
        feedback = self.drill.skip()
        record = self.records.setdefault(number, PartRecord())
        record.error, record.outcome = None, feedback.outcome

    def next(self) -> None:
        """Show the next exercise once the one on screen is over."""
        if self.shown is not None and self.drill.exercise is not self.shown:
            self.shown = self.drill.exercise
            self.records = {}

    def finish(self) -> None:
        self.finished = True

    def _current(self) -> int:
        if self.finished or self.shown is None or self.drill.exercise is not self.shown:
            raise BoxError(msg("web.part_over"))
        return self.drill.part.number

    # ---------------------------------------------------------------- the view

    def state(self, lang: str) -> dict[str, Any]:
        """What the page shows, as JSON: the exercise, each part's state, the summary."""
        if self.finished or self.shown is None:
            return {"done": True, "summary": summary_dict(self.drill.summary(), lang)}
        ex = self.shown
        over = self.drill.exercise is not ex
        current = None if over else self.drill.part.number
        parts = [self._part(ex, n, current, lang) for n in range(1, len(ex.keys) + 1)]
        out: dict[str, Any] = {"done": False, "code": ex.code, "html": html.exercise_html(ex, lang),
                               "parts": parts, "current": current, "over": over}
        if over:
            right = sum(1 for r in self.records.values()
                        if r.outcome is not None and r.outcome.result != MISSED)
            out["score"] = tr("practice.exercise_score", lang, code=ex.code, right=right,
                              total=len(ex.keys))
            out["last"] = self.drill.exercise is None
        return out

    def _part(self, ex: Exercise, n: int, current: int | None, lang: str) -> dict[str, Any]:
        rows, cols = shape(ex.approx[ex.keys[n - 1]])  # the shape, from the float screen
        record = self.records.get(n, PartRecord())
        status = ("current" if n == current else "waiting" if record.outcome is None
                  else "missed" if record.outcome.result == MISSED else "right")
        d: dict[str, Any] = {"part": n, "shape": [rows, cols], "status": status,
                             "prompt": html.h(ex.prompt(n), lang),
                             "hint": shape_hint(rows, cols, lang)}
        if n == current:
            d["try"] = self.drill.tries_used + 1
            d["tries"] = self.drill.tries
            d["tries_text"] = tr("web.try", lang, try_=d["try"], tries=d["tries"])
        v = record.verdict
        if v is not None:
            d["verdict"] = {"correct": v.correct, "cells": [list(r) for r in v.cells],
                            "words": html.verdict_words(v, lang),
                            "diagnosis": html.diagnosis_html(v, lang)}
        elif record.outcome is not None:
            d["verdict"] = {"correct": False, "cells": [], "diagnosis": "",
                            "words": html.t("practice.skipped", lang, code=ex.code, part=n)}
        if record.error is not None:
            d["error"] = page_error(record.error, lang)  # plain text, set as text by the page
        if record.outcome is not None and record.outcome.result == MISSED:
            d["solution"] = html.part_solution_html(ex.parts[n - 1], lang)  # the key, now
        return d


def shape_hint(rows: int, cols: int, lang: str) -> str:
    if rows == cols == 1:
        return tr("web.shape.scalar", lang)
    if rows == 1 or cols == 1:
        return tr("web.shape.vector", lang, n=rows * cols)
    return tr("web.shape.matrix", lang, rows=rows, cols=cols)


def summary_dict(s: Summary, lang: str) -> dict[str, Any]:
    def t(id: str, **args: object) -> str:
        return tr(id, lang, "unicode", **args)

    return {
        "title": t("practice.summary"),
        "outcomes": [{"code": o.code, "part": o.part, "result": o.result,
                      "text": t("practice.outcome", code=o.code, part=o.part,
                                result=t(f"practice.result.{o.result}"))}
                     for o in s.outcomes],
        "rows": [[t("practice.first"), str(s.count(FIRST))],
                 [t("practice.retry"), str(s.count(RETRY))],
                 [t("practice.missed"), str(s.count(MISSED))],
                 [t("practice.total"), t("practice.total_value", right=s.right, total=s.total)]],
        "right": s.right, "total": s.total,
    }


class Sessions:
    """The sessions of one server, by an unguessable token; one lock for the engine
    (sympy's caches are shared), which a single learner never waits on."""

    def __init__(self, source: Callable[[], Sequence[Exercise] | Iterable[Exercise]],
                 lang: str = "en") -> None:
        self.source = source
        self.lang = lang  # the page's language until the learner switches
        self.lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def new(self) -> tuple[str, Session]:
        token = secrets.token_urlsafe(18)
        with self.lock:
            session = Session(self.source())
            self._sessions[token] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return token, session

    def get(self, token: object) -> Session | None:
        if not isinstance(token, str):
            return None
        with self.lock:
            found = self._sessions.get(token)
            if found is not None:
                self._sessions.move_to_end(token)
        return found
