"""The CSV report: one line per row of the submissions file, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re

from handcalc.classgrade import messages as msg
from handcalc.classgrade.core import MAX_LISTED_INVALID, ClassReport, score_text

CSV_COLUMNS = ("line", "learner", "code", "part", "answer", "status", "score", "accepted_by",
               "mistake", "diagnosis", "counted", "note")
_FORMULA = re.compile(r"^[=+\-@\t\r]")  # what a spreadsheet may run as a formula
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (learners write these cells)."""
    text = "" if value is None else str(value)
    if _FORMULA.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def render_csv(report: ClassReport) -> str:
    """One line per row of the submissions file, graded or invalid, in file order (and a
    last line that counts the invalid rows beyond the listed ones, if any)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    lines: list[tuple[int, list[object]]] = []
    for g in report.rows:
        r, v = g.row, g.verdict
        d = None if v is None else v.diagnosis
        lines.append((r.line, [r.line, r.learner, r.code, r.part, r.text,
                               "correct" if g.correct else "incorrect", score_text(g.score),
                               g.accepted_by or "", d.mistake.id if d else "",
                               str(d.text()) if d else "", "yes" if g.counted else "no",
                               g.note]))
    for i in report.invalid:
        lines.append((i.line, [i.line, i.learner, i.code, i.part, i.answer, "invalid", "",
                               "", "", "", "no", i.reason]))
    for _, cells in sorted(lines, key=lambda x: x[0]):
        w.writerow([_cell(c) for c in cells])
    if report.unlisted:
        w.writerow(["", "", "", "", "", "invalid", "", "", "", "", "no",
                    msg.NOT_LISTED.format(count=report.unlisted, listed=MAX_LISTED_INVALID)])
    return out.getvalue()

