"""online-softmax: a hand-checked instance, the torch rebuild, and the command line."""

import json

import pytest
import sympy
from cli_helpers import run as _run
from cli_helpers import typed as _text
from family_checks import diagnosis_of
from sympy import E, Rational

from handcalc.core import kernel
from handcalc.core.exact import elementwise, mat
from handcalc.core.rounding import fmt2, round2
from handcalc.exercises.exercise import compute, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance
from handcalc.families.online_softmax import blocks

FAMILY = FAMILIES["online-softmax"]


def _instance(s, V, block, level=1, **extra):
    given = {"s": mat([s]), "V": mat(V), **extra}
    return Instance("online-softmax-hand", "online-softmax", level, None, given,
                    {"block": block}, ("m", "l", "O_tilde", "O"))


def _same(value, expected):
    """Exact values equal as numbers (their forms may differ)."""
    flat = [v for r in value for v in r]
    want = [v for r in expected for v in r]
    assert len(flat) == len(want)
    for a, b in zip(flat, want, strict=True):
        assert sympy.simplify(a - b) == 0, (a, b)


# By hand: s = (1, 0, 2, 1), blocks of 2, V = (1, 2, 3, 0) (d_v = 1).
# Block 1 (s_1, s_2): m_1 = 1; exp(s_j - 1) = (1, e^-1); l_1 = 1 + e^-1 = 1.37;
#   O~_1 = 1 * 1 + e^-1 * 2 = 1 + 2 e^-1 = 1.74.
# Block 2 (s_3, s_4): m_2 = 2; exp(m_1 - m_2) = e^-1; exp(s_j - 2) = (1, e^-1);
#   l_2 = e^-1 (1 + e^-1) + 1 + e^-1 = 1 + 2 e^-1 + e^-2 = 1.87;
#   O~_2 = e^-1 (1 + 2 e^-1) + 3 * 1 + 0 * e^-1 = 3 + e^-1 + 2 e^-2 = 3.64.
# O = O~_2 / l_2 = 1.94, which is softmax(s) V = (e + 2 + 3 e^2) / (2 e + 1 + e^2).
# Mistakes: l not rescaled: l_2 = 2 + 2 e^-1, O = (3 + e^-1 + 2 e^-2) / (2 + 2 e^-1);
#   O~ not rescaled: O~_2 = 4 + 2 e^-1, O = (4 + 2 e^-1) / l_2;
#   blocks averaged: O = ((1 + 2 e^-1) / (1 + e^-1) + 3 / (1 + e^-1)) / 2.
HAND = _instance([1, 0, 2, 1], [[1], [2], [3], [0]], 2)


def test_hand_checked_instance():
    r = compute(HAND).results
    assert r["m"] == mat([[1, 2]])
    _same(r["l"], ((1 + 1 / E, 1 + 2 / E + E ** -2),))
    _same(r["O_tilde"], ((1 + 2 / E,), (3 + 1 / E + 2 * E ** -2,)))
    _same(r["O"], (((3 + 1 / E + 2 * E ** -2) / (1 + 2 / E + E ** -2),),))
    _same(r["O"], (((E + 2 + 3 * E ** 2) / (2 * E + 1 + E ** 2),),))
    assert [[fmt2(v) for v in row] for row in r["l"]] == [["1.37", "1.87"]]
    assert [fmt2(v) for (v,) in r["O_tilde"]] == ["1.74", "3.64"]
    assert fmt2(r["O"][0][0]) == "1.94"


def test_hand_checked_mistakes():
    l_wrong = mistaken(HAND, "online-l-not-rescaled")
    _same(l_wrong["l"], ((1 + 1 / E, 2 + 2 / E),))
    assert l_wrong["O_tilde"] == compute(HAND).results["O_tilde"]
    _same(l_wrong["O"], (((3 + 1 / E + 2 * E ** -2) / (2 + 2 / E),),))
    o_wrong = mistaken(HAND, "online-o-not-rescaled")
    _same(o_wrong["O_tilde"], ((1 + 2 / E,), (4 + 2 / E,)))
    _same(o_wrong["O"], (((4 + 2 / E) / (1 + 2 / E + E ** -2),),))
    averaged = mistaken(HAND, "online-blocks-averaged")
    _same(averaged["O"], ((((1 + 2 / E) / (1 + 1 / E) + 3 / (1 + 1 / E)) / 2,),))
    assert mistaken(HAND, "no-scale") is None  # the scores are given: nothing to scale


def test_level_3_scores_from_q_and_k():
    # q = (2, 0), K rows (1, 0), (0, 1), (2, 1): q K^T = (2, 0, 4); / sqrt(2)
    inst = Instance("online-softmax-hand", "online-softmax", 3, None,
                    {"q": mat([[2, 0]]), "K": mat([[1, 0], [0, 1], [2, 1]]),
                     "V": mat([[1, 0], [0, 1], [1, 1]])}, {"d": 2, "block": 2},
                    ("s", "m", "l", "O_tilde", "O"))
    r = compute(inst).results
    root2 = sympy.sqrt(2)
    _same(r["s"], ((root2, 0, 2 * root2),))
    _same(r["m"], ((root2, 2 * root2),))
    unscaled = mistaken(inst, "no-scale")
    assert unscaled["s"] == mat([[2, 0, 4]])


def test_blocks_cover_the_keys_in_order():
    assert blocks(5, 2) == [(0, 1), (2, 3), (4,)]
    assert blocks(6, 3) == [(0, 1, 2), (3, 4, 5)]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_torch_rebuild_agrees(level):
    for seed in (2, 5, 11):
        ex = generate("online-softmax", level, seed)
        assert cross_check(ex) < 1e-9


def test_kernel_is_independent_of_the_recurrence():
    out = FAMILY.kernel(HAND, kernel)
    assert out["m"] == [[1.0, 2.0]]
    assert out["l"][0][1] == pytest.approx(1 + 2 / float(E) + float(E) ** -2, abs=1e-12)
    assert out["O"][0][0] == pytest.approx(1.944611, abs=1e-6)


def test_every_level_asks_m_l_o_tilde_and_o():
    for level in (1, 2, 3):
        ex = generate("online-softmax", level, 4)
        keys = ex.keys
        assert keys[-4:] == ("m", "l", "O_tilde", "O")
        assert ("s" in keys) == (level == 3)
        n_blocks = len(blocks(len(ex.given["V"]), ex.instance.params["block"]))
        assert len(ex.by_key("O_tilde").answer) == n_blocks
        # the running maximum rises after the first block
        m = [v for v in ex.by_key("m").answer[0]]
        assert m[-1] > m[0]


# ---------------------------------------------------------------- command line



@pytest.fixture(scope="module")
def ex():
    return generate("online-softmax", 2, 7)


def test_cli_correct_answer(ex):
    for part in ex.parts:
        result = _run("check", ex.code, str(part.number), _text(part.answer))
        assert result.exit_code == 0, result.output


def test_cli_incorrect_answer(ex):
    part = ex.by_key("O")
    off = elementwise(lambda v: round2(v) + Rational(2, 100), part.answer)
    result = _run("check", ex.code, str(part.number), _text(off), "--strict")
    assert result.exit_code == 1, result.output


def test_cli_wrong_shape_is_invalid(ex):
    part = ex.by_key("l")
    result = _run("check", ex.code, str(part.number), "1, 2, 3, 4, 5, 6, 7")
    assert result.exit_code == 2
    assert "expected" in result.output


@pytest.mark.parametrize("mistake", ["online-l-not-rescaled", "online-o-not-rescaled",
                                     "online-blocks-averaged"])
def test_cli_diagnoses_the_mistake(ex, mistake):
    wrong = mistaken(ex.instance, mistake)
    part = ex.by_key("O")
    result = _run("check", ex.code, str(part.number), _text(wrong["O"]), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["correct"] is False
    assert data["diagnosis"]["mistake"] == mistake


def test_show_and_solve_in_both_languages(ex):
    for lang in ("en", "zh"):
        for command in ("show", "solve"):
            result = _run(command, ex.code, "--lang", lang)
            assert result.exit_code == 0, result.output
    zh = _run("show", ex.code, "--lang", "zh").output
    assert "FlashAttention" in zh and "分块" in zh
    data = json.loads(_run("show", ex.code, "--json").output)
    assert [p["key"] for p in data["parts"]] == ["m", "l", "O_tilde", "O"]


# ---------------------------------------------------------------- issue 23: the sweep

# By hand: s = (1, 0 | 2, 0 | 1, 0), blocks of 2, V = (1, 2, 3, 0, 1, 2). The running
# maximum is m = (1, 2, 2); each block's own maximum is (1, 2, 1). With its own rescale
# factors the slip still ends at softmax(s) V, but block 3 is rescaled by
# exp(m_2 - 1) = e: l_3 = e l_2 + 1 + e^-1 = e (l_2 + e^-1 + e^-2), e times the right l_3.
THREE = _instance([1, 0, 2, 0, 1, 0], [[1], [2], [3], [0], [1], [2]], 2, level=2)


def test_hand_checked_block_max():
    right = compute(THREE).results
    wrong = mistaken(THREE, "online-block-max")
    assert right["m"] == mat([[1, 2, 2]]) and wrong["m"] == mat([[1, 2, 1]])
    _same(((wrong["l"][0][2],),), ((E * right["l"][0][2],),))
    _same(wrong["l"][:1], ((right["l"][0][0], right["l"][0][1], wrong["l"][0][2]),))
    _same(wrong["O"], right["O"])  # the final output comes out right
    # two blocks whose maximum rises: the block's maximum is the running one
    assert mistaken(HAND, "online-block-max")["m"] == compute(HAND).results["m"]


def test_hand_checked_final_division_forgotten():
    wrong = mistaken(HAND, "online-no-divide")
    _same(wrong["O"], ((3 + 1 / E + 2 * E ** -2,),))  # O~_2 itself, not / l_2 = 1.87
    right = compute(HAND).results
    assert all(wrong[k] == right[k] for k in ("m", "l", "O_tilde"))


def test_block_max_and_no_division_are_named():
    ex = generate("online-softmax", 3, 1)
    wrong = mistaken(ex.instance, "online-block-max")
    assert wrong["m"] != ex.by_key("m").answer
    for key in ("m", "l", "O_tilde"):
        found = diagnosis_of(ex.code, ex.keys.index(key) + 1, wrong[key])
        assert found["mistake"] == "online-block-max", key
    # the right O is right whatever maximum was carried
    assert _run("check", ex.code, len(ex.keys), _text(wrong["O"])).exit_code == 0
    undivided = mistaken(ex.instance, "online-no-divide")["O"]
    assert diagnosis_of(ex.code, len(ex.keys), undivided)["mistake"] == "online-no-divide"
    zh = "".join(_run("check", ex.code, len(ex.keys), _text(undivided), "--lang",
                      "zh").output.split())
    assert "诊断：第5小题与最后的运行输出" in zh, zh


def test_a_seed_draws_what_it_drew_before_the_later_mistakes():
    """draw_apart screens a draw's mistakes inside ``draw``, so it screens only those the
    family had when its codes were published (core.mistakes.LATER_MISTAKES): with the
    block maximum screened too, seed 150 of level 1 would draw s = (2, 2, 0, 3) and
    V = (3, 0, 3, 3) instead of the data below, which it drew before."""
    from handcalc.exercises.exercise import draw

    got = draw("online-softmax", 1, 150).given
    assert got == {"s": mat([[1, 2, 2, 3]]), "V": mat([[3], [1], [0], [0]])}
