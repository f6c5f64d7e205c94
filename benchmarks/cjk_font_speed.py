"""What the shipped CJK font costs: its size on disk and the wall time of a Chinese worksheet.

Prints the size of handcalc/sheets/fonts/*.otf and the wall time (median of --runs runs,
Python start-up included) of
`handcalc worksheet problems/worked-set-zh.toml -o sheet.pdf --key key.pdf`, and the
size of the sheet it writes. Run it before and after rebuilding the font
(scripts/build_cjk_font.py) to compare.

Run: .venv/bin/python benchmarks/cjk_font_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SPEC = ROOT / "problems" / "worked-set-zh.toml"
FONTS = ROOT / "handcalc" / "sheets" / "fonts"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    for font in sorted(FONTS.glob("*.otf")):
        print(f"{font.name:34s} {font.stat().st_size / 1e6:6.2f} MB")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        sheet, key = Path(tmp) / "sheet.pdf", Path(tmp) / "key.pdf"
        cmd = [str(BIN / "handcalc"), "worksheet", str(SPEC), "-o", str(sheet),
               "--key", str(key)]
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
        size = sheet.stat().st_size
    median = statistics.median(times)
    print(f"worksheet worked-set-zh.toml (sheet + key, CLI)  median {median:.2f} s"
          f" (min {min(times):.2f}, max {max(times):.2f}), sheet {size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
