"""Median wall time of `handcalc check` and `handcalc new` against the floor `python -c
"import sympy, click"`.

Targets: `check` and `new` each at most 1.3 times the floor (`new` imports neither torch
nor typst); issue 14's stretch: `check` at most 120 ms, which needs sympy left unimported
when a float screen decides (not done: the figure is printed beside it).
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
STRETCH_MS = 120


def median_time(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "handcalc"), quiet=1)
    floor = median_time([sys.executable, "-c", "import sympy, click"], args.runs)
    print(f"floor  python -c 'import sympy, click'   median {floor * 1000:7.1f} ms")
    cases = [
        ("correct, worked-5 part 2", ["worked-5", "2", "10, 18.81, 29.48"]),
        ("wrong (mistake search), worked-4 part 1", ["worked-4", "1", "1, 3"]),
        # codes as `handcalc new` prints them (the first acceptable seed)
        ("generated, attention-3-14 part 3", ["attention-3-14", "3",
                                              "1.06 -0.56; 0.49 -0.05; -1.04 0.37"]),
        ("generated wrong, causal-3-14 part 3", ["causal-3-14", "3", "0 0; 0 0; 0 0"]),
    ]
    for name, args_ in cases:
        t = median_time([str(BIN / "handcalc"), "check", *args_], args.runs)
        print(f"check  {name:42s} median {t * 1000:7.1f} ms  ratio {t / floor:4.2f}"
              f"  (targets <= 1.30; stretch <= {STRETCH_MS} ms)")
    for family in ("causal", "attention-grad"):
        t = median_time([str(BIN / "handcalc"), "new", family], args.runs)
        print(f"new    {family:42s} median {t * 1000:7.1f} ms  ratio {t / floor:4.2f}"
              f"  (target <= 1.30)")


if __name__ == "__main__":
    main()
