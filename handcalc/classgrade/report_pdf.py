"""The class report as a PDF for the teacher (``-o report.pdf``, ``--format pdf``): the summary
the Markdown report gives, and three charts drawn with Typst's own boxes (no plotting
package, nothing fetched when compiling):

1. a histogram of the learners' percentages (10 bins: 0-10, ..., 90-100; 100 falls in the
   last), of the learners with a sheet (without a spec, a learner none of whose rows could
   be graded has none);
2. the share correct per exercise and part, over every learner the part was assigned to
   (a blank counts as not correct);
3. the most frequent catalogued mistakes per part (the top TOP_MISTAKES, with counts).

With a spec, parts are taken per exercise of the sheet (exercise e of every version
together); without one, per code. The source holds no date and no path: one class gives
the same bytes every time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from os import PathLike

from handcalc.classgrade.core import ClassReport
from handcalc.classgrade.glyphs import teacher_texts
from handcalc.classgrade.marks import BLANK, CORRECT, decimal
from handcalc.classgrade.messages import in_lang
from handcalc.classgrade.typst_doc import compile_pdf, preamble
from handcalc.classgrade.words import escape, say, show
from handcalc.exercises.datacode import short
from handcalc.io.terminal import safe_text

TOP_MISTAKES = 3
BINS = 10
MAX_LISTED_ROWS = 100  # rows that could not be graded, listed in the PDF
# Typst holds a whole document while it typesets it: about 130 KB per learner for this
# report (measured: 220 MB peak at 1,000 learners, 610 MB at 4,000). 10,000 learners stay
# near 1.4 GB; a larger class is refused with one line (benchmarks/grade_pdf_memory.py)
MAX_PDF_LEARNERS = 10_000


@dataclass
class SlotPart:
    """One part of one exercise of the sheet (or of one code), over the class."""

    label: str  # "Exercise 3 (2)" in the report's language, unicode
    learners: int = 0
    correct: int = 0
    blank: int = 0
    mistakes: Counter[str] = field(default_factory=Counter)

    @property
    def share(self) -> Fraction:
        return Fraction(self.correct, self.learners) if self.learners else Fraction(0)


def slot_parts(report: ClassReport, lang: str) -> list[SlotPart]:
    """Every (exercise, part) of the class's sheets, in order."""
    found: dict[tuple[int, int], SlotPart] = {}
    for m in report.marks:
        for e in m.exercises:
            for p in e.parts:
                key = (e.exercise, p.part)
                if key not in found:
                    name = e.exercise if report.assignment is not None else short(e.code)
                    found[key] = SlotPart(say("classflow.chart.slot", lang, "unicode",
                                              exercise=name, part=p.part))
                s = found[key]
                s.learners += 1
                s.correct += p.status == CORRECT
                s.blank += p.status == BLANK
                if p.graded is not None and p.graded.mistake and not p.graded.correct:
                    s.mistakes[p.graded.mistake] += 1
    return [found[k] for k in sorted(found)]


def histogram(percents: list[Fraction]) -> list[int]:
    bins = [0] * BINS
    for x in percents:
        bins[min(BINS - 1, max(0, int(x * BINS // 100)))] += 1
    return bins


def _t(text: str) -> str:
    return escape(safe_text(text), "typst")


def _histogram(report: ClassReport, lang: str) -> str:
    bins = histogram([m.percent for m in report.marks if m.maximum])
    top = max(bins) or 1
    bars = ", ".join(
        f"[#text(size: 8pt)[{n}] \\ #rect(width: 100%, height: {3.5 * n / top:.3f}cm, "
        f"fill: rgb(\"#4a78b5\"), stroke: none)]" for n in bins)
    labels = ", ".join(f"[#text(size: 8pt)[{10 * i}–{10 * i + 10}]]" for i in range(BINS))
    axis = say("classflow.chart.learners", lang, "typst")
    return (f"#block(breakable: false)[== {say('classflow.chart.histogram', lang, 'typst')}\n"
            f"#text(size: 8.5pt, fill: luma(80))[{axis}, %]\n"
            f"#grid(columns: ({', '.join(['1fr'] * BINS)}), column-gutter: 3pt, row-gutter: 3pt,"
            f" align: center + bottom, {bars},\n"
            f"grid.hline(stroke: 0.6pt), {labels})]")


def _bar(share: Fraction, colour: str, text: str) -> str:
    width = f"{float(share) * 100:.2f}%"
    return (f"[#box(width: 100%, height: 0.9em, fill: luma(235))[#place(rect(width: {width}, "
            f"height: 0.9em, fill: {colour}, stroke: none))]], [#text(size: 8.5pt)[{text}]]")


def _shares(parts: list[SlotPart], lang: str) -> str:
    rows = []
    for s in parts:
        extra = (" " + say("classflow.chart.blank", lang, "typst", count=s.blank)
                 if s.blank else "")
        pct = decimal(s.share * 100, 0)
        rows.append(f"[#text(size: 8.5pt)[{_t(s.label)}]], "
                    + _bar(s.share, 'rgb("#1b7f3b")', f"{pct}% ({s.correct}/{s.learners}){extra}"))
    return (f"== {say('classflow.chart.share', lang, 'typst')}\n"
            f"#grid(columns: (auto, 1fr, 9em), column-gutter: 0.8em, row-gutter: 0.45em, "
            f"align: horizon, {', '.join(rows)})")


def _mistakes(parts: list[SlotPart], lang: str) -> str:
    from handcalc.core.mistakes import CATALOGUE

    head = f"== {say('classflow.chart.mistakes', lang, 'typst')}\n"
    top = max((n for s in parts for n in s.mistakes.values()), default=0)
    blocks = []
    for s in parts:
        if not s.mistakes:
            continue
        rows = []
        for mid, n in sorted(s.mistakes.items(), key=lambda x: (-x[1], x[0]))[:TOP_MISTAKES]:
            title = show(CATALOGUE[mid].title, lang, "typst")
            rows.append(f"[#h(1em)#text(size: 8.5pt)[{title}]], "
                        + _bar(Fraction(n, top), 'rgb("#b3261e")', str(n)))
        # a part's bars stay with its label; fixed columns line the bars up across parts
        blocks.append(f"#block(breakable: false, above: 0.6em, below: 0.6em)["
                      f"#text(size: 8.5pt, weight: \"bold\")[{_t(s.label)}]\n"
                      f"#grid(columns: (17em, 1fr, 3em), column-gutter: 0.8em, "
                      f"row-gutter: 0.45em, align: horizon, {', '.join(rows)})]")
    if not blocks:
        return head + f"#text(size: 9pt)[{say('classflow.chart.none', lang, 'typst')}]"
    return head + "\n".join(blocks)


def _learners(report: ClassReport, lang: str) -> str:
    cols = ["learner", "version", "total", "maximum", "percent", "correct", "blank"]
    if report.assignment is None:
        cols.remove("version")
    head = ", ".join(f"[*{say('classflow.col.' + c, lang, 'typst')}*]" for c in cols)
    rows = []
    for m in report.marks:
        parts = [p for e in m.exercises for p in e.parts]
        cells = {"learner": _t(m.learner), "version": str(m.version),
                 "total": decimal(m.total), "maximum": decimal(m.maximum),
                 "percent": decimal(m.percent, 1),
                 "correct": str(sum(p.status == CORRECT for p in parts)),
                 "blank": str(sum(p.status == BLANK for p in parts))}
        rows.append(", ".join(f"[{cells[c]}]" for c in cols))
    align = "(" + ", ".join("left" if c == "learner" else "right" for c in cols) + ")"
    return (f"== {say('classflow.report.learners', lang, 'typst')}\n"
            f"#table(columns: {len(cols)}, align: {align}, stroke: 0.4pt + luma(180), "
            f"inset: (x: 5pt, y: 3pt), {head}, {', '.join(rows)})")


def _invalid(report: ClassReport, lang: str) -> str:
    if not report.invalid_count:
        return ""
    lines = ["- " + say("classflow.report.line", lang, "typst", line=i.line,
                        reason=safe_text(in_lang(i.reason, lang)))
             for i in report.invalid[:MAX_LISTED_ROWS]]
    more = report.invalid_count - len(lines)
    if more:
        lines.append(f"- {say('classflow.report.more', lang, 'typst', count=more)}")
    return (f"== {say('classflow.report.invalid', lang, 'typst')}\n#text(size: 9pt)[\n"
            + "\n".join(lines) + "\n]")


def report_typst(report: ClassReport, lang: str) -> str:
    counted = [g for g in report.rows if g.counted]
    title = say("classflow.report.title", lang, "unicode", source=safe_text(report.source))
    out = [preamble(title, lang), f"= {_t(title)}"]
    summary = say("classflow.report.summary", lang, "typst", learners=len(report.learners),
                  rows=len(report.rows), correct=sum(g.correct for g in counted),
                  counted=len(counted), invalid=report.invalid_count)
    if report.assignment is not None:
        summary += " " + say("classflow.report.assignment", lang, "typst",
                             spec=safe_text(report.assignment.name),
                             versions=len(report.assignment.versions))
    pcts = sorted(m.percent for m in report.marks if m.maximum)  # learners with a sheet
    if pcts:
        mid = len(pcts) // 2
        median = pcts[mid] if len(pcts) % 2 else (pcts[mid - 1] + pcts[mid]) / 2
        summary += " " + say("classflow.report.average", lang, "typst",
                             percent=decimal(sum(pcts, Fraction(0)) / len(pcts), 1),
                             median=decimal(median, 1))
    out.append(summary)
    parts = slot_parts(report, lang)
    out += [_histogram(report, lang), _shares(parts, lang), _mistakes(parts, lang),
            _learners(report, lang), _invalid(report, lang)]
    return "\n\n".join(x for x in out if x) + "\n"


def render_pdf(report: ClassReport, lang: str = "en",
               font_dirs: Sequence[str | PathLike[str]] = (),
               unprintable: Iterable[str] = ()) -> bytes:
    """The PDF report; learners' characters in `unprintable` printed as code points
    (handcalc.classgrade.glyphs), the fonts of `font_dirs` added to the shipped ones."""
    return compile_pdf(report_typst(report, lang), "-o", font_dirs, unprintable,
                       teacher_texts(report))

