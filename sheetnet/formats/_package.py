"""What copying a zip package (.ods, .xlsx) into a new one takes, part by part: finding where
things are in a part, splicing new XML into it without changing a byte of what was there, and
copying members, streamed, under their names or new ones."""

from __future__ import annotations

import io
import re
import shutil
import xml.parsers.expat
import zipfile

from ..errors import SheetnetError
from ._xml import chunks, escape, parser

CHUNK = 1 << 20
SMALL = 64 << 20  # the most a part that is read whole (manifest, workbook.xml, rels, styles) may hold


class Element:
    """An element of a part: its name as written and resolved, its attributes, the namespaces in
    scope, its depth (the root is 0), how many children it has, and the byte offsets of its start
    tag and of its end tag (for an element written <x/>, of the byte after it)."""

    def __init__(self, qname: str, attrs: dict, namespaces: dict, start: int, depth: int):
        prefix, _, self.local = qname.rpartition(":")
        self.qname, self.attrs, self.namespaces = qname, attrs, namespaces
        self.uri = namespaces.get(prefix)
        self.start, self.end, self.depth, self.children = start, None, depth, 0

    def is_(self, uri: str, local: str) -> bool:
        return self.uri == uri and self.local == local

    def attr(self, uri: str, local: str) -> str | None:
        """The attribute uri:local, whatever prefix the part gives uri."""
        for prefix, bound in self.namespaces.items():
            if bound == uri and prefix and f"{prefix}:{local}" in self.attrs:
                return self.attrs[f"{prefix}:{local}"]
        return None

    def prefix_of(self, uri: str, default: str | None = None) -> str | None:
        """'p:' where uri is bound to p here, '' where it is the default namespace, else default."""
        for prefix, bound in self.namespaces.items():
            if bound == uri:
                return f"{prefix}:" if prefix else ""
        return default

    def within(self, found: list) -> list:
        """The elements of found that are this one's children."""
        return [e for e in found if e.depth == self.depth + 1 and self.start < e.start < self.end]


class _Stop(Exception):
    pass


def scan(source, member: str, wanted, stop=None) -> list:
    """The elements of a part (bytes or a binary stream) for which wanted(element) is true, in
    document order. Parsing ends early, after the element, once stop(element) is true for an
    element that starts."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    p = parser(member, namespaces=False)
    stack, found = [], []

    def start(qname, attrs):
        namespaces = stack[-1].namespaces if stack else {"xml": "http://www.w3.org/XML/1998/namespace"}
        if declared := {k[6:]: v for k, v in attrs.items() if k == "xmlns" or k.startswith("xmlns:")}:
            namespaces = {**namespaces, **declared}
        e = Element(qname, attrs, namespaces, p.CurrentByteIndex, len(stack))
        if stack:
            stack[-1].children += 1
        if wanted(e):
            found.append(e)
        if stop is not None and stop(e):
            raise _Stop
        stack.append(e)

    def end(_):
        stack.pop().end = p.CurrentByteIndex

    p.StartElementHandler, p.EndElementHandler = start, end
    try:
        for chunk in chunks(stream, member):
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except _Stop:
        pass
    except xml.parsers.expat.ExpatError as e:
        raise SheetnetError(f"{member} is not well-formed XML ({e})") from None
    return found


def read_small(z: zipfile.ZipFile, member: str) -> bytes:
    info = z.getinfo(member)
    if info.file_size > SMALL:
        raise SheetnetError(f"part {member} holds {info.file_size:,} bytes (at most {SMALL:,} expected)")
    return z.read(info)


def element_end(data: bytes, e: Element) -> int:
    """The offset just after element e in data."""
    if e.children or not data.startswith(b"/>", _start_tag(data, e.start, e.qname)):
        return data.index(b">", e.end) + 1  # e.end is its end tag's offset
    return e.end


# -- editing parts as they stream through ------------------------------------------------------
# An edit (start, end, write) replaces bytes start..end of a part with what write(those bytes)
# yields; new XML is bytes, or an iterable of bytes for what is streamed.

def _pieces(xml) -> list:
    return [xml] if isinstance(xml, bytes) else xml


def append(e: Element, xml) -> tuple:
    """The edit that adds xml as the last children of e."""
    if e.children:
        return e.end, e.end, lambda _: _pieces(xml)

    def opened(span: bytes):  # e is <x></x>, whose end offset is its end tag's, or <x/>, to be opened
        end = _start_tag(span, 0, e.qname)
        if not span.startswith(b"/>", end):
            return [span, *_pieces(xml)]
        return [span[:end], b">", *_pieces(xml), b"</", e.qname.encode(), b">"]

    return e.start, e.end, opened


def insert(at: int, xml) -> tuple:
    return at, at, lambda _: _pieces(xml)


# An attribute of a start tag: its name, then its value, quotes included. A start tag is read
# attribute by attribute, so that neither a '>' nor a look-alike in a value is taken for more.
_ATTRIBUTE = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")
_SPACE = re.compile(rb"\s*")


def _start_tag(data: bytes, at: int, qname: str, name: bytes | None = None):
    """In the start tag at data[at] of an element qname: the match of its attribute name, or
    (name None) the offset where its attributes end, before its '>' or '/>'."""
    pos = at + 1 + len(qname.encode())
    while m := _ATTRIBUTE.match(data, pos):
        if m.group(1) == name:
            return m
        pos = m.end()
    return None if name is not None else _SPACE.match(data, pos).end()


def set_attr(data: bytes, e: Element, name: str, value: str) -> tuple | None:
    """The edit that sets e's attribute name (as written) to value; None when e has none."""
    m = _start_tag(data, e.start, e.qname, name.encode())
    if m is None:
        return None
    quote = m.group(2)[:1]
    return m.start(2), m.end(2), lambda _: [quote + escape(value).encode() + quote]


def splice(stream, out, edits: list, until: int | None = None) -> None:
    """Copy a binary stream to out, applying edits in order of position; with until, only its
    bytes before that offset (edits lie before it), the stream left there."""
    pos = 0
    for start, end, write in sorted(edits, key=lambda e: (e[0], e[1])):
        _copy(stream, out, start - pos)
        for piece in write(stream.read(end - start)):
            out.write(piece)
        pos = end
    if until is None:
        shutil.copyfileobj(stream, out, CHUNK)
    else:
        _copy(stream, out, until - pos)


def _copy(stream, out, n: int) -> None:
    """The next n bytes of stream to out."""
    while n > 0:
        chunk = stream.read(min(n, CHUNK))
        if not chunk:
            raise SheetnetError("a part ended before its end")
        out.write(chunk)
        n -= len(chunk)


def edited(data: bytes, edits: list) -> bytes:
    out = io.BytesIO()
    splice(io.BytesIO(data), out, edits)
    return out.getvalue()


# -- renaming in the new sheets' XML ------------------------------------------------------------
# Renames are {attribute name, or its ending: {old value: new value}}, values as written. They
# are made by a pattern over the new sheets' XML, which this package's writers wrote: they
# escape '"' in every text and value (_xml.escape), so 'name="' can only start an attribute,
# never sit in a cell's text, a formula or a sheet's name.

def renamer(renames: dict, before: bytes = b""):
    """A function that renames attribute values in a chunk of the new sheets' XML cut between
    tags; before: what must precede the name (b" " for a short one like s)."""
    passes = []
    for attr, values in renames.items():
        if values:
            literal = before + attr + b'="'  # one pass per attribute, starting with a literal, which re finds quickly
            pattern = re.compile(re.escape(literal) + b'([^"]*)"')
            passes.append((literal, pattern, lambda m, v=values, lit=literal: lit + v.get(m.group(1), m.group(1)) + b'"'))

    def rename(data: bytes) -> bytes:
        for literal, pattern, swap in passes:
            if literal in data:
                data = pattern.sub(swap, data)
        return data

    return rename


def values(renames: dict, *attrs: str) -> dict:
    """{attribute: {old: new}} for each attribute, names escaped as attribute values are."""
    escaped = {escape(old).encode(): escape(new).encode() for old, new in renames.items()}
    return {attr.encode(): escaped for attr in attrs}


def fresh(names: set, taken: set) -> dict:
    """{name: a new name} for each of names that taken has, the new ones in neither."""
    renames = {}
    for name in sorted(names & taken):
        renames[name] = free(name, taken | names | set(renames.values()))
    return renames


def free(name: str, taken, fold=lambda n: n) -> str:
    """name, or the same name with its number raised until fold(it) is not in taken:
    xl/charts/chart1.xml -> chart3.xml, 'Chart 1' -> 'Chart 2', 'Object' -> 'Object2'."""
    if fold(name) not in taken:
        return name
    stem, number, ext = re.fullmatch(r"(.*?)(\d*)((?:\.[^./]*)?)", name).groups()
    k = int(number or 1) + 1
    while fold(candidate := f"{stem}{k}{ext}") in taken:
        k += 1
    return candidate


# -- copying members ----------------------------------------------------------------------------

def zipinfo(info: zipfile.ZipInfo, name: str | None = None) -> zipfile.ZipInfo:
    """A ZipInfo for writing a member like info (date, attributes, compression), maybe renamed."""
    copy = zipfile.ZipInfo(name or info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    return copy


def copy_member(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile, name: str | None = None,
                transform=None) -> None:
    """A member copied, streamed, under its name or another; transform(chunk) edits chunks cut
    between tags."""
    copy = zipinfo(info, name)
    if info.is_dir():
        dst.writestr(copy, b"")
        return
    with src.open(info) as a, dst.open(copy, "w", force_zip64=info.file_size > 1 << 30) as b:
        if transform is None:
            shutil.copyfileobj(a, b, CHUNK)
            return
        for chunk in between_tags(a):
            b.write(transform(chunk))


def copy_package(src: zipfile.ZipFile, dst: zipfile.ZipFile, replaced: dict) -> None:
    """Every member of src into dst, in order, as it is but for those replaced names:
    {name: its new bytes, or a function(dst, info) writing it}."""
    for info in src.infolist():
        new = replaced.get(info.filename)
        if new is None:
            copy_member(src, info, dst)
        elif isinstance(new, bytes):
            dst.writestr(zipinfo(info), new)
        else:
            new(dst, info)


def skip(stream, n: int) -> int:
    """Read past the next n bytes of a stream (none if n < 0), a chunk at a time (a zip member's
    seek would read 16 MB at once); returns how many."""
    done = 0
    while done < n and (chunk := stream.read(min(CHUNK, n - done))):
        done += len(chunk)
    return done


def between_tags(stream, n: int | None = None):
    """The next n bytes of a stream of XML (all of them with None) in chunks that end before a
    '<', so that no tag is split between two chunks."""
    carry = b""
    while n is None or n > 0:
        chunk = stream.read(CHUNK if n is None else min(CHUNK, n))
        if not chunk:
            break
        n = None if n is None else n - len(chunk)
        data = carry + chunk
        cut = data.rfind(b"<")
        cut = len(data) if cut <= 0 else cut
        yield data[:cut]
        carry = data[cut:]
    yield carry
