"""Where a served drill's exercises come from: a spec, codes, families; checked once when
the server starts (a bad code or spec is refused then, exit 2), drawn anew per session."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence

from handcalc.exercises.exercise import Exercise, parse_code
from handcalc.views.practice import drill_families, session_exercises

Source = Callable[[], Iterator[Exercise]]


def exercise_source(families: Sequence[str], level: int, count: int, spec: str | None,
                    codes: Sequence[str], seed: int | None) -> Source:
    """A function that gives each new session its exercises: the spec's (its first
    version), then the codes, then `count` drawn from the families; every family when
    no spec, code or family is named. Raises UnknownCode, SpecError or UnknownFamily
    (HandcalcErrors) at once."""
    jobs: list[tuple] = []
    if spec is not None:
        from handcalc.sheets.build import plan
        from handcalc.sheets.spec import load_spec

        jobs += [job for section in plan(load_spec(spec), 1)[0] for job in section]
    for code in codes:
        parse_code(code)
        jobs.append(("code", code))
    names = drill_families(families, level) if families or not jobs else []

    def exercises() -> Iterator[Exercise]:
        from handcalc.sheets.build import job_exercise

        for job in jobs:
            yield job_exercise(job)
        if names:
            drawn = seed if seed is not None else random.SystemRandom().randrange(1, 10**6)
            yield from session_exercises(names, level, count, drawn)

    return exercises
