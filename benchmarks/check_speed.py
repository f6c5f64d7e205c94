"""Median wall time of `handcalc check`, `new`, `show` and `practice` (to its first exercise,
standard input closed) against two floors measured in the same run: `python -c "import
fractions, click"` and `python -c "import sympy, click"`.

Targets (issue 27): `check` of a clear right or wrong answer, `new`, `show` and `practice`'s
first exercise at most 2.4 times the fractions floor (about 100 ms here), which needs sympy
left unimported where floats decide (handcalc.lazysympy, handcalc.core.rational); `check`
near the edge or with an exact form as before. The cases run with no remembered keys
(HANDCALC_NO_CACHE=1), then `check` of codes whose keys `show` remembered; last, `new
FAMILY` for every family at levels 1 to 3 (a fresh draw each run), since some draws still
need sympy to decide their rules: its median, and how many families meet the target.
Run: .venv/bin/python benchmarks/check_speed.py [--runs N]

handcalc is byte-compiled first (compileall), as a regular pip install does for every
package: sympy and click were byte-compiled when installed, and an editable install under
PYTHONDONTWRITEBYTECODE=1 would otherwise recompile handcalc's sources on every run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET = 2.4  # times the fractions floor


def median_time(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, check=False, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--family-runs", type=int, default=5)
    args = ap.parse_args()
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "handcalc"), quiet=1)
    light = median_time([sys.executable, "-c", "import fractions, click"], args.runs)
    floor = median_time([sys.executable, "-c", "import sympy, click"], args.runs)
    print(f"floor  python -c 'import fractions, click' median {light * 1000:7.1f} ms"
          f"  (target {TARGET} x = {TARGET * light * 1000:.0f} ms)")
    print(f"floor  python -c 'import sympy, click'     median {floor * 1000:7.1f} ms")
    hc = str(BIN / "handcalc")
    cases = [
        ("check correct, worked-5 part 2", [hc, "check", "worked-5", "2", "10, 18.81, 29.48"]),
        ("check wrong (mistake search), worked-4 part 1", [hc, "check", "worked-4", "1", "1, 3"]),
        # codes as `handcalc new` prints them (the first acceptable seed)
        ("check generated, attention-3-14 part 3",
         [hc, "check", "attention-3-14", "3", "1.06 -0.56; 0.49 -0.05; -1.04 0.37"]),
        ("check generated wrong, causal-3-14 part 3",
         [hc, "check", "causal-3-14", "3", "0 0; 0 0; 0 0"]),
        ("check generated mistaken, attention-3-14 part 1",
         [hc, "check", "attention-3-14", "1", "1 0 -4; 2 2 -4; -1 4 3"]),
        ("check an exact form (as before), attention-3-14 part 3",
         [hc, "check", "attention-3-14", "3", "1.06 -0.56; 0.49 -0.05; -1.04 sqrt(2)/4"]),
        ("new causal", [hc, "new", "causal"]),
        ("new attention-grad", [hc, "new", "attention-grad"]),
        ("show gqa-2-100", [hc, "show", "gqa-2-100"]),
        ("practice, first exercise (stdin closed)", [hc, "practice", "--count", "1"]),
    ]
    with tempfile.TemporaryDirectory() as cache:
        none = {**os.environ, "HANDCALC_NO_CACHE": "1"}  # no key remembered
        print("no remembered keys (HANDCALC_NO_CACHE=1):")
        for name, cmd in cases:
            report(name, median_time(cmd, args.runs, none), light, floor)
        # a code whose key `show` remembered, answered right
        quick = {k: v for k, v in os.environ.items()
                 if k not in ("HANDCALC_NO_CACHE", "HANDCALC_CACHE_DIR")}
        quick["XDG_CACHE_HOME"] = cache  # found through platformdirs, as a user's is
        print("keys remembered by `show`:")
        for name, cmd in cases[:4]:
            subprocess.run([hc, "show", cmd[2]], stdout=subprocess.DEVNULL, env=quick,
                           check=True)
            report(f"{name} (remembered)", median_time(cmd, args.runs, quick), light, floor)
        print(f"new FAMILY --level L, every family and level, median of {args.family_runs}:")
        times = []
        for family, levels in _levels().items():
            row = [median_time([hc, "new", family, "--level", str(level)], args.family_runs,
                               none) for level in levels]
            times += row
            print(f"  {family:16s}" + "".join(f"  L{lv} {t / light:4.2f}x"
                                              for lv, t in zip(levels, row, strict=True)))
        met = sum(t <= TARGET * light for t in times)
        print(f"  median {statistics.median(times) * 1000:6.1f} ms = "
              f"{statistics.median(times) / light:4.2f} x fractions floor; {met} of "
              f"{len(times)} family-levels within {TARGET} x")


def _levels() -> dict[str, tuple[int, ...]]:
    from handcalc.families import FAMILIES

    return {name: tuple(lv for lv in f.levels if lv <= 3) for name, f in FAMILIES.items()}


def report(name: str, t: float, light: float, floor: float) -> None:
    print(f"{name:52s} median {t * 1000:7.1f} ms  {t / light:4.2f} x fractions floor"
          f" (target <= {TARGET})  {t / floor:4.2f} x sympy floor")

if __name__ == "__main__":
    main()
