"""variance: why attention divides by sqrt(d_k) (worked 9).

For q, k in R^{d_k} with independent components, mean 0, Var(q_i) = s_q, Var(k_i) = s_k:

    Var(q . k) = sum_i Var(q_i k_i) = d_k s_q s_k
    std(q . k) = sqrt(d_k s_q s_k)
    Var(q . k / sqrt(d_k)) = s_q s_k             independent of d_k

Level 1: unit variances, two d_k that are perfect squares. Level 2: integer variances,
two d_k. Level 3: three d_k and variances that may be fractions. At level 1 the scaled
variance (1) equals its square root, so 'var-std-swapped' leaves part 3 unchanged (it is
told apart on parts 1 and 2); every mistake that changes an answer is told apart.

Mistakes: variance and standard deviation swapped, the scaling forgotten (no-scale: part 3
is Var(q . k)), the dot product divided by d_k (its variance by d_k^2), and, added after
codes were published, Var(q . k) divided by sqrt(d_k) (var-scale-not-squared: dividing a
quantity by c divides its variance by c^2, so by d_k here, not by sqrt(d_k)); at d_k = 1 it
changes nothing.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import row
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity
from handcalc.text.messages import ListOf, Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy


class Variance(Family):
    name = "variance"
    quantities = (
        Quantity("var", "variance.q.var"),
        Quantity("std", "variance.q.std"),
        Quantity("scaled_var", "variance.q.scaled_var"),
    )
    mistakes = ("var-std-swapped", "no-scale", "div-dk", "var-scale-not-squared")

    def draw(self, rng: random.Random, level: int) -> Draw:
        if level == 1:
            dks = rng.sample((1, 4, 9, 16, 25, 36, 64), 2)
            sq = sk = Fraction(1)
        elif level == 2:
            dks = rng.sample(range(2, 65), 2)
            sq, sk = Fraction(rng.randint(1, 4)), Fraction(rng.randint(2, 4))
        else:
            dks = rng.sample(range(2, 129), 3)
            choices = (Fraction(1, 2), Fraction(2), Fraction(3), Fraction(4))
            sq, sk = rng.choice(choices), rng.choice(choices[1:])
        return Draw({}, variance_params(dks, sq, sk), ("var", "std", "scaled_var"))

    def args(self, inst: Instance) -> dict[str, Any]:
        return {**inst.params, "dks": ListOf(inst.params["d_ks"])}

    def statement(self, inst: Instance) -> Msg:
        return msg("variance.statement", **inst.params)

    def compute(self, inst: Instance, w: Work) -> None:
        p = inst.params
        prod = w.num(p["var_q"]) * w.num(p["var_k"])
        var = row(w.num(d) * prod for d in p["d_ks"])  # Var(q.k) = d_k s_q s_k   (1 x m)
        std = row(w.sqrt(v) for v in var[0])
        if w.has("var-std-swapped"):
            var, std = std, var
        w.result("var", var, label='"Var"(q dot k) = d_k "Var"(q_i) "Var"(k_i)')
        w.result("std", std, label='"std" = sqrt("Var")')
        if w.has("no-scale"):
            scaled = var
        elif w.has("div-dk"):
            scaled = row(v / w.num(d) ** 2 for v, d in zip(var[0], p["d_ks"], strict=True))
        elif w.has("var-std-swapped"):
            scaled = row(w.sqrt(prod) for _ in p["d_ks"])
        elif w.has("var-scale-not-squared"):  # Var(x / c) taken as Var(x) / c
            scaled = row(v / w.sqrt(d) for v, d in zip(var[0], p["d_ks"], strict=True))
        else:
            scaled = row(prod for _ in p["d_ks"])
        w.result("scaled_var", scaled,
                 label='"Var"((q dot k) / sqrt(d_k)) = ("Var"(q dot k)) / d_k')

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        p = inst.params
        return k.dot_variance(p["d_ks"], p["var_q"], p["var_k"])


def variance_params(dks: list[int] | tuple[int, ...], var_q: sympy.Expr,
                    var_k: sympy.Expr) -> dict[str, Any]:
    dks = tuple(int(d) for d in dks)
    # dks_text is recorded in the golden codes; the words shown come from the catalogue
    return {"d_ks": dks, "dks_text": ", ".join(map(str, dks)), "var_q": var_q, "var_k": var_k}
