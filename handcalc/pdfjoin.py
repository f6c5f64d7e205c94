"""Join PDFs that Typst wrote, one after the other, into one PDF.

A class set is compiled in chunks of versions (bounded memory, both cores); this puts the
chunks back together without re-reading their pages: every object of every chunk is
copied byte for byte, renumbered, and only the few that tie a document together are
rewritten:

* the page tree: a new root whose kids are the chunks' page trees;
* the structure tree (Typst tags its PDFs): the first chunk's root holds every chunk's
  elements, and each page's ``/StructParents`` key moves past the keys of the chunks
  before it, as does the parent tree that maps them;
* the outline (bookmarks): the chunks' top-level entries are chained in order;
* the first chunk's catalog, document information and metadata stand for the whole; the
  file identifier is a hash of the chunks' own.

It reads only what Typst writes (a cross-reference table, no object streams, a flat
parent tree) and says so, with ``JoinError``, when a PDF is not like that. The result is
the same bytes for the same chunks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass


class JoinError(ValueError):
    """A PDF this joiner does not read (not as Typst writes them)."""


_PLAIN = re.compile(rb"(\d+) 0 R\b|/StructParents? (\d+)")
_TOKEN = re.compile(rb"<<|>>|\(|<|(\d+) 0 R\b|/StructParents? (\d+)")


def _string_end(data: bytes, i: int) -> int:
    """The index after the literal string that starts at data[i] == '('."""
    depth, n = 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash: the next byte is escaped
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise JoinError("unterminated string")


def rewrite(text: bytes, ref: Callable[[int], int], parents: int = 0) -> bytes:
    """`text` (a PDF object's dictionary or array, no stream data) with every reference
    `n 0 R` renumbered by `ref` and every /StructParent(s) key moved on by `parents`;
    strings are left as they are."""
    if b"(" not in text and b"<" not in text.replace(b"<<", b""):  # no strings: at once
        def one(m: re.Match[bytes]) -> bytes:
            if m.group(1) is not None:
                return b"%d 0 R" % ref(int(m.group(1)))
            return m.group(0)[:-len(m.group(2))] + b"%d" % (int(m.group(2)) + parents)
        return _PLAIN.sub(one, text)
    out, i = [], 0
    while (m := _TOKEN.search(text, i)) is not None:
        start = m.start()
        if m.group(1) is not None:
            out += [text[i:start], b"%d 0 R" % ref(int(m.group(1)))]
            i = m.end()
        elif m.group(2) is not None:
            out += [text[i:m.start(2)], b"%d" % (int(m.group(2)) + parents)]
            i = m.end()
        elif m.group(0) in (b"<<", b">>"):  # a dictionary's brackets
            out.append(text[i:m.end()])
            i = m.end()
        elif text[start] == 0x28:  # a literal string
            end = _string_end(text, start)
            out.append(text[i:end])
            i = end
        else:  # a hex string
            end = text.index(b">", start) + 1
            out.append(text[i:end])
            i = end
    out.append(text[i:])
    return b"".join(out)


@dataclass
class _Pdf:
    data: bytes
    objects: dict[int, tuple[int, int]]  # number -> (start of its body, end of its body)
    trailer: bytes

    def body(self, n: int) -> bytes:
        start, end = self.objects[n]
        return self.data[start:end]

    def dict_part(self, n: int) -> tuple[bytes, memoryview]:
        """An object's dictionary (or whole body), and its stream with the keywords (a
        view of the PDF's bytes, not a copy)."""
        start, end = self.objects[n]
        k = _dict_end(self.data, start, end)
        return self.data[start:k], memoryview(self.data)[k:end]

    def ref(self, key: bytes, text: bytes | None = None) -> int | None:
        m = re.search(rb"/" + key + rb" (\d+) 0 R", self.trailer if text is None else text)
        return int(m.group(1)) if m else None


_STREAM = re.compile(rb"\(|stream\r?\n")


def _dict_end(data: bytes, start: int, end: int) -> int:
    """Where the dictionary of the object in data[start:end] ends: before its `stream`
    keyword (the first one that is not inside a string), else at `end`."""
    j = start
    while (m := _STREAM.search(data, j, end)) is not None:
        if data[m.start()] != 0x28:
            return m.start()
        j = _string_end(data, m.start())
    return end


def parse(data: bytes) -> _Pdf:
    """A PDF's objects, from its cross-reference table."""
    if not data.startswith(b"%PDF-"):
        raise JoinError("not a PDF")
    at = data.rfind(b"startxref")
    xref_at = int(data[at + 9:].split()[0]) if at >= 0 else -1
    if data[xref_at:xref_at + 4] != b"xref":
        raise JoinError("no cross-reference table (object streams are not read)")
    t = data.index(b"trailer", xref_at)
    lines = data[xref_at + 4:t].split()
    offsets: dict[int, int] = {}
    k = 0
    while k < len(lines):
        first, count = int(lines[k]), int(lines[k + 1])
        k += 2
        for n in range(first, first + count):
            off, kind = int(lines[k]), lines[k + 2]
            k += 3
            if kind == b"n":
                offsets[n] = off
    objects = {}
    for n, off in offsets.items():
        head = b"%d 0 obj" % n
        if data[off:off + len(head)] != head:
            raise JoinError(f"object {n} is not where the table says")
        start = off + len(head)
        end = data.index(b"endobj", start)
        objects[n] = (start, end)
    return _Pdf(data, objects, data[t:at])


def _nums(text: bytes) -> list[tuple[int, bytes]]:
    """The entries of a flat number tree `/Nums[k v k v ...]` in `text`."""
    m = re.search(rb"/ParentTree\s*<<\s*/Nums\s*\[(.*?)\]\s*>>", text, re.S)
    if m is None:
        raise JoinError("the parent tree is not a flat /Nums array")
    items = re.findall(rb"(\d+)\s+(\d+ 0 R|\[[^\]]*\])", m.group(1))
    return [(int(k), v) for k, v in items]


def _array(text: bytes, key: bytes) -> bytes:
    m = re.search(rb"/" + key + rb"\s*\[([^\]]*)\]", text)
    if m is None:
        raise JoinError(f"no /{key.decode()} array")
    return m.group(1)


def _set(text: bytes, key: bytes, value: bytes) -> bytes:
    """A dictionary with /key set to `value` (replaced, or added before its last >>)."""
    pat = re.compile(rb"/" + key + rb"(?=[\s/\[<(\d])\s*(\d+ 0 R|\d+|\[[^\]]*\]|/\w+)")
    if pat.search(text):
        return pat.sub(lambda _: b"/" + key + b" " + value, text, count=1)
    k = text.rindex(b">>")
    return text[:k] + b"/" + key + b" " + value + text[k:]


def join(pdfs: Sequence[bytes]) -> bytes:
    """The PDFs one after the other, as one PDF (one PDF is returned as it is)."""
    return pdfs[0] if len(pdfs) == 1 else b"".join(join_pieces(pdfs))


def join_pieces(pdfs: Sequence[bytes]) -> list[bytes | memoryview]:
    """join(pdfs) as the pieces that make it up, in order, most of them views of the
    PDFs' own bytes: written one by one, the joined PDF is never held whole in memory."""
    if len(pdfs) == 1:
        return [pdfs[0]]
    docs = [parse(p) for p in pdfs]
    bases, base = [], 0
    for d in docs:
        bases.append(base)
        base += max(d.objects) + 1
    new_pages = base
    first = docs[0]
    cat0 = first.ref(b"Root")
    if cat0 is None:
        raise JoinError("no catalog")
    cat_text = first.body(cat0)
    tree0 = first.ref(b"StructTreeRoot", cat_text)
    outline0 = first.ref(b"Outlines", cat_text)

    def mapper(c: int) -> Callable[[int], int]:
        d, b = docs[c], bases[c]
        tree = d.ref(b"StructTreeRoot", d.body(d.ref(b"Root") or 0))
        outline = d.ref(b"Outlines", d.body(d.ref(b"Root") or 0))

        def ref(n: int) -> int:
            if n == tree and tree0 is not None:
                return tree0  # every chunk's elements hang from the first root
            if n == outline and outline0 is not None:
                return outline0
            return n + b
        return ref

    maps = [mapper(c) for c in range(len(docs))]
    # the keys each chunk's parent tree starts at, and its top-level outline entries
    parent_base, pb = [], 0
    kids, count, struct_kids, nums = [], 0, [], []
    outline_items: list[list[int]] = []
    outline_count = 0
    skip: list[set[int]] = []
    for c, d in enumerate(docs):
        cat = d.ref(b"Root")
        cat_body = d.body(cat)  # type: ignore[arg-type]
        pages = d.ref(b"Pages", cat_body)
        if pages is None:
            raise JoinError("no page tree")
        kids.append(maps[c](pages))
        count += int(re.search(rb"/Count (\d+)", d.body(pages)).group(1))  # type: ignore[union-attr]
        drop: set[int] = set()
        if c:  # the first chunk's catalog, information and metadata stand for all
            drop |= {x for x in (cat, d.ref(b"Info"), d.ref(b"Metadata", cat_body))
                     if x is not None}
        tree = d.ref(b"StructTreeRoot", cat_body)
        parent_base.append(pb)
        if tree is not None and tree0 is not None:
            text = d.body(tree)
            entries = _nums(text)
            struct_kids.append(rewrite(_array(text, b"K"), maps[c]))
            nums += [b"%d %s" % (k + pb, rewrite(v, maps[c])) for k, v in entries]
            pb += max((k for k, _ in entries), default=-1) + 1
            if c:
                drop.add(tree)
        outline = d.ref(b"Outlines", cat_body)
        items = []
        if outline is not None and outline0 is not None:
            m = re.search(rb"/Count (-?\d+)", d.body(outline))
            outline_count += int(m.group(1)) if m else 0
            item = d.ref(b"First", d.body(outline))
            while item is not None:
                items.append(item)
                item = d.ref(b"Next", d.body(item))
            if c:
                drop.add(outline)
        outline_items.append(items)
        skip.append(drop)
    top = [(c, n) for c, items in enumerate(outline_items) for n in items]
    neighbours = {}
    for k, (c, n) in enumerate(top):
        prev = maps[top[k - 1][0]](top[k - 1][1]) if k else None
        nxt = maps[top[k + 1][0]](top[k + 1][1]) if k + 1 < len(top) else None
        neighbours[(c, n)] = (prev, nxt)

    header_end = first.data.index(b"\n", first.data.index(b"\n") + 1) + 1  # two lines
    out: list[bytes | memoryview] = [first.data[:header_end]]
    offsets: dict[int, int] = {}
    size = sum(map(len, out))

    def emit(n: int, head: bytes, stream: bytes | memoryview = b"") -> None:
        nonlocal size
        offsets[n] = size
        pieces = [b"%d 0 obj%s" % (n, head), stream, b"endobj\n"]
        out.extend(pieces)
        size += sum(map(len, pieces))

    for c, d in enumerate(docs):
        ref = maps[c]
        cat = d.ref(b"Root")
        pages = d.ref(b"Pages", d.body(cat))  # type: ignore[arg-type]
        for n in sorted(d.objects):
            if n in skip[c]:
                continue
            head, stream = d.dict_part(n)
            if c:  # the first chunk's numbers and keys stay as they are
                head = rewrite(head, ref, parent_base[c])
            if n == pages:
                head = _set(head, b"Parent", b"%d 0 R" % new_pages)
            elif c == 0 and n == tree0:
                head = _set(head, b"K", b"[" + b" ".join(struct_kids) + b"]")
                head = re.sub(rb"/ParentTree\s*<<.*?>>", b"/ParentTree<</Nums["
                              + b" ".join(nums) + b"]>>", head, count=1, flags=re.S)
                head = _set(head, b"ParentTreeNextKey", b"%d" % pb)
            elif c == 0 and n == outline0 and top:
                head = _set(head, b"First", b"%d 0 R" % ref(top[0][1]))
                head = _set(head, b"Last", b"%d 0 R" % maps[top[-1][0]](top[-1][1]))
                head = _set(head, b"Count", b"%d" % outline_count)
            elif (c, n) in neighbours:
                prev, nxt = neighbours[(c, n)]
                for key, value in ((b"Prev", prev), (b"Next", nxt)):
                    if value is not None:
                        head = _set(head, key, b"%d 0 R" % value)
                    else:
                        head = re.sub(rb"/" + key + rb" \d+ 0 R", b"", head)
            elif c == 0 and n == cat0:
                head = _set(head, b"Pages", b"%d 0 R" % new_pages)
            emit(ref(n), head, stream)
    emit(new_pages, b"\n<</Type/Pages/Count %d/Kids[%s]>>\n"
         % (count, b" ".join(b"%d 0 R" % k for k in kids)))
    xref = size
    total = new_pages + 1
    table = [b"xref\n0 %d\n" % total, b"0000000000 65535 f\r\n"]
    table += [(b"%010d 00000 n\r\n" % offsets[n]) if n in offsets else b"0000000000 65535 f\r\n"
              for n in range(1, total)]
    ids = hashlib.md5(b"".join(re.findall(rb"/ID\s*\[[^\]]*\]", d.trailer)[0]
                               for d in docs)).hexdigest().encode()
    info = first.ref(b"Info")
    trailer = (b"trailer\n<</Size %d/Root %d 0 R" % (total, cat0)
               + (b"/Info %d 0 R" % info if info is not None else b"")
               + b"/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF" % (ids, ids, xref))
    return [*out, b"".join(table), trailer]
