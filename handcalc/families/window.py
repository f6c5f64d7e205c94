"""window: sliding-window (local) attention, and how many scores it computes.

Convention: a trailing, causal window of w keys. Query i (tokens numbered from 1) sees
the keys j with i - w < j <= i, itself and the w - 1 tokens before it (Mistral 7B's
`sliding_window`, Longformer's one-sided form; "window w" also appears as w keys on each
side, which the exercise says it is not):

    M_ij = 1 if i - w < j <= i, else 0                          (n x n)
    S_ij = q_i . k_j / sqrt(d_k) where M_ij = 1, -inf elsewhere  (n x n)
    a_r = softmax(S_r) (row r; exp(-inf) = 0),  z_r = a_r V     (1 x n), (1 x d_v)

Scores computed for N tokens: sum over i of min(i, w) = N w - w(w - 1)/2 (N >= w),
against N^2 for full attention; both the count and the entries saved, N^2 minus it, are
exact integer counts. Sources: Beltagy et al. 2020 (Longformer, arXiv 2004.05150), section 3.1;
Jiang et al. 2023 (Mistral 7B, arXiv 2310.06825), section 2.

Level 1: 5 tokens, d = 1 (scores not scaled), w = 2, entries 0..3. Level 2: 5 tokens,
d_k = 2, w = 2, entries -1..2. Level 3: 7 tokens, d_k = 2, w = 3, entries -2..2, and the
count and the entries saved for a long sequence (N = 10240, w = 4096 and the like). The
row asked for, r = w + 1, has a key just outside the window's edge, and keys after it
beyond the reach of a centred window (n > 2w), so every mistaken mask changes its weights.

Mistakes: a window of w + 1 keys, the window centred on the query, the causal part
forgotten (j > i - w only), masking with 0 for -inf; added after codes were published:
the window forgotten (the plain causal mask j <= i, which in the row asked for sees the
same keys as w + 1 keys: the diagnosis names both), the scale sqrt(d_k) forgotten (levels
2 and 3), and every row counted with w keys (N w, level 3: the first w - 1 queries have
fewer keys before them).

The output z of the row is a weighted average of V's rows, so a mistaken mask can leave it
unchanged: at level 1 (one column of V) keys on both sides of the query with the same
score and value (window-1-1, where the causal part forgotten adds keys 4 and 5 that mirror
keys 3 and 2), or a key added whose value is that of every key seen (window-1-3). The
forgetful answer is then z's right value and is graded correct; new draws refuse such
instances (``later_refusal``), the codes printed keep theirs.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from handcalc.core import attention as att
from handcalc.core import rational
from handcalc.core.exact import Mat, entries, matmul, scalar, total
from handcalc.core.work import NotApplicable, Work
from handcalc.families.base import Draw, Family, Instance, Quantity, rand_mat
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

# (N, w) for the count at level 3: Mistral's window 4096, the seeds' seq_len 10240
LONG = ((10240, 4096), (8192, 4096), (32768, 4096), (10240, 2048), (16384, 1024),
        (4096, 1024))


def _gap(a: Mat, b: Mat) -> float:
    """The largest difference of two matrices of floats."""
    return max(abs(x - y) for x, y in zip(entries(a), entries(b), strict=True))


def window_visible(n: int, w: int, kind: str = "trailing") -> tuple[tuple[bool, ...], ...]:
    """Which keys each query sees (0-based i, j): the trailing window i - w < j <= i;
    `kind` names the mistaken windows ("wide": w + 1 keys, "centred": |i - j| < w,
    "acausal": j > i - w with no upper bound, "causal": j <= i with no lower bound)."""
    def sees(i: int, j: int) -> bool:
        if kind == "wide":
            return i - w - 1 < j <= i
        if kind == "causal":
            return j <= i
        if kind == "centred":
            return abs(i - j) < w
        if kind == "acausal":
            return j > i - w
        return i - w < j <= i
    return tuple(tuple(sees(i, j) for j in range(n)) for i in range(n))


def window_count(n: int, w: int, kind: str = "trailing") -> int:
    """How many scores the window computes for n >= w tokens (closed forms of the row
    counts of window_visible)."""
    if kind == "wide":
        w += 1
    if kind == "centred":
        return n * (2 * w - 1) - w * (w - 1)
    if kind == "acausal":
        return n * n - (n - w) * (n - w + 1) // 2
    if kind == "causal":
        return n * (n + 1) // 2
    return n * w - w * (w - 1) // 2


class Window(Family):
    name = "window"
    row_softmax = True
    quantities = (
        Quantity("M", "window.q.M"),
        Quantity("S", "window.q.S"),
        Quantity("a", "window.q.a"),
        Quantity("z", "window.q.z"),
        Quantity("count", "window.q.count", count=True),
        Quantity("saved", "window.q.saved", count=True),
    )
    mistakes = ("window-wide", "window-centred", "window-acausal", "mask-zero", "window-causal",
                "no-scale", "window-count-full-rows")

    def draw(self, rng: random.Random, level: int) -> Draw:
        n = {1: 5, 2: 5, 3: 7}[level]  # n > 2w: the centred window ends before the last key
        d, w, lo, hi = {1: (1, 2, 0, 3), 2: (2, 2, -1, 2), 3: (2, 3, -2, 2)}[level]
        d_v = 1 if level == 1 else 2
        r = w  # 0-based: key r - w just drops out of the window, and two keys follow r
        limit = 4 * d ** 0.5
        while True:
            Q, K = rand_mat(rng, n, d, lo, hi), rand_mat(rng, n, d, lo, hi)
            raw = [sum(a * b for a, b in zip(qr, kr, strict=True)) for qr in Q for kr in K]
            if max(map(abs, raw)) <= limit and len(set(raw)) > 2:
                break
        V = rand_mat(rng, n, d_v, lo, hi + 2)
        params: dict[str, Any] = {"w": w, "d_k": d, "query": r + 1}
        ask: tuple[str, ...] = ("M", "S", "a", "z")
        if level == 3:
            N, W = rng.choice(LONG)
            params |= {"N": N, "W": W}
            ask += ("count", "saved")
        return Draw({"Q": Q, "K": K, "V": V}, params, ask)

    def args(self, inst: Instance) -> dict[str, Any]:
        return {**inst.params, "n": len(inst.plain_given["Q"]), "before": inst.params["w"] - 1}

    def statement(self, inst: Instance) -> Msg:
        a = self.args(inst)
        scaling = msg("scaling.scaled", d_k=a["d_k"]) if a["d_k"] > 1 else msg("scaling.none")
        return msg("window.statement", scaling=scaling, **a)

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        n, win, r = len(g["Q"]), p["w"], p["query"] - 1
        if "N" not in p and w.has("window-count-full-rows"):
            w.not_applicable()  # no count is asked
        if p["d_k"] == 1 and w.has("no-scale"):
            w.not_applicable()  # unscaled scores: no scale to forget
        kind = ("wide" if w.has("window-wide") else "centred" if w.has("window-centred")
                else "acausal" if w.has("window-acausal") else "causal"
                if w.has("window-causal") else "trailing")
        visible = window_visible(n, win, kind)
        M = tuple(tuple(w.num(1 if v else 0) for v in r_) for r_ in visible)
        w.result("M", M, label=f"M_(i j) = 1 \"if\" i - {win} < j <= i")
        S0 = att.scores(w, g["Q"], g["K"], p["d_k"], scaled=p["d_k"] > 1)  # (n x n)
        S = w.result("S", att.apply_mask(w, S0, visible), label=msg("window.step.masked"))
        s = (S[r],)  # (1 x n): the row asked for
        exps = w.show(f"exp(S_{r + 1})", tuple(tuple(w.exp(v) for v in x) for x in s))
        (sums,) = w.show(f"sum_j exp(S_({r + 1} j))", ((total(exps[0]),),))
        a = w.result("a", tuple(tuple(e / sums[0] for e in x) for x in exps),
                     label=f"a_{r + 1} = \"softmax\"(S_{r + 1})")
        z = matmul(a, g["V"])  # (1 x n) @ (n x d_v)
        w.result("z", z, label=f"z_{r + 1} = a_{r + 1} V")
        if "N" not in p:
            return
        N, W = p["N"], p["W"]
        if w.has("window-count-full-rows"):  # w keys for every query, the first ones too
            count = N * W
        else:
            count = window_count(N, W, kind)
        w.result("count", scalar(w.num(count)),
                 label=f"{N} times {W} - ({W} times {W - 1}) / 2" if kind == "trailing"
                 else None)
        w.result("saved", scalar(w.num(N * N - count)), label=f"{N}^2 - {count}")

    def later_refusal(self, inst: Instance) -> str | None:
        """A mistake that changes the row's weights a must change its output z: else a
        learner who forgot the causal limit (or the window, or -inf) types z's right value
        and is graded correct, and the part tests nothing of the mask. Added after codes
        were published (window-1-1 and window-1-3 are such): new draws only."""
        right = Work(numeric=True, record=False)
        self.compute(inst, right)
        exact_z: dict[str | None, list[Any] | None] = {}  # the rational kit's z, once each
        for mistake in self.mistakes:
            wrong = Work(mistake=mistake, numeric=True, record=False)
            try:
                self.compute(inst, wrong)
            except NotApplicable:
                continue
            if _gap(wrong.results["z"], right.results["z"]) > 1e-9 or \
                    _gap(wrong.results["a"], right.results["a"]) <= 1e-9:
                continue  # z told apart, or a mistake that leaves the row alone
            same = _same_z(inst, self, mistake, exact_z)  # the rational kit, where it can
            if same is not None:
                if same:
                    return f"mistake '{mistake}' changes a but leaves z as it is"
                continue
            exact_right, exact_wrong = Work(record=False), Work(mistake=mistake, record=False)
            self.compute(inst, exact_right)
            self.compute(inst, exact_wrong)
            if all(abs(sympy.N(x - y, 30)) < 1e-20 for x, y in zip(
                    entries(exact_right.results["z"]), entries(exact_wrong.results["z"]),
                    strict=True)):
                return f"mistake '{mistake}' changes a but leaves z as it is"
        return None

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        out = k.window_attention(g["Q"], g["K"], g["V"], w=p["w"], d_k=p["d_k"],
                                 row=p["query"] - 1)
        if "N" in p:
            count = k.window_count(p["N"], p["W"])
            out |= {"count": [[float(count)]], "saved": [[float(p["N"] ** 2 - count)]]}
        return out


def _same_z(inst: Instance, family: Family, mistake: str,
            runs: dict[str | None, list[Any] | None]) -> bool | None:
    """Whether the mistake leaves z as it is (no entry moved by more than 1e-20), decided
    by the rational kit (handcalc.core.rational), or None where it cannot tell. ``runs``
    keeps each run's exact z (None: not exact) for the other mistakes."""
    for m in (None, mistake):
        if m not in runs:
            try:
                w = Work(mistake=m, rational=True, record=False)
                family.compute(inst, w)
                z = entries(w.results["z"])
                runs[m] = z if all(rational.exact(v) for v in z) else None
            except Exception:  # noqa: BLE001 - a screen that cannot run leaves it to sympy
                runs[m] = None
    right, wrong = runs[None], runs[mistake]
    if right is None or wrong is None:
        return None
    try:
        apart = rational.differs(wrong, right)
    except (ValueError, ArithmeticError):
        return None
    return None if apart is None else not apart
