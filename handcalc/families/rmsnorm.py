"""rmsnorm: RMSNorm of one or two rows (MiniMind's and LLaMA's normalisation).

    ms_i  = (1/d) sum_j x_ij^2                 (n x 1)   no mean subtracted
    RMS_i = sqrt(ms_i + eps)                   (n x 1)   eps inside the root
    y_ij  = x_ij / RMS_i * g_j                 (n x d)   g: the learned gain, a row

eps inside the square root is torch.nn.RMSNorm's, F.rms_norm's and MiniMind's convention
(the paper, Zhang and Sennrich 2019, has no eps); the statement says so.

Level 1: one row of 2 features, entries -3..3 but not 0, gain entries 1 or 2,
eps = 10^(-2). Level 2: one row of 4 features, gain entries 1/2, 1, 3/2, 2, eps = 10^(-5).
Level 3: two rows of 3 or 4 features, entries -3..3, gain entries -1, 1/2, 1, 3/2, 2,
eps = 10^(-5). The gain is never all ones (its mistake must show). Mistakes: the mean
subtracted first (LayerNorm), the square root forgotten, the gain forgotten, the mean of
squares divided by d - 1, the sum of squares not averaged (at d = 2 the same as dividing by
d - 1: the diagnosis then names both).
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat, col, total
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.families.layernorm import eps_math
from handcalc.families.padding import ints
from handcalc.text.messages import Math, Msg, msg

if TYPE_CHECKING:
    pass
else:
    pass

_GAINS = {1: (1, 2), 2: ("1/2", 1, "3/2", 2), 3: (-1, "1/2", 1, "3/2", 2)}


@cache
def _gains(level: int) -> tuple[Any, ...]:
    """The gains a level draws from: whole ones as ints, the others exact."""
    return tuple(Fraction(g) if isinstance(g, str) else g for g in _GAINS[level])


class RMSNorm(Family):
    name = "rmsnorm"
    quantities = (
        Quantity("ms", "rmsnorm.q.ms"),
        Quantity("rms", "rmsnorm.q.rms"),
        Quantity("y", "rmsnorm.q.y"),
    )
    mistakes = ("rms-mean-subtracted", "rms-no-sqrt", "rms-no-gain", "rms-no-mean",
                "rms-div-d-minus-1")

    def draw(self, rng: random.Random, level: int) -> Draw:
        n, d = {1: (1, 2), 2: (1, 4), 3: (2, rng.choice((3, 4)))}[level]
        eps = Fraction(1, 100) if level == 1 else Fraction(1, 100000)
        while True:  # plain numbers while drawing: fast; exact matrices once accepted
            x = ints(rng, n, d, -3, 3)
            g = [rng.choice(_gains(level)) for _ in range(d)]
            sums = {sum(v * v for v in r) for r in x}  # two rows: two different ms
            if (all(len(set(r)) > 1 and sum(r) != 0 and (level > 1 or all(r)) for r in x)
                    and len(sums) == n
                    and any(v != 0 and gj != 1 for r in x for v, gj in zip(r, g, strict=True))):
                break  # the gain changes y somewhere
        return Draw({"x": plain(x), "g": plain([g])}, {"eps": eps}, ("ms", "rms", "y"))

    def args(self, inst: Instance) -> dict[str, Any]:
        return {**inst.params, "eps": Math(eps_math(inst.params["eps"]))}

    def statement(self, inst: Instance) -> Msg:
        return msg("rmsnorm.statement", **self.args(inst))

    def compute(self, inst: Instance, w: Work) -> None:
        g, eps = w.given(inst), w.num(inst.params["eps"])
        x, gain = g["x"], g["g"][0]  # (n x d), (d,)
        d = len(x[0])
        if w.has("rms-mean-subtracted"):  # LayerNorm's centring
            means = [total(r) / d for r in x]
            x = w.show("x - mu", tuple(tuple(v - m for v in r)
                                       for r, m in zip(x, means, strict=True)))  # (n x d)
        denom = 1 if w.has("rms-no-mean") else d - 1 if w.has("rms-div-d-minus-1") else d
        squares = w.show("x^2", tuple(tuple(v ** 2 for v in r) for r in x))  # (n x d)
        ms = w.result("ms", col(total(r) / denom for r in squares),
                      label=msg("rmsnorm.step.ms", denom=denom))  # (n x 1)
        if w.has("rms-no-sqrt"):
            rms = w.result("rms", col(m + eps for (m,) in ms), label='"ms" + epsilon')
        else:
            rms = w.result("rms", col(w.sqrt(m + eps) for (m,) in ms),
                           label='"RMS" = sqrt("ms" + epsilon)')  # (n x 1)
        normed: Mat = tuple(tuple(v / r for v in row)
                            for row, (r,) in zip(x, rms, strict=True))  # (n x d)
        if w.has("rms-no-gain"):
            w.result("y", normed, label='y = x / "RMS"')
            return
        normed = w.show('x / "RMS"', normed)
        w.result("y", tuple(tuple(v * gj for v, gj in zip(r, gain, strict=True))
                            for r in normed), label=msg("rmsnorm.step.y"))  # (n x d)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        return k.rms_norm(inst.given["x"], inst.given["g"], inst.params["eps"])
