"""Scoring policies: what a graded part is worth, as a fraction of its points.

A spec (or one of its sections) says ``scoring = "diagnosed" | "entries" | "part"``:

* ``diagnosed`` (the default): a right part scores 1; a wrong part that matches a
  catalogued mistake (forgot √d_k, softmax over columns, ...) scores 0, however many of its
  entries happen to agree with the key; any other wrong part scores the share of its
  entries that are right (an arithmetic slip in one entry costs that entry);
* ``entries``: every wrong part scores the share of its right entries (handcalc's behaviour
  before policies existed);
* ``part``: all or nothing, 1 for a right part, else 0.

A part accepted on another path (carried forward, rounded intermediates) is right and
scores 1 under every policy. ``part_score`` is the one place that decides; ``grade``'s
reports, the feedback, the gradebook, ``check --json`` and the Moodle export all call it.
"""

from __future__ import annotations

from fractions import Fraction

from handcalc.exercises.grade import Verdict

DIAGNOSED, ENTRIES, PART = "diagnosed", "entries", "part"
POLICIES = (DIAGNOSED, ENTRIES, PART)
DEFAULT = DIAGNOSED


def entry_share(verdict: Verdict) -> Fraction:
    """The share of the answer's entries that are right (0 when its shape did not fit)."""
    flat = [c for row in verdict.cells for c in row]
    return Fraction(sum(flat), len(flat)) if flat else Fraction(0)


def part_score(verdict: Verdict | None, policy: str = DEFAULT) -> Fraction:
    """The score (0 to 1) of a graded part under a scoring policy; None (an answer that
    could not be graded as a matrix of this part's shape) scores 0."""
    if policy not in POLICIES:
        raise ValueError(f"unknown scoring policy {policy!r}; choose one of {POLICIES}")
    if verdict is None:
        return Fraction(0)
    if verdict.correct:
        return Fraction(1)
    if policy == PART or (policy == DIAGNOSED and verdict.diagnosis is not None):
        return Fraction(0)
    return entry_share(verdict)
