"""Median wall time of `handcalc check`, `new`, `show` and `practice` (to its first exercise,
standard input closed) against two floors measured in the same run: `python -c "import
fractions, click"` and `python -c "import sympy, click"`.

Targets (issue 27): `check` of a clear right or wrong answer, `new`, `show` and `practice`'s
first exercise at most 2.4 times the fractions floor (about 150 ms here), which needs sympy
left unimported where floats decide (not done: the figures are printed beside the target);
the ratio to the sympy floor is printed too (the previous round's target was 1.3).
Run: .venv/bin/python benchmarks/check_speed.py [--runs N]

handcalc is byte-compiled first (compileall), as a regular pip install does for every
package: sympy and click were byte-compiled when installed, and an editable install under
PYTHONDONTWRITEBYTECODE=1 would otherwise recompile handcalc's sources on every run.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET = 2.4  # times the fractions floor


def median_time(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
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
        ("new causal", [hc, "new", "causal"]),
        ("new attention-grad", [hc, "new", "attention-grad"]),
        ("show gqa-2-100", [hc, "show", "gqa-2-100"]),
        ("practice, first exercise (stdin closed)", [hc, "practice", "--count", "1"]),
    ]
    for name, cmd in cases:
        t = median_time(cmd, args.runs)
        print(f"{name:48s} median {t * 1000:7.1f} ms  {t / light:4.2f} x fractions floor"
              f" (target <= {TARGET})  {t / floor:4.2f} x sympy floor")

if __name__ == "__main__":
    main()
