"""causal: the causal mask (worked 5).

    S_ij = q_i . k_j / sqrt(d_k)  for j <= i,   S_ij = -inf for j > i     (n x n)
    A = softmax(S) row by row (exp(-inf) = 0)                             (n x n)
    Z = A V                                                               (n x d_v)

Level 1: 2 tokens, d = 1, no scaling (d_k = 1). Level 2: 3 tokens, d_k = 2, entries
-1..2. Level 3: 3 or 4 tokens, d_k in {2, 3}, entries -2..2. Every catalogued mistake
is told apart at every level; the scaling mistakes apply only where scores are scaled.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core import attention as att
from handcalc.core.work import Work
from handcalc.families.attention import scaling
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import Msg, msg


class Causal(Family):
    name = "causal"
    row_softmax = True
    quantities = (
        Quantity("S", "causal.q.S"),
        Quantity("A", "q.A_rows"),
        Quantity("Z", "q.Z"),
    )
    mistakes = ("no-scale", "div-dk", "mul-sqrt-dk", "mask-zero", "mask-after-softmax",
                "mask-transposed", "no-mask", "softmax-columns")

    def draw(self, rng: random.Random, level: int) -> Draw:
        if level == 1:
            n, d, lo, hi, scaled = 2, 1, 1, 3, False
        else:
            n = 3 if level == 2 else rng.choice((3, 4))
            d = 2 if level == 2 else rng.choice((2, 3))
            lo, hi, scaled = (-1, 2, True) if level == 2 else (-2, 2, True)
        d_k = d if scaled else 1
        while True:
            Q, K = rand_mat(rng, n, d, lo, hi), rand_mat(rng, n, d, lo, hi)
            raw = [sum(a * b for a, b in zip(qr, kr, strict=True)) for qr in Q for kr in K]
            if max(map(abs, raw)) <= 4 * max(1, d_k) ** 0.5 and len(set(raw)) > 2:
                break
        V = rand_mat(rng, n, 1 if level == 1 else 2, lo, hi + 3)
        return Draw({"Q": Q, "K": K, "V": V}, {"d_k": d_k, "scaled": scaled},
                    ("S", "A", "Z"))

    def statement(self, inst: Instance) -> Msg:
        return msg("causal.statement", n=len(inst.plain_given["Q"]), scaling=scaling(inst.params))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        visible = att.causal_visible(len(g["Q"]))
        S0 = att.scores(w, g["Q"], g["K"], p["d_k"], scaled=p["scaled"])  # (n x n)
        S = w.result("S", att.apply_mask(w, S0, visible), label=msg("causal.step.masked"))
        A = w.result("A", att.masked_softmax(w, S, S0, visible),
                     label=msg("step.softmax_rows"))  # (n x n)
        w.result("Z", att.output(w, A, g["V"]), label="Z = A V")  # (n x d_v)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        out = k.attention(g["Q"], g["K"], g["V"], d_k=p["d_k"] if p["scaled"] else 1,
                          causal=True)
        return {"S": out["S"], "A": out["A"], "Z": out["Z"]}
