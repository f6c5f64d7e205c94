"""Build handcalc/fonts/NotoSansSC-Handcalc.otf, the CJK font that worksheets ship with.

Source: the Regular Simplified Chinese face of Noto Sans CJK (SIL Open Font License 1.1),
as shipped by Debian's package ``fonts-noto-cjk``, version ``1:20220127+repack1-1``
(Noto Sans CJK 2.004). Get it unpacked, as root or not, with::

    apt-get download fonts-noto-cjk=1:20220127+repack1-1
    dpkg-deb -x fonts-noto-cjk_*.deb fonts-noto-cjk

then, with fontTools installed (``pip install -c constraints.txt -e '.[font]'``)::

    python scripts/build_cjk_font.py fonts-noto-cjk

The script checks the source font's SHA-256, keeps the characters of GB2312 (its 6763
hanzi and the symbols of rows 1 to 9), CJK punctuation, full-width forms and the general
punctuation of Chinese text, drops hinting, vertical metrics and all OpenType features
but those of horizontal text, renames the family to ``Noto Sans SC Handcalc`` (a subset
should not pass for the whole font) and keeps the source's own timestamps, so that two
runs give the same bytes. It also writes OFL.txt beside the font: the copyright notice
from the font's name table and the licence text from the package's copyright file.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path

SOURCE_FONT = "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SOURCE_COPYRIGHT = "usr/share/doc/fonts-noto-cjk/copyright"
SOURCE_SHA256 = "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a"
SOURCE_FACE = "NotoSansCJKsc-Regular"  # the PostScript name of the face in the collection
FAMILY = "Noto Sans SC Handcalc"
POSTSCRIPT = "NotoSansSC-Handcalc"
OUT_NAME = "NotoSansSC-Handcalc.otf"
FONTTOOLS_VERSION = "4.68.0"  # the version that made the committed font
OUT_DIR = Path(__file__).resolve().parent.parent / "handcalc" / "fonts"

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


def wanted_characters() -> set[int]:
    """The code points the shipped font should cover: GB2312, CJK Symbols and Punctuation
    (U+3000..U+303F), full-width forms (U+FF01..U+FF5E) and EXTRA."""
    chars = gb2312_characters() | set(EXTRA)
    return ({ord(c) for c in chars} | set(range(0x3000, 0x3040)) | set(range(0xFF01, 0xFF5F)))


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


def build(source_root: Path) -> tuple[bytes, str]:
    """The subset font's bytes and the text of OFL.txt, from an unpacked fonts-noto-cjk."""
    import fontTools
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    if fontTools.version != FONTTOOLS_VERSION:
        print(f"note: fontTools {fontTools.version}; the committed font was made with "
              f"{FONTTOOLS_VERSION}, and another version may give other bytes", file=sys.stderr)
    path = source_root / SOURCE_FONT
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"{path}: SHA-256 {digest}, expected {SOURCE_SHA256} "
                         "(fonts-noto-cjk 1:20220127+repack1-1)")
    faces = TTCollection(io.BytesIO(data), recalcTimestamp=False, lazy=False).fonts
    font = next(f for f in faces if f["name"].getDebugName(6) == SOURCE_FACE)
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
    for name_id, text in ((1, FAMILY), (2, "Regular"), (3, f"{POSTSCRIPT};subset of "
                          f"{SOURCE_FACE} 2.004"), (4, FAMILY), (6, POSTSCRIPT)):
        name.removeNames(nameID=name_id)
        name.setName(text, name_id, 3, 1, 0x409)
    cff = font["CFF "].cff
    cff.fontNames = [POSTSCRIPT]
    top = cff.topDictIndex[0]
    for key, value in (("FullName", FAMILY), ("FamilyName", FAMILY)):
        if hasattr(top, key):
            setattr(top, key, value)
    font["head"].created, font["head"].modified = created, modified

    out = io.BytesIO()
    font.save(out)
    copyright_text = (source_root / SOURCE_COPYRIGHT).read_text(encoding="utf-8")
    notice = name.getDebugName(0) or ""
    return out.getvalue(), licence_text(copyright_text, notice)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="fonts-noto-cjk unpacked with dpkg-deb -x")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    font, licence = build(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / OUT_NAME).write_bytes(font)
    (args.out / "OFL.txt").write_text(licence, encoding="utf-8")
    print(f"{args.out / OUT_NAME}: {len(font)} bytes, {len(wanted_characters())} characters "
          f"asked for, SHA-256 {hashlib.sha256(font).hexdigest()}")


if __name__ == "__main__":
    main()
