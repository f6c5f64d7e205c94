"""The Markdown report: the summary a teacher reads.

Every text that comes from the submissions file (its name, learners, codes, reasons that
quote answers) is shown as text: control characters escaped (``handcalc.terminal``), HTML
as entities, and the Markdown that could make a link, an image, code, emphasis or a table
cell (``\\ ` * _ [ ] | ~``) backslash-escaped.
"""

from __future__ import annotations

import re

from handcalc.classgrade import messages as msg
from handcalc.classgrade.core import MAX_LISTED_INVALID, ClassReport, score_text
from handcalc.grade import CARRIED, ROUNDED
from handcalc.terminal import safe_text

TOP_MISTAKES = 3


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _md(text: object) -> str:
    """Text from the submissions file, shown as text in Markdown (a table cell included)."""
    return _MARKDOWN.sub(r"\\\1", safe_text(str(text)).translate(_HTML))


def _own(text: object) -> str:
    """handcalc's own text (titles of exercises and mistakes) in a table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ClassReport) -> str:
    """The summary a teacher reads: exercises by part, learners, rows not graded."""
    counted = [g for g in report.rows if g.counted]
    right = sum(g.correct for g in counted)
    out = [f"# Class report: {_md(report.source)}", ""]
    out.append(f"{len(report.learners)} learners, {len(report.rows)} rows graded "
               f"({right} of {len(counted)} counted answers correct), "
               f"{report.invalid_count} rows could not be graded.")
    for e in report.exercises:
        out += ["", f"## {e.code}: {_own(e.title)}", "",
                "| Part | Answered | Correct | Share | Carried forward | Rounded "
                "intermediates | Most frequent mistakes |",
                "|---:|---:|---:|---:|---:|---:|---|"]
        for p in e.parts:
            top = [f"{_own(m.title)} ({m.count})" for m in p.mistakes[:TOP_MISTAKES]]
            if p.unrecognised:
                top.append(f"unrecognised ({p.unrecognised})")
            out.append(f"| {p.part} | {p.answered} | {p.correct} | {_pct(p.share)} | "
                       f"{p.by_path[CARRIED]} | {p.by_path[ROUNDED]} | "
                       f"{', '.join(top) or '-'} |")
    out += ["", "## Learners", "",
            "| Learner | Exercises | Answered | Correct | Score | Invalid rows |",
            "|---|---:|---:|---:|---:|---:|"]
    for t in report.learners:
        out.append(f"| {_md(t.learner)} | {t.exercises} | {t.answered} | {t.correct} | "
                   f"{score_text(t.score)} | {t.invalid} |")
    if report.invalid:
        out += ["", "## Rows that could not be graded", "", "| Line | Learner | Reason |",
                "|---:|---|---|"]
        out += [f"| {i.line} | {_md(i.learner) or '-'} | {_md(i.reason)} |"
                for i in report.invalid]
        if report.unlisted:
            out += ["", msg.NOT_LISTED.format(count=report.unlisted, listed=MAX_LISTED_INVALID)]
    if report.warnings:
        out += ["", "## Notes", ""] + [f"- line {w.line}: {_md(w.message)}"
                                       for w in report.warnings]
    notes = [g for g in report.rows if g.note]
    if notes:
        out += ["", "## Answers of the wrong shape (graded as incorrect)", ""]
        out += [f"- line {g.row.line} ({_md(g.row.learner)}): {_md(g.note)}" for g in notes]
    return "\n".join(out) + "\n"


