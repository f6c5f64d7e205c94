"""Report formats: the renderer of each, and the format a report file's name implies."""

from __future__ import annotations

import os
from pathlib import Path

from handcalc.classgrade import messages as msg
from handcalc.classgrade.report_csv import iter_csv, render_csv
from handcalc.classgrade.report_json import iter_json, render_json
from handcalc.classgrade.report_md import iter_markdown, render_markdown
from handcalc.errors import SpecError
from handcalc.io.terminal import safe_text

FORMATS = ("csv", "json", "md", "pdf")
SUFFIXES = {".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md", ".pdf": "pdf"}

# the text reports; pdf is handcalc.classgrade.report_pdf.render_pdf(report, lang) (bytes)
RENDERERS = {"csv": render_csv, "json": render_json, "md": render_markdown}
# the same text in chunks, produced while the report is written (never held whole)
STREAMS = {"csv": iter_csv, "json": iter_json, "md": iter_markdown}


def format_for(path: str | os.PathLike[str], given: str | None, asked: str = "--format") -> str:
    """The report format: ``given`` (asked for by the option ``asked``), else from the
    file's suffix; a known suffix that says another format is refused."""
    name = safe_text(Path(path).name)
    implied = SUFFIXES.get(Path(path).suffix.lower())
    if given:
        if implied is not None and implied != given:
            raise SpecError(msg.refusal("format_mismatch", name=name, implied=implied,
                                        asked=asked, given=given))
        return given
    if implied is None:
        raise SpecError(msg.refusal("format_unknown", name=name))
    return implied
