"""What the class workflow's PDFs (feedback, the class report) share: the Typst preamble and
compiling. Text enters the source only as Typst string literals (``handcalc.text.markup.tstr``,
through ``words``); the fonts are Typst's own (and handcalc's CJK font where it ships one),
never the system's, so one source gives the same bytes on every machine."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from os import PathLike

from handcalc.classgrade import messages as msg
from handcalc.errors import HandcalcError
from handcalc.text.markup import tstr


def _fonts() -> str:
    try:
        from handcalc.sheets.fonts import CJK_FAMILY  # type: ignore[import-not-found]
    except ImportError:  # no CJK font ships on this branch
        return '("Libertinus Serif",)'
    return f'("Libertinus Serif", {tstr(CJK_FAMILY)})'


def preamble(title: str, lang: str) -> str:
    return f"""\
#set document(title: {tstr(title)}, date: none)
#set page(paper: "a4", margin: (x: 1.8cm, top: 1.6cm, bottom: 1.8cm),
  footer: context [#set text(8pt, fill: luma(90)); #{tstr(title)} #h(1fr)
  #counter(page).display()])
#set text(font: {_fonts()}, size: 10.5pt, lang: {tstr(lang)})
#set par(justify: false)
#show raw: set text(font: "DejaVu Sans Mono", size: 9.5pt)
#show math.equation: set text(font: "New Computer Modern Math")
#set math.mat(row-gap: 0.35em, column-gap: 0.8em, align: right)
#show heading.where(level: 1): set text(size: 15pt)
#show heading.where(level: 2): set text(size: 11.5pt)
#let good = rgb("#1b7f3b")
#let bad = rgb("#b3261e")
#let blank = luma(110)
"""


_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


def compile_pdf(source: str, name: str, font_dirs: Sequence[str | PathLike[str]] = (),
                unprintable: Iterable[str] = (),
                teacher_texts: Sequence[tuple[str, str]] = ()) -> bytes:
    """The PDF of a Typst source (``handcalc.sheets.compile.compile_pdf``, with the fonts
    in `font_dirs` too). The characters `unprintable` (learners' text that no font has,
    ``handcalc.classgrade.glyphs``) are printed as their code points; then every character
    has to have a font (``handcalc.sheets.fonts.check_coverage``): the teacher's own texts
    (`teacher_texts`, (where, text) pairs) are named when they lack one. Where handcalc
    ships no fonts, Chinese, Japanese or Korean text is refused (Typst's own fonts have
    none)."""
    from handcalc.classgrade.glyphs import replace
    from handcalc.sheets.compile import compile_pdf as compile_typst

    try:
        from handcalc.sheets.fonts import check_coverage  # type: ignore[import-not-found]
    except ImportError:
        found = _CJK.search(source)
        if found:
            raise HandcalcError(msg.refusal("no_pdf_font", what=name, char=repr(found.group()),
                                            code=f"{ord(found.group()):04X}")) from None
    else:
        check_coverage(teacher_texts, font_dirs)
        source = replace(source, unprintable)
        check_coverage([(name, source)], font_dirs)
    return compile_typst(source, font_dirs)
