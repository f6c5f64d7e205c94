"""Codes that never change: every code in solutions/golden-codes.json rebuilds the same
exercise (given data, parameters, parts asked) with the same exact and 2-decimal answers.

The record is written by `python -m handcalc.exercises.golden --write-golden`. Never rewrite it to
make this test pass without saying why: a code, once published, must rebuild the same
exercise in every later release.
"""

import json
from collections import Counter

import pytest
import sympy

from handcalc.exercises.exercise import build, generate
from handcalc.exercises.golden import GOLDEN_PATH, GOLDEN_PER_LEVEL, golden_entry
from handcalc.families import FAMILIES

RECORD = json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))
ENTRIES = RECORD["codes"]
IDS = [e["code"] for e in ENTRIES]


def _value(text):
    # The record is our own checked-in file, not typed input: sympify is fine here.
    return sympy.S.NegativeInfinity if text == "-inf" else sympy.sympify(text)


def test_record_covers_every_family_level_and_the_worked_set():
    per = Counter((e["family"], e["level"]) for e in ENTRIES if e["level"] is not None)
    for name, family in FAMILIES.items():
        for level in family.levels:
            assert per[name, level] >= GOLDEN_PER_LEVEL, (name, level)
    assert {f"worked-{n}" for n in range(1, 11)} <= set(IDS)
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_code_rebuilds_the_same_exercise(entry):
    now = golden_entry(build(entry["code"]))
    assert now["code"] == entry["code"]
    for field in ("family", "level", "seed", "given", "params"):
        assert now[field] == entry[field], f"{entry['code']}: {field} changed"
    assert [p["key"] for p in now["parts"]] == [p["key"] for p in entry["parts"]]
    for old, new in zip(entry["parts"], now["parts"], strict=True):
        assert new["rounded"] == old["rounded"], f"{entry['code']} part {old['part']}"
        for r_old, r_new in zip(old["answer"], new["answer"], strict=True):
            for a, b in zip(r_old, r_new, strict=True):
                if a != b:  # a new exact form must still be the same number
                    diff = sympy.simplify(_value(a) - _value(b))
                    assert diff == 0, f"{entry['code']} part {old['part']}: {a} became {b}"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_exact_answers_keep_their_form(entry):
    """`show --json` prints these strings: a change of form is a visible change too."""
    now = golden_entry(build(entry["code"]))
    assert [p["answer"] for p in now["parts"]] == [p["answer"] for p in entry["parts"]]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["from_seed"] is not None],
                         ids=[e["code"] for e in ENTRIES if e["from_seed"] is not None])
def test_seed_still_generates_the_code(entry):
    """As a spec draws from a seed (sheets.build.job_exercise): a worksheet printed once is
    drawn the same forever. A fresh draw (`new`, `practice`) may pass over it since rules
    were added (exercises.exercise.FIRST_RULES)."""
    assert generate(entry["family"], entry["level"], entry["from_seed"],
                    published=True).code == entry["code"]
