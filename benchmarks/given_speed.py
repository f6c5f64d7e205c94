"""Wall time of exercises posed from given data, up to the caps (issue 20).

For each case: pose (validate, code), the exact key (every part, every step), the torch
cross-check, and the findings (every catalogued mistake solved exactly, for the notes on
stderr), in one process with torch imported once beforehand. The cases are the textbook
example and the largest data the caps allow for the costliest families (8 x 8 attention
with one-digit entries, 6 x 6 multi-head attention and attention backward). Target: every
case within 10 s on one core, so that a person's data never takes minutes.
Run: .venv/bin/python benchmarks/given_speed.py
"""

from __future__ import annotations

import random
import time

TARGET_S = 10.0


def cases() -> list[tuple[str, str, dict, dict]]:
    rng = random.Random(2)

    def m(r: int, c: int, lo: int = -9, hi: int = 9) -> list[list[int]]:
        return [[rng.randint(lo, hi) for _ in range(c)] for _ in range(r)]

    return [
        ("textbook attention", "attention",
         {"Q": "1 0; 0 1", "K": "1 1; 0 1", "V": "1 2; 3 4"}, {}),
        ("attention 8 x 8, entries -9..9", "attention",
         {"Q": m(8, 8), "K": m(8, 8), "V": m(8, 8)}, {}),
        ("causal 8 x 7, entries -1..1", "causal",
         {"Q": m(8, 7, -1, 1), "K": m(8, 7, -1, 1), "V": m(8, 8)}, {}),
        ("mha 6 x 6, h = 3", "mha",
         {"X": m(6, 6, -3, 3), **{w: m(6, 6, -1, 1) for w in ("W^Q", "W^K", "W^V", "W^O")}},
         {"h": 3}),
        ("attention-grad 6 x 6", "attention-grad",
         {"Q": m(6, 6, -2, 2), "K": m(6, 6, -2, 2), "V": m(6, 6), "dL/dZ": m(6, 6)}, {}),
        ("online-softmax 8 keys", "online-softmax",
         {"q": m(1, 8), "K": m(8, 8), "V": m(8, 8)}, {"block": 3}),
    ]


def main() -> None:
    from handcalc.core import kernel  # noqa: F401  (torch imported once, outside the timings)
    from handcalc.exercises.exercise import cross_check
    from handcalc.exercises.posed import findings, pose

    worst = 0.0
    for label, family, given, params in cases():
        t0 = time.perf_counter()
        ex = pose(family, given, params)
        t1 = time.perf_counter()
        _ = ex.parts
        t2 = time.perf_counter()
        cross_check(ex)
        t3 = time.perf_counter()
        notes = findings(ex)
        t4 = time.perf_counter()
        total = t4 - t0
        worst = max(worst, total)
        print(f"{label:34s} pose {t1 - t0:5.2f} s  key {t2 - t1:5.2f} s  torch {t3 - t2:5.2f} s"
              f"  findings {t4 - t3:5.2f} s ({len(notes)})  total {total:5.2f} s"
              f"  code {len(ex.code)} chars")
    verdict = "met" if worst <= TARGET_S else "MISSED"
    print(f"slowest {worst:.2f} s; target {TARGET_S:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
