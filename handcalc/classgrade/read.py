"""Reading a submissions file: bytes in; rows by column name, the lines that are not rows
(with their line numbers and reasons), and warnings out."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from handcalc.errors import HandcalcError, SpecError
from handcalc.exercise import parse_code

HEADER = ("learner", "code", "part", "answer")

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_TEXT_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Invalid:
    """A row that could not be graded: its line, the reason, and the fields as read."""

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


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, not a CSV file") from None
    except OSError as e:
        raise SpecError(f"{path}: cannot read: {e.strerror or e}") from None


def _lines(data: bytes, name: str) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text, '') per line, or (line number, None, reason) when undecodable."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise SpecError(f"{name}: starts like UTF-16 but is not valid UTF-16") from None
        for i, line in enumerate(_TEXT_LINE_BREAK.split(text.lstrip("\ufeff")), 1):
            yield i, line, ""
        return
    if b"\x00" in data:
        raise SpecError(f"{name}: not a CSV text file (it contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for i, raw in enumerate(_LINE_BREAK.split(data), 1):
        try:
            yield i, raw.decode("utf-8"), ""
        except UnicodeDecodeError as e:
            yield i, None, (f"not UTF-8 text (byte 0x{raw[e.start]:02x} at column {e.start + 1});"
                            " save the file as UTF-8")


def _fields(text: str) -> list[str]:
    return [f.strip() for f in next(csv.reader([text], strict=True, skipinitialspace=True))]


def _looks_like_data(fields: list[str]) -> bool:
    if len(fields) != len(HEADER) or not fields[2].isdigit():
        return False
    try:
        parse_code(fields[1])
    except HandcalcError:
        return False
    return True


def _header(first: tuple[int, str | None, str] | None, name: str
            ) -> tuple[tuple[str, ...], bool, Note | None]:
    """The column order, whether the first line is data, and a warning about it."""
    if first is None:
        raise SpecError(f"{name}: no header: the file is empty; the first line must be "
                        f"{','.join(HEADER)}")
    number, text, reason = first
    if text is None:
        raise SpecError(f"{name}: line {number}: no header: {reason}")
    try:
        fields = _fields(text)
    except csv.Error as e:
        raise SpecError(f"{name}: line {number}: no header: not CSV ({e})") from None
    names = tuple(f.lower() for f in fields)
    if sorted(names) == sorted(HEADER):
        return names, False, None
    if _looks_like_data(fields):
        return HEADER, True, Note(number, f"missing header {','.join(HEADER)}: the columns "
                                              "were read in that order")
    shown = ",".join(fields) if len(text) <= 80 else text[:77] + "..."
    raise SpecError(f"{name}: line {number}: no header: expected {','.join(HEADER)} "
                    f"(in any order), got '{shown}'")


@dataclass(frozen=True)
class RawRow:
    line: int
    fields: Mapping[str, str]


def read_rows(path: str | os.PathLike[str]
              ) -> tuple[list[RawRow], list[Invalid], list[Note]]:
    """The rows of a submissions file by column name, the lines that are not rows, and
    warnings; SpecError when the file cannot be read at all."""
    p = Path(path)
    name = str(path)
    lines = (x for x in _lines(_read_bytes(p), name) if x[1] is None or x[1].strip())
    first = next(lines, None)
    order, first_is_data, warning = _header(first, name)
    rows: list[RawRow] = []
    invalid: list[Invalid] = []
    warnings = [warning] if warning else []
    todo: Iterable[tuple[int, str | None, str]] = lines
    if first_is_data and first is not None:
        todo = (first, *lines)
    for number, text, reason in todo:
        if text is None:
            invalid.append(Invalid(number, reason))
            continue
        try:
            fields = _fields(text)
        except csv.Error as e:
            invalid.append(Invalid(number, f"malformed CSV: {e}"))
            continue
        if len(fields) != len(order):
            hint = ("; quote an answer that contains commas: \"0.20, 0.80\""
                    if len(fields) > len(order) else "")
            known = dict(zip(order, fields, strict=False))
            invalid.append(Invalid(number, f"expected {len(order)} columns ({','.join(order)}),"
                                           f" got {len(fields)}{hint}",
                                   known.get("learner", ""), known.get("code", ""),
                                   known.get("part", "")))
            continue
        rows.append(RawRow(number, dict(zip(order, fields, strict=True))))
    return rows, invalid, warnings


