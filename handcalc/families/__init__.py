"""The registry of exercise families: name -> family object."""

from __future__ import annotations

from handcalc.errors import UnknownCode
from handcalc.families.attention import Attention
from handcalc.families.attention_grad import AttentionGrad
from handcalc.families.base import Draw, Family, Instance, Quantity
from handcalc.families.causal import Causal
from handcalc.families.concat import Concat
from handcalc.families.cost import Cost
from handcalc.families.cross import Cross
from handcalc.families.decode import Decode
from handcalc.families.gqa import GQA
from handcalc.families.heads import Heads
from handcalc.families.keys import Keys
from handcalc.families.layernorm import LayerNorm
from handcalc.families.linear import Linear
from handcalc.families.mha import MHA
from handcalc.families.online_softmax import OnlineSoftmax
from handcalc.families.padding import Padding
from handcalc.families.projection_grad import ProjectionGrad
from handcalc.families.rmsnorm import RMSNorm
from handcalc.families.rope import Rope
from handcalc.families.score import Score
from handcalc.families.softmax_grad import SoftmaxGrad
from handcalc.families.temperature import Temperature
from handcalc.families.variance import Variance
from handcalc.families.window import Window
from handcalc.text.messages import msg

FAMILIES: dict[str, Family] = {f.name: f for f in (
    # the classic worked set
    Score(), Attention(), Keys(), Causal(), Heads(), Concat(), LayerNorm(), Variance(),
    ProjectionGrad(),
    # the MiniMind attention block
    MHA(), GQA(), Decode(), Padding(), Cross(), RMSNorm(),
    # backward passes and FlashAttention
    SoftmaxGrad(), AttentionGrad(), OnlineSoftmax(), Rope(), Temperature(),
    # the cost of attention and its alternatives
    Window(), Linear(), Cost(),
)}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise UnknownCode(msg("error.unknown_family", name=name,
                              choices=", ".join(FAMILIES))) from None


__all__ = ["FAMILIES", "Draw", "Family", "Instance", "Quantity", "get_family"]
