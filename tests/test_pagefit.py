"""handcalc.sheets.pagefit's bounds against Typst's own measurements.

typeset keeps a piece of an exercise together without measuring it when its bound is at
most a page, so a bound must never be below the piece's real height. These tests build
sheets and keys holding every family at every level, in both languages, with the most
room to work, measure each piece (and each whole exercise of a sheet) in Typst, and
compare. They also check the label widths that choose a key's label column, the answer
area's size, and that a piece whose bound passes a page is measured in Typst as before.
"""

from __future__ import annotations

import json

import pytest
import typst

from handcalc.families import FAMILIES
from handcalc.sheets import compile, pagefit, typst_blocks, typst_key, typst_sheet
from handcalc.sheets.build import build_worksheet
from handcalc.sheets.fonts import font_folders
from handcalc.sheets.spec import parse_spec


def _spec(work: str, levels: tuple[int, ...] = (1, 2)) -> str:
    """Every family at `levels` (a spec holds at most 50 sections)."""
    sections = "\n".join(f'[[sections]]\nfamily = "{name}"\nlevel = {level}\npoints = 2\n'
                          for name in FAMILIES for level in levels)
    return f'title = "Every family"\nseed = 77\nwork = "{work}"\n\n{sections}'


def _query(preamble: str, pieces: list[str], what: str) -> list[float]:
    """Each piece's `what` ("height" of a block as wide as the text, or "width") in pt."""
    if what == "height":
        probe = [f"#context [#metadata(measure(block(width: {typst_blocks.PAGE_WIDTH})[\n{p}\n])"
                 ".height.pt()) <h>]" for p in pieces]
    else:
        probe = [f"#context [#metadata(measure[{p}].width.pt()) <h>]" for p in pieces]
    out = typst.query((preamble + "\n" + "\n".join(probe)).encode(), "<h>", field="value",
                      ignore_system_fonts=True, font_paths=[str(p) for p in font_folders(())])
    return json.loads(out) if isinstance(out, str) else out


def _preamble(source: str) -> str:
    return source.split("\n\n#set page(footer")[0]


@pytest.fixture(scope="module", params=["en", "zh"])
def sheets(request):
    """Both sheets of every family and level (two versions), with every piece that
    typeset kept together: (piece, bound), a sheet's whole exercises included."""
    sheets = [build_worksheet(parse_spec(_spec("large", levels), "every"), 2,
                              formats=("pdf",), lang=request.param)
              for levels in ((1, 2), (3,))]
    captured: list[tuple[list[str], list[str], list[float], bool]] = []
    original = typst_blocks.exercise_block

    def record(first, rest, bounds, whole=True):
        captured.append((list(first), list(rest), list(bounds), whole))
        return original(first, rest, bounds, whole)

    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(typst_sheet, "exercise_block", record)
        mp.setattr(typst_key, "exercise_block", record)
        for name, render in (("sheet", typst_sheet.student_typst), ("key", typst_key.key_typst)):
            captured.clear()
            source = "".join(render(ws) for ws in sheets)
            pieces = []
            for first, rest, bounds, whole in captured:
                pieces += zip(["\n".join(first), *rest], bounds, strict=True)
                if whole:
                    pieces.append(("\n".join(first + rest), sum(bounds)))
            out[name] = (_preamble(source), pieces)
    return sheets, out


@pytest.mark.parametrize("which", ["sheet", "key"])
def test_every_bound_is_above_the_measured_height(sheets, which):
    _, out = sheets
    preamble, pieces = out[which]
    heights = _query(preamble, [p for p, _ in pieces], "height")
    assert len(heights) == len(pieces) > 100
    low = [(h, b, p[:120]) for (p, b), h in zip(pieces, heights, strict=True) if b < h]
    assert not low, low[:3]
    # and the bounds are useful: most pieces well inside a page are kept without measuring
    short = [b for (_, b), h in zip(pieces, heights, strict=True)
             if h <= 0.7 * pagefit.PAGE_HEIGHT]
    assert sum(map(pagefit.fits, short)) >= 0.9 * len(short)


def test_label_widths_are_above_the_measured_widths(sheets):
    worksheets, out = sheets
    preamble, _ = out["key"]
    labels = sorted({label for ws in worksheets for v in ws.versions
                     for _, items in v.sections for item in items
                     for labels in item.text["typst"].labels for label in labels})
    widths = _query(preamble, labels, "width")
    low = [(w, pagefit.text_em(label) * pagefit.EM, label)
           for label, w in zip(labels, widths, strict=True)
           if pagefit.text_em(label) * pagefit.EM < w]
    assert not low, low[:3]


def test_answer_area_size_is_the_printed_one():
    shapes = [(1, 1), (1, 4), (4, 1), (3, 3), (6, 8)]
    pieces = [f"#answer-area({r}, {c})" for r, c in shapes]
    ws = build_worksheet(parse_spec(_spec("none", (1,)), "every"), 1, formats=("pdf",))
    heights = _query(_preamble(typst_sheet.student_typst(ws)), pieces, "height")
    for (r, c), h in zip(shapes, heights, strict=True):
        assert pagefit.answer_area(r, c) == pytest.approx(h, abs=0.01)


def test_text_width_counts_chinese_as_wide():
    assert pagefit.text_em("你好") == 2
    assert pagefit.text_em('#"ab"') == pytest.approx(1.2)
    assert pagefit.text_em("$a times b$") > pagefit.text_em("$a b$")
    assert pagefit.lines("x" * 10, 47) == 1
    assert pagefit.lines("你" * 100, 47) == 3


def test_a_piece_past_a_page_is_measured_in_typst(monkeypatch):
    """With every bound above a page, typeset falls back to Typst's measuring functions,
    and the sheets still compile."""
    ws = build_worksheet(parse_spec(
        'title = "t"\nseed = 1\n[[sections]]\nfamily = "attention"\nlevel = 2\n', "t"), 1,
        formats=("pdf",))
    monkeypatch.setattr(pagefit, "PAGE_HEIGHT", 1.0)
    sheet, key = typst_sheet.student_typst(ws), typst_key.key_typst(ws)
    assert "#exercise([" in sheet and "#block(breakable: false)[" not in sheet
    assert "#keep[" in key and "#block(breakable: false)[" not in key
    for source in (sheet, key):
        assert compile.compile_pdf(source).startswith(b"%PDF")
