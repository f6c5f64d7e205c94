"""The Markdown report: the summary a teacher reads.

Every text that comes from the submissions file (its name, learners, codes, reasons that
quote answers) is shown as text: control characters escaped (``handcalc.io.terminal``), HTML
as entities, and the Markdown that could make a link, an image, code, emphasis or a table
cell (``\\ ` * _ [ ] | ~``) backslash-escaped.
"""

from __future__ import annotations

from collections.abc import Iterator

from handcalc.classgrade.core import MAX_LISTED_INVALID, ClassReport, score_text
from handcalc.classgrade.messages import count, in_lang, undecodable
from handcalc.exercises.grade import CARRIED, ROUNDED
from handcalc.io.terminal import safe_text
from handcalc.text.markup import md_data
from handcalc.text.messages import render, tr

TOP_MISTAKES = 3


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _md(text: object) -> str:
    """Text from the submissions file, shown as text in Markdown (a table cell included)."""
    return md_data(safe_text(str(text)))


def _own(text: object) -> str:
    """handcalc's own text (titles of exercises and mistakes) in a table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _say(id: str, lang: str, **args: object) -> str:
    """A line of the report's own words in `lang` (arguments already escaped)."""
    return tr(id, lang, "unicode", **args)


def _lines(report: ClassReport, lang: str = "en") -> Iterator[str]:
    """The report's lines, without their line breaks, in `lang`."""
    counted = right = 0
    for g in report.rows:
        if g.counted:
            counted += 1
            right += g.correct
    yield from (_say("classtext.md.title", lang, source=_md(report.source)), "")
    yield _say("classtext.md.summary", lang, learners=count("learners", len(report.learners)),
               rows=count("rows", len(report.rows)), right=right,
               counted=count("answers", counted), invalid=count("rows", report.invalid_count))
    lost = undecodable(report.invalid)
    if lost is not None:
        yield from ("", _md(in_lang(lost, lang)))
    for e in report.exercises:
        yield from ("", f"## {e.code}: {_own(_title(e, lang))}", "",
                    _say("classtext.md.parts_head", lang),
                    "|---:|---:|---:|---:|---:|---:|---|")
        for p in e.parts:
            top = [f"{_own(_title(m, lang))}{_paren(m.count, lang)}"
                   for m in p.mistakes[:TOP_MISTAKES]]
            if p.unrecognised:
                top.append(_say("classtext.md.unrecognised", lang, count=p.unrecognised))
            yield (f"| {p.part} | {p.answered} | {p.correct} | {_pct(p.share)} | "
                   f"{p.by_path[CARRIED]} | {p.by_path[ROUNDED]} | "
                   f"{', '.join(top) or '-'} |")
    yield from ("", _say("classtext.md.learners", lang), "",
                _say("classtext.md.learners_head", lang),
                "|---|---:|---:|---:|---:|---:|")
    # against an assignment the score is the gradebook's total (points of the counted
    # answers on the learner's version, out of its maximum)
    totals = {m.learner: f"{score_text(m.total)} of {score_text(m.maximum)}"
              for m in report.marks} if report.assignment is not None else {}
    for t in report.learners:
        yield (f"| {_md(t.learner)} | {t.exercises} | {t.answered} | {t.correct} | "
               f"{totals.get(t.learner) or score_text(t.score)} | {t.invalid} |")
    if report.invalid:
        yield from ("", _say("classtext.md.invalid", lang), "",
                    _say("classtext.md.invalid_head", lang), "|---:|---|---|")
        for i in report.invalid:
            yield f"| {i.line} | {_md(i.learner) or '-'} | {_md(in_lang(i.reason, lang))} |"
        if report.unlisted:
            yield from ("", _say("classtext.not_listed", lang, n=report.unlisted,
                                 listed=MAX_LISTED_INVALID))
    if report.warnings:
        yield from ("", _say("classtext.md.notes", lang), "")
        for w in report.warnings:
            yield _say("classtext.md.note", lang, line=w.line, text=_md(in_lang(w.message,
                                                                                lang)))
    first = True
    for g in report.rows:
        if g.note:
            if first:
                yield from ("", _say("classtext.md.shapes", lang), "")
                first = False
            yield _say("classtext.md.shape", lang, line=g.row.line, learner=_md(g.row.learner),
                       text=_md(in_lang(g.note, lang)))


def iter_markdown(report: ClassReport, batch: int = 2000, lang: str = "en") -> Iterator[str]:
    """render_markdown's text in chunks of `batch` lines, produced as they are written."""
    pending: list[str] = []
    for line in _lines(report, lang):
        pending.append(line)
        if len(pending) == batch:
            yield "\n".join(pending) + "\n"
            pending = []
    if pending:
        yield "\n".join(pending) + "\n"


def render_markdown(report: ClassReport, lang: str = "en") -> str:
    """The summary a teacher reads: exercises by part, learners, rows not graded; in
    `lang` (en by default)."""
    return "".join(iter_markdown(report, lang=lang))


def _title(summary: object, lang: str) -> str:
    """An exercise's or a mistake's title in `lang` (its English one when it has no
    message)."""
    text = getattr(summary, "text", None)
    return str(getattr(summary, "title", "")) if text is None or lang == "en" else render(
        text, lang, "unicode")


def _paren(count: int, lang: str) -> str:
    return f" ({count})" if lang == "en" else f"（{count}）"
