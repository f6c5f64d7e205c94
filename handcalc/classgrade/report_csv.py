"""The CSV report: one line per row of the submissions file, safe to open in a spreadsheet.

Column names, statuses, scores, ``accepted_by`` and mistake ids are the same in every
language (a program reads them); the sentences a teacher reads (the diagnosis, the note,
why a row was not graded) follow the report's language."""

from __future__ import annotations

import csv
import heapq
import io
import re
from collections.abc import Iterable, Iterator, Sequence

from handcalc.classgrade import messages as msg
from handcalc.classgrade.core import MAX_LISTED_INVALID, ClassReport, score_text

CSV_COLUMNS = ("line", "learner", "code", "part", "answer", "status", "score", "accepted_by",
               "mistake", "diagnosis", "counted", "note")
# what a spreadsheet may run as a formula: = + - @ (their full-width forms too, which some
# spreadsheets read as the ASCII ones), a tab or a carriage return first
_FORMULA = re.compile("^[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (learners write these cells)."""
    text = "" if value is None else str(value)
    if _FORMULA.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _graded_cells(report: ClassReport, lang: str = "en") -> Iterator[tuple[int, list[object]]]:
    """(line, cells) of each graded row, in the order of report.rows; the cells that come
    from a verdict are worked out once per verdict."""
    by_verdict: dict[int, tuple[object, list[object]]] = {}
    for g in report.rows:
        r, v = g.row, g.verdict
        found = by_verdict.get(id(v)) if v is not None else None
        if found is None or found[0] is not v:
            d = None if v is None else v.diagnosis
            found = (v, ["correct" if g.correct else "incorrect", score_text(g.score),
                         g.accepted_by or "", d.mistake.id if d else "",
                         _text(d.text(), lang) if d else ""])
            if v is not None:
                by_verdict[id(v)] = found
        yield r.line, [r.line, r.learner, r.code, r.part, r.text, *found[1],
                       "yes" if g.counted else "no", msg.in_lang(g.note, lang)]


def _text(text: object, lang: str) -> str:
    """A diagnosis in `lang` (English as str() gives it)."""
    from handcalc.text.messages import RENDERED, render

    return render(text, lang, "unicode") if lang != "en" and isinstance(
        text, RENDERED) else str(text)


def _invalid_cells(report: ClassReport, lang: str = "en") -> Iterator[tuple[int, list[object]]]:
    for i in report.invalid:
        yield i.line, [i.line, i.learner, i.code, i.part, i.answer, "invalid", "", "", "", "",
                       "no", msg.in_lang(i.reason, lang)]


def _in_order(report: ClassReport, lang: str = "en") -> Iterable[tuple[int, list[object]]]:
    """Every line's cells by line number (graded rows before invalid ones on a tie, as a
    stable sort of the graded rows then the invalid ones gives them)."""
    def ordered(lines: Sequence[int]) -> bool:
        return all(a <= b for a, b in zip(lines, lines[1:], strict=False))

    graded, invalid = _graded_cells(report, lang), _invalid_cells(report, lang)
    if ordered([g.row.line for g in report.rows]) and ordered([i.line for i in report.invalid]):
        return heapq.merge(graded, invalid, key=lambda x: x[0])
    return sorted([*graded, *invalid], key=lambda x: x[0])


def iter_csv(report: ClassReport, batch: int = 2000, lang: str = "en") -> Iterator[str]:
    """render_csv's text in chunks of `batch` lines, produced as they are written."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for n, (_, cells) in enumerate(_in_order(report, lang), 1):
        w.writerow([_cell(c) for c in cells])
        if n % batch == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    if report.unlisted:
        w.writerow(["", "", "", "", "", "invalid", "", "", "", "", "no",
                    msg.in_lang(msg.said("classtext.not_listed", n=report.unlisted,
                                         listed=MAX_LISTED_INVALID), lang)])
    yield out.getvalue()


def render_csv(report: ClassReport) -> str:
    """One line per row of the submissions file, graded or invalid, in file order (and a
    last line that counts the invalid rows beyond the listed ones, if any)."""
    return "".join(iter_csv(report))
