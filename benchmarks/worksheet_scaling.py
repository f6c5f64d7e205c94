"""How a class set scales: wall time and peak memory of `handcalc worksheet
problems/exam.toml --versions N -o exam.pdf --key exam-key.pdf` for N = 1, 10, 30, 100,
300, 500 (or --sizes).

Targets (issue 14): peak memory bounded independently of N, at most 1 GiB at 500
versions; time linear in N, t(300) / t(30) at most 11. Peak memory is the largest sum of
the proportional set size (PSS: a page shared by n processes counts 1/n in each, so the
forked workers' pages shared with the command count once) of the command and all its
worker processes, sampled every 20 ms from /proc (Linux), in a second run: the time is
that of a run without sampling, which would take the cores from the command.

Run: .venv/bin/python benchmarks/worksheet_scaling.py [--sizes 1,10,30,100,300,500]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SPEC = ROOT / "problems" / "exam.toml"


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(root: int) -> int:
    """The proportional resident bytes of `root` and its descendants."""
    parent = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss(pid)
        todo += [p for p, pp in parent.items() if pp == pid]
    return total


def run(versions: int, sample: bool) -> tuple[float, int]:
    """Wall seconds of the command and, with `sample`, the peak resident bytes of its
    process tree (0 without). Reading every process's PSS costs the kernel a walk of its
    pages, on the cores the command runs on, more the larger they are: so the time is
    taken in a run of its own, unsampled, and the peak in another."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(BIN / "handcalc"), "worksheet", str(SPEC), "--versions", str(versions),
               "-o", str(Path(tmp) / "exam.pdf"), "--key", str(Path(tmp) / "exam-key.pdf")]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        peak = 0
        while proc.poll() is None:
            if sample:
                peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return wall, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1,10,30,100,300,500")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print("class set: exam spec, sheet + key as PDF (targets: peak <= 1024 MiB at 500, "
          "t(300)/t(30) <= 11)")
    times = {}
    for n in sizes:
        wall, _ = run(n, sample=False)
        _, peak = run(n, sample=True)
        times[n] = wall
        print(f"  {n:4d} versions  {wall:7.2f} s  {wall / n:6.3f} s/version  "
              f"peak {peak / 2**20:7.0f} MiB", flush=True)
    if 30 in times and 300 in times:
        print(f"  t(300) / t(30) = {times[300] / times[30]:.1f}  (target <= 11)")


if __name__ == "__main__":
    main()
