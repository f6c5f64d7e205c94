"""attention-grad: the backward pass through scaled dot-product attention.

Forward, for n tokens with d = 2 features:

    S = Q K^T / sqrt(d)            (n x n)
    A = softmax(S) row by row      (n x n)
    Z = A V                        (n x d)

Backward, from the upstream gradient dZ = dL/dZ (n x d), writing dX for dL/dX:

    dV = A^T dZ                    (n x n) @ (n x d) -> (n x d)
    dA = dZ V^T                    (n x d) @ (d x n) -> (n x n)
    r_i = sum_k A_ik dA_ik         (n x 1), one number per row
    dS_ij = A_ij (dA_ij - r_i)     (n x n), the softmax backward row by row
    dQ = dS K / sqrt(d)            (n x n) @ (n x d) -> (n x d)

Source: modern-attention.md, "Softmax and attention backward" (FlashAttention,
appendix B). Level 1: 2 tokens, Q and K of 0/1 entries (so Q K^T is 0, 1 or 2), V of
0..2, dZ of -1..1. Level 2: 2 tokens, Q, K and V of -1..2, dZ of -1..1. Level 3:
3 tokens, entries -2..2, dZ in halves. Mistakes: dV = A dZ (A not transposed),
dA = V dZ^T (the orientation of dA transposed), the softmax backward skipped (dS = dA),
the 1/sqrt(d) forgotten in dQ, and (added after codes were published) the forward
scores left unscaled (S = Q K^T: A and every gradient after it follow).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.core import attention as att
from handcalc.core.exact import Mat, col, elementwise, matmul, total, transpose
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

D = 2  # features per token (the d = 2)


def _ints(rng: random.Random, n: int, bounds: tuple[int, int]) -> list[list[int]]:
    """An n x D matrix of integers drawn uniformly from bounds (plain ints: draws are
    checked before they become exact matrices)."""
    return [[rng.randint(*bounds) for _ in range(D)] for _ in range(n)]


def _clear_of_boundaries(Q: list[list[int]], K: list[list[int]], V: list[list[int]],
                         dZ: list[list[Fraction]]) -> bool:
    """A quick float preview of every answer: False when one lies within 0.00051 of a
    rounding boundary x.xx5, which the exact rule (0.0005) would refuse anyway. With some
    30 entries at level 3 most draws fail, so they are weeded out here, cheaply."""
    n, root = len(Q), math.sqrt(D)
    A = []
    for q in Q:
        e = [math.exp(sum(a * b for a, b in zip(q, k, strict=True)) / root) for k in K]
        A.append([x / sum(e) for x in e])
    dz = [[float(x) for x in r] for r in dZ]
    dA = [[sum(a * b for a, b in zip(z, v, strict=True)) for v in V] for z in dz]
    dS = [[A[i][j] * (dA[i][j] - sum(A[i][k] * dA[i][k] for k in range(n))) for j in range(n)]
          for i in range(n)]
    dQ = [[sum(dS[i][k] * K[k][j] for k in range(n)) / root for j in range(D)]
          for i in range(n)]
    dV = [[sum(A[i][k] * dz[i][j] for i in range(n)) for j in range(D)] for k in range(n)]
    return all(abs(abs(x) * 100 % 1 - 0.5) > 0.051
               for m in (A, dS, dQ, dV) for r in m for x in r)


def _canonical(w: Work) -> bool:
    """Whether the exact key is being computed from the exact softmax: then dS and dQ are
    written over the common denominator (sum_k exp(S_ik))^2 of their row, which is the
    same number as the step-by-step form but far cheaper for sympy to check and print."""
    return not (w.numeric or w.rounded or "A" in w.prior)


class AttentionGrad(Family):
    name = "attention-grad"
    row_softmax = True
    quantities = (
        Quantity("A", "q.A_rows"),
        Quantity("dV", "attention-grad.q.dV"),
        Quantity("dA", "attention-grad.q.dA"),
        Quantity("dS", "attention-grad.q.dS"),
        Quantity("dQ", "attention-grad.q.dQ"),
    )
    visible = ("dV",)  # how each value row's gradient follows the weights
    mistakes = ("dv-not-transposed", "da-transposed", "softmax-backward-skipped",
                "dq-no-scale", "no-scale")

    def draw(self, rng: random.Random, level: int) -> Draw:
        n = 2 if level < 3 else 3
        qk, v_range = {1: ((0, 1), (0, 2)), 2: ((-1, 2), (-1, 2)), 3: ((-2, 2), (-2, 2))}[level]
        while True:
            Q, K = _ints(rng, n, qk), _ints(rng, n, qk)
            raw = [[sum(a * b for a, b in zip(q, k, strict=True)) for k in K] for q in Q]
            if not (Q[0] != Q[1] and K[0] != K[1] and all(len(set(r)) > 1 for r in raw)
                    and len({tuple(r) for r in raw}) == n  # distinct queries and rows
                    and all(any(r) for r in K)):  # no zero key (it would hide dQ's mistakes)
                continue
            V = _ints(rng, n, v_range)
            if level < 3:
                dZ = [[Fraction(x) for x in r] for r in _ints(rng, n, (-1, 1))]
            else:
                dZ = [[Fraction(rng.randint(-4, 4), 2) for _ in range(D)] for _ in range(n)]
            dA = [[sum(a * b for a, b in zip(z, v, strict=True)) for v in V] for z in dZ]
            # no row of dA constant (else that row of dS is 0), every answer clear of x.xx5
            if all(len(set(r)) > 1 for r in dA) and _clear_of_boundaries(Q, K, V, dZ):
                break
        return Draw({"Q": plain(Q), "K": plain(K), "V": plain(V), "dL/dZ": plain(dZ)},
                    {"n": n, "d": D}, ("A", "dV", "dA", "dS", "dQ"))

    def statement(self, inst: Instance) -> Msg:
        return msg("attention-grad.statement", n=inst.params["n"], d=inst.params["d"])

    def compute(self, inst: Instance, w: Work) -> None:
        """A, then dA, dS and dQ along the chain, then dV (the parts are asked A, dV, ...)."""
        g, d = w.given(inst), inst.params["d"]
        Q, K, V, dZ = g["Q"], g["K"], g["V"], g["dL/dZ"]
        S = att.scores(w, Q, K, d)  # (n x n)
        A = w.result("A", att.softmax(w, S), label=msg("step.softmax_rows"))  # (n x n)
        if w.has("da-transposed", reaches=("dA", "dS", "dQ")):  # dV: A and dZ alone
            dA = matmul(V, transpose(dZ))  # (n x d) @ (d x n): V dZ^T
        else:
            dA = matmul(dZ, transpose(V))  # (n x d) @ (d x n) -> (n x n)
        dA = w.result("dA", dA, label="d A = (d Z) V^T")
        canonical = False
        if w.has("softmax-backward-skipped", reaches=("dS", "dQ")):
            dS = dA  # the softmax's Jacobian ignored
        else:
            r = w.show("r_i = sum_k A_(i k) (d A_(i k))",  # (n x 1)
                       col(total(a * x for a, x in zip(ar, xr, strict=True))
                           for ar, xr in zip(A, dA, strict=True)))
            canonical = _canonical(w)
            if canonical:
                dS = _ds_over_denominator(S, dA)
            else:
                dS = tuple(tuple(a * (x - ri) for a, x in zip(ar, xr, strict=True))
                           for ar, xr, (ri,) in zip(A, dA, r, strict=True))  # (n x n)
        dS = w.result("dS", dS, label="d S_(i j) = A_(i j) (d A_(i j) - r_i)")
        canonical = canonical and "dS" not in w.prior
        if canonical:
            dSK = w.show("(d S) K", _dq_over_denominator(S, dA, K, 1))
        else:
            dSK = w.show("(d S) K", matmul(dS, K))  # (n x n) @ (n x d) -> (n x d)
        root = 1 if w.has("dq-no-scale", reaches=("dQ",)) else w.sqrt(d)
        if canonical:
            dQ = _dq_over_denominator(S, dA, K, root)
        else:
            dQ = elementwise(lambda x: x / root, dSK)  # (n x d)
        w.result("dQ", dQ, label=f"d Q = ((d S) K) / sqrt({d})")
        # dV last: its mistake's branch then precedes no other result (see Work.affected)
        if w.has("dv-not-transposed"):
            dV = matmul(A, dZ)  # (n x n) @ (n x d): A where A^T belongs
        else:
            dV = matmul(transpose(A), dZ)  # (n x n) @ (n x d) -> (n x d)
        w.result("dV", dV, label="d V = A^T (d Z)")

    def zero_allowed(self, inst: Instance, key: str) -> bool:
        """dV of level 1 may be 0 (A with equal rows and dZ whose columns sum to 0): codes
        published before the rule (attention-grad-1-2, attention-grad-1-5) pose it, and
        refusing such draws would change them."""
        return key == "dV" and inst.level == 1

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g = inst.given
        return k.attention_grads(g["Q"], g["K"], g["V"], g["dL/dZ"], d=inst.params["d"])


def _ds_over_denominator(S: Mat, dA: Mat) -> Mat:
    """dS_ij = A_ij (dA_ij - sum_k A_ik dA_ik) as
    exp(S_ij) sum_k exp(S_ik) (dA_ij - dA_ik) / (sum_k exp(S_ik))^2."""
    out = []
    for s_row, a_row in zip(S, dA, strict=True):
        den = sympy.Pow(total(sympy.exp(x) for x in s_row), -2)
        out.append(tuple(
            sympy.exp(s_j) * den * total(sympy.exp(s_k) * (a_j - a_k)
                                         for s_k, a_k in zip(s_row, a_row, strict=True))
            for s_j, a_j in zip(s_row, a_row, strict=True)))
    return tuple(out)


def _dq_over_denominator(S: Mat, dA: Mat, K: Mat, root: sympy.Expr) -> Mat:
    """dQ_ij = sum_k dS_ik K_kj / root over the row's common denominator:
    sum_(k,m) K_kj (dA_ik - dA_im) exp(S_ik + S_im) / (root (sum_k exp(S_ik))^2)."""
    n = len(K)
    out = []
    for s_row, a_row in zip(S, dA, strict=True):
        den = sympy.Pow(total(sympy.exp(x) for x in s_row), -2) / root
        out.append(tuple(
            den * total(K[k][j] * (a_row[k] - a_row[m]) * sympy.exp(s_row[k] + s_row[m])
                        for k in range(n) for m in range(n))
            for j in range(len(K[0]))))
    return tuple(out)
