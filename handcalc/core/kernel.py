"""The torch kernel: every quantity recomputed numerically in float64 with torch's own ops.

    attention:   S = Q K^T * scale (masked to -inf), A = SDPA(Q, K, I), Z = SDPA(Q, K, V)
                 with F.scaled_dot_product_attention(attn_mask=..., is_causal=..., scale=...)
    layer_norm:  Y = X + Z, mean / biased var over the last axis, F.layer_norm(Y, (d,), eps)
    projection:  Q = W x, Q.backward(dL/dQ) -> W.grad, x.grad (autograd)
    concat:      torch.cat(heads, dim=-1) @ W^O
    heads:       a (1, d_model) tensor viewed as (1, h, d_k)
    variance:    Var(q . k) = trace(Sigma_q Sigma_k) for Sigma = var * I_{d_k}
    online_softmax: m, l, O~ per prefix of blocks from torch.max, torch.logsumexp and SDPA;
                 O = SDPA (independent of the online recurrence)
    rope:        view_as_complex(x) * polar(1, p theta) (interleaved pairs) or
                 x cos + rotate_half(x) sin (half-split pairs), float64 / complex128
    padding, cross, rmsnorm: SDPA with a boolean attn_mask from a 1 = real token mask;
                 SDPA with L != S (projections by matmul); F.rms_norm(x, (d,), g, eps)
    mha, gqa, decode: nn.MultiheadAttention loaded with x W weights (per-head weights);
                 SDPA(enable_gqa=True) and KV-cache tensors on the meta device; SDPA with
                 torch.nn.attention.bias.causal_lower_right for a decoding step
    softmax-grad, attention-grad, temperature: autograd through torch.softmax; autograd
                 through F.scaled_dot_product_attention (dQ, dV; dS as the gradient of its
                 additive mask; dA through Z = A V); torch.softmax(z / T) per temperature
    window, linear, cost: in handcalc.core.kernel_cost, re-exported here (SDPA with a
                 sliding-window boolean mask; elu + 1 features by einsum and cumsum against
                 the quadratic form; FlopCounterMode and meta tensors for counts and sizes)

Imported only by the commands that cross-check (torch costs about a second to import).
Inputs are exact matrices (handcalc.core.exact.Mat); outputs nested lists of floats.
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType, SimpleNamespace

import sympy
import torch
import torch.nn.functional as F

from handcalc.core.exact import Mat, to_floats
from handcalc.core.kernel_cost import (  # noqa: F401 (the families call them from here)
    attention_cost,
    linear_attention,
    window_attention,
    window_count,
)

DTYPE = torch.float64
# handcalc's tensors are a few entries each: torch's intra-op threads only cost time here
# (a tiny SDPA call takes 16 ms with 2 threads on a busy machine, 0.025 ms with 1), and a
# worksheet's worker processes, forked after this import, keep the setting
torch.set_num_threads(1)

# what a family's check imports on first use, and no other check needs: preload() imports
# it at a time of the caller's choosing
LAZY_IMPORTS = {"decode": ("torch.nn.attention.bias",)}
# modules whose import asks torch._dynamo only for allow_in_graph: see import_lazily
WITHOUT_DYNAMO = frozenset({"torch.nn.attention.bias"})


def preload(families: Iterable[str]) -> None:
    """Import now what the checks of these families would import on first use."""
    for name in families:
        for module in LAZY_IMPORTS.get(name, ()):
            import_lazily(module)


def _in_graph(fn: object) -> object:
    return fn


def import_lazily(name: str) -> ModuleType:
    """The module ``name`` (one of LAZY_IMPORTS), imported without torch._dynamo where it
    can be (WITHOUT_DYNAMO).

    torch.nn.attention.bias, at import, only registers four functions with
    ``torch._dynamo.allow_in_graph``: hints for torch.compile's tracer, which handcalc
    never runs. The first use of ``torch._dynamo`` imports all of it, about 1.5 s, as much
    as torch itself; so while that module is imported, ``torch._dynamo`` is a stand-in
    whose allow_in_graph returns the function unchanged, and is removed right after (a
    later ``torch._dynamo`` is the real one). Should the module ask the stand-in for
    anything else, or torch._dynamo already be loaded, it is imported as usual. The
    computations are torch's own either way."""
    if name not in WITHOUT_DYNAMO or name in sys.modules or "torch._dynamo" in sys.modules:
        return importlib.import_module(name)
    torch._dynamo = SimpleNamespace(allow_in_graph=_in_graph)  # type: ignore[attr-defined]
    try:
        return importlib.import_module(name)
    except AttributeError:  # asked the stand-in for more: import it with torch._dynamo
        pass
    finally:
        if not isinstance(vars(torch).get("_dynamo"), ModuleType):
            vars(torch).pop("_dynamo", None)
    return importlib.import_module(name)


def _t(m: Mat) -> torch.Tensor:
    return torch.tensor(to_floats(m), dtype=DTYPE)


def _out(t: torch.Tensor) -> list[list[float]]:
    return t.detach().reshape(t.shape[-2], t.shape[-1]).tolist()


def attention(Q: Mat, K: Mat, V: Mat, *, d_k: int,
              visible: Sequence[Sequence[bool]] | None = None,
              causal: bool = False) -> dict[str, list[list[float]]]:
    q, k, v = _t(Q)[None], _t(K)[None], _t(V)[None]  # (1, n_q, d), (1, n_k, d), (1, n_k, d_v)
    n_q, n_k = q.shape[1], k.shape[1]
    scale = 1 / math.sqrt(d_k)
    if causal:
        mask = torch.ones(n_q, n_k, dtype=torch.bool).tril()  # (n_q, n_k)
        opts: dict = {"is_causal": True}
    elif visible is not None:
        mask = torch.tensor(visible, dtype=torch.bool)  # (n_q, n_k), True = may attend
        opts = {"attn_mask": mask}
    else:
        mask, opts = None, {}
    S = (q @ k.transpose(-2, -1)) * scale  # (1, n_q, n_k)
    if mask is not None:
        S = S.masked_fill(~mask, float("-inf"))
    eye = torch.eye(n_k, dtype=DTYPE)[None]  # (1, n_k, n_k): SDPA(Q, K, I) = A
    A = F.scaled_dot_product_attention(q, k, eye, scale=scale, **opts)  # (1, n_q, n_k)
    Z = F.scaled_dot_product_attention(q, k, v, scale=scale, **opts)  # (1, n_q, d_v)
    return {"S": _out(S), "A": _out(A), "Z": _out(Z)}


def layer_norm(X: Mat, Z: Mat, eps: sympy.Expr) -> dict[str, list[list[float]]]:
    Y = _t(X) + _t(Z)  # (n, d)
    mean = Y.mean(dim=-1, keepdim=True)  # (n, 1)
    var = Y.var(dim=-1, unbiased=False, keepdim=True)  # (n, 1)
    LN = F.layer_norm(Y, (Y.shape[-1],), eps=float(eps))  # (n, d)
    return {"Y": _out(Y), "mean": _out(mean), "var": _out(var), "LN": _out(LN)}


def projection_grads(W: Mat, x: Mat, g: Mat) -> dict[str, list[list[float]]]:
    w = _t(W).requires_grad_()  # (m, n)
    xv = _t(x).requires_grad_()  # (n, 1)
    Q = w @ xv  # (m, 1)
    Q.backward(_t(g))  # upstream dL/dQ: (m, 1)
    return {"dW": _out(w.grad), "dx": _out(xv.grad)}


def concat_heads(heads: Sequence[Mat], WO: Mat) -> dict[str, list[list[float]]]:
    C = torch.cat([_t(z) for z in heads], dim=-1)  # (n, h*d_h)
    return {"C": _out(C), "out": _out(C @ _t(WO))}  # (n, d_model)


def split_heads(d_model: int, h: int) -> dict[str, float]:
    x = torch.zeros(1, d_model, dtype=DTYPE).view(1, h, -1)  # (1, h, d_k)
    d_k = torch.tensor(float(x.shape[-1]), dtype=DTYPE)
    return {"d_k": d_k.item(), "sqrt_dk": torch.sqrt(d_k).item(),
            "inv_sqrt_dk": torch.rsqrt(d_k).item()}


def dot_variance(d_ks: Sequence[int], var_q: sympy.Expr,
                 var_k: sympy.Expr) -> dict[str, list[list[float]]]:
    var, std, scaled = [], [], []
    for d in d_ks:
        sq = float(var_q) * torch.eye(d, dtype=DTYPE)  # (d, d) covariance of q
        sk = float(var_k) * torch.eye(d, dtype=DTYPE)  # (d, d) covariance of k
        v = torch.trace(sq @ sk)  # Var(q . k) for independent q, k with mean 0
        var.append(v.item())
        std.append(torch.sqrt(v).item())
        scaled.append((v / d).item())  # Var(x / sqrt(d)) = Var(x) / d
    return {"var": [var], "std": [std], "scaled_var": [scaled]}


# ---------------------------------------------------------------- online-softmax, rope

def online_softmax(q: Mat, K: Mat, V: Mat, *, scale: float,
                   block: int) -> dict[str, list[list[float]]]:
    """One query's attention with the keys in blocks of `block`, from each prefix of blocks
    independently of the online recurrence: m_b = max(s_prefix), l_b =
    exp(logsumexp(s_prefix) - m_b), O~_b = l_b SDPA(q, K_prefix, V_prefix); O = SDPA."""
    qt, kt, vt = _t(q)[None], _t(K)[None], _t(V)[None]  # (1, 1, d), (1, n, d), (1, n, d_v)
    s = (qt @ kt.transpose(-2, -1))[0, 0] * scale  # (n,)
    n = s.shape[0]
    ms, ls, rows = [], [], []
    for end in range(block, n + block, block):
        end = min(end, n)
        prefix = s[:end]  # (end,)
        m = torch.max(prefix)
        lse = torch.logsumexp(prefix, dim=0)
        total = torch.exp(lse - m)
        o = F.scaled_dot_product_attention(qt, kt[:, :end], vt[:, :end],
                                           scale=scale)  # (1, 1, d_v) = softmax(s_prefix) V
        ms.append(m.item())
        ls.append(total.item())
        rows.append((total * o[0, 0]).tolist())  # O~_b = l_b * softmax(s_prefix) V_prefix
    out = F.scaled_dot_product_attention(qt, kt, vt, scale=scale)  # (1, 1, d_v)
    return {"s": [s.tolist()], "m": [ms], "l": [ls], "O_tilde": rows, "O": _out(out)}


def _rope_interleaved(x: torch.Tensor, pos: int, inv_freq: torch.Tensor) -> torch.Tensor:
    """Pairs (x_0, x_1), (x_2, x_3), ... as complex numbers times e^(i pos theta_i)."""
    z = torch.view_as_complex(x.reshape(-1, 2).contiguous())  # (d/2,) complex128
    turn = torch.polar(torch.ones_like(inv_freq), pos * inv_freq)  # (d/2,) e^(i p theta)
    return torch.view_as_real(z * turn).flatten()  # (d,)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    """As HF transformers writes it: (x1, x2) -> (-x2, x1) for the two halves."""
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def _rope_half_split(x: torch.Tensor, pos: int, inv_freq: torch.Tensor) -> torch.Tensor:
    """Pairs (x_i, x_(i + d/2)): x cos + rotate_half(x) sin, with the angles repeated."""
    freqs = pos * inv_freq  # (d/2,)
    emb = torch.cat((freqs, freqs), dim=-1)  # (d,)
    return x * emb.cos() + _rotate_half(x) * emb.sin()


def rope(q: Mat, k: Mat, *, p_q: int, p_k: int, shift: int, pairing: str,
         base: int | None = None, theta: float | None = None) -> dict[str, list[list[float]]]:
    """q and k rotated to their positions (and both shifted by `shift`), and the dot
    products; theta_i = 1 / base^(2i/d) as HF and MiniMind compute it, or one given theta."""
    qv, kv = _t(q)[0], _t(k)[0]  # (d,) each
    d = qv.shape[0]
    if base is not None:
        inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=DTYPE) / d))  # (d/2,)
    else:
        inv_freq = torch.tensor([theta], dtype=DTYPE)  # (1,)
    rot = _rope_half_split if pairing == "half-split" else _rope_interleaved
    qr, kr = rot(qv, p_q, inv_freq), rot(kv, p_k, inv_freq)  # (d,) each
    qs, ks = rot(qv, p_q + shift, inv_freq), rot(kv, p_k + shift, inv_freq)  # (d,) each
    return {"q_rot": [qr.tolist()], "k_rot": [kr.tolist()],
            "dot": [[torch.dot(qr, kr).item()]], "dot_shift": [[torch.dot(qs, ks).item()]]}


# ---------------------------------------------------------------- padding, cross, rmsnorm

def padding_attention(Q: Mat, K: Mat, V: Mat, real: Sequence[object], *,
                      d_k: int) -> dict[str, list[list[float]]]:
    """Key-padding mask from an attention_mask row (1 = real token): SDPA's boolean
    attn_mask is True where a query may attend, i.e. at every real key."""
    q, k, v = _t(Q)[None], _t(K)[None], _t(V)[None]  # (1, L, d), (1, L, d), (1, L, d_v)
    n = q.shape[1]
    keep = torch.tensor([float(x) for x in real], dtype=DTYPE) == 1  # (L,) True = real
    mask = keep[None, :].expand(n, n)  # (L, L): row i may attend to every real key
    scale = 1 / math.sqrt(d_k)
    S = ((q @ k.transpose(-2, -1)) * scale).masked_fill(~mask, float("-inf"))  # (1, L, L)
    eye = torch.eye(n, dtype=DTYPE)[None]  # (1, L, L): SDPA(Q, K, I) = A
    A = F.scaled_dot_product_attention(q, k, eye, attn_mask=mask, scale=scale)  # (1, L, L)
    Z = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)  # (1, L, d_v)
    return {"S": _out(S), "A": _out(A), "Z": _out(Z)}


def cross_attention(Xq: Mat, Xk: Mat, Xv: Mat, *, d_k: int, W_Q: Mat | None = None,
                    W_K: Mat | None = None, W_V: Mat | None = None
                    ) -> dict[str, list[list[float]]]:
    """Cross-attention: m decoder queries over n encoder keys and values (SDPA with
    L = m != S = n); with W_Q, W_K, W_V the inputs are projected first (x W)."""
    q, k, v = _t(Xq)[None], _t(Xk)[None], _t(Xv)[None]  # (1, m, .), (1, n, .), (1, n, .)
    if W_Q is not None and W_K is not None and W_V is not None:
        q, k, v = q @ _t(W_Q), k @ _t(W_K), v @ _t(W_V)  # (1, m, d_k), (1, n, d_k), (1, n, d_v)
    if q.shape[1] == k.shape[1]:
        raise ValueError("cross-attention exercises have m != n")
    scale = 1 / math.sqrt(d_k)
    S = (q @ k.transpose(-2, -1)) * scale  # (1, m, n)
    eye = torch.eye(k.shape[1], dtype=DTYPE)[None]  # (1, n, n): SDPA(Q, K, I) = A
    A = F.scaled_dot_product_attention(q, k, eye, scale=scale)  # (1, m, n)
    Z = F.scaled_dot_product_attention(q, k, v, scale=scale)  # (1, m, d_v)
    return {"S": _out(S), "A": _out(A), "Z": _out(Z)}


def rms_norm(X: Mat, G: Mat, eps: sympy.Expr) -> dict[str, list[list[float]]]:
    """RMSNorm with eps inside the root, as torch.nn.RMSNorm: F.rms_norm(x, (d,), g, eps)."""
    x, g = _t(X), _t(G)[0]  # (n, d), (d,)
    ms = x.pow(2).mean(dim=-1, keepdim=True)  # (n, 1)
    rms = torch.sqrt(ms + float(eps))  # (n, 1)
    y = F.rms_norm(x, (x.shape[-1],), weight=g, eps=float(eps))  # (n, d)
    return {"ms": _out(ms), "rms": _out(rms), "y": _out(y)}


# ---------------------------------------------- mha, gqa, decode (the MiniMind block)

def mha(X: Mat, WQ: Mat, WK: Mat, WV: Mat, WO: Mat, *, h: int,
        head: int) -> dict[str, list[list[float]]]:
    """nn.MultiheadAttention loaded with the given x W weights (it stores W^T)."""
    x = _t(X)[None]  # (1, n, d_model)
    n, d = x.shape[1], x.shape[2]
    d_k = d // h
    m = torch.nn.MultiheadAttention(d, h, bias=False, batch_first=True, dtype=DTYPE)
    with torch.no_grad():
        m.in_proj_weight.copy_(torch.cat([_t(WQ).T, _t(WK).T, _t(WV).T]))  # (3d, d)
        m.out_proj.weight.copy_(_t(WO).T)  # (d, d)
        Y, A = m(x, x, x, need_weights=True, average_attn_weights=False)  # (1,n,d), (1,h,n,n)
        wq, wk, wv = m.in_proj_weight.chunk(3)  # (d, d) each
        Q, K, V = F.linear(x, wq), F.linear(x, wk), F.linear(x, wv)  # (1, n, d) each

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(1, n, h, d_k).transpose(1, 2)  # (1, h, n, d_k)

        S = heads(Q) @ heads(K).transpose(-2, -1) / math.sqrt(d_k)  # (1, h, n, n)
        C = (A @ heads(V)).transpose(1, 2).reshape(1, n, d)  # (1, n, d): [Z_1 || Z_2]
    i = head - 1
    return {"Q": _out(Q), "S": _out(S[:, i]), "A": _out(A[:, i]), "C": _out(C),
            "Y": _out(Y)}


def gqa(Q: Mat, Ks: Sequence[Mat], Vs: Sequence[Mat], *, H: int,
        head: int) -> dict[str, list[list[float]]]:
    """SDPA with enable_gqa=True: H query heads over G key/value heads."""
    G = len(Ks)
    # which KV head each query head reads: values that are the KV head's number
    ids = torch.arange(G, dtype=DTYPE).view(1, G, 1, 1)  # (1, G, 1, 1)
    zeros_q = torch.zeros(1, H, 1, 1, dtype=DTYPE)  # (1, H, 1, 1)
    mapped = F.scaled_dot_product_attention(zeros_q, torch.zeros_like(ids), ids,
                                            enable_gqa=True)  # (1, H, 1, 1)
    q0 = _t(Q)  # (n, d_k)
    q = torch.zeros(1, H, *q0.shape, dtype=DTYPE)  # (1, H, n, d_k): only the named head
    q[0, head] = q0
    k = torch.stack([_t(K) for K in Ks])[None]  # (1, G, n, d_k)
    v = torch.stack([_t(V) for V in Vs])[None]  # (1, G, n, d_v)
    Z = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)  # (1, H, n, d_v)
    return {"map": [mapped.flatten().tolist()], "Z": _out(Z[0, head])}


def kv_cache_bytes(*, layers: int, kv_heads: int, head_dim: int, tokens: int, batch: int,
                   dtype: str) -> int:
    """Bytes of a KV cache built as K and V tensors per layer on the meta device."""
    dt = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
    cache = [(torch.empty(batch, kv_heads, tokens, head_dim, dtype=dt, device="meta"),
              torch.empty(batch, kv_heads, tokens, head_dim, dtype=dt, device="meta"))
             for _ in range(layers)]  # per layer (K, V): (batch, kv_heads, tokens, head_dim)
    return sum(t.numel() * t.element_size() for kv in cache for t in kv)


def decode(K: Mat, V: Mat, qs: Sequence[Mat], ks: Sequence[Mat], vs: Sequence[Mat], *,
           d_k: int) -> dict[str, list[list[float]]]:
    """L new tokens over a cache of t: SDPA with the bottom-right causal mask."""
    causal_lower_right = import_lazily("torch.nn.attention.bias").causal_lower_right

    q = torch.cat([_t(x) for x in qs])[None]  # (1, L, d_k)
    keys = torch.cat([_t(K), *(_t(x) for x in ks)])[None]  # (1, t+L, d_k): appended
    values = torch.cat([_t(V), *(_t(x) for x in vs)])[None]  # (1, t+L, d_v)
    L, S = q.shape[1], keys.shape[1]
    bias = causal_lower_right(L, S)  # query i sees keys 0 .. S - L + i
    scale = 1 / math.sqrt(d_k)
    eye = torch.eye(S, dtype=DTYPE)[None]  # (1, S, S): SDPA(q, K, I) = A
    A = F.scaled_dot_product_attention(q, keys, eye, attn_mask=bias, scale=scale)  # (1, L, S)
    Z = F.scaled_dot_product_attention(q, keys, values, attn_mask=bias, scale=scale)
    visible = torch.ones(L, S, dtype=torch.bool).tril(diagonal=S - L)  # (L, S)
    scores = (q @ keys.transpose(-2, -1) * scale).masked_fill(~visible, float("-inf"))
    return {"S": _out(scores), "A": _out(A), "Z": _out(Z)}  # (L, S), (L, S), (L, d_v)


# ---------------------------------------------------------------- softmax-grad, attention-grad,
# temperature (backward passes; softmax temperature)

def softmax_grad(s: Mat, g: Mat) -> dict[str, list[list[float]]]:
    st = _t(s).requires_grad_()  # (r, n) scores, one row per softmax
    gt = _t(g)  # (r, n) upstream dL/dA
    A = torch.softmax(st, dim=-1)  # (r, n)
    dot = (gt * A).sum(dim=-1, keepdim=True)  # (r, 1): sum_j g_j a_j per row
    A.backward(gt)  # autograd through torch.softmax -> dL/ds
    return {"A": _out(A), "gA": _out(dot), "dS": _out(st.grad)}


def attention_grads(Q: Mat, K: Mat, V: Mat, dZ: Mat, *, d: int) -> dict[str, list[list[float]]]:
    q, k, v = (_t(m)[None].requires_grad_() for m in (Q, K, V))  # (1, n, d) each
    n = q.shape[1]
    scale = 1 / math.sqrt(d)
    bias = torch.zeros(1, n, n, dtype=DTYPE, requires_grad=True)  # additive mask: its grad is dS
    Z = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=scale)  # (1, n, d_v)
    Z.backward(_t(dZ)[None])  # autograd through SDPA -> dQ, dK, dV, dS
    A = torch.softmax((q @ k.transpose(-2, -1)).detach() * scale, dim=-1)  # (1, n, n)
    A_leaf = A.requires_grad_()  # a leaf: its grad is dA
    (A_leaf @ v.detach()).backward(_t(dZ)[None])  # Z = A V -> dA
    return {"A": _out(A), "dV": _out(v.grad), "dA": _out(A_leaf.grad), "dS": _out(bias.grad),
            "dQ": _out(q.grad)}


def temperature_softmax(z: Mat, T: Mat) -> dict[str, list[list[float]]]:
    zt = _t(z)  # (1, n) logits
    temps = _t(T).reshape(-1, 1)  # (m, 1) temperatures
    P = torch.softmax(zt / temps, dim=-1)  # (m, n): row i = softmax(z / T_i)
    return {"P": _out(P), "pmax": _out(P.max(dim=-1).values[None])}  # (1, m)
