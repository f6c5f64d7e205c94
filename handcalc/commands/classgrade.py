"""`handcalc grade SUBMISSIONS.csv`: grade a class's answers (see handcalc.classgrade).

Without -o the Markdown summary (or, with --json, the JSON report) goes to stdout; with
-o the report is written whole or not at all and a one-line summary goes to stdout.
Rows that could not be graded are listed on stderr as `FILE:LINE: reason`, their control
characters escaped. Exit status 0 when the file was graded (even with invalid rows), 2
when it cannot be read at all or the options disagree.
"""

from __future__ import annotations

import sys

import click

STDERR_LIMIT = 50


@click.command()
@click.argument("submissions", metavar="SUBMISSIONS.csv")
@click.option("-o", "--output", "output",
              type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
              default=None, metavar="REPORT",
              help="Write the report here (format from the suffix: .csv, .json, .md; "
                   "- for standard output).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "md"]), default=None,
              help="Report format (default: from the suffix of REPORT; md on stdout).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--encoding", default=None, metavar="NAME",
              help="Encoding of SUBMISSIONS.csv (default: UTF-8, or what its byte-order mark "
                   "says); gb18030 reads GBK files from Chinese spreadsheets.")
def grade(submissions: str, output: str | None, fmt: str | None, as_json: bool,
          encoding: str | None) -> None:
    """Grade a class's answers in SUBMISSIONS.csv (header learner,code,part,answer;
    - reads standard input).

    Each row is graded to 2 decimal places, with carried-forward credit from the
    learner's own earlier parts of the same code and a diagnosis of known mistakes.
    The report has per-row verdicts (CSV), everything (JSON) or a summary for the
    teacher (Markdown): per exercise and part the share correct and the most frequent
    mistakes, and per learner the totals.
    """
    import os

    from handcalc import classgrade as cg
    from handcalc.fileio import FILE, STDOUT, output_target, same_path
    from handcalc.terminal import safe_text

    asked = "--format"
    if as_json:
        if fmt not in (None, "json"):
            raise click.UsageError(f"--json and --format {fmt} disagree")
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
        if target.kind == FILE and same_path(target.real, submissions):
            raise click.UsageError("the report would overwrite the submissions file")
    report = cg.grade_file(submissions, encoding=encoding)
    name = safe_text(cg.source_name(submissions))
    for i in report.invalid[:STDERR_LIMIT]:
        click.echo(f"{name}:{i.line}: {safe_text(i.reason)}", err=True)
    if report.invalid_count > STDERR_LIMIT:
        listed = ("all are listed in the report" if not report.unlisted else
                  f"the first {len(report.invalid)} are listed in the report")
        click.echo(f"{name}: ... and {report.invalid_count - STDERR_LIMIT} more rows that "
                   f"could not be graded ({listed})", err=True)
    text = cg.RENDERERS[fmt or "md"](report)
    if target is None:
        if sys.stdout.isatty():
            text = "\n".join(safe_text(line) for line in text.split("\n"))
        click.echo(text, nl=False)
        return
    cg.write_report(output, text)
    counted = [g for g in report.rows if g.counted]
    click.echo(f"graded {len(report.rows)} rows for {len(report.learners)} learners "
               f"({sum(g.correct for g in counted)} of {len(counted)} counted answers "
               f"correct, {report.invalid_count} rows not graded); report written to "
               f"{safe_text(output)}", err=target.kind == STDOUT)
