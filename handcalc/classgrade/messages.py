"""The words of class grading that a teacher reads. Why a row is not graded and the notes
of the reports are catalogue messages (``classtext.*`` in locale/<lang>/classtext.po) made
with ``said``: a Said is its English text (what the CSV and JSON reports and the code read)
and knows its message, so that the Markdown and PDF reports and stderr say it in the
teacher's language (``in_lang``). The English templates still here (why a file is refused,
the options) are ``str.format`` strings, not yet in the catalogue.

Text from the file is passed through ``handcalc.io.terminal.safe_text`` (refusals) or
escaped by each report (row reasons).
"""

from __future__ import annotations

from typing import Any

# ---------------------------------------------------------------- a file that is refused

NO_SUCH_FILE = "{name}: no such file"
IS_A_DIRECTORY = "{name}: is a directory, not a CSV file"
NOT_A_REGULAR_FILE = ("{name}: not a regular file ({kind}); give a CSV file, or - to read "
                      "standard input")
CANNOT_READ = "{name}: cannot read: {why}"
UNKNOWN_ENCODING = ("unknown encoding '{encoding}': give a name such as utf-8, gb18030 (covers "
                    "GBK), big5, shift_jis, latin-1")
EMPTY = "{name}: no header: the file is empty; the first line must be {header}"
HEADER_UNDECODABLE = "{name}: line {line}: no header: {reason}"
HEADER_NUL = ("{name}: line {line}: not a CSV text file (it contains NUL bytes){hint}")
HEADER_NUL_UTF16 = "; if it is UTF-16 without a byte-order mark, give --encoding utf-16-le"
HEADER_NOT_CSV = "{name}: line {line}: no header: not CSV ({why})"
HEADER_WRONG = ("{name}: line {line}: no header: expected {header} (in any order, separated "
                "by , or ; or a tab), got '{shown}'")
MOSTLY_UNDECODABLE = ("{name}: {bad} of {rows} rows are not {encoding} text (first on line "
                      "{line}){hint}")
HINT_ENCODING = ("; save the file as UTF-8, or give its encoding: --encoding gb18030 for a "
                 "Chinese (GBK) spreadsheet")
HINT_GIVEN_ENCODING = "; check --encoding"
NEEDS_SPEC = ("{name}: line {line}: the header names version and exercise: give --spec SPEC "
              "(the worksheet spec the class answered) to say which exercise that is")
OR_VERSION_HEADER = ", or {header} for sheets by version"

FORMAT_MISMATCH = ("-o {name}: the suffix says {implied} but {asked} asks for {given}; use a "
                   "matching name or leave the format out")
FORMAT_UNKNOWN = ("cannot tell the report format from '{name}': use a .csv, .json, .md or "
                  ".pdf name, or --format csv|json|md|pdf")

# ---------------------------------------------------------------- the class workflow's options

PDF_NEEDS_FILE = "a PDF report needs a file: -o REPORT.pdf"
VERSIONS_NEED_SPEC = "--versions needs --spec"
VERSIONS_RANGE = "--versions {versions}: give a number from 1 to {limit}"
FEEDBACK_SUFFIX = "--feedback {name}: use a .pdf or .md name"
GRADEBOOK_SUFFIX = "--gradebook {name}: use a .csv name"
SAME_FILE = "{first} and {second} name the same file {name}"
OVERWRITES_SUBMISSIONS = "the {what} would overwrite the submissions file"
CANNOT_ASSIGN = "{spec}: cannot build the assignment: {why}"
NO_PDF_FONT = ("{what}: this handcalc has no font for {char!r} (U+{code:04X}) in a PDF; write "
               "a .md file instead")

# ---------------------------------------------------------------- a row that is not graded
# (in the catalogue: classtext.reason.*, said() below)

MALFORMED = "malformed CSV: {why}"
INTERNAL = "internal error while grading this row ({kind}: {why}); please report it"
WORKER_LOST = ("a process grading a share of the rows ended before it was done ({why}); "
               "nothing was written")
CANNOT_BUILD = "cannot build '{code}': {why}"

# ---------------------------------------------------------------- notes

MISSING_HEADER = "missing header {header}: the columns were read in that order"
NOT_LISTED = ("{count} more rows could not be graded; only the first {listed} are listed "
              "(all are counted)")

# ---------------------------------------------------------------- hardening, round two

NOT_THE_ASSIGNMENT = ("{name}: {bad} of {rows} rows name no exercise of the assignment "
                      "({spec}): check the spec, --versions, and whether the spec changed "
                      "(another seed) since the sheets were printed; nothing was written")
CANNOT_DECODE = "cannot read the file as {encoding}: {why}; check --encoding"
NOT_A_CHARSET = ("--encoding {encoding}: not the encoding of a text file; give a name such as "
                 "utf-8, gb18030 (covers GBK), big5, shift_jis, latin-1")
TOO_MANY_FOR_PDF = ("{option} {name}: {count:,} learners, more than the {cap:,} a PDF {what} "
                    "holds (typesetting takes about {kb} KB of memory per learner); write "
                    "{instead}, or grade fewer learners at a time; nothing was written")


# ---------------------------------------------------------------- words in the teacher's language


class Said(str):
    """A reason or note in English (what the CSV and JSON reports and the code read) that
    also knows its message (``msg``: a handcalc.text.messages Msg), so that the Markdown
    report, the PDF and stderr say it in the teacher's language (``in_lang``)."""

    msg: Any

    def __new__(cls, english: str, message: Any) -> Said:
        out = super().__new__(cls, english)
        out.msg = message
        return out

    def __reduce__(self) -> tuple[Any, ...]:  # across worker processes
        return (Said, (str(self), self.msg))


def said(id: str, **args: Any) -> Said:
    """Message `id` of the catalogue (classtext.po ...) with `args`, as a Said; an argument
    that is a Said stands in the message as its own message."""
    from handcalc.text.messages import msg, render

    message = msg(id, **{k: v.msg if isinstance(v, Said) else v for k, v in args.items()})
    return Said(render(message, "en", "unicode"), message)


def error_said(e: BaseException) -> Said | str:
    """An error's message as a Said (its Msg, with the position of a parse error), or its
    English text when it has no Msg."""
    from handcalc.text.messages import Msg, msg

    what = getattr(e, "text", None) if hasattr(e, "position") else (e.args[0] if e.args
                                                                     else None)
    if not isinstance(what, Msg):
        return str(e)
    position = getattr(e, "position", None)
    return said("classtext.error", text=what,
                at=msg("error.at_char", n=position + 1) if position is not None else "")


def in_lang(text: str, lang: str, target: str = "unicode") -> str:
    """A reason or note in `lang`: a Said's message, any other text as it is."""
    from handcalc.text.messages import render

    return render(text.msg, lang, target) if isinstance(text, Said) else text


def undecodable(invalid: Any) -> Said | None:
    """What the rows that are not text in the file's encoding cost, as one sentence (how
    many rows, of how many learners, and the hint to give --encoding gb18030), or None
    when every row decoded. `invalid`: the report's rows that could not be graded."""
    rows, learners, first = 0, set(), None
    for i in invalid:
        reason = i.reason
        if isinstance(reason, Said) and reason.msg.id == "classtext.reason.undecodable":
            rows += 1
            learners.add(i.learner or f"line {i.line}")
            first = first or reason.msg
    if first is None:
        return None
    why, hint = first.kwargs["why"], first.kwargs["hint"]
    given = hint.id == "classtext.hint.given_encoding"
    return said("classtext.undecodable_given" if given else "classtext.undecodable",
                rows=count("rows", rows), learners=count("learners", len(learners)),
                encoding=why.kwargs["encoding"])


def count(what: str, n: int) -> Any:
    """`n` learners, rows or counted answers, in the plural form of the language."""
    from handcalc.text.messages import msg

    return msg(f"classtext.n.{what}", n=n)


def column_name(column: str) -> Any:
    """A column of the submissions file as the teacher's language names it."""
    from handcalc.text.messages import msg

    return msg(f"classtext.column.{column}")
