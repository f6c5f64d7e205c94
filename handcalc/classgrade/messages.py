"""The words of class grading that a teacher reads. Why a row is not graded and the notes
of the reports are catalogue messages (``classtext.*`` in locale/<lang>/classtext.po) made
with ``said``: a Said is its English text (what the CSV and JSON reports and the code read)
and knows its message, so that the Markdown and PDF reports and stderr say it in the
teacher's language (``in_lang``). Why a file or an option is refused is a catalogue message
as well (``classerror.*``, made with ``refusal``): the error that carries it is said in the
teacher's language.

Text from the file is passed through ``handcalc.io.terminal.safe_text`` (refusals) or
escaped by each report (row reasons).
"""

from __future__ import annotations

from typing import Any

# Why a file or an option is refused, and why a row cannot be graded, are catalogue
# messages too (``classerror.*`` in locale/<lang>/classerror.po): ``refusal`` makes one.

# the English of the CSV report's last row when rows were left unlisted (classtext.not_listed)
NOT_LISTED = ("{count} more rows could not be graded; only the first {listed} are listed "
              "(all are counted)")


def refusal(id: str, **args: Any) -> Any:
    """Message ``classerror.<id>`` with `args` (a Msg: English in str(), the teacher's
    language where it is said); an argument that is a Said stands as its own message."""
    from handcalc.text.messages import msg

    return msg(f"classerror.{id}", **{k: v.msg if isinstance(v, Said) else v
                                      for k, v in args.items()})


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
