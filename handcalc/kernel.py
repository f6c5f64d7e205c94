"""The torch kernel: every quantity recomputed numerically in float64 with torch's own ops.

    attention:   S = Q K^T * scale (masked to -inf), A = SDPA(Q, K, I), Z = SDPA(Q, K, V)
                 with F.scaled_dot_product_attention(attn_mask=..., is_causal=..., scale=...)
    layer_norm:  Y = X + Z, mean / biased var over the last axis, F.layer_norm(Y, (d,), eps)
    projection:  Q = W x, Q.backward(dL/dQ) -> W.grad, x.grad (autograd)
    concat:      torch.cat(heads, dim=-1) @ W^O
    heads:       a (1, d_model) tensor viewed as (1, h, d_k)
    variance:    Var(q . k) = trace(Sigma_q Sigma_k) for Sigma = var * I_{d_k}
    softmax-grad, attention-grad, temperature: autograd through torch.softmax; autograd
                 through F.scaled_dot_product_attention (dQ, dV; dS as the gradient of its
                 additive mask; dA through Z = A V); torch.softmax(z / T) per temperature

Imported only by the commands that cross-check (torch costs about a second to import).
Inputs are exact matrices (handcalc.exact.Mat); outputs nested lists of floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sympy
import torch
import torch.nn.functional as F

from handcalc.exact import Mat, to_floats

DTYPE = torch.float64


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
