"""cost: the time and memory of attention for a real model's configuration.

For a sequence of n tokens, h heads of d_head = d_model / h, batch B, in a dtype of b
bytes per element (fp32 4, fp16 and bf16 2), in one layer:

    QK^T for one sequence: h n^2 d_head multiply-adds  (an exact integer count, at most
          10240^2 * 4096 < 10^12, the largest number an answer may have; a multiply-add
          is 2 FLOPs, which FlopCounterMode counts: the text says which it asks)
    QK^T and AV for the batch, in G: 2 B h n^2 d_head / 10^9     (2 decimals)
    score matrix: B h n^2 b bytes, in MiB (1 MiB = 2^20 bytes); at 2n: 4 times as much,
          in GiB (1 GiB = 2^30 bytes)
    KV cache at a decoding step with n tokens cached: 2 layers G_kv d_head n B b bytes, MiB
    FlashAttention's statistics: m and l for every query row, 2 B h n numbers in fp32
          (4 bytes): 8 B h n bytes (an exact count), against the B h n^2 b bytes of the
          score matrix it never stores: a ratio of n b / 8

Sources: Vaswani et al. 2017, table 1; Dao et al. 2022, FlashAttention (arXiv 2205.14135),
sections 3.1-3.2; the configurations are those of the models named (MiniMind, Llama 2
and 3, Mistral 7B, Qwen2.5).

Level 1: MiniMind (d_model 512, 8 heads, batch 1, bf16), n = 512 to 2048: QK^T's
multiply-adds and the score matrix at n and 2n. Level 2: a larger model, n up to 10240,
batch 3, 4 or 6, any dtype: both products in G and the KV cache too. Level 3: also
FlashAttention's statistics and how much smaller they are than the score matrix.

Mistakes: FLOPs for multiply-adds, the heads or the batch forgotten, 4 bytes for a 16-bit
type, MB for MiB, n x d_head entries for n x n; added after codes were published: the score
matrix at 2n taken as twice, not 4 times, that at n (cost-2n-doubled), and the KV cache
counted with the attention heads instead of the KV heads (cost-kv-query-heads; nothing
changes for a model whose heads all have their own K and V, Llama-2-7B), and the KV cache
of one layer (cost-no-layers; for Llama-2-7B, 32 layers and 32 heads, it coincides with
the heads forgotten, and the diagnosis names both).
"""

from __future__ import annotations

import random
from typing import Any

from handcalc.core.exact import scalar
from handcalc.core.work import Work
from handcalc.families.base import Draw, Family, Instance, Quantity
from handcalc.text.messages import Msg, msg

BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}
MIB, GIB = 2**20, 2**30
# name: (d_model, heads, kv_heads, layers)
MODELS = {
    "MiniMind": (512, 8, 2, 8),
    "MiniMind2": (768, 8, 2, 16),
    "Qwen2.5-0.5B": (896, 14, 2, 24),
    "Llama-2-7B": (4096, 32, 32, 32),
    "Llama-3-8B": (4096, 32, 8, 32),
    "Mistral-7B": (4096, 32, 8, 32),
}


class Cost(Family):
    name = "cost"
    quantities = (
        Quantity("qk", "cost.q.qk", count=True),
        Quantity("total", "cost.q.total"),
        Quantity("scores", "cost.q.scores"),
        Quantity("scores_2n", "cost.q.scores_2n"),
        Quantity("kv", "cost.q.kv"),
        Quantity("stats", "cost.q.stats", count=True),
        Quantity("ratio", "cost.q.ratio"),
    )
    mistakes = ("cost-flops", "cost-no-heads", "cost-no-batch", "cost-4-bytes", "cost-mb",
                "cost-n-by-d", "cost-2n-doubled", "cost-kv-query-heads", "cost-no-layers")

    def draw(self, rng: random.Random, level: int) -> Draw:
        if level == 1:
            model, n, batch, dtype = "MiniMind", rng.choice((512, 1024, 2048)), 1, "bf16"
        else:
            model = rng.choice(sorted(MODELS))
            # d_model = heads * d_head equal to n or 2n would make n x d_head and a head
            # forgotten agree
            n = rng.choice([n for n in ((2048, 4096, 8192, 10240) if level == 2
                                        else (4096, 8192, 10240))
                            if MODELS[model][0] not in (n, 2 * n)])
            batch = rng.choice((3, 4, 6))  # never a number of heads or KV heads
            dtype = rng.choice(("bf16", "fp16", "fp32"))
        d_model, heads, kv_heads, layers = MODELS[model]
        params = {"model": model, "n": n, "d_model": d_model, "heads": heads,
                  "kv_heads": kv_heads, "layers": layers, "batch": batch, "dtype": dtype}
        ask = {1: ("qk", "scores", "scores_2n"),
               2: ("qk", "total", "scores", "scores_2n", "kv"),
               3: ("qk", "total", "scores", "scores_2n", "kv", "stats", "ratio")}[level]
        return Draw({}, params, ask)

    def args(self, inst: Instance) -> dict[str, Any]:
        p = inst.params
        return {**p, "d_head": p["d_model"] // p["heads"], "bytes": BYTES[p["dtype"]],
                "n2": 2 * p["n"]}

    def statement(self, inst: Instance) -> Msg:
        return msg("cost.statement", **self.args(inst))

    def compute(self, inst: Instance, w: Work) -> None:
        a = self.args(inst)
        n, d = a["n"], a["d_head"]
        if a["batch"] == 1 and w.has("cost-no-batch"):
            w.not_applicable()
        if a["dtype"] == "fp32" and w.has("cost-4-bytes"):
            w.not_applicable()
        if "kv" not in inst.ask and (w.has("cost-kv-query-heads") or w.has("cost-no-layers")):
            w.not_applicable()  # no KV cache is asked
        B = 1 if w.has("cost-no-batch") else a["batch"]
        h = 1 if w.has("cost-no-heads") else a["heads"]
        kv_heads = 1 if w.has("cost-no-heads") else a["kv_heads"]
        b = 4 if w.has("cost-4-bytes") else a["bytes"]
        mib, gib = (10**6, 10**9) if w.has("cost-mb") else (MIB, GIB)
        per_mac = 2 if w.has("cost-flops") else 1
        qk = per_mac * h * n * n * d  # one sequence
        w.result("qk", scalar(w.num(qk)), label=f"{h} times {n}^2 times {d}")
        if "total" in inst.ask:
            w.result("total", scalar(w.num(2 * B * qk) / w.num(10**9)),
                     label=f"(2 times {B} times {qk}) / 10^9")

        def size(tokens: int) -> int:  # the score matrix's bytes
            cols = d if w.has("cost-n-by-d") else tokens
            return B * h * tokens * cols * b

        def label(tokens: int) -> str:
            cols = d if w.has("cost-n-by-d") else tokens
            return f"{B} times {h} times {tokens} times {cols} times {b}"

        scores = size(n)
        w.show(msg("cost.step.bytes", product=label(n)), scalar(w.num(scores)))
        w.result("scores", scalar(w.num(scores) / w.num(mib)), label=f"{scores} / 2^20")
        if w.has("cost-2n-doubled"):  # twice the tokens taken as twice the bytes
            big = 2 * scores
        else:
            big = size(2 * n)
            w.show(msg("cost.step.bytes", product=label(2 * n)), scalar(w.num(big)))
        w.result("scores_2n", scalar(w.num(big) / w.num(gib)), label=f"{big} / 2^30")
        asked = set(inst.ask)  # given data may ask any of these parts alone
        if "kv" in asked:
            if w.has("cost-kv-query-heads"):  # every attention head cached
                kv_heads = h
            layers = 1 if w.has("cost-no-layers") else a["layers"]  # every layer caches
            kv = 2 * layers * kv_heads * d * n * B * b
            w.show(msg("cost.step.bytes",
                       product=f"2 times {layers} times {kv_heads} times {d} times {n} "
                               f"times {B} times {b}"), scalar(w.num(kv)))
            w.result("kv", scalar(w.num(kv) / w.num(mib)), label=f"{kv} / 2^20")
        if not asked & {"stats", "ratio"}:
            return
        stats = 2 * B * h * n * 4
        w.result("stats", scalar(w.num(stats)), label=f"2 times {B} times {h} times {n} times 4")
        w.result("ratio", scalar(w.num(scores) / w.num(stats)), label=f"{scores} / {stats}")

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        a = self.args(inst)
        c = k.attention_cost(n=a["n"], heads=a["heads"], d_head=a["d_head"], batch=a["batch"],
                             dtype=a["dtype"], layers=a["layers"], kv_heads=a["kv_heads"])
        out = {"qk": c["qk_sequence"], "total": (c["qk"] + c["av"]) / 10**9,
               "scores": c["scores"] / MIB, "scores_2n": c["scores_2n"] / GIB,
               "kv": c["kv"] / MIB, "stats": c["stats"], "ratio": c["scores"] / c["stats"]}
        return {key: [[float(out[key])]] for key in inst.ask}
