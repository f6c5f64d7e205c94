"""Exercises posed from given data: a person's own matrices and parameters.

``pose(family, given, params, parts)`` validates the data against the family's
description (handcalc.families.givens) and returns the Exercise, built through the same
path as a drawn one (the family's compute, mistakes and torch kernel), with a code that
carries the data (handcalc.exercises.datacode). ``from_data`` takes the JSON object
``show --json`` prints (``family``, ``given``, ``params``, the ``key``s of ``parts``).

Drawn exercises are refused when an answer lies near a rounding boundary or a mistake
gives the key's 2-decimal answer; posed ones are kept as posed and ``findings`` says what
such data cannot promise, one message per finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handcalc.core.compare import differs, identical, usable
from handcalc.core.exact import Mat, entries
from handcalc.core.mistakes import CATALOGUE
from handcalc.core.rounding import near_boundary, same2
from handcalc.errors import GivenError
from handcalc.exercises import datacode
from handcalc.exercises.exercise import Exercise, mistaken
from handcalc.families import FAMILIES, Instance, get_family
from handcalc.families.given import resolve
from handcalc.families.givens import DESCRIPTIONS
from handcalc.text.messages import Msg, msg

MAX_DATA_BYTES = 200_000


def pose_instance(family: str, given: Mapping[str, Any], params: Mapping[str, Any],
                  parts: tuple[str, ...] | None = None) -> Instance:
    get_family(family)  # an unknown family: its one line
    r = resolve(DESCRIPTIONS[family], given, params, parts)
    code = datacode.encode(family, r)
    return datacode.within_reach(Instance(code, family, None, None, r.given, r.params, r.ask))


def pose(family: str, given: Mapping[str, Any], params: Mapping[str, Any],
         parts: tuple[str, ...] | None = None) -> Exercise:
    """The exercise of given data (GivenError for data that cannot pose one)."""
    return Exercise(pose_instance(family, given, params, parts))


def from_data(data: Any) -> Exercise:
    """The exercise of a JSON object as ``show --json`` prints it."""
    if not isinstance(data, dict):
        raise GivenError(msg("given.error.data_object"))
    family = data.get("family")
    if not isinstance(family, str):
        raise GivenError(msg("given.error.data_family"))
    given, params = data.get("given", {}), data.get("params", {})
    if not isinstance(given, dict) or not isinstance(params, dict):
        raise GivenError(msg("given.error.data_object"))
    parts = data.get("parts")
    keys: tuple[str, ...] | None = None
    if parts is not None and not isinstance(parts, list):
        raise GivenError(msg("given.error.data_parts"))
    if parts:
        keys = tuple(p.get("key") if isinstance(p, dict) else p for p in parts)
        if any(not isinstance(k, str) for k in keys):
            raise GivenError(msg("given.error.data_parts"))
    return pose(family.strip().lower(), given, params, keys)


def read_data(text: str) -> Exercise:
    """The exercise of JSON text (``new --data``)."""
    import json

    if len(text) > MAX_DATA_BYTES:
        raise GivenError(msg("given.error.data_size", cap=MAX_DATA_BYTES))
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise GivenError(msg("given.error.data_json", why=str(e)[:60])) from None
    return from_data(data)


def findings(ex: Exercise) -> list[Msg]:
    """What the data cannot promise that a drawn exercise does: answers near a rounding
    boundary; mistakes that give a part's 2-decimal answer (not diagnosable) or the same
    2-decimal answer as another mistake (the diagnosis names the first of them)."""
    out: list[Msg] = []
    for part in ex.parts:
        if any(near_boundary(v) for v in entries(part.answer)):
            out.append(msg("given.warn.boundary", part=part.number))
    family = FAMILIES[ex.instance.family]
    wrong: dict[str, dict[str, Mat]] = {}
    for mistake in family.mistakes:
        results = mistaken(ex.instance, mistake)
        if results is not None:
            wrong[mistake] = results
    for part in ex.parts:
        changed: list[tuple[str, Mat]] = []
        for mistake, results in wrong.items():
            value = results.get(part.key)
            if value is None or identical(value, part.answer) or not usable(value):
                continue
            if not differs(value, part.answer):
                continue
            if same2(value, part.answer):
                out.append(msg("given.warn.mistake_key", part=part.number,
                               mistake=CATALOGUE[mistake].title))
            else:
                changed.append((mistake, value))
        for i, (a, va) in enumerate(changed):
            for b, vb in changed[i + 1:]:
                if same2(va, vb):
                    out.append(msg("given.warn.mistake_pair", part=part.number,
                                   a=CATALOGUE[a].title, b=CATALOGUE[b].title))
    return out
