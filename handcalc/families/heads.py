"""heads: splitting d_model into h heads (worked 6).

    d_k = d_model / h
    scale = sqrt(d_k);  level 3 also asks the factor 1 / sqrt(d_k) that multiplies QK^T

Level 1: d_k a perfect square. Level 2 and 3: any d_k, so sqrt(d_k) is irrational.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core.exact import scalar
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity
from handcalc.text.messages import Msg, msg

_SQUARE_DK = (16, 25, 36, 64, 100, 144)
_OTHER_DK = (8, 12, 20, 24, 32, 40, 48, 80, 96, 128)


class Heads(Family):
    name = "heads"
    quantities = (
        Quantity("d_k", "heads.q.d_k", count=True),  # a whole number of dimensions
        Quantity("sqrt_dk", "heads.q.sqrt_dk"),
        Quantity("inv_sqrt_dk", "heads.q.inv_sqrt_dk"),
    )
    mistakes = ("dk-is-dmodel",)

    def draw(self, rng: random.Random, level: int) -> Draw:
        d_k = rng.choice(_SQUARE_DK if level == 1 else _OTHER_DK)
        h = rng.choice((2, 4, 6, 8, 12, 16))
        ask = ("d_k", "sqrt_dk") + (("inv_sqrt_dk",) if level == 3 else ())
        return Draw({}, {"d_model": d_k * h, "h": h}, ask)

    def statement(self, inst: Instance) -> Msg:
        return msg("heads.statement", **inst.params)

    def compute(self, inst: Instance, w: Work) -> None:
        p = inst.params
        d_model, h = w.num(p["d_model"]), w.num(p["h"])
        d_k = d_model if w.has("dk-is-dmodel") else d_model / h
        d_k = w.result("d_k", scalar(d_k), label=f"d_k = {p['d_model']} / {p['h']}")[0][0]
        root = w.result("sqrt_dk", scalar(w.sqrt(d_k)), label="sqrt(d_k)")[0][0]
        w.result("inv_sqrt_dk", scalar(1 / root), label="1 / sqrt(d_k)")

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        out = k.split_heads(inst.params["d_model"], inst.params["h"])
        return {"d_k": [[out["d_k"]]], "sqrt_dk": [[out["sqrt_dk"]]],
                "inv_sqrt_dk": [[out["inv_sqrt_dk"]]]}
