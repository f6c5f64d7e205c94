"""gqa: grouped-query attention, repeat_kv and the size of the KV cache.

H query heads share G key/value heads (G divides H); heads are numbered from 0, as in
code. Query head h uses KV head

    g(h) = floor(h / (H / G))                     (repeat_kv, repeat_interleave)
    map = (g(0), ..., g(H - 1))                   (1 x H)

and its output, in a toy instance with its queries Q (n x d_k) and the KV heads' K_g, V_g:

    Z = softmax(Q K_g^T / sqrt(d_k)) V_g          (n x d_k)

The KV cache of a model with `layers` layers, head_dim, T tokens and batch B, in a dtype
of b bytes per element (fp32 4, fp16 and bf16 2):

    bytes = 2 (K and V) * layers * G * head_dim * T * B * b;   MiB = bytes / 2^20
    ratio = (the cache with H KV heads, MHA) / (the cache with G) = H / G

Multi-query attention (MQA, Shazeer 2019, arXiv 1911.02150) is the case G = 1: every
query head reads the one KV head, and the cache is H times smaller than MHA's. Level 4
asks for it, and compares the caches of the same model under MHA (G = H), GQA (a stated
G') and MQA (G = 1):

    compare = (cache(H), cache(G'), cache(1)) in MiB                        (1 x 3)

Level 1: MiniMind's H = 8, G = 2 (8 layers, head_dim 64, bf16), toy n = 2, d_k = 1.
Level 2: H up to 16, G in {2, 4}, toy n = 2, d_k = 2. Level 3: H up to 16, G up to 4,
toy n = 3, d_k = 2, larger caches. Level 4: MQA, H from 8 to 16, G = 1, toy n = 3,
d_k = 2, a 16-bit cache. The named head always uses another KV head under the `h mod G`
mistake (levels 1 to 3), so that the mistake shows in its output.

Mistakes: KV head h mod G, the cache counted with the H query heads, without the factor 2
for K and V, without the layers, with 4 bytes for a 16-bit type; added after codes were
published: MB (10^6 bytes) for MiB, (d_k = 2, levels 2 to 4) the scores left unscaled, the
batch forgotten (B > 1), and bits for bytes (16 or 32 per element: 8 times the bytes).
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core.exact import entries, matmul, row, scalar, total, transpose
from handcalc.core.rounding import same2
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity, plain
from handcalc.text.messages import Msg, msg

BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}
MIB = 2**20

# (H, G) per level
_HEADS = {1: ((8, 2),), 2: ((8, 2), (8, 4), (12, 4), (16, 4), (6, 2)),
          3: ((12, 3), (16, 4), (16, 2), (12, 4), (12, 2)),
          4: ((8, 1), (12, 1), (16, 1))}  # a row of H numbers: at most 20 can be typed


def _ints(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def _dots(a: list[list[int]], b: list[list[int]]) -> list[int]:
    return [sum(x * y for x, y in zip(r, c, strict=True)) for r in a for c in b]


class GQA(Family):
    name = "gqa"
    row_softmax = True
    quantities = (
        Quantity("map", "gqa.q.map", count=True),
        Quantity("Z", "gqa.q.Z"),
        Quantity("cache", "gqa.q.cache"),
        Quantity("ratio", "gqa.q.ratio", count=True),
        Quantity("compare", "gqa.q.compare"),
    )
    levels = (1, 2, 3, 4)
    mistakes = ("kv-head-mod", "cache-query-heads", "cache-no-kv-factor", "cache-no-layers",
                "cache-4-bytes", "cache-mb", "no-scale", "cache-no-batch", "cache-bits")

    def draw(self, rng: random.Random, level: int) -> Draw:
        if level == 4:
            return self._draw_mqa(rng)
        H, G = rng.choice(_HEADS[level])
        per = H // G
        head = rng.choice([h for h in range(H) if h // per != h % G])
        n, d_k, lo, hi = {1: (2, 1, -1, 2), 2: (2, 2, -1, 2), 3: (3, 2, -2, 2)}[level]
        if level == 1:
            layers, head_dim, dtype = 8, 64, "bf16"
            tokens, batch = rng.choice((256, 512, 1024, 2048, 3000)), rng.choice((1, 2, 4))
        else:
            layers = rng.choice((12, 16, 24) if level == 2 else (24, 28, 32, 36))
            head_dim = rng.choice((64, 128))
            tokens = rng.choice((1000, 1500, 2000, 3000, 4096) if level == 2
                                else (2048, 4096, 6000, 8192, 10000))
            batch = rng.choice((1, 2, 4) if level == 2 else (1, 2, 3, 4, 8))
            # 4 bytes instead of 2 doubles the cache, as H instead of G does when H = 2G
            dtype = rng.choice(("fp32",) if per == 2 else ("bf16", "fp16", "fp32"))
        limit = 4 * d_k ** 0.5
        while True:
            Q = _ints(rng, n, d_k, lo, hi)
            Ks = [_ints(rng, n, d_k, lo, hi) for _ in range(G)]
            dots = [_dots(Q, K) for K in Ks]
            if all(max(map(abs, d)) <= limit and len(set(d)) > 1 for d in dots):
                break
        given = {"Q": plain(Q)}
        given |= {f"K{g}": plain(K) for g, K in enumerate(Ks)}
        given |= {f"V{g}": plain(_ints(rng, n, d_k, lo, hi + 2)) for g in range(G)}
        params = {"H": H, "G": G, "head": head, "d_k": d_k, "layers": layers,
                  "head_dim": head_dim, "tokens": tokens, "batch": batch, "dtype": dtype}
        return Draw(given, params, ("map", "Z", "cache", "ratio"))

    def _draw_mqa(self, rng: random.Random) -> Draw:
        """Level 4: multi-query attention (G = 1), and the three caches compared."""
        H, G = rng.choice(_HEADS[4])
        head = rng.randrange(1, H)
        G2 = rng.choice([g for g in (2, 4, 8) if H % g == 0 and g < H])
        layers, head_dim = rng.choice((16, 24, 32)), rng.choice((64, 128))
        tokens, batch = rng.choice((2048, 4096, 8192)), rng.choice((1, 2, 4))
        dtype = rng.choice(("bf16", "fp16"))
        while True:
            Q, K = _ints(rng, 3, 2, -2, 2), _ints(rng, 3, 2, -2, 2)
            d = _dots(Q, K)
            if max(map(abs, d)) <= 4 * 2 ** 0.5 and len(set(d)) > 1:
                break
        given = {"Q": plain(Q), "K0": plain(K), "V0": plain(_ints(rng, 3, 2, -2, 4))}
        params = {"H": H, "G": G, "head": head, "d_k": 2, "layers": layers,
                  "head_dim": head_dim, "tokens": tokens, "batch": batch, "dtype": dtype,
                  "G2": G2}
        return Draw(given, params, ("map", "Z", "cache", "ratio", "compare"))

    def args(self, inst: Instance) -> dict[str, Any]:
        p = inst.params
        return {**p, "n": len(inst.plain_given["Q"]), "last": p["H"] - 1, "last_kv": p["G"] - 1,
                "bytes": BYTES[p["dtype"]], "per": p["H"] // p["G"]}

    def statement(self, inst: Instance) -> Msg:
        mqa = inst.params["G"] == 1
        return msg("gqa.statement_mqa" if mqa else "gqa.statement", **self.args(inst))

    def compute(self, inst: Instance, w: Work) -> None:
        g, p = w.given(inst), inst.params
        H, G, head = p["H"], p["G"], p["head"]
        per = H // G
        if p["dtype"] == "fp32" and w.has("cache-4-bytes"):
            w.not_applicable()
        if p["d_k"] == 1 and w.has("no-scale"):
            w.not_applicable()  # sqrt(1) = 1: there is no scale to forget
        if G == 1 and w.has("kv-head-mod"):
            w.not_applicable()  # h mod 1 = floor(h / H) = 0: nothing to get wrong
        # which KV head each query head uses
        kv = [h % G for h in range(H)] if w.has("kv-head-mod") else [h // per for h in range(H)]
        used = w.result("map", row(w.num(x) for x in kv), label=f"floor(h / {per})")  # (1 x H)
        j = used[0][head]
        if j != int(j) or not 0 <= int(j) < G:
            w.not_applicable()  # a typed mapping that names no KV head
        j = int(j)
        w.show(f"g = floor({head} / {per})", scalar(w.num(j)))
        # the named head's output from its group's K and V
        K, V = g[f"K{j}"], g[f"V{j}"]  # (n x d_k) each
        raw = matmul(g["Q"], transpose(K))  # (n x d_k) @ (d_k x n)
        if p["d_k"] == 1 or w.has("no-scale"):
            S = w.show(f"S = Q K_{j}^T", raw)
        else:
            raw = w.show(f"Q K_{j}^T", raw)
            root = w.sqrt(p["d_k"])
            S = w.show(f"S = (Q K_{j}^T) / sqrt({p['d_k']})",
                       tuple(tuple(v / root for v in r) for r in raw))  # (n x n)
        exps = w.show("exp(S)", tuple(tuple(w.exp(v) for v in r) for r in S))
        sums = w.show(msg("step.row_sums"), tuple((total(r),) for r in exps))
        A = w.show('A = "softmax"(S)', tuple(tuple(e / s for e in r)
                                             for r, (s,) in zip(exps, sums, strict=True)))
        if not w.rounded:  # A's values themselves: one division per entry
            Z = tuple(tuple(v / s for v in r)
                      for r, (s,) in zip(matmul(exps, V), sums, strict=True))
        else:
            Z = matmul(A, V)
        w.result("Z", Z, label=f"Z = A V_{j}")  # (n x d_k)
        # the ratio of the caches: everything but the KV heads cancels
        kv_heads = H if w.has("cache-query-heads") else G
        w.result("ratio", scalar(w.num(H) / w.num(kv_heads)), label=f"{H} / {kv_heads}")
        # the KV cache in MiB
        if p["batch"] == 1 and w.has("cache-no-batch"):
            w.not_applicable()
        factor = 1 if w.has("cache-no-kv-factor") else 2
        layers = 1 if w.has("cache-no-layers") else p["layers"]
        batch = 1 if w.has("cache-no-batch") else p["batch"]
        size = 4 if p["dtype"] != "fp32" and w.has("cache-4-bytes") else BYTES[p["dtype"]]
        if w.has("cache-bits"):  # 16 bits for bf16's 2 bytes
            size *= 8
        terms = (factor, layers, kv_heads, p["head_dim"], p["tokens"], batch, size)
        total_bytes = 1
        for t in terms:
            total_bytes *= t
        names = ("kv", "layers", "kv_heads", "head_dim", "tokens", "batch", "size")
        w.show(msg("gqa.step.bytes_factors", **dict(zip(names, terms, strict=True))),
               scalar(w.num(total_bytes)))
        if w.has("cache-mb"):  # megabytes, 10^6 bytes, for mebibytes
            w.result("cache", scalar(w.num(total_bytes) / w.num(10**6)),
                     label=f'"MB" = {total_bytes} / 10^6')
            return
        w.result("cache", scalar(w.num(total_bytes) / w.num(MIB)),
                 label=f'"MiB" = {total_bytes} / 2^20')
        if "compare" in inst.ask:  # MHA, GQA with G', MQA: only the KV heads differ
            per_head = total_bytes // kv_heads
            sizes = [w.num(per_head * heads) / w.num(MIB) for heads in (H, p["G2"], 1)]
            w.result("compare", row(sizes),
                     label=f'{per_head} / 2^20 times ({H}, {p["G2"]}, 1)')

    def zero_allowed(self, inst: Instance, key: str) -> bool:
        """With one KV head (MQA) every query head uses KV head 0: that map of zeros is the
        point of the part."""
        return key == "map" and inst.params["G"] == 1

    def later_refusal(self, inst: Instance) -> str | None:
        """At levels 1 and 2 the cache holds a power-of-two number of tokens, as real
        contexts do (4,096), so that the MiB come out round: dividing 3,000 tokens' bytes by
        2^20 by hand is not the lesson (a rule of new draws: gqa-2-100 keeps its 3,000)."""
        tokens = inst.params["tokens"]
        if inst.level in (1, 2) and tokens & (tokens - 1):
            return f"{tokens} tokens is not a power of two: the cache's MiB are not round"
        return None

    def refusal(self, inst: Instance) -> str | None:
        """The named head's output must change when the wrong KV head (h mod G) is used,
        at every level: the repeat_kv mapping is what the family exists to test. With one
        KV head (MQA, level 4) every query head uses it, and h mod G names it too."""
        if inst.params["G"] == 1:
            return None
        right, wrong = Work(numeric=True, record=False), Work(mistake="kv-head-mod",
                                                               numeric=True, record=False)
        self.compute(inst, right)
        self.compute(inst, wrong)
        gap = max(abs(a - b) for a, b in zip(entries(right.results["Z"]),
                                               entries(wrong.results["Z"]), strict=True))
        if gap > 0.011:  # each value moves by at most 0.005 when rounded: told apart
            return None
        exact_right, exact_wrong = Work(record=False), Work(mistake="kv-head-mod", record=False)
        self.compute(inst, exact_right)
        self.compute(inst, exact_wrong)
        if same2(exact_right.results["Z"], exact_wrong.results["Z"]):
            return "the wrong KV head (h mod G) gives the named head's output at 2 decimals"
        return None

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        g, p = inst.given, inst.params
        G = p["G"]
        out = k.gqa(g["Q"], [g[f"K{j}"] for j in range(G)], [g[f"V{j}"] for j in range(G)],
                    H=p["H"], head=p["head"])
        cache = k.kv_cache_bytes(layers=p["layers"], kv_heads=G, head_dim=p["head_dim"],
                                 tokens=p["tokens"], batch=p["batch"], dtype=p["dtype"])
        mha = k.kv_cache_bytes(layers=p["layers"], kv_heads=p["H"], head_dim=p["head_dim"],
                               tokens=p["tokens"], batch=p["batch"], dtype=p["dtype"])
        out = {"map": out["map"], "Z": out["Z"], "cache": [[cache / 2**20]],
               "ratio": [[mha / cache]]}
        if "compare" in inst.ask:
            out["compare"] = [[k.kv_cache_bytes(layers=p["layers"], kv_heads=heads,
                                                head_dim=p["head_dim"], tokens=p["tokens"],
                                                batch=p["batch"], dtype=p["dtype"]) / 2**20
                               for heads in (p["H"], p["G2"], 1)]]
        return out

