"""Typesetting worksheets and answer keys: Typst (for PDF), Markdown with LaTeX math, JSON.

Works from a built ``handcalc.sheets.model.Worksheet`` (plain strings: every exercise's key
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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handcalc.sheets.compile import check_fonts, compile_pdfs
from handcalc.sheets.jsonsheet import key_json, student_json
from handcalc.sheets.markdown import key_markdown, student_markdown
from handcalc.sheets.typst_key import key_typst
from handcalc.sheets.typst_sheet import student_typst

if TYPE_CHECKING:
    from os import PathLike

    from handcalc.sheets.model import Worksheet

TEXT_FORMATS = ("pdf", "typ", "md", "json")  # what `source` writes (worksheet.py imports us,
# never the other way round: the worksheet model reaches this module as data)



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
    found every character of the worksheet's texts covered. Each chunk's Typst source is
    rendered, and checked the same way (the safety net), in the worker that compiles it.
    With `pieces`, a PDF is the list of the pieces that make it up (pdfjoin.join_pieces:
    never held whole in memory), to be written in turn."""
    from handcalc.sheets.pdfjoin import join, join_pieces

    pdf_at = [i for i, (fmt, _) in enumerate(targets) if fmt == "pdf"]
    texts = {i: source(ws, fmt, key=key, key_style=key_style)
             for i, (fmt, key) in enumerate(targets) if i not in pdf_at}
    folders = tuple(str(f) for f in font_dirs)
    chunks = {i: chunk_jobs(ws, key=targets[i][1], key_style=key_style, font_dirs=folders)
              for i in pdf_at}
    if pdf_at:
        check_fonts(ws, [], font_dirs)
    compiled = iter(compile_pdfs([s for i in pdf_at for s in chunks[i]], font_dirs))
    glue = join_pieces if pieces else join
    pdfs = {i: glue([next(compiled) for _ in chunks[i]]) for i in pdf_at}
    return [pdfs[i] if i in pdfs else texts[i].encode("utf-8") for i in range(len(targets))]


CHUNK_VERSIONS = 10  # versions compiled together: a class set is typeset in chunks
# (bounded memory, both cores) and the PDFs joined (handcalc.sheets.pdfjoin)

# At the end of a chunk when versions start on odd pages: a blank page when the chunk
# ends on an odd one, Typst's own padding between versions (the metadata that would
# follow it adds no page), so the next chunk starts on an odd page of the joined PDF.
PAD_TO_EVEN = '#pagebreak(to: "odd", weak: true)\n#metadata(none)'


@dataclass(frozen=True)
class ChunkJob:
    """A chunk's Typst source, rendered when called (in the worker that compiles it:
    handcalc.sheets.compile.compile_pdfs) and checked against the fonts there."""

    ws: Worksheet  # the chunk's versions only
    key: bool
    key_style: str
    pad: bool  # ends padded to an even page count (PAD_TO_EVEN)
    font_dirs: tuple[str, ...] = ()

    @property
    def weight(self) -> int:
        """Roughly how long it takes to compile (a full key about twice a sheet)."""
        return len(self.ws.versions) * (2 if self.key and self.key_style == "full" else 1)

    def render(self) -> str:
        out = source(self.ws, "pdf", key=self.key, key_style=self.key_style)
        return out + PAD_TO_EVEN + "\n" if self.pad else out

    def __call__(self) -> str:
        from handcalc.sheets.fonts import check_coverage

        out = self.render()
        what = "answer key" if self.key else "worksheet"
        check_coverage([(f"the typeset {what}", out)], self.font_dirs)
        return out


def chunk_jobs(ws: Worksheet, *, key: bool, key_style: str = "full", size: int | None = None,
               font_dirs: tuple[str, ...] = ()) -> list[ChunkJob]:
    """The sheet or key in chunks of `size` versions (default CHUNK_VERSIONS), each to be
    rendered as a whole document, compiled apart and joined."""
    from dataclasses import replace

    size = size or CHUNK_VERSIONS
    parts = [replace(ws, versions=ws.versions[i:i + size])
             for i in range(0, len(ws.versions), size)] or [ws]
    pad = ws.spec.duplex and (not key or key_style == "full")
    return [ChunkJob(p, key, key_style, pad and n < len(parts) - 1, font_dirs)
            for n, p in enumerate(parts)]


def chunk_sources(ws: Worksheet, *, key: bool, key_style: str = "full",
                  size: int | None = None) -> list[str]:
    """The Typst source of the sheet or key in chunks of `size` versions (default
    CHUNK_VERSIONS), each a whole document, to compile apart and join."""
    return [job.render() for job in chunk_jobs(ws, key=key, key_style=key_style, size=size)]


def render(ws: Worksheet, fmt: str, *, key: bool,
           font_dirs: Sequence[str | PathLike[str]] = (), key_style: str = "full") -> bytes:
    """The student sheet (key=False) or the answer key in `fmt`, as bytes."""
    return render_all(ws, [(fmt, key)], font_dirs, key_style)[0]
