"""handcalc.sheets.pdfjoin: Typst's PDFs joined into one, and class sets compiled in chunks."""

from __future__ import annotations

import io

import pypdf
import pytest
import typst

from handcalc.sheets import compile, pdfjoin, typeset
from handcalc.sheets.build import build_worksheet
from handcalc.sheets.pdfjoin import JoinError, join, rewrite
from handcalc.sheets.spec import parse_spec


def _doc(n: int, title: str = "Joined (1 0 R) <<x>>") -> bytes:
    src = (f'#set document(title: "{title}", date: none)\n'
           '#set page(paper: "a6", footer: context [#counter(page).display()])\n'
           + "\n#pagebreak()\n".join(f"= Part {n}.{k}\nText {n}.{k}" for k in range(n)))
    return typst.compile(src.encode(), format="pdf")


def _reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf), strict=True)


def test_rewrite_renumbers_references_but_not_strings():
    text = rb"<</T(5 0 R \) (6 0 R))/H<35>/A 5 0 R/K[6 0 R]/StructParents 3>>"
    out = rewrite(text, lambda n: n + 10, parents=4)
    assert out == rb"<</T(5 0 R \) (6 0 R))/H<35>/A 15 0 R/K[16 0 R]/StructParents 7>>"


def test_pages_text_outline_and_tags_are_joined_in_order():
    parts = [_doc(1), _doc(3), _doc(2)]
    joined = join(parts)
    r = _reader(joined)
    texts = [p.extract_text() for p in r.pages]
    assert len(texts) == 6
    assert [t.split("\n")[0] for t in texts] == [
        "Part 1.0", "Part 3.0", "Part 3.1", "Part 3.2", "Part 2.0", "Part 2.1"]
    assert r.metadata.title == "Joined (1 0 R) <<x>>"
    assert [o.title for o in r.outline] == [t.split("\n")[0] for t in texts]
    root = r.trailer["/Root"]["/StructTreeRoot"]
    nums = root["/ParentTree"]["/Nums"]
    keys = sorted(nums[0::2])
    assert keys == sorted(p["/StructParents"] for p in r.pages) == list(range(6))
    assert len(root["/K"]) == 3
    assert all(k.get_object().raw_get("/P").idnum == root.indirect_reference.idnum
               for k in root["/K"])


def test_join_is_the_same_bytes_every_time_and_one_pdf_is_itself():
    parts = [_doc(2), _doc(1)]
    assert join(parts) == join(list(parts))
    assert join(parts[:1]) == parts[0]


def test_what_typst_does_not_write_is_refused():
    with pytest.raises(JoinError):
        pdfjoin.parse(b"hello")
    pdf = _doc(1)
    at = pdf.rfind(b"startxref")
    with pytest.raises(JoinError):
        pdfjoin.parse(pdf[:at] + b"startxref\n12\n%%EOF")


def test_pieces_come_a_chunk_at_a_time_and_a_bad_chunk_is_refused_before_any():
    parts = [_doc(2), _doc(1), _doc(3)]
    pieces = pdfjoin.join_pieces(parts)
    first = next(pieces)
    assert first.startswith(b"%PDF-") and len(first) < 100  # the header alone
    rest = list(pieces)  # each chunk's objects, the page tree, the table, the trailer
    assert len(rest) == len(parts) + 3
    assert b"".join([first, *rest]) == join(parts)
    pdf = parts[1]
    broken = pdf.replace(b"endobj", b"endobx")  # every object of the second chunk
    with pytest.raises(JoinError):
        pdfjoin.join_pieces([parts[0], broken])  # raised at once, not when written
    at = pdf.index(b"xref\n")
    with pytest.raises(JoinError):
        pdfjoin.parse(pdf[:at] + b"xref\n0 x\n" + pdf[at + 5:])


SPEC = """title = "Chunks"
seed = 3
[[sections]]
title = "Masks"
family = "causal"
level = 2
[[sections]]
family = "score"
level = 1
"""


@pytest.mark.parametrize("duplex", [True, False])
def test_chunked_class_set_is_the_whole_one(monkeypatch, duplex):
    """Compiled in chunks of 2 versions and joined, a 5-version sheet and key hold the
    same pages as compiled whole, and (duplex) every version starts on an odd page."""
    spec = parse_spec(SPEC if duplex else SPEC.replace("seed = 3", "seed = 3\nduplex = false"),
                      "c")
    ws = build_worksheet(spec, 5, formats=("pdf",))
    # this process compiles here (a fork after typst has run could deadlock the child):
    # set for good, not patched, since the process then has run typst, which stays true
    # for the tests after this one (a patch undone would let them fork: they hung)
    compile._COMPILED_HERE = True
    targets = [("pdf", False), ("pdf", True)]
    monkeypatch.setattr(typeset, "CHUNK_VERSIONS", 2)
    assert len(typeset.chunk_sources(ws, key=False)) == 3
    chunked = typeset.render_all(ws, targets)
    monkeypatch.setattr(typeset, "CHUNK_VERSIONS", 100)
    whole = typeset.render_all(ws, targets)
    for a, b in zip(chunked, whole, strict=True):
        ra, rb = _reader(a), _reader(b)
        assert len(ra.pages) == len(rb.pages)
        starts = [i for i, p in enumerate(ra.pages) if "Version" in p.extract_text()]
        assert len(starts) == 5
        if duplex:
            assert all(i % 2 == 0 for i in starts)  # page i + 1 is odd
        # the same text (pypdf's spacing differs with each chunk's font subsets)
        text = ["".join(p.extract_text().split()) for p in ra.pages]
        assert text == ["".join(p.extract_text().split()) for p in rb.pages]


def test_chunk_jobs_render_in_the_worker_and_check_the_fonts(monkeypatch):
    """A chunk's source is rendered where it is compiled: its job pickles (to a forked
    worker) and renders the chunk's source there; a character no font covers is refused
    there, with an error that reaches the parent whole."""
    import pickle

    from handcalc.errors import MissingGlyphs

    ws = build_worksheet(parse_spec(SPEC, "c"), 3, formats=("pdf",))
    monkeypatch.setattr(typeset, "CHUNK_VERSIONS", 2)
    jobs = typeset.chunk_jobs(ws, key=True)
    assert [pickle.loads(pickle.dumps(j))() for j in jobs] == \
        typeset.chunk_sources(ws, key=True)
    assert [j.pad for j in jobs] == [True, False]
    assert jobs[0].weight > typeset.chunk_jobs(ws, key=False)[0].weight  # keys go first
    monkeypatch.setattr(typeset, "source", lambda *a, **k: "#\"\U0001F600\"")
    with pytest.raises(MissingGlyphs) as err:
        jobs[1]()
    back = pickle.loads(pickle.dumps(err.value))
    assert (str(back), back.missing) == (str(err.value), err.value.missing)
    assert "the typeset answer key" in back.missing.values()
