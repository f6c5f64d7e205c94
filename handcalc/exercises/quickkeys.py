"""check's quick path: a clearly right answer to a part whose key this machine has worked
out before, decided without sympy (whose import is most of ``check``'s time).

When ``check``, ``new`` or ``show`` builds an exercise, it remembers the key's values as
floats (a count as its exact whole number, a masked score as -inf) with a digest of the
sources that computed them (every module of ``core``, ``families`` and ``exercises``). A
later ``check`` of that code decides here, before sympy is imported, only this: every
entry typed as a plain decimal lies within 0.005 of the key by more than the float's error
(a count: equals it). Then the part is right exactly as ``grade`` would say (its first
path, the exact key). Anything else (a wrong entry, an entry near the 0.005 edge, a typed
exact form such as 5/sqrt(2), another shape, ``--prior``, ``--strict``, ``--json``, a
changed source) goes the full way, unchanged: this path can say "correct", never
"incorrect" (tests/test_quickkeys.py compares the two over more than 10,000 answers).

The record is ``quick-keys.json`` beside the confirmed keys (handcalc.exercises.confirmed:
the same folder, ``HANDCALC_CACHE_DIR`` and ``HANDCALC_NO_CACHE``), at most ``MAX_CODES``
codes, the latest kept; a file that is not this record is ignored and never written.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from handcalc.core.answertext import lines_as_rows
from handcalc.exercises import confirmed

FORMAT = "handcalc-quick-keys/1"
FILE_NAME = "quick-keys.json"
MAX_CODES = 500
MAX_FILE_BYTES = 2**20
MAX_CODE = 120  # longer codes (data codes) are not remembered
TOL = 0.005
GUARD = 1e-9  # handcalc.core.exact.GUARD (not imported: this path runs before the engine)
MAX_KEY = 1e9  # larger keys are not remembered
MAX_SCREEN_COUNT = 10**7

Record = list[dict[str, Any]]  # per part: shape and entries (float, "-inf" or a count's str)

_NUMBER = re.compile(r"-?(?:[0-9]{1,15}(?:\.[0-9]{1,15})?|\.[0-9]{1,15})", re.ASCII)
_PART = re.compile(r"[1-9][0-9]?", re.ASCII)


@cache
def solver_digest() -> str:
    """A digest of the sources that compute a key (what a new version changes)."""
    root = Path(__file__).resolve().parent.parent
    import hashlib

    h = hashlib.sha256(FORMAT.encode())
    for folder in ("core", "families", "exercises"):
        for path in sorted((root / folder).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:24]


def record_of(ex: Any) -> Record | None:
    """An exercise's key as this path compares it, or None when it holds an entry the path
    cannot decide (not a finite number, a count that is not whole). From the exact key
    when it is solved (or sympy is loaded anyway), else from the float screen, whose error
    grade's own screen bounds by the guard band (handcalc.core.exact.GUARD) as decide does."""
    from handcalc import lazysympy

    if "parts" not in vars(ex) and not lazysympy.loaded():
        return _screen_record(ex)
    from handcalc.core.exact import approx, entries, is_neg_inf, shape
    from handcalc.exercises.grade import is_count

    parts = []
    for part in ex.parts:
        values: list[Any] = []
        count = is_count(ex, part.key)
        for v in entries(part.answer):
            if is_neg_inf(v):
                values.append("-inf")
            elif count:
                if not getattr(v, "is_Integer", False):
                    return None
                values.append(str(int(v)))
            else:
                f = approx(v)
                if not math.isfinite(f) or abs(f) > MAX_KEY:
                    return None
                values.append(f)
        parts.append({"shape": list(shape(part.answer)), "values": values})
    return parts


def _screen_record(ex: Any) -> Record | None:
    """The record from the float screen (ex.approx): a count only where its float cannot
    be another whole number (below MAX_SCREEN_COUNT the guard band is under 0.1)."""
    from handcalc.core.exact import entries, shape
    from handcalc.exercises.grade import is_count

    parts = []
    for key in ex.keys:
        m = ex.approx[key]
        values: list[Any] = []
        count = is_count(ex, key)
        for f in entries(m):
            if f == -math.inf:
                values.append("-inf")
            elif not math.isfinite(f) or abs(f) > MAX_KEY:
                return None
            elif count:
                if abs(f) >= MAX_SCREEN_COUNT:
                    return None
                values.append(str(round(f)))
            else:
                values.append(f)
        parts.append({"shape": list(shape(m)), "values": values})
    return parts

# the exact parser's caps (handcalc.core.parse.limits, not imported: it loads the parser):
# beyond them, the parser's own message says why
MAX_LENGTH, MAX_ROWS, MAX_COLS, MAX_ENTRIES, MAX_ABS_VALUE = 2000, 20, 20, 400, 10**12


def _cells(text: str) -> list[list[str]] | None:
    """Plain decimals (and -inf) in rows, read as the exact parser reads them (lines are
    rows unless there is a ';', then newlines are spaces; ',' or spaces between entries,
    not both), within its caps; else None (the exact parser then decides)."""
    if len(text) > MAX_LENGTH:
        return None
    text = lines_as_rows(text)
    if "[" in text:
        return None
    rows = [r.strip() for r in text.split(";")]
    out = []
    for r in rows:
        cells = [c.strip() for c in r.split(",")] if "," in r else r.split()
        if not cells or any(not (_NUMBER.fullmatch(c) or c == "-inf") for c in cells):
            return None
        if any(c != "-inf" and abs(Fraction(c)) > MAX_ABS_VALUE for c in cells):
            return None
        out.append(cells)
    if len(out) > MAX_ROWS or max(len(r) for r in out) > MAX_COLS or \
            sum(len(r) for r in out) > MAX_ENTRIES:
        return None
    return out


def plain_answer(text: str) -> tuple[tuple[Any, ...], ...] | None:
    """Typed text of plain decimals (and -inf) as a matrix of Fractions (and -inf floats),
    the values the exact parser gives them, or None for any other text (parsed exactly):
    grade decides such an answer without sympy wherever its screens can
    (tests/test_lazysympy.py compares this with handcalc.core.parse over many texts)."""
    cells = _cells(text)
    if cells is None or any(len(r) != len(cells[0]) for r in cells):
        return None
    return tuple(tuple(-math.inf if c == "-inf" else Fraction(c) for c in r) for r in cells)


def decide(record: Record, part: str, text: str) -> int | None:
    """The part's number when `text` is clearly right for it (see the module docstring),
    else None."""
    if not _PART.fullmatch(part) or not 1 <= int(part) <= len(record):
        return None
    want = record[int(part) - 1]
    cells = _cells(text)
    if cells is None or any(len(r) != len(cells[0]) for r in cells):
        return None
    if [len(cells[0]), len(cells)] == want["shape"] != [len(cells), len(cells[0])] and \
            1 in want["shape"]:  # a vector typed the other way round, as grade fits it
        cells = [list(c) for c in zip(*cells, strict=True)]
    if [len(cells), len(cells[0])] != want["shape"]:
        return None
    for typed, key in zip((c for r in cells for c in r), want["values"], strict=True):
        if key == "-inf" or typed == "-inf":
            if typed != key:
                return None
        elif isinstance(key, str):  # a count: the whole number itself
            if "." in typed or typed.startswith("-.") or int(typed) != int(key):
                return None
        elif abs(float(typed) - key) > TOL - GUARD * max(1.0, abs(key), abs(float(typed))):
            return None  # not clearly within: grade's screen keeps the same band
    return int(part)


def _path() -> Path:
    return confirmed.cache_path().with_name(FILE_NAME)


def _read(path: Path) -> dict[str, Any] | None:
    return confirmed.read_record(path, FORMAT, MAX_FILE_BYTES)


def lookup(code: str) -> Record | None:
    """The remembered key of `code`, when this installation computed it; else None."""
    if not confirmed.enabled() or len(code) > MAX_CODE:
        return None
    try:
        got = (_read(_path()) or {}).get(code)
        if isinstance(got, list) and len(got) == 2 and got[0] == solver_digest() and \
                isinstance(got[1], list):
            return got[1]
    except Exception:  # noqa: BLE001 - a cache never stops a command
        return None
    return None


def drawn(code: str) -> Any | None:
    """The exercise of a code typed as handcalc prints it (FAMILY-LEVEL-SEED with the seed
    accepted, or worked-N), built without sympy where its float screens decide; None for
    a code that carries its own data (parsed exactly: the full way)."""
    from handcalc.errors import HandcalcError
    from handcalc.exercises.exercise import build, parse_code
    from handcalc.families.base import Instance

    try:
        if isinstance(parse_code(code), Instance):
            return None
        ex = build(code)
    except HandcalcError:
        return None  # the full way says why, as it always has
    return ex if ex.code == code else None


def remember(ex: Any) -> None:
    """Keep an exercise's key for later checks (quietly nothing when the cache is off, the
    folder cannot be written, or the file is another program's)."""
    if not confirmed.enabled() or len(ex.code) > MAX_CODE:
        return
    try:
        record = record_of(ex)
        path = _path()
        codes = _read(path)
        if record is None or codes is None or codes.get(ex.code) == [solver_digest(), record]:
            return
        codes.pop(ex.code, None)  # re-inserted last: the newest
        codes[ex.code] = [solver_digest(), record]
        while len(codes) > MAX_CODES:
            codes.pop(next(iter(codes)))
        confirmed.write_record(path, FORMAT, codes)
    except Exception:  # noqa: BLE001 - a cache never stops a command
        return
