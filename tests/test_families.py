"""Every family, every level, many seeds: exact vs torch, and the key grades as it should."""

import sys

import pytest
from sympy import Rational

from handcalc.core.exact import elementwise, entries
from handcalc.core.rounding import near_boundary, round2
from handcalc.exercises.exercise import build, cross_check, generate, parse_code
from handcalc.exercises.grade import grade
from handcalc.families import FAMILIES

SEEDS = (0, 1, 7, 42, 1234, 99999)
CASES = [(name, level) for name, f in FAMILIES.items() for level in f.levels]


@pytest.mark.parametrize(("name", "level"), CASES)
def test_family_key_is_sound(name, level):
    for seed in SEEDS:
        ex = generate(name, level, seed)
        assert ex.instance.seed >= seed
        assert cross_check(ex) < 1e-9
        again = build(ex.code)
        assert again.code == ex.code
        assert [p.answer for p in again.parts] == [p.answer for p in ex.parts]
        for part in ex.parts:
            assert not any(near_boundary(v) for v in entries(part.answer))
            key = elementwise(round2, part.answer)
            assert grade(ex, part.number, key).correct
            for delta in (Rational(1, 100), Rational(-1, 100)):
                if any(not v.is_finite for v in entries(key)):
                    continue
                off = elementwise(lambda v, d=delta: v + d, key)
                verdict = grade(ex, part.number, off, strict=True)
                assert not verdict.correct and verdict.score == 0


def test_codes_are_stable_within_a_run():
    ex = generate("causal", 2, 4821)
    assert parse_code(ex.code) == ("causal", 2, ex.instance.seed)


def test_families_have_docstrings_stating_math():
    for family in FAMILIES.values():
        doc = sys.modules[type(family).__module__].__doc__
        assert doc and "=" in doc and "Level 1" in doc, family.name
