"""window: a hand-checked instance, its mistakes, the torch rebuild and the command line."""

import pytest
import sympy
from cli_helpers import run, typed
from family_checks import check_key_and_moved_entry, check_mistake_named, diagnosis_of
from sympy import E

from handcalc.core import kernel
from handcalc.core.exact import NEG_INF, mat
from handcalc.exercises.exercise import (
    Exercise,
    build,
    cross_check,
    differs,
    generate,
    mistaken,
    rejection,
)
from handcalc.families import FAMILIES, Instance
from handcalc.families.window import window_count, window_visible

# By hand: 4 tokens, w = 2, d = 1 unscaled, q_i = 1, so S_ij = k_j = (0, 1, 0, 2)_j.
#   Row 3 sees keys 2 and 3 (i - 2 < j <= i): s_3 = (-inf, 1, 0, -inf),
#   a_3 = (0, e, 1, 0) / (e + 1), z_3 = (2e + 4) / (e + 1) with V = (1, 2, 4, 8)^T.
#   N = 10, w = 4: 1 + 2 + 3 + 4 * 7 = 34 = 10 * 4 - 4 * 3 / 2 scores; 100 - 34 = 66 saved.
HAND = Instance("window-hand", "window", None, None,
                {"Q": mat([[1], [1], [1], [1]]), "K": mat([[0], [1], [0], [2]]),
                 "V": mat([[1], [2], [4], [8]])},
                {"w": 2, "d_k": 1, "query": 3, "N": 10, "W": 4},
                ("M", "S", "a", "z", "count", "saved"))


def same(a, b):
    return all(sympy.simplify(x - y) == 0 for x, y in
               zip([v for r in a for v in r], [v for r in b for v in r], strict=True))


def test_hand_checked_instance():
    got = {p.key: p.answer for p in Exercise(HAND).parts}
    assert got["M"] == mat([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]])
    assert got["S"][2] == (NEG_INF, 1, 0, NEG_INF)
    assert same(got["a"], mat([[0, E / (E + 1), 1 / (E + 1), 0]]))
    assert same(got["z"], mat([[(2 * E + 4) / (E + 1)]]))
    assert got["count"] == mat([[34]]) and got["saved"] == mat([[66]])


def test_hand_checked_mistakes():
    assert same(mistaken(HAND, "window-wide")["a"],
                mat([[1 / (E + 2), E / (E + 2), 1 / (E + 2), 0]]))
    centred = E + 1 + E**2
    assert same(mistaken(HAND, "window-centred")["a"],
                mat([[0, E / centred, 1 / centred, E**2 / centred]]))
    assert same(mistaken(HAND, "mask-zero")["a"],
                mat([[1 / (E + 3), E / (E + 3), 1 / (E + 3), 1 / (E + 3)]]))
    # counts by hand for N = 10, w = 4: w + 1 = 5 keys 1+2+3+4+5*6 = 40; |i - j| < 4: 58;
    # j > i - 4 with no causal part: 4 rows of 10, then 9, 8, 7, 6, 5, 4: 79
    assert mistaken(HAND, "window-wide")["count"] == mat([[40]])
    assert mistaken(HAND, "window-centred")["count"] == mat([[58]])
    assert mistaken(HAND, "window-acausal")["count"] == mat([[79]])
    assert mistaken(HAND, "mask-zero")["count"] == mat([[34]])


@pytest.mark.parametrize("kind", ["trailing", "wide", "centred", "acausal", "causal"])
def test_closed_form_counts_match_the_masks(kind):
    for n in range(5, 12):
        for w in range(1, n + 1):
            if kind == "centred" and 2 * w - 1 > n:
                continue  # the closed form assumes the band fits (as it does for N >> w)
            if kind == "wide" and w + 1 > n:
                continue
            visible = window_visible(n, w, kind)
            assert window_count(n, w, kind) == sum(map(sum, visible)), (n, w)


def test_torch_rebuild_agrees():
    numeric = FAMILIES["window"].kernel(HAND, kernel)
    for p in Exercise(HAND).parts:
        for x, y in zip([v for r in p.answer for v in r],
                        [v for r in numeric[p.key] for v in r], strict=True):
            assert (x == NEG_INF and y == float("-inf")) or abs(float(x) - y) < 1e-12
    assert kernel.window_count(10240, 4096) == 10240 * 4096 - 4096 * 4095 // 2
    for level in (1, 2, 3):
        assert cross_check(generate("window", level, 11)) < 1e-9


@pytest.mark.parametrize("level", [1, 2, 3])
def test_cli_key_and_moved_entry(level):
    check_key_and_moved_entry("window", level, 21)


@pytest.mark.parametrize("mistake", FAMILIES["window"].mistakes)
def test_every_mistake_is_named(mistake):
    check_mistake_named("window", 3, mistake)


# ---------------------------------------------------------------- issue 23: the sweep


def test_hand_checked_later_mistakes():
    # the window forgotten, the causal mask kept: row 3 sees keys 1 to 3, as w + 1 = 3 keys
    # would; the whole mask is lower triangular, and N = 10 tokens compute 10 * 11 / 2 = 55
    causal = mistaken(HAND, "window-causal")
    assert causal["M"] == mat([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]])
    assert causal["S"][3] == (0, 1, 0, 2) and causal["S"][2] == (0, 1, 0, NEG_INF)
    assert same(causal["a"], mistaken(HAND, "window-wide")["a"])
    assert causal["count"] == mat([[55]]) and causal["saved"] == mat([[45]])
    # every query counted with w = 4 keys: 10 * 4 = 40, not 34; the row is untouched
    rows = mistaken(HAND, "window-count-full-rows")
    assert rows["count"] == mat([[40]]) and rows["saved"] == mat([[60]])
    assert rows["a"] == Exercise(HAND).by_key("a").answer
    assert mistaken(HAND, "no-scale") is None  # d = 1: the scores are not scaled at all


def test_window_forgotten_is_named_on_the_mask_and_disclosed_on_the_row():
    ex = generate("window", 2, 1)
    wrong = mistaken(ex.instance, "window-causal")
    assert diagnosis_of(ex.code, 1, wrong["M"])["mistake"] == "window-causal"
    assert diagnosis_of(ex.code, 2, wrong["S"])["mistake"] == "window-causal"
    # on the row asked (r = w + 1) the causal mask sees w + 1 keys: both slips are said
    row = diagnosis_of(ex.code, 3, wrong["a"])
    assert row["mistake"] == "window-wide" and row["also"] == ["window-causal"]
    out = run("check", ex.code, 1, typed(wrong["M"]), "--lang", "zh").output
    assert "诊断：第 1 小题与普通因果掩码" in out, out


def test_scale_forgotten_is_named_where_scores_are_scaled():
    ex = generate("window", 2, 1)
    wrong = mistaken(ex.instance, "no-scale")
    assert diagnosis_of(ex.code, 2, wrong["S"])["mistake"] == "no-scale"
    assert diagnosis_of(ex.code, 3, wrong["a"])["mistake"] == "no-scale"
    assert mistaken(generate("window", 1, 4).instance, "no-scale") is None  # d = 1


def test_every_row_counted_with_w_keys_is_named():
    ex = generate("window", 3, 1)
    N, W = ex.instance.params["N"], ex.instance.params["W"]
    assert diagnosis_of(ex.code, 5, mat([[N * W]]))["mistake"] == "window-count-full-rows"
    assert diagnosis_of(ex.code, 6, mat([[N * N - N * W]]))["mistake"] == \
        "window-count-full-rows"
    assert mistaken(generate("window", 2, 1).instance, "window-count-full-rows") is None


# The probe of issue 23: two answers with the causal part forgotten were graded correct.
# window-1-1 (K = (1, 3, 2, 2, 3), V = (2, 5, 4, 4, 5), row 3 sees keys 2 and 3): without the
# causal limit the row also sees keys 4 and 5, whose scores and values mirror keys 3 and 2,
# so z_3 is the same number. window-1-3 (keys 1 to 4 all 0, V = (3, 2, 4, 2, 1)): the
# causal mask alone (or w + 1 keys) adds key 1, whose value 3 is the average z_3 already
# is. The forgetful z is z's right value: graded correct, as it must be; the weights a
# are diagnosed. The draw was at fault: nothing made the part depend on the mask.
PROBES = [("window-1-1", "window-acausal"), ("window-1-3", "window-causal"),
          ("window-1-3", "window-wide")]


@pytest.mark.parametrize(("code", "mistake"), PROBES)
def test_the_probe_a_mask_that_leaves_z_as_it_is(code, mistake):
    ex = build(code)
    wrong = mistaken(ex.instance, mistake)
    assert not differs(wrong["z"], ex.by_key("z").answer)  # the same number
    assert run("check", code, 4, typed(wrong["z"])).exit_code == 0
    assert diagnosis_of(code, 3, wrong["a"]) is not None  # the weights tell
    # the code, once printed, keeps its exercise; a new draw from its seed passes it over
    assert build(code).code == code
    name, level, seed = code.rsplit("-", 2)
    assert generate(name, int(level), int(seed), published=True).code == code
    assert generate(name, int(level), int(seed)).code != code
    assert rejection(ex).endswith("changes a but leaves z as it is")


@pytest.mark.parametrize("level", [1, 2, 3])
def test_new_draws_make_z_depend_on_the_mask(level):
    for seed in range(1, 16):
        ex = generate("window", level, seed)
        right = ex.by_key("z").answer
        for mistake in ex.family.mistakes:
            wrong = mistaken(ex.instance, mistake)
            if wrong is None or not differs(wrong["a"], ex.by_key("a").answer):
                continue
            assert differs(wrong["z"], right), (ex.code, mistake)
