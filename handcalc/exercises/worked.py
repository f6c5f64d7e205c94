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
from typing import Any

from handcalc.families import givens
from handcalc.families.base import Instance
from handcalc.families.given import resolve

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


def _inst(n: int, family: str, given: dict[str, str], params: dict[str, Any],
          ask: tuple[str, ...]) -> Instance:
    r = resolve(givens.DESCRIPTIONS[family], given, params, ask or None)
    return Instance(f"worked-{n}", family, None, None, r.given, r.params, r.ask)


class _Worked(Mapping[int, Instance]):
    """The set by number, each exercise built when first read (its data are parsed into
    exact values, which imports sympy: see handcalc.lazysympy)."""

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
