"""The classic worked set (shared/worked-set.md), exactly as posed, as fixed instances.

Codes ``worked-1`` ... ``worked-10``. Where the set leaves a value open, the choice made
here is stated: worked 7 uses W^O = [[1, 0], [0, 1], [2, 0], [0, -1]]; worked 8 uses
eps = 1e-5; worked 9 asks in part 3 for the variance after dividing by sqrt(d_k).
"""

from __future__ import annotations

from sympy import Integer, Rational

from handcalc.core.exact import col, mat, row
from handcalc.families.base import Instance
from handcalc.families.keys import keys_params
from handcalc.families.layernorm import EPS, ln_params
from handcalc.families.variance import variance_params

_ONE = Integer(1)


def _inst(n: int, family: str, given: dict, params: dict, ask: tuple[str, ...]) -> Instance:
    return Instance(f"worked-{n}", family, None, None, given, params, ask)


WORKED: dict[int, Instance] = {int(i.code.split("-")[1]): i for i in (
    _inst(1, "score", {"q": row([2, 1]), "k": row([1, 3]), "v": row([4, 0])},
          {"d_k": 2}, ("s", "a", "z")),
    _inst(2, "attention", {"Q": mat([[1, 0], [0, 1]]), "K": mat([[1, 0], [0, 1]]),
                           "V": mat([[3, 0], [0, 2]])},
          {"d_k": 1, "scaled": False}, ("S", "A", "Z")),
    _inst(3, "score", {"q": row([1, 2, 0, -1]), "k": row([0, 1, 1, 1]),
                       "v": row([5, -2, 0, 3])},
          {"d_k": 4}, ("s", "z")),
    _inst(4, "keys", {"Q": mat([[2, 1], [1, 1], [0, 1]]), "K": mat([[1, 0], [0, 1], [1, 1]])},
          keys_params(1, (2, 3), 2), ("s", "a")),
    _inst(5, "causal", {"Q": col([1, 2, 3]), "K": col([1, 2, 3]), "V": col([10, 20, 30])},
          {"d_k": 1, "scaled": False}, ("S", "Z")),
    _inst(6, "heads", {}, {"d_model": 512, "h": 8}, ("d_k", "sqrt_dk")),
    _inst(7, "concat", {"Z1": mat([[1, 2], [3, 4]]), "Z2": mat([[-1, 0], [0, 1]]),
                        "W^O": mat([[1, 0], [0, 1], [2, 0], [0, -1]])},
          {"h": 2}, ("C", "out")),
    _inst(8, "layernorm", {"X": row([2, 0]), "Z": row([-1, 1])}, ln_params(EPS), ("Y", "LN")),
    _inst(9, "variance", {}, variance_params((16, 1), _ONE, _ONE),
          ("var", "std", "scaled_var")),
    _inst(10, "projection-grad", {"x": col([1, 1]), "dL/dQ": col([Rational(1, 10),
                                                                  Rational(2, 10)])},
          {}, ("dW",)),
)}
