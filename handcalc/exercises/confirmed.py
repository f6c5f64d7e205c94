"""Keys torch has confirmed, remembered so that a key is cross-checked once, not at every
``solve`` or worksheet.

A record holds, per code, a digest of the exact answers torch agreed with, the versions that
confirmed them (handcalc's version and a digest of the torch kernel's sources: handcalc's
``core/kernel.py``, ``core/kernel_cost.py`` and the family's module; the torch build, a
digest of its ``version.py``, read without importing torch), and the largest difference torch showed
(``solve --json`` prints it). A key is taken as confirmed only when all of these match
what this installation would check now: a solver that changed an answer, another kernel
or another torch is checked again.

The record is a JSON file in the user's cache folder (``platformdirs``:
``~/.cache/handcalc`` on Linux, or ``$XDG_CACHE_HOME/handcalc``), or in
``HANDCALC_CACHE_DIR`` when that is set. ``HANDCALC_NO_CACHE=1`` (or a command's
``--no-cache``) turns it off; ``verify`` never uses it. A file that cannot be read, is not
JSON, or is not this record is ignored with no message; a broken record (not JSON: a write
cut short) is replaced by the next one written, a foreign file (JSON of another format, a
folder, a device, a symlink) is never written; a folder that cannot be written leaves every
key checked as before. At most ``MAX_ENTRIES`` codes are kept (the oldest go first).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

FORMAT = "handcalc-confirmed-keys/1"
FILE_NAME = "confirmed-keys.json"
MAX_ENTRIES = 20_000
MAX_FILE_BYTES = 8 * 2**20  # a larger file is not ours (or broken): ignored
NO_CACHE_ENV = "HANDCALC_NO_CACHE"
DIR_ENV = "HANDCALC_CACHE_DIR"

def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() in ("", "0", "false", "no")


def cache_path() -> Path:
    folder = os.environ.get(DIR_ENV)
    if folder:
        return Path(folder) / FILE_NAME
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("handcalc", appauthor=False)) / FILE_NAME


def answers_digest(ex: Any) -> str:
    """A digest of an exercise's code, given data, parameters and exact answers."""
    inst = ex.instance
    doc = [inst.code, sorted((name, [[exact_form(v) for v in row] for row in m])
                             for name, m in inst.given.items()),
           repr(sorted((str(k), repr(v)) for k, v in dict(inst.params).items())),
           [[p.key, [[exact_form(v) for v in row] for row in p.answer]] for p in ex.parts]]
    return hashlib.sha256(json.dumps(doc).encode("utf-8")).hexdigest()


def exact_form(x: Any) -> str:
    """An exact value's expression tree as text: its classes and their arguments in sympy's
    own canonical order, a rational by numerator and denominator (one value, one text, at a
    fraction of the cost of sympy's printer, which orders the terms for reading)."""
    if getattr(x, "is_Rational", False):
        return f"{x.p}/{x.q}"
    args = getattr(x, "args", ())
    if not args:
        return f"{type(x).__name__}:{x}"
    return f"{type(x).__name__}({','.join(exact_form(a) for a in args)})"


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "unknown"


@cache
def _source_digest(module: str) -> str:
    """A digest of a top-level module's or package's file, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    return _file_digest(Path(str(spec.origin if spec else None)))


@cache
def _torch_build() -> str:
    """Which torch this is, without importing it or reading its package metadata (whose
    import costs solve 20 ms): a digest of torch/version.py, written when torch is built
    (its version, and the commit it was built from)."""
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.origin:
        return "unknown"
    return _file_digest(Path(spec.origin).with_name("version.py"))


def checker(family: str) -> str:
    """What confirms a key of `family` here: handcalc's version and kernel sources, the
    torch build."""
    import handcalc
    from handcalc.families import FAMILIES

    module = type(FAMILIES[family]).__module__
    return ":".join((handcalc.__version__, _source_digest("handcalc.core.kernel"),
                     _source_digest("handcalc.core.kernel_cost"),  # kernel re-exports it
                     _source_digest(module), _torch_build()))


def read_record(path: Path, form: str, max_bytes: int) -> dict[str, Any] | None:
    """A cache record's entries (a JSON file of format `form`): {} when there is none yet,
    or when the file is broken (not JSON: a write cut short; it is rewritten whole); None
    when the file is another program's (JSON of another format, not a regular file, larger
    than `max_bytes`): then it is never written."""
    try:
        if path.is_symlink():
            return None
        if not path.is_file() or path.stat().st_size > max_bytes:
            return None if path.exists() else {}
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        return None
    except ValueError:
        return {}
    if not isinstance(doc, dict) or doc.get("format") != form:
        return None
    entries = doc.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_record(path: Path, form: str, entries: dict[str, Any]) -> None:
    """Write a cache record whole, by a temporary file renamed over it (OSError when the
    folder cannot be written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"format": form, "entries": entries}).encode("utf-8")
    import tempfile  # on first use: not every command that reads the record writes it

    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> dict[str, Any] | None:
    return read_record(path, FORMAT, MAX_FILE_BYTES)


_MEMO: dict[Path, dict[str, Any] | None] = {}  # the record as this process last saw it


def _entries(path: Path) -> dict[str, Any] | None:
    if path not in _MEMO:
        _MEMO[path] = _read(path)
    return _MEMO[path]


def lookup(code: str, family: str, digest: str) -> float | None:
    """The largest difference torch showed for this very key (`digest`: answers_digest),
    when it is confirmed here; else None (check it)."""
    if not digest or not enabled():
        return None
    try:
        got = (_entries(cache_path()) or {}).get(code)
        if (isinstance(got, list) and len(got) == 3 and isinstance(got[2], float)
                and got[0] == digest and got[1] == checker(family)):
            return got[2]
    except Exception:  # noqa: BLE001 - a cache never stops a command
        return None
    return None


Confirmed = tuple[str, str, str, float]  # code, family, answers digest, largest difference


def record(confirmed: Iterable[Confirmed]) -> None:
    """Remember keys torch has just confirmed. Failures are ignored."""
    items = list(confirmed)
    if not items or not enabled():
        return
    try:
        path = cache_path()
        entries = _read(path)  # read again: another command may have added to it
        if entries is None:
            return  # not our file: never overwritten
        for code, family, digest, worst in items:
            entries.pop(code, None)  # re-inserted last: the newest
            entries[code] = [digest, checker(family), float(worst)]
        while len(entries) > MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        write_record(path, FORMAT, entries)
        _MEMO[path] = entries
    except Exception:  # noqa: BLE001 - a cache never stops a command
        return


def kernel_check(ex: Any) -> Any:
    """exercise.kernel_check(ex), with the digest of its answers when the record is on."""
    from handcalc.exercises.exercise import kernel_check as check

    return check(ex, answers_digest(ex) if enabled() else "")


def checked(ex: Any) -> float:
    """exercise.cross_check(ex), unless this key is already confirmed here: the largest
    difference of torch from the exact answers (KernelMismatch when they disagree)."""
    digest = answers_digest(ex) if enabled() else ""
    worst = lookup(ex.code, ex.instance.family, digest)
    if worst is not None:
        return worst
    from handcalc.exercises.exercise import cross_check

    worst = cross_check(ex)
    if digest:
        record([(ex.code, ex.instance.family, digest, worst)])
    return worst
