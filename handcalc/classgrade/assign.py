"""What was assigned: from a worksheet spec and a number of versions, the exercises of each
version in order (the codes the worksheet prints or hides), and the points of each part.

Exercise e of version k is the e-th exercise of version k's sheet, built exactly as
``handcalc worksheet SPEC --versions N`` builds it. Points come from the spec through
``handcalc.sheets.spec.points_of`` where the worksheet module has it, else one point a part;
that choice is made in ``part_points`` only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from handcalc.classgrade import messages as msg
from handcalc.errors import SpecError

Job = tuple[Any, ...]  # as handcalc.sheets.build.plan gives them


@dataclass(frozen=True)
class Slot:
    """Exercise `exercise` (1-based) of a version: its code and its section (0-based)."""

    exercise: int
    code: str
    section: int


@dataclass(frozen=True)
class Assignment:
    spec: Any  # handcalc.sheets.spec.Spec
    versions: tuple[tuple[Slot, ...], ...]  # versions[k - 1]: the slots of version k
    where: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        where: dict[str, list[tuple[int, int]]] = {}
        for k, slots in enumerate(self.versions, 1):
            for s in slots:
                where.setdefault(s.code, []).append((k, s.exercise))
        self.where.update({c: tuple(v) for c, v in where.items()})

    @property
    def name(self) -> str:
        return str(self.spec.name)

    @property
    def hidden(self) -> bool:
        """Whether the sheets hide the codes (a spec's ``codes = "hidden"``)."""
        return getattr(self.spec, "codes", "shown") == "hidden"

    @property
    def lang(self) -> str | None:
        return getattr(self.spec, "lang", None)

    @property
    def slots_per_version(self) -> int:
        return max((len(v) for v in self.versions), default=0)

    def scoring(self, code: str) -> str:
        """The scoring policy (handcalc.exercises.scoring) of the section a code is drawn in
        (its first place, should a fixed code be in two sections); the default for a code
        that is not assigned."""
        from handcalc.sheets.spec_scoring import scoring_of

        places = self.where.get(code, ())
        slot = self.slot(*places[0]) if places else None
        return scoring_of(self.spec, None if slot is None else slot.section)

    def slot(self, version: int, exercise: int) -> Slot | None:
        if 1 <= version <= len(self.versions) and 1 <= exercise <= len(self.versions[version - 1]):
            return self.versions[version - 1][exercise - 1]
        return None


def part_points(spec: Any, section: int, part: int) -> Fraction:
    """The points of part `part` (1-based) of an exercise of section `section` (0-based):
    the spec's (Spec.points_of), or 1 without a spec."""
    return Fraction(1) if spec is None else Fraction(spec.points_of(section, part))


def load_assignment(path: str | os.PathLike[str], versions: int | None = None,
                    build: Callable[[Job], Any] | None = None,
                    lang: str | None = None) -> Assignment:
    """The assignment of spec file `path` in `versions` versions (default: the spec's);
    SpecError when the spec cannot be read or built. ``build(job)`` makes the exercise of
    one of ``handcalc.sheets.build.plan``'s jobs (default: ``build_job``; the class grader
    passes its own, so that each exercise is built once). ``lang``: the teacher's language
    when an option chose it (what the spec's given data cannot promise is said in it)."""
    from handcalc.sheets.spec import MAX_VERSIONS, load_spec

    spec = load_spec(path, lang)
    if versions is not None and not 1 <= versions <= MAX_VERSIONS:
        raise SpecError(msg.refusal("versions_range", versions=versions, limit=MAX_VERSIONS))
    return assignment_of(spec, versions, build or build_job)


def build_job(job: Job) -> Any:
    from handcalc.sheets.build import job_exercise

    return job_exercise(job)


def assignment_of(spec: Any, versions: int | None, build: Callable[[Job], Any]) -> Assignment:
    """The codes of each version as ``handcalc.sheets.build.build_worksheet`` lays them out
    (the same plan, and the same rule for two draws that land on one exercise), built in
    this process: the grader needs the exercises themselves, not their printed form."""
    from handcalc.sheets.build import plan

    out = []
    try:
        for sections in plan(spec, versions):
            used = {build(j).code for sec in sections for j in sec if j[0] == "code"}
            slots: list[Slot] = []
            for s, jobs in enumerate(sections):
                for job in jobs:
                    ex = build(job)
                    if job[0] == "draw":
                        while ex.code in used:  # rare: two draws landed on one exercise
                            job = ("draw", job[1], job[2], int(ex.instance.seed) + 1)
                            ex = build(job)
                        used.add(ex.code)
                    slots.append(Slot(len(slots) + 1, ex.code, s))
            out.append(tuple(slots))
    except RuntimeError as e:  # no acceptable instance near a seed
        raise SpecError(msg.refusal("cannot_assign", spec=spec.name, why=str(e))) from None
    return Assignment(spec, tuple(out))
