"""Peak memory of `handcalc grade` writing PDFs, per learner: the figures behind the class
size caps of the PDF report and the PDF feedback (MAX_PDF_LEARNERS in
handcalc/classgrade/report_pdf.py and feedback.py; issue 25).

For each --learners N (default 1000,4000) it writes a submissions file of N learners, each
answering part 1 of worked-1 (a random one of three answers), and runs the command three
ways: `-o report.pdf`, `-o report.md --feedback feedback.pdf`, and both PDFs at once. It
prints the peak RSS of each run (wait4's ru_maxrss of the child) and, from the first and
last sizes, the memory per learner and the class size that stays under --budget MiB
(default 2048). Sizes above the caps are refused by the command (the run stops there).

Measured (2 cores, typst 0.15): report 215 MiB at 1,000 learners and 595 MiB at 4,000
(130 KB each); feedback 427 and 1,245 MiB (279 KB each); both 482 and 1,693 MiB.

Run: .venv/bin/python benchmarks/grade_pdf_memory.py [--learners 1000,4000] [--budget 2048]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

CLI = [sys.executable, "-c", "from handcalc.cli import main; main()"]
ANSWERS = ("3.54", "2.5", "1")


def peak_kb(args: list[str]) -> int:
    """The peak RSS (KB) of `handcalc ARGS`, which must succeed."""
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"handcalc {' '.join(args)} failed: {err.strip()}")
    return usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", default="1000,4000")
    parser.add_argument("--budget", type=int, default=2048, help="MiB")
    parser.add_argument("--seed", type=int, default=0)
    opts = parser.parse_args()
    sizes = [int(n) for n in opts.learners.split(",")]
    rng = random.Random(opts.seed)
    ways = {"report pdf": lambda d, s: [s, "-o", d / "r.pdf"],
            "feedback pdf": lambda d, s: [s, "-o", d / "r.md", "--feedback", d / "f.pdf"],
            "both": lambda d, s: [s, "-o", d / "r.pdf", "--feedback", d / "f.pdf"]}
    peaks: dict[str, list[int]] = {w: [] for w in ways}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            subs = folder / f"c{n}.csv"
            subs.write_text("learner,code,part,answer\n" + "".join(
                f"learner {i:05d},worked-1,1,{rng.choice(ANSWERS)}\n" for i in range(n)))
            for way, args in ways.items():
                kb = peak_kb(["grade", *map(str, args(folder, subs))])
                peaks[way].append(kb)
                print(f"{n:>7,} learners  {way:<13} peak {kb / 1024:8.0f} MiB")
    if len(sizes) > 1:
        for way, kbs in peaks.items():
            per = (kbs[-1] - kbs[0]) / (sizes[-1] - sizes[0])
            base = kbs[0] - per * sizes[0]
            fits = int((opts.budget * 1024 - base) / per) if per > 0 else 0
            print(f"{way:<13} {per:6.0f} KB per learner; under {opts.budget} MiB up to "
                  f"about {fits:,} learners")


if __name__ == "__main__":
    main()
