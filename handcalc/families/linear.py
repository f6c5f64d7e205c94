"""linear: linear attention with the feature map phi(x) = elu(x) + 1.

Katharopoulos et al. 2020 replace exp(q . k) by phi(q) . phi(k) with the positive
feature map phi(x) = elu(x) + 1, entrywise: x + 1 for x > 0, e^x for x <= 0. With
Q, K (n x d) and V (n x d_v):

    phi(K)^T V  (d x d_v)  and  u = phi(K)^T 1 = sum_j phi(k_j)  (1 x d), computed once
    z_i = phi(q_i) (phi(K)^T V) / (phi(q_i) . u)                  (1 x d_v) per row
        = sum_j (phi(q_i) . phi(k_j)) v_j / sum_j phi(q_i) . phi(k_j)   (the same, O(n^2))

The causal form (level 3) is a recurrence over running sums, the paper's RNN view:

    S_i = S_(i-1) + phi(k_i)^T v_i  (d x d_v),   u_i = u_(i-1) + phi(k_i)   (S_0 = 0, u_0 = 0)
    z_i = phi(q_i) S_i / (phi(q_i) . u_i)

and the multiplications of the two orders for N tokens and d = d_v, counting the
matrix products only (not the normalisation): (phi(Q) phi(K)^T) V takes N^2 d + N^2 d,
phi(Q) (phi(K)^T V) takes N d^2 + N d^2 (exact integer counts). Source: Katharopoulos
et al. 2020, "Transformers are RNNs" (arXiv 2006.16236), sections 3.2-3.4.

Level 1: 2 tokens, d = d_v = 2, entries 0..2 (so phi(x) = x + 1). Level 2: 3 tokens,
entries -1..2 (phi(-1) = e^-1). Level 3: 3 or 4 tokens, the causal running sum S_i of a
middle token, the causal outputs, and the counts for N = 10240 or the like, d = 64 or 128.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core.exact import Mat, matmul, row, total, transpose
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import Msg, msg

LONG = ((10240, 64), (4096, 128), (8192, 64), (10240, 128), (32768, 128))


def phi(w: Work, x: Any) -> Any:
    """elu(x) + 1: x + 1 for x > 0, e^x for x <= 0."""
    return w.num(x) + 1 if x > 0 else w.exp(w.num(x))


def _divide_rows(num: Mat, den: Mat) -> Mat:
    return tuple(tuple(v / s for v in r) for r, (s,) in zip(num, den, strict=True))


class Linear(Family):
    name = "linear"
    quantities = (
        Quantity("phiQ", "linear.q.phiQ"),
        Quantity("phiK", "linear.q.phiK"),
        Quantity("KV", "linear.q.KV"),
        Quantity("u", "linear.q.u"),
        Quantity("Z", "linear.q.Z"),
        Quantity("S_i", "linear.q.S_i"),
        Quantity("Zc", "linear.q.Zc"),
        Quantity("mults", "linear.q.mults", count=True),
    )
    mistakes = ("linear-softmax", "linear-no-normaliser", "linear-phi-on-v",
                "linear-not-causal")

    def draw(self, rng: random.Random, level: int) -> Draw:
        n = {1: 2, 2: 3, 3: rng.choice((3, 4))}[level]
        lo, hi = (0, 2) if level == 1 else (-1, 2)
        Q, K = rand_mat(rng, n, 2, lo, hi), rand_mat(rng, n, 2, lo, hi)
        while True:
            V = rand_mat(rng, n, 2, lo, hi + 1)
            if len({tuple(r) for r in V}) == n:  # distinct values: the weights matter
                break
        params: dict[str, Any] = {}
        ask: tuple[str, ...] = ("phiQ", "phiK", "KV", "u", "Z")
        if level == 3:
            N, d = rng.choice(LONG)
            params = {"i": rng.randint(2, n - 1), "N": N, "d": d}
            ask = ("phiQ", "phiK", "KV", "S_i", "Zc", "mults")
        return Draw({"Q": Q, "K": K, "V": V}, params, ask)

    def args(self, inst: Instance) -> dict[str, Any]:
        return {**inst.params, "n": len(inst.plain_given["Q"])}

    def statement(self, inst: Instance) -> Msg:
        a = self.args(inst)
        return msg("linear.statement_causal" if "i" in a else "linear.statement", **a)

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        causal = "i" in p
        if not causal and w.has("linear-not-causal"):
            w.not_applicable()
        V = g["V"]
        pQ = w.result("phiQ", tuple(tuple(phi(w, x) for x in r) for r in g["Q"]),
                      label='"elu"(Q) + 1')  # (n x d)
        pK = w.result("phiK", tuple(tuple(phi(w, x) for x in r) for r in g["K"]),
                      label='"elu"(K) + 1')  # (n x d)
        if w.has("linear-phi-on-v"):
            V = w.show('"elu"(V) + 1', tuple(tuple(phi(w, x) for x in r) for r in V))
        KV = w.result("KV", matmul(transpose(pK), V), label="phi(K)^T V")  # (d x d_v)
        if not causal:
            u = w.result("u", row(total(c) for c in transpose(pK)),
                         label="u = sum_j phi(k_j)")  # (1 x d)
            n = len(pQ)
            w.result("Z", self._outputs(w, pQ, pK, V, [KV] * n, [u] * n, None, False),
                     label=msg("linear.step.divide"))  # (n x d_v)
            return
        # the causal form: running sums over the tokens so far
        n, i = len(pQ), p["i"]
        upto = n if w.has("linear-not-causal") else None
        Ss, us = [], []
        for t in range(1, n + 1):
            last = upto or t
            Ss.append(matmul(transpose(pK[:last]), V[:last]))  # (d x d_v)
            us.append(row(total(c) for c in transpose(pK[:last])))  # (1 x d)
        w.result("S_i", Ss[i - 1], label=f"S_{i} = sum_(j <= {i}) phi(k_j)^T v_j")
        w.show("u_i = sum_(j <= i) phi(k_j)", tuple(u[0] for u in us))  # (n x d): row i is u_i
        vis = None if upto else tuple(tuple(j <= t for j in range(n)) for t in range(n))
        w.result("Zc", self._outputs(w, pQ, pK, V, Ss, us, vis, True),
                 label=msg("linear.step.divide"))  # (n x d_v)
        if "N" not in p:  # given data may leave the counts out
            return
        N, d = p["N"], p["d"]
        w.result("mults", row((w.num(2 * N * N * d), w.num(2 * N * d * d))),
                 label=f"(2 times {N}^2 times {d}, 2 times {N} times {d}^2)")

    @staticmethod
    def _outputs(w: Work, pQ: Mat, pK: Mat, V: Mat, Ss: list[Mat], us: list[Mat],
                 visible: Any, causal: bool) -> Mat:
        """z_i = phi(q_i) S_i / (phi(q_i) . u_i) per row (S_i = phi(K)^T V and u_i = u when
        not causal); mistakes: a softmax over phi(q_i) . phi(k_j), the normaliser left out."""
        n = len(pQ)
        if w.has("linear-softmax"):
            sim = matmul(pQ, transpose(pK))  # (n x n)
            rows = []
            for t in range(n):
                e = [w.exp(s) if visible is None or visible[t][j] else w.num(0)
                     for j, s in enumerate(sim[t])]
                rows.append(tuple(x / total(e) for x in e))
            return matmul(tuple(rows), V)
        nums = tuple(matmul((pQ[t],), Ss[t])[0] for t in range(n))  # (n x d_v)
        nums = w.show("phi(q_i) S_i" if causal else "phi(Q) (phi(K)^T V)", nums)
        if w.has("linear-no-normaliser"):
            return nums
        dens = tuple((matmul((pQ[t],), transpose(us[t]))[0][0],) for t in range(n))  # (n x 1)
        dens = w.show("phi(q_i) dot u_i" if causal else "phi(Q) u^T", dens)
        return _divide_rows(nums, dens)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        causal = "i" in p
        out = k.linear_attention(g["Q"], g["K"], g["V"],
                                 causal_row=p["i"] - 1 if causal else None,
                                 N=p.get("N"), d=p.get("d"))
        return {key: out[key] for key in inst.ask}
