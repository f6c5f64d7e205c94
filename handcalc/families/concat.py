"""concat: concatenating head outputs and projecting with W^O (worked 7).

    C = [Z_1 || Z_2 || ... || Z_h]    along the feature axis    (n x h*d_h)
    Z_final = C W^O                   W^O: (h*d_h x d_model)    (n x d_model)

Level 1: 2 heads, 2 tokens, d_h = 2, d_model = 2, small entries. Level 2: 2 heads,
2 or 3 tokens, negatives. Level 3: 3 heads.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core.exact import hconcat, matmul, vconcat
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import ListOf, Math, Msg, msg


def head_names(inst: Instance) -> list[str]:
    return sorted((n for n in inst.plain_given if n.startswith("Z")), key=lambda n: int(n[1:]))


class Concat(Family):
    name = "concat"
    quantities = (
        Quantity("C", "concat.q.C"),
        Quantity("out", "concat.q.out"),
    )
    mistakes = ("concat-order", "concat-rows", "no-wo")

    def draw(self, rng: random.Random, level: int) -> Draw:
        h = 2 if level < 3 else 3
        n = 2 if level == 1 else rng.choice((2, 3))
        d_model = 2 if level == 1 else rng.choice((2, 3))
        lo, hi = (0, 3) if level == 1 else (-2, 3)
        given = {f"Z{i + 1}": rand_mat(rng, n, 2, lo, hi) for i in range(h)}
        while True:
            WO = rand_mat(rng, 2 * h, d_model, -1 if level > 1 else 0, 2)
            if any(x != 0 for r in WO for x in r):
                break
        given["W^O"] = WO
        return Draw(given, {"h": h}, ("C", "out"))

    def statement(self, inst: Instance) -> Msg:
        names = head_names(inst)
        return msg("concat.statement", h=len(names),
                   names=ListOf(tuple(Math(f"Z_{n[1:]}") for n in names)))

    def compute(self, inst: Instance, w: Work) -> None:
        g = w.given(inst)
        heads = [g[n] for n in head_names(inst)]
        if w.has("concat-order"):
            heads = heads[::-1]
        C = vconcat(*heads) if w.has("concat-rows") else hconcat(*heads)  # (n x h*d_h)
        C = w.result("C", C, label="[Z_1 || dots || Z_h]")
        if w.has("no-wo"):
            w.result("out", C)
            return
        if len(C[0]) != len(g["W^O"]):
            w.not_applicable()
        w.result("out", matmul(C, g["W^O"]), label='Z_"final" = C W^O')  # (n x d_model)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        out = k.concat_heads([inst.given[n] for n in head_names(inst)], inst.given["W^O"])
        return {"C": out["C"], "out": out["out"]}
