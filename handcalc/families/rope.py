"""rope: rotary position embedding (RoPE) of one query and one key.

Each pair (x, y) of a vector at position p is turned by the angle p theta_i (radians):

    (x, y) -> (x cos(p theta_i) - y sin(p theta_i), x sin(p theta_i) + y cos(p theta_i))
    theta_i = base^(-2i/d),  i = 0 ... d/2 - 1
    q' = R_p q  (1 x d),  k' = R_p' k  (1 x d)
    q' . k' = q^T R_(p' - p) k      (scalar): it depends only on p' - p, so
    (R_(p+t) q) . (R_(p'+t) k) = q' . k'   for every shift t

Pairs (the convention, stated in the exercise): interleaved (x_1, x_2), (x_3, x_4) as in
the RoFormer paper and complex-number code (torch.polar, view_as_complex), or half-split
(x_1, x_3), (x_2, x_4) as in HF rotate_half and MiniMind. Source: Su et al. 2021
(arXiv 2104.09864).

Parts: q' (1 x d), k' (1 x d), q' . k', and the dot product with both positions shifted
by t (equal to the previous part).
Level 1: d = 2, theta = pi/6 or pi/4, so every cosine and sine is known by hand
(1/2, sqrt(2)/2, sqrt(3)/2); entries -2..3. Level 2: d = 2, theta_0 = base^0 = 1 radian,
entries -3..3. Level 3: d = 4, base 100, so theta_0 = 1 and theta_1 = 1/10 radian, with
the pairing stated (interleaved or half-split); entries -2..2.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc import lazysympy
from handcalc.core.exact import row, scalar, total
from handcalc.core.work import Work
from handcalc.families.apart import draw_apart
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.text.messages import ListOf, Math, Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

ASK = ("q_rot", "k_rot", "dot", "dot_shift")


@dataclass(frozen=True, eq=False)
class PiTimes:
    """q pi: a drawn angle of level 1 (pi/6, pi/4), read without sympy. sympy takes it as
    the value it is (``_sympy_``), handcalc.core.exact.to_exact too; it is equal to that
    value, prints as sympy prints it (pi/6, 2*pi/3) and multiplies by whole numbers."""

    q: Fraction

    def _sympy_(self) -> sympy.Expr:
        return sympy.pi * sympy.Rational(self.q.numerator, self.q.denominator)

    @property
    def pi_multiple(self) -> Fraction:
        """q: the rational kit's cos and sin are exact for it (handcalc.core.rational)."""
        return self.q

    def __float__(self) -> float:
        return float(self.q) * math.pi

    def __mul__(self, k: object) -> Any:
        if isinstance(k, int) and not isinstance(k, bool):
            return PiTimes(self.q * k)
        return NotImplemented

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PiTimes):
            return self.q == other.q
        # a sympy value (only where sympy is loaded: no other can be one)
        return lazysympy.loaded() and isinstance(other, sympy.Basic) and bool(
            other == self._sympy_())

    def __hash__(self) -> int:
        return hash(self._sympy_())  # as the sympy value it equals (sympy loads then)

    def __str__(self) -> str:
        a, b = self.q.numerator, self.q.denominator
        top = "pi" if a == 1 else "-pi" if a == -1 else f"{a}*pi"
        return top if b == 1 else f"{top}/{b}"

    __repr__ = __str__


def thetas(params: dict[str, Any]) -> tuple[Any, ...]:
    """theta_i for each pair: the stated angle (level 1) or base^(-2i/d), a Fraction where
    it is rational (every drawn one: 1 and 100^(-1/2) = 1/10), else sympy's power."""
    if "theta" in params:
        return (params["theta"],)
    d, base = params["d"], params["base"]
    return tuple(_power(base, Fraction(-2 * i, d)) for i in range(d // 2))


def _power(base: Any, e: Fraction) -> Any:
    """base ** e, exact: a Fraction when base is a whole number with a whole root of e's
    denominator, else sympy's value."""
    if isinstance(base, int) and base > 0:
        root = round(base ** (1 / e.denominator))
        for r in (root - 1, root, root + 1):
            if r > 0 and r ** e.denominator == base:
                return Fraction(r) ** e.numerator
    return sympy.Rational(base) ** sympy.Rational(e.numerator, e.denominator)


def _text(x: Any) -> str:
    """An exact value as neutral math's text: 3/10, 2*pi/3."""
    return str(x) if isinstance(x, int | Fraction) else sympy.sstr(x)


def _six(f: Any, a: Any) -> str:
    """f(a) (cos or sin) to 6 decimals: from the float where it is clearly not a tie of
    the 7th decimal, else from sympy's value (the text sympy's value gives, either way)."""
    if isinstance(a, int | Fraction):
        v = getattr(math, f)(float(a))
        scaled = abs(v) * 1e6
        if abs(scaled - math.floor(scaled) - 0.5) > 1e-6:
            return f"{v:.6f}"
    return f"{float(getattr(sympy, f)(a)):.6f}"


def _values(params: dict[str, Any]) -> ListOf:
    """cos and sin, to 6 decimals, of the angles that turn q and k (p_q theta_i and
    p_k theta_i, but 0): angles of whole radians (1, 2, 4, 3/10) are no lesson to look up
    with a calculator. A learner who works with them is off by far less than the 0.0005
    that every drawn answer keeps from a rounding boundary."""
    shown = []  # one formula each, so that lines break between them
    for pos in sorted({params["p_q"], params["p_k"]} - {0}):
        for t in thetas(params):
            a = pos * t
            shown += [Math(f"cos({_text(a)}) = {_six('cos', a)}"),
                      Math(f"sin({_text(a)}) = {_six('sin', a)}")]
    return ListOf(tuple(shown))


def pairs(d: int, pairing: str | None) -> tuple[tuple[int, int], ...]:
    """The 0-based components of each pair."""
    if pairing == "half-split":
        return tuple((i, i + d // 2) for i in range(d // 2))
    return tuple((2 * i, 2 * i + 1) for i in range(d // 2))


OTHER = {"interleaved": "half-split", "half-split": "interleaved"}


def _angle_text(theta: sympy.Expr) -> str:
    """A rational multiple of pi in neutral math: pi/6, pi/4."""
    r = theta.q if isinstance(theta, PiTimes) else Fraction(sympy.Rational(theta / sympy.pi))
    top = "pi" if r.numerator == 1 else f"{r.numerator} pi"
    return top if r.denominator == 1 else f"{top} / {r.denominator}"


def _cross(a: list[int], b: list[int], pr: tuple[tuple[int, int], ...]) -> list[int]:
    return [a[i] * b[j] - a[j] * b[i] for i, j in pr]


class Rope(Family):
    name = "rope"
    quantities = (
        Quantity("q_rot", "rope.q.q_rot"),
        Quantity("k_rot", "rope.q.k_rot"),
        Quantity("dot", "rope.q.dot"),
        Quantity("dot_shift", "rope.q.dot_shift"),
    )
    mistakes = ("rope-negative-angle", "rope-key-query-position", "rope-other-pairing")

    def draw(self, rng: random.Random, level: int) -> Draw:
        return draw_apart(self, rng, level, self._draw_once)

    def _draw_once(self, rng: random.Random, level: int) -> Draw | None:
        dim = 4 if level == 3 else 2
        lo, hi = {1: (-2, 3), 2: (-3, 3), 3: (-2, 2)}[level]
        q = [rng.randint(lo, hi) for _ in range(dim)]
        k = [rng.randint(lo, hi) for _ in range(dim)]
        p_q = rng.randint(1, 4 if level < 3 else 6)
        p_k = rng.choice([p for p in range(0, 6 if level < 3 else 7) if p != p_q])
        shift = rng.randint(1, 3)
        params: dict[str, Any] = {"d": dim}
        if level == 1:
            params["theta"] = PiTimes(Fraction(1, rng.choice((6, 4))))
            turn = float((p_k - p_q) * params["theta"])
            if abs(math.sin(turn)) < 1e-9:  # q' . k' would not tell the direction
                return None
        else:
            params["base"] = 10000 if level == 2 else 100
        if level == 3:
            params["pairing"] = rng.choice(("interleaved", "half-split"))
        params.update({"p_q": p_q, "p_k": p_k, "shift": shift})
        pr = pairs(dim, params.get("pairing"))
        # every pair of q and k carries something, and q and k are not parallel in it
        if any(c == 0 for c in _cross(q, k, pr)):
            return None
        return Draw({"q": plain([q]), "k": plain([k])}, params, ASK)

    def args(self, inst: Instance) -> dict[str, Any]:
        p = inst.params
        out: dict[str, Any] = {**p, "p_q2": p["p_q"] + p["shift"],
                               "p_k2": p["p_k"] + p["shift"]}
        if "theta" in p:
            out["theta"] = Math(_angle_text(p["theta"]))
            angles = msg("rope.angles.fixed", **out)
        elif p["d"] == 2:
            angles = msg("rope.angles.d2", **out)
        else:
            out["theta_1"] = Math(_text(thetas(p)[1]))
            angles = msg(f"rope.angles.{p['pairing']}", **out)
        if "theta" not in p:  # angles of whole radians: their cos and sin are given
            angles = msg("rope.with_values", angles=angles, values=_values(p))
        out["angles"] = angles
        return out

    def statement(self, inst: Instance) -> Msg:
        return msg("rope.statement", **self.args(inst))

    def _names(self, inst: Instance) -> list[str]:
        """How the worked steps name each pair's angle: theta, or theta_0, theta_1."""
        if "theta" in inst.params:
            return ["theta"]
        return [f"theta_{i}" for i in range(inst.params["d"] // 2)]

    def _rotate(self, w: Work, inst: Instance, x: tuple[Any, ...], pos: int, sign: int,
                pr: tuple[tuple[int, int], ...]) -> tuple[Any, ...]:
        """x (1 x d) turned to position pos: each pair by pos * theta_i (sign -1: by minus
        the angle); shows the cosines and sines."""
        ths = [w.num(t) for t in thetas(inst.params)]
        names = self._names(inst)
        angles = [sign * pos * t for t in ths]
        turns = [n if pos == 1 else f"{pos} {n}" for n in names]
        cos = w.show(", ".join(f"cos({t})" for t in turns),
                     row(w.cos(a) for a in angles))[0]  # (1 x d/2)
        sin = w.show(", ".join(f"sin({t})" for t in turns),
                     row(w.sin(a) for a in angles))[0]  # (1 x d/2)
        out = list(x)
        for (i, j), c, s in zip(pr, cos, sin, strict=True):
            out[i] = x[i] * c - x[j] * s
            out[j] = x[i] * s + x[j] * c
        return tuple(out)

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        pairing = p.get("pairing")
        if w.has("rope-other-pairing"):
            if pairing is None:
                w.not_applicable()
            pairing = OTHER[pairing]
        pr = pairs(p["d"], pairing)
        sign = -1 if w.has("rope-negative-angle") else 1
        q, k = g["q"][0], g["k"][0]  # (1 x d) each
        q_rot = w.result("q_rot", row(self._rotate(w, inst, q, p["p_q"], sign, pr)),
                         label=f"q' = R_({p['p_q']}) q")[0]  # (1 x d)
        p_k = p["p_q"] if w.has("rope-key-query-position") else p["p_k"]
        k_rot = w.result("k_rot", row(self._rotate(w, inst, k, p_k, sign, pr)),
                         label=f"k' = R_({p['p_k']}) k")[0]  # (1 x d)
        w.result("dot", scalar(total(a * b for a, b in zip(q_rot, k_rot, strict=True))),
                 label="q' dot k'")
        a, b = p["p_q"] + p["shift"], p_k + p["shift"]
        q2 = w.show(f"R_({a}) q", row(self._rotate(w, inst, q, a, sign, pr)))[0]
        k2 = w.show(f"R_({p['p_k'] + p['shift']}) k",
                    row(self._rotate(w, inst, k, b, sign, pr)))[0]
        w.result("dot_shift", scalar(total(x * y for x, y in zip(q2, k2, strict=True))),
                 label=f"(R_({a}) q) dot (R_({p['p_k'] + p['shift']}) k)")

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        return k.rope(g["q"], g["k"], p_q=p["p_q"], p_k=p["p_k"], shift=p["shift"],
                      pairing=p.get("pairing", "interleaved"), base=p.get("base"),
                      theta=float(p["theta"]) if "theta" in p else None)

