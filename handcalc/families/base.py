"""The uniform interface of an exercise family.

A family draws an instance's given data from ``(random.Random, level)``, states the
question, computes every quantity exactly through a ``Work`` (see handcalc.core.work), and
recomputes the asked quantities with the torch kernel it is handed (it never imports
torch itself). It knows nothing of parsing, grading or rendering.

Its words are message ids (handcalc.text.messages), never sentences: ``<name>.title``,
``<name>.summary``, the statement it builds with ``msg``, and each Quantity's prompt id,
filled from ``args(instance)`` (the instance's params unless the family adds to them).
The texts live in handcalc/text/locale/<lang>/<name>.po.

A family also says what a person may give it as their own data: its ``Description`` in
handcalc.families.givens (matrix names and shapes, parameters and defaults, parts, rules
beyond shapes). tests/test_given.py fails for a family without one, or whose description
and draws disagree (data equal to a drawn exercise's must pose that exercise).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, ClassVar

from handcalc.core import rational
from handcalc.core.exact import Mat, mat, shaped, to_floats
from handcalc.core.work import Work
from handcalc.text.messages import Msg, msg


@dataclass(frozen=True)
class Quantity:
    """Something a part can ask for: its key and the message id of its question (filled
    from the family's ``args``). The answer's shape follows from the computed value.

    ``count`` marks an answer that is an exact integer count (multiply-adds, entries,
    bytes): it is graded exactly, without the two-decimal rule's 0.005."""

    key: str
    prompt: str
    count: bool = False


class Given(Mapping[str, Mat]):
    """A drawn instance's given matrices: kept as drawn (``plain``: ints and Fractions,
    read without sympy by the float screen and the statement) and read as exact values
    (``given[name]``, converted when first read: see handcalc.lazysympy). Equal to any
    mapping of the same exact matrices."""

    def __init__(self, plain: Mapping[str, Mat]) -> None:
        self.plain: Mapping[str, Mat] = MappingProxyType(dict(plain))
        self._exact: dict[str, Mat] = {}

    def __getitem__(self, name: str) -> Mat:
        if name not in self._exact:
            self._exact[name] = mat(self.plain[name])
        return self._exact[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.plain)

    def __len__(self) -> int:
        return len(self.plain)

    def __repr__(self) -> str:
        return f"Given({dict(self.plain)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return Given, (dict(self.plain),)


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

    @property
    def plain_given(self) -> Mapping[str, Mat]:
        """The given matrices as drawn (ints and Fractions, see Given), else exact: what
        the statement and the float screen read, without sympy for a drawn instance."""
        return self.given.plain if isinstance(self.given, Given) else self.given

    @cached_property
    def float_given(self) -> Mapping[str, Mat]:
        """The given matrices in floats, for the float screen (converted once)."""
        return MappingProxyType({k: tuple(tuple(r) for r in to_floats(m))
                                 for k, m in self.plain_given.items()})  # type: ignore[misc]

    @cached_property
    def rational_given(self) -> Mapping[str, Mat]:
        """The given matrices for the rational kit (handcalc.core.rational): Fractions."""
        return MappingProxyType({k: tuple(tuple(rational.num(v) for v in r) for r in m)
                                 for k, m in self.plain_given.items()})  # type: ignore[misc]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (verify's workers send instances) without the screens' copies."""
        state = dict(self.__dict__)
        state.pop("float_given", None)
        state.pop("rational_given", None)
        return state


@dataclass(frozen=True)
class Draw:
    """What a family's ``draw`` returns: the data of an instance before it has a code."""

    given: dict[str, Mat]
    params: dict[str, Any]
    ask: tuple[str, ...]


class Family:
    """Base class: subclasses set the class attributes and implement the four methods."""

    name: ClassVar[str]
    levels: ClassVar[tuple[int, ...]] = (1, 2, 3)
    quantities: ClassVar[tuple[Quantity, ...]]
    mistakes: ClassVar[tuple[str, ...]] = ()
    row_softmax: ClassVar[bool] = False  # whether its exercises take a softmax by rows
    # quantities whose entries a drawn exercise shows at 2 decimals: none may be nonzero
    # yet print as 0.00 (the shape of a distribution, a gradient, would be hidden)
    visible: ClassVar[tuple[str, ...]] = ()

    @property
    def title(self) -> Msg:
        return msg(f"{self.name}.title")

    @property
    def summary(self) -> Msg:
        return msg(f"{self.name}.summary")

    def draw(self, rng: random.Random, level: int) -> Draw:
        raise NotImplementedError

    def statement(self, inst: Instance) -> Msg:
        raise NotImplementedError

    def compute(self, inst: Instance, w: Work) -> None:
        raise NotImplementedError

    def kernel(self, inst: Instance, k: Any) -> dict[str, list[list[float]]]:
        """The asked quantities recomputed by ``k`` (the handcalc.core.kernel module)."""
        raise NotImplementedError

    def quantity(self, key: str) -> Quantity:
        for q in self.quantities:
            if q.key == key:
                return q
        raise KeyError(key)

    def args(self, inst: Instance) -> dict[str, Any]:
        """The arguments of the family's messages: the params, plus what a family adds."""
        return dict(inst.params)

    def prompt(self, inst: Instance, key: str) -> Msg:
        return msg(self.quantity(key).prompt, **self.args(inst))

    # -- acceptance rules of drawn instances, besides the generic ones (handcalc.exercises)
    def zero_allowed(self, inst: Instance, key: str) -> bool:
        """Whether quantity `key` may be all zeros in a drawn instance (a part whose whole
        answer is 0 can be guessed); a family that allows it says why."""
        return False

    def refusal(self, inst: Instance) -> str | None:
        """The family's own reason to refuse a drawn instance, or None. Rules added here
        must keep every published code (tests/test_golden.py)."""
        return None

    def later_refusal(self, inst: Instance) -> str | None:
        """A reason to refuse a new draw, from a rule added after the family's codes were
        published (as LATER_MISTAKES, see handcalc.exercises.exercise.FIRST_RULES): it shapes
        new draws only, never a printed code or a spec's draw."""
        return None


def rand_mat(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> Mat:
    """A rows x cols matrix of integers drawn uniformly from lo..hi (as ints: see Given)."""
    return plain([[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)])


def plain(rows: Iterable[Iterable[Any]]) -> Mat:
    """A drawn matrix as it is drawn (ints, Fractions), checked as exact.mat checks one:
    the form a draw gives its data in (see Given)."""
    return shaped(rows)
