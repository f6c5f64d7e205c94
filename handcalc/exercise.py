"""Exercises: from a code to the given data, every part's exact answer and its worked steps.

A code is ``FAMILY-LEVEL-SEED`` (``causal-2-4821``) or ``worked-N``. An instance is
drawn from ``random.Random(seed)``; it is accepted when

* no exact answer lies within 0.0005 of a rounding boundary x.xx5, and
* from level 2 on, every catalogued mistake that changes a part's answer changes its
  2-decimal answer too.

Otherwise seed + 1 is tried, and so on: the code of the exercise is the seed accepted, so
a code printed by handcalc rebuilds its exercise with a single draw. The torch kernel's
agreement is checked by ``cross_check`` (in ``new``, ``solve`` and ``verify``); a
disagreement is a bug in the key, raised as KernelMismatch, never skipped silently.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from handcalc.errors import KernelMismatch, UnknownCode, UnknownPart
from handcalc.exact import NEG_INF, Mat, entries, is_finite, near_boundary, same2, shape
from handcalc.families import FAMILIES, Family, Instance, get_family
from handcalc.work import NotApplicable, Step, Work
from handcalc.worked import WORKED

MAX_SEED = 10**9
SEED_TRIES = 2000
KERNEL_TOL = 1e-9


@dataclass(frozen=True)
class Part:
    number: int
    key: str
    prompt: str
    answer: Mat
    steps: tuple[Step, ...]

    @property
    def kind(self) -> str:
        return kind_of(self.answer)


@dataclass(frozen=True)
class Exercise:
    instance: Instance
    title: str
    statement: str
    parts: tuple[Part, ...]

    @property
    def code(self) -> str:
        return self.instance.code

    @property
    def family(self) -> Family:
        return FAMILIES[self.instance.family]

    @property
    def given(self) -> Mapping[str, Mat]:
        return self.instance.given

    def by_key(self, key: str) -> Part:
        return next(p for p in self.parts if p.key == key)

    def part(self, number: int | str) -> Part:
        try:
            n = int(str(number).strip())
        except ValueError:
            n = -1
        if not 1 <= n <= len(self.parts):
            raise UnknownPart(f"{self.code} has parts 1 to {len(self.parts)}, not '{number}'")
        return self.parts[n - 1]


def kind_of(m: Mat) -> str:
    r, c = shape(m)
    if r == c == 1:
        return "scalar"
    return "vector" if r == 1 or c == 1 else "matrix"


def compute(inst: Instance, *, mistake: str | None = None, rounded: bool = False,
            prior: Mapping[str, Mat] | None = None) -> Work:
    """Run the family's computation; raises NotApplicable for a mistake that can't happen."""
    w = Work(mistake=mistake, rounded=rounded, prior=prior)
    FAMILIES[inst.family].compute(inst, w)
    return w


def assemble(inst: Instance) -> Exercise:
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
    return Exercise(inst, family.title, family.statement(inst), tuple(
        Part(i + 1, key, family.prompt(inst, key), w.results[key], steps)
        for i, (key, steps) in enumerate(parts)))


def mistaken(inst: Instance, mistake: str,
             prior: Mapping[str, Mat] | None = None) -> dict[str, Mat] | None:
    """Every quantity as computed with `mistake` made, or None where it cannot be made."""
    try:
        return compute(inst, mistake=mistake, prior=prior).results
    except (NotApplicable, ZeroDivisionError, ValueError):
        return None


def usable(m: Mat) -> bool:
    """A matrix whose entries are real numbers or -inf (not nan, zoo or +inf)."""
    return all(v == NEG_INF or (v.is_number and is_finite(v) and v.is_real is not False)
               for v in entries(m))


def differs(a: Mat, b: Mat) -> bool:
    """Whether two matrices differ in value (not merely in form)."""
    if shape(a) != shape(b):
        return True
    for x, y in zip(entries(a), entries(b), strict=True):
        if not (is_finite(x) and is_finite(y)):
            if x != y:
                return True
        elif abs(sympy.N(x - y, 30)) > sympy.Float("1e-20"):
            return True
    return False


def rejection(ex: Exercise) -> str | None:
    """Why an instance is not fit to be an exercise, or None when it is."""
    for part in ex.parts:
        if any(near_boundary(v) for v in entries(part.answer)):
            return f"part {part.number} lies within 0.0005 of a rounding boundary"
    level = ex.instance.level
    if level is None or level < 2:
        return None
    for mistake in ex.family.mistakes:
        results = mistaken(ex.instance, mistake)
        if results is None:
            continue
        for part in ex.parts:
            wrong = results.get(part.key)
            if wrong is None or not usable(wrong) or not differs(wrong, part.answer):
                continue
            if same2(wrong, part.answer):
                return f"mistake '{mistake}' gives part {part.number}'s 2-decimal answer"
    return None


_CODE = re.compile(r"^([a-z][a-z-]*?)-(\d+)-(\d+)$")


def parse_code(code: str) -> tuple[str, int, int] | int:
    """(family, level, seed), or the number of a worked exercise."""
    text = code.strip().lower()
    worked = re.fullmatch(r"worked-(\d+)", text)
    if worked:
        n = int(worked.group(1))
        if n not in WORKED:
            raise UnknownCode(f"unknown code '{code}': the worked set has worked-1 to "
                              f"worked-{len(WORKED)}")
        return n
    m = _CODE.match(text)
    if not m:
        raise UnknownCode(f"unknown code '{code}': expected FAMILY-LEVEL-SEED such as "
                          f"causal-2-4821, or worked-1 ... worked-{len(WORKED)}")
    name, level, seed = m.group(1), int(m.group(2)), int(m.group(3))
    family = get_family(name)
    if level not in family.levels:
        raise UnknownCode(f"unknown code '{code}': {name} has levels "
                          f"{', '.join(map(str, family.levels))}")
    if seed >= MAX_SEED:
        raise UnknownCode(f"unknown code '{code}': the seed must be below {MAX_SEED}")
    return name, level, seed


def draw(name: str, level: int, seed: int) -> Instance:
    family = get_family(name)
    d = family.draw(random.Random(seed), level)
    return Instance(f"{name}-{level}-{seed}", name, level, seed, d.given, d.params, d.ask)


def generate(name: str, level: int, seed: int) -> Exercise:
    """The first acceptable exercise drawn from seed, seed + 1, ..."""
    family = get_family(name)
    if level not in family.levels:
        raise UnknownCode(f"{name} has levels {', '.join(map(str, family.levels))}, "
                          f"not {level}")
    for s in range(seed, seed + SEED_TRIES):
        ex = assemble(draw(name, level, s % MAX_SEED))
        if rejection(ex) is None:
            return ex
    raise RuntimeError(f"no acceptable {name} exercise at level {level} near seed {seed}")


def build(code: str) -> Exercise:
    """The exercise a code stands for."""
    parsed = parse_code(code)
    if isinstance(parsed, int):
        return assemble(WORKED[parsed])
    return generate(*parsed)


def cross_check(ex: Exercise) -> float:
    """Recompute every part with the torch kernel; the largest difference, or KernelMismatch."""
    from handcalc import kernel  # torch: only where cross-checking is asked for

    numeric = ex.family.kernel(ex.instance, kernel)
    worst = 0.0
    for part in ex.parts:
        got = numeric[part.key]
        if [len(got), len(got[0])] != list(shape(part.answer)):
            raise KernelMismatch(f"{ex.code} part {part.number}: torch gives shape "
                                 f"{len(got)} x {len(got[0])}")
        for x, y in zip(entries(part.answer), (v for r in got for v in r), strict=True):
            if x == NEG_INF and y == float("-inf"):
                continue
            diff = abs(float(sympy.N(x, 20)) - y) if is_finite(x) else float("inf")
            worst = max(worst, diff)
            if not diff <= KERNEL_TOL * max(1.0, abs(y)):
                raise KernelMismatch(f"{ex.code} part {part.number}: exact {x} but torch "
                                     f"gives {y!r}")
    return worst
