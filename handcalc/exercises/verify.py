"""Verification: many generated exercises recomputed by torch, and the stable-code record.

``verify(count, seed, families)`` draws ``count`` exercises in all, spread evenly over
the chosen families and their levels (round robin over the (family, level) pairs), from
seeds derived from ``seed``: the k-th draw of a pair uses the k-th number of
``random.Random("handcalc-verify:SEED:FAMILY:LEVEL")``, so a run is reproducible and
narrowing it to one family draws the same exercises of that family. For each exercise it

* generates it (``generate`` must terminate) and checks that its code rebuilds the same
  data with a single draw;
* recomputes every part with the torch kernel (within 1e-9 of the exact answer, as
  ``cross_check``: ``reference`` then ``KernelCheck.check_with``);
* checks that no exact answer lies within 0.0005 of a rounding boundary and that every
  catalogued mistake that changes an answer changes its 2-decimal form
  (``rejection(ex)`` must be None).

The first and last happen in ``prepare`` (sympy only), the torch check in ``finish``. For
many exercises, a worker process (one per further CPU) prepares them in chunks from the
first on while this process imports torch, then this process prepares chunks from the
last one back until the two meet, and finishes every chunk with the kernel (see
``verify``): the cores share the work, and the import of torch overlaps it.

It returns a ``Report`` (per family: instances, parts, largest difference, failures);
anything that goes wrong with one exercise is a failure of that exercise, never a crash.
(The golden record of stable codes is handcalc.exercises.golden.)
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from handcalc.exercises.exercise import (
    MAX_SEED,
    KernelCheck,
    Reference,
    draw,
    generate,
    reference,
    rejection,
    torch_kernel,
)
from handcalc.families import FAMILIES, Instance, get_family
from handcalc.io.procs import check_interrupted

DEFAULT_COUNT = 100
PARALLEL_FROM = 60  # fewer exercises are verified in this process (a pool costs more)
MAX_WORKERS = 4
CHUNK = 10  # tasks a worker takes at a time


# ---------------------------------------------------------------- verify


@dataclass(frozen=True)
class Task:
    """One exercise to verify: family, level and the seed it is drawn from."""

    family: str
    level: int
    seed: int

    @property
    def code(self) -> str:
        return f"{self.family}-{self.level}-{self.seed}"


@dataclass(frozen=True)
class Failure:
    """An exercise that failed verification: its code and the reason."""

    code: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    """The verification of one exercise."""

    task: Task
    code: str
    parts: int
    difference: float
    failure: Failure | None


@dataclass(frozen=True)
class FamilyReport:
    family: str
    instances: int
    parts: int
    largest_difference: float
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class Report:
    count: int
    seed: int
    families: tuple[FamilyReport, ...]
    seconds: float

    @property
    def failures(self) -> tuple[Failure, ...]:
        return tuple(f for fam in self.families for f in fam.failures)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def parts(self) -> int:
        return sum(f.parts for f in self.families)

    @property
    def largest_difference(self) -> float:
        return max((f.largest_difference for f in self.families), default=0.0)


def plan(count: int, seed: int = 0, families: Sequence[str] | None = None) -> list[Task]:
    """``count`` tasks spread evenly (round robin) over the families' (family, level) pairs."""
    names = list(families) if families is not None else list(FAMILIES)
    for name in names:
        get_family(name)  # UnknownCode, listing the families, for a bad name
    pairs = [(name, level) for name in names for level in FAMILIES[name].levels]
    rngs = {pair: random.Random(f"handcalc-verify:{seed}:{pair[0]}:{pair[1]}")
            for pair in pairs}
    tasks = []
    for i in range(count):
        name, level = pairs[i % len(pairs)]
        tasks.append(Task(name, level, rngs[name, level].randrange(MAX_SEED)))
    return tasks


def _failure(code: str, e: Exception) -> Failure:
    reason = str(e) if isinstance(e, AssertionError) else f"{type(e).__name__}: {e}"
    return Failure(code, reason)


@dataclass(frozen=True)
class Prepared:
    """One exercise generated, rebuilt from its code, solved exactly and judged by the
    refusal rules (``prepare``; no torch), ready for the torch check (``finish``).

    ``failure`` is what went wrong before the torch check (the exercise is then not
    checked); ``rejected`` what the refusal rules said, reported only when torch agrees
    (as a disagreement is reported first)."""

    task: Task
    code: str
    parts: int
    instance: Instance | None = None
    reference: tuple[Reference, ...] = ()
    failure: Failure | None = None
    rejected: Failure | None = None


def prepare(task: Task) -> Prepared:
    """Everything verify checks of one exercise but torch; every error becomes a Failure."""
    check_interrupted()
    code, parts = task.code, 0
    try:
        ex = generate(task.family, task.level, task.seed)
        code, parts = ex.code, len(ex.parts)
        inst = ex.instance
        assert inst.family is not None and inst.level is not None and inst.seed is not None
        again = draw(inst.family, inst.level, inst.seed)
        if again.given != inst.given or dict(again.params) != dict(inst.params) \
                or again.ask != inst.ask:
            raise AssertionError(f"the code {ex.code} does not rebuild the same data")
        refs = reference(ex)
    except Exception as e:  # noqa: BLE001 - any error is this exercise's failure
        return Prepared(task, code, parts, failure=_failure(code, e))
    try:
        why = rejection(ex)  # decided by generate already: kept on ex
        rejected = None if why is None else Failure(code, why)
    except Exception as e:  # noqa: BLE001
        rejected = _failure(code, e)
    return Prepared(task, code, parts, ex.instance, refs, rejected=rejected)


def prepare_all(tasks: Sequence[Task]) -> list[Prepared]:
    """``prepare`` for a chunk of tasks (the unit of work of a worker process)."""
    return [prepare(task) for task in tasks]


def finish(prep: Prepared, kernel: ModuleType) -> Outcome:
    """The torch check of a prepared exercise (``kernel`` is handcalc.core.kernel), and its
    outcome; every error becomes a Failure."""
    check_interrupted()
    if prep.failure is not None or prep.instance is None:
        return Outcome(prep.task, prep.code, prep.parts, 0.0, prep.failure)
    try:
        worst = KernelCheck(prep.instance, prep.reference).check_with(kernel)
    except Exception as e:  # noqa: BLE001 - any error is this exercise's failure
        return Outcome(prep.task, prep.code, prep.parts, 0.0, _failure(prep.code, e))
    if prep.rejected is not None:
        return Outcome(prep.task, prep.code, prep.parts, 0.0, prep.rejected)
    return Outcome(prep.task, prep.code, prep.parts, worst, None)


def verify_one(task: Task) -> Outcome:
    """Generate one exercise and check it, in this process; every error becomes a Failure."""
    return finish(prepare(task), torch_kernel())


def summarise(outcomes: Iterable[Outcome], *, count: int, seed: int, seconds: float,
              families: Sequence[str] | None = None) -> Report:
    names = list(families) if families is not None else list(FAMILIES)
    by_family: dict[str, list[Outcome]] = {name: [] for name in names}
    for o in outcomes:
        by_family.setdefault(o.task.family, []).append(o)
    return Report(count, seed, tuple(
        FamilyReport(name, len(os), sum(o.parts for o in os),
                     max((o.difference for o in os), default=0.0),
                     tuple(o.failure for o in os if o.failure is not None))
        for name, os in by_family.items() if os), seconds)


def load_kernel(families: Iterable[str] = ()) -> ModuleType:
    """handcalc.core.kernel (importing torch, and what the checks of ``families`` import on
    first use), with torch on one intra-op thread. The garbage collector rests during the
    imports (they make millions of objects and no garbage to speak of: its passes cost a
    tenth of their time), and their objects are set aside until verify ends
    (``_gc_frozen``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        kernel = torch_kernel(families)
    finally:
        if enabled:
            gc.enable()
    import torch  # loaded by now

    # these tensors are tiny: one intra-op thread is far faster than a pool that
    # competes with the other core (16 ms against 0.025 ms for one small SDPA call)
    torch.set_num_threads(1)
    gc.freeze()
    return kernel


@contextlib.contextmanager
def _gc_frozen() -> Iterator[None]:
    """While verify runs, the objects that live on (those of the imports, sympy's and
    torch's: millions, and the caches) are set aside from the garbage collector as they
    come (``gc.freeze`` here, after loading torch and after each chunk), and given back
    after: every full collection walked them all, about a second of verify's CPU time
    for nothing. Garbage dies young and is collected as before. (A caller that froze
    objects of its own keeps them, and these, frozen.)"""
    ours = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if ours:
            gc.unfreeze()


def worker_count(count: int) -> int:
    """How many worker processes verify uses for ``count`` exercises besides its own:
    none (0) for a handful, on one CPU or where processes cannot be forked, else one per
    further CPU, at most MAX_WORKERS."""
    import multiprocessing

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    if cpus < 2 or count < PARALLEL_FROM or \
            "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(cpus - 1, MAX_WORKERS)


def verify(count: int = DEFAULT_COUNT, seed: int = 0, families: Sequence[str] | None = None,
           progress: Callable[[Outcome], None] | None = None,
           workers: int | None = None) -> Report:
    """Verify ``count`` generated exercises (see the module docstring).

    With ``workers`` worker processes (default: ``worker_count(count)``), the tasks go out
    in chunks; the workers prepare them from the first chunk on (sympy only), while this
    process imports torch, then prepares chunks itself from the last one back (those no
    worker has taken yet) and finishes every chunk with the kernel. With 0, all happens
    in this process. Either way every exercise goes through the same two steps, and the
    outcomes are in the order of the tasks."""
    tasks = plan(count, seed, families)
    n = worker_count(count) if workers is None else workers
    with _gc_frozen():
        if n <= 0:
            kernel = load_kernel({t.family for t in tasks})  # before the clock runs
            start = time.perf_counter()
            outcomes = []
            for i, task in enumerate(tasks, 1):
                outcome = finish(prepare(task), kernel)
                outcomes.append(outcome)
                if progress is not None:
                    progress(outcome)
                if i % CHUNK == 0:
                    gc.freeze()
        else:
            start = time.perf_counter()
            outcomes = _verify_in_workers(tasks, n, progress)
    return summarise(outcomes, count=count, seed=seed, seconds=time.perf_counter() - start,
                     families=families)


_claims: Any = None  # verify's chunks taken so far: shared with its forked workers


def _claim(i: int) -> bool:
    """Take chunk i for this process unless another has taken it."""
    with _claims.get_lock():
        if _claims[i]:
            return False
        _claims[i] = 1
        return True


def _worker_chunk(i: int, tasks: Sequence[Task]) -> list[Prepared] | None:
    """In a worker: chunk i prepared, or None when verify's own process took it."""
    if not _claim(i):
        return None
    prepared = prepare_all(tasks)
    gc.freeze()  # as in _gc_frozen (a worker ends with verify)
    return prepared


def _verify_in_workers(tasks: Sequence[Task], workers: int,
                       progress: Callable[[Outcome], None] | None) -> list[Outcome]:
    import multiprocessing

    from handcalc.io.procs import worker_pool

    global _claims
    chunks = [list(tasks[i:i + CHUNK]) for i in range(0, len(tasks), CHUNK)]
    done: list[list[Outcome] | None] = [None] * len(chunks)

    def finish_chunk(i: int, prepared: list[Prepared]) -> None:
        outcomes = done[i] = [finish(prep, kernel) for prep in prepared]
        if progress is not None:
            for outcome in outcomes:
                progress(outcome)
        gc.freeze()  # see _gc_frozen

    def ready(i: int) -> bool:
        """Whether chunk i can be collected now: a worker took it and is done with it (a
        chunk no one took, whose future failed as the pool broke, is left to this
        process to prepare)."""
        f = futures[i]
        return f.done() and (bool(_claims[i]) or f.exception() is None)

    def collect(i: int) -> None:
        """A worker's chunk (waiting for it), finished here."""
        try:
            prepared = futures[i].result()
            if prepared is None:  # cannot be: this process took only chunks after i
                raise RuntimeError(f"chunk {i} was taken by no one")
        except Exception as e:  # noqa: BLE001 - a worker lost: its exercises failed
            prepared = [Prepared(t, t.code, 0, failure=_failure(t.code, e))
                        for t in chunks[i]]
        finish_chunk(i, prepared)

    _claims = multiprocessing.get_context("fork").Array("b", len(chunks))
    try:
        with worker_pool(workers) as pool:
            # the workers are forked at the first submit (sharing _claims), before torch is
            # imported here; they take the chunks from the first on
            futures = [pool.submit(_worker_chunk, i, chunk) for i, chunk in enumerate(chunks)]
            kernel = load_kernel({t.family for t in tasks})  # while the workers prepare
            waiting = 0  # chunks before this one are finished
            last = len(chunks) - 1  # chunks after this one are finished
            while last >= waiting and _claim(last):  # from the last chunk back
                finish_chunk(last, prepare_all(chunks[last]))
                last -= 1
                while waiting <= last and ready(waiting):
                    collect(waiting)
                    waiting += 1
            for i in range(waiting, last + 1):  # the workers took these
                collect(i)
    finally:
        _claims = None
    return [o for chunk in done for o in chunk or ()]


def report_text(report: Report, lang: str = "en", target: str = "unicode") -> str:
    """The per-family table, the totals and the codes that failed, in `lang`."""
    from handcalc.text.messages import tr
    from handcalc.views.render import width_of

    def t(id: str, **args: Any) -> str:
        return tr(id, lang, target, **args)

    header = tuple(t(f"verify.col.{c}")
                   for c in ("family", "instances", "parts", "difference", "failures"))
    rows = [(f.family, str(f.instances), str(f.parts), f"{f.largest_difference:.1e}",
             str(len(f.failures))) for f in report.families]
    rows.append((t("verify.all"), str(sum(f.instances for f in report.families)),
                 str(report.parts), f"{report.largest_difference:.1e}",
                 str(len(report.failures))))
    widths = [max(width_of(r[j]) for r in [header, *rows]) for j in range(len(header))]

    def line(r: Sequence[str]) -> str:
        pads = [" " * (w - width_of(c)) for c, w in zip(r, widths, strict=True)]
        return "  ".join(c + pad if j == 0 else pad + c
                         for j, (c, pad) in enumerate(zip(r, pads, strict=True))).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *map(line, rows[:-1]),
           line(["-" * w for w in widths]), line(rows[-1]), ""]
    n = sum(f.instances for f in report.families)
    seconds = f"{report.seconds:.1f}"
    if report.ok:
        out += [t("verify.ok", n=n, parts=report.parts, seconds=seconds),
                "  " + t("verify.ok.torch"), "  " + t("verify.ok.margin"),
                "  " + t("verify.ok.mistakes")]
    else:
        out.append(t("verify.failed", failed=len(report.failures), n=n, seconds=seconds))
        out += [f"  {f.code}: {f.reason}" for f in report.failures]
    return "\n".join(out)
