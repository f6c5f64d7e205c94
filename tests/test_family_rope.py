"""rope: hand-checked instances, the torch rebuild (both pairings), and the command line."""

import json

import pytest
import sympy
from cli_helpers import run as _run
from cli_helpers import typed as _text
from click.testing import CliRunner
from sympy import Rational, cos, pi, sin, sqrt

from handcalc.cli import cli
from handcalc.core import kernel
from handcalc.core.exact import elementwise, mat
from handcalc.core.rounding import fmt2, round2
from handcalc.exercises.exercise import compute, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance
from handcalc.families.rope import ASK, pairs, thetas

FAMILY = FAMILIES["rope"]


def _instance(q, k, level, **params):
    return Instance("rope-hand", "rope", level, None, {"q": mat([q]), "k": mat([k])},
                    params, ASK)


def _same(value, expected):
    flat = [v for r in value for v in r]
    assert len(flat) == len(expected)
    for a, b in zip(flat, expected, strict=True):
        assert sympy.simplify(a - b) == 0, (a, b)


# By hand, level 1: theta = pi/6, q = (1, 2) at position 1, k = (3, 1) at position 3, shift 1.
# q' = (cos 30deg - 2 sin 30deg, sin 30deg + 2 cos 30deg) = (sqrt(3)/2 - 1, 1/2 + sqrt(3))
#    = (-0.13, 2.23)
# k' = k turned by 90deg = (-1, 3)
# q' . k' = 1 - sqrt(3)/2 + 3/2 + 3 sqrt(3) = 5/2 + 5 sqrt(3)/2 = 6.83
#   (= q . R(60deg) k: only the relative position 3 - 1 counts)
# shifted: q at 2, k at 4: again 6.83.
# Mistakes: minus the angle: q . R(-60deg) k = 5/2 - 5 sqrt(3)/2 = -1.83;
#   key at the query's position: q' . k' = q . k = 5.
HAND = _instance([1, 2], [3, 1], 1, d=2, theta=pi / 6, p_q=1, p_k=3, shift=1)


def test_hand_checked_instance():
    r = compute(HAND).results
    _same(r["q_rot"], [sqrt(3) / 2 - 1, Rational(1, 2) + sqrt(3)])
    _same(r["k_rot"], [-1, 3])
    _same(r["dot"], [Rational(5, 2) + 5 * sqrt(3) / 2])
    _same(r["dot_shift"], [Rational(5, 2) + 5 * sqrt(3) / 2])
    assert [fmt2(v) for v in r["q_rot"][0]] == ["-0.13", "2.23"]
    assert fmt2(r["dot"][0][0]) == fmt2(r["dot_shift"][0][0]) == "6.83"


def test_hand_checked_mistakes():
    neg = mistaken(HAND, "rope-negative-angle")
    _same(neg["q_rot"], [sqrt(3) / 2 + 1, -Rational(1, 2) + sqrt(3)])
    _same(neg["dot"], [Rational(5, 2) - 5 * sqrt(3) / 2])
    _same(neg["dot_shift"], [Rational(5, 2) - 5 * sqrt(3) / 2])
    same_pos = mistaken(HAND, "rope-key-query-position")
    assert same_pos["q_rot"] == compute(HAND).results["q_rot"]
    _same(same_pos["dot"], [5])
    _same(same_pos["dot_shift"], [5])
    assert mistaken(HAND, "rope-other-pairing") is None  # d = 2: a single pair


def test_level_3_pairings():
    # q = (1, 2, 3, 4) at position 1, theta_0 = 1, theta_1 = 100^(-1/2) = 1/10
    tenth = Rational(1, 10)
    base = {"d": 4, "base": 100, "p_q": 1, "p_k": 0, "shift": 1}
    inter = _instance([1, 2, 3, 4], [1, 0, 0, 0], 3, pairing="interleaved", **base)
    half = _instance([1, 2, 3, 4], [1, 0, 0, 0], 3, pairing="half-split", **base)
    # interleaved: (x1, x2) by 1 rad, (x3, x4) by 1/10 rad
    _same(compute(inter).results["q_rot"],
          [cos(1) - 2 * sin(1), sin(1) + 2 * cos(1),
           3 * cos(tenth) - 4 * sin(tenth), 3 * sin(tenth) + 4 * cos(tenth)])
    # half-split: (x1, x3) by 1 rad, (x2, x4) by 1/10 rad
    _same(compute(half).results["q_rot"],
          [cos(1) - 3 * sin(1), 2 * cos(tenth) - 4 * sin(tenth),
           sin(1) + 3 * cos(1), 2 * sin(tenth) + 4 * cos(tenth)])
    # the other pairing mistake of one is the right answer of the other
    assert mistaken(inter, "rope-other-pairing")["q_rot"] == compute(half).results["q_rot"]
    assert thetas(inter.params) == (1, tenth)
    assert pairs(4, "interleaved") == ((0, 1), (2, 3))
    assert pairs(4, "half-split") == ((0, 2), (1, 3))


@pytest.mark.parametrize("pairing", ["interleaved", "half-split"])
def test_torch_rebuild_both_pairings(pairing):
    inst = _instance([1, -2, 2, 1], [0, 1, -1, 2], 3, d=4, base=100, pairing=pairing,
                     p_q=2, p_k=5, shift=3)
    exact = compute(inst).results
    torch_out = FAMILY.kernel(inst, kernel)
    for key in ASK:
        for a, b in zip(exact[key][0], torch_out[key][0], strict=True):
            assert abs(float(sympy.N(a, 20)) - b) < 1e-12, key
    # RoPE sees relative position: the shifted dot product equals the first one
    assert torch_out["dot"][0][0] == pytest.approx(torch_out["dot_shift"][0][0], abs=1e-12)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_generated_exercises_agree_with_torch(level):
    for seed in (2, 5, 11):
        ex = generate("rope", level, seed)
        assert cross_check(ex) < 1e-9
        assert fmt2(ex.by_key("dot").answer[0][0]) == fmt2(ex.by_key("dot_shift").answer[0][0])


def test_statement_states_the_pairing():
    for seed in range(8):
        ex = generate("rope", 3, seed)
        pairing = ex.instance.params["pairing"]
        text = CliRunner().invoke(cli, ["show", ex.code]).output
        assert ("rotate_half" in text) == (pairing == "half-split")
        assert ("torch.polar" in text) == (pairing == "interleaved")


# ---------------------------------------------------------------- command line



@pytest.fixture(scope="module")
def ex():
    return generate("rope", 3, 7)


def test_cli_correct_answer(ex):
    for part in ex.parts:
        result = _run("check", ex.code, str(part.number), _text(part.answer))
        assert result.exit_code == 0, result.output


def test_cli_incorrect_answer(ex):
    part = ex.by_key("dot")
    off = elementwise(lambda v: round2(v) + Rational(3, 100), part.answer)
    result = _run("check", ex.code, str(part.number), _text(off), "--strict")
    assert result.exit_code == 1, result.output


def test_cli_wrong_shape_is_invalid(ex):
    result = _run("check", ex.code, "1", "1, 2, 3")
    assert result.exit_code == 2
    assert "expected" in result.output


@pytest.mark.parametrize(("mistake", "key"), [("rope-negative-angle", "q_rot"),
                                              ("rope-other-pairing", "q_rot"),
                                              ("rope-key-query-position", "k_rot"),
                                              ("rope-key-query-position", "dot")])
def test_cli_diagnoses_the_mistake(ex, mistake, key):
    wrong = mistaken(ex.instance, mistake)
    part = ex.by_key(key)
    result = _run("check", ex.code, str(part.number), _text(wrong[key]), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["correct"] is False
    assert data["diagnosis"]["mistake"] == mistake


def test_show_and_solve_in_both_languages(ex):
    for lang in ("en", "zh"):
        for command in ("show", "solve"):
            result = _run(command, ex.code, "--lang", lang)
            assert result.exit_code == 0, result.output
    assert "旋转" in _run("show", ex.code, "--lang", "zh").output
    data = json.loads(_run("show", ex.code, "--json").output)
    assert [p["key"] for p in data["parts"]] == list(ASK)
    assert data["params"]["pairing"] in ("interleaved", "half-split")


@pytest.mark.parametrize("level", [2, 3])
def test_the_given_6_decimal_cos_and_sin_give_the_key_at_2_decimals(level):
    """Levels 2 and 3 turn by whole radians: the statement gives cos and sin to 6 decimals,
    and a learner who works with them, as printed, gets every 2-decimal answer of the key."""
    import re

    from handcalc.core.exact import entries
    from handcalc.text.messages import render

    for seed in range(1, 25):
        ex = generate("rope", level, seed)
        text = render(ex.statement, "en", "unicode").replace("−", "-")
        told = {(m[1], m[2]): float(m[3]) for m in re.finditer(
            r"(cos|sin)\(([0-9/]+)\) = (-?[0-9]\.[0-9]{6})", text)}
        given = {a: (told["cos", a], told["sin", a]) for f, a in told}
        p = ex.instance.params

        def turn(x, pos, p=p, given=given):
            out = [float(v) for v in x]
            for (i, j), t in zip(pairs(p["d"], p.get("pairing")), thetas(p), strict=True):
                c, s = given[sympy.sstr(pos * t)] if pos else (1.0, 0.0)
                out[i], out[j] = x[i] * c - x[j] * s, x[i] * s + x[j] * c
            return out

        q, k = turn(ex.given["q"][0], p["p_q"]), turn(ex.given["k"][0], p["p_k"])
        mine = [q, k, [sum(a * b for a, b in zip(q, k, strict=True))]]
        for part, values in zip(ex.parts[:3], mine, strict=True):
            assert [fmt2(v) for v in values] == [fmt2(v) for v in entries(part.answer)], ex.code
