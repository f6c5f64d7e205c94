"""Writing a report file: whole or not at all (handcalc.fileio)."""

from __future__ import annotations

import os

from handcalc.errors import HandcalcError


class ReportError(HandcalcError):
    """A report that could not be written (nothing was left behind)."""

    exit_code = 1


def write_report(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (handcalc.fileio.write_outputs: a
    regular file is replaced by a synced temporary file and a rename, a symlink's target
    is replaced, a device, FIFO or ``-`` is written through); ReportError (exit 1)."""
    from handcalc.errors import OutputError
    from handcalc.fileio import output_target, write_outputs

    try:
        write_outputs([(output_target(path), text.encode("utf-8"))])
    except OutputError as e:
        raise ReportError(str(e)) from None
