"""The student sheet and the answer key as Markdown with LaTeX math (text escaped)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.sheets.model import heat_labels, points_text, repeats, version_points
from handcalc.sheets.typst_blocks import GRAD_NAME, MATRIX_NAME, points_label
from handcalc.text.exactmath import EXACT_INLINE_MAX
from handcalc.text.messages import Inline, Raw, msg, tr
from handcalc.text.messages import render as render_text

if TYPE_CHECKING:

    from handcalc.sheets.model import Heat, Item, Worksheet





def mdcode(text: str) -> str:
    """Inline code that holds `text` exactly (backticks included)."""
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0) + 1
    fence = "`" * ticks
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def lname(name: str) -> str:
    m = MATRIX_NAME.match(name)
    if m:
        letter, sub, sup = m.groups()
        return letter + (f"_{{{sub}}}" if sub else "") + (f"^{{{sup}}}" if sup else "")
    g = GRAD_NAME.match(name)
    if g:
        return rf"\frac{{\partial {g.group(1)}}}{{\partial {g.group(2)}}}"
    return r"\text{" + re.sub(r"([\\{}$&#^_%~])", r"\\\1", name) + "}"


def lmat(cells: Sequence[Sequence[str]]) -> str:
    if len(cells) == 1 and len(cells[0]) == 1:
        return cells[0][0]
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(r) for r in cells) + r"\end{bmatrix}"


def lnum(text: str) -> str:
    return {"-inf": r"-\infty", "inf": r"\infty"}.get(text, text)


def _md(id: str, lang: str, **args: object) -> str:
    """A message as Markdown."""
    return tr(id, lang, "markdown", **args)


def _md_head(n: int, item: Item, lang: str, where: int | None = None,
             section: str | None = None) -> list[str]:
    """The exercise's heading with its code (or with `where`, its version and number in
    place of the code), statement and given data; without its title when that repeats
    the title of its section (`section`, as the spec writes it)."""
    words = item.text["markdown"]
    title = "" if repeats(section, words.title) else words.title
    if where is not None:
        head = _md("sheets.md.exercise_head_hidden", lang, n=n, title=Raw(title),
                   where=msg("sheets.where", k=where, e=n))
    else:
        head = _md("sheet.md.exercise_head", lang, n=n, title=Raw(title),
                   code=Raw(mdcode(item.code)))
    head = " ".join(head.split())  # no double space where the title was left out
    out = ["### " + head, "", words.statement, ""]
    if item.given_math:
        given = r",\quad ".join(f"{lname(name)} = {lmat(lx)}" for name, _, lx in item.given_math)
        out += ["$$", given, "$$", ""]
    return out


def _md_title(title: str, version: int, key: bool, many: bool, lang: str,
              total: Fraction | None = None, kind: str = "worksheet") -> list[str]:
    if not key:
        head = _md(f"sheet.md.{kind}_head", lang, title=Inline(title), n=version)
    else:
        head = _md("sheet.md.key_head_version" if many else "sheet.md.key_head", lang,
                   title=Inline(title), n=version)
    out = [f"# {head}", ""]
    if not key:
        out += [_md("sheets.md.name_line", lang), ""]
        if total is not None:
            out += [_md("sheets.score", lang, blank=Raw("\\_\\_\\_\\_\\_\\_"),
                        total=Raw(points_text(total))), ""]
    return out


def _md_points(ws: Worksheet, s: int, part: dict[str, Any]) -> str:
    if not ws.spec.has_points:
        return ""
    return f" *({points_label(ws.spec.points_of(s, part['part']), ws.lang, 'markdown')})*"


def student_markdown(ws: Worksheet) -> str:
    """The student sheet as Markdown with LaTeX math; answer boxes as \\boxed{} grids."""
    spec, lang = ws.spec, ws.lang
    hidden = spec.codes == "hidden"
    out: list[str] = []
    many = len(ws.versions) > 1
    box = r"\boxed{\phantom{XXXXX}}"
    for version in ws.versions:
        if version.number > 1:
            out += ["---", ""]
        total = version_points(ws, version) if spec.has_points else None
        out += _md_title(spec.title, version.number, False, many, lang, total,
                         spec.sheet_kind)
        out += [f"- {render_text(x, lang, 'markdown')}" for x in spec.instructions] + [""]
        n = 0
        for s, (section, items) in enumerate(version.sections):
            if section.title:
                out += [f"## {render_text(Inline(section.title), lang, 'markdown')}", ""]
            for item in items:
                n += 1
                out += _md_head(n, item, lang, version.number if hidden else None,
                                section.title)
                for i, part in enumerate(item.data["parts"]):
                    r, c = part["shape"]
                    out += [f"**({part['part']})** {item.text['markdown'].prompts[i]}"
                            f"{_md_points(ws, s, part)}", "", "$$",
                            lmat([[box] * c for _ in range(r)]), "$$", ""]
    return "\n".join(out).rstrip() + "\n"


def _md_exact(lx: Sequence[Sequence[str]]) -> list[str]:
    flat = [v for r in lx for v in r]
    if len(flat) == 1 or max(map(len, flat)) <= 2 * EXACT_INLINE_MAX:
        return ["$$", lmat(lx), "$$"]
    one_row, one_col = len(lx) == 1, len(lx[0]) == 1
    out = []
    for i, r in enumerate(lx, 1):
        for j, v in enumerate(r, 1):
            where = str(j) if one_row else str(i) if one_col else f"{i},{j}"
            out.append(f"- ({where}) ${v}$")
    return out


def _md_heat(heat: Heat, params: dict[str, Any], lang: str) -> list[str]:
    row_labels, col_labels = heat_labels(heat, params)
    head = "| | " + " | ".join(_md("sheet.heat.key", lang, j=j) for j in col_labels) + " |"
    out = [head, "|---" * (len(col_labels) + 1) + "|"]
    for i, vr, rr in zip(row_labels, heat.values, heat.rounded, strict=True):
        cells = []
        for v, t in zip(vr, rr, strict=True):
            shade = " ░▒▓█"[min(4, int(max(0.0, min(1.0, v)) * 4.999))]
            cells.append(f"{t} {shade}".rstrip())
        out.append(f"| {_md('sheet.heat.query', lang, i=i)} | " + " | ".join(cells) + " |")
    return [_md("sheet.md.heatmap", lang), ""] + out + [""]


def key_markdown(ws: Worksheet, style: str = "full") -> str:
    """The answer key as Markdown with LaTeX math: every step, 2 dp and exact answers
    (style "full"), or a table of the 2-decimal answers per version (style "answers")."""
    if style == "answers":
        return answers_markdown(ws)
    spec, lang = ws.spec, ws.lang
    out: list[str] = []
    many = len(ws.versions) > 1
    for version in ws.versions:
        if version.number > 1:
            out += ["---", ""]
        out += _md_title(spec.title, version.number, True, many, lang)
        n = 0
        for s, (section, items) in enumerate(version.sections):
            if section.title:
                out += [f"## {render_text(Inline(section.title), lang, 'markdown')}", ""]
            for item in items:
                n += 1
                out += _md_head(n, item, lang, section=section.title)
                words = item.text["markdown"]
                for p, part in enumerate(item.data["parts"]):
                    out += [f"**({part['part']})** {words.prompts[p]}"
                            f"{_md_points(ws, s, part)}", ""]
                    heat = item.heat[p] if p < len(item.heat) else None
                    for i, _ in enumerate(part["steps"]):
                        vals = lmat([[lnum(v) for v in r] for r in item.step_rows(p, i)])
                        out.append(f"- {words.labels[p][i]} $= {vals}$")
                        if heat is not None and heat.after == i:
                            out += [""] + _md_heat(heat, item.data["params"], lang)
                    rounded = lmat([[lnum(v) for v in r] for r in item.answer_rows(p)])
                    out += [f"- **{_md(item.answer_label(p), lang)}** $= {rounded}$", "",
                            f"{_md('sheet.exact', lang)}:", ""]
                    if p >= len(item.brief) or item.brief[p]:
                        out += _md_exact(item.answer_math[p][1]) + [""]
                    else:
                        out += [f"*{_md('sheets.exact_long_cmd', lang, code=item.code)}*", ""]
                    if heat is not None and heat.after == -1:
                        out += _md_heat(heat, item.data["params"], lang)
    return "\n".join(out).rstrip() + "\n"


def answers_markdown(ws: Worksheet) -> str:
    """The answers-only key as Markdown: per version a table of exercise, code, part,
    2-decimal answer (and points when the spec gives them)."""
    spec, lang = ws.spec, ws.lang
    out: list[str] = []
    cols = ["sheets.md.exercise", "sheets.md.code", "sheets.md.part", "sheets.md.answer"]
    if spec.has_points:
        cols.append("sheets.md.points")
    for version in ws.versions:
        if version.number > 1:
            out += ["---", ""]
        head = _md("sheets.md.answers_head", lang, title=Inline(spec.title), n=version.number)
        out += [f"# {head}", "", "| " + " | ".join(_md(c, lang) for c in cols) + " |",
                "|---" * len(cols) + "|"]
        n = 0
        for s, (_, items) in enumerate(version.sections):
            for item in items:
                n += 1
                for p, part in enumerate(item.data["parts"]):
                    rounded = lmat([[lnum(v) for v in r] for r in item.answer_rows(p)])
                    row = [str(n) if part["part"] == 1 else "",
                           mdcode(item.code) if part["part"] == 1 else "",
                           f"({part['part']})", f"${rounded}$"]
                    if spec.has_points:
                        row.append(points_text(spec.points_of(s, part["part"])))
                    out.append("| " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


