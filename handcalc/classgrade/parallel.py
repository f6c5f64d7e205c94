"""Grading a large class on several cores: this process and forked workers
(handcalc.io.procs.worker_pool) each grade a share of the rows, with the same results, in the
same order, as grading them all here.

A row's verdict depends on the learner's final answers to the parts of its code (carried
forward), so a share holds whole (learner, code) groups: each code's groups are dealt out
in turn (first seen, first dealt), which gives each share about as many rows of each code.
A worker gets its rows as text (learner, code, part, answer) and the exercises they name,
parses the answers again (the same text gives the same value) and sends back, per row, a
number for its verdict (each distinct verdict once, in a few numbers) or the note of an
answer of the wrong shape, or a Failure; this process remakes the verdicts from them.

Workers are used only for ``PARALLEL_ROWS`` well-formed rows or more (below that, forking
and sending the rows cost more than they save) and where processes can be forked; they
are stopped with the command (Ctrl-C, SIGTERM, an error). A worker that dies ends the
command with one line (``WorkerLost``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from handcalc.classgrade import messages as msg
from handcalc.classgrade.core import (
    ClassGrader,
    Failure,
    Outcome,
    Submission,
    grade_in_order,
    outcome,
)
from handcalc.errors import HandcalcError
from handcalc.exercises.exercise import Exercise
from handcalc.exercises.grade import Diagnosis, Verdict, fit_shape

PARALLEL_ROWS = 5_000  # well-formed rows from which grading uses workers (if there are cores)
MAX_PROCESSES = 4  # this process and at most 3 workers

# a verdict as a worker sends it: correct, score (numerator, denominator), cells,
# accepted_by, the diagnosis as (mistake id, part, ids of the mistakes it coincides with)
# or None, the expected shape
Sent = tuple[bool, int, int, tuple[tuple[bool, ...], ...], str | None,
             tuple[str, int, tuple[str, ...]] | None, tuple[int, int]]


class WorkerLost(HandcalcError):
    """A worker process ended before it sent its results (killed, out of memory)."""

    exit_code = 1


@dataclass(frozen=True)
class Share:
    """What a worker grades: its rows as (learner, code, part, answer text), in file order,
    and the exercises of their codes by code, pickled when the share is made (the pool
    sends a share from a thread of its own, while this process grades, and grading adds to
    an exercise's caches)."""

    rows: tuple[tuple[str, str, int, str], ...]
    exercises: bytes

    @classmethod
    def of(cls, rows: tuple[tuple[str, str, int, str], ...], grader: ClassGrader) -> Share:
        codes = dict.fromkeys(code for _, code, _, _ in rows)
        return cls(rows, pickle.dumps({code: grader.exercise(code) for code in codes},
                                      pickle.HIGHEST_PROTOCOL))


def processes(rows: int, workers: int, min_rows: int = PARALLEL_ROWS) -> int:
    """How many processes should grade `rows` well-formed rows: 1 (this one alone) for
    fewer than `min_rows`, where there is a single core or no fork; else one per core,
    at most 1 + `workers` and MAX_PROCESSES."""
    if rows < min_rows or workers < 1 or not hasattr(os, "fork"):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1
    return max(1, min(cores, workers + 1, MAX_PROCESSES))


def deal(subs: Sequence[Submission], n: int) -> list[list[int]]:
    """The indices of `subs` in `n` shares, each in file order: every (learner, code) group
    whole, each code's groups dealt out in turn."""
    share_of: dict[tuple[str, str], int] = {}
    dealt: dict[str, int] = {}
    shares: list[list[int]] = [[] for _ in range(n)]
    for i, sub in enumerate(subs):
        key = (sub.learner, sub.code)
        k = share_of.get(key)
        if k is None:
            k = share_of[key] = dealt.get(sub.code, 0) % n
            dealt[sub.code] = k + 1
        shares[k].append(i)
    return shares


def _sent(v: Verdict) -> Sent:
    d = v.diagnosis
    return (v.correct, v.score.numerator, v.score.denominator, v.cells, v.accepted_by,
            None if d is None else (d.mistake.id, d.part, tuple(m.id for m in d.also)),
            v.expected_shape)


def grade_share(share: Share) -> tuple[list[Sent], list[int | str | Failure]]:
    """In a worker: each row's outcome, a verdict as its number in the list of distinct
    verdicts sent."""
    grader = ClassGrader()
    exercises: dict[str, Exercise] = pickle.loads(share.exercises)
    subs = [Submission(0, learner, code, part, text, grader.parse(text))
            for learner, code, part, text in share.rows]
    final: dict[tuple[str, str], dict[int, Submission]] = {}
    for sub in subs:
        final.setdefault((sub.learner, sub.code), {})[sub.part] = sub
    numbers: dict[int, tuple[Verdict, int]] = {}  # id(verdict) -> (verdict, its number)
    sent: list[Sent] = []
    out: list[int | str | Failure] = []
    for sub in subs:
        got = outcome(grader, exercises[sub.code], sub, final[(sub.learner, sub.code)])
        if isinstance(got, Verdict):
            found = numbers.get(id(got))
            if found is None:
                found = numbers[id(got)] = (got, len(sent))
                sent.append(_sent(got))
            out.append(found[1])
        else:
            out.append(got)
    return sent, out


class _Verdicts:
    """Verdicts remade from what a worker sent, once per (verdict, typed answer)."""

    def __init__(self, grader: ClassGrader, sent: list[Sent]) -> None:
        from handcalc.core.mistakes import CATALOGUE

        self.grader, self.sent, self.catalogue = grader, sent, CATALOGUE
        self.made: dict[tuple[int, int], Verdict] = {}

    def verdict(self, number: int, sub: Submission) -> Verdict:
        key = (number, id(sub.answer))  # the answer is held by its row: its id stays its own
        found = self.made.get(key)
        if found is None:
            correct, num, den, cells, by, diagnosis, expected = self.sent[number]
            why = None if diagnosis is None else Diagnosis(
                self.catalogue[diagnosis[0]], diagnosis[1],
                tuple(self.catalogue[m] for m in diagnosis[2]))
            answer = fit_shape(sub.answer, expected) or sub.answer  # as grade() keeps it
            found = self.made[key] = Verdict(
                sub.code, sub.part, correct, Fraction(num, den), cells, by, why, answer,
                expected, self.grader.exercise(sub.code))
        return found


def grade_in_parallel(grader: ClassGrader, subs: Sequence[Submission],
                      final: Mapping[tuple[str, str], Mapping[int, Submission]],
                      workers: int, min_rows: int | None = None) -> list[Outcome]:
    """Each row's outcome, as grading them in order here gives, with up to `workers`
    worker processes grading shares beside this one when there are at least `min_rows`
    (default PARALLEL_ROWS)."""
    n = processes(len(subs), workers, PARALLEL_ROWS if min_rows is None else min_rows)
    if n == 1:
        return grade_in_order(grader, subs, final)
    from concurrent.futures.process import BrokenProcessPool

    from handcalc.io.procs import worker_pool

    shares = deal(subs, n)
    out: list[Any] = [None] * len(subs)
    try:
        with worker_pool(n - 1) as pool:
            futures = []
            for indices in shares[1:]:
                rows = tuple((subs[i].learner, subs[i].code, subs[i].part, subs[i].text)
                             for i in indices)
                futures.append(pool.submit(grade_share, Share.of(rows, grader)))
            for i in shares[0]:  # this process grades the first share meanwhile
                s = subs[i]
                out[i] = outcome(grader, grader.exercise(s.code), s,
                                 final[(s.learner, s.code)])
            for indices, future in zip(shares[1:], futures, strict=True):
                sent, results = future.result()
                verdicts = _Verdicts(grader, sent)
                for i, got in zip(indices, results, strict=True):
                    out[i] = verdicts.verdict(got, subs[i]) if isinstance(got, int) else got
    except BrokenProcessPool as e:
        raise WorkerLost(msg.refusal("worker_lost", why=str(e))) from None
    return out


@dataclass(frozen=True)
class Parallel:
    """A Grading for handcalc.classgrade.grade_rows and grade_file: up to `workers` worker
    processes beside this one, from `min_rows` well-formed rows (default PARALLEL_ROWS)."""

    workers: int = MAX_PROCESSES - 1
    min_rows: int | None = None

    def __call__(self, grader: ClassGrader, subs: Sequence[Submission],
                 final: Mapping[tuple[str, str], Mapping[int, Submission]]) -> list[Outcome]:
        return grade_in_parallel(grader, subs, final, self.workers, self.min_rows)
