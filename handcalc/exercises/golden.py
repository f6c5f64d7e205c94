"""The golden record: codes that must rebuild the same exercise in every release.

``solutions/golden-codes.json`` holds, for every family and level, at least five codes
(the canonical code ``generate`` returns for seeds 1, 2, ...) and the worked set, each with
its given data, parameters and exact and 2-decimal answers. Rewrite it with
``python -m handcalc.exercises.golden --write-golden`` (only on purpose, never to make a test
pass); ``--check-golden`` compares; tests/test_golden.py rebuilds every code.
"""


from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy

from handcalc.core.exact import Mat
from handcalc.core.rounding import fmt2, fmt_exact
from handcalc.exercises.exercise import (
    Exercise,
    build,
    generate,
)
from handcalc.exercises.worked import WORKED
from handcalc.families import FAMILIES

GOLDEN_PATH = Path(__file__).resolve().parents[2] / "solutions" / "golden-codes.json"
GOLDEN_PER_LEVEL = 5

# ---------------------------------------------------------------- golden codes


def _rows(m: Mat, fmt: Callable[[sympy.Expr], str]) -> list[list[str]]:
    return [[fmt(v) for v in r] for r in m]


def _param(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [_param(v) for v in value]
    if isinstance(value, Fraction):  # a drawn exact value: as sympy's Rational prints
        return str(value)
    if isinstance(value, sympy.Basic):
        return fmt_exact(value)  # type: ignore[arg-type]
    if hasattr(value, "_sympy_"):  # an exact value of handcalc's own (rope.PiTimes)
        return fmt_exact(value._sympy_())
    raise TypeError(f"cannot record a parameter of type {type(value).__name__}")


def golden_entry(ex: Exercise) -> dict[str, Any]:
    """What must never change for a code: its data, the parts asked and their answers.

    Matrices are nested lists of rows (a scalar is [["x"]]); wording (statement, prompts)
    is not recorded, so it may be improved without breaking a code.
    """
    inst = ex.instance
    return {
        "code": ex.code, "family": inst.family, "level": inst.level, "seed": inst.seed,
        "given": {name: _rows(m, fmt_exact) for name, m in inst.given.items()},
        "params": {k: _param(v) for k, v in inst.params.items()},
        "parts": [{"part": p.number, "key": p.key, "answer": _rows(p.answer, fmt_exact),
                   "rounded": _rows(p.answer, fmt2)} for p in ex.parts],
    }


def golden_codes(per_level: int = GOLDEN_PER_LEVEL) -> list[dict[str, Any]]:
    """The worked set, then ``per_level`` distinct codes per family and level.

    The codes are those ``generate`` returns for seeds 1, 2, 3, ... as a spec draws them
    (``published``: under the first release's rules where they apply; a seed whose draw is
    refused leads to a later seed's code; duplicates are skipped). Each entry records the
    seed it was generated from (``from_seed``).
    """
    out = []
    for n in sorted(WORKED):
        out.append({**golden_entry(build(f"worked-{n}")), "from_seed": None})
    for name, family in FAMILIES.items():
        for level in family.levels:
            seen: set[str] = set()
            seed = 1
            while len(seen) < per_level:
                ex = generate(name, level, seed, published=True)  # as a spec draws
                if ex.code not in seen:
                    seen.add(ex.code)
                    out.append({**golden_entry(ex), "from_seed": seed})
                seed += 1
    return out


def golden_document(per_level: int = GOLDEN_PER_LEVEL) -> dict[str, Any]:
    return {
        "about": "Codes that must rebuild the same exercise in every release. Written by "
                 "`python -m handcalc.exercises.golden --write-golden`; tests/test_golden.py "
                 "rebuilds every code and compares. Matrices are lists of rows of exact strings "
                 "(answer) and 2-decimal strings (rounded).",
        "codes": golden_codes(per_level),
    }


def golden_json(doc: dict[str, Any]) -> str:
    """JSON text with one line per field of a code and one line per part (readable diffs)."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    entries = []
    for entry in doc["codes"]:
        head = ", ".join(f"{dump(k)}: {dump(entry[k])}"
                         for k in ("code", "family", "level", "seed", "from_seed"))
        lines = [f"  {{{head},"]
        lines += [f"   {dump(k)}: {dump(entry[k])}," for k in ("given", "params")]
        parts = ",\n".join(f"    {dump(p)}" for p in entry["parts"])
        lines.append(f'   "parts": [\n{parts}]}}')
        entries.append("\n".join(lines))
    return (f'{{"about": {dump(doc["about"])},\n "codes": [\n' + ",\n".join(entries)
            + "\n ]}\n")


def write_golden(path: Path = GOLDEN_PATH) -> int:
    doc = golden_document()
    text = golden_json(doc)
    assert json.loads(text) == doc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(doc["codes"])


def golden_differences(recorded: dict[str, Any]) -> list[str]:
    """Every way in which rebuilding the recorded codes differs from the record."""
    problems = []
    for entry in recorded["codes"]:
        code = entry["code"]
        try:
            now = golden_entry(build(code))
        except Exception as e:  # noqa: BLE001 - report, don't stop at the first code
            problems.append(f"{code}: cannot be rebuilt ({type(e).__name__}: {e})")
            continue
        for field, value in now.items():
            if entry.get(field) != value:
                problems.append(f"{code}: {field} differs: recorded {entry.get(field)!r}, "
                                f"now {value!r}")
        if entry.get("from_seed") is not None:  # as a spec's draw (published) from it
            got = generate(entry["family"], entry["level"], entry["from_seed"],
                           published=True).code
            if got != code:
                problems.append(f"{code}: seed {entry['from_seed']} now generates {got}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m handcalc.exercises.golden", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write-golden", action="store_true",
                    help="(re)write solutions/golden-codes.json")
    ap.add_argument("--check-golden", action="store_true",
                    help="compare solutions/golden-codes.json with the current code")
    ap.add_argument("--path", type=Path, default=GOLDEN_PATH, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.write_golden:
        n = write_golden(args.path)
        print(f"wrote {n} codes to {args.path.name}")
        return 0
    if args.check_golden:
        problems = golden_differences(json.loads(args.path.read_text(encoding="utf-8")))
        print("\n".join(problems) if problems else "every golden code rebuilds unchanged")
        return 1 if problems else 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
