"""Checks the families of the cost of attention share (window, linear, cost, gqa level 4):
the command line grades the key, rejects a moved entry under --strict, and names every
catalogued mistake."""

import json

from cli_helpers import run, typed
from sympy import Rational

from handcalc.core.exact import elementwise
from handcalc.core.rounding import round2
from handcalc.exercises.exercise import generate, mistaken


def check_key_and_moved_entry(name: str, level: int, seed: int) -> None:
    """The 2-decimal key is correct; one entry moved by 0.01 (by 1 for a count) is not."""
    ex = generate(name, level, seed)
    for part in ex.parts:
        key = elementwise(round2, part.answer)
        assert run("check", ex.code, part.number, typed(key)).exit_code == 0, part.key
        step = 1 if ex.family.quantity(part.key).count else Rational(1, 100)
        flat = [v for r in key for v in r]
        index = next(i for i, v in enumerate(flat) if v.is_finite)
        moved = tuple(tuple(v + step if (i * len(r) + j) == index else v
                            for j, v in enumerate(r)) for i, r in enumerate(key))
        result = run("check", ex.code, part.number, typed(moved), "--strict")
        assert result.exit_code == 1, (part.key, result.output)


def check_mistake_named(name: str, level: int, mistake: str, seeds=range(1, 60)) -> None:
    """Some part's mistaken answer is diagnosed as `mistake` by `check --json`."""
    for seed in seeds:
        ex = generate(name, level, seed)
        wrong = mistaken(ex.instance, mistake)
        if wrong is None:
            continue
        for part in ex.parts:
            if part.key not in wrong or wrong[part.key] == part.answer:
                continue
            result = run("check", ex.code, part.number, typed(wrong[part.key]), "--json")
            data = json.loads(result.output)
            assert result.exit_code == 1 and data["correct"] is False, (ex.code, part.key)
            if data["diagnosis"] and data["diagnosis"]["mistake"] == mistake:
                return
    raise AssertionError(f"{mistake} never diagnosed in {name} level {level}")


def diagnosis_of(code: str, part: int, value, *args: str) -> dict | None:
    """`check --json` on `value` typed at 2 decimals: the diagnosis (None when there is
    none); the answer must be graded incorrect."""
    result = run("check", code, part, typed(value), "--json", *args)
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["correct"] is False, (code, part, result.output)
    return data["diagnosis"]
