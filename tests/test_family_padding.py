"""padding: a hand-checked instance, the torch rebuild, the command line and diagnoses."""

import json

import pytest
from cli_helpers import run
from sympy import E, exp, simplify

from handcalc.core.exact import NEG_INF, elementwise, mat
from handcalc.core.rounding import fmt2, round2
from handcalc.exercises.exercise import build, cross_check, generate, mistaken
from handcalc.families.padding import real_tokens

CODE = "padding-1-5"



def same(a, b):
    return all(x == y if NEG_INF in (x, y) else simplify(x - y) == 0
               for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))


def test_hand_checked_instance():
    # M = [[1, 1, 1], [1, 1, 0]], sequence 2 is padded at position 3; d = 1, no scaling.
    # Q = (2, 2, 1), K = (2, 1, 1), V = (2, 4, 3).
    # S_ij = q_i k_j for the real keys 1 and 2, -inf for key 3 (a column):
    #   row 1: 4, 2, -inf; row 2: 4, 2, -inf; row 3 (the padded query): 2, 1, -inf.
    # A rows: (e^4, e^2, 0) / (e^4 + e^2) = 0.88, 0.12, 0; row 3 (e^2, e, 0) / (e^2 + e)
    #   = 0.73, 0.27, 0: the padded query still sees the real keys.
    # Z_1 = 2 * 0.8808 + 4 * 0.1192 = 2.24; Z_3 = 2 * 0.7311 + 4 * 0.2689 = 2.54.
    ex = build(CODE)
    assert ex.code == CODE
    assert ex.given["M"] == mat([[1, 1, 1], [1, 1, 0]])
    assert ex.given["Q"] == mat([[2], [2], [1]]) and ex.given["V"] == mat([[2], [4], [3]])
    assert real_tokens(ex.instance) == (True, True, False)
    S, A, Z = (p.answer for p in ex.parts)
    assert S == mat([[4, 2, NEG_INF], [4, 2, NEG_INF], [2, 1, NEG_INF]])
    a, b = exp(4) / (exp(4) + exp(2)), exp(2) / (exp(2) + E)
    assert same(A, mat([[a, 1 - a, 0], [a, 1 - a, 0], [b, 1 - b, 0]]))
    assert same(Z, mat([[2 * a + 4 * (1 - a)], [2 * a + 4 * (1 - a)], [2 * b + 4 * (1 - b)]]))
    assert [[fmt2(v) for v in r] for r in Z] == [["2.24"], ["2.24"], ["2.54"]]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_torch_rebuild_agrees(level):
    from handcalc.core import kernel

    for seed in (3, 11, 29):
        ex = generate("padding", level, seed)
        assert cross_check(ex) < 1e-9
        out = ex.family.kernel(ex.instance, kernel)
        real = real_tokens(ex.instance)
        assert all((v == float("-inf")) == (not real[j])
                   for r in out["S"] for j, v in enumerate(r))


def test_cli_correct_incorrect_invalid():
    assert run("check", CODE, "3", "2.24, 2.24, 2.54").exit_code == 0
    assert run("check", CODE, "2", "0.88 0.12 0; 0.88 0.12 0; 0.73 0.27 0").exit_code == 0
    assert run("check", CODE, "3", "2.24, 2.25, 2.54").exit_code == 1
    wrong_shape = run("check", CODE, "2", "0.88 0.12; 0.73 0.27")
    assert wrong_shape.exit_code == 2 and "expected" in wrong_shape.stderr


@pytest.mark.parametrize("mistake", ["pad-query-rows", "pad-mask-flipped", "mask-zero",
                                     "no-mask"])
def test_mistake_named_in_check_json(mistake):
    ex = build(CODE)
    wrong = mistaken(ex.instance, mistake)
    typed = elementwise(round2, wrong["S" if mistake != "mask-zero" else "A"])
    part = "1" if mistake != "mask-zero" else "2"
    text = "; ".join(" ".join(fmt2(v) for v in r) for r in typed)
    result = run("check", CODE, part, text, "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["correct"] is False and data["diagnosis"]["mistake"] == mistake


def test_statement_states_the_mask_convention_in_both_languages():
    # the statement is folded to the terminal's width: compare it unfolded
    en = " ".join(run("show", CODE, "--lang", "en").stdout.split())
    zh = run("show", CODE, "--lang", "zh").stdout.replace("\n", "")
    assert "1 for a real token" in en and "key_padding_mask" in en and "True = ignore" in en
    assert "真实 token 为 1" in zh and "key_padding_mask" in zh


def test_scale_forgotten_is_named_from_level_2():
    """Issue 23's sweep: Q K^T not divided by sqrt(d_k), then masked (levels 2 and 3 scale;
    level 1 has d = 1 and nothing to forget)."""
    from family_checks import diagnosis_of

    ex = generate("padding", 2, 1)
    wrong = mistaken(ex.instance, "no-scale")
    real = real_tokens(ex.instance)
    S = wrong["S"]
    assert all((x == NEG_INF) != real[j] for r in S for j, x in enumerate(r))  # masked
    assert diagnosis_of(ex.code, 1, S)["mistake"] == "no-scale"
    assert diagnosis_of(ex.code, 2, wrong["A"])["mistake"] == "no-scale"
    assert mistaken(build(CODE).instance, "no-scale") is None  # level 1: d = 1
