"""Typesetting worksheets and answer keys: Typst (for PDF), Markdown with LaTeX math, JSON.

Works from a built ``handcalc.sheets.worksheet.Worksheet`` (plain strings: every exercise's key
dictionary and its exact values as Typst and LaTeX math), knows no family by name.

* The student sheet: title block (name, student number, date, version; the score out of
  the total when the spec gives points), instructions, then each exercise with its code
  in a box (or, when the spec hides codes, "version k · exercise e"), the given matrices,
  each part's question (its points beside it) and an answer area shaped like the answer
  (a grid of boxes for a matrix, boxes in a row or a column for a vector, one box for a
  scalar), with room to work beside it when the spec asks. No answer appears on it. An
  exercise that fits on a page stays on one; a longer one keeps its statement, data and
  first part together and breaks only between parts.
* The answer key ("full"): each part's worked steps (label and 2-decimal value), the
  answer to 2 decimals and in exact form (a note when the exact form is too long to
  help, ``exact_brief``), and a shaded heatmap of every weights matrix. The "answers"
  style: per version on a page, each exercise's code and its 2-decimal answers.

Every text that comes from a spec or an exercise enters Typst markup only as a string
literal (``#"..."``), so no character of it is read as markup; Markdown text is escaped.
Versions start on a new page, each with its own page numbers; with the spec's duplex
(the default) the sheet's and the full key's versions start on odd pages. The PDF carries
no date, and only Typst's embedded fonts, the CJK font shipped in handcalc/sheets/fonts and the
folders given with --font-dir are used (never the system's), so one source gives the same
bytes anywhere. Before a PDF is compiled, every character of it must be covered by one of
those fonts (``handcalc.sheets.fonts.check_coverage``): a missing glyph is an error, never a box.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy
from sympy.printing.str import StrPrinter

from handcalc.sheets import pagefit
from handcalc.sheets.fonts import CJK_FAMILY
from handcalc.text.markup import tstr
from handcalc.text.messages import Inline, Raw, Text, msg, tr
from handcalc.text.messages import render as render_text

TEXT_FORMATS = ("pdf", "typ", "md", "json")  # what `source` writes (worksheet.py imports us,
# never the other way round: the worksheet model reaches this module as data)

if TYPE_CHECKING:
    from os import PathLike

    from handcalc.sheets.worksheet import Heat, Item, Version, Worksheet

EXACT_INLINE_MAX = 14  # exact entries up to this many characters go in a matrix
EXACT_WRAP = 60  # longer exact entries wrap between the terms of their sum


# ---------------------------------------------------------------- exact values as math

class _TypstPrinter(StrPrinter):
    """sympy's str form, with Typst math spelling: e^(x), sqrt(x), infinity, juxtaposition.

    Printed subexpressions are remembered (the entries of one answer share their
    denominators); a printer is made per exercise so that the memory stays small."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self._memo: dict[Any, str] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if kwargs:
            return super()._print(expr, **kwargs)
        text = self._memo.get(expr)
        if text is None:
            text = self._memo[expr] = super()._print(expr)
        return text

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_exp(self, expr: Any) -> str:
        return f"e^({self._print(expr.args[0])})"

    def _print_Infinity(self, expr: Any) -> str:
        return "infinity"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "-infinity"

    def _print_ImaginaryUnit(self, expr: Any) -> str:
        return "i"

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, e = expr.args
        if e == sympy.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if e == sympy.Rational(-1, 2):
            return f"1/sqrt({self._print(base)})"
        if e == -1:
            return f"1/{self.parenthesize(base, 60)}"
        b = self.parenthesize(base, 60)
        return f"{b}^({self._print(e)})"

    def _print_Mul(self, expr: Any) -> str:
        """A product, its factors side by side; over a denominator, the whole numerator
        goes over it ('(5 sqrt(2))/2', a fraction, never '5 sqrt(2)/2', which Typst sets
        as 5 beside a fraction and reads as a mixed number)."""
        text = super()._print_Mul(expr)
        sign = "-" if text.startswith("-") else ""
        body = text[len(sign):]
        depth, star, slash = 0, -1, -1
        for i, ch in enumerate(body):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth == 0 and ch == "*" and slash < 0:
                star = i
            elif depth == 0 and ch == "/" and slash < 0:
                slash = i
        if 0 <= star < slash:
            body = f"({body[:slash]}){body[slash:]}"
        return (sign + body).replace("*", " ")


def typst_printer() -> _TypstPrinter:
    # order="none": terms in sympy's canonical argument order (deterministic everywhere,
    # and far cheaper than sorting them for print, which evaluates every term numerically).
    return _TypstPrinter({"order": "none"})


def typst_math(x: Any, printer: _TypstPrinter | None = None) -> str:
    """An exact sympy value as Typst math: '5 sqrt(2)/2', 'e^(2)/(1 + e^(2))', '-infinity'."""
    return (printer or typst_printer()).doprint(x)


def typst_terms(x: Any, printer: _TypstPrinter | None = None) -> str:
    """typst_math(x), with a line break between the terms of a top-level sum (each after
    the first starting with its '+' or '-'), so that a long sum can wrap between terms."""
    from sympy.printing.precedence import precedence

    printer = printer or typst_printer()
    if not x.is_Add:
        return printer.doprint(x)
    pieces = []
    for term in printer._as_ordered_terms(x, order=None):
        t = printer._print(term)
        sign = "+"
        if t.startswith("-") and not term.is_Add:
            sign, t = "-", t[1:]
        if precedence(term) < precedence(x) or term.is_Add:
            t = f"({t})"
        pieces.append(f"{sign} {t}")
    first = pieces[0]
    pieces[0] = first[2:] if first.startswith("+") else "-" + first[2:]
    return "\n".join(pieces)


EXACT_TOTAL = 160  # a part's exact entries, all told, up to this many characters of Typst
EXACT_DIGITS = 6  # a number of this many digits or more makes an exact form unhelpful


def exact_brief(typ: Sequence[Sequence[str]]) -> bool:
    """Whether an exact answer (its entries as Typst math) is short enough to help a
    teacher marking by hand: every entry at most EXACT_WRAP characters, all of them at most
    EXACT_TOTAL, and no number of EXACT_DIGITS digits (LayerNorm's 700 sqrt(26000090) /
    2600009). Otherwise the key prints a note; the JSON key holds the value."""
    flat = [v.replace("\n", " ") for r in typ for v in r]
    return (max(map(len, flat), default=0) <= EXACT_WRAP
            and sum(map(len, flat)) <= EXACT_TOTAL
            and not any(re.search(rf"\d{{{EXACT_DIGITS}}}", v) for v in flat))


def latex_math(x: Any) -> str:
    """An exact sympy value as LaTeX: '\\frac{5 \\sqrt{2}}{2}', '-\\infty'."""
    return sympy.latex(x, order="none")


# ---------------------------------------------------------------- Typst helpers



def ttext(text: str) -> str:
    """Plain text in Typst markup (no character of it is markup)."""
    return f"#{tstr(text)}"


_NAME = re.compile(r"^([A-Za-z])(?:(\d+)|\^([A-Za-z0-9]))?$")
_GRAD = re.compile(r"^d([A-Za-z])/d([A-Za-z])$")


def tname(name: str) -> str:
    """A matrix name as Typst math: Q, Z_(1), W^(O), (d L)/(d Q); else upright text."""
    m = _NAME.match(name)
    if m:
        letter, sub, sup = m.groups()
        return letter + (f"_({sub})" if sub else "") + (f"^({sup})" if sup else "")
    g = _GRAD.match(name)
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
#let answer-area(r, c) = if r == 1 and c == 1 {{ ansbox }} else {{
  let tick = line(length: 4pt, stroke: 0.8pt)
  box(width: c * 1.55cm + (c - 1) * 5pt + 10pt, height: area-height(r, c),
    stroke: (x: 0.8pt), inset: (x: 5pt, y: 4pt), {{
    place(top + left, dx: -5pt, dy: -4pt, tick)
    place(bottom + left, dx: -5pt, dy: 4pt, tick)
    place(top + right, dx: 5pt, dy: -4pt, tick)
    place(bottom + right, dx: 5pt, dy: 4pt, tick)
    for i in range(r) {{ for j in range(c) {{
      place(top + left, dx: j * (1.55cm + 5pt), dy: i * (0.8cm + 5pt), ansbox)
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
#let parthead(n, prompt, points) = block(above: 0.9em, below: 0.5em, sticky: true,
  grid(columns: (2.2em, 1fr, auto), column-gutter: 6pt, [*(#n)*], prompt,
    text(9pt, fill: luma(60), points)))
#let workroom(height, label) = block(width: 100%, height: height, inset: 4pt, radius: 2pt,
  stroke: (paint: luma(160), thickness: 0.5pt, dash: "dashed"),
  text(7.5pt, fill: luma(130), label))
// room to work on the left, at least `room` high, and the answer boxes (r x c) on the right
#let answer-room(r, c, room, label) = grid(columns: (1fr, auto), column-gutter: 14pt,
  align: top, workroom(calc.max(room, area-height(r, c)), label), answer-area(r, c))
// a key's steps: (label, value) rows, each label right-aligned with its "=" beside it, in a
// column as wide as the widest label and at least 3 cm (a first row of no height holds it
// open); with width 7.5cm (a label may be longer: handcalc.sheets.pagefit), a longer label wraps
// between words, never inside a formula
#let keygrid(width, ..rows) = {{
  let rows = rows.pos()
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
// (a part taller than a page breaks). Used only where handcalc.sheets.pagefit cannot tell that a
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


def _doc(title: Text, ws: Worksheet) -> list[str]:
    """The preamble, and the settings for Chinese text when the worksheet has some."""
    from handcalc.sheets.fonts import uses_cjk

    out = [PREAMBLE.format(title=tstr(render_text(title, ws.lang, "unicode")),
                           cjk=tstr(CJK_FAMILY), lang=tstr(ws.lang), width=PAGE_WIDTH,
                           height=PAGE_HEIGHT)]
    if uses_cjk(text for _, text in document_texts(ws)):
        out.append(CJK_PREAMBLE)
    return out


def _t(id: str, lang: str, **args: object) -> str:
    """A message as Typst markup."""
    return tr(id, lang, "typst", **args)


def points_text(points: Fraction) -> str:
    """Points as printed: 2, 1.5, 0.5."""
    return str(points.numerator) if points.denominator == 1 else f"{float(points):g}"


def _points(points: Fraction, lang: str, target: str = "typst") -> str:
    if points == 1:
        return tr("sheets.point", lang, target)
    return tr("sheets.points", lang, target, n=Raw(points_text(points)))  # digits, a dot


def version_points(ws: Worksheet, version: Version) -> Fraction:
    """The points of every part of a version, all told."""
    return sum((ws.spec.points_of(s, part["part"])
                for s, (_, items) in enumerate(version.sections)
                for item in items for part in item.data["parts"]), Fraction(0))


def _new_version(version: int, odd: bool) -> list[str]:
    """What starts a version after the first: a new page, odd when printed two-sided
    (a blank page pads the version before when it ends on an odd page)."""
    return ["#pagebreak(to: \"odd\", weak: true)"] if odd and version > 1 else []


def _title_block(title: str, version: int, what: str, lang: str,
                 total: Fraction | None = None, student: bool = False) -> list[str]:
    # a page rule starts a new page: each version begins on one, numbered from 1
    page = _t("sheet.footer.page", lang, page=Raw("#context counter(page).display()"))
    shown = render_text(Inline(title), lang, "typst")
    out = [f"#set page(footer: footer([{shown}], [{_t('sheet.footer.version', lang, n=version)}"
           f"], [{page}]))",
           "#counter(page).update(1)"]
    out.append(
        "#block(width: 100%, stroke: (bottom: 1.2pt), inset: (bottom: 6pt))["
        f"#text(17pt, weight: \"bold\")[{shown}] #h(1fr) "
        f"#text(12pt)[{what} · *{_t('sheet.version', lang, n=version)}*]]")
    if student:
        out.append(
            "#grid(columns: (auto, 1fr, auto, 3.4cm, auto, 3cm), column-gutter: 6pt, "
            f"align: bottom, [{_t('sheet.name', lang)}], rule(100%), "
            f"[{_t('sheets.student_number', lang)}], rule(100%), [{_t('sheet.date', lang)}], "
            "rule(100%))")
        if total is not None:
            score = _t("sheets.score", lang, blank=Raw("#rule(1.6cm)"),
                       total=Raw(points_text(total)))
            out.append(f"#align(right, block(above: 0.9em)[{score}])")
    return out


def _instructions(lines: Sequence[Text], lang: str) -> list[str]:
    items = ", ".join(f"[{render_text(x, lang, 'typst')}]" for x in lines)
    return [f"#block(above: 1em, below: 1em, inset: 8pt, fill: luma(245), radius: 3pt, "
            f"width: 100%, list(tight: true, {items}))"]


def _given(item: Item) -> list[str]:
    if not item.given_math:
        return []
    parts = [tm(f"{tname(name)} = {tmat(typ)}") for name, typ, _ in item.given_math]
    body = " #h(1.6em) ".join(f"#box({p})" for p in parts)
    return [f"#block(above: 0.8em, below: 0.8em, inset: (left: 2.2em))[{body}]"]


def _exercise_head(n: int, item: Item, lang: str, where: int | None = None) -> list[str]:
    """The exercise's heading (its code in a box, or with `where`, the version number, in
    place of the code), statement and given data."""
    words = item.text["typst"]
    right = (f"#wherebox[{_t('sheets.where', lang, k=where, e=n)}]" if where is not None
             else f"{_t('sheet.code', lang)} #codebox({tstr(item.code)})")
    return [f"#exhead([{_t('sheet.exercise', lang, n=n)}], [{words.title}], [{right}])",
            words.statement] + _given(item)


def _exercise(first: Sequence[str], rest: Sequence[str], bounds: Sequence[float],
              whole: bool = True) -> str:
    """An exercise kept together as the `exercise` function of the preamble does, given
    a bound on the height of each piece (first, then each of rest; handcalc.sheets.pagefit):
    what surely fits on a page is kept together at once, only the rest is measured."""
    pieces = ["\n".join(first), *rest]
    if whole and pagefit.fits(sum(bounds)):
        return "#block(breakable: false)[\n" + "\n".join(pieces) + "\n]"
    if not whole:
        return "\n".join(f"#block(breakable: false)[\n{p}\n]" if pagefit.fits(b)
                         else f"#keep[\n{p}\n]" for p, b in zip(pieces, bounds, strict=True))
    parts = "".join(f"[\n{p}\n], " for p in rest)
    return f"#exercise([\n{pieces[0]}\n], ({parts}))"


def _head_bound(item: Item) -> float:
    """A bound on the height of an exercise's heading, statement and given data."""
    words = item.text["typst"]
    return pagefit.head(words.title, words.statement,
                        [(name, typ) for name, typ, _ in item.given_math])


def _section_head(title: str | None, lang: str) -> list[str]:
    return [f"#heading(level: 2)[{render_text(Inline(title), lang, 'typst')}]"] if title else []


def _part_points(ws: Worksheet, s: int, part: dict[str, Any]) -> str:
    """The points printed beside a part: none when the spec gives no points."""
    if not ws.spec.has_points:
        return ""
    return _points(ws.spec.points_of(s, part["part"]), ws.lang)


def student_typst(ws: Worksheet) -> str:
    """The student sheet as Typst source: every version, no answers."""
    spec, lang = ws.spec, ws.lang
    hidden = spec.codes == "hidden"
    out = _doc(Inline(spec.title), ws)
    for version in ws.versions:
        out += _new_version(version.number, spec.duplex)
        total = version_points(ws, version) if spec.has_points else None
        out += _title_block(spec.title, version.number, _t("sheet.worksheet", lang), lang,
                            total, student=True)
        out += _instructions(spec.instructions, lang)
        n = 0
        for s, (section, items) in enumerate(version.sections):
            out += _section_head(section.title, lang)
            room = WORK_ROOM.get(spec.work_of(section))
            for item in items:
                n += 1
                parts, bounds = [], [_head_bound(item)]
                for i, part in enumerate(item.data["parts"]):
                    r, c = (int(x) for x in part["shape"])
                    prompt = item.text["typst"].prompts[i]
                    area = (f"#answer-room({r}, {c}, {room}cm, [{_t('sheets.work', lang)}])"
                            if room else f"#answer-area({r}, {c})")
                    parts.append(f"#parthead({part['part']}, [{prompt}], "
                                 f"[{_part_points(ws, s, part)}])\n"
                                 f"#block(inset: (left: 2.2em), below: 1.1em)[{area}]")
                    bounds.append(pagefit.sheet_part(prompt, (r, c), (room or 0) * pagefit.CM))
                head = _exercise_head(n, item, lang, version.number if hidden else None)
                bounds[:2] = [bounds[0] + bounds[1]]
                out.append(_exercise(head + parts[:1], parts[1:], bounds))
    return "\n\n".join(out) + "\n"


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


def heat_labels(heat: Heat, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Row (query) and column (key) numbers of a weights matrix: 1..n, or the query and
    keys an exercise names in its params when their counts match."""
    rows, cols = len(heat.values), len(heat.values[0])
    keys, query = params.get("keys"), params.get("query")
    col_labels = ([str(k) for k in keys] if isinstance(keys, list) and len(keys) == cols
                  else [str(j) for j in range(1, cols + 1)])
    row_labels = ([str(query)] if isinstance(query, int) and rows == 1
                  else [str(i) for i in range(1, rows + 1)])
    return row_labels, col_labels


HEAT_LABEL = "10pt"  # the query and key labels of a heatmap: readable in print


def _heatmap(heat: Heat, params: dict[str, Any], lang: str) -> str:
    row_labels, col_labels = heat_labels(heat, params)
    cols = len(col_labels)
    cells = ["[]"] + [f"[#text({HEAT_LABEL})[{_t('sheet.heat.key', lang, j=j)}]]"
                      for j in col_labels]
    for i, vr, rr in zip(row_labels, heat.values, heat.rounded, strict=True):
        cells.append(f"[#text({HEAT_LABEL})[{_t('sheet.heat.query', lang, i=i)}]]")
        for v, t in zip(vr, rr, strict=True):
            fill, ink = _heat_color(v)
            cells.append(f"table.cell(fill: {fill})[#text(fill: {ink})[{t}]]")
    return (f"#table(columns: (1.9cm,) + ({cols} * (1.6cm,)), rows: 0.9cm, align: center "
            f"+ horizon, stroke: 0.5pt + luma(120), " + ", ".join(cells) + ")")


def _rounded_rows(value: Any) -> list[list[str]]:
    """A part's nested 'rounded' value (scalar, list or list of lists) as rows."""
    if isinstance(value, str):
        return [[value]]
    if value and isinstance(value[0], list):
        return value
    return [value]


def _part_rows(part: dict[str, Any]) -> list[list[str]]:
    r, c = part["shape"]
    flat = [v for row in _rounded_rows(part["rounded"]) for v in row]
    return [flat[i * c:(i + 1) * c] for i in range(r)]


def _key_part(item: Item, p: int, lang: str, points: str = "") -> tuple[str, float]:
    """One part of the key: its question, then a grid of steps, answer, exact, heatmap;
    labels in their own column, each with its '=' beside it. With a bound on its height
    (handcalc.sheets.pagefit)."""
    part = item.data["parts"][p]
    words = item.text["typst"]
    heat = item.heat[p] if p < len(item.heat) else None
    heat_label = _t("sheet.heatmap", lang)
    heatmap = (f"([{heat_label}], [{_heatmap(heat, item.data['params'], lang)}])"
               if heat is not None else "")
    heat_h = (pagefit.key_row(heat_label, pagefit.heatmap(len(heat.values)))
              if heat is not None else 0.0)
    rows, heights = [], []
    for i, step in enumerate(part["steps"]):
        value = _rounded_mat(step["rounded"])
        rows.append(f"([{words.labels[p][i]}], [{tm(value)}])")
        heights.append(pagefit.key_row(words.labels[p][i], pagefit.matrix(step["rounded"])))
        if heat is not None and heat.after == i:
            rows.append(heatmap)
            heights.append(heat_h)
    answer_label = f"*{_t('sheet.answer_2dp', lang)}*"
    rows.append(f"([{answer_label}], [#box(fill: rgb(255, 243, 205), "
                f"inset: 3pt, radius: 2pt)[{tm(_rounded_mat(_part_rows(part)))}]])")
    heights.append(pagefit.key_row(answer_label, pagefit.matrix(_part_rows(part)) + 6))
    brief = item.brief[p] if p < len(item.brief) else True
    long_note = _t("sheets.exact_long", lang)
    exact = (_exact(item.answer_math[p][0]) if brief else
             f"#text(style: \"italic\", fill: luma(70))[{long_note}]")
    rows.append(f"([{_t('sheet.exact', lang)}], [{exact}])")
    heights.append(pagefit.key_row(_t("sheet.exact", lang), _exact_bound(
        item.answer_math[p][0]) if brief else pagefit.lines(long_note, pagefit.VALUE_EM)
        * pagefit.LINE))
    if heat is not None and heat.after == -1:
        rows.append(heatmap)
        heights.append(heat_h)
    labels = [*words.labels[p], answer_label, _t("sheet.exact", lang),
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
    out = _doc(msg("sheet.key_title", title=Inline(spec.title)), ws)
    for version in ws.versions:
        out += _new_version(version.number, spec.duplex)
        out += _title_block(spec.title, version.number, _t("sheet.key", lang), lang)
        n = 0
        for s, (section, items) in enumerate(version.sections):
            out += _section_head(section.title, lang)
            for item in items:
                n += 1
                parts, bounds = zip(*(_key_part(item, p, lang, _part_points(ws, s, part))
                                      for p, part in enumerate(item.data["parts"])),
                                    strict=True)
                bounds = (_head_bound(item) + bounds[0], *bounds[1:])
                out.append(_exercise(_exercise_head(n, item, lang) + [parts[0]],
                                     parts[1:], bounds, whole=False))
    return "\n\n".join(out) + "\n"


def answers_typst(ws: Worksheet) -> str:
    """The answers-only key: per version (each on a new page) every exercise's code and its
    parts' 2-decimal answers side by side, for marking at a glance."""
    spec, lang = ws.spec, ws.lang
    out = _doc(msg("sheets.answers_title", title=Inline(spec.title)), ws)
    out.append("#set math.mat(row-gap: 0.25em, column-gap: 0.6em)")
    for version in ws.versions:
        out += _title_block(spec.title, version.number, _t("sheets.answers", lang), lang)
        cells = []
        n = 0
        for s, (_, items) in enumerate(version.sections):
            for item in items:
                n += 1
                answers = []
                for part in item.data["parts"]:
                    points = _part_points(ws, s, part)
                    label = (f"*({part['part']})*" + (f"#h(3pt)#text(7.5pt, fill: luma(80))"
                                                      f"[{points}]" if points else ""))
                    answers.append(f"#box(inset: (y: 2pt))[{label} "
                                   f"${_rounded_mat(_part_rows(part))}$]")
                cells.append(f"[*{n}.*], [#text(font: \"DejaVu Sans Mono\", size: 9pt)"
                             f"[{ttext(item.code)}]], [{' #h(1.4em) '.join(answers)}]")
        out.append("#block(above: 1em, text(10.5pt, grid(columns: (auto, auto, 1fr), "
                   "column-gutter: 8pt, row-gutter: 5pt, inset: (y: 2pt), "
                   "align: (right + horizon, left + horizon, left + horizon), "
                   "stroke: (x, y) => (bottom: 0.4pt + luma(200)), "
                   + ", ".join(cells) + ")))")
    return "\n\n".join(out) + "\n"


def document_texts(ws: Worksheet) -> list[tuple[str, str]]:
    """The texts a spec or an exercise puts on the sheet or the key, each with where it
    comes from ("title", "instructions[2]", "section 1, title", "exercise causal-2-4821
    part 1 prompt" ...), for the font coverage check."""
    spec = ws.spec
    out = [("title", spec.title)]
    out += [(f"instructions[{i}]", render_text(text, ws.lang, "typst"))
            for i, text in enumerate(spec.instructions, 1)]
    out += [(f"section {i}, title", s.title) for i, s in enumerate(spec.sections, 1)
            if s.title]
    seen: set[str] = set()
    for version in ws.versions:
        for _, items in version.sections:
            for item in items:
                if item.code in seen or "typst" not in item.text:
                    continue
                seen.add(item.code)
                # the words as Typst markup: their characters stand in string literals,
                # the math is ASCII neutral notation, typeset in the math font
                where, words = f"exercise {item.code}", item.text["typst"]
                out += [(f"{where} title", words.title), (f"{where} statement", words.statement)]
                for n, (prompt, labels) in enumerate(zip(words.prompts, words.labels,
                                                         strict=True), 1):
                    out.append((f"{where} part {n} prompt", prompt))
                    out += [(f"{where} part {n} step", label) for label in labels]
    return out


def check_fonts(ws: Worksheet, sources: Sequence[tuple[str, str]],
                font_dirs: Sequence[str | PathLike[str]] = ()) -> None:
    """Raise MissingGlyphs when a character of the worksheet's texts, or of the Typst
    `sources` ((name, source) pairs, the safety net), is covered by no font that typst
    will have: its own, the shipped CJK font, and those in `font_dirs`."""
    from handcalc.sheets.fonts import check_coverage

    check_coverage([*document_texts(ws), *sources], font_dirs)


_COMPILED_HERE = False  # set once this process has run typst (then it never forks for it)


def compile_pdf(source: str, font_dirs: Sequence[str | PathLike[str]] = ()) -> bytes:
    """Typst source to PDF bytes, in process, with Typst's embedded fonts, the shipped CJK
    font and the fonts in `font_dirs`, never the system's. Characters no font covers are
    drawn as boxes: check_fonts first."""
    global _COMPILED_HERE
    import typst

    from handcalc.errors import HandcalcError
    from handcalc.sheets.fonts import font_folders

    _COMPILED_HERE = True
    folders = [str(p) for p in font_folders(font_dirs)]
    try:
        pdf = typst.compile(source.encode("utf-8"), format="pdf", ignore_system_fonts=True,
                            font_paths=folders)
    except typst.TypstError as e:  # a bug in the generated source, never the user's text
        raise HandcalcError(f"typst could not compile the worksheet: {e}") from None
    assert isinstance(pdf, bytes)
    return pdf


def _compile_job(job: tuple[str, tuple[str, ...]]) -> bytes:
    return compile_pdf(job[0], job[1])


def compile_pdfs(sources: Sequence[str],
                 font_dirs: Sequence[str | PathLike[str]] = ()) -> list[bytes]:
    """Several Typst sources to PDF, each in a forked worker process of its own (typst-py
    runs one compilation at a time per process, even in threads, and its caches grow with
    every compilation), up to two at a time, the largest first. The main process only
    waits, so Ctrl-C or SIGTERM ends the workers and the command at once
    (handcalc.io.procs.map_fresh). A process that has already run typst is not forked for it
    (its runtime's state could deadlock a child): it compiles them one by one; so does one
    whose worker died."""
    import os

    if not sources:
        return []
    if _COMPILED_HERE or not hasattr(os, "fork"):
        return [compile_pdf(s, font_dirs) for s in sources]
    from concurrent.futures.process import BrokenProcessPool

    from handcalc.io.procs import map_fresh

    workers = max(1, min(2, len(sources), os.cpu_count() or 1))
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i]))  # largest first
    folders = tuple(str(f) for f in font_dirs)
    try:
        pdfs = map_fresh(_compile_job, [(sources[i], folders) for i in order], workers)
    except BrokenProcessPool:  # a worker died: compile them here instead
        return [compile_pdf(s, font_dirs) for s in sources]
    out = dict(zip(order, pdfs, strict=True))
    return [out[i] for i in range(len(sources))]


# ---------------------------------------------------------------- Markdown with LaTeX



def mdcode(text: str) -> str:
    """Inline code that holds `text` exactly (backticks included)."""
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0) + 1
    fence = "`" * ticks
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def lname(name: str) -> str:
    m = _NAME.match(name)
    if m:
        letter, sub, sup = m.groups()
        return letter + (f"_{{{sub}}}" if sub else "") + (f"^{{{sup}}}" if sup else "")
    g = _GRAD.match(name)
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


def _md_head(n: int, item: Item, lang: str, where: int | None = None) -> list[str]:
    """The exercise's heading with its code (or with `where`, its version and number in
    place of the code), statement and given data."""
    words = item.text["markdown"]
    if where is not None:
        head = _md("sheets.md.exercise_head_hidden", lang, n=n, title=Raw(words.title),
                   where=msg("sheets.where", k=where, e=n))
    else:
        head = _md("sheet.md.exercise_head", lang, n=n, title=Raw(words.title),
                   code=Raw(mdcode(item.code)))
    out = ["### " + head, "", words.statement, ""]
    if item.given_math:
        given = r",\quad ".join(f"{lname(name)} = {lmat(lx)}" for name, _, lx in item.given_math)
        out += ["$$", given, "$$", ""]
    return out


def _md_title(title: str, version: int, key: bool, many: bool, lang: str,
              total: Fraction | None = None) -> list[str]:
    if not key:
        head = _md("sheet.md.worksheet_head", lang, title=Inline(title), n=version)
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
    return f" *({_points(ws.spec.points_of(s, part['part']), ws.lang, 'markdown')})*"


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
        out += _md_title(spec.title, version.number, False, many, lang, total)
        out += [f"- {render_text(x, lang, 'markdown')}" for x in spec.instructions] + [""]
        n = 0
        for s, (section, items) in enumerate(version.sections):
            if section.title:
                out += [f"## {render_text(Inline(section.title), lang, 'markdown')}", ""]
            for item in items:
                n += 1
                out += _md_head(n, item, lang, version.number if hidden else None)
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
                out += _md_head(n, item, lang)
                words = item.text["markdown"]
                for p, part in enumerate(item.data["parts"]):
                    out += [f"**({part['part']})** {words.prompts[p]}"
                            f"{_md_points(ws, s, part)}", ""]
                    heat = item.heat[p] if p < len(item.heat) else None
                    for i, step in enumerate(part["steps"]):
                        vals = lmat([[lnum(v) for v in r] for r in step["rounded"]])
                        out.append(f"- {words.labels[p][i]} $= {vals}$")
                        if heat is not None and heat.after == i:
                            out += [""] + _md_heat(heat, item.data["params"], lang)
                    rounded = lmat([[lnum(v) for v in r] for r in _part_rows(part)])
                    out += [f"- **{_md('sheet.answer_2dp', lang)}** $= {rounded}$", "",
                            f"{_md('sheet.exact', lang)}:", ""]
                    if p >= len(item.brief) or item.brief[p]:
                        out += _md_exact(item.answer_math[p][1]) + [""]
                    else:
                        out += [f"*{_md('sheets.exact_long', lang)}*", ""]
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
                for part in item.data["parts"]:
                    rounded = lmat([[lnum(v) for v in r] for r in _part_rows(part)])
                    row = [str(n) if part["part"] == 1 else "",
                           mdcode(item.code) if part["part"] == 1 else "",
                           f"({part['part']})", f"${rounded}$"]
                    if spec.has_points:
                        row.append(points_text(spec.points_of(s, part["part"])))
                    out.append("| " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- JSON

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


# ---------------------------------------------------------------- one entry point

KEY_STYLES = ("full", "answers")


def source(ws: Worksheet, fmt: str, *, key: bool, key_style: str = "full") -> str:
    """The text of the student sheet (key=False) or of the answer key (in `key_style`):
    Typst source for pdf and typ, Markdown for md, JSON for json."""
    if fmt not in TEXT_FORMATS or key_style not in KEY_STYLES:
        raise ValueError(fmt)
    if fmt == "json":
        return key_json(ws, key_style) if key else student_json(ws)
    if fmt == "md":
        return key_markdown(ws, key_style) if key else student_markdown(ws)
    return key_typst(ws, key_style) if key else student_typst(ws)


def render_all(ws: Worksheet, targets: Sequence[tuple[str, bool]],
               font_dirs: Sequence[str | PathLike[str]] = (),
               key_style: str = "full", pieces: bool = False) -> list[Any]:
    """The bytes of each (format, key) target, the keys in `key_style`; the PDFs compiled
    in chunks, in parallel, after check_fonts (with the extra font folders `font_dirs`)
    found every character covered. With `pieces`, a PDF is the list of the pieces that
    make it up (pdfjoin.join_pieces: never held whole in memory), to be written in turn."""
    from handcalc.sheets.pdfjoin import join, join_pieces

    pdf_at = [i for i, (fmt, _) in enumerate(targets) if fmt == "pdf"]
    texts = {i: source(ws, fmt, key=key, key_style=key_style)
             for i, (fmt, key) in enumerate(targets) if i not in pdf_at}
    chunks = {i: chunk_sources(ws, key=targets[i][1], key_style=key_style) for i in pdf_at}
    if pdf_at:
        check_fonts(ws, [(f"the typeset {'answer key' if targets[i][1] else 'worksheet'}", s)
                         for i in pdf_at for s in chunks[i]], font_dirs)
    flat = [s for i in pdf_at for s in chunks[i]]
    compiled = iter(compile_pdfs(flat, font_dirs))
    del flat
    glue = join_pieces if pieces else join
    pdfs = {i: glue([next(compiled) for _ in chunks[i]]) for i in pdf_at}
    return [pdfs[i] if i in pdfs else texts[i].encode("utf-8") for i in range(len(targets))]


CHUNK_VERSIONS = 10  # versions compiled together: a class set is typeset in chunks
# (bounded memory, both cores) and the PDFs joined (handcalc.sheets.pdfjoin)

# At the end of a chunk when versions start on odd pages: a blank page when the chunk
# ends on an odd one, Typst's own padding between versions (the metadata that would
# follow it adds no page), so the next chunk starts on an odd page of the joined PDF.
PAD_TO_EVEN = '#pagebreak(to: "odd", weak: true)\n#metadata(none)'


def chunk_sources(ws: Worksheet, *, key: bool, key_style: str = "full",
                  size: int | None = None) -> list[str]:
    """The Typst source of the sheet or key in chunks of `size` versions (default
    CHUNK_VERSIONS), each a whole document, to compile apart and join."""
    from dataclasses import replace

    size = size or CHUNK_VERSIONS
    parts = [replace(ws, versions=ws.versions[i:i + size])
             for i in range(0, len(ws.versions), size)] or [ws]
    out = [source(p, "pdf", key=key, key_style=key_style) for p in parts]
    if ws.spec.duplex and (not key or key_style == "full"):
        out[:-1] = [s + PAD_TO_EVEN + "\n" for s in out[:-1]]
    return out


def render(ws: Worksheet, fmt: str, *, key: bool,
           font_dirs: Sequence[str | PathLike[str]] = (), key_style: str = "full") -> bytes:
    """The student sheet (key=False) or the answer key in `fmt`, as bytes."""
    return render_all(ws, [(fmt, key)], font_dirs, key_style)[0]
