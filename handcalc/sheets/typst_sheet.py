"""The student sheet as Typst: title block (name, student number, date, version; the score
out of the total when the spec gives points), instructions, then each exercise with its
code in a box (or "version k · exercise e" when the spec hides codes), the given matrices,
each part's question (its points beside it) and an answer area shaped like the answer,
with room to work beside it when the spec asks. No answer appears on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handcalc.sheets import pagefit
from handcalc.sheets.model import version_points
from handcalc.sheets.typst_blocks import (
    WORK_ROOM,
    doc_preamble,
    exercise_block,
    exercise_head,
    head_bound,
    instructions_block,
    new_version,
    part_points,
    section_head,
    title_block,
    tmsg,
)
from handcalc.text.messages import Inline

if TYPE_CHECKING:

    from handcalc.sheets.model import Worksheet


def student_typst(ws: Worksheet) -> str:
    """The student sheet as Typst source: every version, no answers."""
    spec, lang = ws.spec, ws.lang
    hidden = spec.codes == "hidden"
    out = doc_preamble(Inline(spec.title), ws)
    for version in ws.versions:
        out += new_version(version.number, spec.duplex)
        total = version_points(ws, version) if spec.has_points else None
        label = tmsg(f"sheet.{spec.sheet_kind}", lang)  # 练习卷 / 试卷
        out += title_block(spec.title, version.number, label, lang,
                            total, student=True)
        out += instructions_block(spec.instructions, lang)
        n = 0
        for s, (section, items) in enumerate(version.sections):
            out += section_head(section.title, lang)
            room = WORK_ROOM.get(spec.work_of(section))
            for item in items:
                n += 1
                parts, bounds = [], [head_bound(item)]
                for i, part in enumerate(item.data["parts"]):
                    r, c = (int(x) for x in part["shape"])
                    prompt = item.text["typst"].prompts[i]
                    area = (f"#answer-room({r}, {c}, {room}cm, [{tmsg('sheets.work', lang)}])"
                            if room else f"#answer-area({r}, {c})")
                    parts.append(f"#parthead({part['part']}, [{prompt}], "
                                 f"[{part_points(ws, s, part)}])\n"
                                 f"#block(inset: (left: 2.2em), below: 1.1em)[{area}]")
                    bounds.append(pagefit.sheet_part(prompt, (r, c), (room or 0) * pagefit.CM))
                head = exercise_head(n, item, lang, version.number if hidden else None,
                                     section.title)
                bounds[:2] = [bounds[0] + bounds[1]]
                out.append(exercise_block(head + parts[:1], parts[1:], bounds))
    return "\n\n".join(out) + "\n"

