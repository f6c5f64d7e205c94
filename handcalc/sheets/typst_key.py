"""The answer key as Typst: each part's worked steps (label and 2-decimal value), the
answer to 2 decimals and in exact form (a note when the exact form is too long to help),
a shaded heatmap of every weights matrix ("full"); or per version each exercise's code and
its 2-decimal answers ("answers")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from handcalc.sheets import pagefit
from handcalc.sheets.model import heat_labels
from handcalc.sheets.typst_blocks import (
    LONG_CODE,
    breakable,
    doc_preamble,
    exercise_block,
    exercise_head,
    head_bound,
    new_version,
    part_points,
    section_head,
    title_block,
    tm,
    tmat,
    tmsg,
    tnum,
    ttext,
)
from handcalc.text.exactmath import EXACT_INLINE_MAX, EXACT_WRAP
from handcalc.text.messages import Inline, msg

if TYPE_CHECKING:

    from handcalc.sheets.model import Heat, Item, Worksheet



def _rounded_mat(rows: Sequence[Sequence[str]]) -> str:
    return tmat([[tnum(v) for v in r] for r in rows])


def _exact_inline(typ: Sequence[Sequence[str]]) -> bool:
    """Whether exact values are shown as one matrix (else entry by entry)."""
    flat = [v.replace("\n", " ") for r in typ for v in r]
    return len(flat) == 1 and "\n" not in typ[0][0] or max(map(len, flat)) <= EXACT_INLINE_MAX


def _exact_per_row(typ: Sequence[Sequence[str]]) -> int:
    """How many exact entries go in a row when they are shown entry by entry."""
    flat = [v.replace("\n", " ") for r in typ for v in r]
    return max(1, min(len(typ[0]), 3, 120 // max(map(len, flat))))


def _exact_pieces(v: str) -> list[str]:
    """An exact entry's runs of terms (a long sum wraps between them)."""
    return v.split("\n") if len(v) > EXACT_WRAP else [v.replace("\n", " ")]


def _exact_bound(typ: Sequence[Sequence[str]]) -> float:
    """A bound on the height of _exact(typ) (handcalc.sheets.pagefit)."""
    if _exact_inline(typ):
        return pagefit.matrix([[v.replace("\n", " ") for v in r] for r in typ])
    entries = [_exact_pieces(v) for r in typ for v in r]
    return pagefit.exact_entries(entries, _exact_per_row(typ))


def _exact(typ: Sequence[Sequence[str]]) -> str:
    """Exact values (typst_terms strings): a matrix when short, else entry by entry with
    each sum flowing term by term, so that no line runs past the margin."""
    flat = [v.replace("\n", " ") for r in typ for v in r]
    if _exact_inline(typ):
        return tm(tmat([[v.replace("\n", " ") for v in r] for r in typ]))
    one_row, one_col = len(typ) == 1, len(typ[0]) == 1
    entries = []
    for i, r in enumerate(typ, 1):
        for j, v in enumerate(r, 1):
            where = "" if len(flat) == 1 else str(j) if one_row else str(i) if one_col \
                else f"{i},{j}"
            terms = " ".join(f"#box({tm(t)})" for t in _exact_pieces(v))
            entries.append(f"[{'(' + where + ')' if where else ''}], [{terms}]")
    per_row = _exact_per_row(typ)
    return (f"#grid(columns: {per_row} * (2.6em, 1fr), column-gutter: 4pt, "
            "row-gutter: 7pt, "
            "align: left + horizon, " + ", ".join(entries) + ")")


def _heat_color(v: float) -> tuple[str, str]:
    t = min(1.0, max(0.0, v))
    lo, hi = (255, 255, 255), (31, 78, 158)
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(lo, hi, strict=True))
    return f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})", ("white" if t > 0.55 else "black")


HEAT_LABEL = "10pt"  # the query and key labels of a heatmap: readable in print


def _heatmap(heat: Heat, params: dict[str, Any], lang: str) -> str:
    row_labels, col_labels = heat_labels(heat, params)
    cols = len(col_labels)
    cells = ["[]"] + [f"[#text({HEAT_LABEL})[{tmsg('sheet.heat.key', lang, j=j)}]]"
                      for j in col_labels]
    for i, vr, rr in zip(row_labels, heat.values, heat.rounded, strict=True):
        cells.append(f"[#text({HEAT_LABEL})[{tmsg('sheet.heat.query', lang, i=i)}]]")
        for v, t in zip(vr, rr, strict=True):
            fill, ink = _heat_color(v)
            cells.append(f"table.cell(fill: {fill})[#text(fill: {ink})[{t}]]")
    return (f"#table(columns: (1.9cm,) + ({cols} * (1.6cm,)), rows: 0.9cm, align: center "
            f"+ horizon, stroke: 0.5pt + luma(120), " + ", ".join(cells) + ")")


def _key_part(item: Item, p: int, lang: str, points: str = "") -> tuple[str, float]:
    """One part of the key: its question, then a grid of steps, answer, exact, heatmap;
    labels in their own column, each with its '=' beside it. With a bound on its height
    (handcalc.sheets.pagefit)."""
    part = item.data["parts"][p]
    words = item.text["typst"]
    heat = item.heat[p] if p < len(item.heat) else None
    heat_label = tmsg("sheet.heatmap", lang)
    heatmap = (f"([{heat_label}], [{_heatmap(heat, item.data['params'], lang)}])"
               if heat is not None else "")
    heat_h = (pagefit.key_row(heat_label, pagefit.heatmap(len(heat.values)))
              if heat is not None else 0.0)
    rows, heights = [], []
    for i, _ in enumerate(part["steps"]):
        value = _rounded_mat(item.step_rows(p, i))
        rows.append(f"([{words.labels[p][i]}], [{tm(value)}])")
        heights.append(pagefit.key_row(words.labels[p][i], pagefit.matrix(item.step_rows(p, i))))
        if heat is not None and heat.after == i:
            rows.append(heatmap)
            heights.append(heat_h)
    answer_label = f"*{tmsg(item.answer_label(p), lang)}*"
    rows.append(f"([{answer_label}], [#box(fill: rgb(255, 243, 205), "
                f"inset: 3pt, radius: 2pt)[{tm(_rounded_mat(item.answer_rows(p)))}]])")
    heights.append(pagefit.key_row(answer_label, pagefit.matrix(item.answer_rows(p)) + 6))
    brief = item.brief[p] if p < len(item.brief) else True
    long_note = tmsg("sheets.exact_long_cmd", lang, code=item.code)
    exact = (_exact(item.answer_math[p][0]) if brief else
             f"#text(style: \"italic\", fill: luma(70))[{long_note}]")
    rows.append(f"([{tmsg('sheet.exact', lang)}], [{exact}])")
    heights.append(pagefit.key_row(tmsg("sheet.exact", lang), _exact_bound(
        item.answer_math[p][0]) if brief else pagefit.lines(long_note, pagefit.VALUE_EM)
        * pagefit.LINE))
    if heat is not None and heat.after == -1:
        rows.append(heatmap)
        heights.append(heat_h)
    labels = [*words.labels[p], answer_label, tmsg("sheet.exact", lang),
              *([heat_label] if heat is not None else [])]
    width = "7.5cm" if max(map(pagefit.text_em, labels)) > pagefit.LABEL_EM else "auto"
    return (f"#parthead({part['part']}, [{words.prompts[p]}], [{points}])\n"
            f"#block(inset: (left: 2.2em))[#keygrid({width}, " + ", ".join(rows) + ")]",
            pagefit.key_part(words.prompts[p], heights))


def key_typst(ws: Worksheet, style: str = "full") -> str:
    """The answer key as Typst source: every step, answers to 2 dp and exact, heatmaps
    (style "full"), or the 2-decimal answers only, compact (style "answers")."""
    if style == "answers":
        return answers_typst(ws)
    spec, lang = ws.spec, ws.lang
    out = doc_preamble(msg("sheet.key_title", title=Inline(spec.title)), ws)
    for version in ws.versions:
        out += new_version(version.number, spec.duplex)
        out += title_block(spec.title, version.number, tmsg("sheet.key", lang), lang)
        n = 0
        for s, (section, items) in enumerate(version.sections):
            out += section_head(section.title, lang)
            for item in items:
                n += 1
                parts, bounds = zip(*(_key_part(item, p, lang, part_points(ws, s, part))
                                      for p, part in enumerate(item.data["parts"])),
                                    strict=True)
                bounds = (head_bound(item) + bounds[0], *bounds[1:])
                out.append(exercise_block(exercise_head(n, item, lang, section=section.title)
                                          + [parts[0]],
                                     parts[1:], bounds, whole=False))
    return "\n\n".join(out) + "\n"


def answers_typst(ws: Worksheet) -> str:
    """The answers-only key: per version (each on a new page) every exercise's code and its
    parts' 2-decimal answers side by side, for marking at a glance."""
    spec, lang = ws.spec, ws.lang
    out = doc_preamble(msg("sheets.answers_title", title=Inline(spec.title)), ws)
    out.append("#set math.mat(row-gap: 0.25em, column-gap: 0.6em)")
    for version in ws.versions:
        out += title_block(spec.title, version.number, tmsg("sheets.answers", lang), lang)
        cells = []
        n = 0
        long = any(len(it.code) > LONG_CODE for _, its in version.sections for it in its)
        for s, (_, items) in enumerate(version.sections):
            for item in items:
                n += 1
                answers = []
                for p, part in enumerate(item.data["parts"]):
                    points = part_points(ws, s, part)
                    label = (f"*({part['part']})*" + (f"#h(3pt)#text(7.5pt, fill: luma(80))"
                                                      f"[{points}]" if points else ""))
                    answers.append(f"#box(inset: (y: 2pt))[{label} "
                                   f"${_rounded_mat(item.answer_rows(p))}$]")
                cells.append(f"[*{n}.*], [#text(font: \"DejaVu Sans Mono\", size: 9pt)"
                             f"[{ttext(breakable(item.code))}]], [{' #h(1.4em) '.join(answers)}]")
        code_col = "5.5cm" if long else "auto"  # codes that carry data wrap in 5.5 cm
        out.append(f"#block(above: 1em, text(10.5pt, grid(columns: (auto, {code_col}, 1fr), "
                   "column-gutter: 8pt, row-gutter: 5pt, inset: (y: 2pt), "
                   "align: (right + horizon, left + horizon, left + horizon), "
                   "stroke: (x, y) => (bottom: 0.4pt + luma(200)), "
                   + ", ".join(cells) + ")))")
    return "\n\n".join(out) + "\n"


