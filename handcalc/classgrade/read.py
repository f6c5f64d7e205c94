"""Reading a submissions file: bytes in; rows by column name, the rows that are not (with
their line numbers and reasons), and warnings out.

- The source is a regular file of at most ``MAX_BYTES``, or ``-`` for standard input;
  a directory, device, FIFO or socket is refused before a byte is read.
- Text: in the encoding its byte-order mark says (UTF-8, UTF-16, UTF-32), else in
  ``encoding``, else UTF-8. Bytes that do not decode become marks (``U+DC00 + byte``, never
  produced by a decoder), so that only the row holding them is invalid; a row holding a
  NUL is invalid too. The header row must decode, and a file where many rows do not
  (``too_many_undecodable``) is refused with a hint to give its encoding.
- Rows are CSV records: a quoted cell may span lines (a matrix typed on two lines of a
  spreadsheet cell), up to ``MAX_RECORD_LINES``; a record is numbered by its first line.
  A quote never closed within that many lines makes its own line malformed, and reading
  goes on with the next line.
- The delimiter is ``,``, ``;`` or a tab, whichever makes the header line name the columns
  ``learner,code,part,answer`` (in any order, any case, in English or Chinese: ALIASES).
  Other columns (a student number, a timestamp) are kept: the student number is carried
  into the gradebook and the feedback, the others are not used. Blank lines are skipped.

Rows are produced lazily, so a file of many malformed rows costs little memory.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import stat
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from handcalc.classgrade import messages as msg
from handcalc.errors import HandcalcError, SpecError
from handcalc.exercises.exercise import parse_code
from handcalc.io.terminal import safe_text

HEADER = ("learner", "code", "part", "answer")
VERSION_HEADER = ("learner", "version", "exercise", "part", "answer")  # with --spec
STUDENT_ID = "student_id"  # an optional column, carried into the gradebook and feedback
# What a header cell may say for each column (lower case, spaces and underscores alike):
# the English names, and the Chinese ones a form or spreadsheet export uses. Other columns
# (a timestamp, an e-mail address ...) are kept as read and not used.
ALIASES = {
    "learner": ("learner", "name", "student", "姓名", "学生", "学生姓名", "名字"),
    "code": ("code", "代码", "题目代码"),
    "part": ("part", "小题", "小题号"),
    "answer": ("answer", "答案"),
    "version": ("version", "版本", "版本号"),
    "exercise": ("exercise", "题号", "题"),
    STUDENT_ID: ("student_id", "student number", "student no", "学号"),
}
_ALIAS = {alias: column for column, names in ALIASES.items() for alias in names}
EXTRA = "extra: "  # the key of a column handcalc does not use, before its name as read
DELIMITERS = (",", ";", "\t")
STDIN = "-"
MAX_BYTES = 200_000_000  # 200 MB, as the README says (decimal megabytes)
MAX_RECORD_LINES = 20
MAX_FIELD = 200  # characters of each field an Invalid keeps
# A file is refused as being in another encoding when its header does not decode, when
# no row decodes, or when at least REFUSE_ROWS rows and more than REFUSE_SHARE of them do
# not; a few stray bytes in a UTF-8 file only cost their own rows.
REFUSE_ROWS = 3
REFUSE_SHARE = 0.1

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_MARK = "handcalc.classgrade.mark"
_MARKED = re.compile("[\udc00-\udcff]")
_NUL = re.compile("\x00")
_SUSPECT = re.compile("[\x00\udc00-\udcff]")
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_AT_END = re.compile(r"(?:\r\n|\r|\n)\Z")
_CSV_SPECIAL = re.compile('["\x00\r\n]')
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
          (stat.S_ISSOCK, "a socket"))


def _mark(e: UnicodeError) -> tuple[str, int]:
    assert isinstance(e, UnicodeDecodeError)
    return "".join(chr(0xDC00 + b) for b in e.object[e.start:e.end]), e.end


codecs.register_error(_MARK, _mark)


@dataclass(frozen=True, slots=True)
class Invalid:
    """A row that could not be graded: its line, the reason, and the fields as read (each
    cut to MAX_FIELD characters)."""

    line: int
    reason: str
    learner: str = ""
    code: str = ""
    part: str = ""
    answer: str = ""


@dataclass(frozen=True)
class Note:
    """Something about a line worth telling the teacher, that did not stop grading."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class RawRow:
    line: int
    fields: Mapping[str, str]


def clip(text: str) -> str:
    """A field as an Invalid keeps it: at most MAX_FIELD characters."""
    return text if len(text) <= MAX_FIELD else text[:MAX_FIELD - 1] + "\u2026"


def source_name(path: str | os.PathLike[str]) -> str:
    """The file's name in messages: ``<stdin>`` for ``-``."""
    return "<stdin>" if os.fspath(path) == STDIN else os.fspath(path)


# ---------------------------------------------------------------- bytes


def read_source(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file or of standard input (``-``), at most MAX_BYTES; anything
    else is refused before it is read (handcalc.io.fileio.read_input)."""
    from handcalc.io.fileio import read_input

    return read_input(path, MAX_BYTES, name=source_name(path))


# codecs that turn bytes into text but are no character set a file is saved in: they read
# escapes or domain names, and fail on ordinary bytes in their own ways
NOT_CHARSETS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape",
                          "undefined"})


def check_encoding(encoding: str) -> str:
    """The codec's own name for a text encoding (a character set); SpecError for any other
    name."""
    try:
        b"0".decode(encoding, "ignore")  # LookupError for bytes-to-bytes codecs (base64)
        name = codecs.lookup(encoding).name
    except (LookupError, ValueError, TypeError, UnicodeError):
        name = ""
    if not name:
        raise SpecError(msg.refusal("unknown_encoding", encoding=safe_text(encoding)))
    if name in NOT_CHARSETS:
        raise SpecError(msg.refusal("not_a_charset", encoding=safe_text(encoding)))
    return name


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text (undecodable bytes as marks, no byte-order mark) and the encoding used:
    the byte-order mark's, else ``encoding``, else UTF-8."""
    given = check_encoding(encoding) if encoding is not None else "utf-8"
    used = next((enc for bom, enc in _BOMS if data.startswith(bom)), given)
    try:
        text = data.decode(used, _MARK)
    except (UnicodeError, LookupError, ValueError, TypeError) as e:  # a codec's own failure
        raise SpecError(msg.refusal("cannot_decode", encoding=_label(used), why=safe_text(e))
                        ) from None
    return text.removeprefix("\ufeff"), used


def _label(encoding: str) -> str:
    return encoding.upper() if encoding.startswith("utf") else encoding


# ---------------------------------------------------------------- records


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line with its line break), for \\n, \\r\\n and \\r alike."""
    start, number = 0, 0
    for number, end in enumerate(_LINE_END.finditer(text), 1):
        yield number, text[start:end.end()]
        start = end.end()
    if start < len(text):
        yield number + 1, text[start:]


def _parse(lines: list[str], delimiter: str) -> list[list[str]]:
    if len(lines) == 1:
        body = _LINE_BREAK_AT_END.sub("", lines[0])
        if body and len(body) <= csv.field_size_limit() and not _CSV_SPECIAL.search(body):
            # a line with no quote, NUL or inner line break: the csv module splits it at
            # every delimiter, and each field is stripped anyway
            return [[f.strip() for f in body.split(delimiter)]]
    reader = csv.reader(lines, delimiter=delimiter, strict=True, skipinitialspace=True)
    return [[f.strip() for f in record] for record in reader]


def _records(lines: Iterator[tuple[int, str]], delimiter: str
             ) -> Iterator[tuple[int, list[str], list[str] | str]]:
    """(first line number, its lines, fields or the reason it is malformed) per record."""
    ahead: deque[tuple[int, str]] = deque()

    def take() -> tuple[int, str] | None:
        return ahead.popleft() if ahead else next(lines, None)

    while (first := take()) is not None:
        number, text = first
        if not text.strip():
            continue
        chunk = [first]
        quotes = text.count('"')
        while quotes % 2 and len(chunk) < MAX_RECORD_LINES and (more := take()) is not None:
            chunk.append(more)
            quotes += more[1].count('"')
        if len(chunk) > 1:
            if quotes % 2 == 0:
                try:
                    records = _parse([t for _, t in chunk], delimiter)
                except csv.Error:
                    records = []
                if len(records) == 1:
                    yield number, [t for _, t in chunk], records[0]
                    continue
            ahead.extendleft(reversed(chunk[1:]))  # read them again, on their own
        try:
            (fields,) = _parse([text], delimiter)
        except csv.Error as e:
            yield number, [text], (msg.said("classtext.reason.quote", lines=MAX_RECORD_LINES)
                                   if text.count('"') % 2 else
                                   msg.said("classerror.malformed", why=str(e)))
            continue
        yield number, [text], fields


def _first(pattern: re.Pattern[str], lines: list[str]) -> tuple[int, int, str] | None:
    """(index of the line, 0-based column, character) of the first match in a record."""
    for i, text in enumerate(lines):
        found = pattern.search(text)
        if found is not None:
            return i, found.start(), found.group()
    return None


UNDECODABLE_ROW = "classtext.reason.undecodable"  # the id of a row that is not text
ROW_HINT = "classtext.hint.row_encoding"
QUOTE_HINTS = {",": "classtext.hint.quote_comma", ";": "classtext.hint.quote_semicolon",
               "\t": "classtext.hint.quote_tab"}
ROW_HINT_GIVEN = "classtext.hint.given_encoding"


def _byte(mark: re.Match[str]) -> str:
    """A byte that did not decode, as an escape (a learner's name that is not text)."""
    return f"\\x{ord(mark.group()) - 0xDC00:02x}"


def _undecodable(number: int, lines: list[str], encoding: str) -> str | None:
    """Why the record is not text in ``encoding`` (without a hint), or None."""
    found = _first(_MARKED, lines)
    if found is None:
        return None
    index, column, mark = found
    return msg.said("classtext.reason.not_text", encoding=_label(encoding),
                    byte=f"0x{ord(mark) - 0xDC00:02x}", column=column + 1,
                    where=msg.said("classtext.reason.of_line", line=number + index)
                    if index else "")


def _nul(number: int, lines: list[str]) -> str | None:
    """Why the record is not text because of a NUL, or None."""
    found = _first(_NUL, lines)
    if found is None:
        return None
    index, column, _ = found
    return msg.said("classtext.reason.nul", column=column + 1,
                    where=msg.said("classtext.reason.of_line", line=number + index)
                    if index else "")


# ---------------------------------------------------------------- the header


def _looks_like_data(fields: list[str]) -> bool:
    if len(fields) != len(HEADER) or not fields[2].isdigit():
        return False
    try:
        parse_code(fields[1])
    except HandcalcError:
        return False
    return True


@dataclass(frozen=True)
class Header:
    columns: tuple[str, ...]
    delimiter: str
    first_is_data: bool
    warning: Note | None


def _columns(cells: list[str]) -> tuple[str, ...] | None:
    """The column each header cell names (ALIASES; EXTRA + the cell for any other), or
    None when two cells name the same column."""
    out = []
    for cell in cells:
        key = " ".join(cell.strip().lower().replace("_", " ").split())
        column = _ALIAS.get(key) or _ALIAS.get(key.replace(" ", "_"))
        out.append(column or EXTRA + cell.strip())
    known = [c for c in out if not c.startswith(EXTRA)]
    return tuple(out) if len(known) == len(set(known)) else None


def _header(number: int, text: str, name: str, encoding: str, given: bool,
            by_version: bool = False) -> Header:
    """The column order and the delimiter, from the header line alone."""
    reason = _undecodable(number, [text], encoding)
    if reason is not None:
        hint = msg.said(ROW_HINT_GIVEN if given else ROW_HINT)
        raise SpecError(msg.refusal("header_undecodable", name=name, line=number,
                                    reason=reason, hint=hint))
    if "\x00" in text:
        utf16 = text.count("\x00") * 3 > len(text) and not given
        raise SpecError(msg.refusal("header_nul", name=name, line=number,
                                    hint=msg.refusal("hint.nul_utf16") if utf16 else ""))
    parsed: dict[str, list[str]] = {}
    for delimiter in DELIMITERS:
        try:
            (parsed[delimiter],) = _parse([text], delimiter)
        except (csv.Error, ValueError):
            continue
        names = _columns(parsed[delimiter])
        if names is None:
            continue
        if set(HEADER) <= set(names):
            return Header(tuple(EXTRA + n if n in ("version", "exercise") else n
                                for n in names), delimiter, False, None)
        if set(VERSION_HEADER) <= set(names):
            if not by_version:
                raise SpecError(msg.refusal("needs_spec", name=name, line=number))
            return Header(names, delimiter, False, None)
    for delimiter, fields in parsed.items():
        if _looks_like_data(fields):
            return Header(HEADER, delimiter, True,
                          Note(number, msg.said("classerror.missing_header",
                                                header=",".join(HEADER))))
    if "," not in parsed:
        try:
            _parse([text], ",")
        except csv.Error as e:
            raise SpecError(msg.refusal("header_not_csv", name=name, line=number,
                                        why=str(e))) from None
    line = text.rstrip("\r\n")
    shown = line if len(line) <= 80 else line[:77] + "..."
    raise SpecError(msg.refusal("header_wrong", name=name, line=number,
                                header=",".join(HEADER), shown=safe_text(shown),
                                more=msg.refusal("or_version_header",
                                                 header=",".join(VERSION_HEADER))
                                if by_version else ""))


# ---------------------------------------------------------------- rows


def too_many_undecodable(bad: int, rows: int) -> bool:
    """Whether ``bad`` undecodable rows out of ``rows`` mean the file is in another encoding."""
    return bad > 0 and (bad == rows or (bad >= REFUSE_ROWS and bad > REFUSE_SHARE * rows))


def read_rows(path: str | os.PathLike[str], encoding: str | None = None,
              by_version: bool = False) -> tuple[Iterator[RawRow | Invalid], list[Note]]:
    """The data rows of a submissions file, lazily and in file order (a RawRow by column
    name, or an Invalid), and the warnings about the header. SpecError at once when the
    file cannot be read at all, or at the end of the rows when too many do not decode.
    ``by_version``: the header may name version and exercise instead of code (a spec says
    which exercise that is)."""
    name = safe_text(source_name(path))
    text, used = decode(read_source(path), encoding)
    lines = _lines(text)
    first = next(((n, t) for n, t in lines if t.strip()), None)
    if first is None:
        raise SpecError(msg.refusal("empty", name=name, header=",".join(HEADER)))
    header = _header(*first, name, used, encoding is not None, by_version)
    return _rows(first, lines, header, name, used, encoding is not None), \
        [header.warning] if header.warning else []


def _rows(first: tuple[int, str], lines: Iterator[tuple[int, str]], header: Header, name: str,
          encoding: str, given: bool) -> Iterator[RawRow | Invalid]:
    order = header.columns
    if header.first_is_data:
        lines = _chain(first, lines)
    rows = bad = 0
    first_bad = 0
    for number, record, fields in _records(lines, header.delimiter):
        rows += 1
        if any(_SUSPECT.search(t) for t in record):
            reason = _undecodable(number, record, encoding)
            if reason is not None:
                bad += 1
                first_bad = first_bad or number
                known = dict(zip(order, fields, strict=False)) if isinstance(fields, list) \
                    else {}
                yield Invalid(number, msg.said(UNDECODABLE_ROW, why=reason,
                                               hint=msg.said(ROW_HINT_GIVEN if given
                                                             else ROW_HINT)),
                              clip(_MARKED.sub(_byte, known.get("learner", ""))))
                continue
            yield Invalid(number, _nul(number, record) or "")
            continue
        if isinstance(fields, str):
            yield Invalid(number, fields)
            continue
        assert isinstance(fields, list)
        if len(fields) != len(order):
            hint = msg.said(QUOTE_HINTS[header.delimiter]) if len(fields) > len(order) \
                else ""
            known = dict(zip(order, fields, strict=False))
            yield Invalid(number, msg.said("classtext.reason.columns", n=len(order),
                                           names=",".join(c.removeprefix(EXTRA) for c in order),
                                                     got=len(fields), hint=hint),
                          clip(known.get("learner", "")), clip(known.get("code", "")),
                          clip(known.get("part", "")))
            continue
        row = dict(zip(order, fields, strict=True))
        reason = _mojibake(row, encoding)
        if reason is not None:
            bad += 1
            first_bad = first_bad or number
            yield Invalid(number, msg.said(UNDECODABLE_ROW, why=reason,
                                           hint=msg.said(ROW_HINT_GIVEN if given else ROW_HINT)),
                          clip(row.get("learner", "")))
            continue
        yield RawRow(number, row)
    if too_many_undecodable(bad, rows):
        raise SpecError(msg.refusal(
            "mostly_undecodable", name=name, bad=bad, rows=rows, encoding=_label(encoding),
            line=first_bad, hint=msg.said(ROW_HINT_GIVEN if given else ROW_HINT)))


# Signs that a row was decoded in the wrong encoding although every byte decoded: a
# private-use character (GB18030 maps Big5's and others' unassigned pairs there), or, in a
# GB encoding, a learner's name mixing Chinese characters with kana, Cyrillic or Greek (what
# GBK makes of Big5 or Shift-JIS names)
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
_HAN = re.compile("[\u3400-\u9fff]")
_FOREIGN = re.compile("[\u0370-\u03ff\u0400-\u04ff\u3040-\u30ff]")
_GB = ("gb18030", "gbk", "gb2312", "hz")


_NAMED = ("learner", "code", "part", "answer", "version", "exercise")  # columns with words


def _mojibake(row: Mapping[str, str], encoding: str) -> str | None:
    """Why a row that decoded is still not text in ``encoding`` (without a hint), or None."""
    for column, value in row.items():
        found = _PRIVATE_USE.search(value)
        if found is not None:
            return msg.said("classtext.reason.mojibake", encoding=_label(encoding),
                            column=msg.column_name(column) if column in _NAMED else column,
                            code=f"{ord(found.group()):04X}")
    name = row.get("learner", "")
    if encoding.replace("_", "").lower() in _GB and _HAN.search(name):
        found = _FOREIGN.search(name)
        if found is not None:
            return msg.said("classtext.reason.mojibake", encoding=_label(encoding),
                            column=msg.column_name("learner"), code=f"{ord(found.group()):04X}")
    return None


def _chain(first: tuple[int, str], rest: Iterator[tuple[int, str]]
           ) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest
