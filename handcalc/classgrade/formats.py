"""Report formats: the renderer of each, and the format a report file's name implies."""

from __future__ import annotations

import os
from pathlib import Path

from handcalc.classgrade.report_csv import render_csv
from handcalc.classgrade.report_json import render_json
from handcalc.classgrade.report_md import render_markdown
from handcalc.errors import SpecError

FORMATS = ("csv", "json", "md")
SUFFIXES = {".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md"}

RENDERERS = {"csv": render_csv, "json": render_json, "md": render_markdown}


def format_for(path: str | os.PathLike[str], given: str | None) -> str:
    """The report format: ``given``, else from the file's suffix."""
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise SpecError(f"cannot tell the report format from '{Path(path).name}': use a .csv, "
                        ".json or .md name, or --format csv|json|md")
    return SUFFIXES[suffix]


