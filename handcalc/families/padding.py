"""padding: the padding (key) mask of a padded batch (MiniMind's attention_mask).

A batch holds two sequences padded to one length L. The attention mask M (2 x L) marks
real tokens with 1 and padding with 0 (the convention of Hugging Face's attention_mask;
the statement also names SDPA's boolean attn_mask, True = may attend, and
nn.MultiheadAttention's key_padding_mask, True = ignore). Q, K, V are those of the padded
sequence b, with real[j] = M_bj:

    S_ij = q_i . k_j / sqrt(d_k)   where key j is real,   S_ij = -inf where it is padding
                                                                     (L x L)
    A = softmax(S) row by row (exp(-inf) = 0)                        (L x L)
    Z = A V                                                          (L x d_v)

Every row is asked, the padded queries' rows too: a key-padding mask hides columns only,
so a padded query still sees the real keys and its row is finite; the statement says it
is computed like the others and ignored afterwards.

Level 1: L = 3, one pad, d = 1 (no scaling), entries 1..3. Level 2: L = 4, one or two
pads, d_k = 2, entries -1..2. Level 3: L = 4 or 5, one or two pads, d_k in {2, 3},
entries -2..2. Mistakes: padded query rows masked instead of padded key columns (its S
only: a fully masked row has no softmax), the mask polarity flipped (1 read as padding),
masking with 0 instead of -inf, no mask, and (levels 2 and 3, added after codes were
published) the scale sqrt(d_k) forgotten.
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core import attention as att
from handcalc.core.work import Work
from handcalc.families.attention import scaling
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.text.messages import ListOf, Msg, msg


def ints(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> list[list[int]]:
    """A rows x cols list of integers drawn uniformly from lo..hi (as base.rand_mat)."""
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def real_tokens(inst: Instance) -> tuple[bool, ...]:
    """Whether each position of the padded sequence is a real token (M_bj = 1)."""
    return tuple(bool(v == 1) for v in inst.plain_given["M"][inst.params["b"] - 1])


class Padding(Family):
    name = "padding"
    row_softmax = True
    quantities = (
        Quantity("S", "padding.q.S"),
        Quantity("A", "q.A_rows"),
        Quantity("Z", "padding.q.Z"),
    )
    mistakes = ("pad-query-rows", "pad-mask-flipped", "mask-zero", "no-mask", "no-scale")

    def draw(self, rng: random.Random, level: int) -> Draw:
        if level == 1:
            L, d, pads, lo, hi, d_v = 3, 1, 1, 1, 3, 1
        elif level == 2:
            L, d, pads, lo, hi, d_v = 4, 2, rng.choice((1, 2)), -1, 2, 2
        else:
            L, d, lo, hi, d_v = rng.choice((4, 5)), rng.choice((2, 3)), -2, 2, 2
            pads = rng.choice((1, 2))
        b = rng.choice((1, 2))
        padded = [1] * (L - pads) + [0] * pads
        M = plain([padded if row == b else [1] * L for row in (1, 2)])
        while True:  # plain ints while drawing: fast; exact matrices once accepted
            Q, K = ints(rng, L, d, lo, hi), ints(rng, L, d, lo, hi)
            raw = [sum(a * c for a, c in zip(qr, kr, strict=True)) for qr in Q for kr in K]
            if (max(map(abs, raw)) <= 4 * d ** 0.5 and len(set(raw)) > 2
                    and all(any(r) for r in Q + K)):  # no zero query or key: rows to work on
                break
        while True:
            V = ints(rng, L, d_v, lo, hi + 2)
            if len(set(map(tuple, V))) == L:  # distinct rows: a changed A changes Z
                break
        return Draw({"M": M, "Q": plain(Q), "K": plain(K), "V": plain(V)},
                    {"d_k": d, "scaled": d > 1, "b": b}, ("S", "A", "Z"))

    def args(self, inst: Instance) -> dict[str, Any]:
        real = real_tokens(inst)
        pads = tuple(j + 1 for j, r in enumerate(real) if not r)
        return {**inst.params, "L": len(real), "scaling": scaling(inst.params),
                "pads": ListOf(pads), "n_pads": len(pads)}

    def statement(self, inst: Instance) -> Msg:
        a = self.args(inst)
        which = "padding.pads_one" if a["n_pads"] == 1 else "padding.pads_many"
        return msg("padding.statement", L=a["L"], b=a["b"], scaling=a["scaling"],
                   pads=msg(which, pads=a["pads"]))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        real = real_tokens(inst)
        if w.has("pad-query-rows"):  # hides the padded queries' rows, not the keys
            visible = tuple(tuple(real[i] for _ in real) for i in range(len(real)))
        elif w.has("pad-mask-flipped"):  # 1 read as padding: only the pads stay visible
            visible = tuple(tuple(not r for r in real) for _ in real)
        else:
            visible = tuple(tuple(real) for _ in real)  # query i sees every real key j
        S0 = att.scores(w, g["Q"], g["K"], p["d_k"], scaled=p["scaled"])  # (L x L)
        S = w.result("S", att.apply_mask(w, S0, visible),
                     label=msg("padding.step.masked"))  # (L x L)
        if w.has("pad-query-rows"):
            w.not_applicable()  # a row of -inf only has no softmax: the mistake stops at S
        A = w.result("A", att.softmax(w, S), label=msg("step.softmax_rows"))  # (L x L)
        w.result("Z", att.output(w, A, g["V"]), label="Z = A V")  # (L x d_v)

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        return k.padding_attention(g["Q"], g["K"], g["V"], g["M"][p["b"] - 1], d_k=p["d_k"])
