"""The catalogue of known mistakes.

A mistake is a named transformation of a family's own exact computation: a family's
``compute`` asks ``work.has(MISTAKE_ID)`` at the step where the mistake happens and
does the wrong thing there, so a mistaken answer is computed, never written by hand.
Families list the ids that apply to them; the grader tries each. Each mistake's words
are the messages ``mistake.<id>.title`` and ``mistake.<id>.explanation`` (an explanation
continues "part N ...": "matches the unscaled scores: ...").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handcalc.text.messages import Msg, msg


@dataclass(frozen=True)
class Mistake:
    id: str
    step: str  # the kind of step where it happens (scores, softmax, mask, ...)

    @property
    def title(self) -> Msg:
        return msg(f"mistake.{self.id}.title")

    @property
    def explanation(self) -> Msg:
        return msg(f"mistake.{self.id}.explanation")


_ALL = (
    Mistake("no-scale", "scores"),
    Mistake("div-dk", "scores"),
    Mistake("mul-sqrt-dk", "scores"),
    Mistake("k-not-transposed", "scores"),
    Mistake("softmax-columns", "softmax"),
    Mistake("no-softmax", "softmax"),
    Mistake("exp-not-normalised", "softmax"),
    Mistake("mask-zero", "mask"),
    Mistake("mask-after-softmax", "mask"),
    Mistake("mask-transposed", "mask"),
    Mistake("no-mask", "mask"),
    Mistake("concat-order", "concat"),
    Mistake("concat-rows", "concat"),
    Mistake("no-wo", "output"),
    Mistake("dk-is-dmodel", "split"),
    Mistake("ln-unbiased", "variance"),
    Mistake("ln-no-center", "normalise"),
    Mistake("ln-no-residual", "residual"),
    Mistake("ln-no-sqrt", "normalise"),
    Mistake("grad-transposed", "gradient"),
    Mistake("grad-elementwise", "gradient"),
    Mistake("var-std-swapped", "variance"),
    # online-softmax, rope
    Mistake("online-l-not-rescaled", "rescale"),
    Mistake("online-o-not-rescaled", "rescale"),
    Mistake("online-blocks-averaged", "normalise"),
    Mistake("rope-negative-angle", "rotation"),
    Mistake("rope-key-query-position", "rotation"),
    Mistake("rope-other-pairing", "rotation"),
    # padding, cross, rmsnorm (and scaled-unasked: attention)
    Mistake("pad-query-rows", "mask"),
    Mistake("pad-mask-flipped", "mask"),
    Mistake("cross-causal", "mask"),
    Mistake("cross-s-transposed", "scores"),
    Mistake("cross-kv-decoder", "projection"),
    Mistake("rms-mean-subtracted", "normalise"),
    Mistake("rms-no-sqrt", "normalise"),
    Mistake("rms-no-gain", "gain"),
    Mistake("rms-div-d-minus-1", "mean"),
    Mistake("scaled-unasked", "scores"),
    # mha, gqa, decode (the MiniMind block)
    Mistake("split-tokens", "split"),
    Mistake("kv-head-mod", "grouping"),
    Mistake("cache-query-heads", "cache"),
    Mistake("cache-no-kv-factor", "cache"),
    Mistake("cache-no-layers", "cache"),
    Mistake("cache-4-bytes", "cache"),
    Mistake("decode-no-append", "cache"),
    Mistake("mask-top-left", "mask"),
    Mistake("decode-no-self", "mask"),
    # softmax-grad, attention-grad, temperature
    Mistake("softmax-grad-no-sum", "gradient"),
    Mistake("softmax-grad-diagonal", "gradient"),
    Mistake("softmax-grad-scores", "gradient"),
    Mistake("dv-not-transposed", "gradient"),
    Mistake("da-transposed", "gradient"),
    Mistake("softmax-backward-skipped", "gradient"),
    Mistake("dq-no-scale", "gradient"),
    Mistake("temperature-multiplied", "temperature"),
    Mistake("temperature-after-softmax", "temperature"),
    # window, linear, cost
    Mistake("window-wide", "mask"),
    Mistake("window-centred", "mask"),
    Mistake("window-acausal", "mask"),
    Mistake("linear-softmax", "normalise"),
    Mistake("linear-no-normaliser", "normalise"),
    Mistake("linear-phi-on-v", "features"),
    Mistake("linear-not-causal", "running sums"),
    Mistake("cost-flops", "count"),
    Mistake("cost-no-heads", "count"),
    Mistake("cost-no-batch", "count"),
    Mistake("cost-4-bytes", "size"),
    Mistake("cost-mb", "size"),
    Mistake("cost-n-by-d", "size"),
    # issue 23: slips that went unnamed
    Mistake("wrong-head", "split"),
    Mistake("rms-no-mean", "mean"),
    Mistake("cache-mb", "cache"),
    # issue 23, the sweep: the first slips of each family
    Mistake("var-scale-not-squared", "variance"),
    Mistake("online-block-max", "running max"),
    Mistake("online-no-divide", "normalise"),
    Mistake("window-causal", "mask"),
    Mistake("window-count-full-rows", "count"),
    Mistake("cost-2n-doubled", "size"),
    Mistake("cost-kv-query-heads", "cache"),
    # slips that a named mistake answered for when their values coincided
    Mistake("cache-no-batch", "cache"),
    Mistake("cache-bits", "cache"),
    Mistake("cost-no-layers", "cache"),
)

CATALOGUE: dict[str, Mistake] = {m.id: m for m in _ALL}


# The mistakes catalogued for a family after its codes were published, by family: they shape
# new draws only, never a published one (the comment above handcalc.exercises.exercise's
# FIRST_RULES says how). A mistake added to a family whose codes are published is listed
# here, whatever the family.
LATER_MISTAKES: dict[str, tuple[str, ...]] = {
    "mha": ("wrong-head", "no-scale"),
    "gqa": ("cache-mb", "no-scale", "cache-no-batch", "cache-bits"), "decode": ("no-mask",),
    "rmsnorm": ("rms-no-mean",), "padding": ("no-scale",), "attention-grad": ("no-scale",),
    "variance": ("var-scale-not-squared",),
    "online-softmax": ("online-block-max", "online-no-divide"),
    "window": ("window-causal", "no-scale", "window-count-full-rows"),
    "cost": ("cost-2n-doubled", "cost-kv-query-heads", "cost-no-layers"),
}


def published_mistakes(family: str, mistakes: Iterable[str]) -> tuple[str, ...]:
    """The family's mistakes that its published draws were accepted under: all but those
    catalogued later (LATER_MISTAKES)."""
    later = LATER_MISTAKES.get(family, ())
    return tuple(m for m in mistakes if m not in later)
