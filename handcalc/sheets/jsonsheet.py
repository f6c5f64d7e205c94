"""The student sheet and the answer key as JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from handcalc.sheets.model import points_text
from handcalc.text.messages import render as render_text

if TYPE_CHECKING:

    from handcalc.sheets.model import Worksheet



def _sheet_dict(ws: Worksheet, key: bool) -> dict[str, Any]:
    spec = ws.spec
    hidden = spec.codes == "hidden" and not key
    versions = []
    for version in ws.versions:
        exercises = []
        for section, items in version.sections:
            for item in items:
                d = dict(item.data)
                if not key:
                    d["parts"] = [{k: p[k] for k in ("part", "key", "prompt", "kind", "shape")}
                                  for p in d["parts"]]
                if hidden:  # nothing that rebuilds the exercise, hence its key
                    d = {k: v for k, v in d.items() if k not in ("code", "seed")}
                exercises.append({"section": section.title, **d})
        versions.append({"version": version.number, "exercises": exercises})
    out = {"title": spec.title, "sheet": "answer key" if key else "worksheet",
           "lang": ws.lang,
           "instructions": [render_text(x, ws.lang, "unicode") for x in spec.instructions],
           "seed": spec.seed,
           "versions": versions}
    if hidden:  # the spec's seed and the version give every code (worksheet.seed_for)
        del out["seed"]
    return out


def _answers_dict(ws: Worksheet) -> dict[str, Any]:
    """The answers-only key: per version, per exercise its code and per part the
    2-decimal answer and its points (as a string: '2', '1.5')."""
    spec = ws.spec
    versions = []
    for version in ws.versions:
        exercises = []
        n = 0
        for s, (_, items) in enumerate(version.sections):
            for item in items:
                n += 1
                exercises.append({"exercise": n, "code": item.code, "parts": [
                    {"part": p["part"], "rounded": p["rounded"],
                     "points": points_text(spec.points_of(s, p["part"]))}
                    for p in item.data["parts"]]})
        versions.append({"version": version.number, "exercises": exercises})
    return {"title": spec.title, "sheet": "answers", "lang": ws.lang, "seed": spec.seed,
            "versions": versions}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def student_json(ws: Worksheet) -> str:
    """The student sheet as JSON: given data and questions, no answers (and no codes
    when the spec hides them)."""
    return _dumps(_sheet_dict(ws, key=False))


def key_json(ws: Worksheet, style: str = "full") -> str:
    """The key as JSON: per version, each exercise's exercise_dict(ex, steps=True); with
    style "answers", per version each exercise's code and its parts' 2-decimal answers
    and points."""
    return _dumps(_answers_dict(ws) if style == "answers" else _sheet_dict(ws, key=True))


