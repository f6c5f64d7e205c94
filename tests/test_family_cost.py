"""cost: a hand-checked configuration, its mistakes, the torch rebuild, the command line,
and counts graded exactly."""

import json
import re

import pytest
from cli_helpers import run
from family_checks import check_key_and_moved_entry, check_mistake_named, diagnosis_of
from sympy import Rational

from handcalc.core import kernel
from handcalc.core.exact import mat
from handcalc.exercises.exercise import Exercise, cross_check, generate, mistaken
from handcalc.exercises.grade import grade
from handcalc.families import FAMILIES, Instance

# By hand, MiniMind (8 heads of 64, 2 KV heads, 8 layers), n = 1024, batch 1, bf16:
#   QK^T: 8 * 1024^2 * 64 = 536870912 multiply-adds a sequence; with AV, for the batch of
#   1, 2 * that = 1.073741824 G.
#   S: 8 * 1024^2 * 2 bytes = 16 MiB; at 2048 tokens 64 MiB = 0.0625 GiB.
#   KV cache: 2 * 8 * 2 * 64 * 1024 * 1 * 2 bytes = 4 MiB.
#   m and l: 2 * 1 * 8 * 1024 * 4 = 65536 bytes, 16 MiB / 65536 = 256 = n b / 8 times less.
PARAMS = {"model": "MiniMind", "n": 1024, "d_model": 512, "heads": 8, "kv_heads": 2,
          "layers": 8, "batch": 1, "dtype": "bf16"}
ASK = ("qk", "total", "scores", "scores_2n", "kv", "stats", "ratio")
HAND = Instance("cost-hand", "cost", None, None, {}, PARAMS, ASK)


def answers(inst):
    return {p.key: p.answer for p in Exercise(inst).parts}


def test_hand_checked_instance():
    got = answers(HAND)
    assert got["qk"] == mat([[536870912]])
    assert got["total"] == mat([[Rational(1073741824, 10**9)]])
    assert got["scores"] == mat([[16]]) and got["scores_2n"] == mat([[Rational(1, 16)]])
    assert got["kv"] == mat([[4]]) and got["stats"] == mat([[65536]])
    assert got["ratio"] == mat([[256]])


def test_hand_checked_mistakes():
    assert mistaken(HAND, "cost-flops")["qk"] == mat([[2 * 536870912]])
    assert mistaken(HAND, "cost-no-heads")["qk"] == mat([[536870912 // 8]])
    assert mistaken(HAND, "cost-no-heads")["kv"] == mat([[2]])  # one KV head, not 2
    assert mistaken(HAND, "cost-mb")["scores"] == mat([[Rational(16 * 2**20, 10**6)]])
    assert mistaken(HAND, "cost-n-by-d")["scores"] == mat([[1]])  # 8 * 1024 * 64 * 2 bytes
    assert mistaken(HAND, "cost-n-by-d")["scores_2n"] == mat([[Rational(1, 512)]])
    assert mistaken(HAND, "cost-4-bytes")["scores"] == mat([[32]])
    assert mistaken(HAND, "cost-no-batch") is None  # a batch of 1
    fp32 = Instance("cost-hand", "cost", None, None, {}, {**PARAMS, "dtype": "fp32"}, ASK)
    assert mistaken(fp32, "cost-4-bytes") is None


def test_torch_rebuild_agrees():
    numeric = FAMILIES["cost"].kernel(HAND, kernel)
    for key, value in answers(HAND).items():
        assert abs(float(value[0][0]) - numeric[key][0][0]) < 1e-12, key
    for level in (1, 2, 3):
        assert cross_check(generate("cost", level, 11)) < 1e-9


def test_counts_are_graded_exactly():
    """A count accepts only its integer; a size keeps the two-decimal rule."""
    ex = Exercise(HAND)
    qk = ex.by_key("qk")
    assert grade(ex, qk.number, mat([[536870912]])).correct
    for near in (Rational(536870912) + Rational(4, 1000), Rational(536870912) - 1):
        assert not grade(ex, qk.number, mat([[near]]), strict=True).correct
        assert not grade(ex, qk.number, mat([[near]])).correct
    scores = ex.by_key("scores")
    assert grade(ex, scores.number, mat([[Rational(16004, 1000)]]), strict=True).correct
    result = run("check", generate("cost", 1, 3).code, "1", "1.5")
    assert result.exit_code == 1


def test_a_count_mistake_is_named_only_when_exact():
    ex = generate("cost", 2, 4)
    assert ex.instance.params["batch"] > 1
    wrong = mistaken(ex.instance, "cost-flops")["qk"][0][0]
    data = json.loads(run("check", ex.code, "1", str(wrong), "--json").output)
    assert data["diagnosis"]["mistake"] == "cost-flops"
    data = json.loads(run("check", ex.code, "1", str(wrong + 1), "--json").output)
    assert data["diagnosis"] is None


@pytest.mark.parametrize("level", [1, 2, 3])
def test_cli_key_and_moved_entry(level):
    check_key_and_moved_entry("cost", level, 21)


@pytest.mark.parametrize("mistake", FAMILIES["cost"].mistakes)
def test_every_mistake_is_named(mistake):
    check_mistake_named("cost", 3, mistake)


def test_moodle_gives_counts_no_tolerance():
    from handcalc.sheets.moodle import question_html

    html = question_html(generate("cost", 2, 4), "en")
    qk = answers(generate("cost", 2, 4).instance)["qk"][0][0]
    assert re.search(rf"\{{\d+:NUMERICAL:={qk}:0~", html)  # then the mistakes', also :0
    assert ":0.005" in html  # the sizes keep the two-decimal rule


def test_a_near_miss_on_a_count_hints_at_exactness_not_rounding():
    ex = generate("cost", 1, 5)
    qk = ex.by_key("qk").answer[0][0]
    result = run("check", ex.code, "1", f"{qk}.004")
    assert result.exit_code == 1 and "count" in result.output
    zh = run("check", ex.code, "1", f"{qk}.004", "--lang", "zh")
    assert "计数" in zh.output


# ---------------------------------------------------------------- issue 23: the sweep


def test_hand_checked_later_mistakes():
    # twice the tokens taken as twice the bytes: 2 * 16 MiB = 1/32 GiB, not 64 MiB = 1/16
    assert mistaken(HAND, "cost-2n-doubled")["scores_2n"] == mat([[Rational(1, 32)]])
    assert mistaken(HAND, "cost-2n-doubled")["scores"] == mat([[16]])
    # the cache with the 8 attention heads: 2 * 8 * 8 * 64 * 1024 * 1 * 2 bytes = 16 MiB
    assert mistaken(HAND, "cost-kv-query-heads")["kv"] == mat([[16]])
    level_1 = Instance("cost-hand", "cost", 1, None, {}, PARAMS, ("qk", "scores", "scores_2n"))
    assert mistaken(level_1, "cost-kv-query-heads") is None  # no cache asked


def test_memory_doubled_and_cache_with_every_head_are_named():
    ex = generate("cost", 2, 1)  # Llama-3-8B: 32 heads, 8 KV heads
    wrong = mistaken(ex.instance, "cost-2n-doubled")
    assert diagnosis_of(ex.code, 4, wrong["scores_2n"])["mistake"] == "cost-2n-doubled"
    wrong = mistaken(ex.instance, "cost-kv-query-heads")
    assert diagnosis_of(ex.code, 5, wrong["kv"])["mistake"] == "cost-kv-query-heads"
    zh = "".join(run("check", ex.code, 5, str(float(wrong["kv"][0][0])), "--lang",
                     "zh").output.split())
    assert "只有KV头需要缓存" in zh, zh


def test_a_model_without_grouped_heads_caches_every_head():
    ex = generate("cost", 2, 2)
    assert ex.instance.params["model"] == "Llama-2-7B"  # 32 heads, 32 KV heads
    wrong = mistaken(ex.instance, "cost-kv-query-heads")
    assert wrong["kv"] == ex.by_key("kv").answer
    assert run("check", ex.code, 5, str(float(wrong["kv"][0][0]))).exit_code == 0
