"""Fonts: the cmap reader, the shipped CJK font, the recorded coverage of typst's own fonts,
the coverage check and `worksheet --font-dir`; Chinese PDFs embed the CJK font."""

from __future__ import annotations

import importlib.util
import io
import shutil
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.sheets import fonts
from handcalc.sheets.fonts import sfnt

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
TITLE = "注意力机制手算练习"
INSTRUCTIONS = ["结果保留两位小数。", "逐行 softmax。"]

pypdf = pytest.importorskip("pypdf")


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args: str):
    return CliRunner().invoke(cli, ["worksheet", *args])


def write_spec(folder: Path, title: str = TITLE, instructions=INSTRUCTIONS,
               section: str = "因果掩码（causal mask）") -> Path:
    spec = folder / "zh.toml"
    items = ", ".join(f'"{x}"' for x in instructions)
    spec.write_text(f'title = "{title}"\ninstructions = [{items}]\n[[sections]]\n'
                    f'title = "{section}"\ncodes = ["worked-5"]\n', encoding="utf-8")
    return spec


# ---------------------------------------------------------------- a font made by hand

def _cmap() -> bytes:
    """A cmap with a format 4 subtable (A..C by delta; U+4E00..U+4E02 through the glyph
    array, U+4E01 to .notdef) and a format 12 one (U+1F600..U+1F601; U+20000 to .notdef)."""
    segs = [(0x41, 0x43, 1 - 0x41, 0), (0x4E00, 0x4E02, 0, 4), (0xFFFF, 0xFFFF, 1, 0)]
    glyphs = [5, 0, 7]
    n = len(segs)
    body = struct.pack(">HHH", 2 * n, 2, 0) + struct.pack(">H", 2 * n - 2)
    body += b"".join(struct.pack(">H", s[1]) for s in segs) + b"\0\0"
    body += b"".join(struct.pack(">H", s[0]) for s in segs)
    body += b"".join(struct.pack(">h", s[2]) for s in segs)
    body += b"".join(struct.pack(">H", s[3]) for s in segs)
    body += b"".join(struct.pack(">H", g) for g in glyphs)
    f4 = struct.pack(">HHH", 4, 6 + len(body), 0) + body
    groups = [(0x1F600, 0x1F601, 9), (0x20000, 0x20000, 0)]
    f12 = struct.pack(">HHIII", 12, 0, 16 + 12 * len(groups), 0, len(groups))
    f12 += b"".join(struct.pack(">III", *g) for g in groups)
    head = struct.pack(">HH", 0, 2) + struct.pack(">HHI", 3, 1, 20) + \
        struct.pack(">HHI", 3, 10, 20 + len(f4))
    return head + f4 + f12


def hand_font(base: int = 0, glyphs: int = 11) -> bytes:
    """A font file holding a cmap and a maxp counting `glyphs` glyphs, its table offsets
    counted from `base`."""
    cmap = _cmap()
    maxp = struct.pack(">IH", 0x5000, glyphs)
    return (b"\x00\x01\x00\x00" + struct.pack(">HHHH", 2, 32, 1, 0)
            + struct.pack(">4sIII", b"cmap", 0, base + 44, len(cmap))
            + struct.pack(">4sIII", b"maxp", 0, base + 44 + len(cmap), len(maxp)) + cmap + maxp)


HAND_COVERS = {0x41, 0x42, 0x43, 0x4E00, 0x4E02, 0x1F600, 0x1F601}


def test_reader_reads_formats_4_and_12_without_notdef():
    assert sfnt.face_coverage(hand_font()) == HAND_COVERS


def test_reader_reads_a_collection_and_refuses_other_files():
    ttc = b"ttcf" + struct.pack(">II", 0x10000, 1) + struct.pack(">I", 16) + hand_font(16)
    assert sfnt.face_offsets(ttc) == [16]
    assert sfnt.face_coverage(ttc, 16) == HAND_COVERS
    for bad in (b"", b"not a font at all", b"ttcf" + bytes(8)):
        with pytest.raises(sfnt.FontFileError):
            sfnt.face_offsets(bad)


# ---------------------------------------------------------------- the fonts that ship

# U+9FF0..U+9FFF were added in Unicode 13 and 14: Noto Sans CJK 2.004 has none of them
NEWER_THAN_SOURCE = set(range(0x9FF0, 0xA000))
NAMES = "喆玥堃珺祎垚赟陳張劉黃鄭謝龔"  # outside GB2312: rare simplified and traditional


def test_shipped_fonts_cover_gbk_big5_and_the_basic_block():
    build = script("build_cjk_font")
    assert len(build.gb2312_characters()) == 6763 + 682  # hanzi + symbols of rows 1..9
    gbk_hanzi = {c for c in build.gbk_characters() if 0x4E00 <= ord(c) <= 0x9FA5}
    assert len(gbk_hanzi) == 20902  # GBK's (and GB18030's common) CJK Unified Ideographs
    big5_hanzi = {c for c in build.big5_characters() if 0x4E00 <= ord(c) <= 0x9FFF}
    assert len(big5_hanzi) > 13000
    shipped = fonts.font_files(fonts.FONT_DIR)
    assert [p.name for p in shipped] == sorted(f"{face[3]}.otf" for face in
                                               build.FACES.values())
    assert fonts.CJK_FONT in shipped
    typst_own = fonts.builtin_coverage()
    for path in shipped:
        data = path.read_bytes()
        covered = sfnt.face_coverage(data)
        assert set(range(0x4E00, 0x9FF0)) <= covered
        assert build.wanted_characters() - NEWER_THAN_SOURCE <= covered | typst_own
        text = "注意力机制手算练习“”‘’、。，：；！？（）《》·—…" + NAMES
        assert {ord(c) for c in text} <= covered
        assert sfnt.family_name(data) == fonts.CJK_FAMILY == build.FAMILY
        assert len(data) < 6_000_000  # a face past ~15 MB would want a tighter subset
    assert (fonts.FONT_DIR / "OFL.txt").read_text(encoding="utf-8").count(
        "SIL OPEN FONT LICENSE Version 1.1") == 1


def test_builtin_coverage_file_is_what_typst_embeds():
    """typst-fonts.txt lists exactly the union of the cmaps of typst's embedded fonts."""
    record = script("typst_font_coverage")
    version, covered = record.typst_coverage()
    assert fonts.builtin_coverage() == covered, "rerun scripts/typst_font_coverage.py"
    assert f"typst {version}:" in fonts.BUILTIN_COVERAGE.read_text(encoding="utf-8")
    assert {ord(c) for c in "·–—…“”√×−∞⎡⎢⎣✓✗"} <= covered
    assert not {0x4E00, 0x1F600} & covered


def test_ranges_round_trip():
    points = {0x20, 0x21, 0x22, 0x41, 0x4E00, 0x4E01, 0x1F600}
    text = fonts.format_ranges(points)
    assert text == "0020-0022\n0041\n4E00-4E01\n1F600\n"
    assert fonts.parse_ranges("# comment\n" + text) == points


def test_coverage_adds_the_fonts_of_extra_folders(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "hand.TTF").write_bytes(hand_font())
    (tmp_path / "notes.ttf").write_bytes(b"not a font")
    assert 0x1F600 not in fonts.coverage()
    covered = fonts.coverage([tmp_path])
    assert 0x1F600 in covered and 0x20000 not in covered and 0x4E00 in covered


def test_uncovered_names_each_character_once_where_it_first_is():
    texts = [("title", "a😀b\u200d\ufe0f\u00ad"), ("instructions[1]", "𠀀 x 😀"),
             ("section 1, title", "注意")]
    missing = fonts.uncovered(texts, fonts.coverage())
    assert missing == {"😀": "title", "𠀀": "instructions[1]"}
    line = fonts.describe(missing)
    assert "😀 (U+1F600) in title, 𠀀 (U+20000) in instructions[1]" in line
    assert "--font-dir" in line and "\n" not in line


# ---------------------------------------------------------------- worksheets

def pdf_fonts(data: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_chinese_pdf_embeds_the_cjk_font_and_is_the_same_every_run(tmp_path):
    spec = write_spec(tmp_path)
    for n in (1, 2):
        r = run(str(spec), "-o", str(tmp_path / f"s{n}.pdf"), "--key",
                str(tmp_path / f"k{n}.pdf"))
        assert r.exit_code == 0, r.output + r.stderr
    for name in ("s", "k"):
        data = (tmp_path / f"{name}1.pdf").read_bytes()
        assert data == (tmp_path / f"{name}2.pdf").read_bytes()
        text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
        assert TITLE in text and "因果掩码" in text
        embedded = pdf_fonts(data)
        for face in ("NotoSansSC-Handcalc", "NotoSansSC-Handcalc-Bold"):  # text, title
            assert any(f.endswith(f"+{face}-Identity-H") for f in embedded), embedded
    sheet = pypdf.PdfReader(io.BytesIO((tmp_path / "s1.pdf").read_bytes())).pages[0]
    assert all(x in sheet.extract_text() for x in INSTRUCTIONS)


@pytest.mark.parametrize("fields, named", [
    ({"title": "注意😀"}, "😀 (U+1F600) in title"),
    ({"instructions": ["保留两位小数。", "逐行 𠀀"]}, "𠀀 (U+20000) in instructions[2]"),
    ({"section": "掩码 \U0002A6D6"}, "\U0002A6D6 (U+2A6D6) in section 1, title"),
])
def test_a_character_no_font_has_exits_2_and_writes_nothing(fields, named, tmp_path):
    spec = write_spec(tmp_path, **fields)
    out, key = tmp_path / "s.pdf", tmp_path / "k.pdf"
    r = run(str(spec), "-o", str(out), "--key", str(key))
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert named in err and "\n" not in err and "Traceback" not in err, err
    assert not out.exists() and not key.exists()
    r = run(str(spec), "-o", str(tmp_path / "s.md"))  # text formats need no font
    assert r.exit_code == 0, r.output + r.stderr


def test_font_dir_must_be_a_folder(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "s.pdf"
    for bad in (tmp_path / "missing", spec):
        r = run(str(spec), "-o", str(out), "--font-dir", str(bad))
        assert r.exit_code == 2, r.output
        assert "--font-dir" in r.stderr and "\n" not in r.stderr.strip()
        assert not out.exists()


def test_font_dir_brings_fonts_to_typst_and_to_the_check(tmp_path, monkeypatch):
    """Without the shipped folder Chinese is refused; with its font in --font-dir the PDF
    is made and embeds it."""
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(fonts.CJK_FONT, extra)
    spec = write_spec(tmp_path)
    out = tmp_path / "s.pdf"
    r = run(str(spec), "-o", str(out))
    assert r.exit_code == 2 and "注 (U+6CE8) in title" in r.stderr, r.output + r.stderr
    assert not out.exists()
    r = run(str(spec), "-o", str(out), "--font-dir", str(extra))
    assert r.exit_code == 0, r.output + r.stderr
    assert any("NotoSansSC-Handcalc" in f for f in pdf_fonts(out.read_bytes()))


def test_chinese_text_gets_wider_line_spacing_and_english_keeps_its_own(tmp_path):
    from handcalc.sheets.typst_blocks import CJK_PREAMBLE

    zh = write_spec(tmp_path)
    en = tmp_path / "en.toml"
    en.write_text('title = "Masks – “quoted” · ✓"\n[[sections]]\ncodes = ["worked-5"]\n')
    for spec, wanted in ((zh, True), (en, False)):
        out = tmp_path / f"{spec.stem}.typ"
        r = run(str(spec), "-o", str(out))
        assert r.exit_code == 0, r.output + r.stderr
        assert (CJK_PREAMBLE in out.read_text(encoding="utf-8")) is wanted


# ---------------------------------------------------------------- fonts typst would choke on


def test_a_collection_claiming_4_billion_faces_is_refused_before_typst(tmp_path):
    """A tiny .ttc whose header claims 4,294,967,295 faces stalled typst for minutes on
    every PDF: it is refused (exit 2, one line naming it) before typst is run."""
    bad = tmp_path / "fonts"
    bad.mkdir()
    (bad / "tiny.ttc").write_bytes(b"ttcf" + struct.pack(">II", 0x10000, 0xFFFFFFFF)
                                   + bytes(16))
    spec = write_spec(tmp_path)
    out = tmp_path / "s.pdf"
    r = run(str(spec), "-o", str(out), "--font-dir", str(bad))
    assert r.exit_code == 2, r.output
    line = r.stderr.strip()
    assert "\n" not in line and "tiny.ttc" in line and "4,294,967,295 faces" in line
    assert not out.exists()


def test_a_cmap_that_points_past_the_glyphs_covers_nothing_there():
    """A character mapped to a glyph the font does not have, or to one with no outline,
    would vanish from the PDF: it is not covered."""
    assert sfnt.face_coverage(hand_font(glyphs=11)) == HAND_COVERS
    assert sfnt.face_coverage(hand_font(glyphs=8)) == {0x41, 0x42, 0x43, 0x4E00, 0x4E02}
    assert sfnt.face_coverage(hand_font(glyphs=1)) == set()
    no_maxp = hand_font()[:12] + struct.pack(">4sIII", b"cmap", 0, 28, len(_cmap())) + _cmap()
    no_maxp = b"\x00\x01\x00\x00" + struct.pack(">HHHH", 1, 16, 0, 0) + no_maxp[12:]
    assert sfnt.face_coverage(no_maxp) == set()


def test_glyphs_without_outlines_are_not_coverage():
    """A TrueType face whose glyf holds no outline for a glyph: its characters are not
    covered (whitespace excepted)."""
    cmap = _cmap()
    glyphs = 11
    maxp = struct.pack(">IH", 0x5000, glyphs)
    head = bytes(50) + struct.pack(">hh", 0, 0)  # indexToLocFormat 0: short offsets
    outlined = {1, 5}  # "A" and U+4E00 have outlines, every other glyph is empty
    offsets, at = [], 0
    for g in range(glyphs + 1):
        offsets.append(at // 2)
        at += 12 if g in outlined else 0
    loca = b"".join(struct.pack(">H", o) for o in offsets)
    glyf = bytes(at)
    tables = [(b"cmap", cmap), (b"glyf", glyf), (b"head", head), (b"loca", loca),
              (b"maxp", maxp)]
    offset = 12 + 16 * len(tables)
    directory, body = b"", b""
    for tag, data in tables:
        directory += struct.pack(">4sIII", tag, 0, offset + len(body), len(data))
        body += data
    font = b"\x00\x01\x00\x00" + struct.pack(">HHHH", len(tables), 64, 2, 0) + directory + body
    assert sfnt.face_coverage(font) == {0x41, 0x4E00}
