"""The worked computation: one pass of a family's math, recorded step by step.

A family's ``compute(instance, work)`` does its exact math through a ``Work``:

* ``work.show(label, value)`` records an intermediate that the worked solution shows
  (``label`` is a handcalc.text.messages Msg, or a str of neutral math such as ``"Q K^T"``)
  (in rounded mode the value continues rounded to 2 decimals, as a learner copying
  the worked solution would carry it);
* ``work.result(key, value)`` ends a quantity that a part may ask for; when the
  learner's own answer for it is given (``prior``), that answer is carried forward;
* ``work.has(mistake_id)`` tells the family to make that catalogued mistake here.

One machinery thus gives the answer key, the rounded-intermediates path, the
carried-forward path and every mistaken answer.

Numbers come from the work's kit: ``work.num``, ``work.sqrt``, ``work.exp`` and
``work.neg_inf``, and given data from ``work.given(instance)``. The exact kit (default)
builds sympy values; the float kit (``numeric=True``) runs the same code in floats, as a
fast screen whose conclusions handcalc.core.exact's guard band turns into exact decisions
(in rounded mode it raises handcalc.core.exact.Undecided where a float is too near a tie);
it records no steps (``steps[key]`` is empty), as nothing shows them.
``work.affected[key]`` tells whether the mistake's branch was taken before that result:
an unaffected result is computed by the very same operations as the right one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handcalc.core import rational
from handcalc.core.exact import Mat, elementwise, neg_inf, quotient, to_exact, to_floats
from handcalc.core.rounding import round2, round2_f
from handcalc.text.messages import Math, Msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy


class NotApplicable(Exception):
    """The requested mistake cannot be made on this instance (e.g. shapes forbid it)."""


@dataclass(frozen=True)
class Step:
    """One shown intermediate: its label (words or math) and value; ``name`` is the
    quantity's key when the step is a result (e.g. "A" for the weights)."""

    label: Msg | Math
    value: Mat
    name: str | None = None


def as_label(label: Msg | Math | str) -> Msg | Math:
    return Math(label) if isinstance(label, str) else label


def float_mat(m: Mat) -> Mat:
    """A matrix as the float kit holds it (a matrix of floats as it is)."""
    if isinstance(m, tuple) and all(isinstance(r, tuple) and all(type(v) is float for v in r)
                                    for r in m):
        return m
    return tuple(tuple(v) for v in to_floats(m))  # type: ignore[return-value]


_float_mat = float_mat



class Work:
    """One run of a family's math (see the module's docstring). ``record=False`` keeps no
    steps (``steps`` stays empty): a float screen that only needs the results."""

    def __init__(self, *, mistake: str | None = None, rounded: bool = False,
                 prior: Mapping[str, Mat] | None = None, numeric: bool = False,
                 record: bool = True, rational: bool = False) -> None:
        self.mistake = mistake
        self.rounded = rounded
        self.numeric = numeric or rational
        self.rational = rational  # the rational kit (handcalc.core.rational): a screen too
        self.record = record
        self.prior = {k: _float_mat(v) if self.numeric else v
                      for k, v in (prior or {}).items()}
        self.results: dict[str, Mat] = {}
        self.affected: dict[str, bool] = {}
        self.steps: dict[str, tuple[Step, ...]] = {}
        self._pending: list[Step] = []
        self._touched = False
        self._reaches: set[str] | None = None  # the results a taken branch can change

    # -- the kit
    def num(self, x: Any) -> Any:
        if self.rational:
            return rational.num(x)
        return float(x) if self.numeric else to_exact(x)

    def sqrt(self, x: Any) -> Any:
        if self.rational:
            return rational.sqrt(x)
        return math.sqrt(float(x)) if self.numeric else sympy.sqrt(to_exact(x))

    def exp(self, x: Any) -> Any:
        if self.rational:
            return rational.exp(x)
        return math.exp(x) if self.numeric else sympy.exp(x)

    def cos(self, x: Any) -> Any:
        if self.rational:
            return rational.cos(x)
        return math.cos(x) if self.numeric else sympy.cos(x)

    def sin(self, x: Any) -> Any:
        if self.rational:
            return rational.sin(x)
        return math.sin(x) if self.numeric else sympy.sin(x)

    def quotient(self, x: Any, y: Any) -> Any:
        """x / y (handcalc.core.exact.quotient; the rational kit's own, which knows x / x)."""
        return rational.quotient(x, y) if self.rational else quotient(x, y)

    @property
    def neg_inf(self) -> Any:
        return -math.inf if self.numeric else neg_inf()

    def given(self, inst: Any) -> Mapping[str, Mat]:
        """The instance's given matrices, in this work's kind of number."""
        if not self.numeric:
            return inst.given
        if self.rational:
            return inst.rational_given
        return inst.float_given  # converted once per instance

    def has(self, mistake_id: str, reaches: tuple[str, ...] | None = None) -> bool:
        """Whether to make `mistake_id` here. ``reaches``: the results its branch can
        change, when the family knows them (the rest are computed without it: the
        screens then know that the mistake leaves them as they are); else every later
        result. tests/test_lazysympy.py checks the lists against the exact results."""
        if self.mistake == mistake_id:
            if not self._touched or reaches is None:
                self._reaches = None if reaches is None else set(reaches)
            elif self._reaches is not None:
                self._reaches |= set(reaches)
            self._touched = True
            return True
        return False

    def not_applicable(self) -> None:
        raise NotApplicable(self.mistake)

    def _carry(self, value: Mat) -> Mat:
        if not self.rounded:
            return value
        return elementwise(round2_f if self.numeric else round2, value)

    def show(self, label: Msg | Math | str, value: Mat) -> Mat:
        if self.record and not self.numeric:  # the float kit's steps are never shown
            self._pending.append(Step(as_label(label), value))
        return self._carry(value)

    def result(self, key: str, value: Mat, label: Msg | Math | str | None = None) -> Mat:
        if label is not None and self.record and not self.numeric:
            self._pending.append(Step(as_label(label), value, key))
        self.results[key] = value
        reached = self._touched and (self._reaches is None or key in self._reaches)
        self.affected[key] = reached or any(k in self.prior for k in self.results)
        if self.record:
            self.steps[key] = tuple(self._pending)
            self._pending = []
        if key in self.prior:
            return self.prior[key]
        return self._carry(value)
