"""score: one query, one key, one value (worked 1 and 3).

    s = q . k / sqrt(d_k)        q, k: 1 x d_k
    a = softmax([s]) = exp(s) / exp(s) = 1
    z = a v                      v: 1 x d_v

Level 1: d_k = 4, entries 0..2 (s is a multiple of 1/2). Level 2: d_k in {2, 3},
entries -2..3. Level 3: d_k in {2, 3, 5, 6}, entries -3..3. The softmax of a single
score is always 1, so 'no-softmax' and 'exp-not-normalised' are told apart from it only
when s and exp(s) do not round to 1.00; the generator refuses instances where they do.
Every catalogued mistake is told apart at every level.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core import attention as att
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import Msg, msg


class Score(Family):
    name = "score"
    quantities = (
        Quantity("s", "score.q.s"),
        Quantity("a", "score.q.a"),
        Quantity("z", "score.q.z"),
    )
    mistakes = ("no-scale", "div-dk", "mul-sqrt-dk", "no-softmax", "exp-not-normalised")

    def draw(self, rng: random.Random, level: int) -> Draw:
        d_k, lo, hi = {1: (4, 0, 2), 2: (rng.choice((2, 3)), -2, 3),
                       3: (rng.choice((2, 3, 5, 6)), -3, 3)}[level]
        while True:
            q, k = rand_mat(rng, 1, d_k, lo, hi), rand_mat(rng, 1, d_k, lo, hi)
            dot = sum(a * b for a, b in zip(q[0], k[0], strict=True))
            if dot != 0 and abs(dot) <= 2 * d_k:
                break
        v = rand_mat(rng, 1, rng.choice((2, d_k)) if level > 1 else 2, lo, hi + 2)
        return Draw({"q": q, "k": k, "v": v}, {"d_k": d_k}, ("s", "a", "z"))

    def statement(self, inst: Instance) -> Msg:
        return msg("score.statement", d_k=inst.params["d_k"])

    def compute(self, inst: Instance, w: Work) -> None:
        g = w.given(inst)
        s = w.result("s", att.scores(w, g["q"], g["k"], inst.params["d_k"], one=True))  # 1x1
        a = w.result("a", att.softmax(w, s, one=True), label="a = exp(s) / exp(s)")  # (1 x 1)
        w.result("z", att.output(w, a, g["v"]), label="z = a v")  # (1 x d_v)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g = inst.given
        out = k.attention(g["q"], g["k"], g["v"], d_k=inst.params["d_k"])
        return {"s": out["S"], "a": out["A"], "z": out["Z"]}
