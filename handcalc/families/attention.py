"""attention: S, A and Z for a few tokens, scaled or unscaled (worked 2).

    S = Q K^T / sqrt(d_k)       (n x n); unscaled exercises use d_k = 1 in the formula
    A = softmax(S) row by row   (n x n)
    Z = A V                     (n x d_v)

Level 1: 2 tokens, d = 2 unscaled or d_k = 4 scaled with 0/1 entries. Level 2: 3 tokens,
d_k in {2, 3}, entries -1..2. Level 3: 3 or 4 tokens, d_k in {2, 3, 4}, entries -2..2.
Scores are kept within |S| <= 4 so that exponentials stay calculator-sized.

The mistake scaled-unasked (dividing by sqrt(2) although told not to scale) applies to
the unscaled level-1 exercises only, and was added after codes were published. It moves
no published code, though the separation rule now checks it: S has integer entries, so a
changed entry k becomes k / sqrt(2), at least 0.29 away; a row of 2 weights whose scores
differ by 1 to 4 moves by at least sigma(4) - sigma(4 / sqrt(2)) > 0.038; and Z's entries
move by that times a nonzero integer difference of V's rows, or not at all. Every change
is thus more than 0.01, and no accepted instance is newly rejected.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from handcalc.core import attention as att
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import Msg, msg


def scaling(params: Mapping[str, Any]) -> Msg:
    """How the scores are scaled, as the statement says it."""
    if params.get("scaled", True) and params["d_k"] != 1:
        return msg("scaling.scaled", d_k=params["d_k"])
    return msg("scaling.none")


class Attention(Family):
    name = "attention"
    row_softmax = True
    quantities = (
        Quantity("S", "attention.q.S"),
        Quantity("A", "q.A_rows"),
        Quantity("Z", "q.Z"),
    )
    mistakes = ("no-scale", "div-dk", "mul-sqrt-dk", "k-not-transposed", "softmax-columns",
                "no-softmax", "exp-not-normalised", "scaled-unasked")

    def draw(self, rng: random.Random, level: int) -> Draw:
        if level == 1:
            scaled = rng.random() < 0.5
            n, d, lo, hi = 2, (4 if scaled else 2), 0, (1 if scaled else 2)
        else:
            scaled = True
            n = 3 if level == 2 else rng.choice((3, 4))
            d = rng.choice((2, 3)) if level == 2 else rng.choice((2, 3, 4))
            lo, hi = (-1, 2) if level == 2 else (-2, 2)
        d_k = d if scaled else 1
        while True:
            Q, K = rand_mat(rng, n, d, lo, hi), rand_mat(rng, n, d, lo, hi)
            raw = [sum(a * b for a, b in zip(qr, kr, strict=True)) for qr in Q for kr in K]
            if max(abs(x) for x in raw) <= 4 * max(1, d_k) ** 0.5 and len(set(raw)) > 1:
                break
        V = rand_mat(rng, n, 2 if level < 3 else rng.choice((2, 3)), lo, hi + 2)
        return Draw({"Q": Q, "K": K, "V": V}, {"d_k": d_k, "scaled": scaled},
                    ("S", "A", "Z"))

    def statement(self, inst: Instance) -> Msg:
        return msg("attention.statement", n=len(inst.plain_given["Q"]),
                   scaling=scaling(inst.params))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        S = w.result("S", att.scores(w, g["Q"], g["K"], p["d_k"], scaled=p["scaled"]))
        A = w.result("A", att.softmax(w, S), label=msg("step.softmax_rows"))  # (n x n)
        w.result("Z", att.output(w, A, g["V"]), label="Z = A V")  # (n x d_v)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        out = k.attention(g["Q"], g["K"], g["V"], d_k=p["d_k"] if p["scaled"] else 1)
        return {"S": out["S"], "A": out["A"], "Z": out["Z"]}
