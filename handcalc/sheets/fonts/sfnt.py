"""Which characters a font file maps to glyphs: a small reader of OpenType/TrueType cmaps.

Reads .ttf, .otf and collections (.ttc, .otc) in pure Python, so that the coverage check
needs no font library at run time. Only the Unicode cmap subtables are read (platform 0,
and platform 3 encodings 1 and 10), in formats 4 (BMP segments) and 12 (groups over all
planes); a character mapped to glyph 0 (.notdef) is not covered. A font whose Unicode
cmap is in another format counts as covering nothing: the check may then refuse a
character that the font has, never accept one it lacks. For the same reason a character
counts only when its glyph exists: a face without a ``maxp`` table (no font typst loads)
covers nothing, a glyph number past ``maxp``'s count is no glyph, and in a TrueType face
(``glyf`` and ``loca``) a glyph with no outline draws nothing (whitespace excepted).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

SFNT_TAGS = (b"\x00\x01\x00\x00", b"OTTO", b"true")  # TrueType, CFF, old Apple TrueType
UNICODE_SUBTABLES = {(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (0, 6), (3, 1), (3, 10)}


class FontFileError(ValueError):
    """Bytes that are not a font this reader understands (truncated, wrong magic)."""


def _u16(data: bytes, at: int) -> int:
    return struct.unpack_from(">H", data, at)[0]


def _u32(data: bytes, at: int) -> int:
    return struct.unpack_from(">I", data, at)[0]


class BrokenCollection(FontFileError):
    """A font collection whose header claims faces that the file cannot hold: typst would
    spend minutes on it (a header may claim 4,294,967,295 faces)."""


def face_offsets(data: bytes) -> list[int]:
    """The offsets of the table directories of the faces in a font file (one for .ttf and
    .otf, one per face for a collection)."""
    if len(data) < 12:
        raise FontFileError("too short for a font")
    if data[:4] == b"ttcf":
        count = _u32(data, 8)
        if count == 0 or 12 + 4 * count > len(data):
            raise BrokenCollection(f"a font collection whose header claims {count:,} faces "
                                   f"in {len(data):,} bytes")
        return [_u32(data, 12 + 4 * i) for i in range(count)]
    if data[:4] in SFNT_TAGS:
        return [0]
    raise FontFileError("not an OpenType or TrueType font")


def tables(data: bytes, face: int = 0) -> dict[bytes, tuple[int, int]]:
    """The table directory of the face at offset `face`: tag -> (offset, length) in data."""
    try:
        if data[face:face + 4] not in SFNT_TAGS:
            raise FontFileError(f"no font at offset {face}")
        count = _u16(data, face + 4)
        out = {}
        for i in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, face + 12 + 16 * i)
            if offset + length > len(data):
                raise FontFileError(f"table {tag!r} runs past the end of the file")
            out[tag] = (offset, length)
        return out
    except struct.error:
        raise FontFileError("a truncated table directory") from None


def _format4(data: bytes, at: int) -> Iterator[tuple[int, int]]:
    segs = _u16(data, at + 6) // 2
    ends, starts = at + 14, at + 16 + 2 * segs
    deltas, ranges = starts + 2 * segs, starts + 4 * segs
    for i in range(segs):
        end, start = _u16(data, ends + 2 * i), _u16(data, starts + 2 * i)
        delta, range_offset = _u16(data, deltas + 2 * i), _u16(data, ranges + 2 * i)
        if start == 0xFFFF or start > end:
            continue
        if range_offset == 0:  # glyph = c + delta (mod 65536)
            yield from ((c, (c + delta) & 0xFFFF) for c in range(start, end + 1))
            continue
        for c in range(start, end + 1):
            glyph = _u16(data, ranges + 2 * i + range_offset + 2 * (c - start))
            if glyph:
                yield c, (glyph + delta) & 0xFFFF


def _format12(data: bytes, at: int, glyphs: int) -> Iterator[tuple[int, int]]:
    for i in range(_u32(data, at + 12)):
        start, end, first_glyph = struct.unpack_from(">III", data, at + 16 + 12 * i)
        end = min(end, 0x10FFFF, start + glyphs - 1 - first_glyph)  # glyphs that exist
        yield from ((c, first_glyph + c - start) for c in range(start, end + 1))


def _glyph_count(data: bytes, face: int) -> int:
    """maxp's number of glyphs (0 when the face has no maxp table)."""
    where = tables(data, face).get(b"maxp")
    if where is None or where[1] < 6:
        return 0
    return _u16(data, where[0] + 4)


def _no_outline(data: bytes, face: int, glyphs: int) -> set[int]:
    """The glyphs of a TrueType face (glyf, loca) with no outline: they draw nothing."""
    found = tables(data, face)
    if not {b"glyf", b"loca", b"head"} <= found.keys():
        return set()
    long = struct.unpack_from(">h", data, found[b"head"][0] + 50)[0] == 1
    loca, size = found[b"loca"]
    step, unpack = (4, _u32) if long else (2, _u16)
    count = min(glyphs, size // step - 1)
    offsets = [unpack(data, loca + step * i) for i in range(count + 1)]
    return {g for g in range(count) if offsets[g + 1] <= offsets[g]} | set(
        range(count, glyphs))


def face_coverage(data: bytes, face: int = 0) -> set[int]:
    """The code points that the face at offset `face` maps to a glyph other than .notdef."""
    where = tables(data, face).get(b"cmap")
    if where is None:
        return set()
    cmap = where[0]
    covered: set[int] = set()
    try:
        glyphs = _glyph_count(data, face)
        empty = _no_outline(data, face, glyphs)
        for i in range(_u16(data, cmap + 2)):
            platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
            if (platform, encoding) not in UNICODE_SUBTABLES:
                continue
            fmt = _u16(data, cmap + offset)
            pairs = (_format4(data, cmap + offset) if fmt == 4 else
                     _format12(data, cmap + offset, glyphs) if fmt == 12 else ())
            covered.update(c for c, g in pairs if 0 < g < glyphs and (
                g not in empty or chr(c).isspace()))
    except struct.error:
        raise FontFileError("a truncated cmap table") from None
    return covered


def family_name(data: bytes, face: int = 0) -> str | None:
    """The face's family name (name ID 16, else 1) in English from a Windows Unicode
    record, or None when it has none."""
    where = tables(data, face).get(b"name")
    if where is None:
        return None
    name = where[0]
    count, strings = _u16(data, name + 2), name + _u16(data, name + 4)
    found: dict[int, str] = {}
    for i in range(count):
        platform, encoding, lang, name_id, length, offset = struct.unpack_from(
            ">HHHHHH", data, name + 6 + 12 * i)
        if (platform, encoding, lang) == (3, 1, 0x409) and name_id in (1, 16):
            raw = data[strings + offset:strings + offset + length]
            found[name_id] = raw.decode("utf-16-be", errors="replace")
    return found.get(16) or found.get(1)
