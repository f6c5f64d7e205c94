"""keys: one query attending to a chosen subset of keys (worked 4).

    s_j = q_i . k_j / sqrt(d_k)          for j in the subset J   (1 x |J|)
    a_j = exp(s_j) / sum_{l in J} exp(s_l)                       (1 x |J|)
    z   = sum_{j in J} a_j v_j                                   (1 x d_v)

Equivalently, scaled dot-product attention of query i with every key outside J masked
to -inf. Level 1: 3 tokens, d_k = 4, 0/1 entries. Level 2: 3 tokens, d_k = 2, entries
-1..2. Level 3: 4 tokens, d_k in {2, 3}, entries -2..2, a subset of 2 or 3 keys.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core import attention as att
from handcalc.core.exact import Mat, transpose
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import ListOf, Msg, msg


def _pick(m: Mat, rows: tuple[int, ...]) -> Mat:
    return tuple(m[r - 1] for r in rows)


def _cols(m: Mat, cols: tuple[int, ...]) -> Mat:
    return transpose(_pick(transpose(m), cols))


class Keys(Family):
    name = "keys"
    quantities = (
        Quantity("s", "keys.q.s"),
        Quantity("a", "keys.q.a"),
        Quantity("z", "keys.q.z"),
    )
    mistakes = ("no-scale", "div-dk", "mul-sqrt-dk", "no-mask", "no-softmax",
                "exp-not-normalised")

    def draw(self, rng: random.Random, level: int) -> Draw:
        n, d, lo, hi = {1: (3, 4, 0, 1), 2: (3, 2, -1, 2), 3: (4, rng.choice((2, 3)), -2, 2)}[
            level]
        query = rng.randint(1, n)
        size = 2 if level < 3 else rng.choice((2, 3))
        keys = tuple(sorted(rng.sample([j for j in range(1, n + 1) if j != query], size)))
        while True:
            Q, K = rand_mat(rng, n, d, lo, hi), rand_mat(rng, n, d, lo, hi)
            dots = [sum(a * b for a, b in zip(Q[query - 1], kr, strict=True)) for kr in K]
            if len({dots[j - 1] for j in keys}) > 1 and max(map(abs, dots)) <= 2 * d:
                break
        V = rand_mat(rng, n, 2, lo, hi + 2)
        return Draw({"Q": Q, "K": K, "V": V}, keys_params(query, keys, d), ("s", "a", "z"))

    def args(self, inst: Instance) -> dict[str, Any]:
        return {**inst.params, "keys": ListOf(inst.params["keys"]), "n": len(inst.plain_given["Q"])}

    def statement(self, inst: Instance) -> Msg:
        return msg("keys.statement", **self.args(inst))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        q = _pick(g["Q"], (p["query"],))  # (1 x d)
        if w.has("no-mask"):
            all_s = att.scores(w, q, g["K"], p["d_k"])  # (1 x n)
            s = w.result("s", _cols(all_s, p["keys"]))
            a = w.result("a", _cols(att.softmax(w, all_s), p["keys"]))
        else:
            s = w.result("s", att.scores(w, q, _pick(g["K"], p["keys"]), p["d_k"]))  # (1 x |J|)
            a = w.result("a", att.softmax(w, s), label='a = "softmax"(s)')  # (1 x |J|)
        if "V" in g:
            w.result("z", att.output(w, a, _pick(g["V"], p["keys"])), label="z = a V_J")

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        n = len(g["K"])
        visible = (tuple(j + 1 in p["keys"] for j in range(n)),)
        V = g.get("V", g["K"])
        out = k.attention(_pick(g["Q"], (p["query"],)), g["K"], V, d_k=p["d_k"],
                          visible=visible)
        cols = [j - 1 for j in p["keys"]]
        return {"s": [[out["S"][0][j] for j in cols]], "a": [[out["A"][0][j] for j in cols]],
                "z": out["Z"]}


def keys_params(query: int, keys: tuple[int, ...], d_k: int) -> dict[str, Any]:
    # keys_text is recorded in the golden codes; the words shown come from the catalogue
    return {"query": query, "keys": keys, "keys_text": " and ".join(map(str, keys)),
            "d_k": d_k}


