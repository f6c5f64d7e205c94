"""Writing a report file: whole or not at all (a temporary file in the target's directory,
then a rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from handcalc.errors import HandcalcError


class ReportError(HandcalcError):
    """A report that could not be written (nothing was left behind)."""

    exit_code = 1


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_report(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write ``text`` (or bytes: a PDF) to ``path`` whole or not at all (temp file + rename,
    same directory)."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise ReportError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise ReportError(f"cannot write {path}: {e.strerror or e}") from None
        raise
