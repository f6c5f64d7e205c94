"""Typesetting worksheets and answer keys: Typst (for PDF), Markdown with LaTeX math, JSON.

Works from a built ``handcalc.worksheet.Worksheet`` (plain strings: every exercise's key
dictionary and its exact values as Typst and LaTeX math), knows no family by name.

* The student sheet: title block (name, date, version), instructions, then each exercise
  with its code in a box, the given matrices, each part's question and an answer area
  shaped like the answer (a grid of boxes for a matrix, boxes in a row or a column for
  a vector, one box for a scalar). No answer appears on it.
* The answer key: each part's worked steps (label and 2-decimal value), the answer to
  2 decimals and in exact form, and a shaded heatmap of every weights matrix.

Every text that comes from a spec or an exercise enters Typst markup only as a string
literal (``#"..."``), so no character of it is read as markup; Markdown text is escaped.
Versions start on a new page, each with its own page numbers. The PDF carries no date,
and only Typst's embedded fonts are used, so one source gives the same bytes anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sympy
from sympy.printing.str import StrPrinter

from handcalc.worksheet import FORMATS

if TYPE_CHECKING:
    from handcalc.worksheet import Heat, Item, Worksheet

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
        return super()._print_Mul(expr).replace("*", " ")


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


def latex_math(x: Any) -> str:
    """An exact sympy value as LaTeX: '\\frac{5 \\sqrt{2}}{2}', '-\\infty'."""
    return sympy.latex(x, order="none")


# ---------------------------------------------------------------- Typst helpers

def tstr(text: str) -> str:
    """A Typst string literal holding `text` exactly."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


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
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en")
#set par(justify: false)
#show raw: set text(font: "DejaVu Sans Mono", size: 10pt)
#show math.equation: set text(font: "New Computer Modern Math")
#set math.mat(row-gap: 0.5em, column-gap: 0.9em, align: right)
#show math.equation.where(block: true): set align(start)
#let ansbox = box(width: 1.55cm, height: 0.8cm, stroke: 0.6pt + luma(40), radius: 1.5pt)
#let brackets(body) = box(stroke: (x: 0.8pt), inset: (x: 5pt, y: 4pt), {{
  let tick = line(length: 4pt, stroke: 0.8pt)
  place(top + left, dx: -5pt, dy: -4pt, tick)
  place(bottom + left, dx: -5pt, dy: 4pt, tick)
  place(top + right, dx: 5pt, dy: -4pt, tick)
  place(bottom + right, dx: 5pt, dy: 4pt, tick)
  body
}})
#let answer-area(r, c) = if r == 1 and c == 1 {{ ansbox }} else {{
  brackets(grid(columns: c, gutter: 5pt, ..range(r * c).map(_ => ansbox)))
}}
#let codebox(c) = box(stroke: 0.8pt, inset: (x: 5pt, y: 3pt), radius: 2pt, baseline: 3pt,
  text(font: "DejaVu Sans Mono", size: 11pt, weight: "bold", c))
#let exhead(n, title, code) = block(above: 1.3em, below: 0.7em, width: 100%,
  stroke: (bottom: 0.5pt + luma(150)), inset: (bottom: 4pt),
  [#text(weight: "bold", size: 11.5pt)[Exercise #n. #title] #h(1fr) code #codebox(code)])
#let parthead(n, prompt) = block(above: 0.9em, below: 0.5em, sticky: true,
  grid(columns: (2.2em, 1fr), [*(#n)*], prompt))
#let footer(title, v) = context [
  #set text(8pt, fill: luma(90))
  #title #h(1fr) version #v #h(1fr) page #counter(page).display()
]
"""


def _doc(title: str) -> list[str]:
    return [PREAMBLE.format(title=tstr(title))]


def _title_block(title: str, version: int, key: bool) -> list[str]:
    # a page rule starts a new page: each version begins on one, numbered from 1
    out = [f"#set page(footer: footer({tstr(title)}, {version}))",
           "#counter(page).update(1)"]
    sub = "Answer key" if key else "Worksheet"
    out.append(
        "#block(width: 100%, stroke: (bottom: 1.2pt), inset: (bottom: 6pt))["
        f"#text(17pt, weight: \"bold\")[{ttext(title)}] #h(1fr) "
        f"#text(12pt)[{sub} · *Version {version}*]]")
    if not key:
        out.append(
            "#grid(columns: (auto, 1fr, auto, 5.5cm), column-gutter: 6pt, row-gutter: 0pt,"
            " align: bottom, [Name:], box(width: 100%, height: 1.1em, stroke: (bottom: 0.5pt)),"
            " [Date:], box(width: 100%, height: 1.1em, stroke: (bottom: 0.5pt)))")
    return out


def _instructions(lines: Sequence[str]) -> list[str]:
    items = ", ".join(f"[{ttext(x)}]" for x in lines)
    return [f"#block(above: 1em, below: 1em, inset: 8pt, fill: luma(245), radius: 3pt, "
            f"width: 100%, list(tight: true, {items}))"]


def _given(item: Item) -> list[str]:
    if not item.given_math:
        return []
    parts = [tm(f"{tname(name)} = {tmat(typ)}") for name, typ, _ in item.given_math]
    body = " #h(1.6em) ".join(f"#box({p})" for p in parts)
    return [f"#block(above: 0.8em, below: 0.8em, inset: (left: 2.2em))[{body}]"]


def _exercise_head(n: int, item: Item) -> list[str]:
    d = item.data
    return [f"#exhead({n}, {tstr(str(d['title']))}, {tstr(item.code)})",
            ttext(str(d["statement"]))] + _given(item)


def _answer_area(shape: Sequence[int]) -> str:
    r, c = shape
    return f"#answer-area({int(r)}, {int(c)})"


def _section_head(title: str | None) -> list[str]:
    return [f"#heading(level: 2, {tstr(title)})"] if title else []


def student_typst(ws: Worksheet) -> str:
    """The student sheet as Typst source: every version, no answers."""
    spec = ws.spec
    out = _doc(spec.title)
    for version in ws.versions:
        out += _title_block(spec.title, version.number, key=False)
        out += _instructions(spec.instructions)
        n = 0
        for section, items in version.sections:
            out += _section_head(section.title)
            for item in items:
                n += 1
                # the head stays with part 1; a part never splits; parts may go over a page
                out.append("#block(breakable: false, sticky: true)[\n"
                           + "\n\n".join(_exercise_head(n, item)) + "\n]")
                for part in item.data["parts"]:
                    out.append(f"#block(breakable: false)[#parthead({part['part']}, "
                               f"{tstr(part['prompt'])})\n#block(inset: (left: 2.2em), "
                               f"below: 1.1em)[{_answer_area(part['shape'])}]]")
    return "\n\n".join(out) + "\n"


def _rounded_mat(rows: Sequence[Sequence[str]]) -> str:
    return tmat([[tnum(v) for v in r] for r in rows])


def _exact(typ: Sequence[Sequence[str]]) -> str:
    """Exact values (typst_terms strings): a matrix when short, else entry by entry with
    each sum flowing term by term, so that no line runs past the margin."""
    flat = [v.replace("\n", " ") for r in typ for v in r]
    if len(flat) == 1 and "\n" not in typ[0][0] or max(map(len, flat)) <= EXACT_INLINE_MAX:
        return tm(tmat([[v.replace("\n", " ") for v in r] for r in typ]))
    one_row, one_col = len(typ) == 1, len(typ[0]) == 1
    entries = []
    for i, r in enumerate(typ, 1):
        for j, v in enumerate(r, 1):
            where = "" if len(flat) == 1 else str(j) if one_row else str(i) if one_col \
                else f"{i},{j}"
            pieces = v.split("\n") if len(v) > EXACT_WRAP else [v.replace("\n", " ")]
            terms = " ".join(f"#box({tm(t)})" for t in pieces)
            entries.append(f"[{'(' + where + ')' if where else ''}], [{terms}]")
    per_row = max(1, min(len(typ[0]), 3, 120 // max(map(len, flat))))
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


def _heatmap(heat: Heat, params: dict[str, Any]) -> str:
    row_labels, col_labels = heat_labels(heat, params)
    cols = len(col_labels)
    cells = ["[]"] + [f"[#text(8pt)[key {j}]]" for j in col_labels]
    for i, vr, rr in zip(row_labels, heat.values, heat.rounded, strict=True):
        cells.append(f"[#text(8pt)[query {i}]]")
        for v, t in zip(vr, rr, strict=True):
            fill, ink = _heat_color(v)
            cells.append(f"table.cell(fill: {fill})[#text(fill: {ink})[{t}]]")
    return (f"#table(columns: (1.5cm,) + ({cols} * (1.45cm,)), rows: 0.85cm, align: center "
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


def _key_part(item: Item, p: int) -> list[str]:
    """One part of the key: its question, then a grid of steps, answer, exact, heatmap."""
    part = item.data["parts"][p]
    heat = item.heat[p] if p < len(item.heat) else None
    heatmap = (f"[weights (heatmap) =], [{_heatmap(heat, item.data['params'])}]"
               if heat is not None else "")
    rows = []
    for i, step in enumerate(part["steps"]):
        rows.append(f"[{ttext(step['label'] + ' =')}], [{tm(_rounded_mat(step['rounded']))}]")
        if heat is not None and heat.after == i:
            rows.append(heatmap)
    rows.append("[*answer (2 dp)* =], [#box(fill: rgb(255, 243, 205), inset: 3pt, "
                f"radius: 2pt)[{tm(_rounded_mat(_part_rows(part)))}]]")
    rows.append(f"[exact =], [{_exact(item.answer_math[p][0])}]")
    if heat is not None and heat.after == -1:
        rows.append(heatmap)
    return [f"#parthead({part['part']}, {tstr(part['prompt'])})",
            "#block(inset: (left: 2.2em))[#grid(columns: (4.6cm, 1fr), column-gutter: 8pt, "
            "row-gutter: 8pt, align: (right + horizon, left + horizon), "
            + ", ".join(rows) + ")]"]


def key_typst(ws: Worksheet) -> str:
    """The answer key as Typst source: every step, answers to 2 dp and exact, heatmaps."""
    spec = ws.spec
    out = _doc(f"{spec.title} (answer key)")
    for version in ws.versions:
        out += _title_block(spec.title, version.number, key=True)
        n = 0
        for section, items in version.sections:
            out += _section_head(section.title)
            for item in items:
                n += 1
                out.append("#block(breakable: false, sticky: true)[\n"
                           + "\n\n".join(_exercise_head(n, item)) + "\n]")
                for p in range(len(item.data["parts"])):
                    out += _key_part(item, p)
    return "\n\n".join(out) + "\n"


_COMPILED_HERE = False  # set once this process has run typst (then it never forks for it)


def compile_pdf(source: str) -> bytes:
    """Typst source to PDF bytes, in process, with Typst's embedded fonts only."""
    global _COMPILED_HERE
    import typst

    from handcalc.errors import HandcalcError

    _COMPILED_HERE = True
    try:
        pdf = typst.compile(source.encode("utf-8"), format="pdf", ignore_system_fonts=True,
                            font_paths=[])
    except typst.TypstError as e:  # a bug in the generated source, never the user's text
        raise HandcalcError(f"typst could not compile the worksheet: {e}") from None
    assert isinstance(pdf, bytes)
    return pdf


def compile_pdfs(sources: Sequence[str]) -> list[bytes]:
    """Several Typst sources to PDF, each in a forked worker (typst-py runs one
    compilation at a time per process, even in threads), up to two at a time. The main
    process only waits, so Ctrl-C or SIGTERM ends the workers and the command at once
    (handcalc.procs.worker_pool). A process that has already run typst is not forked for
    it (its runtime's state could deadlock a child): it compiles them one by one."""
    import os

    if not sources:
        return []
    if _COMPILED_HERE or not hasattr(os, "fork"):
        return [compile_pdf(s) for s in sources]
    from concurrent.futures.process import BrokenProcessPool

    from handcalc.procs import worker_pool

    workers = max(1, min(2, len(sources), os.cpu_count() or 1))
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i]))  # largest first
    out: dict[int, bytes] = {}
    with worker_pool(workers) as pool:
        futures = {i: pool.submit(compile_pdf, sources[i]) for i in order}
        for i, future in futures.items():
            try:
                out[i] = future.result()
            except BrokenProcessPool:  # the child died: compile it here instead
                out[i] = compile_pdf(sources[i])
    return [out[i] for i in range(len(sources))]


# ---------------------------------------------------------------- Markdown with LaTeX

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~])")


def mdtext(text: str) -> str:
    """Plain text as Markdown: every character that could be markup escaped."""
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"^(\d+)([.)])", r"\1\\\2", text)
    return re.sub(r"^([-+=])", r"\\\1", text)


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


def _md_head(n: int, item: Item) -> list[str]:
    d = item.data
    out = [f"### Exercise {n}. {mdtext(str(d['title']))} (code {mdcode(item.code)})", "",
           mdtext(str(d["statement"])), ""]
    if item.given_math:
        given = r",\quad ".join(f"{lname(name)} = {lmat(lx)}" for name, _, lx in item.given_math)
        out += ["$$", given, "$$", ""]
    return out


def _md_title(title: str, version: int, key: bool, many: bool) -> list[str]:
    what = "answer key" if key else "worksheet"
    head = f"# {mdtext(title)}: {what}" + (f", version {version}" if many or not key else "")
    out = [head, ""]
    if not key:
        out += ["Name: ______________________________ Date: ______________", ""]
    return out


def student_markdown(ws: Worksheet) -> str:
    """The student sheet as Markdown with LaTeX math; answer boxes as \\boxed{} grids."""
    spec = ws.spec
    out: list[str] = []
    many = len(ws.versions) > 1
    box = r"\boxed{\phantom{XXXXX}}"
    for version in ws.versions:
        if version.number > 1:
            out += ["---", ""]
        out += _md_title(spec.title, version.number, key=False, many=many)
        out += [f"- {mdtext(x)}" for x in spec.instructions] + [""]
        n = 0
        for section, items in version.sections:
            if section.title:
                out += [f"## {mdtext(section.title)}", ""]
            for item in items:
                n += 1
                out += _md_head(n, item)
                for part in item.data["parts"]:
                    r, c = part["shape"]
                    out += [f"**({part['part']})** {mdtext(part['prompt'])}", "", "$$",
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


def _md_heat(heat: Heat, params: dict[str, Any]) -> list[str]:
    row_labels, col_labels = heat_labels(heat, params)
    head = "| | " + " | ".join(f"key {j}" for j in col_labels) + " |"
    out = [head, "|---" * (len(col_labels) + 1) + "|"]
    for i, vr, rr in zip(row_labels, heat.values, heat.rounded, strict=True):
        cells = []
        for v, t in zip(vr, rr, strict=True):
            shade = " ░▒▓█"[min(4, int(max(0.0, min(1.0, v)) * 4.999))]
            cells.append(f"{t} {shade}".rstrip())
        out.append(f"| query {i} | " + " | ".join(cells) + " |")
    return ["weights (heatmap, darker is larger):", ""] + out + [""]


def key_markdown(ws: Worksheet) -> str:
    """The answer key as Markdown with LaTeX math: every step, 2 dp and exact answers."""
    spec = ws.spec
    out: list[str] = []
    many = len(ws.versions) > 1
    for version in ws.versions:
        if version.number > 1:
            out += ["---", ""]
        out += _md_title(spec.title, version.number, key=True, many=many)
        n = 0
        for section, items in version.sections:
            if section.title:
                out += [f"## {mdtext(section.title)}", ""]
            for item in items:
                n += 1
                out += _md_head(n, item)
                for p, part in enumerate(item.data["parts"]):
                    out += [f"**({part['part']})** {mdtext(part['prompt'])}", ""]
                    heat = item.heat[p] if p < len(item.heat) else None
                    for i, step in enumerate(part["steps"]):
                        vals = lmat([[lnum(v) for v in r] for r in step["rounded"]])
                        out.append(f"- {mdcode(step['label'])} $= {vals}$")
                        if heat is not None and heat.after == i:
                            out += [""] + _md_heat(heat, item.data["params"])
                    rounded = lmat([[lnum(v) for v in r] for r in _part_rows(part)])
                    out += [f"- **answer (2 dp)** $= {rounded}$", "", "exact:", ""]
                    out += _md_exact(item.answer_math[p][1]) + [""]
                    if heat is not None and heat.after == -1:
                        out += _md_heat(heat, item.data["params"])
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- JSON

def _sheet_dict(ws: Worksheet, key: bool) -> dict[str, Any]:
    spec = ws.spec
    versions = []
    for version in ws.versions:
        exercises = []
        for section, items in version.sections:
            for item in items:
                d = dict(item.data)
                if not key:
                    d["parts"] = [{k: p[k] for k in ("part", "key", "prompt", "kind", "shape")}
                                  for p in d["parts"]]
                exercises.append({"section": section.title, **d})
        versions.append({"version": version.number, "exercises": exercises})
    return {"title": spec.title, "sheet": "answer key" if key else "worksheet",
            "instructions": list(spec.instructions), "seed": spec.seed,
            "versions": versions}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def student_json(ws: Worksheet) -> str:
    """The student sheet as JSON: given data and questions, no answers."""
    return _dumps(_sheet_dict(ws, key=False))


def key_json(ws: Worksheet) -> str:
    """The key as JSON: per version, each exercise's exercise_dict(ex, steps=True)."""
    return _dumps(_sheet_dict(ws, key=True))


# ---------------------------------------------------------------- one entry point

def source(ws: Worksheet, fmt: str, *, key: bool) -> str:
    """The text of the student sheet (key=False) or of the answer key: Typst source for
    pdf and typ, Markdown for md, JSON for json."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if fmt == "json":
        return key_json(ws) if key else student_json(ws)
    if fmt == "md":
        return key_markdown(ws) if key else student_markdown(ws)
    return key_typst(ws) if key else student_typst(ws)


def render_all(ws: Worksheet, targets: Sequence[tuple[str, bool]]) -> list[bytes]:
    """The bytes of each (format, key) target; the PDFs compiled in parallel."""
    texts = [source(ws, fmt, key=key) for fmt, key in targets]
    pdf_at = [i for i, (fmt, _) in enumerate(targets) if fmt == "pdf"]
    pdfs = dict(zip(pdf_at, compile_pdfs([texts[i] for i in pdf_at]), strict=True))
    return [pdfs[i] if i in pdfs else texts[i].encode("utf-8") for i in range(len(targets))]


def render(ws: Worksheet, fmt: str, *, key: bool) -> bytes:
    """The student sheet (key=False) or the answer key in `fmt`, as bytes."""
    return render_all(ws, [(fmt, key)])[0]
