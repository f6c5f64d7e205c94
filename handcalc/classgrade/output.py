"""Writing a report file: whole or not at all (handcalc.fileio)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from handcalc.errors import HandcalcError


class ReportError(HandcalcError):
    """A report that could not be written (nothing was left behind)."""

    exit_code = 1


def write_report(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write ``text`` (or bytes: a PDF) to ``path`` whole or not at all; see write_reports."""
    write_reports([(path, text)])


def write_reports(files: Sequence[tuple[str | os.PathLike[str], str | bytes]]) -> None:
    """Write every (path, text or bytes) of one command whole, all new or all as they were
    (handcalc.fileio.write_outputs: a regular file is replaced by a synced temporary file
    and a rename, a symlink's target is replaced, a device, FIFO or ``-`` is written
    through); ReportError (exit 1) when they could not be written."""
    from handcalc.errors import OutputError
    from handcalc.fileio import output_target, write_outputs

    try:
        write_outputs([(output_target(path), data.encode("utf-8") if isinstance(data, str)
                        else data) for path, data in files])
    except OutputError as e:
        raise ReportError(str(e)) from None
