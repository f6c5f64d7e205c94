"""The catalogue of known mistakes.

A mistake is a named transformation of a family's own exact computation: a family's
``compute`` asks ``work.has(MISTAKE_ID)`` at the step where the mistake happens and
does the wrong thing there, so a mistaken answer is computed, never written by hand.
Families list the ids that apply to them; the grader tries each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    id: str
    title: str
    explanation: str
    step: str


_ALL = (
    Mistake("no-scale", "forgot sqrt(d_k)",
            "matches the unscaled scores: you forgot to divide QK^T by sqrt(d_k).", "scores"),
    Mistake("div-dk", "divided by d_k",
            "matches scores divided by d_k: the scale is sqrt(d_k), not d_k.", "scores"),
    Mistake("mul-sqrt-dk", "multiplied by sqrt(d_k)",
            "matches scores multiplied by sqrt(d_k): divide by sqrt(d_k) instead.", "scores"),
    Mistake("k-not-transposed", "K not transposed",
            "matches QK instead of QK^T: row i of S pairs query i with key j.", "scores"),
    Mistake("softmax-columns", "softmax along columns",
            "matches a softmax taken down each column: normalise along each row.", "softmax"),
    Mistake("no-softmax", "no softmax",
            "matches the scores used as weights: apply the softmax before weighting V.",
            "softmax"),
    Mistake("exp-not-normalised", "exponentials not normalised",
            "matches exp(scores) without dividing by the row sum of exponentials.", "softmax"),
    Mistake("mask-zero", "masked with 0",
            "matches masking with 0 instead of -inf: a 0 score still gets weight exp(0)/sum.",
            "mask"),
    Mistake("mask-after-softmax", "masked after softmax",
            "matches zeroing the masked weights after the softmax without renormalising: "
            "mask the scores with -inf before the softmax.", "mask"),
    Mistake("mask-transposed", "mask transposed",
            "matches a transposed mask: position i may see positions <= i, not >= i.", "mask"),
    Mistake("no-mask", "forgot the mask",
            "matches the unmasked computation: hidden keys must get -inf before the softmax.",
            "mask"),
    Mistake("concat-order", "heads in the wrong order",
            "matches the heads concatenated in the wrong order: head 1 comes first.", "concat"),
    Mistake("concat-rows", "stacked along rows",
            "matches stacking the heads along the token axis: concatenate along features.",
            "concat"),
    Mistake("no-wo", "forgot W^O",
            "matches the concatenation itself: multiply [Z1 || Z2] by W^O.", "output"),
    Mistake("dk-is-dmodel", "used d_model as d_k",
            "matches using d_model instead of d_k = d_model / h.", "split"),
    Mistake("ln-unbiased", "unbiased variance",
            "matches the unbiased variance (dividing by n - 1): LayerNorm divides by n.",
            "variance"),
    Mistake("ln-no-center", "did not subtract the mean",
            "matches y / sqrt(var + eps): subtract the mean before dividing.", "normalise"),
    Mistake("ln-no-residual", "forgot the residual",
            "matches normalising Z alone: the residual adds X first, Y = X + Z.", "residual"),
    Mistake("ln-no-sqrt", "forgot the square root",
            "matches dividing by var + eps: divide by sqrt(var + eps).", "normalise"),
    Mistake("grad-transposed", "gradient transposed",
            "matches x (dL/dQ)^T: dL/dW = (dL/dQ) x^T has the shape of W.", "gradient"),
    Mistake("grad-elementwise", "elementwise product",
            "matches the elementwise product: dL/dW is the outer product (dL/dQ) x^T.",
            "gradient"),
    Mistake("var-std-swapped", "variance and standard deviation swapped",
            "matches the other one of variance and standard deviation: std = sqrt(variance).",
            "variance"),
)

CATALOGUE: dict[str, Mistake] = {m.id: m for m in _ALL}
