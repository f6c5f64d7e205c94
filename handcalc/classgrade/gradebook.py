"""The gradebook: one line per learner (learner, then student_id when the class file has a
student-number column such as 学号, total, maximum, percent, then one column per
exercise: "exercise 1", ... with a spec, else one per code), for a spreadsheet or an LMS
gradebook import. Totals are decimal strings (7, 7.5, 6.67); the column names are the same
in every language (a machine reads them). A learner's name is protected like every cell the
CSV report writes (no formula runs)."""

from __future__ import annotations

import csv
import io

from handcalc.classgrade.core import ClassReport
from handcalc.classgrade.marks import decimal
from handcalc.classgrade.read import STUDENT_ID
from handcalc.classgrade.report_csv import _cell

GRADEBOOK_COLUMNS = ("learner", "total", "maximum", "percent")


def render_gradebook(report: ClassReport) -> str:
    """One line per learner; with a spec a last column says the learner's version."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    with_version = report.assignment is not None
    ids = report.student_ids
    head = list(GRADEBOOK_COLUMNS)
    if ids:  # a class file with student numbers: a school's system imports by them
        head.insert(1, STUDENT_ID)
    w.writerow(head + list(report.columns) + (["version"] * with_version))
    for m in report.marks:
        by_column = {e.exercise: e.total for e in m.exercises}
        cells: list[object] = [m.learner, decimal(m.total), decimal(m.maximum),
                               decimal(m.percent, 1)]
        if ids:
            cells.insert(1, ids.get(m.learner, ""))
        cells += [decimal(by_column[n]) if n in by_column else ""
                  for n in range(1, len(report.columns) + 1)]
        if with_version:
            cells.append(m.version)
        w.writerow([_cell(c) for c in cells])
    return out.getvalue()
