"""Typst source to PDF: the font coverage check over a worksheet's texts, and compiling
in process or in forked workers (handcalc.io.procs.map_fresh). Only Typst's embedded fonts,
the CJK font shipped in handcalc/sheets/fonts and the folders given with --font-dir are used
(never the system's), so one source gives the same bytes anywhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from handcalc.text.messages import render as render_text

if TYPE_CHECKING:
    from os import PathLike

    from handcalc.sheets.model import Worksheet


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
    from handcalc.io.procs import signals_held

    with signals_held():  # a signal halfway through leaves typst unloadable
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


Source = str | Callable[[], str]  # Typst source, or what renders it (in the worker)


def _text(source: Source) -> str:
    return source if isinstance(source, str) else source()


def _weight(source: Source) -> int:
    """How long a source takes to compile, roughly: its length, or a renderer's `weight`."""
    return len(source) if isinstance(source, str) else int(getattr(source, "weight", 0))


def _compile_job(job: tuple[Source, tuple[str, ...]]) -> bytes:
    return compile_pdf(_text(job[0]), job[1])


def compile_pdfs(sources: Sequence[Source],
                 font_dirs: Sequence[str | PathLike[str]] = ()) -> list[bytes]:
    """Several Typst sources to PDF, each in a forked worker process of its own (typst-py
    runs one compilation at a time per process, even in threads, and its caches grow with
    every compilation), up to two at a time, the largest first. A source may be a picklable
    callable that renders it: then the worker renders it too (the parent neither renders
    nor sends the text; handcalc.sheets.typeset.ChunkJob). The main process only
    waits, so Ctrl-C or SIGTERM ends the workers and the command at once
    (handcalc.io.procs.map_fresh). A process that has already run typst is not forked for it
    (its runtime's state could deadlock a child): it compiles them one by one; so does one
    whose worker died."""
    import os

    if not sources:
        return []
    if _COMPILED_HERE or not hasattr(os, "fork"):
        return [compile_pdf(_text(s), font_dirs) for s in sources]
    from concurrent.futures.process import BrokenProcessPool

    from handcalc.io.procs import map_fresh

    workers = max(1, min(2, len(sources), os.cpu_count() or 1))
    order = sorted(range(len(sources)), key=lambda i: -_weight(sources[i]))  # largest first
    folders = tuple(str(f) for f in font_dirs)
    try:
        pdfs = map_fresh(_compile_job, [(sources[i], folders) for i in order], workers)
    except BrokenProcessPool:  # a worker died: compile them here instead
        return [compile_pdf(_text(s), font_dirs) for s in sources]
    out = dict(zip(order, pdfs, strict=True))
    return [out[i] for i in range(len(sources))]


