"""Wall time of `handcalc verify --count 1000` (all families), against the 5 s target.

Runs the command as a user would (a fresh process, torch import included), `--runs`
times (default 3), and prints the median wall time, the CPU time of the command and its
worker processes, and the time verify itself measured (from the start of the work; with
workers it includes the import of torch, which overlaps their work). The target is for
this 2-core machine when it is otherwise idle; CPU time well above wall time shows the
two cores at work, wall time well above CPU time / 2 a machine busy with other work; the
load averages (1 minute) before and after the runs are printed with the figures.
Run: .venv/bin/python benchmarks/verify_speed.py [--count N] [--seed S] [--runs R]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET_SECONDS = 5.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cmd = [str(BIN / "handcalc"), "verify", "--count", str(args.count), "--seed", str(args.seed)]
    walls, cpus, inner = [], [], []
    load_before = os.getloadavg()[0]
    for _ in range(max(1, args.runs)):
        cpu = children_cpu()
        start = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
        found = re.search(r"in ([0-9.]+) s", result.stdout)
        inner.append(float(found.group(1)) if found else float("nan"))
        if result.returncode != 0:
            print(result.stdout[-2000:] + result.stderr[-2000:])
            sys.exit(1)
    wall = statistics.median(walls)
    runs = ", ".join(f"{w:.1f}" for w in walls)
    if args.count == 1000:
        verdict = "met" if wall <= TARGET_SECONDS else "NOT met"
    else:  # the import of torch is a fixed cost: no scaling to 1000
        verdict = "(run --count 1000 to compare)"
    print(f"verify --count {args.count}: wall {wall:.1f} s (median of {len(walls)}: {runs}); "
          f"CPU {statistics.median(cpus):.1f} s; verify's own clock "
          f"{statistics.median(inner):.1f} s; {args.count / wall:.0f} exercises/s; "
          f"target <= {TARGET_SECONDS:.0f} s for 1000: {verdict}; load average "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
