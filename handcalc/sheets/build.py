"""Building a worksheet: the plan of versions (seeds from the spec's seed), each distinct
exercise built once and prepared for the renderers (its key dictionary, its exact values as
Typst and LaTeX math, its words), in two worker processes when there are many, and the
keys cross-checked with torch (handcalc.sheets.keychecks)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from handcalc.errors import SpecError
from handcalc.io.procs import check_interrupted
from handcalc.sheets.keychecks import KeyChecks, check_here, key_checks
from handcalc.sheets.model import (
    ALL_NEEDS,
    FORMATS,
    HEAT_KEYS,
    NEEDS,
    Grid,
    Heat,
    Item,
    Markup,
    Version,
    Worksheet,
)
from handcalc.sheets.spec import SEED_SPAN, Spec

# ---------------------------------------------------------------- seeds and plans

def seed_for(spec_seed: int, section: int, exercise: int, version: int) -> int:
    """The seed version `version` starts from for exercise `exercise` of section `section`
    (all 1-based): 10000..99999, from SHA-256, the same on every machine."""
    text = f"handcalc-worksheet:{spec_seed}:{section}:{exercise}:{version}".encode()
    return 10000 + int.from_bytes(hashlib.sha256(text).digest()[:8], "big") % SEED_SPAN


# A job is what builds one exercise: ("code", code) or ("draw", family, level, seed).
Job = tuple[Any, ...]


def plan(spec: Spec, versions: int | None = None) -> list[list[list[Job]]]:
    """For each version, for each section, the jobs of its exercises."""
    n = spec.versions if versions is None else versions
    out = []
    for k in range(1, n + 1):
        sections = []
        for s, sec in enumerate(spec.sections, 1):
            if sec.family is None:
                sections.append([("code", code) for code in sec.codes])
            else:
                assert spec.seed is not None and sec.level is not None
                sections.append([("draw", sec.family, sec.level,
                                  seed_for(spec.seed, s, e, k))
                                 for e in range(1, sec.count + 1)])
        out.append(sections)
    return out


def markup(ex: Any, lang: str, target: str) -> Markup:
    from handcalc.text.messages import render

    return Markup(render(ex.title, lang, target), render(ex.statement, lang, target),
                  tuple(render(p.prompt, lang, target) for p in ex.parts),
                  tuple(tuple(render(s.label, lang, target) for s in p.steps)
                        for p in ex.parts))


def _heat(part: Any) -> Heat | None:
    """The weights a part shows: its answer when it asks for A (or a), else the last
    step named A (or a) with more than one weight, e.g. the weights on the way to Z."""
    from handcalc.core.exact import approx
    from handcalc.core.rounding import fmt2

    def make(m: Any, after: int) -> Heat:
        return Heat(tuple(tuple(approx(v) for v in r) for r in m),
                    tuple(tuple(fmt2(v) for v in r) for r in m), after)

    if part.key in HEAT_KEYS:
        return make(part.answer, -1)
    for i in range(len(part.steps) - 1, -1, -1):
        value = part.steps[i].value
        if part.steps[i].name in HEAT_KEYS and len(value[0]) > 1:
            return make(value, i)
    return None


def _light_dict(ex: Any) -> dict[str, Any]:
    """What the Typst and Markdown renderers read besides the words (which are in
    Item.text): exercise_dict's fields without the exact strings (printing every exact
    step is the slow part of exercise_dict)."""
    from handcalc.core.rounding import fmt2
    from handcalc.views.render import nested, params_dict

    inst = ex.instance
    return {
        "code": ex.code, "family": inst.family, "level": inst.level, "seed": inst.seed,
        "params": params_dict(ex),
        "parts": [{"part": p.number, "key": p.key, "kind": p.kind,
                   "shape": [len(p.answer), len(p.answer[0])],
                   "rounded": nested(p.answer, fmt2),
                   "steps": [{"rounded": [[fmt2(v) for v in r] for r in s.value]}
                             for s in p.steps]}
                  for p in ex.parts],
    }


TEXT_TARGETS = {"typst": "typst", "latex": "markdown"}  # a need -> the markup of its words


def prepare(ex: Any, needs: frozenset[str] = ALL_NEEDS, lang: str = "en") -> Item:
    """An Item from a handcalc.exercises.exercise.Exercise, holding what `needs` ("typst", "latex",
    "json") asks for, its words in `lang`."""
    from handcalc.core.rounding import simplest_mat
    from handcalc.text.exactmath import (
        exact_brief,
        latex_math,
        typst_math,
        typst_printer,
        typst_terms,
    )
    from handcalc.views.render import exercise_dict

    printer = typst_printer()

    def grids(m: Any, terms: bool = False) -> tuple[Grid, Grid]:
        typst = typst_terms if terms else typst_math
        return (tuple(tuple(typst(v, printer) for v in r) for r in m)
                if "typst" in needs else (),
                tuple(tuple(latex_math(v) for v in r) for r in m) if "latex" in needs else ())

    given = tuple((name, *grids(m)) for name, m in ex.given.items())
    # the answers as the key shows them: a long form of a small fraction (a sum that
    # cancels to 0) printed as that fraction; the JSON key keeps the exact strings
    shown = tuple(simplest_mat(p.answer) for p in ex.parts)
    answers = tuple(grids(m, terms=True) for m in shown)
    # whether each exact answer is short enough to print: decided on its Typst form, the
    # same for every format (the answers' Typst is printed here if no format needs it)
    # a count (Quantity.count) is one whole number: always short enough to print
    brief = tuple(ex.family.quantity(p.key).count or
                  exact_brief(typ if "typst" in needs else
                              tuple(tuple(typst_math(v, printer) for v in r) for r in m))
                  for (typ, _), m, p in zip(answers, shown, ex.parts, strict=True))
    data = exercise_dict(ex, steps=True, lang=lang) if "json" in needs else _light_dict(ex)
    text = {target: markup(ex, lang, target) for need, target in TEXT_TARGETS.items()
            if need in needs}
    return Item(data, given, answers, tuple(_heat(p) for p in ex.parts), text, brief,
                tuple(_shown(p) for p in ex.parts))


def _shown(part: Any) -> tuple[Any, tuple[Any, ...]]:
    """A part's answer and steps as a key prints them (whole numbers as integers)."""
    from handcalc.core.rounding import fmt_shown

    def grid(m: Any) -> Any:
        return tuple(tuple(r) for r in fmt_shown(m))

    return grid(part.answer), tuple(grid(s.value) for s in part.steps)


def run_job(job: Job, needs: frozenset[str] = ALL_NEEDS, lang: str = "en",
            checks: KeyChecks | None = None) -> Item:
    """Build and prepare the exercise of one job; with "check" in `needs`, its key is
    cross-checked with torch, here, or by `checks` when given."""
    check_interrupted()
    item, check = _run_job_apart(job, needs, lang)
    _take_check(check, checks)
    return item


def _take_check(check: Any, checks: KeyChecks | None) -> None:
    """Check an exercise.KernelCheck (None: nothing to check) here, or hand it to
    `checks` when given."""
    if check is None:
        return
    if checks is None:
        check_here([check])
    else:
        checks.add(check)


def job_exercise(job: Job) -> Any:
    """The exercise of a job: its code built, or its draw from a spec's seed. A spec's
    draws are published like codes (a sheet printed from them is graded later by drawing
    them again), so they are drawn under the rules of the first release where those apply
    (exercise.FIRST_RULES): rules added since shape only new draws (``new``, ``practice``)
    and must never change an exam already handed out."""
    from handcalc.exercises.exercise import build, generate

    return build(job[1]) if job[0] == "code" else generate(*job[1:], published=True)


def _run_job_apart(job: Job, needs: frozenset[str], lang: str) -> tuple[Item, Any]:
    """Build and prepare the exercise of one job (also in a worker process), its torch
    check left to do: the item and, with "check" in `needs`, the exercise's
    exercise.KernelCheck."""
    from handcalc.exercises.confirmed import kernel_check

    ex = job_exercise(job)
    return prepare(ex, needs, lang), kernel_check(ex) if "check" in needs else None


def _next_job(job: Job, item: Item) -> Job:
    """The job that skips past `item`'s seed (to avoid a code twice in a version)."""
    return ("draw", job[1], job[2], int(item.data["seed"]) + 1)


PARALLEL_MIN_JOBS = 24


def run_jobs(jobs: Sequence[Job], needs: frozenset[str] = ALL_NEEDS, *, lang: str = "en",
             workers: int | None = None, checks: KeyChecks | None = None,
             progress: Callable[[int], None] | None = None) -> dict[Job, Item]:
    """Every distinct job built once; in `workers` processes (default: 2 when there are
    at least PARALLEL_MIN_JOBS distinct exercises and 2 cores). With "check" in `needs`,
    the keys are cross-checked by `checks` when given, else here (and with workers, by a
    KeyChecks made and waited for here: torch loads once, never in the workers)."""
    todo = list(dict.fromkeys(jobs))
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(todo) >= PARALLEL_MIN_JOBS else 1
    if workers > 1 and len(todo) > 1 and "check" in needs and checks is None:
        with key_checks() as own:
            return run_jobs(todo, needs, lang=lang, workers=workers, checks=own,
                            progress=progress)
    done: dict[Job, Item] = {}
    if workers > 1 and len(todo) > 1:
        from functools import partial

        from handcalc.io.procs import worker_pool

        chunk = max(1, len(todo) // (workers * 8))
        with worker_pool(workers) as pool:
            results = pool.map(partial(_run_job_apart, needs=needs, lang=lang), todo,
                               chunksize=chunk)
            for job, (item, check) in zip(todo, results, strict=True):
                done[job] = item
                _take_check(check, checks)  # `checks` is given: see above
                if progress:
                    progress(1)
    else:
        for job in todo:
            done[job] = run_job(job, needs, lang, checks)
            if progress:
                progress(1)
    return done


def build_worksheet(spec: Spec, versions: int | None = None, *,
                    formats: Iterable[str] = FORMATS, workers: int | None = None,
                    lang: str | None = None, check: bool = False,
                    checks: KeyChecks | None = None,
                    progress: Callable[[int], None] | None = None) -> Worksheet:
    """Every version of the spec (`versions` of them, default the spec's), ready to render
    in `formats`, in `lang` (default: the spec's language, else English). With `check`
    (when a key is written) every exercise's key is cross-checked with the torch kernel
    (exercise.cross_check: KernelMismatch, exit 1, when they disagree): by `checks` when
    given (which implies `check`; the caller waits for them, typesetting meanwhile), else
    before this returns."""
    lang = lang or spec.lang or "en"
    needs = frozenset().union(*(NEEDS[f] for f in formats)) | (
        {"check"} if check or checks is not None else frozenset())
    plans = plan(spec, versions)
    jobs = [job for v in plans for sec in v for job in sec]
    done = run_jobs(jobs, needs, lang=lang, workers=workers, checks=checks,
                    progress=progress)
    out = []
    for k, sections in enumerate(plans, 1):
        used: set[str] = {done[j].code for sec in sections for j in sec if j[0] == "code"}
        built = []
        for sec, jobs_ in zip(spec.sections, sections, strict=True):
            items = []
            for job in jobs_:
                item = done[job]
                if job[0] == "draw":
                    while item.code in used:  # rare: two draws landed on one exercise
                        job = _next_job(job, item)
                        if job not in done:
                            done[job] = run_job(job, needs, lang, checks)
                        item = done[job]
                    used.add(item.code)
                items.append(item)
            if isinstance(sec.points, tuple):  # parse_spec checked one draw; hold it
                for item in items:
                    if len(item.data["parts"]) != len(sec.points):
                        raise SpecError(
                            f"{spec.name}: section {len(built) + 1}, points: "
                            f"{len(sec.points)} numbers, but {item.code} has "
                            f"{len(item.data['parts'])} parts; give one number per part, "
                            "or one number for every part")
            built.append((sec, tuple(items)))
        out.append(Version(k, tuple(built)))
    return Worksheet(spec, tuple(out), lang)


def worksheet_codes(ws: Worksheet) -> list[list[str]]:
    """The codes of each version, in order."""
    return [[it.code for it in v.items] for v in ws.versions]


