"""softmax-grad: the backward pass through a softmax, row by row.

    A = softmax(s) along each row:  a_j = exp(s_j) / sum_k exp(s_k)         (r x n)
    g = dL/dA, the upstream gradient                                         (r x n)
    c = sum_j g_j a_j, one number per row                                    (r x 1)
    dL/ds_j = a_j (g_j - c)                                                  (r x n)

The last line is the softmax's Jacobian, da_i/ds_j = a_i (delta_ij - a_j), applied to g;
each row of dL/ds sums to 0 (a check a learner can use). Source: modern-attention.md,
"Softmax and attention backward" (FlashAttention, appendix B).

Level 1: one row of 3 scores 0..2 and integer g in -2..2. Level 2: one row of 4 scores
-1..2 and g in halves. Level 3: two rows of 3 or 4 scores -2..2 and g in tenths.
Mistakes: the subtracted term forgotten (a_j g_j), only the Jacobian's diagonal used
(a_j (1 - a_j) g_j), the scores s used in place of the weights A in the backward pass.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import col, elementwise, total
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain, rand_mat
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy


def _grad_row(rng: random.Random, n: int, level: int) -> list[Fraction]:
    if level == 1:
        return [Fraction(rng.randint(-2, 2)) for _ in range(n)]
    if level == 2:
        return [Fraction(rng.randint(-4, 4), 2) for _ in range(n)]
    return [Fraction(rng.randint(-20, 20), 10) for _ in range(n)]


class SoftmaxGrad(Family):
    name = "softmax-grad"
    row_softmax = True
    quantities = (
        Quantity("A", "softmax-grad.q.A"),
        Quantity("gA", "softmax-grad.q.gA"),
        Quantity("dS", "softmax-grad.q.dS"),
    )
    mistakes = ("softmax-grad-no-sum", "softmax-grad-diagonal", "softmax-grad-scores")

    def draw(self, rng: random.Random, level: int) -> Draw:
        r, n = {1: (1, 3), 2: (1, 4), 3: (2, rng.choice((3, 4)))}[level]
        lo, hi = {1: (0, 2), 2: (-1, 2), 3: (-2, 2)}[level]
        while True:
            s = rand_mat(rng, r, n, lo, hi)
            g = plain(_grad_row(rng, n, level) for _ in range(r))
            if all(len(set(row)) > 1 for row in (*s, *g)):
                break
        return Draw({"s": s, "dL/dA": g}, {"rows": r, "n": n}, ("A", "gA", "dS"))

    def statement(self, inst: Instance) -> Msg:
        if inst.params["rows"] == 1:
            return msg("softmax-grad.statement.row", n=inst.params["n"])
        return msg("softmax-grad.statement.rows", rows=inst.params["rows"],
                   n=inst.params["n"])

    def compute(self, inst: Instance, w: Work) -> None:
        given = w.given(inst)
        s, g = given["s"], given["dL/dA"]  # (r x n) each
        exps = w.show("exp(s_j)", elementwise(w.exp, s))  # (r x n)
        sums = w.show("sum_k exp(s_k)", col(total(row) for row in exps))  # (r x 1)
        A = w.result("A", tuple(tuple(e / t for e in row) for row, (t,) in zip(exps, sums,
                                                                                strict=True)),
                     label="a_j = exp(s_j) / (sum_k exp(s_k))")  # (r x n)
        # the exact key over each row's common denominator D = sum_k exp(s_k): the same
        # numbers, far cheaper for sympy to check and print than the step-by-step form
        canonical = not (w.numeric or w.rounded or "A" in w.prior)
        if w.has("softmax-grad-scores"):
            A, canonical = s, False  # the scores where the weights belong
        prods = w.show("a_j dot g_j", elementwise(lambda a, x: a * x, A, g))  # (r x n)
        if canonical:
            c = col(sympy.Pow(d, -1) * total(x * e for x, e in zip(gr, er, strict=True))
                    for gr, er, (d,) in zip(g, exps, sums, strict=True))
        else:
            c = col(total(row) for row in prods)
        c = w.result("gA", c, label="c = sum_j a_j dot g_j")  # (r x 1)
        if w.has("softmax-grad-no-sum"):
            dS = prods  # a_j g_j: the subtracted term forgotten
        elif w.has("softmax-grad-diagonal"):
            dS = elementwise(lambda a, x: a * (1 - a) * x, A, g)  # the Jacobian's diagonal
        else:
            diff = w.show("g_j - c", tuple(tuple(x - ci for x in row)
                                           for row, (ci,) in zip(g, c, strict=True)))
            if canonical and "gA" not in w.prior:  # e_j sum_k e_k (g_j - g_k) / D^2
                dS = tuple(tuple(e_j * sympy.Pow(d, -2) * total(
                    e_k * (g_j - g_k) for e_k, g_k in zip(er, gr, strict=True))
                    for e_j, g_j in zip(er, gr, strict=True))
                    for er, gr, (d,) in zip(exps, g, sums, strict=True))
            else:
                dS = elementwise(lambda a, x: a * x, A, diff)  # (r x n)
        w.result("dS", dS, label="(partial L) / (partial s_j) = a_j (g_j - c)")

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        return k.softmax_grad(inst.given["s"], inst.given["dL/dA"])
