"""The classic worked set (shared/worked-set.md), exactly as posed, as given data.

Codes ``worked-1`` ... ``worked-10``. Each exercise is a family's given data, written as a
person would type it and validated by the family's description (handcalc.families.givens)
as anyone's own data is; parameters left out take the description's defaults (d_k from
the keys' columns, eps = 1e-5, unit variances), parts left out the family's usual ones.
Where the set leaves a value open, the choice made here is stated: worked 7 uses
W^O = [[1, 0], [0, 1], [2, 0], [0, -1]]; worked 8 uses eps = 1e-5; worked 9 asks in part
3 for the variance after dividing by sqrt(d_k).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

from handcalc.families.base import Given, Instance

_SET: tuple[tuple[int, str, dict[str, str], dict[str, Any], tuple[str, ...]], ...] = (
    (1, "score", {"q": "2 1", "k": "1 3", "v": "4 0"}, {}, ()),
    (2, "attention", {"Q": "1 0; 0 1", "K": "1 0; 0 1", "V": "3 0; 0 2"},
     {"scaled": False}, ()),
    (3, "score", {"q": "1 2 0 -1", "k": "0 1 1 1", "v": "5 -2 0 3"}, {}, ("s", "z")),
    (4, "keys", {"Q": "2 1; 1 1; 0 1", "K": "1 0; 0 1; 1 1"},
     {"query": 1, "keys": (2, 3)}, ()),
    (5, "causal", {"Q": "1; 2; 3", "K": "1; 2; 3", "V": "10; 20; 30"},
     {"scaled": False}, ("S", "Z")),
    (6, "heads", {}, {"d_model": 512, "h": 8}, ()),
    (7, "concat", {"Z1": "1 2; 3 4", "Z2": "-1 0; 0 1", "W^O": "1 0; 0 1; 2 0; 0 -1"},
     {}, ()),
    (8, "layernorm", {"X": "2 0", "Z": "-1 1"}, {}, ("Y", "LN")),
    (9, "variance", {}, {"d_ks": (16, 1)}, ()),
    (10, "projection-grad", {"x": "1; 1", "dL/dQ": "0.1; 0.2"}, {}, ()),
)


F = Fraction

# The same exercises as they are computed: the data as numbers (ints and Fractions) and
# every parameter and part written out, which is what the family's description makes of
# the typed set above (tests/test_worked.py resolves each and compares). So the set is
# built without the exact parser, and drawn the quick way (handcalc.lazysympy).
_RESOLVED: dict[int, tuple[dict[str, tuple[tuple[Any, ...], ...]], dict[str, Any],
                           tuple[str, ...]]] = {
    1: ({"q": ((2, 1),), "k": ((1, 3),), "v": ((4, 0),)}, {"d_k": 2}, ("s", "a", "z")),
    2: ({"Q": ((1, 0), (0, 1)), "K": ((1, 0), (0, 1)), "V": ((3, 0), (0, 2))},
        {"d_k": 1, "scaled": False}, ("S", "A", "Z")),
    3: ({"q": ((1, 2, 0, -1),), "k": ((0, 1, 1, 1),), "v": ((5, -2, 0, 3),)}, {"d_k": 4},
        ("s", "z")),
    4: ({"Q": ((2, 1), (1, 1), (0, 1)), "K": ((1, 0), (0, 1), (1, 1))},
        {"query": 1, "keys": (2, 3), "keys_text": "2 and 3", "d_k": 2}, ("s", "a")),
    5: ({"Q": ((1,), (2,), (3,)), "K": ((1,), (2,), (3,)), "V": ((10,), (20,), (30,))},
        {"d_k": 1, "scaled": False}, ("S", "Z")),
    6: ({}, {"d_model": 512, "h": 8}, ("d_k", "sqrt_dk")),
    7: ({"Z1": ((1, 2), (3, 4)), "Z2": ((-1, 0), (0, 1)), "W^O": ((1, 0), (0, 1), (2, 0),
                                                                  (0, -1))},
        {"h": 2}, ("C", "out")),
    8: ({"X": ((2, 0),), "Z": ((-1, 1),)}, {"eps": F(1, 100000), "eps_text": "1e-5"},
        ("Y", "LN")),
    9: ({}, {"d_ks": (16, 1), "dks_text": "16, 1", "var_q": F(1), "var_k": F(1)},
        ("var", "std", "scaled_var")),
    10: ({"x": ((1,), (1,)), "dL/dQ": ((F(1, 10),), (F(1, 5),))}, {}, ("dW",)),
}


def resolved(n: int) -> Instance:
    """worked-n as the family's description resolves its typed data (the exact parser:
    sympy), for the test that the set as computed is this."""
    from handcalc.families import givens
    from handcalc.families.given import resolve

    _, family, given, params, ask = next(row for row in _SET if row[0] == n)
    r = resolve(givens.DESCRIPTIONS[family], given, params, ask or None)
    return Instance(f"worked-{n}", family, None, None, r.given, r.params, r.ask)


def _inst(n: int, family: str, *_: Any) -> Instance:
    given, params, ask = _RESOLVED[n]
    return Instance(f"worked-{n}", family, None, None, Given(given), dict(params), ask)


class _Worked(Mapping[int, Instance]):
    """The set by number, each exercise built when first read."""

    def __init__(self) -> None:
        self._rows = {n: rest for n, *rest in _SET}
        self._built: dict[int, Instance] = {}

    def __getitem__(self, n: int) -> Instance:
        if n not in self._built:
            self._built[n] = _inst(n, *self._rows[n])
        return self._built[n]

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


WORKED: Mapping[int, Instance] = _Worked()
