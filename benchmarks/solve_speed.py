"""Median wall time of `handcalc solve CODE` for a key torch has confirmed before (the record
of handcalc.exercises.confirmed) and for a new one, paired with the floor
`python -c "import sympy, click"` in the same run.

Target (issue 27): a confirmed key at most 1.3 times the floor; a new key as before (it
imports torch to check the key once).
Run: .venv/bin/python benchmarks/solve_speed.py [--runs N]

The record lives in a temporary cache folder of this run (XDG_CACHE_HOME, found through
platformdirs as a user's is), so the user's own is neither read nor changed.
handcalc is byte-compiled first, as a pip install does.
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
CODES = ("gqa-2-100", "worked-4", "attention-grad-2-7", "mha-3-12")
TARGET = 1.3


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env=env)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "handcalc"), quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "XDG_CACHE_HOME": folder}
        for name in ("HANDCALC_CACHE_DIR", "HANDCALC_NO_CACHE"):
            env.pop(name, None)
        fresh = {**env, "HANDCALC_NO_CACHE": "1"}
        floor_cmd = [sys.executable, "-c", "import sympy, click"]
        for code in CODES:
            solve = [str(BIN / "handcalc"), "solve", code]
            timed(solve, env)  # torch confirms the key once
            floors, hits, misses = [], [], []
            for _ in range(args.runs):  # paired, interleaved: the machine is shared
                floors.append(timed(floor_cmd, env))
                hits.append(timed(solve, env))
            for _ in range(max(3, args.runs // 3)):
                misses.append(timed(solve, fresh))
            floor, hit, miss = (statistics.median(x) for x in (floors, hits, misses))
            print(f"solve {code:20s} confirmed {hit * 1000:7.1f} ms  floor {floor * 1000:6.1f}"
                  f" ms  ratio {hit / floor:4.2f} (target <= {TARGET})   "
                  f"unconfirmed {miss * 1000:7.1f} ms")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
