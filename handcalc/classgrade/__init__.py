"""Grading a class: a submissions CSV in; per-row verdicts, learner totals, a class summary out.

The submissions file (DESIGN.md): a regular file (or ``-``, standard input) of at most
200 MB; UTF-8 text unless a byte-order mark (UTF-8, UTF-16, UTF-32) or ``encoding`` says
otherwise; a header naming the columns ``learner,code,part,answer`` (in any order, any
case), separated by ``,``, ``;`` or a tab (the header line decides), then one answer per
CSV record. Answers that contain the delimiter are quoted, as any spreadsheet writes them:
``ann,worked-5,2,"10, 18.81, 29.48"``; a quoted cell may span lines (the lines of a cell
are the rows of a matrix). Blank lines are skipped. See ``read`` for the details.

Every row is graded with ``handcalc.exercises.grade.grade``. A learner's answers to the
earlier parts of the same code are the ``prior`` of a later part (error carried forward);
when a learner answers a part more than once, the last row counts (in the totals and as the
prior) and the earlier ones are graded but marked as not counted.

A malformed row (wrong column count, an empty field, an unknown code or part, an
unparseable answer, bytes that do not decode, a NUL, broken CSV quoting) is reported with
its line number and reason, and every other row is still graded; the first 10,000 such
rows are kept in full, the rest counted. A file that cannot be read at all (missing, not
a regular file, too large, binary, empty, no header, mostly not in its encoding) raises
``SpecError``. An answer of the wrong shape is graded as incorrect (with the reason as a
note), since the learner did answer.

Speed: exercises are built once per code, answers parsed once per distinct text, and
``grade`` is called once per distinct (code, part, answer, earlier answers): first
strictly (the exact path, which does not depend on earlier answers), then, only for an
answer that is not exactly right, with the learner's earlier answers (gathered only
then). The caches know an answer by a number per distinct value (``answer_id``), which
hashes at once where a matrix of sympy numbers does not. ``handcalc grade`` runs without
the cyclic garbage collector, which finds nothing to collect in a class and would walk
every object of it again and again (``benchmarks/grade_speed.py`` times the command).

Reports (``render_csv``, ``render_json``, ``render_markdown``, one module each) are text;
``iter_csv``, ``iter_json`` and ``iter_markdown`` (``STREAMS``) give the same text in chunks.
``write_report`` writes one (text or chunks) to a temporary file in the target's directory
and renames it into place, so a report is written whole or not at all, and a report written
from chunks is never held whole in memory.

Modules: ``read`` (bytes to rows), ``core`` (rows to graded rows, learner totals and the
class summary), ``parallel`` (a large class graded on several cores, as ``handcalc grade``
does: ``grade_file(..., grading=Parallel())``), ``report_csv``, ``report_json``,
``report_md`` (one per report format), ``formats`` (which renderer for which file name),
``output`` (writing a report file) and ``messages`` (the words). The class workflow:
``assign`` (what a spec assigned: the codes of each version, the points), ``marks`` (each
learner's version, blanks, totals out of the maximum), ``gradebook``, ``feedback`` (per
learner, PDF or Markdown), ``report_pdf`` (the summary with charts drawn in Typst),
``typst_doc`` (what those PDFs share) and ``words`` (their words, from
``locale/<lang>/classflow.po``).
"""

from handcalc.classgrade.core import (
    MAX_LISTED_INVALID,
    ClassGrader,
    ClassReport,
    ExerciseSummary,
    Graded,
    LearnerTotal,
    MistakeCount,
    PartSummary,
    Submission,
    cell_answer,
    grade_rows,
    score_text,
)
from handcalc.classgrade.formats import FORMATS, RENDERERS, STREAMS, SUFFIXES, format_for
from handcalc.classgrade.output import ReportError, write_report, write_reports
from handcalc.classgrade.read import (
    DELIMITERS,
    HEADER,
    MAX_BYTES,
    MAX_RECORD_LINES,
    Invalid,
    Note,
    RawRow,
    check_encoding,
    decode,
    read_rows,
    read_source,
    source_name,
)
from handcalc.classgrade.report_csv import CSV_COLUMNS, iter_csv, render_csv
from handcalc.classgrade.report_json import iter_json, render_json, report_dict, row_dict
from handcalc.classgrade.report_md import TOP_MISTAKES, iter_markdown, render_markdown
from handcalc.classgrade.summary import grade_file

__all__ = [
    "CSV_COLUMNS", "DELIMITERS", "FORMATS", "HEADER", "MAX_BYTES", "MAX_LISTED_INVALID",
    "MAX_RECORD_LINES", "RENDERERS", "STREAMS", "SUFFIXES", "TOP_MISTAKES", "ClassGrader",
    "ClassReport", "ExerciseSummary", "Graded", "Invalid", "LearnerTotal", "MistakeCount",
    "Note", "PartSummary", "RawRow", "ReportError", "Submission", "cell_answer",
    "check_encoding", "decode", "format_for", "grade_file", "grade_rows", "iter_csv",
    "iter_json", "iter_markdown", "read_rows", "read_source", "render_csv", "render_json",
    "render_markdown", "report_dict", "row_dict", "score_text", "source_name", "write_report",
    "write_reports",
]
