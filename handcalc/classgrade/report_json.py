"""The JSON report: everything, for scripts.

``json.dumps`` escapes C0 controls; DEL, C1 controls, bidirectional controls and lone
surrogates are escaped here too (``\\u009b``), so the report is safe on a terminal and
still means the same.

``iter_json`` writes the report in chunks, row by row, so that a class of 100,000 rows is
never held whole in memory (as a dict, nor as text): the text is exactly
``json.dumps(report_dict(report), ensure_ascii=False, indent=2)`` (escaped as above), with
each row laid out directly and the part of a row that comes from its verdict encoded once
per verdict (a class repeats its answers, and their verdicts, a lot).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from handcalc.classgrade.core import ClassReport, Graded

# the keys a row has before its verdict's (row_dict)
_ROW_KEYS = ("line", "learner", "code", "part", "answer", "counted")


def _no_verdict(scoring: str) -> dict[str, Any]:
    """What a row whose answer could not be graded says in verdict_dict's fields."""
    return {"correct": False, "score": 0.0, "scoring": scoring, "accepted_by": None,
            "diagnosis": None}


def row_dict(g: Graded, place: Any = None) -> dict[str, Any]:
    """A graded row; ``place`` (points, version, exercise) when the part is on the learner's
    sheet: a counted row adds score x points to the learner's total."""
    from handcalc.views.render import verdict_dict

    r = g.row
    d: dict[str, Any] = {"line": r.line, "learner": r.learner, "code": r.code, "part": r.part,
                         "answer": r.text, "counted": g.counted}
    if g.verdict is None:
        d.update(_no_verdict(g.scoring))
    else:
        d.update(verdict_dict(g.verdict, scoring=g.scoring))
        d.update({"code": r.code, "part": r.part})
    d["note"] = g.note or None
    points, version, exercise = place if place is not None else (0, None, None)
    d.update({"points": float(points), "version": version, "exercise": exercise})
    return d


def _head(report: ClassReport) -> dict[str, Any]:
    """The report's members before the rows: source, totals, assignment."""
    counted = [g for g in report.rows if g.counted]
    return {
        "source": report.source,
        "totals": {"rows": len(report.rows) + report.invalid_count, "graded": len(report.rows),
                   "counted": len(counted), "correct": sum(g.correct for g in counted),
                   "invalid": report.invalid_count, "invalid_not_listed": report.unlisted,
                   "learners": len(report.learners)},
        "assignment": None if report.assignment is None else {
            "spec": report.assignment.name, "versions": len(report.assignment.versions),
            "codes": [[s.code for s in v] for v in report.assignment.versions]},
    }


def _sections(report: ClassReport) -> dict[str, Iterable[dict[str, Any]]]:
    """The report's lists after the rows, each produced item by item."""
    from handcalc.classgrade.marks import decimal

    marks = {m.learner: m for m in report.marks}

    def marked(learner: str) -> dict[str, Any]:
        m = marks.get(learner)
        if m is None:
            return {}
        return {"version": m.version, "total": decimal(m.total),
                "maximum": decimal(m.maximum), "percent": decimal(m.percent, 1),
                "blank": sum(p.graded is None for e in m.exercises for p in e.parts),
                "exercises": [{"exercise": e.exercise, "code": e.code, "total": decimal(e.total),
                               "maximum": decimal(e.maximum)} for e in m.exercises],
                "notes": [{"id": id, **dict(args)} for id, args in m.notes]}

    return {
        "invalid": ({"line": i.line, "reason": i.reason, "learner": i.learner or None,
                     "code": i.code or None, "part": i.part or None, "answer": i.answer or None}
                    for i in report.invalid),
        "warnings": ({"line": w.line, "message": w.message} for w in report.warnings),
        "learners": ({"learner": t.learner, "exercises": t.exercises, "answered": t.answered,
                      "correct": t.correct, "score": float(t.score),
                      "accepted_by": dict(t.by_path), "invalid": t.invalid,
                      **marked(t.learner)}
                     for t in report.learners),
        "exercises": ({"code": e.code, "title": e.title, "parts": [
            {"part": p.part, "prompt": p.prompt, "answered": p.answered, "correct": p.correct,
             "share": round(p.share, 4), "accepted_by": dict(p.by_path),
             "mistakes": [{"mistake": m.id, "title": m.title, "count": m.count}
                          for m in p.mistakes],
             "unrecognised": p.unrecognised} for p in e.parts]} for e in report.exercises),
    }


def report_dict(report: ClassReport) -> dict[str, Any]:
    """Everything: per-row verdicts, invalid rows, warnings, learners, exercises, totals."""
    from handcalc.classgrade.marks import row_points

    places = row_points(report.marks)
    return {
        **_head(report),
        "rows": [row_dict(g, places.get((g.row.learner, g.row.code, g.row.part)))
                 for g in report.rows],
        **{name: list(items) for name, items in _sections(report).items()},
    }


_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_STR = json.encoder.encode_basestring  # a str as json.dumps(ensure_ascii=False) writes it
CHUNK = 1 << 16  # characters a chunk of iter_json gathers before it is yielded


def _escaped(text: str) -> str:
    if text.isascii() and "\x7f" not in text:  # two fast scans: nothing to escape
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _scalar(value: Any) -> str:
    """A str, None, bool, int or float as json.dumps writes it."""
    kind = type(value)
    if kind is str:
        return _STR(value)
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, str):
        return _STR(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value)  # NaN, Infinity; TypeError for what JSON cannot hold


def _key(key: Any) -> str:
    """A dict key as json.dumps writes it (its text, quoted)."""
    if isinstance(key, str):
        return _STR(key)
    if isinstance(key, float | int | None):  # bool and None included, as json words them
        return _STR(_scalar(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


_FLAT = (str, int, bool, type(None))  # types whose equal values json.dumps writes alike
# the text of flat dicts already written, by nesting level and (key, type, value) of each
# member (True == 1, but they are written differently)
FlatKey = tuple[int, tuple[tuple[str, type, Any], ...]]
Memo = dict[FlatKey, str]


def _flat(d: dict[Any, Any], level: int) -> FlatKey | None:
    """The memo's key of a dict of str keys and _FLAT values, or None for any other."""
    items = tuple((k, type(v), v) for k, v in d.items())
    if all(type(k) is str and t in _FLAT for k, t, _ in items):
        return level, items
    return None


def _value(value: Any, level: int, memo: Memo | None = None) -> str:
    """``value`` as json.dumps(value, ensure_ascii=False, indent=2) writes it, at nesting
    `level` (its lines after the first indented by that level); with a memo, each flat
    dict written once (a class's learners repeat their exercises' totals a lot)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        key = None if memo is None else _flat(value, level)
        if key is not None and memo is not None:
            found = memo.get(key)
            if found is None:
                found = memo[key] = "{" + _members(value, level) + "\n" + "  " * level + "}"
            return found
        return "{" + _members(value, level, memo) + "\n" + "  " * level + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        pad = "\n" + "  " * (level + 1)
        return ("[" + ",".join(pad + _value(v, level + 1, memo) for v in value) + "\n" +
                "  " * level + "]")
    return _scalar(value)


def _members(d: dict[Any, Any], level: int, memo: Memo | None = None) -> str:
    """The members of a dict at nesting `level`, each on its own line after a comma (the
    first without one): what json.dumps writes between the dict's braces."""
    pad = "\n" + "  " * (level + 1)
    return ",".join(pad + _key(k) + ": " + _value(v, level + 1, memo) for k, v in d.items())


def _list(items: Iterable[str], level: int) -> Iterator[str]:
    """A list at nesting `level` of items already written at level + 1 (each item as its
    own piece: a row is not copied to put a comma before it)."""
    pad = "\n" + "  " * (level + 1)
    comma = "," + pad
    first = True
    for item in items:
        yield "[" + pad if first else comma
        yield item
        first = False
    yield "[]" if first else "\n" + "  " * level + "]"


class _Rows:
    """Rows as row_dict writes them inside the report (nesting level 2), the members that
    come from a verdict written once per verdict."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[int, str], tuple[Any, str]] = {}
        self._texts: dict[tuple[Any, ...], str] = {}
        self._none: dict[str, str] = {}  # scoring policy -> the text of no verdict

    def _verdict(self, v: Any, scoring: str) -> str:
        if v is None:
            if scoring not in self._none:
                self._none[scoring] = _members(_no_verdict(scoring), 2)
            return self._none[scoring]
        found = self._verdicts.get((id(v), scoring))
        if found is None or found[0] is not v:
            # what verdict_dict writes of a verdict besides its code and part; verdicts
            # that differ only in their code, part or answer share the text
            d = v.diagnosis  # from the catalogue: one object per mistake, kept alive there
            same = (v.correct, scoring, v.accepted_by,
                    None if d is None else (id(d.mistake), d.part, tuple(map(id, d.also))),
                    v.cells, v.expected_shape)
            text = self._texts.get(same)
            if text is None:
                from handcalc.views.render import verdict_dict

                d = verdict_dict(v, scoring=scoring)
                text = self._texts[same] = _escaped(_members(
                    {k: x for k, x in d.items() if k not in _ROW_KEYS}, 2))
            found = self._verdicts[(id(v), scoring)] = (v, text)
        return found[1]

    def text(self, g: Graded, place: Any) -> str:
        """The row, escaped (_UNSAFE)."""
        r = g.row
        line, learner, code, part, answer = r.line, r.learner, r.code, r.part, r.text
        note = g.note or None
        points, version, exercise = place if place is not None else (0, None, None)
        points = float(points)
        # the usual types written at once, anything else as _scalar writes it
        return "".join((
            '{\n      "line": ', repr(line) if type(line) is int else _scalar(line),
            ',\n      "learner": ', _escaped(_STR(learner) if type(learner) is str
                                         else _scalar(learner)),
            ',\n      "code": ', _escaped(_STR(code) if type(code) is str else _scalar(code)),
            ',\n      "part": ', repr(part) if type(part) is int else _scalar(part),
            ',\n      "answer": ', _escaped(_STR(answer) if type(answer) is str
                                        else _scalar(answer)),
            ',\n      "counted": ', "true" if g.counted is True else _scalar(g.counted), ",",
            self._verdict(g.verdict, g.scoring),
            ',\n      "note": ', "null" if note is None else _escaped(_scalar(note)),
            ',\n      "points": ', _scalar(points),
            ',\n      "version": ', "null" if version is None else _scalar(version),
            ',\n      "exercise": ', "null" if exercise is None else _scalar(exercise),
            "\n    }"))


def _gathered(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces gathered into chunks of about CHUNK characters."""
    pending: list[str] = []
    size = 0
    for piece in pieces:
        pending.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)


def _pieces(report: ClassReport) -> Iterator[str]:
    from handcalc.classgrade.marks import row_points

    places = row_points(report.marks)
    # each piece escaped (_UNSAFE) on its own: escaping is character by character, and
    # most pieces are ASCII, which two fast scans tell; a verdict's text is escaped once
    yield _escaped("{" + _members(_head(report), 0))
    rows = _Rows()
    yield ',\n  "rows": '
    yield from _list((rows.text(g, places.get((g.row.learner, g.row.code, g.row.part)))
                      for g in report.rows), 1)
    for name, items in _sections(report).items():
        yield ",\n  " + _STR(name) + ": "
        memo: Memo | None = {} if name == "learners" else None  # their rows are all unlike
        yield from _list((_escaped(_value(item, 2, memo)) for item in items), 1)
    yield "\n}\n"


def iter_json(report: ClassReport) -> Iterator[str]:
    """The JSON report in chunks of text (render_json's text, produced as it is written)."""
    return _gathered(_pieces(report))


def render_json(report: ClassReport) -> str:
    """The JSON report: json.dumps(report_dict(report), ensure_ascii=False, indent=2), with
    the characters a terminal would act on escaped, and a final line break."""
    return "".join(iter_json(report))
