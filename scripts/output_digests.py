"""Digests of what handcalc writes, to compare two trees byte for byte.

    python scripts/output_digests.py OUT_DIR            writes every output, prints digests
    python scripts/output_digests.py --compare A B      exit 1 when two digest lists differ

It runs the command line only (`python -m handcalc.cli`-style, through `handcalc.cli.main`),
so the same script measures a tree before and after a refactoring: point PYTHONPATH at the
tree to measure. Outputs: the sheet and key of every shipped spec as PDF, Typst, Markdown,
JSON and Moodle XML (3 versions), the solutions/ keys, `show`/`solve --json` of golden codes,
and a class graded to every report format with feedback and gradebook.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = [sys.executable, "-c", "from handcalc.cli import main; main()"]
CODES = ("worked-2", "worked-9", "attention-2-4821", "gqa-2-100", "rope-3-7", "mha-3-11")


def _run(out: Path, name: str, *args: str, stdout: bool = False) -> None:
    done = subprocess.run([*RUN, *args], capture_output=True, cwd=out,
                          env={**os.environ, "HANDCALC_LANG": "en"})
    if stdout:
        (out / name).write_bytes(done.stdout)
    (out / f"{name}.status").write_text(f"{done.returncode}\n{done.stderr.decode()}")


def write_all(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for spec in sorted((ROOT / "problems").glob("*.toml")):
        s = spec.stem
        for fmt in ("pdf", "typ", "md", "json"):
            _run(out, f"{s}.{fmt}", "worksheet", str(spec), "-o", f"{s}.{fmt}",
                 "--key", f"{s}-key.{fmt}", "--versions", "2")
        _run(out, f"{s}-answers.pdf", "worksheet", str(spec), "-o", f"{s}-s.pdf",
             "--key", f"{s}-answers.pdf", "--key-style", "answers")
        _run(out, f"{s}.xml", "worksheet", str(spec), "--format", "moodle", "-o", f"{s}.xml",
             "--versions", "3")
    for code in CODES:
        _run(out, f"show-{code}.json", "show", code, "--json", stdout=True)
        _run(out, f"solve-{code}.json", "solve", code, "--json", stdout=True)
        _run(out, f"solve-{code}.txt", "solve", code, stdout=True)
        _run(out, f"solve-{code}-zh.txt", "solve", code, "--lang", "zh", stdout=True)
    good = ROOT / "tests" / "data" / "submissions" / "good.csv"
    for fmt in ("md", "csv", "json", "pdf"):
        _run(out, f"report.{fmt}", "grade", str(good), "-o", f"report.{fmt}",
             "--feedback", f"feedback-{fmt}.pdf" if fmt == "pdf" else f"feedback-{fmt}.md",
             "--gradebook", f"gradebook-{fmt}.csv")


def digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.iterdir()) if p.is_file()}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--compare"]:
        a, b = (dict(line.split("  ", 1)[::-1] for line in Path(f).read_text().splitlines())
                for f in argv[1:3])
        diff = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        for name in diff:
            print(f"differs: {name}")
        print(f"{len(a)} files, {len(diff)} differ")
        return 1 if diff else 0
    out = Path(argv[0]).resolve()
    write_all(out)
    for name, digest in digests(out).items():
        print(f"{digest}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
