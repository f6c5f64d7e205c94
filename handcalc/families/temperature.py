"""temperature: softmax of logits at several temperatures.

    z: logits                                      (1 x n)
    T = (T_1, ..., T_m): temperatures              (1 x m)
    P_i = softmax(z / T_i):  P_ij = exp(z_j / T_i) / sum_k exp(z_k / T_i)    (m x n)
    p_max,i = max_j P_ij, the largest probability at T_i                    (1 x m)

Convention: the logits are divided by T before the softmax (Hugging Face's
TemperatureLogitsWarper); T < 1 sharpens the distribution, T > 1 flattens it, and
dividing scores by sqrt(d_k) is a temperature of sqrt(d_k). Rows of P follow the order of
the temperatures given.

Level 1: 3 integer logits 0..3 and two temperatures from 1/2, 1, 2. Level 2: 4 logits
-1..3 and three temperatures from 1/2, 1, 2, 4. Level 3: 5 logits -2..3 and three
temperatures from 1/2, 4/5, 3/2, 2, 3. Mistakes: the logits multiplied by T instead of
divided, the temperature applied after the softmax (softmax(z) / T, the probabilities
divided by T).
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat, approx, col, elementwise, row, total
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    pass
else:
    pass

_TEMPS = {1: ("1/2", "1", "2"), 2: ("1/2", "1", "2", "4"), 3: ("1/2", "4/5", "3/2", "2", "3")}


@cache
def _temps(level: int) -> tuple[Fraction, ...]:
    """The temperatures a level draws from, exact."""
    return tuple(Fraction(t) for t in _TEMPS[level])


def _size(v: Any) -> float:
    """A value's size for choosing the largest: floats as they are, exact values from
    their cached float evaluation (the entries compared are never within its error)."""
    return float(v) if isinstance(v, float | int | Fraction) else approx(v)


def _softmax_rows(w: Work, X: Mat) -> Mat:
    exps = w.show(msg("temperature.step.exp"), elementwise(w.exp, X))  # (m x n)
    sums = w.show(msg("temperature.step.sums"), col(total(r) for r in exps))  # (m x 1)
    return tuple(tuple(e / s for e in r) for r, (s,) in zip(exps, sums, strict=True))


class Temperature(Family):
    name = "temperature"
    row_softmax = True
    quantities = (
        Quantity("P", "temperature.q.P"),
        Quantity("pmax", "temperature.q.pmax"),
    )
    mistakes = ("temperature-multiplied", "temperature-after-softmax")
    visible = ("P",)  # how T reshapes the distribution: no probability shown as 0.00

    def draw(self, rng: random.Random, level: int) -> Draw:
        n, m = {1: (3, 2), 2: (4, 3), 3: (5, 3)}[level]
        lo, hi = {1: (0, 3), 2: (-1, 3), 3: (-2, 3)}[level]
        while True:
            z = [rng.randint(lo, hi) for _ in range(n)]
            if len(set(z)) > 1:
                break
        temps = sorted(rng.sample(_temps(level), m))
        return Draw({"z": plain([z]), "T": plain([temps])}, {"n": n, "m": m}, ("P", "pmax"))

    def statement(self, inst: Instance) -> Msg:
        return msg("temperature.statement", n=inst.params["n"], m=inst.params["m"])

    def compute(self, inst: Instance, w: Work) -> None:
        g = w.given(inst)
        z, temps = g["z"][0], g["T"][0]  # (1 x n), (1 x m)
        if w.has("temperature-after-softmax"):
            p = _softmax_rows(w, (z,))[0]  # softmax(z), then each probability / T
            P = tuple(tuple(x / t for x in p) for t in temps)
        else:
            if w.has("temperature-multiplied"):
                scaled = tuple(tuple(x * t for x in z) for t in temps)  # z T
            else:
                scaled = tuple(tuple(x / t for x in z) for t in temps)  # (m x n): z / T_i
            scaled = w.show("z / T", scaled)
            P = _softmax_rows(w, scaled)
        P = w.result("P", P, label='p = "softmax"(z / T)')  # (m x n)
        w.result("pmax", row(max(r, key=_size) for r in P), label="max(p)")  # (1 x m)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        return k.temperature_softmax(inst.given["z"], inst.given["T"])
