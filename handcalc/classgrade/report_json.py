"""The JSON report: everything, for scripts.

``json.dumps`` escapes C0 controls; DEL, C1 controls, bidirectional controls and lone
surrogates are escaped here too (``\\u009b``), so the report is safe on a terminal and
still means the same.
"""

from __future__ import annotations

import json
import re
from typing import Any

from handcalc.classgrade.core import ClassReport, Graded


def row_dict(g: Graded, place: Any = None) -> dict[str, Any]:
    """A graded row; ``place`` (points, version, exercise) when the part is on the learner's
    sheet: a counted row adds score x points to the learner's total."""
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
    points, version, exercise = place if place is not None else (0, None, None)
    d.update({"points": float(points), "version": version, "exercise": exercise})
    return d


def report_dict(report: ClassReport) -> dict[str, Any]:
    """Everything: per-row verdicts, invalid rows, warnings, learners, exercises, totals."""
    from handcalc.classgrade.marks import decimal, row_points

    counted = [g for g in report.rows if g.counted]
    places = row_points(report.marks)
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
        "source": report.source,
        "totals": {"rows": len(report.rows) + report.invalid_count, "graded": len(report.rows),
                   "counted": len(counted), "correct": sum(g.correct for g in counted),
                   "invalid": report.invalid_count, "invalid_not_listed": report.unlisted,
                   "learners": len(report.learners)},
        "assignment": None if report.assignment is None else {
            "spec": report.assignment.name, "versions": len(report.assignment.versions),
            "codes": [[s.code for s in v] for v in report.assignment.versions]},
        "rows": [row_dict(g, places.get((g.row.learner, g.row.code, g.row.part)))
                 for g in report.rows],
        "invalid": [{"line": i.line, "reason": i.reason, "learner": i.learner or None,
                     "code": i.code or None, "part": i.part or None, "answer": i.answer or None}
                    for i in report.invalid],
        "warnings": [{"line": w.line, "message": w.message} for w in report.warnings],
        "learners": [{"learner": t.learner, "exercises": t.exercises, "answered": t.answered,
                      "correct": t.correct, "score": float(t.score),
                      "accepted_by": dict(t.by_path), "invalid": t.invalid,
                      **marked(t.learner)}
                     for t in report.learners],
        "exercises": [{"code": e.code, "title": e.title, "parts": [
            {"part": p.part, "prompt": p.prompt, "answered": p.answered, "correct": p.correct,
             "share": round(p.share, 4), "accepted_by": dict(p.by_path),
             "mistakes": [{"mistake": m.id, "title": m.title, "count": m.count}
                          for m in p.mistakes],
             "unrecognised": p.unrecognised} for p in e.parts]} for e in report.exercises],
    }


_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def render_json(report: ClassReport) -> str:
    text = json.dumps(report_dict(report), ensure_ascii=False, indent=2)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"

