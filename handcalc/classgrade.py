"""Grading a class: a submissions CSV in; per-row verdicts, learner totals, a class summary out.

The submissions file (DESIGN.md): UTF-8 text (a byte-order mark is fine; UTF-16 with a
byte-order mark is read too), one row per line, a header naming the columns
``learner,code,part,answer`` (in any order, any case), then one answer per row. Answers
that contain commas are quoted, as any spreadsheet writes them: ``ann,worked-5,2,"10, 18.81,
29.48"``. Blank lines are skipped; a row cannot span lines.

Every row is graded with ``handcalc.grade.grade``. A learner's answers to the earlier parts
of the same code are the ``prior`` of a later part (error carried forward); when a learner
answers a part more than once, the last row counts (in the totals and as the prior) and
the earlier ones are graded but marked as not counted.

A malformed row (wrong column count, an empty field, an unknown code or part, an
unparseable answer, bytes that are not UTF-8, broken CSV quoting) is reported with its
line number and reason, and every other row is still graded. A file that cannot be read
at all (missing, binary, empty, no header) raises ``SpecError``. An answer of the wrong
shape is graded as incorrect (with the reason as a note), since the learner did answer.

Speed: exercises are built once per code, answers parsed once per distinct text, and
``grade`` is called once per distinct (code, part, answer, earlier answers): first
strictly (the exact path, which does not depend on earlier answers), then, only for an
answer that is not exactly right, with the learner's earlier answers.

Reports (``render_csv``, ``render_json``, ``render_markdown``) are built whole as text;
``write_report`` writes one to a temporary file in the target's directory and renames it
into place, so a report is written whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from handcalc.errors import HandcalcError, ShapeError, SpecError
from handcalc.exact import Mat, shape
from handcalc.exercise import Exercise, build, parse_code
from handcalc.grade import CARRIED, EXACT, ROUNDED, Verdict, fit_shape, grade
from handcalc.parse import parse_answer

HEADER = ("learner", "code", "part", "answer")
FORMATS = ("csv", "json", "md")
SUFFIXES = {".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md"}
TOP_MISTAKES = 3

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_TEXT_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ReportError(HandcalcError):
    """A report that could not be written (nothing was left behind)."""

    exit_code = 1


# ---------------------------------------------------------------- data


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


@dataclass(frozen=True)
class Submission:
    """A well-formed row: the code is the exercise's own (canonical) code."""

    line: int
    learner: str
    code: str
    part: int
    text: str
    answer: Mat


@dataclass(frozen=True)
class Graded:
    """A graded row. ``verdict`` is None for an answer of the wrong shape (see ``note``);
    ``counted`` is False when the learner answered the same part again later."""

    row: Submission
    verdict: Verdict | None
    counted: bool
    note: str = ""

    @property
    def correct(self) -> bool:
        return self.verdict is not None and self.verdict.correct

    @property
    def score(self) -> Fraction:
        return Fraction(0) if self.verdict is None else self.verdict.score

    @property
    def accepted_by(self) -> str | None:
        return None if self.verdict is None else self.verdict.accepted_by

    @property
    def mistake(self) -> str | None:
        d = None if self.verdict is None else self.verdict.diagnosis
        return None if d is None else d.mistake.id


@dataclass(frozen=True)
class LearnerTotal:
    learner: str
    exercises: int
    answered: int
    correct: int
    score: Fraction
    by_path: Mapping[str, int]
    invalid: int


@dataclass(frozen=True)
class MistakeCount:
    id: str
    title: str
    count: int


@dataclass(frozen=True)
class PartSummary:
    part: int
    prompt: str
    answered: int
    correct: int
    by_path: Mapping[str, int]
    mistakes: tuple[MistakeCount, ...]
    unrecognised: int

    @property
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class ExerciseSummary:
    code: str
    title: str
    parts: tuple[PartSummary, ...]


@dataclass(frozen=True)
class ClassReport:
    source: str
    rows: tuple[Graded, ...]
    invalid: tuple[Invalid, ...]
    warnings: tuple[Note, ...]
    learners: tuple[LearnerTotal, ...]
    exercises: tuple[ExerciseSummary, ...]


# ---------------------------------------------------------------- reading


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


# ---------------------------------------------------------------- grading


def _remembered(cache: dict[str, Any], key: str, make: Callable[[str], Any]) -> Any:
    """make(key), computed once per key; a HandcalcError is remembered and raised again."""
    found = cache.get(key)
    if found is None:
        try:
            found = make(key)
        except HandcalcError as e:
            found = e
        cache[key] = found
    if isinstance(found, HandcalcError):
        raise found
    return found


class ClassGrader:
    """Grades rows with caches shared by every learner (see the module docstring)."""

    def __init__(self) -> None:
        self._exercises: dict[str, Exercise | HandcalcError] = {}
        self._parsed: dict[str, Mat | HandcalcError] = {}
        self._strict: dict[tuple[str, int, Mat], Verdict | None] = {}
        self._full: dict[tuple[Any, ...], Verdict | ShapeError] = {}
        self.grade_calls = 0

    def exercise(self, code: str) -> Exercise:
        def make(key: str) -> Exercise:
            try:
                return build(key)
            except RuntimeError as e:  # no acceptable instance near that seed
                raise SpecError(f"cannot build '{code}': {e}") from None

        return _remembered(self._exercises, code.strip().lower(), make)

    def parse(self, text: str) -> Mat:
        return _remembered(self._parsed, text, parse_answer)

    def check(self, raw: RawRow) -> Submission | Invalid:
        f = raw.fields
        learner, code, part, text = f["learner"], f["code"], f["part"], f["answer"]

        def bad(reason: str) -> Invalid:
            return Invalid(raw.line, reason, learner, code, part, text)

        for column in HEADER:
            if not f[column]:
                return bad(f"empty {column}")
        try:
            ex = self.exercise(code)
        except HandcalcError as e:
            return bad(str(e))
        try:
            number = ex.part(part).number
        except HandcalcError as e:
            return bad(str(e))
        try:
            answer = self.parse(text)
        except HandcalcError as e:
            return bad(f"answer: {e}")
        return Submission(raw.line, learner, ex.code, number, text, answer)

    def grade(self, ex: Exercise, sub: Submission, prior: Mapping[int, Mat]) -> Verdict:
        """grade(ex, part, answer, prior=prior), from the caches where the call was made."""
        skey = (ex.code, sub.part, sub.answer)
        if skey not in self._strict:
            try:
                self.grade_calls += 1
                self._strict[skey] = grade(ex, sub.part, sub.answer, strict=True)
            except ShapeError:
                self._strict[skey] = None  # maybe a catalogued mistake of another shape
        exact = self._strict[skey]
        if exact is not None and exact.correct:
            return exact  # the exact path does not depend on earlier answers
        fkey = (skey, tuple(sorted(prior.items())))
        found = self._full.get(fkey)
        if found is None:
            self.grade_calls += 1
            try:
                found = grade(ex, sub.part, sub.answer, prior=prior)
            except ShapeError as e:
                found = e
            self._full[fkey] = found
        if isinstance(found, ShapeError):
            raise found
        return found


def _prior(ex: Exercise, part: int, final: Mapping[int, Submission]) -> dict[int, Mat]:
    out = {}
    for number, sub in final.items():
        if number < part and fit_shape(sub.answer, shape(ex.part(number).answer)) is not None:
            out[number] = sub.answer
    return out


def grade_rows(raw_rows: Iterable[RawRow], grader: ClassGrader | None = None
               ) -> tuple[list[Graded], list[Invalid]]:
    """Every well-formed row graded (in file order), and the rows that are not well formed."""
    grader = grader or ClassGrader()
    subs: list[Submission] = []
    invalid: list[Invalid] = []
    for raw in raw_rows:
        checked = grader.check(raw)
        if isinstance(checked, Submission):
            subs.append(checked)
        else:
            invalid.append(checked)
    final: dict[tuple[str, str], dict[int, Submission]] = {}
    for sub in subs:
        final.setdefault((sub.learner, sub.code), {})[sub.part] = sub
    graded = []
    for sub in subs:
        ex = grader.exercise(sub.code)
        mine = final[(sub.learner, sub.code)]
        counted = mine[sub.part] is sub
        try:
            verdict = grader.grade(ex, sub, _prior(ex, sub.part, mine))
        except ShapeError as e:
            graded.append(Graded(sub, None, counted, f"wrong shape: {e}"))
            continue
        except Exception as e:  # a bug in grading must not lose the rest of the class
            invalid.append(Invalid(sub.line, f"internal error while grading this row "
                                             f"({type(e).__name__}: {e}); please report it",
                                   sub.learner, sub.code, str(sub.part), sub.text))
            continue
        graded.append(Graded(sub, verdict, counted))
    invalid.sort(key=lambda i: i.line)
    return graded, invalid


def _learners(graded: list[Graded], invalid: list[Invalid]) -> tuple[LearnerTotal, ...]:
    rows: dict[str, list[Graded]] = {}
    for g in graded:
        rows.setdefault(g.row.learner, [])
        if g.counted:
            rows[g.row.learner].append(g)
    bad = Counter(i.learner for i in invalid if i.learner)
    for name in bad:
        rows.setdefault(name, [])
    out = []
    for name in sorted(rows, key=lambda n: (n.casefold(), n)):
        mine = rows[name]
        paths = Counter(g.accepted_by for g in mine if g.correct)
        out.append(LearnerTotal(
            name, len({g.row.code for g in mine}), len(mine), sum(g.correct for g in mine),
            sum((g.score for g in mine), Fraction(0)),
            {p: paths.get(p, 0) for p in (EXACT, CARRIED, ROUNDED)}, bad.get(name, 0)))
    return tuple(out)


def _exercises(graded: list[Graded], grader: ClassGrader) -> tuple[ExerciseSummary, ...]:
    from handcalc.mistakes import CATALOGUE

    by_part: dict[str, dict[int, list[Graded]]] = {}
    for g in graded:
        if g.counted:
            by_part.setdefault(g.row.code, {}).setdefault(g.row.part, []).append(g)
    out = []
    for code, parts in by_part.items():
        ex = grader.exercise(code)
        summaries = []
        for number in sorted(parts):
            rows = parts[number]
            paths = Counter(g.accepted_by for g in rows if g.correct)
            wrong = [g for g in rows if not g.correct]
            mistakes = Counter(g.mistake for g in wrong if g.mistake)
            summaries.append(PartSummary(
                number, str(ex.part(number).prompt), len(rows), sum(g.correct for g in rows),
                {p: paths.get(p, 0) for p in (EXACT, CARRIED, ROUNDED)},
                tuple(MistakeCount(m, str(CATALOGUE[m].title), n)
                      for m, n in sorted(mistakes.items(), key=lambda x: (-x[1], x[0]))),
                sum(1 for g in wrong if not g.mistake)))
        out.append(ExerciseSummary(code, str(ex.title), tuple(summaries)))
    return tuple(out)


def grade_file(path: str | os.PathLike[str], grader: ClassGrader | None = None) -> ClassReport:
    """Read and grade a submissions file; SpecError when it cannot be read at all."""
    grader = grader or ClassGrader()
    raw, unreadable, warnings = read_rows(path)
    graded, invalid = grade_rows(raw, grader)
    seen: dict[tuple[str, str, int], int] = {}
    for g in graded:
        key = (g.row.learner, g.row.code, g.row.part)
        if key in seen:
            warnings.append(Note(seen[key], f"{g.row.learner} answered {g.row.code} part "
                                                f"{g.row.part} again on line {g.row.line}; "
                                                "the last answer counts"))
        seen[key] = g.row.line
    all_invalid = sorted(unreadable + invalid, key=lambda i: i.line)
    return ClassReport(os.path.basename(os.fspath(path)), tuple(graded), tuple(all_invalid),
                       tuple(sorted(warnings, key=lambda w: w.line)),
                       _learners(graded, all_invalid), _exercises(graded, grader))


# ---------------------------------------------------------------- reports


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _num(x: Fraction) -> str:
    return f"{float(x):.2f}".rstrip("0").rstrip(".") if x.denominator != 1 else str(x)


def row_dict(g: Graded) -> dict[str, Any]:
    from handcalc.render import verdict_dict

    r = g.row
    d: dict[str, Any] = {"line": r.line, "learner": r.learner, "code": r.code, "part": r.part,
                         "answer": r.text, "counted": g.counted}
    if g.verdict is None:
        d.update({"correct": False, "score": 0.0, "accepted_by": None, "diagnosis": None})
    else:
        d.update(verdict_dict(g.verdict))
        d.update({"code": r.code, "part": r.part})
    d["note"] = g.note or None
    return d


def report_dict(report: ClassReport) -> dict[str, Any]:
    """Everything: per-row verdicts, invalid rows, warnings, learners, exercises, totals."""
    counted = [g for g in report.rows if g.counted]
    return {
        "source": report.source,
        "totals": {"rows": len(report.rows) + len(report.invalid), "graded": len(report.rows),
                   "counted": len(counted), "correct": sum(g.correct for g in counted),
                   "invalid": len(report.invalid), "learners": len(report.learners)},
        "rows": [row_dict(g) for g in report.rows],
        "invalid": [{"line": i.line, "reason": i.reason, "learner": i.learner or None,
                     "code": i.code or None, "part": i.part or None, "answer": i.answer or None}
                    for i in report.invalid],
        "warnings": [{"line": w.line, "message": w.message} for w in report.warnings],
        "learners": [{"learner": t.learner, "exercises": t.exercises, "answered": t.answered,
                      "correct": t.correct, "score": float(t.score),
                      "accepted_by": dict(t.by_path), "invalid": t.invalid}
                     for t in report.learners],
        "exercises": [{"code": e.code, "title": e.title, "parts": [
            {"part": p.part, "prompt": p.prompt, "answered": p.answered, "correct": p.correct,
             "share": round(p.share, 4), "accepted_by": dict(p.by_path),
             "mistakes": [{"mistake": m.id, "title": m.title, "count": m.count}
                          for m in p.mistakes],
             "unrecognised": p.unrecognised} for p in e.parts]} for e in report.exercises],
    }


def render_json(report: ClassReport) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ("line", "learner", "code", "part", "answer", "status", "score", "accepted_by",
               "mistake", "diagnosis", "counted", "note")
_FORMULA = re.compile(r"^[=+\-@\t\r]")  # what a spreadsheet may run as a formula
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (learners write these cells)."""
    text = "" if value is None else str(value)
    if _FORMULA.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def render_csv(report: ClassReport) -> str:
    """One line per row of the submissions file, graded or invalid, in file order."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    lines: list[tuple[int, list[object]]] = []
    for g in report.rows:
        r, v = g.row, g.verdict
        d = None if v is None else v.diagnosis
        lines.append((r.line, [r.line, r.learner, r.code, r.part, r.text,
                               "correct" if g.correct else "incorrect", _num(g.score),
                               g.accepted_by or "", d.mistake.id if d else "",
                               str(d.text()) if d else "", "yes" if g.counted else "no", g.note]))
    for i in report.invalid:
        lines.append((i.line, [i.line, i.learner, i.code, i.part, i.answer, "invalid", "",
                               "", "", "", "no", i.reason]))
    for _, cells in sorted(lines, key=lambda x: x[0]):
        w.writerow([_cell(c) for c in cells])
    return out.getvalue()


def _md(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ClassReport) -> str:
    """The summary a teacher reads: exercises by part, learners, rows not graded."""
    counted = [g for g in report.rows if g.counted]
    right = sum(g.correct for g in counted)
    out = [f"# Class report: {_md(report.source)}", ""]
    out.append(f"{len(report.learners)} learners, {len(report.rows)} rows graded "
               f"({right} of {len(counted)} counted answers correct), "
               f"{len(report.invalid)} rows could not be graded.")
    for e in report.exercises:
        out += ["", f"## {e.code}: {_md(e.title)}", "",
                "| Part | Answered | Correct | Share | Carried forward | Rounded "
                "intermediates | Most frequent mistakes |",
                "|---:|---:|---:|---:|---:|---:|---|"]
        for p in e.parts:
            top = [f"{_md(m.title)} ({m.count})" for m in p.mistakes[:TOP_MISTAKES]]
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
                   f"{_num(t.score)} | {t.invalid} |")
    if report.invalid:
        out += ["", "## Rows that could not be graded", "", "| Line | Learner | Reason |",
                "|---:|---|---|"]
        out += [f"| {i.line} | {_md(i.learner) or '-'} | {_md(i.reason)} |"
                for i in report.invalid]
    if report.warnings:
        out += ["", "## Notes", ""] + [f"- line {w.line}: {_md(w.message)}"
                                       for w in report.warnings]
    notes = [g for g in report.rows if g.note]
    if notes:
        out += ["", "## Answers of the wrong shape (graded as incorrect)", ""]
        out += [f"- line {g.row.line} ({_md(g.row.learner)}): {_md(g.note)}" for g in notes]
    return "\n".join(out) + "\n"


RENDERERS = {"csv": render_csv, "json": render_json, "md": render_markdown}


def format_for(path: str | os.PathLike[str], given: str | None) -> str:
    """The report format: ``given``, else from the file's suffix."""
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise SpecError(f"cannot tell the report format from '{Path(path).name}': use a .csv, "
                        ".json or .md name, or --format csv|json|md")
    return SUFFIXES[suffix]


def write_report(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (handcalc.fileio.write_outputs: a
    regular file is replaced by a synced temporary file and a rename, a symlink's target
    is replaced, a device, FIFO or ``-`` is written through); ReportError (exit 1)."""
    from handcalc.errors import OutputError
    from handcalc.fileio import output_target, write_outputs

    try:
        write_outputs([(output_target(path), text.encode("utf-8"))])
    except OutputError as e:
        raise ReportError(str(e)) from None
