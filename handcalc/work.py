"""The worked computation: one pass of a family's math, recorded step by step.

A family's ``compute(instance, work)`` does its exact math through a ``Work``:

* ``work.show(label, value)`` records an intermediate that the worked solution shows
  (in rounded mode the value continues rounded to 2 decimals, as a learner copying
  the worked solution would carry it);
* ``work.result(key, value)`` ends a quantity that a part may ask for; when the
  learner's own answer for it is given (``prior``), that answer is carried forward;
* ``work.has(mistake_id)`` tells the family to make that catalogued mistake here.

One machinery thus gives the answer key, the rounded-intermediates path, the
carried-forward path and every mistaken answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from handcalc.exact import Mat, elementwise, round2


class NotApplicable(Exception):
    """The requested mistake cannot be made on this instance (e.g. shapes forbid it)."""


@dataclass(frozen=True)
class Step:
    """One shown intermediate: a label such as 'S = QK^T / sqrt(2)' and its value."""

    label: str
    value: Mat
    note: str = ""


class Work:
    def __init__(self, *, mistake: str | None = None, rounded: bool = False,
                 prior: Mapping[str, Mat] | None = None) -> None:
        self.mistake = mistake
        self.rounded = rounded
        self.prior = dict(prior or {})
        self.results: dict[str, Mat] = {}
        self.steps: dict[str, tuple[Step, ...]] = {}
        self._pending: list[Step] = []

    def has(self, mistake_id: str) -> bool:
        return self.mistake == mistake_id

    def not_applicable(self) -> None:
        raise NotApplicable(self.mistake)

    def _carry(self, value: Mat) -> Mat:
        return elementwise(round2, value) if self.rounded else value

    def show(self, label: str, value: Mat, note: str = "") -> Mat:
        self._pending.append(Step(label, value, note))
        return self._carry(value)

    def result(self, key: str, value: Mat, label: str | None = None) -> Mat:
        if label is not None:
            self._pending.append(Step(label, value))
        self.results[key] = value
        self.steps[key] = tuple(self._pending)
        self._pending = []
        if key in self.prior:
            return self.prior[key]
        return self._carry(value)
