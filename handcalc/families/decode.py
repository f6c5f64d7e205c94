"""decode: one decoding step with a KV cache.

The cache holds the keys K (t x d_k) and values V (t x d_v) of tokens 1 .. t. A new
token p = t + 1 brings q_p, k_p, v_p (1 x d_k, 1 x d_k, 1 x d_v); its key and value are
appended, then its query attends to all t + 1 keys:

    tilde(K) = [K; k_p]    ((t+1) x d_k),    tilde(V) = [V; v_p]    ((t+1) x d_v)
    s = q_p tilde(K)^T / sqrt(d_k)                                  (1 x (t+1))
    a = softmax(s)                                                  (1 x (t+1))
    z = a tilde(V)                                                  (1 x d_v)

Level 3 decodes two new tokens t + 1 and t + 2 at once: L = 2 queries over S = t + 2
keys, where query i (0-based) sits at position t + i and sees keys 0 .. t + i (the
causal mask aligned bottom-right, torch.nn.attention.bias.causal_lower_right):

    S_ij = q_i . k_j / sqrt(d_k) for j <= t + i, -inf otherwise     (2 x (t+2))
    A = softmax(S) row by row,  Z = A tilde(V)                      (2 x (t+2)), (2 x d_v)

Level 1: t = 2 cached tokens, d_k = 4 with 0/1 entries (sqrt(d_k) = 2). Level 2: t = 3,
d_k = 2, entries -1..2. Level 3: t in {2, 3}, two new tokens, d_k = 2, entries -2..2.
Scores stay within |S| <= 4. Mistakes: the new key not appended, the mask aligned
top-left, the new token not seeing itself, no scaling, and (two new tokens) no mask.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core import attention as att
from handcalc.core.exact import Mat, matmul, total, transpose, vconcat
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.text.messages import ListOf, Math, Msg, msg


def _ints(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def _stack(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "[" + "; ".join(names) + "]"


class Decode(Family):
    name = "decode"
    row_softmax = True
    quantities = (
        Quantity("S", "decode.q.S"),
        Quantity("A", "decode.q.A"),
        Quantity("Z", "decode.q.Z"),
    )
    mistakes = ("decode-no-append", "mask-top-left", "decode-no-self", "no-scale", "no-mask")

    def draw(self, rng: random.Random, level: int) -> Draw:
        t = {1: 2, 2: 3, 3: rng.choice((2, 3))}[level]
        new = 2 if level == 3 else 1
        d_k, lo, hi = {1: (4, 0, 1), 2: (2, -1, 2), 3: (2, -2, 2)}[level]
        limit = 4 * d_k ** 0.5
        while True:
            K = _ints(rng, t + new, d_k, lo, hi)  # cached keys, then the new ones
            q = _ints(rng, new, d_k, lo, hi)
            dots = [[sum(a * b for a, b in zip(qi, kj, strict=True)) for kj in K] for qi in q]
            if all(max(map(abs, r)) <= limit and len(set(r)) > 1 for r in dots):
                break
        while True:
            V = _ints(rng, t + new, 2, lo, hi + 2)
            # distinct value rows: attending to other keys must change the output
            distinct = len({tuple(r) for r in V}) == len(V)
            if distinct and all(any(c) for c in zip(*V, strict=True)) and all(
                    any(r) for r in V[t:]):
                break
        given = {"K": plain(K[:t]), "V": plain(V[:t])}
        for i in range(new):
            p = t + 1 + i
            given |= {f"q{p}": plain([q[i]]), f"k{p}": plain([K[t + i]]),
                      f"v{p}": plain([V[t + i]])}
        return Draw(given, {"t": t, "new": new, "d_k": d_k}, ("S", "A", "Z"))

    def args(self, inst: Instance) -> dict[str, Any]:
        p = inst.params
        pos = range(p["t"] + 1, p["t"] + p["new"] + 1)
        return {**p, "p": p["t"] + 1, "keys": p["t"] + p["new"],
                "news": ListOf(tuple(Math(f"q_{i}, k_{i}, v_{i}") for i in pos)),
                "p2": p["t"] + 2, "q": _stack([f"q_{i}" for i in pos]),
                "klist": "; ".join(f"k_{i}" for i in pos),
                "vlist": "; ".join(f"v_{i}" for i in pos)}

    def prompt(self, inst: Instance, key: str) -> Msg:
        """One new token asks for s, a, z; two ask for the masked S, A and Z."""
        prefix = "decode.q" if inst.params["new"] == 1 else "decode.q2"
        return msg(f"{prefix}.{key}", **self.args(inst))

    def statement(self, inst: Instance) -> Msg:
        one = inst.params["new"] == 1
        return msg("decode.statement" if one else "decode.statement2", **self.args(inst))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        t, new, d_k = p["t"], p["new"], p["d_k"]
        a = self.args(inst)
        pos = range(t + 1, t + new + 1)
        q = vconcat(*(g[f"q{i}"] for i in pos))  # (L x d_k)
        if w.has("decode-no-append"):
            K, V = g["K"], g["V"]  # (t x d_k), (t x d_v): the cache only
        else:
            K = w.show(f"tilde(K) = [K; {a['klist']}]",
                       vconcat(g["K"], *(g[f"k{i}"] for i in pos)))  # ((t+L) x d_k)
            V = w.show(f"tilde(V) = [V; {a['vlist']}]",
                       vconcat(g["V"], *(g[f"v{i}"] for i in pos)))  # ((t+L) x d_v)
        n_k = len(K)
        raw = w.show(f"{a['q']} tilde(K)^T", matmul(q, transpose(K)))  # (L x n_k)
        root = w.sqrt(d_k)
        if w.has("no-scale"):
            S0 = raw
        else:
            S0 = w.show(f"({a['q']} tilde(K)^T) / sqrt({d_k})",
                        tuple(tuple(v / root for v in r) for r in raw))  # (L x n_k)
        # query i (0-based) sits at position t + i: it sees keys 0 .. t + i
        if w.has("mask-top-left"):
            visible = tuple(tuple(j <= i for j in range(n_k)) for i in range(new))
        elif w.has("decode-no-self"):
            if new == 1:
                w.not_applicable()  # one new token without its own key: the cache only
            visible = tuple(tuple(j < t + i for j in range(n_k)) for i in range(new))
        elif w.has("no-mask"):  # two new tokens, the first allowed to see the second
            if new == 1:
                w.not_applicable()  # one new token sees every key: there is no mask
            visible = tuple(tuple(True for _ in range(n_k)) for _ in range(new))
        else:
            visible = tuple(tuple(j <= t + i for j in range(n_k)) for i in range(new))
        hidden = not all(v for r in visible for v in r)
        S = att.apply_mask(w, S0, visible) if hidden else S0  # (L x n_k)
        S = w.result("S", S, label=msg("decode.step.masked") if new > 1 else None)
        exps = w.show("exp(S)" if new > 1 else "exp(s)",
                      tuple(tuple(w.exp(v) for v in r) for r in S))
        sums = w.show(msg("step.row_sums") if new > 1 else "sum_j exp(s_j)",
                      tuple((total(r),) for r in exps))
        A = tuple(tuple(e / s for e in r) for r, (s,) in zip(exps, sums, strict=True))
        used = w.result("A", A, label='A = "softmax"(S)' if new > 1 else 'a = "softmax"(s)')
        if used is A:  # the exact weights themselves: one division per entry
            Z: Mat = tuple(tuple(v / s for v in r)
                           for r, (s,) in zip(matmul(exps, V), sums, strict=True))
        else:  # rounded, or the learner's own weights
            Z = matmul(used, V)
        w.result("Z", Z, label="Z = A tilde(V)" if new > 1 else "z = a tilde(V)")

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        pos = range(p["t"] + 1, p["t"] + p["new"] + 1)
        return k.decode(g["K"], g["V"], [g[f"q{i}"] for i in pos], [g[f"k{i}"] for i in pos],
                        [g[f"v{i}"] for i in pos], d_k=p["d_k"])
