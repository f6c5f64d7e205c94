"""The Markdown report: the summary a teacher reads.

Every text that comes from the submissions file (its name, learners, codes, reasons that
quote answers) is shown as text: control characters escaped (``handcalc.io.terminal``), HTML
as entities, and the Markdown that could make a link, an image, code, emphasis or a table
cell (``\\ ` * _ [ ] | ~``) backslash-escaped.
"""

from __future__ import annotations

from collections.abc import Iterator

from handcalc.classgrade import messages as msg
from handcalc.classgrade.core import MAX_LISTED_INVALID, ClassReport, score_text
from handcalc.exercises.grade import CARRIED, ROUNDED
from handcalc.io.terminal import safe_text
from handcalc.text.markup import md_data

TOP_MISTAKES = 3


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _md(text: object) -> str:
    """Text from the submissions file, shown as text in Markdown (a table cell included)."""
    return md_data(safe_text(str(text)))


def _own(text: object) -> str:
    """handcalc's own text (titles of exercises and mistakes) in a table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _lines(report: ClassReport) -> Iterator[str]:
    """The report's lines, without their line breaks."""
    counted = right = 0
    for g in report.rows:
        if g.counted:
            counted += 1
            right += g.correct
    yield from (f"# Class report: {_md(report.source)}", "")
    yield (f"{len(report.learners)} learners, {len(report.rows)} rows graded "
           f"({right} of {counted} counted answers correct), "
           f"{report.invalid_count} rows could not be graded.")
    for e in report.exercises:
        yield from ("", f"## {e.code}: {_own(e.title)}", "",
                    "| Part | Answered | Correct | Share | Carried forward | Rounded "
                    "intermediates | Most frequent mistakes |",
                    "|---:|---:|---:|---:|---:|---:|---|")
        for p in e.parts:
            top = [f"{_own(m.title)} ({m.count})" for m in p.mistakes[:TOP_MISTAKES]]
            if p.unrecognised:
                top.append(f"unrecognised ({p.unrecognised})")
            yield (f"| {p.part} | {p.answered} | {p.correct} | {_pct(p.share)} | "
                   f"{p.by_path[CARRIED]} | {p.by_path[ROUNDED]} | "
                   f"{', '.join(top) or '-'} |")
    yield from ("", "## Learners", "",
                "| Learner | Exercises | Answered | Correct | Score | Invalid rows |",
                "|---|---:|---:|---:|---:|---:|")
    # against an assignment the score is the gradebook's total (points of the counted
    # answers on the learner's version, out of its maximum)
    totals = {m.learner: f"{score_text(m.total)} of {score_text(m.maximum)}"
              for m in report.marks} if report.assignment is not None else {}
    for t in report.learners:
        yield (f"| {_md(t.learner)} | {t.exercises} | {t.answered} | {t.correct} | "
               f"{totals.get(t.learner) or score_text(t.score)} | {t.invalid} |")
    if report.invalid:
        yield from ("", "## Rows that could not be graded", "", "| Line | Learner | Reason |",
                    "|---:|---|---|")
        for i in report.invalid:
            yield f"| {i.line} | {_md(i.learner) or '-'} | {_md(i.reason)} |"
        if report.unlisted:
            yield from ("", msg.NOT_LISTED.format(count=report.unlisted,
                                                  listed=MAX_LISTED_INVALID))
    if report.warnings:
        yield from ("", "## Notes", "")
        for w in report.warnings:
            yield f"- line {w.line}: {_md(w.message)}"
    first = True
    for g in report.rows:
        if g.note:
            if first:
                yield from ("", "## Answers of the wrong shape (graded as incorrect)", "")
                first = False
            yield f"- line {g.row.line} ({_md(g.row.learner)}): {_md(g.note)}"


def iter_markdown(report: ClassReport, batch: int = 2000) -> Iterator[str]:
    """render_markdown's text in chunks of `batch` lines, produced as they are written."""
    pending: list[str] = []
    for line in _lines(report):
        pending.append(line)
        if len(pending) == batch:
            yield "\n".join(pending) + "\n"
            pending = []
    if pending:
        yield "\n".join(pending) + "\n"


def render_markdown(report: ClassReport) -> str:
    """The summary a teacher reads: exercises by part, learners, rows not graded."""
    return "".join(iter_markdown(report))
