"""`handcalc grade SUBMISSIONS.csv`: grade a class's answers (see handcalc.classgrade).

Without -o the Markdown summary (or, with --json, the JSON report) goes to stdout; with
-o the report is written whole or not at all and a one-line summary goes to stdout.
Rows that could not be graded are listed on stderr as `FILE:LINE: reason`, their control
characters escaped. Exit status 0 when the file was graded (even with invalid rows), 2
when it cannot be read at all or the options disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import click

from handcalc.cli import Command
from handcalc.errors import HandcalcError

if TYPE_CHECKING:
    from handcalc.classgrade.output import Report

STDERR_LIMIT = 50
NOT_CLEAN = 3  # graded, but rows were not text in the file's encoding (learners lost rows)


@click.command(cls=Command)
@click.argument("submissions", metavar="SUBMISSIONS.csv")
@click.option("-o", "--output", "output",
              type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
              default=None, metavar="REPORT",
              help="Write the report here (format from the suffix: .csv, .json, .md, .pdf; "
                   "- for standard output).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "md", "pdf"]), default=None,
              help="Report format (default: from the suffix of REPORT; md on stdout). pdf: "
                   "the summary with charts, needs -o.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--encoding", default=None, metavar="NAME",
              help="Encoding of SUBMISSIONS.csv (default: UTF-8, or what its byte-order mark "
                   "says); gb18030 reads GBK files from Chinese spreadsheets.")
@click.option("--spec", "spec", default=None, metavar="SPEC",
              help="The worksheet spec the class answered: totals are out of what it assigns "
                   "(blanks count 0), and rows may name version and exercise instead of code.")
@click.option("--versions", type=int, default=None, metavar="N",
              help="How many versions of SPEC were handed out (default: the spec's).")
@click.option("--feedback", default=None, metavar="FILE",
              help="Write each learner's feedback here: .pdf (a page per learner) or .md.")
@click.option("--gradebook", default=None, metavar="FILE.csv",
              help="Write the gradebook here: learner, total, maximum, percent, one column "
                   "per exercise.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language of the feedback and the PDF report (default: the spec's, else "
                   "HANDCALC_LANG, else the locale).")
@click.option("--font-dir", "font_dirs", multiple=True, type=click.Path(),
              help="A folder of more fonts (.ttf, .otf, .ttc) for the PDFs, for characters "
                   "the built-in fonts lack; repeatable.")
def grade(submissions: str, output: str | None, fmt: str | None, as_json: bool,
          encoding: str | None, spec: str | None, versions: int | None,
          feedback: str | None, gradebook: str | None, lang: str | None,
          font_dirs: tuple[str, ...]) -> None:
    """Grade a class's answers in SUBMISSIONS.csv (header learner,code,part,answer, or with
    --spec learner,version,exercise,part,answer; - reads standard input).

    Each row is graded to 2 decimal places, with carried-forward credit from the
    learner's own earlier parts of the same code and a diagnosis of known mistakes.
    The report has per-row verdicts (CSV), everything (JSON) or a summary for the
    teacher (Markdown): per exercise and part the share correct and the most frequent
    mistakes, and per learner the totals; the PDF adds charts.
    """
    import gc
    import os

    from handcalc import classgrade as cg
    from handcalc.classgrade.assign import load_assignment
    from handcalc.classgrade.feedback import FEEDBACK_FORMATS, render_feedback
    from handcalc.classgrade.gradebook import render_gradebook
    from handcalc.classgrade.messages import count, in_lang, undecodable
    from handcalc.classgrade.parallel import Parallel
    from handcalc.classgrade.report_pdf import render_pdf
    from handcalc.classgrade.words import resolve_lang
    from handcalc.cli import ExitNow, use_lang
    from handcalc.io.fileio import FILE, STDOUT, is_input, output_target
    from handcalc.io.terminal import can_encode, json_ascii, safe_text
    from handcalc.text.messages import tr

    asked = "--format"
    if as_json:
        if fmt not in (None, "json"):
            raise HandcalcError(cg.messages.refusal("json_and_format", fmt=fmt))
        fmt, asked = "json", "--json"
    if encoding is not None:
        cg.check_encoding(encoding)
    target = None
    if output is not None:
        target = output_target(output, "-o")  # an empty name: exit 2, nothing written
        if target.kind != FILE and fmt is None and not cg.SUFFIXES.get(
                os.path.splitext(output)[1].lower()):
            fmt = "md"  # standard output, a device or a FIFO: Markdown unless told
        fmt = cg.format_for(output, fmt, asked)
        if target.kind == FILE and is_input(target.real, submissions):
            raise HandcalcError(cg.messages.refusal(
                "overwrites", what=cg.messages.refusal("what.report")))
    elif fmt == "pdf":
        raise HandcalcError(cg.messages.refusal("pdf_needs_file"))
    if versions is not None and spec is None:
        raise HandcalcError(cg.messages.refusal("versions_need_spec"))
    feedback_fmt = None
    if feedback is not None:
        output_target(feedback, "--feedback")  # an empty name: exit 2, nothing written
        feedback_fmt = FEEDBACK_FORMATS.get(os.path.splitext(feedback)[1].lower())
        if feedback_fmt is None:
            raise HandcalcError(cg.messages.refusal("feedback_suffix", name=safe_text(feedback)))
    if gradebook is not None:
        output_target(gradebook, "--gradebook")
        if not gradebook.lower().endswith(".csv"):
            raise HandcalcError(cg.messages.refusal("gradebook_suffix",
                                                    name=safe_text(gradebook)))
    _distinct(submissions, {"-o": output, "--feedback": feedback, "--gradebook": gradebook})
    if font_dirs:
        from handcalc.sheets.fonts import font_folders

        font_folders(font_dirs)  # refuses a name that is not a folder
    # The cyclic garbage collector finds nothing to collect in a class's verdicts (they
    # hold no reference cycles; 5 objects in 11 full collections on 100,000 rows), but
    # each of its full passes walks every object of the class: a fifth of the time.
    # Reference counting frees everything as before.
    collecting = gc.isenabled()
    gc.disable()
    try:
        grader = cg.ClassGrader()
        assignment = None if spec is None else load_assignment(spec, versions, grader.job, lang)
        language = resolve_lang(lang or (assignment.lang if assignment is not None else None))
        use_lang(language)  # what goes wrong from now on is said in the teacher's language
        # a large class is graded on every core (at most MAX_PROCESSES), a small one here
        report = cg.grade_file(submissions, grader, encoding=encoding, assignment=assignment,
                               grading=Parallel())
        name = safe_text(cg.source_name(submissions))
        for i in report.invalid[:STDERR_LIMIT]:
            click.echo(f"{name}:{i.line}: {safe_text(in_lang(i.reason, language))}", err=True)
        if report.invalid_count > STDERR_LIMIT:
            listed = (tr("classtext.all_listed", language) if not report.unlisted else
                      tr("classtext.first_listed", language, count=len(report.invalid)))
            click.echo(tr("classtext.more_rows", language, name=name,
                          n=report.invalid_count - STDERR_LIMIT, listed=listed), err=True)
        _check_pdf_size(len(report.learners), output if fmt == "pdf" else None,
                        feedback if feedback_fmt == "pdf" else None)
        pdfs = [(o, path) for o, path, wanted in (("-o", output, fmt == "pdf"),
                                                   ("--feedback", feedback, feedback_fmt == "pdf"))
                if wanted and path is not None]
        unprintable = _unprintable(report, font_dirs, language) if pdfs else frozenset()
        files: list[tuple[str, Report]] = []
        failed: HandcalcError | None = None  # a PDF that could not be made (a font missing)
        if output is not None:  # a text report is written as it is produced, never held whole
            if fmt == "pdf":
                failed = _pdf(files, output, "-o", language, failed,
                              lambda: render_pdf(report, language, font_dirs, unprintable))
            else:
                files.append((output, _stream(fmt or "md", report, language)))
        if gradebook is not None:
            files.append((gradebook, render_gradebook(report)))
        if feedback is not None and feedback_fmt is not None:
            failed = _pdf(files, feedback, "--feedback", language, failed,
                          lambda: render_feedback(report, grader, language, feedback_fmt,
                                                  font_dirs, unprintable))
        text = "".join(_stream(fmt or "md", report, language)) if target is None else ""
        cg.write_reports(files)  # all of them land together, or none
        if failed is not None:  # the outputs that need no font are written all the same
            raise failed
        if target is None:
            if sys.stdout.isatty():
                text = "\n".join(safe_text(line) for line in text.split("\n"))
            if fmt == "json" and not can_encode(text, getattr(sys.stdout, "encoding", None)):
                text = json_ascii(text)  # the same JSON, as \u escapes
            click.echo(text, nl=False)
        else:
            counted = [g for g in report.rows if g.counted]
            click.echo(tr("classtext.graded", language, rows=count("rows", len(report.rows)),
                          learners=count("learners", len(report.learners)),
                          right=sum(g.correct for g in counted),
                          counted=count("answers", len(counted)),
                          invalid=count("rows", report.invalid_count), name=safe_text(output)),
                       err=target.kind == STDOUT)
        lost = undecodable(report.invalid)
        if lost is not None:  # learners lost rows to the encoding: the file was not clean
            click.echo("handcalc: " + in_lang(lost, language), err=True)
        # everything is written and the workers have ended: the process ends without the
        # interpreter's teardown, which freed a large class's report object by object
        # (about 0.9 s at 100,000 rows) for no one (cli.ExitNow)
        raise ExitNow(0 if lost is None else NOT_CLEAN)
    finally:
        if collecting:
            gc.enable()


def _check_pdf_size(learners: int, report_file: str | None, feedback_file: str | None) -> None:
    """Refuse a PDF for more learners than Typst typesets in bounded memory (about 2 GiB at
    most; see MAX_PDF_LEARNERS in report_pdf and feedback)."""
    from handcalc.classgrade import feedback, report_pdf
    from handcalc.classgrade import messages as msg
    from handcalc.io.terminal import safe_text

    for option, name, cap, what, kb in (
            ("-o", report_file, report_pdf.MAX_PDF_LEARNERS, "report", 130),
            ("--feedback", feedback_file, feedback.MAX_PDF_LEARNERS, "feedback", 280)):
        if name is not None and learners > cap:
            raise HandcalcError(msg.refusal(
                "too_many_for_pdf", option=option, name=safe_text(name), count=f"{learners:,}",
                cap=f"{cap:,}", what=msg.refusal(f"what.{what}"), kb=kb,
                instead=msg.refusal(f"instead.{what}")))


def _stream(fmt: str, report: object, lang: str) -> Iterable[str]:
    """A text report in chunks: Markdown, and the CSV report's sentences, in the teacher's
    language; JSON as it is in every language (a program reads it)."""
    from handcalc import classgrade as cg
    from handcalc.classgrade.report_csv import iter_csv
    from handcalc.classgrade.report_md import iter_markdown

    if fmt == "md":
        return iter_markdown(report, lang=lang)  # type: ignore[arg-type]
    if fmt == "csv":
        return iter_csv(report, lang=lang)  # type: ignore[arg-type]
    return cg.STREAMS[fmt](report)  # type: ignore[no-any-return]


def _unprintable(report: object, font_dirs: tuple[str, ...], lang: str) -> frozenset[str]:
    """The characters of learners' text that no font has (printed as code points in the
    PDFs), with one warning line on stderr per row holding some."""
    from handcalc.classgrade.glyphs import find_unprintable, shown
    from handcalc.cli import stream_target
    from handcalc.io.terminal import safe_text
    from handcalc.text.messages import tr

    found = find_unprintable(report, font_dirs)
    for line, learner, chars in found.where:
        click.echo("handcalc: " + tr("classtext.unprintable", lang, stream_target(err=True),
                                     line=line, learner=safe_text(learner), chars=chars,
                                     shown=" ".join(shown(c) for c in chars)), err=True)
    return found.chars


def _pdf(files: list[tuple[str, Report]], path: str, option: str, lang: str,
         failed: HandcalcError | None, render: Callable[[], Report]) -> HandcalcError | None:
    """Render a PDF output into `files`; when it cannot be made (a character of the
    teacher's text that no font has), the error to raise once the other outputs are
    written (the first such error is kept)."""
    from handcalc.errors import MissingGlyphs
    from handcalc.io.terminal import safe_text
    from handcalc.text.messages import tr

    try:
        files.append((path, render()))
    except MissingGlyphs as e:
        return failed or HandcalcError(tr("classtext.pdf_not_written", lang,
                                          what=f"{option} {safe_text(path)}", why=str(e)))
    return failed


def _distinct(submissions: str, outputs: dict[str, str | None]) -> None:
    """Refuse an output that is the submissions file or another output of the command."""
    import os

    from handcalc.classgrade import messages as msg
    from handcalc.io.fileio import is_input
    from handcalc.io.terminal import safe_text

    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if path is None or path == "-":
            continue
        if is_input(path, submissions):
            what = "report" if option == "-o" else option.lstrip("-")
            raise HandcalcError(msg.refusal("overwrites", what=msg.refusal(f"what.{what}")))
        key = os.path.realpath(path)
        if key in seen:
            raise HandcalcError(msg.refusal("same_file", first=seen[key], second=option,
                                            name=safe_text(path)))
        seen[key] = option
