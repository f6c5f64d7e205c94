"""mha: multi-head attention from X, with h = 2 heads.

    Q = X W^Q,  K = X W^K,  V = X W^V           (n x d_model) each; W: (d_model x d_model)
    d_k = d_model / h;  head i (numbered from 0) takes columns i*d_k .. (i+1)*d_k - 1
    S_i = Q_i K_i^T / sqrt(d_k)                  (n x n)
    A_i = softmax(S_i) row by row                (n x n)
    Z_i = A_i V_i                                (n x d_k)
    C = [Z_0 || Z_1]                             (n x d_model)
    Y = C W^O                                    (n x d_model)

Convention: row vectors times weights (x W), as in the course; torch.nn.Linear and
nn.MultiheadAttention store the transposes. Parts: Q, the named head's S_i and A_i, C
and Y. Level 1: 2 tokens, d_model = 2 (d_k = 1, no irrational scale), X entries 0..2,
weights 0/1. Level 2: 3 tokens, d_model = 2, X entries -1..2, weights -1..1. Level 3:
3 tokens, d_model = 4 (d_k = 2), X and weights -1..1. Every head's scores are
kept within |S| <= 4 so that exponentials stay calculator-sized.

Mistakes: tokens split across heads (the reshape without the transpose), the scale
sqrt(d_model) for sqrt(d_k), the heads concatenated in reverse order, W^O forgotten,
another head's slice (added after codes were published), and (level 3, where d_k = 2, also
added since) the scale forgotten.

Heads are numbered from 0 in every family and language, as in the code a learner reads
(``view(n, h, d_k)``, ``repeat_kv``). The named head is stored in ``params["head"]``
numbered from 1, as the first published codes drew it (a code must rebuild the same
data); the words and steps show it from 0 (``args``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from handcalc.core.exact import Mat, hconcat, matmul, total, transpose
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.text.messages import Msg, msg

H = 2  # heads


def split_heads(m: Mat, h: int) -> list[Mat]:
    """Head i of an (n x d_model) matrix: its i-th block of d_model / h columns."""
    d_k = len(m[0]) // h
    return [tuple(r[i * d_k:(i + 1) * d_k] for r in m) for i in range(h)]


def split_tokens(m: Mat, h: int) -> list[Mat]:
    """The bug: (n, d_model) reshaped straight to (h, n, d_k), without the transpose."""
    n, d_k = len(m), len(m[0]) // h
    flat = [v for r in m for v in r]
    return [tuple(tuple(flat[(i * n + r) * d_k:(i * n + r + 1) * d_k]) for r in range(n))
            for i in range(h)]


def merge_tokens(heads: list[Mat]) -> Mat:
    """The same bug undone the wrong way: (h, n, d_k) viewed as (n, d_model)."""
    n = len(heads[0])
    flat = [v for m in heads for r in m for v in r]
    width = len(flat) // n
    return tuple(tuple(flat[r * width:(r + 1) * width]) for r in range(n))


def _ints(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def _mul(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    return [[sum(x * y for x, y in zip(r, c, strict=True)) for c in zip(*b, strict=True)]
            for r in a]


def _redraw(make: Callable[[], list[list[int]]], ok: Callable[[list[list[int]]], bool],
            tries: int = 1000) -> list[list[int]] | None:
    """The first of `tries` draws that is ok, or None (for some X no weights will do)."""
    for _ in range(tries):
        m = make()
        if ok(m):
            return m
    return None


def _full(m: list[list[int]]) -> bool:
    """No row and no column of zeros."""
    return all(any(r) for r in m) and all(any(c) for c in zip(*m, strict=True))


def _distinct(m: Any) -> bool:
    """No row and no column of zeros, and no two rows alike."""
    return _full(m) and len({tuple(r) for r in m}) == len(m)


def _max_score(Q: list[list[int]], K: list[list[int]], d_k: int) -> int:
    """The largest |q_i . k_i| over the heads i and the pairs of tokens (before scaling)."""
    return max(abs(sum(q[c] * k[c] for c in range(i * d_k, (i + 1) * d_k)))
               for i in range(H) for q in Q for k in K)


class MHA(Family):
    name = "mha"
    row_softmax = True
    quantities = (
        Quantity("Q", "mha.q.Q"),
        Quantity("S", "mha.q.S"),
        Quantity("A", "mha.q.A"),
        Quantity("C", "mha.q.C"),
        Quantity("Y", "mha.q.Y"),
    )
    mistakes = ("split-tokens", "dk-is-dmodel", "concat-order", "no-wo", "wrong-head",
                "no-scale")

    def draw(self, rng: random.Random, level: int) -> Draw:
        n, d_model = {1: (2, 2), 2: (3, 2), 3: (3, 4)}[level]
        (xlo, xhi), (wlo, whi) = {1: ((0, 2), (0, 1)), 2: ((-1, 2), (-1, 1)),
                                  3: ((-1, 1), (-1, 1))}[level]
        d_k = d_model // H
        limit = 4 * d_k ** 0.5  # |S| <= 4 after the scaling

        def weights() -> list[list[int]]:
            return _ints(rng, d_model, d_model, wlo, whi)

        while True:  # X, W^Q and W^K: every head's keys distinct, its scores small
            X = _redraw(lambda: _ints(rng, n, d_model, xlo, xhi), _distinct)
            assert X is not None
            WQ = _redraw(weights, lambda W, X=X: _full(_mul(X, W)), 20)
            WK = _redraw(weights, lambda W, X=X: _full(_mul(X, W)) and all(
                len(set(map(tuple, head))) == n for head in split_heads(_mul(X, W), H)), 20)
            if WQ and WK and 0 < _max_score(_mul(X, WQ), _mul(X, WK), d_k) <= limit:
                break
        WV, WO = _redraw(weights, _full), _redraw(weights, _full)
        assert WV is not None and WO is not None
        head = rng.randint(1, H)
        given = {"X": X, "W^Q": WQ, "W^K": WK, "W^V": WV, "W^O": WO}
        return Draw({name: plain(m) for name, m in given.items()},
                    {"h": H, "head": head, "d_model": d_model, "d_k": d_k},
                    ("Q", "S", "A", "C", "Y"))

    def args(self, inst: Instance) -> dict[str, Any]:
        # params["head"] counts from 1 (published codes); every word counts from 0
        return {**inst.params, "n": len(inst.plain_given["X"]), "head": inst.params["head"] - 1,
                "last": inst.params["h"] - 1}

    def statement(self, inst: Instance) -> Msg:
        return msg("mha.statement", **self.args(inst))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        h, named, d_k, d_model = p["h"], p["head"], p["d_k"], p["d_model"]
        if d_k == 1 and w.has("no-scale"):
            w.not_applicable()  # sqrt(1) = 1: there is no scale to forget
        Q = w.result("Q", matmul(g["X"], g["W^Q"]), label="Q = X W^Q")  # (n x d_model)
        K = w.show("K = X W^K", matmul(g["X"], g["W^K"]))  # (n x d_model)
        V = w.show("V = X W^V", matmul(g["X"], g["W^V"]))  # (n x d_model)
        tokens = w.has("split-tokens")
        split = split_tokens if tokens else split_heads
        Qs, Ks, Vs = split(Q, h), split(K, h), split(V, h)  # h of (n x d_k)
        scale_dim = d_model if w.has("dk-is-dmodel") else d_k
        if w.has("no-scale"):  # the scores left unscaled
            scale_dim = 1
        root = w.sqrt(scale_dim)
        Z: dict[int, Mat] = {}
        for i in [named] + [j for j in range(1, h + 1) if j != named]:
            # the slip: the named head's slice taken from the other head (h = 2)
            src = h + 1 - i if i == named and w.has("wrong-head") else i
            Qi, Ki, Vi = Qs[src - 1], Ks[src - 1], Vs[src - 1]  # (n x d_k) each
            j = i - 1  # the head's number as shown: from 0
            w.show(f"Q_{j}", Qi)
            w.show(f"K_{j}", Ki)
            raw = matmul(Qi, transpose(Ki))  # (n x d_k) @ (d_k x n)
            if scale_dim == 1:
                S, label = raw, f"S_{j} = Q_{j} K_{j}^T"
            else:
                raw = w.show(f"Q_{j} K_{j}^T", raw)
                S = tuple(tuple(v / root for v in r) for r in raw)  # (n x n)
                label = f"S_{j} = (Q_{j} K_{j}^T) / sqrt({scale_dim})"
            S = w.result("S", S, label=label) if i == named else w.show(label, S)
            exps = w.show(f"exp(S_{j})", tuple(tuple(w.exp(v) for v in r) for r in S))
            sums = w.show(msg("mha.step.row_sums", i=j), tuple((total(r),) for r in exps))
            A = tuple(tuple(e / s for e in r) for r, (s,) in zip(exps, sums, strict=True))
            label = f'A_{j} = "softmax"(S_{j})'
            used = w.result("A", A, label=label) if i == named else w.show(label, A)
            w.show(f"V_{j}", Vi)
            if used is A:  # the exact values themselves: one division per entry
                Zi = tuple(tuple(v / s for v in r)
                           for r, (s,) in zip(matmul(exps, Vi), sums, strict=True))
            else:  # rounded or the learner's own weights
                Zi = matmul(used, Vi)
            Z[i] = w.show(f"Z_{j} = A_{j} V_{j}", Zi)  # (n x d_k)
        order = sorted(Z, reverse=w.has("concat-order"))
        heads = [Z[i] for i in order]
        C = merge_tokens(heads) if tokens else hconcat(*heads)  # (n x d_model)
        C = w.result("C", C, label="C = [Z_0 || Z_1]")
        if w.has("no-wo"):
            w.result("Y", C)
            return
        w.result("Y", matmul(C, g["W^O"]), label="Y = C W^O")  # (n x d_model)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        return k.mha(g["X"], g["W^Q"], g["W^K"], g["W^V"], g["W^O"], h=p["h"],
                     head=p["head"])
