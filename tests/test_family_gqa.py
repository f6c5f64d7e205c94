"""gqa: a hand-checked instance, the torch rebuild, and the command line."""

import json

import pytest
import sympy
from cli_helpers import run, typed
from sympy import E, Rational

from handcalc.core import kernel
from handcalc.core.exact import elementwise, mat
from handcalc.core.rounding import round2
from handcalc.exercises.exercise import Exercise, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance

# By hand: H = 4 query heads, G = 2 KV heads, so H / G = 2 and g(h) = floor(h / 2):
#   map = (0, 0, 1, 1); query head 1 uses KV head 0 (h mod G would give 1).
#   Toy, d_k = 1: Q = (1, 0), K_0 = (1, 0), V_0 = (2, 0), K_1 = (0, 1), V_1 = (1, 3).
#   S = Q K_0^T = [[1, 0], [0, 0]]; A = [[e/(e+1), 1/(e+1)], [1/2, 1/2]];
#   Z = A V_0 = (2e/(e+1), 1).
#   Cache: 2 x 8 layers x 2 KV heads x 64 x 512 tokens x batch 1 x 2 bytes (bf16)
#   = 2^21 bytes = 2 MiB; with H = 4 KV heads it would be 4 MiB: 2 times smaller.
PARAMS = {"H": 4, "G": 2, "head": 1, "d_k": 1, "layers": 8, "head_dim": 64, "tokens": 512,
          "batch": 1, "dtype": "bf16"}
HAND = Instance(
    "gqa-hand", "gqa", None, None,
    {"Q": mat([[1], [0]]), "K0": mat([[1], [0]]), "K1": mat([[0], [1]]),
     "V0": mat([[2], [0]]), "V1": mat([[1], [3]])},
    PARAMS, ("map", "Z", "cache", "ratio"))


def answers(ex):
    return {p.key: p.answer for p in ex.parts}


def same(a, b):
    return all(sympy.simplify(x - y) == 0
               for x, y in zip([v for r in a for v in r], [v for r in b for v in r],
                               strict=True))


def test_hand_checked_instance():
    got = answers(Exercise(HAND))
    assert got["map"] == mat([[0, 0, 1, 1]])
    assert same(got["Z"], mat([[2 * E / (E + 1)], [1]]))
    assert got["cache"] == mat([[2]])
    assert got["ratio"] == mat([[2]])


def test_hand_checked_mistakes():
    wrong = mistaken(HAND, "kv-head-mod")
    assert wrong["map"] == mat([[0, 1, 0, 1]])
    assert same(wrong["Z"], mat([[(1 + 3 * E) / (1 + E)], [2]]))  # K_1, V_1
    assert mistaken(HAND, "cache-query-heads")["cache"] == mat([[4]])
    assert mistaken(HAND, "cache-query-heads")["ratio"] == mat([[1]])
    assert mistaken(HAND, "cache-no-kv-factor")["cache"] == mat([[1]])
    assert mistaken(HAND, "cache-no-layers")["cache"] == mat([[Rational(1, 4)]])
    assert mistaken(HAND, "cache-4-bytes")["cache"] == mat([[4]])
    fp32 = Instance("gqa-hand", "gqa", None, None, HAND.given, {**PARAMS, "dtype": "fp32"},
                    HAND.ask)
    assert mistaken(fp32, "cache-4-bytes") is None  # fp32 does take 4 bytes


def test_torch_rebuild_agrees():
    numeric = FAMILIES["gqa"].kernel(HAND, kernel)
    for key, value in answers(Exercise(HAND)).items():
        for x, y in zip([v for r in value for v in r], [v for r in numeric[key] for v in r],
                        strict=True):
            assert abs(float(x) - y) < 1e-12
    assert kernel.kv_cache_bytes(layers=8, kv_heads=2, head_dim=64, tokens=512, batch=1,
                                 dtype="bf16") == 2**21
    for level in (1, 2, 3):
        assert cross_check(generate("gqa", level, 11)) < 1e-9




@pytest.mark.parametrize("level", [1, 2, 3])
def test_cli_correct_incorrect_invalid(level):
    ex = generate("gqa", level, 21)
    for part in ex.parts:
        assert run("check", ex.code, str(part.number), typed(part.answer)).exit_code == 0
        off = elementwise(lambda v: round2(v) + Rational(1, 100), part.answer)
        assert run("check", ex.code, str(part.number), typed(off), "--strict").exit_code == 1
    result = run("check", ex.code, "3", "1, 2")  # the cache is one number
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize(("mistake", "key"), [
    ("kv-head-mod", "map"), ("kv-head-mod", "Z"), ("cache-query-heads", "cache"),
    ("cache-query-heads", "ratio"), ("cache-no-kv-factor", "cache"),
    ("cache-no-layers", "cache")])
def test_mistaken_answer_is_diagnosed(mistake, key):
    ex = generate("gqa", 2, 5)
    part = ex.by_key(key)
    wrong = mistaken(ex.instance, mistake)[key]
    result = run("check", ex.code, str(part.number), typed(wrong), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["correct"] is False and data["diagnosis"]["mistake"] == mistake


def test_bf16_counted_as_4_bytes_is_diagnosed():
    ex = generate("gqa", 1, 3)  # level 1 is MiniMind's bf16 cache
    wrong = mistaken(ex.instance, "cache-4-bytes")["cache"]
    data = json.loads(run("check", ex.code, "3", typed(wrong), "--json").output)
    assert data["diagnosis"]["mistake"] == "cache-4-bytes"


# Level 4, multi-query attention: H = 4 query heads share G = 1 KV head, so map = (0, 0, 0,
# 0); one KV head's cache: 2 x 8 layers x 64 x 512 tokens x 1 x 2 bytes = 2^20 bytes =
# 1 MiB; MHA (4 KV heads) 4 MiB, GQA with G' = 2 2 MiB: compare = (4, 2, 1), ratio 4.
MQA = Instance("gqa-mqa-hand", "gqa", None, None,
               {"Q": mat([[1], [0]]), "K0": mat([[1], [0]]), "V0": mat([[2], [0]])},
               {**PARAMS, "G": 1, "G2": 2}, ("map", "Z", "cache", "ratio", "compare"))


def test_mqa_hand_checked_instance():
    got = answers(Exercise(MQA))
    assert got["map"] == mat([[0, 0, 0, 0]])
    assert same(got["Z"], mat([[2 * E / (E + 1)], [1]]))
    assert got["cache"] == mat([[1]]) and got["ratio"] == mat([[4]])
    assert got["compare"] == mat([[4, 2, 1]])
    assert mistaken(MQA, "kv-head-mod") is None  # h mod 1 = floor(h / H): no mistake to make
    assert mistaken(MQA, "cache-no-layers")["compare"] == mat([[Rational(1, 2),
                                                               Rational(1, 4),
                                                               Rational(1, 8)]])
    numeric = FAMILIES["gqa"].kernel(MQA, kernel)
    assert numeric["compare"] == [[4.0, 2.0, 1.0]]


def test_mqa_level_names_mqa_in_both_languages():
    ex = generate("gqa", 4, 5)
    assert ex.instance.params["G"] == 1 and cross_check(ex) < 1e-9
    assert "MQA" in run("show", ex.code).output
    assert "多查询注意力" in run("show", ex.code, "--lang", "zh").output


def test_mqa_cli_key_and_mistakes():
    from family_checks import check_key_and_moved_entry, check_mistake_named

    check_key_and_moved_entry("gqa", 4, 21)
    for mistake in ("cache-query-heads", "cache-no-kv-factor", "cache-no-layers",
                    "cache-4-bytes"):
        check_mistake_named("gqa", 4, mistake)


def test_level_4_on_the_command_line():
    from click.testing import CliRunner

    from handcalc.cli import cli

    assert "gqa-4-" in run("new", "gqa", "--level", "4", "--seed", "8").output
    result = run("new", "window", "--level", "4")
    assert result.exit_code == 2 and "Traceback" not in result.output
    session = CliRunner().invoke(cli, ["practice", "--level", "4", "--count", "2", "--seed", "3"],
                                 input="quit\n")
    assert session.exit_code == 0 and "gqa-4-" in session.output


def test_scale_forgotten_is_named_where_d_k_is_2():
    """Issue 23's sweep: softmax(Q K_g^T) V_g without the sqrt(d_k) (levels 2 to 4); the
    map and the cache do not depend on it; level 1 has d_k = 1."""
    from family_checks import diagnosis_of

    for level in (2, 4):
        ex = generate("gqa", level, 1)
        wrong = mistaken(ex.instance, "no-scale")
        assert wrong["map"] == ex.by_key("map").answer
        assert wrong["cache"] == ex.by_key("cache").answer
        assert diagnosis_of(ex.code, 2, wrong["Z"])["mistake"] == "no-scale"
    assert mistaken(HAND, "no-scale") is None
    assert mistaken(generate("gqa", 1, 1).instance, "no-scale") is None


def test_a_forgotten_batch_is_named_and_disclosed_beside_the_kv_factor():
    """gqa-1-2 caches a batch of 2: the batch forgotten halves the cache as the K/V factor
    forgotten does; the diagnosis names both (it named only the factor before)."""
    from handcalc.exercises.exercise import build
    from handcalc.exercises.grade import grade

    ex = build("gqa-1-2")
    assert ex.instance.params["batch"] == 2
    part = next(p for p in ex.parts if p.key == "cache")
    typed = elementwise(round2, mistaken(ex.instance, "cache-no-batch")["cache"])
    v = grade(ex, part.number, typed)
    named = {v.diagnosis.mistake.id, *(m.id for m in v.diagnosis.also)}
    assert {"cache-no-batch", "cache-no-kv-factor"} <= named


def test_bits_for_bytes_is_named():
    from handcalc.exercises.exercise import build
    from handcalc.exercises.grade import grade

    ex = build("gqa-2-100")
    part = next(p for p in ex.parts if p.key == "cache")
    typed = elementwise(round2, mistaken(ex.instance, "cache-bits")["cache"])
    assert grade(ex, part.number, typed).diagnosis.mistake.id == "cache-bits"
