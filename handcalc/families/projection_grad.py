"""projection-grad: the gradient of a linear projection (worked 10).

    Q = W x                   W: (m x n), x: (n x 1), Q: (m x 1)
    dL/dW = (dL/dQ) x^T       (m x 1) @ (1 x n) -> (m x n), an outer product
    dL/dx = W^T (dL/dQ)       (n x m) @ (m x 1) -> (n x 1)

Level 1: 2 x 2, x of small integers, dL/dQ in tenths. Level 2: 2 x 3 with negatives.
Level 3: 3 x 3, dL/dQ in halves and tenths. At level 1 'grad-elementwise' has a
different shape from the answer, which always tells it apart.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat, elementwise, matmul, transpose
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain, rand_mat
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    pass
else:
    pass


class ProjectionGrad(Family):
    name = "projection-grad"
    quantities = (
        Quantity("dW", "projection-grad.q.dW"),
        Quantity("dx", "projection-grad.q.dx"),
    )
    mistakes = ("grad-transposed", "grad-elementwise")

    def draw(self, rng: random.Random, level: int) -> Draw:
        m, n = {1: (2, 2), 2: (2, 3), 3: (3, 3)}[level]
        W = rand_mat(rng, m, n, 0 if level == 1 else -2, 3)
        x = rand_mat(rng, n, 1, 1 if level == 1 else -2, 3)
        steps = (10,) if level < 3 else (2, 10)
        g = plain([Fraction(rng.choice([v for v in range(-9 if level > 1 else 1, 10) if v]),
                             rng.choice(steps))] for _ in range(m))
        return Draw({"W": W, "x": x, "dL/dQ": g}, {}, ("dW", "dx"))

    def statement(self, inst: Instance) -> Msg:
        return msg("projection-grad.statement")

    def compute(self, inst: Instance, w: Work) -> None:
        given = w.given(inst)
        g, x = given["dL/dQ"], given["x"]
        if w.has("grad-transposed"):
            dW = matmul(x, transpose(g))  # (n x 1) @ (1 x m)
        elif w.has("grad-elementwise"):
            if len(g) != len(x):
                w.not_applicable()
            dW = elementwise(lambda a, b: a * b, g, x)  # (m x 1)
        else:
            dW = matmul(g, transpose(x))  # (m x 1) @ (1 x n) -> (m x n)
        w.result("dW", dW, label="(partial L) / (partial W) = (partial L) / (partial Q) x^T")
        if "W" not in given:
            return
        W: Mat = given["W"]
        if w.has("grad-transposed"):
            if len(W) != len(W[0]):
                w.not_applicable()
            dx = matmul(W, g)  # (m x n) @ (n x 1) with m = n
        else:
            dx = matmul(transpose(W), g)  # (n x m) @ (m x 1)
        w.result("dx", dx, label="(partial L) / (partial x) = W^T (partial L) / (partial Q)")

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g = inst.given
        W = g.get("W") or tuple(tuple(0 for _ in g["x"]) for _ in g["dL/dQ"])
        return k.projection_grads(W, g["x"], g["dL/dQ"])
