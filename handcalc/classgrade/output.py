"""Writing a report file: whole or not at all (handcalc.io.fileio)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

from handcalc.errors import HandcalcError

# A report: text, bytes (a PDF), or text in chunks (written as they are produced)
Report = str | bytes | Iterable[str]


class ReportError(HandcalcError):
    """A report that could not be written (nothing was left behind)."""

    exit_code = 1


def write_report(path: str | os.PathLike[str], text: Report) -> None:
    """Write ``text`` (or bytes: a PDF) to ``path`` whole or not at all; see write_reports."""
    write_reports([(path, text)])


def _utf8(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")


def write_reports(files: Sequence[tuple[str | os.PathLike[str], Report]]) -> None:
    """Write every (path, text, bytes or text chunks) of one command whole, all new or all
    as they were (handcalc.io.fileio.write_outputs: a regular file is replaced by a synced
    temporary file and a rename, written chunk by chunk as a report's chunks are produced;
    a symlink's target is replaced; a device, FIFO or ``-`` is written through); ReportError
    (exit 1) when they could not be written."""
    from handcalc.errors import OutputError
    from handcalc.io.fileio import output_target, write_outputs

    try:
        write_outputs([(output_target(path), data.encode("utf-8") if isinstance(data, str)
                        else data if isinstance(data, bytes) else _utf8(data))
                       for path, data in files])
    except OutputError as e:
        raise ReportError(str(e)) from None
