"""Typst building blocks shared by the student sheet and the answer key: the preamble
(page, fonts, answer boxes, key grids, the keep-together functions), text and math helpers,
title blocks, points, exercise headings and keeping an exercise on a page
(handcalc.sheets.pagefit). Every text from a spec or an exercise enters Typst markup only as
a string literal (``#"..."``), so no character of it is read as markup."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.sheets import pagefit
from handcalc.sheets.compile import document_texts
from handcalc.sheets.fonts import CJK_FAMILY
from handcalc.sheets.model import points_text, repeats
from handcalc.text.markup import tstr
from handcalc.text.messages import Inline, Raw, Text, tr
from handcalc.text.messages import render as render_text

if TYPE_CHECKING:

    from handcalc.sheets.model import Item, Worksheet





def ttext(text: str) -> str:
    """Plain text in Typst markup (no character of it is markup)."""
    return f"#{tstr(text)}"


MATRIX_NAME = re.compile(r"^([A-Za-z])(?:(\d+)|\^([A-Za-z0-9]))?$")
GRAD_NAME = re.compile(r"^d([A-Za-z])/d([A-Za-z])$")


def tname(name: str) -> str:
    """A matrix name as Typst math: Q, Z_(1), W^(O), (d L)/(d Q); else upright text."""
    m = MATRIX_NAME.match(name)
    if m:
        letter, sub, sup = m.groups()
        return letter + (f"_({sub})" if sub else "") + (f"^({sup})" if sup else "")
    g = GRAD_NAME.match(name)
    if g:
        return f"(d {g.group(1)})/(d {g.group(2)})"
    return tstr(name)


def tnum(text: str) -> str:
    """A 2-decimal string ('18.81', '-inf') as Typst math."""
    return {"-inf": "-infinity", "inf": "infinity"}.get(text, text)


def tmat(cells: Sequence[Sequence[str]]) -> str:
    """Typst math for a grid of math strings: one value bare, else a bracketed matrix."""
    if len(cells) == 1 and len(cells[0]) == 1:
        return cells[0][0]
    rows = " ; ".join(" , ".join(r) for r in cells)
    return f'mat(delim: "[", {rows})'


def tm(math: str) -> str:
    """An equation in display style, sized so that its brackets never overlap a neighbour
    (a block equation, left-aligned; put it in a box to flow it in a line)."""
    return f"$ {math} $"


PREAMBLE = """\
#set document(title: {title}, date: none)
#set page(paper: "a4", margin: (x: 1.8cm, top: 1.7cm, bottom: 2cm))
#set text(font: ("Libertinus Serif", {cjk}), size: 10.5pt, lang: {lang})
#set par(justify: false)
#show raw: set text(font: "DejaVu Sans Mono", size: 10pt)
#show math.equation: set text(font: "New Computer Modern Math")
#set math.mat(row-gap: 0.5em, column-gap: 0.9em, align: right)
#show math.equation.where(block: true): set align(start)
#show math.equation.where(block: false): it => box(it)
#let ansbox = box(width: 1.55cm, height: 0.8cm, stroke: 0.6pt + luma(40), radius: 1.5pt)
// an answer area: one box, or a grid of boxes in brackets (placed, not laid out as a
// grid: cheaper to typeset, and its size is known without measuring)
#let area-height(r, c) = if r == 1 and c == 1 {{ 0.8cm }} else {{ r * 0.8cm + (r - 1) * 5pt + 8pt }}
// boxes narrower than 1.55cm only where a row of them would not fit the line (gqa's 12
// or 16 indices, a digit each)
#let answer-area(r, c) = if r == 1 and c == 1 {{ ansbox }} else {{
  let tick = line(length: 4pt, stroke: 0.8pt)
  let bw = calc.min(1.55cm, (16cm - (c - 1) * 5pt - 10pt) / c)
  let cell = box(width: bw, height: 0.8cm, stroke: 0.6pt + luma(40), radius: 1.5pt)
  box(width: c * bw + (c - 1) * 5pt + 10pt, height: area-height(r, c),
    stroke: (x: 0.8pt), inset: (x: 5pt, y: 4pt), {{
    place(top + left, dx: -5pt, dy: -4pt, tick)
    place(bottom + left, dx: -5pt, dy: 4pt, tick)
    place(top + right, dx: 5pt, dy: -4pt, tick)
    place(bottom + right, dx: 5pt, dy: 4pt, tick)
    for i in range(r) {{ for j in range(c) {{
      place(top + left, dx: j * (bw + 5pt), dy: i * (0.8cm + 5pt), cell)
    }} }}
  }})
}}
#let codebox(c) = box(stroke: 0.8pt, inset: (x: 5pt, y: 3pt), radius: 2pt, baseline: 3pt,
  text(font: "DejaVu Sans Mono", size: 11pt, weight: "bold", c))
#let wherebox(c) = box(stroke: 0.8pt, inset: (x: 5pt, y: 3pt), radius: 2pt, baseline: 3pt,
  text(size: 10.5pt, weight: "bold", c))
#let exhead(head, title, right) = block(above: 1.3em, below: 0.7em, width: 100%,
  stroke: (bottom: 0.5pt + luma(150)), inset: (bottom: 4pt),
  [#text(weight: "bold", size: 11.5pt)[#head #title] #h(1fr) #right])
// the prompt's lines measured by their glyphs' bounds: a fraction in it (s = q.k / sqrt(d_k))
// reaches below the baseline, and the block must hold it, not overprint what follows
#let parthead(n, prompt, points) = block(above: 0.9em, below: 0.5em, sticky: true,
  grid(columns: (2.2em, 1fr, auto), column-gutter: 6pt, [*(#n)*],
    text(top-edge: "bounds", bottom-edge: "bounds", prompt),
    text(9pt, fill: luma(60), points)))
#let workroom(height, label) = block(width: 100%, height: height, inset: 4pt, radius: 2pt,
  stroke: (paint: luma(160), thickness: 0.5pt, dash: "dashed"),
  text(7.5pt, fill: luma(130), label))
// room to work on the left, at least `room` high, and the answer boxes (r x c) on the right;
// a row of more than 5 boxes (gqa's 8 or 12) goes below the room, which keeps the page's
// width (pagefit.WIDE_ANSWER)
#let answer-room(r, c, room, label) = if c > 5 {{
  stack(spacing: 6pt, workroom(room, label), answer-area(r, c))
}} else {{
  grid(columns: (1fr, auto), column-gutter: 14pt,
    align: top, workroom(calc.max(room, area-height(r, c)), label), answer-area(r, c))
}}
// a key's steps: (label, value) rows, each label right-aligned with its "=" beside it, in a
// column as wide as the widest label and at least 3 cm (a first row of no height holds it
// open); with width 7.5cm (a label may be longer: handcalc.pagefit), a longer label wraps
// between words, never inside a formula
#let keygrid(width, ..rows) = {{
  let rows = rows.pos()
  set text(top-edge: "bounds", bottom-edge: "bounds")  // fractions in labels: no overlap
  grid(columns: (width, auto, 1fr), column-gutter: 5pt,
    row-gutter: (0pt,) + rows.len() * (6pt,),
    align: (right + horizon, center + horizon, left + horizon), box(width: 3cm), [], [],
    ..rows.map(r => (r.at(0), [=], r.at(1))).flatten())
}}
#let rule(width) = box(width: width, height: 1.1em, stroke: (bottom: 0.5pt))
#let footer(title, version, page) = context [
  #set text(8pt, fill: luma(90))
  #title #h(1fr) #version #h(1fr) #page
]
// an exercise stays on one page when it fits on one (unless whole: false, as in the key);
// else its first part stays with its statement and data, and it breaks only between parts
// (a part taller than a page breaks). Used only where handcalc.pagefit cannot tell that a
// piece fits without measuring it: the others are kept together at once.
#let fits(body) = measure(block(width: {width}, body)).height <= {height}
#let keep(body) = context block(breakable: not fits(body), body)
#let exercise(first, rest, whole: true) = context {{
  if whole and fits({{ first; rest.join() }}) {{
    block(breakable: false, {{ first; rest.join() }})
  }} else {{
    block(breakable: not fits(first), first)
    for p in rest {{ block(breakable: not fits(p), p) }}
  }}
}}
"""
PAGE_WIDTH, PAGE_HEIGHT = "17.4cm", "25.6cm"  # A4 inside the margins (less a little)
WORK_ROOM = {"small": 2.6, "large": 6.0}  # room to work beside a part, in cm


# Chinese glyphs fill the em box, above the cap height and below the baseline that
# Typst's line spacing counts from: wrapped Chinese lines need more room between them.
CJK_PREAMBLE = "#set par(leading: 0.9em)"


def doc_preamble(title: Text, ws: Worksheet) -> list[str]:
    """The preamble, and the settings for Chinese text when the worksheet has some."""
    from handcalc.sheets.fonts import uses_cjk

    out = [PREAMBLE.format(title=tstr(render_text(title, ws.lang, "unicode")),
                           cjk=tstr(CJK_FAMILY), lang=tstr(ws.lang), width=PAGE_WIDTH,
                           height=PAGE_HEIGHT)]
    if uses_cjk(text for _, text in document_texts(ws)):
        out.append(CJK_PREAMBLE)
    return out


def tmsg(id: str, lang: str, **args: object) -> str:
    """A message as Typst markup."""
    return tr(id, lang, "typst", **args)


def points_label(points: Fraction, lang: str, target: str = "typst") -> str:
    if points == 1:
        return tr("sheets.point", lang, target)
    return tr("sheets.points", lang, target, n=Raw(points_text(points)))  # digits, a dot


def new_version(version: int, odd: bool) -> list[str]:
    """What starts a version after the first: a new page, odd when printed two-sided
    (a blank page pads the version before when it ends on an odd page)."""
    return ["#pagebreak(to: \"odd\", weak: true)"] if odd and version > 1 else []


def title_block(title: str, version: int, what: str, lang: str,
                 total: Fraction | None = None, student: bool = False) -> list[str]:
    # a page rule starts a new page: each version begins on one, numbered from 1
    page = tmsg("sheet.footer.page", lang, page=Raw("#context counter(page).display()"))
    shown = render_text(Inline(title), lang, "typst")
    out = [f"#set page(footer: footer([{shown}], [{tmsg('sheet.footer.version', lang, n=version)}"
           f"], [{page}]))",
           "#counter(page).update(1)"]
    out.append(
        "#block(width: 100%, stroke: (bottom: 1.2pt), inset: (bottom: 6pt))["
        f"#text(17pt, weight: \"bold\")[{shown}] #h(1fr) "
        f"#text(12pt)[{what} · *{tmsg('sheet.version', lang, n=version)}*]]")
    if student:
        out.append(
            "#grid(columns: (auto, 1fr, auto, 3.4cm, auto, 3cm), column-gutter: 6pt, "
            f"align: bottom, [{tmsg('sheet.name', lang)}], rule(100%), "
            f"[{tmsg('sheets.student_number', lang)}], rule(100%), [{tmsg('sheet.date', lang)}], "
            "rule(100%))")
        if total is not None:
            score = tmsg("sheets.score", lang, blank=Raw("#rule(1.6cm)"),
                       total=Raw(points_text(total)))
            out.append(f"#align(right, block(above: 0.9em)[{score}])")
    return out


def instructions_block(lines: Sequence[Text], lang: str) -> list[str]:
    items = ", ".join(f"[{render_text(x, lang, 'typst')}]" for x in lines)
    return [f"#block(above: 1em, below: 1em, inset: 8pt, fill: luma(245), radius: 3pt, "
            f"width: 100%, list(tight: true, {items}))"]


def given_block(item: Item) -> list[str]:
    if not item.given_math:
        return []
    parts = [tm(f"{tname(name)} = {tmat(typ)}") for name, typ, _ in item.given_math]
    body = " #h(1.6em) ".join(f"#box({p})" for p in parts)
    return [f"#block(above: 0.8em, below: 0.8em, inset: (left: 2.2em))[{body}]"]


def exercise_head(n: int, item: Item, lang: str, where: int | None = None,
                  section: str | None = None) -> list[str]:
    """The exercise's heading (its code in a box, or with `where`, the version number, in
    place of the code), statement and given data; without its title when that repeats
    the title of its section (`section`, as the spec writes it)."""
    words = item.text["typst"]
    title = "" if repeats(section, words.title) else words.title
    right = (f"#wherebox[{tmsg('sheets.where', lang, k=where, e=n)}]" if where is not None
             else f"{tmsg('sheet.code', lang)} #codebox({tstr(item.code)})")
    below = []
    if where is None and len(item.code) > LONG_CODE:  # a code that carries data: own lines
        right = tmsg("sheet.code", lang)
        below = [f"#block(above: 0.4em, below: 0.8em, text(font: \"DejaVu Sans Mono\", "
                 f"size: 9pt, weight: \"bold\", {tstr(breakable(item.code))}))"]
    # lines measured from their glyphs' tops: an inline fraction must not reach into the line
    # above (the bottom edge stays the baseline: the pages keep their length)
    statement = f'#text(top-edge: "bounds")[{words.statement}]'
    return [f"#exhead([{tmsg('sheet.exercise', lang, n=n)}], [{title}], [{right}])",
            *below, statement] + given_block(item)


LONG_CODE = 40  # longer codes (they carry their data) go on lines of their own
CODE_LINE_CHARS = 85  # characters of such a code per line (9 pt mono on the text width)


def breakable(code: str) -> str:
    """A long code with a break opportunity (U+200B) after each ``~`` and ``_``; a copied
    code keeps them, and handcalc.exercises.datacode drops them when it reads one."""
    return code.replace("~", "~\u200b").replace("_", "_\u200b") if len(code) > LONG_CODE \
        else code


def exercise_block(first: Sequence[str], rest: Sequence[str], bounds: Sequence[float],
              whole: bool = True) -> str:
    """An exercise kept together as the `exercise` function of the preamble does, given
    a bound on the height of each piece (first, then each of rest; handcalc.sheets.pagefit):
    what surely fits on a page is kept together at once, only the rest is measured."""
    pieces = ["\n".join(first), *rest]
    if whole and pagefit.fits(sum(bounds)):
        return "#block(breakable: false)[\n" + "\n".join(pieces) + "\n]"
    if not whole:  # a key: a short piece kept whole, a longer one that surely fits a page
        # may break between its rows (pagefit.keeps_whole), one past a page is measured
        return "\n".join(f"#block(breakable: false)[\n{p}\n]" if pagefit.keeps_whole(b)
                         else f"#block(breakable: true)[\n{p}\n]" if pagefit.fits(b)
                         else f"#keep[\n{p}\n]" for p, b in zip(pieces, bounds, strict=True))
    parts = "".join(f"[\n{p}\n], " for p in rest)
    return f"#exercise([\n{pieces[0]}\n], ({parts}))"


def head_bound(item: Item) -> float:
    """A bound on the height of an exercise's heading, statement and given data."""
    words = item.text["typst"]
    code = 0.0 if len(item.code) <= LONG_CODE else (
        1.2 * pagefit.EM + pagefit.LINE * -(-len(item.code) // CODE_LINE_CHARS))
    return code + pagefit.head(words.title, words.statement,
                               [(name, typ) for name, typ, _ in item.given_math])


def section_head(title: str | None, lang: str) -> list[str]:
    return [f"#heading(level: 2)[{render_text(Inline(title), lang, 'typst')}]"] if title else []


def part_points(ws: Worksheet, s: int, part: dict[str, Any]) -> str:
    """The points printed beside a part: none when the spec gives no points."""
    if not ws.spec.has_points:
        return ""
    return points_label(ws.spec.points_of(s, part["part"]), ws.lang)


