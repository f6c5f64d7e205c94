"""layernorm: residual connection then LayerNorm (worked 8).

    Y = X + Z                                   (n x d)
    mu_i = (1/d) sum_j Y_ij                     (n x 1)
    var_i = (1/d) sum_j (Y_ij - mu_i)^2         (n x 1)   biased, as LayerNorm uses
    LN(Y)_ij = (Y_ij - mu_i) / sqrt(var_i + eps)          no learned gain or bias

eps = 1e-5 unless stated. Level 1: one row of 3 features, entries -2..3. Level 2: one
row of 4 features. Level 3: two rows of 3 or 4 features. Rows with variance 0 are not
drawn (worked 8 has one: its LN is 0).
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat, add, col, total
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import Math, Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy



DEFAULT_EPS = Fraction(1, 100000)  # LayerNorm's epsilon, 1e-5


@cache
def default_eps() -> sympy.Expr:
    """LayerNorm's epsilon as sympy's Rational (a typed exercise's default)."""
    return sympy.Rational(DEFAULT_EPS)


def _mean(y: tuple[sympy.Expr, ...]) -> sympy.Expr:
    return total(y) / len(y)


class LayerNorm(Family):
    name = "layernorm"
    quantities = (
        Quantity("Y", "layernorm.q.Y"),
        Quantity("mean", "layernorm.q.mean"),
        Quantity("var", "layernorm.q.var"),
        Quantity("LN", "layernorm.q.LN"),
    )
    mistakes = ("ln-no-residual", "ln-unbiased", "ln-no-center", "ln-no-sqrt")

    def draw(self, rng: random.Random, level: int) -> Draw:
        n, d = {1: (1, 3), 2: (1, 4), 3: (2, rng.choice((3, 4)))}[level]
        lo, hi = (-2, 3) if level < 3 else (-3, 3)
        while True:
            X, Z = rand_mat(rng, n, d, lo, hi), rand_mat(rng, n, d, lo, hi)
            if all(len(set(r)) > 1 for r in add(X, Z)):
                break
        return Draw({"X": X, "Z": Z}, ln_params(DEFAULT_EPS), ("Y", "mean", "var", "LN"))

    def args(self, inst: Instance) -> dict[str, Any]:
        return {**inst.params, "eps": Math(eps_math(inst.params["eps"]))}

    def statement(self, inst: Instance) -> Msg:
        return msg("layernorm.statement")

    def compute(self, inst: Instance, w: Work) -> None:
        g, eps = w.given(inst), w.num(inst.params["eps"])
        Y = g["Z"] if w.has("ln-no-residual") else add(g["X"], g["Z"])  # (n x d)
        Y = w.result("Y", Y, label="Y = X + Z")
        d = len(Y[0])
        mean = col(_mean(r) for r in Y)  # (n x 1)
        mean = w.result("mean", mean, label=msg("layernorm.step.mean"))
        centred: Mat = tuple(tuple(y - m for y in r) for r, (m,) in zip(Y, mean, strict=True))
        centred = w.show("Y - mu", centred)
        denom = d - 1 if w.has("ln-unbiased") else d
        var = w.result("var", col(total(c ** 2 for c in r) / denom for r in centred),
                       label=msg("layernorm.step.var", denom=denom))
        if w.has("ln-no-sqrt"):
            spread = col(v + eps for (v,) in var)
        else:
            spread = col(w.sqrt(v + eps) for (v,) in var)
        spread = w.show("sigma^2 + epsilon" if w.has("ln-no-sqrt") else "sqrt(sigma^2 + epsilon)",
                        spread)
        top = Y if w.has("ln-no-center") else centred
        w.result("LN", tuple(tuple(c / s for c in r) for r, (s,) in zip(top, spread, strict=True)),
                 label='"LN" = (Y - mu) / sqrt(sigma^2 + epsilon)')

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        return k.layer_norm(inst.given["X"], inst.given["Z"], inst.params["eps"])


def ln_params(eps: sympy.Expr) -> dict[str, Any]:
    # recorded in the golden codes
    text = "1e-5" if eps == DEFAULT_EPS else str(eps) if isinstance(eps, int | Fraction) \
        else sympy.sstr(eps)
    return {"eps": eps, "eps_text": text}


def eps_math(eps: sympy.Expr) -> str:
    """eps in neutral math: 10^(-5) rather than 1/100000."""
    r = Fraction(eps)  # a drawn Fraction, or sympy's Rational of a typed one
    digits = len(str(r.denominator)) - 1
    if r.numerator == 1 and r.denominator == 10 ** digits:
        return f"10^(-{digits})"
    return str(r)
