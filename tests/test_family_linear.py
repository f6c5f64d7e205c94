"""linear: a hand-checked instance, its mistakes, the torch rebuild and the command line."""

import pytest
import sympy
from family_checks import check_key_and_moved_entry, check_mistake_named
from sympy import E, Rational

from handcalc.core import kernel
from handcalc.core.exact import mat
from handcalc.core.work import Work
from handcalc.exercises.exercise import Exercise, cross_check, generate, mistaken
from handcalc.families import FAMILIES, Instance
from handcalc.families.linear import phi

# By hand: Q = [[1, 0], [0, 1]], K = [[1, 0], [0, 0]], V = [[1, 2], [3, 0]].
#   phi(Q) = [[2, 1], [1, 2]], phi(K) = [[2, 1], [1, 1]] (x + 1 for x > 0, e^0 = 1).
#   phi(K)^T V = [[2 + 3, 4 + 0], [1 + 3, 2 + 0]] = [[5, 4], [4, 2]]; u = (3, 2).
#   z_1 = (2, 1) [[5, 4], [4, 2]] / ((2, 1) . (3, 2)) = (14, 10) / 8 = (7/4, 5/4);
#   z_2 = (13, 8) / 7. The quadratic form agrees: z_1 = (5 v_1 + 3 v_2) / 8.
#   Causal, i = 1: S_1 = phi(k_1)^T v_1 = [[2, 4], [1, 2]], z_1 = (5, 10) / 5 = v_1.
#   Counts for N = 4, d = 2: 2 * 4^2 * 2 = 64 and 2 * 4 * 2^2 = 32.
GIVEN = {"Q": mat([[1, 0], [0, 1]]), "K": mat([[1, 0], [0, 0]]), "V": mat([[1, 2], [3, 0]])}
HAND = Instance("linear-hand", "linear", None, None, GIVEN, {},
                ("phiQ", "phiK", "KV", "u", "Z"))
CAUSAL = Instance("linear-hand-causal", "linear", None, None, GIVEN,
                  {"i": 1, "N": 4, "d": 2}, ("phiQ", "phiK", "KV", "S_i", "Zc", "mults"))


def answers(inst):
    return {p.key: p.answer for p in Exercise(inst).parts}


def same(a, b):
    return all(sympy.simplify(x - y) == 0 for x, y in
               zip([v for r in a for v in r], [v for r in b for v in r], strict=True))


def test_feature_map():
    w = Work()
    assert phi(w, 2) == 3 and phi(w, 0) == 1 and phi(w, -1) == sympy.exp(-1)


def test_hand_checked_instance():
    got = answers(HAND)
    assert got["phiQ"] == mat([[2, 1], [1, 2]]) and got["phiK"] == mat([[2, 1], [1, 1]])
    assert got["KV"] == mat([[5, 4], [4, 2]]) and got["u"] == mat([[3, 2]])
    assert same(got["Z"], mat([[Rational(7, 4), Rational(5, 4)],
                               [Rational(13, 7), Rational(8, 7)]]))
    causal = answers(CAUSAL)
    assert causal["S_i"] == mat([[2, 4], [1, 2]])
    assert same(causal["Zc"], mat([[1, 2], [Rational(13, 7), Rational(8, 7)]]))
    assert causal["mults"] == mat([[64, 32]])


def test_hand_checked_mistakes():
    assert mistaken(HAND, "linear-no-normaliser")["Z"] == mat([[14, 10], [13, 8]])
    phi_v = mistaken(HAND, "linear-phi-on-v")
    assert phi_v["KV"] == mat([[8, 7], [6, 4]])  # phi(V) = [[2, 3], [4, 1]]
    assert same(phi_v["Z"][:1], mat([[Rational(11, 4), Rational(9, 4)]]))
    soft = mistaken(HAND, "linear-softmax")["Z"][:1]  # softmax over (5, 3)
    assert same(soft, mat([[(E**5 + 3 * E**3) / (E**5 + E**3), 2 * E**5 / (E**5 + E**3)]]))
    assert mistaken(HAND, "linear-not-causal") is None
    wrong = mistaken(CAUSAL, "linear-not-causal")
    assert wrong["S_i"] == mat([[5, 4], [4, 2]])
    assert same(wrong["Zc"], answers(HAND)["Z"])


def test_torch_rebuild_agrees():
    for inst in (HAND, CAUSAL):
        numeric = FAMILIES["linear"].kernel(inst, kernel)
        for key, value in answers(inst).items():
            for x, y in zip([v for r in value for v in r],
                            [v for r in numeric[key] for v in r], strict=True):
                assert abs(float(x) - y) < 1e-12, key
    for level in (1, 2, 3):
        assert cross_check(generate("linear", level, 11)) < 1e-9


@pytest.mark.parametrize("level", [1, 2, 3])
def test_cli_key_and_moved_entry(level):
    check_key_and_moved_entry("linear", level, 21)


@pytest.mark.parametrize("mistake", FAMILIES["linear"].mistakes)
def test_every_mistake_is_named(mistake):
    check_mistake_named("linear", 3, mistake)
