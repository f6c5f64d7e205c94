"""Wall time of `handcalc verify --count 1000` (all families), against the 30 s target.

Runs the command as a user would (a fresh process, torch import included) and also
reports the time verify itself measured. Run: .venv/bin/python benchmarks/verify_speed.py
[--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET_SECONDS = 30.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    cmd = [str(BIN / "handcalc"), "verify", "--count", str(args.count), "--seed", str(args.seed)]
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    found = re.search(r"in ([0-9.]+) s", result.stdout)
    inner = f"{float(found.group(1)):.1f} s" if found else "?"
    print(f"verify --count {args.count}: wall {wall:.1f} s (verify's own clock {inner}, "
          f"exit {result.returncode}); {args.count / wall:.0f} exercises/s; "
          f"target <= {TARGET_SECONDS:.0f} s for 1000: "
          f"{'met' if wall * 1000 / args.count <= TARGET_SECONDS else 'NOT met'}")
    if result.returncode != 0:
        print(result.stdout[-2000:] + result.stderr[-2000:])


if __name__ == "__main__":
    main()
