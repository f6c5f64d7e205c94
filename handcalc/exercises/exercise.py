"""Exercises: from a code to the given data, every part's exact answer and its worked steps.

A code is ``FAMILY-LEVEL-SEED`` (``causal-2-4821``), ``worked-N``, or a code that carries
given data (``attention~1~...``, handcalc.exercises.datacode). An instance is
drawn from ``random.Random(seed)``; it is accepted when

* no exact answer lies within 0.0005 of a rounding boundary x.xx5,
* no part's whole answer is 0 (it could be guessed), unless the family allows it
  (``Family.zero_allowed``), and the family's own rules hold (``Family.refusal``), and
* every catalogued mistake that changes a part's answer changes its
  2-decimal answer too (from level 2 on).

Otherwise seed + 1 is tried, and so on: the code of the exercise is the seed accepted, so
a code printed by handcalc rebuilds its exercise with a single draw. Both rules are
screened by running the family's math in floats (handcalc.core.work's float kit); the exact
sympy computation is consulted only where the float screen cannot decide, so the
decisions are the exact ones at a fraction of the cost. The torch kernel's
agreement is checked by ``cross_check`` (in ``solve``, worksheet keys and ``verify``); a
disagreement is a bug in the key, raised as KernelMismatch, never skipped silently.
cross_check is ``reference`` (the exact answers as floats held far tighter than the
tolerance) then ``kernel_difference`` (torch against them), so that verify can solve in
worker processes and compare in the one that has torch loaded.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING

from handcalc.core import rational as rat
from handcalc.core.compare import differs, identical, screen_same2, usable
from handcalc.core.exact import Mat, approx_err, entries, is_finite, neg_inf, shape
from handcalc.core.mistakes import LATER_MISTAKES as LATER_MISTAKES  # see FIRST_RULES
from handcalc.core.mistakes import published_mistakes
from handcalc.core.rounding import (
    Undecided,
    near_boundary,
    near_boundary_f,
    same2,
)
from handcalc.core.work import NotApplicable, Step, Work
from handcalc.errors import KernelMismatch, UnknownCode, UnknownPart
from handcalc.exercises.worked import WORKED
from handcalc.families import FAMILIES, Family, Instance, get_family
from handcalc.families.base import Given
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

MAX_SEED = 10**9
DATA_SEP = "~"  # handcalc.exercises.datacode.SEP: a code that carries its data
MAX_CODE_LENGTH = 40
SEED_TRIES = 2000
KERNEL_TOL = 1e-9
# what a float screen may raise where only the exact computation can tell
SCREEN_ERRORS = (ZeroDivisionError, ValueError, OverflowError, Undecided)


def shown(text: str, limit: int = 24) -> str:
    """Typed text as quoted in a message: cut to `limit` characters."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class Part:
    number: int
    key: str
    prompt: Msg
    answer: Mat
    steps: tuple[Step, ...]

    @property
    def kind(self) -> str:
        return kind_of(self.answer)


@dataclass(frozen=True)
class Exercise:
    """An instance with its question; the exact solution is computed when first asked for
    (``parts``), the float screen of its answers likewise (``approx``)."""

    instance: Instance

    @property
    def code(self) -> str:
        return self.instance.code

    @property
    def family(self) -> Family:
        return FAMILIES[self.instance.family]

    @property
    def given(self) -> Mapping[str, Mat]:
        return self.instance.given

    @property
    def title(self) -> Msg:
        return self.family.title

    @property
    def statement(self) -> Msg:
        return self.family.statement(self.instance)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.instance.ask

    @cached_property
    def parts(self) -> tuple[Part, ...]:
        return _solve_parts(self.instance)

    @cached_property
    def approx(self) -> dict[str, Mat]:
        """Every asked quantity computed in floats (the screen; never shown as a key)."""
        return compute(self.instance, numeric=True).results

    @property
    def rational(self) -> dict[str, Mat] | None:
        """Every asked quantity in the rational kit (handcalc.core.rational): an entry of
        an exact kind is the exact value. None where that kit cannot run the math."""
        return self.rational_run()

    @cached_property
    def _rational_runs(self) -> dict[str | None, dict[str, Mat] | None]:
        return {}

    def rational_run(self, mistake: str | None = None) -> dict[str, Mat] | None:
        """rational_results with `mistake` made, run once per exercise: the draw's rules
        and grade's checks of the same exercise share it."""
        runs = self._rational_runs
        if mistake not in runs:
            runs[mistake] = rational_results(self.instance, mistake)
        return runs[mistake]

    @cached_property
    def rejected(self) -> str | None:
        """Why the instance is not fit to be an exercise, or None (see ``rejection``);
        decided once per exercise, as the verdict depends on its data alone."""
        return _rejection(self)

    @cached_property
    def rejected_when_published(self) -> str | None:
        """The same under the rules a published draw keeps (see ``FIRST_RULES``): how a
        printed code and a spec's draw are rebuilt."""
        return _rejection(self, published=True)

    def prompt(self, number: int) -> Msg:
        return self.family.prompt(self.instance, self.keys[number - 1])

    def by_key(self, key: str) -> Part:
        return self.parts[self.keys.index(key)]

    def number(self, number: int | str) -> int:
        """A valid part number from typed text (ASCII digits only), or UnknownPart."""
        text = str(number).strip()
        n = int(text) if _PART.fullmatch(text) else -1
        if not 1 <= n <= len(self.keys):
            raise UnknownPart(msg("error.unknown_part", code=self.code, n=len(self.keys),
                                  part=shown(number)))
        return n

    def part(self, number: int | str) -> Part:
        return self.parts[self.number(number) - 1]


def kind_of(m: Mat) -> str:
    r, c = shape(m)
    if r == c == 1:
        return "scalar"
    return "vector" if r == 1 or c == 1 else "matrix"


def compute(inst: Instance, *, mistake: str | None = None, rounded: bool = False,
            prior: Mapping[str, Mat] | None = None, numeric: bool = False,
            record: bool = True, rational: bool = False) -> Work:
    """Run the family's computation; raises NotApplicable for a mistake that can't happen.

    numeric=True runs it in floats: a screen, never an answer key. A mistake that can be
    made but blocks a later step (stacking heads along rows leaves nothing W^O can
    multiply) keeps the results computed before that step. record=False keeps no worked
    steps (for a screen that needs only the results); rational=True runs the rational
    kit (handcalc.core.rational), the screen's second look."""
    w = Work(mistake=mistake, rounded=rounded, prior=prior, numeric=numeric, record=record,
             rational=rational)
    try:
        FAMILIES[inst.family].compute(inst, w)
    except NotApplicable:
        if not w.results:
            raise
    return w


def rational_results(inst: Instance, mistake: str | None = None) -> dict[str, Mat] | None:
    """The quantities in the rational kit (with `mistake` made), {} where the mistake
    cannot be made, None where the kit fails (the exact path decides then)."""
    try:
        return compute(inst, mistake=mistake, numeric=True, record=False,
                       rational=True).results
    except NotApplicable:
        return {}
    except Exception:  # noqa: BLE001 - a screen that cannot run leaves the decision to sympy
        return None


def rational_entry(ex: Exercise, key: str, i: int) -> object | None:
    """Entry i of quantity `key` when the rational kit has it as an exact rational (or
    -inf), else None."""
    values = ex.rational
    if values is None or key not in values:
        return None
    v = entries(values[key])[i]
    return v if rat.is_rational(v) else None


def _solve_parts(inst: Instance) -> tuple[Part, ...]:
    family = FAMILIES[inst.family]
    w = compute(inst)
    parts, pending = [], []
    asked = set(inst.ask)
    for key, steps in w.steps.items():
        pending.extend(steps)
        if key in asked:
            parts.append((key, tuple(pending)))
            pending = []
    order = {k: i for i, k in enumerate(inst.ask)}
    parts.sort(key=lambda p: order[p[0]])
    return tuple(Part(i + 1, key, family.prompt(inst, key), w.results[key], steps)
                 for i, (key, steps) in enumerate(parts))


def assemble(inst: Instance) -> Exercise:
    return Exercise(inst)


def mistaken(inst: Instance, mistake: str,
             prior: Mapping[str, Mat] | None = None) -> dict[str, Mat] | None:
    """Every quantity as computed with `mistake` made, or None where it cannot be made."""
    try:
        return compute(inst, mistake=mistake, prior=prior).results
    except (NotApplicable, ZeroDivisionError, ValueError):
        return None


def rejection(item: Exercise | Instance) -> str | None:
    """Why an instance is not fit to be an exercise, or None when it is (kept on the
    Exercise, so that asking again, as verify does after generate, costs nothing)."""
    ex = item if isinstance(item, Exercise) else Exercise(item)
    return ex.rejected


# The rules a published draw was accepted under: a code printed by `new` or on a sheet, and
# a spec's draws (``generate(..., published=True)``: ``build(code)``, sheets.build), must
# rebuild the same exercise in every later release, so rules added since shape new draws only.
#
# * FIRST_RULES: the families and levels of the first release. Their published draws keep
#   that release's rules alone: no part near a rounding boundary, and the catalogued
#   mistakes of the time told apart. The rules added since (no part whose whole answer is 0,
#   a family's own refusal, no entry of a quantity a family keeps visible that prints as
#   0.00) shape new draws only.
# * LATER_MISTAKES (kept with the catalogue, handcalc.core.mistakes, so that the families'
#   draw-time screens can read it too): the mistakes catalogued for a family after its codes
#   were published. They are left out of the acceptance of every published draw, of every
#   family and level (window, linear, cost and gqa's level 4 as much as the first
#   release's), and out of handcalc.families.apart's draw-time screen, which shapes the data
#   of a seed itself. Likewise ``Family.later_refusal``: a family's rules added after its
#   codes were published. New draws (``generate`` without ``published``) use every mistake
#   and every rule.
#
# A code drawn now passes both, so it rebuilds itself.
FIRST_RULES = {name: (1, 2, 3) for name in (
    "score", "attention", "keys", "causal", "heads", "concat", "layernorm", "variance",
    "projection-grad", "mha", "gqa", "decode", "padding", "cross", "rmsnorm", "softmax-grad",
    "attention-grad", "online-softmax", "rope", "temperature")}


def _rejection(ex: Exercise, published: bool = False) -> str | None:
    """Why the exercise is refused: under every rule, or (``published``) under the rules its
    published draws keep (see FIRST_RULES)."""
    inst, screen = ex.instance, ex.approx
    first_rules = published and inst.level in FIRST_RULES.get(inst.family, ())

    def exact_value(key: str) -> Mat:
        return ex.by_key(key).answer  # solves exactly once, kept on ex

    for number, key in enumerate(inst.ask, 1):
        for i, f in enumerate(entries(screen[key])):
            near = near_boundary_f(f)
            if near is None:
                q = rational_entry(ex, key, i)
                near = rat.near_boundary(q) if q is not None else \
                    near_boundary(entries(exact_value(key))[i])
            if near:
                return f"part {number} lies within 0.0005 of a rounding boundary"
    if inst.level is None:  # the worked set is posed as it is
        return None
    family = FAMILIES[inst.family]
    mistakes = published_mistakes(family.name, family.mistakes) if published \
        else family.mistakes
    for number, key in enumerate(inst.ask, 1):
        if (not first_rules and all(abs(f) < 1e-9 for f in entries(screen[key]))
                and not family.zero_allowed(inst, key)):
            qs = [rational_entry(ex, key, i) for i in range(len(entries(screen[key])))]
            if all(q is not None for q in qs):
                zero = not rat.differs(qs, [Fraction(0)] * len(qs))
            else:
                value = exact_value(key)
                zero = not differs(value, tuple(tuple(sympy.Integer(0) for _ in r)
                                                for r in value))
            if zero:
                return f"part {number}'s whole answer is 0"
    why = None if first_rules else family.refusal(inst)
    if why is None and not published:
        why = family.later_refusal(inst)
    if why is not None:
        return why
    for number, key in enumerate(inst.ask, 1):
        if not first_rules and key in family.visible and \
                any(1e-9 < abs(f) < 0.005 for f in entries(screen[key])):
            return f"part {number} has an entry that is not 0 but prints as 0.00"
    for mistake in mistakes:
        try:
            wrong = compute(inst, mistake=mistake, numeric=True)
        except NotApplicable:
            continue
        except SCREEN_ERRORS:
            wrong = None
        results: dict[str, Mat] | None = None  # the exact mistaken values, once needed
        exact_done = False
        for number, key in enumerate(inst.ask, 1):
            if wrong is not None:
                if key not in wrong.results or not wrong.affected[key]:
                    continue
                same = screen_same2(wrong.results[key], screen[key])
                if same is False:
                    continue
            else:
                same = None
            if same is None and ex.rational is not None and key in ex.rational:
                rational_wrong = ex.rational_run(mistake)
                if rational_wrong is not None:
                    if key not in rational_wrong:
                        same = False  # the mistake cannot be made, or stops before key
                    elif shape(rational_wrong[key]) != shape(ex.rational[key]):
                        same = False
                    else:
                        same = rat.same2(entries(rational_wrong[key]),
                                         entries(ex.rational[key]))
            if same is None:
                if not exact_done:
                    results, exact_done = mistaken(inst, mistake), True
                value = None if results is None else results.get(key)
                right = exact_value(key)
                # the same expression is the same value: differs() would say so, slowly
                same = (value is not None and not identical(value, right) and usable(value)
                        and differs(value, right) and same2(value, right))
            if same:
                return f"mistake '{mistake}' gives part {number}'s 2-decimal answer"
    return None


# ASCII digits only: \d and int() also take other scripts' digits (Arabic-Indic, full-width)
_CODE = re.compile(r"([a-z][a-z-]*?)-([0-9]+)-([0-9]+)", re.ASCII)
_WORKED = re.compile(r"worked-([0-9]+)", re.ASCII)
_PART = re.compile(r"[0-9]{1,6}", re.ASCII)


def parse_code(code: str) -> tuple[str, int, int] | int | Instance:
    """(family, level, seed), the number of a worked exercise, or the Instance of a code
    that carries its data (handcalc.exercises.datacode; validated as typed data is)."""
    if DATA_SEP in code:  # datacode.is_data_code, without importing the data parser
        from handcalc.exercises import datacode

        return datacode.decode(code)
    text = code.strip().lower()
    if len(text) > MAX_CODE_LENGTH:
        raise UnknownCode(f"unknown code '{shown(code)}': a code has at most "
                          f"{MAX_CODE_LENGTH} characters, such as causal-2-4821")
    if not code.strip().isascii():  # before lower(), which makes "k" of the Kelvin sign
        raise UnknownCode(f"unknown code '{shown(code)}': a code is written in ASCII letters, "
                          "digits and hyphens, such as causal-2-4821")
    worked = _WORKED.fullmatch(text)
    if worked:
        n = int(worked.group(1))
        if n not in WORKED:
            raise UnknownCode(msg("error.code.worked", code=shown(code), n=len(WORKED)))
        return n
    m = _CODE.fullmatch(text)
    if not m:
        raise UnknownCode(msg("error.code.form", code=shown(code), n=len(WORKED)))
    name, level, seed = m.group(1), int(m.group(2)), int(m.group(3))
    family = get_family(name)
    if level not in family.levels:
        raise UnknownCode(msg("error.code.levels", code=shown(code), name=name,
                              levels=", ".join(map(str, family.levels))))
    if seed >= MAX_SEED:
        raise UnknownCode(f"unknown code '{shown(code)}': the seed must be below {MAX_SEED}")
    return name, level, seed


def draw(name: str, level: int, seed: int) -> Instance:
    family = get_family(name)
    d = family.draw(random.Random(seed), level)
    return Instance(f"{name}-{level}-{seed}", name, level, seed, Given(d.given), d.params,
                    d.ask)


def generate(name: str, level: int, seed: int, *, published: bool = False) -> Exercise:
    """The first acceptable exercise drawn from seed, seed + 1, ...; with `published`, as a
    printed code is rebuilt (under the rules it was drawn under: FIRST_RULES)."""
    family = get_family(name)
    if level not in family.levels:
        raise UnknownCode(f"{name} has levels {', '.join(map(str, family.levels))}, "
                          f"not {level}")
    for s in range(seed, seed + SEED_TRIES):
        ex = assemble(draw(name, level, s % MAX_SEED))
        if (ex.rejected_when_published if published else rejection(ex)) is None:
            return ex  # keeps the float screen (and any exact solve) rejection made
    raise RuntimeError(f"no acceptable {name} exercise at level {level} near seed {seed}")


def build(code: str) -> Exercise:
    """The exercise a code stands for."""
    parsed = parse_code(code)
    if isinstance(parsed, int):
        return assemble(WORKED[parsed])
    if isinstance(parsed, Instance):
        return assemble(parsed)
    return generate(*parsed, published=True)


def torch_kernel(families: Iterable[str] = ()) -> ModuleType:
    """handcalc.core.kernel, torch imported on first use, with what the checks of
    `families` import (kernel.preload). A Ctrl-C or SIGTERM that comes meanwhile is handled
    once the import is done (handcalc.io.procs.signals_held): torch's loading code may drop
    its exception, or be left unable to load again in this process."""
    from handcalc.io.procs import signals_held

    with signals_held():
        from handcalc.core import kernel

        kernel.preload(families)
    return kernel


def cross_check(ex: Exercise) -> float:
    """Recompute every part with the torch kernel; the largest difference, or KernelMismatch."""
    kernel = torch_kernel()  # torch: only where cross-checking is asked for
    refs = reference(ex)
    return kernel_difference(ex.code, refs, ex.family.kernel(ex.instance, kernel),
                             lambda number, i: str(entries(ex.parts[number - 1].answer)[i]))


@dataclass(frozen=True)
class KernelCheck:
    """cross_check's work split in two: what it needs of the exact solution (the
    references, floats) taken where the exercise was solved, and the torch half done in
    another process (``check_with``), which then needs neither sympy's solving nor the
    exercise: its instance (the given data) rebuilds the torch computation."""

    instance: Instance
    references: tuple[Reference, ...]
    digest: str = ""  # confirmed.answers_digest of the exact answers ("": not recorded)

    def check_with(self, kernel: ModuleType) -> float:
        """The largest difference of torch (``kernel`` is handcalc.core.kernel) from the exact
        answers, or KernelMismatch, worded as cross_check would (the exact entry that
        disagrees is solved again, only then)."""
        inst = self.instance
        return kernel_difference(inst.code, self.references,
                                 FAMILIES[inst.family].kernel(inst, kernel),
                                 lambda number, i: str(entries(
                                     build(inst.code).parts[number - 1].answer)[i]))


def kernel_check(ex: Exercise, digest: str = "") -> KernelCheck:
    """The first half of cross_check(ex), in the process that solves ex; `digest` names
    its answers in the record of confirmed keys (handcalc.exercises.confirmed)."""
    return KernelCheck(ex.instance, reference(ex), digest)


NEG_INF_REF = "-inf"  # a reference entry for an exact -oo: torch must give -inf


@dataclass(frozen=True)
class Reference:
    """What the torch kernel is held to for one part, taken from its exact answer: the
    shape and, per entry, a float within 1e-3 * KERNEL_TOL of the exact value (from
    approx_err's bound, else a 20-digit evaluation), NEG_INF_REF for -oo, or None for a
    value that is not a finite number (no torch value can match it). Floats only, so that
    one process can solve exactly and another, with torch loaded, compare."""

    number: int
    key: str
    shape: tuple[int, int]
    values: tuple[float | str | None, ...]


def reference(ex: Exercise) -> tuple[Reference, ...]:
    """Every part's Reference (solving the exercise exactly if it is not yet solved)."""
    return tuple(Reference(p.number, p.key, shape(p.answer),
                           tuple(_reference_value(x) for x in entries(p.answer)))
                 for p in ex.parts)


def _reference_value(x: sympy.Expr) -> float | str | None:
    if x == neg_inf():
        return NEG_INF_REF
    v, e = approx_err(x)
    if math.isfinite(v) and e <= 1e-3 * KERNEL_TOL * max(1.0, abs(v)):
        return v  # nearly always: the bound is tiny next to the tolerance
    return float(sympy.N(x, 20)) if is_finite(x) else None


def kernel_difference(code: str, refs: tuple[Reference, ...],
                      numeric: Mapping[str, list[list[float]]],
                      exact: Callable[[int, int], str]) -> float:
    """The largest |exact - torch| over the parts, or KernelMismatch when an entry differs
    by more than KERNEL_TOL (relative to torch's value when it exceeds 1) or a shape
    differs. ``exact(number, i)`` is the text of part number's i-th exact entry (asked
    for only to word a mismatch)."""
    worst = 0.0
    for ref in refs:
        got = numeric[ref.key]
        if [len(got), len(got[0])] != list(ref.shape):
            raise KernelMismatch(f"{code} part {ref.number}: torch gives shape "
                                 f"{len(got)} x {len(got[0])}")
        for i, (r, y) in enumerate(zip(ref.values, (v for row in got for v in row),
                                       strict=True)):
            if r == NEG_INF_REF and y == -math.inf:
                continue
            diff = abs(r - y) if isinstance(r, float) else math.inf
            worst = max(worst, diff)
            if not diff <= KERNEL_TOL * max(1.0, abs(y)):
                raise KernelMismatch(f"{code} part {ref.number}: exact {exact(ref.number, i)} "
                                     f"but torch gives {y!r}")
    return worst
