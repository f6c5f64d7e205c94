"""check's quick path (handcalc.exercises.quickkeys) against the full grade: over more than
10,000 (code, part, answer) cases, right, wrong, mistaken and within 1e-6 of the 0.005
edge, every answer the quick path calls right is right by the exact key; and the command
itself, with a cache folder of its own, answers a remembered code without sympy, in the
same words as the full path."""

import json
import os
import subprocess
import sys

import pytest

from handcalc.core.exact import NEG_INF, approx, entries, shape
from handcalc.core.parse import lines_as_rows, parse_answer
from handcalc.core.rounding import fmt2
from handcalc.errors import HandcalcError
from handcalc.exercises import quickkeys
from handcalc.exercises.exercise import generate, mistaken
from handcalc.exercises.grade import EXACT, grade, is_count
from handcalc.families import FAMILIES

SEEDS = range(1, 7)
OFFSETS = (0.0, 0.004, -0.004, 0.0049, -0.0049, 0.0051, -0.0051, 0.006, -0.02,
           0.005 - 1e-6, -(0.005 - 1e-6), 0.005 + 1e-6, -(0.005 + 1e-6))


def typed(values, rows, cols):
    return "; ".join(" ".join(values[r * cols:(r + 1) * cols]) for r in range(rows))


def answers(ex, part):
    """Texts a learner might type for a part: the key at 2 decimals and moved by each
    offset, each catalogued mistake's answer, a count and its neighbours."""
    rows, cols = shape(part.answer)
    keys = entries(part.answer)
    count = is_count(ex, part.key)

    def text(f):
        return "-inf" if f is None else f

    out = [typed([fmt2(v) for v in keys], rows, cols)]
    if count:
        n = [str(v) if v != NEG_INF else "-inf" for v in keys]
        out += [typed(n, rows, cols), typed([s + ".0" for s in n], rows, cols),
                typed([str(int(s) + 1) if s != "-inf" else s for s in n], rows, cols)]
        return out
    for d in OFFSETS:
        moved = [None if v == NEG_INF else f"{approx(v) + d:.9f}" for v in keys]
        out.append(typed([text(m) for m in moved], rows, cols))
        if len(keys) > 1:  # one entry moved, the rest right
            one = [fmt2(v) for v in keys]
            if moved[0] is not None:
                one[0] = moved[0]
            out.append(typed(one, rows, cols))
    for m in ex.family.mistakes:
        got = mistaken(ex.instance, m)
        if got and part.key in got and shape(got[part.key]) == (rows, cols):
            try:
                out.append(typed([fmt2(v) for v in entries(got[part.key])], rows, cols))
            except (TypeError, ValueError):
                pass
    return out


def test_the_quick_path_never_calls_right_what_grade_does_not():
    cases = decided = keyed = keyed_decided = 0
    for name, family in FAMILIES.items():
        for level in family.levels:
            for seed in SEEDS:
                ex = generate(name, level, seed)
                record = quickkeys.record_of(ex)
                if record is None:
                    continue
                for part in ex.parts:
                    for i, text in enumerate(answers(ex, part)):
                        cases += 1
                        quick = quickkeys.decide(record, str(part.number), text)
                        keyed += i == 0
                        if quick is None:
                            continue
                        decided += 1
                        keyed_decided += i == 0
                        try:
                            full = grade(ex, part.number, parse_answer(lines_as_rows(text)))
                        except HandcalcError as e:
                            pytest.fail(f"{ex.code} {part.number} {text!r}: quick right, "
                                        f"full {e}")
                        assert quick == part.number
                        assert full.correct and full.accepted_by == EXACT, (ex.code, text)
    assert cases >= 10_000, cases
    # not vacuous: the quick path decides most keys typed at 2 decimals, and many others
    assert keyed_decided >= 0.9 * keyed, (keyed_decided, keyed)
    assert decided >= 0.2 * cases, (decided, cases)


@pytest.mark.parametrize(("text", "why"), [
    ("1.73", None), ("1.7350", None), ("1.7280", None), ("1.7369", None),
    ("1.737050807568877", "the 0.005 edge: the full way"),
    ("1.727050807568877", "the 0.005 edge: the full way"),
    ("1.74", "wrong"), ("sqrt(3)", "an exact form"), ("1,73", "a comma decimal"),
    ("1.73 1.73", "another shape"), ("１.７３", "full-width digits"), ("1e0", "an exponent"),
])
def test_what_the_quick_path_decides(text, why):
    record = [{"shape": [1, 1], "values": [3 ** 0.5]}]
    assert (quickkeys.decide(record, "1", text) is None) == (why is not None)


def test_a_vector_typed_the_other_way_round_fits_as_grade_fits_it():
    record = [{"shape": [3, 1], "values": [10.0, 18.81, 29.48]}]
    assert quickkeys.decide(record, "1", "10, 18.81, 29.48") == 1
    assert quickkeys.decide(record, "1", "10; 18.81; 29.48") == 1
    assert quickkeys.decide(record, "1", "10, 18.81; 29.48, 1") is None


def test_a_count_must_be_the_whole_number():
    record = [{"shape": [1, 2], "values": ["4194304", "-inf"]}]
    assert quickkeys.decide(record, "1", "4194304 -inf") == 1
    assert quickkeys.decide(record, "1", "4194304.00 -inf") is None
    assert quickkeys.decide(record, "1", "4194305 -inf") is None
    assert quickkeys.decide(record, "1", "4194304 -1000") is None
    assert quickkeys.decide(record, "2", "4194304 -inf") is None  # no such part


CLI = [sys.executable, "-X", "importtime", "-c", "from handcalc.cli import main; main()"]


def run(args, cache, off=False):
    env = {k: v for k, v in os.environ.items() if k != "HANDCALC_NO_CACHE"}
    env["HANDCALC_CACHE_DIR"] = str(cache)
    if off:
        env["HANDCALC_NO_CACHE"] = "1"
    r = subprocess.run([*CLI, *args], capture_output=True, env=env, timeout=120,
                       stdin=subprocess.DEVNULL)
    imported = {line.split("|")[-1].strip() for line in r.stderr.decode().splitlines()
                if line.startswith("import time:")}
    return r, "sympy" in imported


def test_check_answers_a_remembered_code_without_sympy(tmp_path):
    r, _ = run(["new", "score", "--level", "2", "--seed", "5"], tmp_path)
    assert r.returncode == 0 and (tmp_path / quickkeys.FILE_NAME).is_file()
    for args in (["check", "score-2-5", "1", "1.73"],
                 ["check", "score-2-5", "3", "-2.00, 0"],
                 ["check", "score-2-5", "1", "1.73", "--lang", "zh"]):
        quick, sympy_loaded = run(args, tmp_path)
        full, _ = run(args, tmp_path, off=True)
        assert not sympy_loaded, args
        assert quick.returncode == full.returncode == 0
        assert quick.stdout == full.stdout
    # a wrong plain answer: graded in full, still without sympy where the screens decide
    # (tests/test_lazysympy.py compares that grade with the exact parser's), a hint follows
    wrong, sympy_loaded = run(["check", "score-2-5", "1", "1.74"], tmp_path)
    assert not sympy_loaded and wrong.returncode == 1 and b"hint" in wrong.stdout
    exact, sympy_loaded = run(["check", "score-2-5", "1", "sqrt(3)"], tmp_path)
    assert sympy_loaded and exact.returncode == 0  # an exact form is parsed exactly


def test_a_record_from_other_sources_or_another_program_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDCALC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HANDCALC_NO_CACHE", raising=False)
    ex = generate("score", 2, 5)
    quickkeys.remember(ex)
    assert quickkeys.lookup(ex.code) == quickkeys.record_of(ex)
    path = tmp_path / quickkeys.FILE_NAME
    doc = json.loads(path.read_text())
    doc["entries"][ex.code][0] = "another solver"
    path.write_text(json.dumps(doc))
    assert quickkeys.lookup(ex.code) is None  # the sources changed: the full way
    path.write_text('{"format": "someone else"}')
    quickkeys.remember(ex)
    assert path.read_text() == '{"format": "someone else"}'  # never written over
    assert quickkeys.lookup(ex.code) is None
    path.write_text("{broken")
    quickkeys.remember(ex)  # a write cut short is replaced
    assert quickkeys.lookup(ex.code) == quickkeys.record_of(ex)
    monkeypatch.setenv("HANDCALC_NO_CACHE", "1")
    assert quickkeys.lookup(ex.code) is None
