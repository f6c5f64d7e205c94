"""online-softmax: FlashAttention's tiling of one query's softmax, block by block.

One query's scores s over n keys, the values V, and a block size B: the keys and values
arrive in blocks J_1, ..., J_T of B keys (the last block may be shorter). Level 3 gives
q and K instead of the scores:

    s = q K^T / sqrt(d)                                  (1 x d) @ (d x n) -> (1 x n)
    start: m_0 = -inf, l_0 = 0, O~_0 = 0                 (scalar, scalar, 1 x d_v)
    m_b  = max(m_{b-1}, max_{j in J_b} s_j)                                  (scalar)
    l_b  = exp(m_{b-1} - m_b) l_{b-1} + sum_{j in J_b} exp(s_j - m_b)        (scalar)
    O~_b = exp(m_{b-1} - m_b) O~_{b-1} + sum_{j in J_b} exp(s_j - m_b) v_j   (1 x d_v)
    O    = O~_T / l_T  (= softmax(s) V)                                      (1 x d_v)

Parts: (level 3: s,) m = (m_1 ... m_T) (1 x T), l = (l_1 ... l_T) (1 x T), O~ with one
row per block (T x d_v), and O (1 x d_v). Sources: Milakov and Gimelshein 2018
(arXiv 1805.02867); FlashAttention (arXiv 2205.14135), Algorithm 1.

Level 1: 4 scores (integers 0..3) in 2 blocks of 2, one value per key (d_v = 1).
Level 2: 5 or 6 scores in halves from -2 to 3, blocks of 2 or 3, d_v = 2. Level 3: q and
K of d = 2 or 4 with entries -2..2 (|s| <= 3), 5 or 6 keys, blocks of 2 or 3, d_v = 2.
The running maximum always rises after the first block, so the rescaling matters.

Mistakes: l or O~ not rescaled, each block normalised on its own and the blocks' outputs
averaged, the scale forgotten (level 3); added after codes were published: the block's own
maximum taken for m_b instead of the running one (online-block-max: with its own rescale
factors O comes out right, but m, l and O~ differ wherever a block's maximum is below an
earlier one, so only from three blocks on), and O~_T given as O, the final division by l_T
forgotten (online-no-divide).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import elementwise, mat, matmul, row, scalar, total, transpose
from handcalc.core.work import Work
from handcalc.families.apart import draw_apart
from handcalc.families.base import Draw, Family, Instance, Quantity, plain, rand_mat
from handcalc.text.messages import ListOf, Math, Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy


def blocks(n: int, size: int) -> list[tuple[int, ...]]:
    """The 0-based key indices of each block."""
    return [tuple(range(start, min(start + size, n))) for start in range(0, n, size)]


def _max_rises(s: list[float], size: int) -> bool:
    """Whether the running maximum rises after the first block."""
    bs = blocks(len(s), size)
    first = max(s[j] for j in bs[0])
    return max(s) > first


def _scaled(w: Work, f: Any, x: Any) -> Any:
    """f x, with exp(a) (exp(b) + ...) written exp(a + b) + ... in exact values: flat sums
    of exponentials read (and evaluate) better than nested products."""
    return f * x if w.numeric else sympy.expand(f * x)


class OnlineSoftmax(Family):
    name = "online-softmax"
    row_softmax = False
    quantities = (
        Quantity("s", "online-softmax.q.s"),
        Quantity("m", "online-softmax.q.m"),
        Quantity("l", "online-softmax.q.l"),
        Quantity("O_tilde", "online-softmax.q.O_tilde"),
        Quantity("O", "online-softmax.q.O"),
    )
    mistakes = ("online-l-not-rescaled", "online-o-not-rescaled", "online-blocks-averaged",
                "no-scale", "online-block-max", "online-no-divide")

    def draw(self, rng: random.Random, level: int) -> Draw:
        return draw_apart(self, rng, level, self._draw_once)

    def _draw_once(self, rng: random.Random, level: int) -> Draw | None:
        if level == 1:
            n, size, d_v = 4, 2, 1
        else:
            n, size, d_v = rng.choice((5, 6)), rng.choice((2, 3)), 2
        V = rand_mat(rng, n, d_v, 0 if level == 1 else -2, 4)
        if level == 3:
            d = rng.choice((2, 4))
            q, K = rand_mat(rng, 1, d, -2, 2), rand_mat(rng, n, d, -2, 2)
            raw = [sum(a * b for a, b in zip(q[0], kr, strict=True)) for kr in K]
            s = [x / math.sqrt(d) for x in raw]
            if max(map(abs, s)) > 3 or len(set(raw)) < 3 or not _max_rises(s, size):
                return None
            return Draw({"q": q, "K": K, "V": V}, {"d": d, "block": size},
                        ("s", "m", "l", "O_tilde", "O"))
        if level == 1:
            halves = [2 * rng.randint(0, 3) for _ in range(n)]
        else:
            halves = [rng.randint(-4, 6) for _ in range(n)]
        if len(set(halves)) < 3 or not _max_rises(halves, size):
            return None
        s = plain([[Fraction(h, 2) for h in halves]])
        return Draw({"s": s, "V": V}, {"block": size}, ("m", "l", "O_tilde", "O"))

    def args(self, inst: Instance) -> dict[str, Any]:
        n = len(inst.plain_given["V"])
        bs = blocks(n, inst.params["block"])
        parts = ListOf(tuple(Math(f"({', '.join(f's_{j + 1}' for j in b)})") for b in bs))
        T = len(bs)

        def seq(name: str) -> Math:
            return Math("(" + ", ".join(f"{name}_{b}" for b in range(1, T + 1)) + ")")

        return {**inst.params, "n": n, "T": T, "blocks": parts,
                "d_v": len(inst.plain_given["V"][0]),
                "m_row": seq("m"), "l_row": seq("l"),
                "o_rows": Math(", ".join(f"tilde(O)_{b}" for b in range(1, T + 1)))}

    def statement(self, inst: Instance) -> Msg:
        a = self.args(inst)
        given = msg("online-softmax.given.qK", **a) if "q" in inst.plain_given else msg(
            "online-softmax.given.s", **a)
        return msg("online-softmax.statement", given=given, **a)

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        if "q" in g:
            raw = w.show("q K^T", matmul(g["q"], transpose(g["K"])))  # (1 x d) @ (d x n)
            root = w.sqrt(p["d"])
            s = raw if w.has("no-scale") else elementwise(lambda x: x / root, raw)
            s = w.result("s", s, label=f"s = (q K^T) / sqrt({p['d']})")  # (1 x n)
        else:
            if w.has("no-scale"):
                w.not_applicable()
            s = g["s"]  # (1 x n)
        V = g["V"]  # (n x d_v)
        bs = blocks(len(s[0]), p["block"])
        T, d_v = len(bs), len(V[0])

        # m: the running maximum, block by block
        m_prev, ms = w.neg_inf, []
        for b, J in enumerate(bs, 1):
            names = ", ".join(f"s_{j + 1}" for j in J)
            if b > 1 and w.has("online-block-max"):  # the block's own maximum
                m_b = max(s[0][j] for j in J)
            else:
                m_b = max(m_prev, *(s[0][j] for j in J))
            label = f"m_1 = max({names})" if b == 1 else f"m_{b} = max(m_{b - 1}, {names})"
            m_prev = w.show(label, scalar(m_b))[0][0]
            ms.append(m_prev)
        m = w.result("m", row(ms))[0]  # (1 x T)

        # l: the running sum of exp(s_j - m_b), rescaled when the maximum rises
        exps: list[tuple[Any, ...]] = []  # per block, exp(s_j - m_b) as carried
        factors: list[Any] = [None]  # per block b >= 2, exp(m_{b-1} - m_b) as carried
        l_prev, ls = None, []
        for b, J in enumerate(bs, 1):
            names = ", ".join(str(j + 1) for j in J)
            e = w.show(f"exp(s_j - m_{b}), j = {names}",
                       row(w.exp(s[0][j] - m[b - 1]) for j in J))[0]  # (1 x |J_b|)
            exps.append(e)
            if b == 1:
                l_b = total(e)
                label = "l_1 = sum_j exp(s_j - m_1)"
            else:
                f = w.show(f"exp(m_{b - 1} - m_{b})", scalar(w.exp(m[b - 2] - m[b - 1])))[0][0]
                factors.append(f)
                kept = l_prev if w.has("online-l-not-rescaled", reaches=("l", "O")) \
                    else _scaled(w, f, l_prev)  # O~ is made of the exponentials alone
                l_b = kept + total(e)
                label = f"l_{b} = exp(m_{b - 1} - m_{b}) l_{b - 1} + sum_j exp(s_j - m_{b})"
            l_prev = w.show(label, scalar(l_b))[0][0]
            ls.append(l_prev)
        sums = w.result("l", row(ls))[0]  # (1 x T)

        # O~: the running unnormalised output, one row per block
        O_prev: tuple[Any, ...] = ()
        rows = []
        for b, J in enumerate(bs, 1):
            add = [total(e_j * V[j][c] for e_j, j in zip(exps[b - 1], J, strict=True))
                   for c in range(d_v)]
            if b == 1:
                o_b = add
                label = "tilde(O)_1 = sum_j exp(s_j - m_1) v_j"
            else:
                f = factors[b - 1]
                unscaled = w.has("online-o-not-rescaled", reaches=("O_tilde", "O"))
                kept = O_prev if unscaled else tuple(_scaled(w, f, o) for o in O_prev)
                o_b = [k + a for k, a in zip(kept, add, strict=True)]
                label = (f"tilde(O)_{b} = exp(m_{b - 1} - m_{b}) tilde(O)_{b - 1}"
                         f" + sum_j exp(s_j - m_{b}) v_j")
            O_prev = w.show(label, row(o_b))[0]  # (1 x d_v)
            rows.append(O_prev)
        Ot = w.result("O_tilde", tuple(rows))  # (T x d_v)

        # O = O~_T / l_T
        if w.has("online-blocks-averaged"):
            outs = []
            for b, J in enumerate(bs, 1):
                top = max(s[0][j] for j in J)
                e = [w.exp(s[0][j] - top) for j in J]
                z = total(e)
                o_b = [total(e_j * V[j][c] for e_j, j in zip(e, J, strict=True)) / z
                       for c in range(d_v)]
                outs.append(w.show(f'"softmax"(s_(J_{b})) V_(J_{b})', row(o_b))[0])
            out = row(total(o[c] for o in outs) / T for c in range(d_v))
        elif w.has("online-no-divide"):  # the running output as it stands
            out = Ot[T - 1:]
        else:
            out = row(o / sums[T - 1] for o in Ot[T - 1])
        w.result("O", out, label=f"O = tilde(O)_{T} / l_{T}")  # (1 x d_v)

    def refusal(self, inst: Instance) -> str | None:
        """Values whose rows are all equal make O that row whatever the weights: the
        exercise would test nothing of the softmax (decode likewise wants its rows apart)."""
        if len({tuple(r) for r in inst.plain_given["V"]}) == 1:
            return "every row of V is the same: O does not depend on the weights"
        return None

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        if "q" in g:
            q, K, scale = g["q"], g["K"], 1 / math.sqrt(p["d"])
        else:  # q = s against K = I: q K^T = s
            n = len(g["s"][0])
            q, K, scale = g["s"], mat([[int(i == j) for j in range(n)] for i in range(n)]), 1.0
        return k.online_softmax(q, K, g["V"], scale=scale, block=p["block"])

