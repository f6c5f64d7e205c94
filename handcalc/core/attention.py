"""Exact scaled dot-product attention, step by step, with its catalogued mistakes.

    S = Q K^T / sqrt(d_k)            (n_q x n_k)
    S_ij = -inf where key j is hidden from query i (mask)
    A = softmax(S) along each row:   A_ij = exp(S_ij) / sum_l exp(S_il)
    Z = A V                          (n_q x d_v)

Each function takes the ``Work`` of the family computing it, records the steps a
learner writes down, and makes the mistake ``work`` asks for at the step where it
happens. Used by every family that computes attention.
"""

from __future__ import annotations

from handcalc.core.exact import Mat, col, elementwise, matmul, shape, total, transpose
from handcalc.core.work import Work
from handcalc.text.messages import msg

Visible = tuple[tuple[bool, ...], ...]


def scores(w: Work, Q: Mat, K: Mat, d_k: int, *, scaled: bool = True,
           one: bool = False) -> Mat:
    """S = Q K^T / sqrt(d_k), or Q K^T when ``scaled`` is False (no division by sqrt(d_k)).
    ``one``: a single query q and key k, whose score is the scalar s (lower-case labels).

    Mistakes: no-scale, div-dk, mul-sqrt-dk where scores are scaled; scaled-unasked
    (dividing by sqrt(d), d = Q's number of columns, although told not to scale) where
    they are not and d > 1; k-not-transposed."""
    if w.has("k-not-transposed"):
        if shape(Q)[1] != shape(K)[0] or shape(Q) != shape(K):
            w.not_applicable()
        raw = w.show(msg("step.qk_not_transposed"), matmul(Q, K))  # (n x d) @ (d x n)
    else:
        raw = w.show("q dot k" if one else "Q K^T", matmul(Q, transpose(K)))  # (n_q x n_k)
    qk, s = ("q dot k", "s") if one else ("Q K^T", "S")
    if not scaled or d_k == 1:
        if w.has("no-scale") or w.has("div-dk") or w.has("mul-sqrt-dk"):
            w.not_applicable()
        if w.has("scaled-unasked"):  # told not to scale, divided by sqrt(d) all the same
            d = shape(Q)[1]
            if d == 1:
                w.not_applicable()
            root = w.sqrt(d)
            return w.show(f"{s} = ({qk}) / sqrt({d})", elementwise(lambda x: x / root, raw))
        return raw
    if w.has("scaled-unasked"):
        w.not_applicable()
    root = w.sqrt(d_k)
    if w.has("no-scale"):
        return raw
    if w.has("div-dk"):
        return w.show(f"{s} = ({qk}) / {d_k}", elementwise(lambda x: x / d_k, raw))
    if w.has("mul-sqrt-dk"):
        return w.show(f"{s} = ({qk}) sqrt({d_k})", elementwise(lambda x: x * root, raw))
    return w.show(f"{s} = ({qk}) / sqrt({d_k})", elementwise(lambda x: x / root, raw))


def causal_visible(n: int) -> Visible:
    """Query i sees keys j <= i."""
    return tuple(tuple(j <= i for j in range(n)) for i in range(n))


def apply_mask(w: Work, S: Mat, visible: Visible) -> Mat:
    """S with -inf where a key is hidden (mistakes: 0 instead of -inf, transposed, none)."""
    if w.has("no-mask"):
        return S
    if w.has("mask-transposed"):
        visible = tuple(zip(*visible, strict=True))
    fill = w.num(0) if w.has("mask-zero") else w.neg_inf
    masked = tuple(tuple(s if vis else fill for s, vis in zip(r, vr, strict=True))
                   for r, vr in zip(S, visible, strict=True))
    return masked


def _softmax_rows(w: Work, S: Mat, *, normalise: bool = True, one: bool = False) -> Mat:
    exps = w.show("exp(s)" if one else msg("step.exp_rows"), elementwise(w.exp, S))
    if not normalise:
        return exps
    sums = col(total(r) for r in exps)
    if not one:  # one score: its sum is exp(s) itself
        sums = w.show(msg("step.row_sums"), sums)
    return tuple(tuple(w.quotient(e, s) for e in r) for r, (s,) in zip(exps, sums, strict=True))


def softmax(w: Work, S: Mat, *, one: bool = False) -> Mat:
    """A = softmax(S) along each row (mistakes: along columns, none, not normalised);
    ``one``: S is a single score s (lower-case labels)."""
    if w.has("no-softmax"):
        return S
    if w.has("exp-not-normalised"):
        return _softmax_rows(w, S, normalise=False, one=one)
    if w.has("softmax-columns"):
        return transpose(_softmax_rows(w, transpose(S), one=one))
    return _softmax_rows(w, S, one=one)


def masked_softmax(w: Work, S_masked: Mat, S_unmasked: Mat, visible: Visible) -> Mat:
    """A from the masked scores; 'mask-after-softmax' zeroes hidden weights afterwards."""
    if w.has("mask-after-softmax"):
        A = softmax(w, S_unmasked)
        return tuple(tuple(a if vis else w.num(0) for a, vis in zip(r, vr, strict=True))
                     for r, vr in zip(A, visible, strict=True))
    return softmax(w, S_masked)


def output(w: Work, A: Mat, V: Mat) -> Mat:
    """Z = A V: row i is sum_j a_ij v_j."""
    return matmul(A, V)  # (n_q x n_k) @ (n_k x d_v)
