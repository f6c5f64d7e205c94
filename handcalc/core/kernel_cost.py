"""The torch checks of the cost of attention and its alternatives (window, linear, cost),
re-exported by handcalc.core.kernel (a family calls them as ``kernel.window_attention``):

    window:  SDPA with a boolean attn_mask built from torch.arange (True = may attend:
             i - w < j <= i); the row's weights as SDPA(Q, K, I); the count of a long
             sequence as the sum over rows of min(i, w) (torch.clamp)
    linear:  phi = F.elu(x) + 1; phi(K)^T V and phi(K)^T 1 by torch.einsum; the output
             by the quadratic form (phi(Q) phi(K)^T normalised by rows) V, an independent
             route; the causal running sums by torch.cumsum; multiplication counts of the
             two orders from torch.utils.flop_counter.FlopCounterMode on meta tensors
             (2 FLOPs per multiply-add)
    cost:    multiply-adds of QK^T and AV from FlopCounterMode on meta tensors of the
             stated shapes; the sizes of the score matrix, the KV cache and
             FlashAttention's statistics m and l from meta tensors' numel * element_size

Imported only where the kernel is (torch); float64 for the values.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from handcalc.core.exact import Mat, to_floats

DTYPE = torch.float64
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
MIB = 2**20


def _t(m: Mat) -> torch.Tensor:
    return torch.tensor(to_floats(m), dtype=DTYPE)


def _rows(t: torch.Tensor) -> list[list[float]]:
    t = t.detach()
    return (t if t.dim() == 2 else t.reshape(1, -1)).tolist()


# ---------------------------------------------------------------- window

def window_mask(n: int, w: int) -> torch.Tensor:
    """(n, n) bool, True where query i may attend to key j: i - w < j <= i."""
    i = torch.arange(n)[:, None]  # (n, 1)
    j = torch.arange(n)[None, :]  # (1, n)
    return (j <= i) & (j > i - w)


def window_attention(Q: Mat, K: Mat, V: Mat, *, w: int, d_k: int,
                     row: int) -> dict[str, list[list[float]]]:
    q, k, v = _t(Q)[None], _t(K)[None], _t(V)[None]  # (1, n, d), (1, n, d), (1, n, d_v)
    n = q.shape[1]
    mask = window_mask(n, w)  # (n, n)
    scale = 1 / math.sqrt(d_k)
    S = ((q @ k.transpose(-2, -1)) * scale).masked_fill(~mask, float("-inf"))  # (1, n, n)
    eye = torch.eye(n, dtype=DTYPE)[None]  # (1, n, n): SDPA(Q, K, I) = A
    A = F.scaled_dot_product_attention(q, k, eye, attn_mask=mask, scale=scale)  # (1, n, n)
    Z = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)  # (1, n, d_v)
    return {"M": mask.to(DTYPE).tolist(), "S": S[0].tolist(), "a": _rows(A[0, row]),
            "z": _rows(Z[0, row])}


def window_count(n: int, w: int) -> int:
    """Scores a trailing window of w computes for n tokens: row i (from 1) has min(i, w)."""
    return int(torch.clamp(torch.arange(1, n + 1, dtype=torch.int64), max=w).sum())


# ---------------------------------------------------------------- linear

def _flops(fn, *shapes: tuple[int, ...]) -> int:  # type: ignore[no-untyped-def]
    """FLOPs torch counts for fn applied to meta tensors of these shapes."""
    from torch.utils.flop_counter import FlopCounterMode

    tensors = [torch.empty(*s, dtype=DTYPE, device="meta") for s in shapes]
    with FlopCounterMode(display=False) as counter:
        fn(*tensors)
    return int(counter.get_total_flops())


def linear_attention(Q: Mat, K: Mat, V: Mat, *, causal_row: int | None = None,
                     N: int | None = None, d: int | None = None
                     ) -> dict[str, list[list[float]]]:
    q, k, v = _t(Q), _t(K), _t(V)  # (n, d), (n, d), (n, d_v)
    pq, pk = F.elu(q) + 1, F.elu(k) + 1  # (n, d) each
    kv = torch.einsum("nd,ne->de", pk, v)  # (d, d_v) = phi(K)^T V
    u = pk.sum(dim=0)  # (d,) = phi(K)^T 1
    sim = pq @ pk.T  # (n, n): the quadratic form
    Z = (sim / sim.sum(dim=-1, keepdim=True)) @ v  # (n, d_v)
    out = {"phiQ": pq.tolist(), "phiK": pk.tolist(), "KV": kv.tolist(), "u": _rows(u),
           "Z": Z.tolist()}
    if causal_row is not None:
        outer = torch.einsum("nd,ne->nde", pk, v)  # (n, d, d_v): phi(k_j)^T v_j
        S = torch.cumsum(outer, dim=0)  # (n, d, d_v): S_i
        causal = sim.tril()  # (n, n): key j <= i
        Zc = (causal / causal.sum(dim=-1, keepdim=True)) @ v  # (n, d_v)
        out |= {"S_i": S[causal_row].tolist(), "Zc": Zc.tolist()}
    if N is not None and d is not None:
        quadratic = _flops(lambda a, b, c: (a @ b.T) @ c, (N, d), (N, d), (N, d))
        linear = _flops(lambda a, b, c: a @ (b.T @ c), (N, d), (N, d), (N, d))
        out["mults"] = [[quadratic / 2, linear / 2]]  # 2 FLOPs per multiply-add
    return out


# ---------------------------------------------------------------- cost

def _bytes(*shape: int, dtype: str) -> int:
    t = torch.empty(*shape, dtype=DTYPES[dtype], device="meta")
    return t.numel() * t.element_size()


def attention_cost(*, n: int, heads: int, d_head: int, batch: int, dtype: str, layers: int,
                   kv_heads: int) -> dict[str, float]:
    """Multiply-adds of QK^T (for one sequence, and the batch) and AV (the batch) in one
    layer, and sizes in bytes."""
    q = (batch, heads, n, d_head)
    one = (1, heads, n, d_head)
    qk = _flops(lambda a, b: a @ b.transpose(-2, -1), q, q) // 2
    qk_sequence = _flops(lambda a, b: a @ b.transpose(-2, -1), one, one) // 2
    av = _flops(lambda a, b: a @ b, (batch, heads, n, n), q) // 2
    kv = sum(_bytes(batch, kv_heads, n, d_head, dtype=dtype) for _ in range(2 * layers))
    return {"qk": qk, "qk_sequence": qk_sequence, "av": av,
            "scores": _bytes(batch, heads, n, n, dtype=dtype),
            "scores_2n": _bytes(batch, heads, 2 * n, 2 * n, dtype=dtype),
            "kv": kv,
            "stats": 2 * _bytes(batch, heads, n, dtype="fp32")}  # m and l per row, fp32
