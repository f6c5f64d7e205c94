"""The uniform interface of an exercise family.

A family draws an instance's given data from ``(random.Random, level)``, states the
question, computes every quantity exactly through a ``Work`` (see handcalc.work), and
recomputes the asked quantities with the torch kernel it is handed (it never imports
torch itself). It knows nothing of parsing, grading or rendering.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from handcalc.exact import Mat, mat
from handcalc.work import Work


@dataclass(frozen=True)
class Quantity:
    """Something a part can ask for: its key and its question (a format string over
    the instance's params). The answer's shape follows from the computed value."""

    key: str
    prompt: str


@dataclass(frozen=True)
class Instance:
    """One exercise's data: given matrices, parameters and the quantities asked, in order.

    ``code`` is the text that rebuilds it; ``level`` and ``seed`` are None for the fixed
    exercises of the worked set.
    """

    code: str
    family: str
    level: int | None
    seed: int | None
    given: Mapping[str, Mat]
    params: Mapping[str, Any] = field(default_factory=dict)
    ask: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draw:
    """What a family's ``draw`` returns: the data of an instance before it has a code."""

    given: dict[str, Mat]
    params: dict[str, Any]
    ask: tuple[str, ...]


class Family:
    """Base class: subclasses set the class attributes and implement the four methods."""

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    levels: ClassVar[tuple[int, ...]] = (1, 2, 3)
    quantities: ClassVar[tuple[Quantity, ...]]
    mistakes: ClassVar[tuple[str, ...]] = ()

    def draw(self, rng: random.Random, level: int) -> Draw:
        raise NotImplementedError

    def statement(self, inst: Instance) -> str:
        raise NotImplementedError

    def compute(self, inst: Instance, w: Work) -> None:
        raise NotImplementedError

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        """The asked quantities recomputed by ``k`` (the handcalc.kernel module)."""
        raise NotImplementedError

    def quantity(self, key: str) -> Quantity:
        for q in self.quantities:
            if q.key == key:
                return q
        raise KeyError(key)

    def prompt(self, inst: Instance, key: str) -> str:
        return self.quantity(key).prompt.format(**inst.params)


def rand_mat(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> Mat:
    """A rows x cols matrix of integers drawn uniformly from lo..hi."""
    return mat([[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)])
