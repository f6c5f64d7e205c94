"""Build handcalc/sheets/fonts/NotoSansSC-Handcalc{,-Bold}.otf, the CJK fonts worksheets ship with.

Source: the Regular and Bold Simplified Chinese faces of Noto Sans CJK (SIL Open Font
License 1.1), as shipped by Debian's package ``fonts-noto-cjk``, version
``1:20220127+repack1-1`` (Noto Sans CJK 2.004). Get it unpacked, as root or not, with::

    apt-get download fonts-noto-cjk=1:20220127+repack1-1
    dpkg-deb -x fonts-noto-cjk_*.deb fonts-noto-cjk

then, with fontTools installed (``pip install -c constraints.txt -e '.[font]'``)::

    python scripts/build_cjk_font.py fonts-noto-cjk

The script checks the source fonts' SHA-256, keeps every character of GBK (GB2312's 6763
hanzi and symbols, and GBK's 21,003 hanzi: GB18030's common characters) and of Big5 (the
13,000-odd traditional characters of Taiwan and Hong Kong), the whole CJK Unified
Ideographs block (U+4E00..U+9FFF), CJK punctuation, full-width forms and the general
punctuation of Chinese text, so that learners' names print whatever their characters;
drops hinting, vertical metrics and all OpenType features but those of horizontal text,
renames the family to ``Noto Sans SC Handcalc`` (a subset
should not pass for the whole font) and keeps the sources' own timestamps, so that two
runs give the same bytes. Bold is there because the sheets set their title, headings and
exercise heads in bold, and typst does not embolden a font that has no bold face: Chinese
words would print regular beside bold Latin. It also writes OFL.txt beside the fonts: the
copyright notice from the fonts' name table and the licence text from the package's
copyright file.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path

SOURCE_DIR = "usr/share/fonts/opentype/noto"
SOURCE_COPYRIGHT = "usr/share/doc/fonts-noto-cjk/copyright"
FAMILY = "Noto Sans SC Handcalc"
# style: (source collection, its SHA-256, the face's PostScript name, output PostScript name)
FACES = {
    "Regular": ("NotoSansCJK-Regular.ttc",
                "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a",
                "NotoSansCJKsc-Regular", "NotoSansSC-Handcalc"),
    "Bold": ("NotoSansCJK-Bold.ttc",
             "faa5f3656a78b2e2d450d27fe8382c778bc2b6bb5ea29c986664a6a435056ceb",
             "NotoSansCJKsc-Bold", "NotoSansSC-Handcalc-Bold"),
}
FONTTOOLS_VERSION = "4.68.0"  # the version that made the committed font
OUT_DIR = Path(__file__).resolve().parent.parent / "handcalc" / "sheets" / "fonts"

# Punctuation of Chinese text outside GB2312's rows (most are in them too; a set is a set).
EXTRA = "“”‘’、。，：；！？（）《》〈〉【】「」『』·—…～￥"
KEEP_FEATURES = ["ccmp", "kern", "liga", "palt", "halt", "pwid", "fwid"]
DROP_TABLES = ["vhea", "vmtx", "VORG", "BASE"]
KEEP_NAME_IDS = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]


def gb2312_characters() -> set[str]:
    """Every character of GB2312: symbol rows 0xA1..0xA9 and hanzi rows 0xB0..0xF7, each
    byte pair whose second byte is 0xA1..0xFE and that Python's gb2312 codec decodes."""
    out = set()
    for row in [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]:
        for cell in range(0xA1, 0xFF):
            try:
                out.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


def double_byte_characters(codec: str, leads: range, trails: list[int]) -> set[str]:
    """Every character a double-byte codec decodes from a lead byte in `leads` and a trail
    byte in `trails`, without its private-use mappings (no font draws those)."""
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                ch = bytes((lead, trail)).decode(codec)
            except UnicodeDecodeError:
                continue
            if not 0xE000 <= ord(ch) <= 0xF8FF:
                out.add(ch)
    return out


def gbk_characters() -> set[str]:
    """Every character of GBK (a superset of GB2312; GB18030's two-byte part)."""
    return double_byte_characters("gbk", range(0x81, 0xFF),
                                  [*range(0x40, 0x7F), *range(0x80, 0xFF)])


def big5_characters() -> set[str]:
    """Every character of Big5 (traditional Chinese)."""
    return double_byte_characters("big5", range(0xA1, 0xFA),
                                  [*range(0x40, 0x7F), *range(0xA1, 0xFF)])


CJK_BASIC = range(0x4E00, 0xA000)  # CJK Unified Ideographs, the whole basic block


def wanted_characters() -> set[int]:
    """The code points the shipped font should cover: GB2312, GBK, Big5, the CJK Unified
    Ideographs block, CJK Symbols and Punctuation (U+3000..U+303F), full-width forms
    (U+FF01..U+FF5E) and EXTRA. (What the source font lacks of them is left out.)"""
    chars = gb2312_characters() | gbk_characters() | big5_characters() | set(EXTRA)
    return ({ord(c) for c in chars} | set(CJK_BASIC) | set(range(0x3000, 0x3040))
            | set(range(0xFF01, 0xFF5F)))


def licence_text(copyright_file: str, notice: str) -> str:
    """OFL.txt: the font's copyright notice, then the SIL-1.1 licence paragraph of a Debian
    copyright file (DEP-5: lines indented by one space, '.' for a blank line)."""
    lines = copyright_file.splitlines()
    start = next(i for i, line in enumerate(lines[:-1], 1)
                 if line == "License: SIL-1.1" and lines[i].startswith(" "))
    body = []
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        body.append("" if line == " ." else line[1:])
    return notice + "\n\n" + "\n".join(body).rstrip() + "\n"


def build(source_root: Path) -> tuple[dict[str, bytes], str]:
    """The subset fonts' bytes by file name, and the text of OFL.txt, from an unpacked
    fonts-noto-cjk."""
    import fontTools

    if fontTools.version != FONTTOOLS_VERSION:
        print(f"note: fontTools {fontTools.version}; the committed fonts were made with "
              f"{FONTTOOLS_VERSION}, and another version may give other bytes", file=sys.stderr)
    fonts, notice = {}, ""
    for style, (source, sha256, face, postscript) in FACES.items():
        data, notice = subset_face(source_root / SOURCE_DIR / source, sha256, face, style,
                                   postscript)
        fonts[f"{postscript}.otf"] = data
    copyright_text = (source_root / SOURCE_COPYRIGHT).read_text(encoding="utf-8")
    return fonts, licence_text(copyright_text, notice)


def subset_face(path: Path, sha256: str, face: str, style: str,
                postscript: str) -> tuple[bytes, str]:
    """One face of a collection subset to wanted_characters() and renamed; its bytes and
    its copyright notice."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path}: SHA-256 {digest}, expected {sha256} "
                         "(fonts-noto-cjk 1:20220127+repack1-1)")
    faces = TTCollection(io.BytesIO(data), recalcTimestamp=False, lazy=False).fonts
    font = next(f for f in faces if f["name"].getDebugName(6) == face)
    created, modified = font["head"].created, font["head"].modified

    options = subset.Options()
    options.hinting = False
    options.layout_features = KEEP_FEATURES
    options.drop_tables += DROP_TABLES
    options.name_IDs = KEEP_NAME_IDS
    options.name_languages = [0x409]
    options.notdef_outline = True
    options.prune_unicode_ranges = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_characters())
    subsetter.subset(font)

    name = font["name"]
    full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    for name_id, text in ((1, FAMILY), (2, style), (3, f"{postscript};subset of {face} "
                          "2.004"), (4, full), (6, postscript)):
        name.removeNames(nameID=name_id)
        name.setName(text, name_id, 3, 1, 0x409)
    cff = font["CFF "].cff
    cff.fontNames = [postscript]
    top = cff.topDictIndex[0]
    for key, value in (("FullName", full), ("FamilyName", FAMILY)):
        if hasattr(top, key):
            setattr(top, key, value)
    font["head"].created, font["head"].modified = created, modified

    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), name.getDebugName(0) or ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="fonts-noto-cjk unpacked with dpkg-deb -x")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    fonts, licence = build(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    for file_name, data in fonts.items():
        (args.out / file_name).write_bytes(data)
        print(f"{args.out / file_name}: {len(data)} bytes, {len(wanted_characters())} "
              f"characters asked for, SHA-256 {hashlib.sha256(data).hexdigest()}")
    (args.out / "OFL.txt").write_text(licence, encoding="utf-8")


if __name__ == "__main__":
    main()
