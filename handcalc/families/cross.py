"""cross: cross-attention, decoder queries over encoder keys and values.

The queries come from the decoder (m positions), the keys and values from the encoder
output (n positions), m != n (Vaswani et al. 2017, section 3.2.3):

    Q = X W_Q,  K = H W_K,  V = H W_V    (level 3 only: X decoder states, m x d_model;
                                          H encoder output, n x d_model; W: d_model x d_k)
    S = Q K^T / sqrt(d_k)                (m x n): row i is decoder position i
    A = softmax(S) row by row            (m x n): over the n encoder positions
    Z = A V                              (m x d_v)

There is no causal mask: every decoder position sees every encoder position.

Level 1: m = 2 queries, n = 3 encoder positions, d_k = 4, 0/1 entries. Level 2: m, n in
2..4 with m != n, d_k = 2, entries -1..2. Level 3: starts from X, H and W_Q, W_K, W_V
(d_model in {2, 3}, d_k = 2). Mistakes: the scale forgotten, a causal mask applied,
S transposed (n x m: graded as that mistake, its A follows by rows and Z cannot be
formed), keys and values taken from the decoder (level 3: K = X W_K, V = X W_V).
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core import attention as att
from handcalc.core.exact import matmul, shape, transpose
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.families.padding import ints
from handcalc.text.messages import Msg, msg

_SIZES = {1: ((2, 3),), 2: ((2, 3), (3, 2), (2, 4), (3, 4)), 3: ((2, 3), (3, 2))}


def _dots(A: list[list[int]], B: list[list[int]]) -> list[int]:
    """Every row of A dotted with every row of B: the entries of A B^T."""
    return [sum(a * b for a, b in zip(ra, rb, strict=True)) for ra in A for rb in B]


def _mul(A: list[list[int]], B: list[list[int]]) -> list[list[int]]:
    cols = list(zip(*B, strict=True))
    return [[sum(a * b for a, b in zip(r, c, strict=True)) for c in cols] for r in A]


class Cross(Family):
    name = "cross"
    row_softmax = True
    quantities = (
        Quantity("S", "cross.q.S"),
        Quantity("A", "cross.q.A"),
        Quantity("Z", "cross.q.Z"),
    )
    mistakes = ("no-scale", "cross-causal", "cross-s-transposed", "cross-kv-decoder")

    def draw(self, rng: random.Random, level: int) -> Draw:
        m, n = rng.choice(_SIZES[level])
        if level < 3:
            d, lo, hi = (4, 0, 1) if level == 1 else (2, -1, 2)
            while True:  # plain ints while drawing: fast; exact matrices once accepted
                Q, K = ints(rng, m, d, lo, hi), ints(rng, n, d, lo, hi)
                raw = _dots(Q, K)
                if (max(map(abs, raw)) <= 2 * d and len(set(raw)) > 2
                        and all(any(r) for r in Q + K)):  # no zero query or key
                    break
            while True:
                V = ints(rng, n, 2, lo, hi + 2)
                if len(set(map(tuple, V))) == n:  # distinct rows: a changed A changes Z
                    break
            return Draw({"Q": plain(Q), "K": plain(K), "V": plain(V)}, {"d_k": d, "m": m, "n": n},
                        ("S", "A", "Z"))
        d_model, d = rng.choice((2, 3)), 2
        while True:
            X, H = ints(rng, m, d_model, -1, 2), ints(rng, n, d_model, -1, 2)
            WQ, WK, WV = (ints(rng, d_model, d, -1, 1) for _ in range(3))
            Q, K, Kdec = _mul(X, WQ), _mul(H, WK), _mul(X, WK)
            raw, dec = _dots(Q, K), _dots(Q, Kdec)
            if (max(map(abs, raw + dec)) <= 2 * d and len(set(raw)) > 2 and len(set(dec)) > 1
                    and all(any(r) for r in Q + K)
                    and len(set(map(tuple, _mul(H, WV)))) == n):
                break
        return Draw({"X": plain(X), "H": plain(H), "W_Q": plain(WQ), "W_K": plain(WK),
                     "W_V": plain(WV)},
                    {"d_k": d, "m": m, "n": n, "d_model": d_model}, ("S", "A", "Z"))

    def statement(self, inst: Instance) -> Msg:
        which = "cross.statement_proj" if "X" in inst.plain_given else "cross.statement"
        return msg(which, **self.args(inst))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        if "X" in g:
            Q = w.show("Q = X W_Q", matmul(g["X"], g["W_Q"]))  # (m x d_model) @ (d_model x d_k)
            dec = w.has("cross-kv-decoder")  # the mistake: keys and values from X
            src, name = (g["X"], "X") if dec else (g["H"], "H")
            K = w.show(f"K = {name} W_K", matmul(src, g["W_K"]))  # (n x d_model) @ (d_model x d_k)
            V = w.show(f"V = {name} W_V", matmul(src, g["W_V"]))  # (n x d_model) @ (d_model x d_v)
        else:
            if w.has("cross-kv-decoder"):
                w.not_applicable()  # only level 3 has decoder states to take them from
            Q, K, V = g["Q"], g["K"], g["V"]  # (m x d_k), (n x d_k), (n x d_v)
        S = att.scores(w, Q, K, p["d_k"])  # (m x n)
        if w.has("cross-s-transposed"):
            S = w.show("K Q^T / sqrt(d_k)", transpose(S))  # (n x m): rows are keys
        if w.has("cross-causal"):  # query i sees keys j <= i, as is_causal=True would
            visible = tuple(tuple(j <= i for j in range(shape(S)[1])) for i in range(len(S)))
            S = w.show(msg("cross.step.causal"), att.apply_mask(w, S, visible))
        S = w.result("S", S)  # (m x n)
        A = w.result("A", att.softmax(w, S), label=msg("step.softmax_rows"))  # (m x n)
        if shape(A)[1] != len(V):
            w.not_applicable()  # S transposed: an (n x m) A cannot weight V's n rows
        w.result("Z", att.output(w, A, V), label="Z = A V")  # (m x n) @ (n x d_v)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        if "X" in g:
            return k.cross_attention(g["X"], g["H"], g["H"], d_k=p["d_k"],
                                     W_Q=g["W_Q"], W_K=g["W_K"], W_V=g["W_V"])
        return k.cross_attention(g["Q"], g["K"], g["V"], d_k=p["d_k"])
