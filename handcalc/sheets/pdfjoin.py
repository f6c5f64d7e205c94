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
from array import array
from collections.abc import Callable, Iterator, Sequence
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


@dataclass(frozen=True)
class _Pdf:
    """A PDF's bytes and where its objects are: `offsets[n]` is where object n starts,
    -1 when it is free (a compact array, so that many chunks can be read at once)."""
    data: bytes
    offsets: array[int]
    trailer: bytes

    def numbers(self) -> list[int]:
        """The numbers of the objects in use, in order."""
        return [n for n, off in enumerate(self.offsets) if off >= 0]

    def last(self) -> int:
        """The highest number of an object in use."""
        n = len(self.offsets) - 1
        while n > 0 and self.offsets[n] < 0:
            n -= 1
        return n

    def span(self, n: int) -> tuple[int, int]:
        """Where object n's body starts (after `n 0 obj`) and ends (before `endobj`)."""
        off = self.offsets[n] if 0 <= n < len(self.offsets) else -1
        if off < 0:
            raise JoinError(f"no object {n}")
        head = b"%d 0 obj" % n
        if self.data[off:off + len(head)] != head:
            raise JoinError(f"object {n} is not where the table says")
        start = off + len(head)
        end = self.data.find(b"endobj", start)
        if end < 0:
            raise JoinError(f"object {n} has no end")
        return start, end

    def body(self, n: int) -> bytes:
        start, end = self.span(n)
        return self.data[start:end]

    def dict_part(self, n: int) -> tuple[bytes, memoryview]:
        """An object's dictionary (or whole body), and its stream with the keywords (a
        view of the PDF's bytes, not a copy)."""
        start, end = self.span(n)
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
    """A PDF's objects, from its cross-reference table (read, not yet checked: each
    object is checked where it is read)."""
    if not data.startswith(b"%PDF-"):
        raise JoinError("not a PDF")
    at = data.rfind(b"startxref")
    try:
        xref_at = int(data[at + 9:].split()[0]) if at >= 0 else -1
    except (ValueError, IndexError):
        xref_at = -1
    if xref_at < 0 or data[xref_at:xref_at + 4] != b"xref":
        raise JoinError("no cross-reference table (object streams are not read)")
    t = data.find(b"trailer", xref_at)
    if t < 0:
        raise JoinError("no trailer")
    lines = data[xref_at + 4:t].split()
    offsets = array("q")
    k = 0
    try:
        while k < len(lines):
            first, count = int(lines[k]), int(lines[k + 1])
            k += 2
            if first + count > len(offsets):
                offsets.extend([-1] * (first + count - len(offsets)))
            for n in range(first, first + count):
                offsets[n] = int(lines[k]) if lines[k + 2] == b"n" else -1
                k += 3
    except (ValueError, IndexError):
        raise JoinError("a cross-reference table this joiner does not read") from None
    return _Pdf(data, offsets, data[t:at])


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


def join_pieces(pdfs: Sequence[bytes]) -> Iterator[bytes | bytearray]:
    """join(pdfs) as the pieces that make it up, in order: one per chunk, made as it is
    asked for, so the joined PDF (and the renumbered objects of more than one chunk) is
    never held whole in memory. What ties the chunks together is read first, so a PDF
    this joiner does not read raises JoinError here, before a piece is made."""
    if len(pdfs) == 1:
        return iter([pdfs[0]])
    docs = [parse(p) for p in pdfs]
    bases, base = [], 0
    for d in docs:
        bases.append(base)
        base += d.last() + 1
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
    trees, count, struct_kids, nums = [], 0, [], []
    outline_items: list[list[int]] = []
    outline_count = 0
    skip: list[set[int]] = []
    for c, d in enumerate(docs):
        cat = d.ref(b"Root")
        cat_body = d.body(cat)  # type: ignore[arg-type]
        pages = d.ref(b"Pages", cat_body)
        if pages is None:
            raise JoinError("no page tree")
        trees.append(pages)
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
    return _emit(docs, maps, skip, parent_base, new_pages, header_end, _Ties(
        cat0, tree0, outline0, struct_kids, nums, pb, top, neighbours, outline_count, count,
        trees))


@dataclass(frozen=True)
class _Ties:
    """What join_pieces read of every chunk to tie them into one document."""
    cat0: int
    tree0: int | None
    outline0: int | None
    struct_kids: list[bytes]
    nums: list[bytes]
    next_key: int
    top: list[tuple[int, int]]
    neighbours: dict[tuple[int, int], tuple[int | None, int | None]]
    outline_count: int
    count: int
    pages: list[int]  # each chunk's page tree (its own number)


def _emit(docs: list[_Pdf], maps: list[Callable[[int], int]], skip: list[set[int]],
          parent_base: list[int], new_pages: int, header_end: int,
          ties: _Ties) -> Iterator[bytes | bytearray]:
    """The joined PDF, a chunk's objects at a time: the header, each chunk's objects
    renumbered, the new page tree, the cross-reference table and the trailer."""
    first = docs[0]
    total = new_pages + 1
    offsets = array("q", [-1]) * total
    yield first.data[:header_end]
    size = header_end
    for c, d in enumerate(docs):
        ref = maps[c]
        pages = ties.pages[c]
        buf = bytearray()
        for n in d.numbers():
            if n in skip[c]:
                continue
            head, stream = d.dict_part(n)
            if c:  # the first chunk's numbers and keys stay as they are
                head = rewrite(head, ref, parent_base[c])
            head = _tie(head, c, n, pages, ref, maps, new_pages, ties)
            m = ref(n)
            offsets[m] = size + len(buf)
            buf += b"%d 0 obj%s" % (m, head)
            buf += stream
            buf += b"endobj\n"
        size += len(buf)
        yield buf
        del buf
    offsets[new_pages] = size
    kids = b" ".join(b"%d 0 R" % maps[c](p) for c, p in enumerate(ties.pages))
    root = (b"%d 0 obj\n<</Type/Pages/Count %d/Kids[%s]>>\nendobj\n"
            % (new_pages, ties.count, kids))
    yield root
    xref = size + len(root)
    table = bytearray(b"xref\n0 %d\n" % total)
    table += b"0000000000 65535 f\r\n"
    for n in range(1, total):
        off = offsets[n]
        table += (b"%010d 00000 n\r\n" % off) if off >= 0 else b"0000000000 65535 f\r\n"
    ids = hashlib.md5(b"".join(re.findall(rb"/ID\s*\[[^\]]*\]", d.trailer)[0]
                               for d in docs)).hexdigest().encode()
    info = first.ref(b"Info")
    yield table
    yield (b"trailer\n<</Size %d/Root %d 0 R" % (total, ties.cat0)
           + (b"/Info %d 0 R" % info if info is not None else b"")
           + b"/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF" % (ids, ids, xref))


def _tie(head: bytes, c: int, n: int, pages: int | None, ref: Callable[[int], int],
         maps: list[Callable[[int], int]], new_pages: int, t: _Ties) -> bytes:
    """An object's dictionary with what ties the chunks together set: a chunk's page tree
    under the new root, the first chunk's structure root holding every chunk's elements
    and parent tree, its outline holding every chunk's entries, the top-level entries
    chained in order, and its catalog pointing to the new root."""
    if n == pages:
        return _set(head, b"Parent", b"%d 0 R" % new_pages)
    if c == 0 and n == t.tree0:
        head = _set(head, b"K", b"[" + b" ".join(t.struct_kids) + b"]")
        head = re.sub(rb"/ParentTree\s*<<.*?>>", b"/ParentTree<</Nums["
                      + b" ".join(t.nums) + b"]>>", head, count=1, flags=re.S)
        return _set(head, b"ParentTreeNextKey", b"%d" % t.next_key)
    if c == 0 and n == t.outline0 and t.top:
        head = _set(head, b"First", b"%d 0 R" % ref(t.top[0][1]))
        head = _set(head, b"Last", b"%d 0 R" % maps[t.top[-1][0]](t.top[-1][1]))
        return _set(head, b"Count", b"%d" % t.outline_count)
    if (c, n) in t.neighbours:
        prev, nxt = t.neighbours[(c, n)]
        for key, value in ((b"Prev", prev), (b"Next", nxt)):
            if value is not None:
                head = _set(head, key, b"%d 0 R" % value)
            else:
                head = re.sub(rb"/" + key + rb" \d+ 0 R", b"", head)
        return head
    if c == 0 and n == t.cat0:
        return _set(head, b"Pages", b"%d 0 R" % new_pages)
    return head
