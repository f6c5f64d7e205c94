"""The committed answer keys: solutions/<stem>.md and .json, version 1 of each spec in
problems/. ``python -m handcalc.sheets.solutions --write-solutions`` rewrites them;
``--check-solutions`` reports stale ones (tests/test_worksheet.py fails on a stale one)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from handcalc.errors import HandcalcError
from handcalc.sheets.build import build_worksheet
from handcalc.sheets.spec import parse_spec

# ---------------------------------------------------------------- solutions/

ROOT = Path(__file__).resolve().parents[2]


def solution_files(problems: Path | None = None) -> dict[str, str]:
    """solutions/<stem>.md and .json for every spec in problems/ (version 1): name -> text."""
    from handcalc.sheets.jsonsheet import key_json
    from handcalc.sheets.markdown import key_markdown

    problems = problems or ROOT / "problems"
    out: dict[str, str] = {}
    specs = sorted(problems.glob("*.toml"))
    built = [build_worksheet(parse_spec(p.read_text("utf-8"), f"problems/{p.name}"), 1,
                             formats=("md", "json")) for p in specs]
    for ws in built:
        out[f"{ws.spec.stem}.md"] = key_markdown(ws)
        out[f"{ws.spec.stem}.json"] = key_json(ws)
    return out


def stale_solutions(solutions: Path | None = None, problems: Path | None = None) -> list[str]:
    """The solutions/ files that differ from what the specs generate (or are missing)."""
    solutions = solutions or ROOT / "solutions"
    stale = []
    for name, text in solution_files(problems).items():
        path = solutions / name
        if not path.exists() or path.read_text("utf-8") != text:
            stale.append(name)
    return stale


def write_solutions(solutions: Path | None = None, problems: Path | None = None) -> list[str]:
    """Rewrite solutions/<stem>.md and .json, all of them or none; the names written."""
    from handcalc.io.fileio import write_files

    solutions = solutions or ROOT / "solutions"
    files = solution_files(problems)
    solutions.mkdir(exist_ok=True)
    write_files([(solutions / name, text.encode("utf-8")) for name, text in files.items()])
    return list(files)


def main(argv: Iterable[str] | None = None) -> int:
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m handcalc.sheets.solutions",
                                 description="Regenerate or check solutions/ from problems/.")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--write-solutions", action="store_true",
                       help="rewrite solutions/<stem>.md and .json for every spec")
    group.add_argument("--check-solutions", action="store_true",
                       help="exit 1 when a solutions/ file is stale")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.write_solutions:
        try:
            names = write_solutions()  # all of them or none
        except HandcalcError as e:
            print(f"{ap.prog}: {e}", file=sys.stderr)
            return e.exit_code
        for name in names:
            print(f"wrote solutions/{name}")
        return 0
    stale = stale_solutions()
    for name in stale:
        print(f"stale: solutions/{name}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
