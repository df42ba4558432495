"""New sheets in a copy of the user's workbook, every part of which stays as it was.

sheetnet first writes the new sheets into a workbook of their own (the results, written by
this package's writers, in the source's format); :func:`merge` then writes a copy of the
user's workbook (the source) with the results' sheets added after its own. Every zip member
of the source is copied unchanged, except the few that list sheets and parts, into which the
new ones are spliced without changing a byte of what was there:

- .ods: content.xml gets the new tables after the source's last table, and their automatic
  styles (renamed where the source uses the name) after the source's; META-INF/manifest.xml
  lists the new parts (charts, pictures; renamed where the source uses the name).
- .xlsx: the new worksheet parts, and the parts they refer to, are added under free names;
  xl/workbook.xml, xl/_rels/workbook.xml.rels and [Content_Types].xml list them, and the
  cell formats they use are added to the end of xl/styles.xml.

Both files are streamed, so memory does not grow with either. The returned notes say what of
the results could not be carried over; the caller shows them, so nothing is dropped silently.
"""

from __future__ import annotations

import io
import posixpath
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import SheetnetError
from ._deflate import Member
from ._xml import escape, parser
from ._zip import open_zip

CHUNK = 1 << 20
SMALL = 64 << 20  # the most a part that is read whole (manifest, workbook.xml, rels, styles) may hold

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"


@contextmanager
def into_copy(out, source, notes: list, folder=None):
    """A binary file to write the new sheets' workbook to, whose sheets, on leaving, go into a
    copy of the workbook at source written to out (notes gets merge's notes); with source
    None, out itself. folder: where the new sheets' workbook waits, best out's own."""
    if source is None:
        yield out
        return
    # On out's disk rather than in a /tmp that may be memory; unnamed, so that even kill -9
    # leaves nothing behind.
    with tempfile.TemporaryFile(dir=folder) as results:
        yield results
        results.seek(0)
        notes += merge(source, results, out)


def merge(source, results, out) -> list:
    """Write to the binary file out a copy of the workbook at source with the sheets of the
    workbook results (a path or file of the same format) added; return notes for the user."""
    suffix = Path(source).suffix.lower()
    notes = []
    with open_zip(source) as src, open_zip(results) as res, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        {".ods": _merge_ods, ".xlsx": _merge_xlsx}[suffix](src, res, dst, notes)
    return notes


# -- scanning XML parts for where things are ----------------------------------------------------

class _Element:
    """An element of a part: its name as written and resolved, its attributes, its depth (the
    root is 0), how many children it has, and the byte offsets of its start tag and of its end
    tag (for an element written <x/>, of the byte after it)."""

    def __init__(self, qname: str, attrs: dict, namespaces: dict, start: int, depth: int):
        prefix, _, self.local = qname.rpartition(":")
        self.qname, self.attrs, self.namespaces = qname, attrs, namespaces
        self.uri = namespaces.get(prefix)
        self.start, self.end, self.depth, self.children = start, None, depth, 0

    def is_(self, uri: str, local: str) -> bool:
        return self.uri == uri and self.local == local

    def attr(self, uri: str, local: str, default=None):
        """The attribute uri:local, whatever prefix the part gives uri."""
        for prefix, bound in self.namespaces.items():
            if bound == uri and prefix and f"{prefix}:{local}" in self.attrs:
                return self.attrs[f"{prefix}:{local}"]
        return default

    def prefix_of(self, uri: str) -> str | None:
        """'p:' where uri is bound to p here, '' where it is the default namespace, else None."""
        for prefix, bound in self.namespaces.items():
            if bound == uri:
                return f"{prefix}:" if prefix else ""
        return None


class _Stop(Exception):
    pass


def _scan(stream, member: str, wanted, stop=None) -> list:
    """The elements of a part (a binary stream) for which wanted(element) is true, in
    document order. Parsing ends early, after the element, once stop(element) is true for an
    element that starts."""
    p = parser(namespaces=False)
    stack, found = [], []

    def start(qname, attrs):
        namespaces = stack[-1][0].namespaces if stack else {"xml": "http://www.w3.org/XML/1998/namespace"}
        if any(k == "xmlns" or k.startswith("xmlns:") for k in attrs):
            namespaces = {**namespaces, **{k[6:]: v for k, v in attrs.items() if k.startswith("xmlns")}}
        e = _Element(qname, attrs, namespaces, p.CurrentByteIndex, len(stack))
        if stack:
            stack[-1][0].children += 1
        keep = wanted(e)
        if stop is not None and stop(e):
            if keep:
                found.append(e)
            raise _Stop
        stack.append((e, keep))
        if keep:
            found.append(e)

    def end(_):
        stack.pop()[0].end = p.CurrentByteIndex

    p.StartElementHandler, p.EndElementHandler = start, end
    try:
        while chunk := stream.read(CHUNK):
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except _Stop:
        pass
    except SheetnetError as e:
        raise SheetnetError(f"{member}: {e.message}") from None
    except Exception as e:  # expat's ExpatError
        if type(e).__name__ != "ExpatError":
            raise
        raise SheetnetError(f"{member} is not well-formed XML ({e})") from None
    return found


def _read_small(z: zipfile.ZipFile, member: str) -> bytes:
    info = z.getinfo(member)
    if info.file_size > SMALL:
        raise SheetnetError(f"part {member} holds {info.file_size:,} bytes (at most {SMALL:,} expected)")
    return z.read(info)


def _scan_small(data: bytes, member: str, wanted) -> list:
    return _scan(io.BytesIO(data), member, wanted)


# -- editing parts as they stream through ------------------------------------------------------

def _append(e: _Element, children) -> tuple:
    """The edit that adds children (bytes, or a function returning an iterable of bytes) as the
    last children of e. An edit (start, end, write) replaces bytes start..end with what
    write(those bytes) yields."""
    write = children if callable(children) else (lambda: [children])
    if e.children:
        return e.end, e.end, lambda _: write()
    # No children: e is <x></x>, whose end offset is its end tag's, or <x/>, to be opened.
    def opened(span: bytes):
        if not span.endswith(b"/>"):
            return [span, *write()]
        return [span[:-2], b">", *write(), b"</", e.qname.encode(), b">"]
    return e.start, e.end, opened


def _insert(at: int, data) -> tuple:
    write = data if callable(data) else (lambda: [data])
    return at, at, lambda _: write()


def _splice(stream, out, edits: list) -> None:
    """Copy a binary stream to out, applying edits (see _append) in order of position."""
    pos = 0
    for start, end, write in sorted(edits, key=lambda e: (e[0], e[1])):
        _copy_bytes(stream, out, start - pos)
        span = stream.read(end - start) if end > start else b""
        for piece in write(span):
            out.write(piece)
        pos = end
    shutil.copyfileobj(stream, out, CHUNK)


def _copy_bytes(stream, out, n: int) -> None:
    while n > 0:
        chunk = stream.read(min(n, CHUNK))
        if not chunk:
            raise SheetnetError("a part ended before its end")
        out.write(chunk)
        n -= len(chunk)


def _edited(data: bytes, edits: list) -> bytes:
    out = io.BytesIO()
    _splice(io.BytesIO(data), out, edits)
    return out.getvalue()


def _renamer(renames: dict, before: bytes = b""):
    """A function that rewrites, in a chunk of XML cut between tags, the values of attributes:
    renames is {attribute name or its ending: {old value: new value}}, values as written;
    before: what must precede the name (e.g. b" " for a short one like s)."""
    passes = []
    for attr, values in renames.items():
        if values:
            # One pass per attribute, starting with a literal, which re finds quickly.
            literal = before + attr + b'="'
            pattern = re.compile(re.escape(literal) + b'([^"]*)"')
            passes.append((literal, pattern, lambda m, v=values, lit=literal: lit + v.get(m.group(1), m.group(1)) + b'"'))

    def rename(data: bytes) -> bytes:
        for literal, pattern, swap in passes:
            if literal in data:
                data = pattern.sub(swap, data)
        return data

    return rename


def _renames(*many: dict) -> dict:
    """Several {attribute: {old: new}} in one."""
    merged = {}
    for renames in many:
        for attr, values in renames.items():
            merged.setdefault(attr, {}).update(values)
    return merged


def _fresh(names: set, taken: set) -> dict:
    """{name: a new name} for each of names that taken has, the new ones in neither."""
    renames = {}
    for name in sorted(names & taken):
        k, new = 1, f"{name}-sheetnet"
        while new in taken or new in names or new in renames.values():
            k += 1
            new = f"{name}-sheetnet{k}"
        renames[name] = new
    return renames


def _values(renames: dict, *attrs: str) -> dict:
    """{attribute: {old: new}} for each attribute, names escaped as attribute values are."""
    values = {escape(old).encode(): escape(new).encode() for old, new in renames.items()}
    return {attr.encode(): values for attr in attrs}


def _replacer(pairs: dict):
    """A function applying the byte replacements pairs (old -> new) to a chunk of XML that
    ends between tags: each old is a tag's start, so no chunk splits one."""
    if not pairs:
        return lambda data: data

    def replace(data: bytes) -> bytes:
        for old, new in pairs.items():
            if old in data:
                data = data.replace(old, new)
        return data

    return replace


# -- copying members ----------------------------------------------------------------------------

def _info(info: zipfile.ZipInfo, name: str | None = None) -> zipfile.ZipInfo:
    """A ZipInfo for writing a member like info (date, attributes, compression), maybe renamed."""
    copy = zipfile.ZipInfo(name or info.filename, info.date_time)
    copy.compress_type = info.compress_type
    # Without a level a member written through a ZipInfo is deflated at zlib's default, 6,
    # several times slower than the level 1 the writers use for the same XML.
    copy._compresslevel = 1  # public as compress_level from Python 3.13 on, this name kept
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    return copy


def _copy(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile, name: str | None = None,
          transform=None) -> None:
    """A member copied, streamed, under its name or another; transform(chunk) edits chunks cut
    between tags."""
    copy = _info(info, name)
    if info.is_dir():
        dst.writestr(copy, b"")
        return
    with src.open(info) as a, dst.open(copy, "w", force_zip64=info.file_size > 1 << 30) as b:
        if transform is None:
            shutil.copyfileobj(a, b, CHUNK)
            return
        for chunk in _between_tags(a):
            b.write(transform(chunk))


def _between_tags(stream, n: int | None = None):
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


# -- .ods ---------------------------------------------------------------------------------------

# The results' package parts, which the new sheets do not take whole (see _ods_package).
_ODS_PACKAGE = {"mimetype", "content.xml", "styles.xml", "meta.xml", "settings.xml", "manifest.rdf",
                "META-INF/manifest.xml"}
_ODS_SKIPPED = ("Thumbnails/", "Configurations2/", "META-INF/")


def _merge_ods(src, res, dst, notes) -> None:
    for z, who in ((src, "the workbook"), (res, "the new sheets' workbook")):
        if "content.xml" not in z.namelist():
            raise SheetnetError(f"{who} has no content.xml")
    res_types = _manifest_types(res)
    parts, folders = _ods_parts(src, res, res_types)
    moved = {old: new for old, new in [*folders.items(), *parts.items()] if old != new}
    hrefs = _values({**moved, **{"./" + old: "./" + new for old, new in moved.items()}}, "href")

    # Where things go: the head (up to the body) is parsed; the tables' end is found in the tail.
    with src.open("content.xml") as stream:
        places = _scan(stream, "content.xml", lambda e: e.depth <= 1,
                       stop=lambda e: e.depth == 2 and e.is_(OFFICE, "spreadsheet"))
    root = places[0]
    with src.open("content.xml") as stream:
        tables_at, _ = _tables_end(stream, root)
    head, found, tables = _results_content(res, notes)
    taken = _style_names(src, "content.xml") | _style_names(src, "styles.xml")
    package, pages = _ods_package(src, res, taken, notes)
    added = {name: name for name in package if name not in src.namelist()}
    styles, renames = _results_styles(head, found, taken, root, pages)
    rename, declare = _renamer(_renames(renames, hrefs)), _replacer(_namespace_pairs(found[0], root))

    edits = [_insert(tables_at, lambda: (declare(rename(chunk)) for chunk in tables()))]
    if styles:
        edits.append(_styles_edit(places, styles))
    for info in src.infolist():
        if info.filename == "content.xml":  # the new sheets' rows: deflated in a thread of its own
            out = Member(dst, _info(info), binary=True)
            try:
                with src.open(info) as stream:
                    _splice(stream, out, edits)
            except BaseException:
                out.abort()
                raise
            out.close()
        elif info.filename == "META-INF/manifest.xml":
            dst.writestr(_info(info), _ods_manifest(_read_small(src, info.filename), parts | added, folders,
                                                    res_types))
        elif info.filename in package:
            dst.writestr(_info(info), package[info.filename])
        else:
            _copy(src, info, dst)
    for old, new in parts.items():
        _copy(res, res.getinfo(old), dst, new)
    for name in added:
        dst.writestr(_info(res.getinfo(name)), package[name])


TAIL = 16 << 20  # what may follow the last table: named ranges, database ranges and the like


def _tables_end(stream, root: _Element):
    """(the offset in content.xml just after its last table, the elements that follow it):
    new tables go there, before the named ranges and the like. Found in the document's tail,
    checked to hold nothing but such elements, so that a long document is not parsed again."""
    table, office = root.prefix_of(TABLE), root.prefix_of(OFFICE)
    if table is None or office is None:
        raise SheetnetError("content.xml does not declare the OpenDocument namespaces in its root element")
    window, size, total = [], 0, 0
    while chunk := stream.read(CHUNK):
        window.append(chunk)
        size, total = size + len(chunk), total + len(chunk)
        if size - len(window[0]) >= TAIL:
            size -= len(window.pop(0))
    tail = b"".join(window)
    ends = [m.end() for m in re.finditer(b"</" + re.escape(table.encode()) + rb"table\s*>", tail)]
    close = tail.rfind(b"</" + office.encode() + b"spreadsheet")
    if not ends or close < ends[-1]:
        raise SheetnetError("cannot find the end of the workbook's last table in content.xml")
    between = tail[ends[-1]:close]
    decls = "".join(f' xmlns:{p}="{escape(u)}"' if p else f' xmlns="{escape(u)}"'
                    for p, u in root.namespaces.items() if p != "xml").encode()
    after = _scan(io.BytesIO(b"<after" + decls + b">" + between + b"</after>"), "content.xml",
                  lambda e: e.depth == 1)
    if any(e.is_(TABLE, "table") for e in after):
        raise SheetnetError("cannot find the end of the workbook's last table in content.xml")
    return total - len(tail) + ends[-1], after


def _styles_edit(places: list, styles: bytes) -> tuple:
    auto = next((e for e in places if e.depth == 1 and e.is_(OFFICE, "automatic-styles")), None)
    if auto is not None:
        return _append(auto, styles)
    body = next((e for e in places if e.depth == 1 and e.is_(OFFICE, "body")), None)
    if body is None:
        raise SheetnetError("content.xml has no office:body")
    name = f"{body.prefix_of(OFFICE)}automatic-styles".encode()
    return _insert(body.start, b"<" + name + b">" + styles + b"</" + name + b">")


def _namespace_pairs(res_root: _Element, src_root: _Element) -> dict:
    """Replacements that declare, on each new table, the results' namespaces that the source's
    root does not declare alike (sheetnet's writers use the usual prefixes, so usually none)."""
    missing = {p: u for p, u in res_root.namespaces.items() if p and p != "xml" and src_root.namespaces.get(p) != u}
    if not missing:
        return {}
    decls = "".join(f' xmlns:{p}="{escape(u)}"' for p, u in sorted(missing.items())).encode()
    return {b"<table:table ": b"<table:table" + decls + b" ", b"<table:table>": b"<table:table" + decls + b">"}


def _manifest_types(z: zipfile.ZipFile) -> dict:
    """{full path: media type} of a package's manifest."""
    if "META-INF/manifest.xml" not in z.namelist():
        return {}
    entries = _scan_small(_read_small(z, "META-INF/manifest.xml"), "META-INF/manifest.xml",
                          lambda e: e.is_(MANIFEST, "file-entry"))
    return {e.attr(MANIFEST, "full-path"): e.attr(MANIFEST, "media-type") for e in entries}


def _ods_parts(src, res, res_types: dict):
    """({results member: its name in the output}, {object folder: its name in the output}) for
    every part of the results the new sheets may use (charts and their replacement images,
    pictures), renamed where the source has the name."""
    taken = {n.rstrip("/") for n in src.namelist()} | {p.rstrip("/") for p in _manifest_types(src)}
    wanted = [n for n in res.namelist() if n not in _ODS_PACKAGE and not n.startswith(_ODS_SKIPPED)]
    folders = {}
    for name in sorted({n.split("/")[0] for n in wanted if "/" in n and n.split("/")[0] + "/" in res_types}):
        # "Chart 1" becomes "Chart 2", "Chart 3", ...; a name without a number gets one.
        stem, number = re.fullmatch(r"(.*?)(\d*)", name).groups()
        new, k = name, int(number or 1)
        while new in taken or f"ObjectReplacements/{new}" in taken:
            k += 1
            new = f"{stem}{k}" if number else f"{name} {k}"
        taken |= {new, f"ObjectReplacements/{new}"}
        folders[name] = new
    parts = {}
    for n in wanted:
        top, _, rest = n.partition("/")
        if top in folders:
            parts[n] = f"{folders[top]}/{rest}"
        elif top == "ObjectReplacements" and rest in folders:
            parts[n] = f"ObjectReplacements/{folders[rest]}"
        else:
            new, k = n, 1
            while new.rstrip("/") in taken:
                k += 1
                stem, dot, ext = n.rpartition(".")
                new = f"{stem}_{k}.{ext}" if dot and "/" not in ext else f"{n}_{k}"
            taken.add(new.rstrip("/"))
            parts[n] = new
    return parts, folders


def _ods_manifest(data: bytes, parts: dict, folders: dict, res_types: dict) -> bytes:
    """The source's manifest with an entry for every new part."""
    root = _scan_small(data, "META-INF/manifest.xml", lambda e: e.depth == 0)[0]
    p = root.prefix_of(MANIFEST) or ""
    names = {**parts, **{f"{old}/": f"{new}/" for old, new in folders.items()}}
    entries = "".join(f'<{p}file-entry {p}full-path="{escape(names[path])}" {p}media-type="{escape(kind or "")}"/>'
                      for path, kind in res_types.items() if path in names)
    return _edited(data, [_append(root, entries.encode())]) if entries else data


def _style_names(z: zipfile.ZipFile, member: str) -> set:
    """Every style name a part defines before its body (automatic and common styles, data
    styles, page layouts)."""
    if member not in z.namelist():
        return set()
    with z.open(member) as stream:
        found = _scan(stream, member, lambda e: e.attr(STYLE, "name") is not None,
                      stop=lambda e: e.depth == 1 and e.is_(OFFICE, "body"))
    return {e.attr(STYLE, "name") for e in found}


def _results_content(res: zipfile.ZipFile, notes: list):
    """(head, found, tables) of the results' content.xml: its bytes before the first table, the
    elements of depth 2 or less there, and a function returning an iterator over the bytes of
    its tables, from the first one's start to the last one's end, in chunks cut between tags."""
    with res.open("content.xml") as stream:
        found = _scan(stream, "content.xml", lambda e: e.depth <= 2 or e.depth == 3 and e.is_(TABLE, "table"),
                      stop=lambda e: e.depth == 3 and e.is_(TABLE, "table"))
    first = found.pop() if found and found[-1].depth == 3 else None
    if first is None or first.start > SMALL:
        raise SheetnetError("the new sheets' content.xml holds no table where one is expected")
    with res.open("content.xml") as stream:
        head = stream.read(first.start)
    with res.open("content.xml") as stream:
        end, after = _tables_end(stream, found[0])
    if any(e.children for e in after):
        notes.append(f"the new sheets' {', '.join(sorted({e.local for e in after}))} are not carried over")

    def tables():
        with res.open("content.xml") as stream:
            _copy_bytes(stream, io.BytesIO(), first.start)
            yield from _between_tags(stream, end - first.start)

    return head, found, tables


def _results_styles(head: bytes, found: list, taken: set, src_root: _Element, pages: dict):
    """(styles, renames): the bytes of the automatic styles in the head of the results'
    content.xml (found: its elements), renamed where the source has the name, and the renames
    (see _renamer) of their uses in the new tables. pages: the renames of the master pages
    they name."""
    auto = next((e for e in found if e.depth == 1 and e.is_(OFFICE, "automatic-styles")), None)
    if auto is None or not auto.children:
        return b"", {}
    children = [e for e in found if e.depth == 2 and auto.start < e.start < auto.end]
    renames = _values(_fresh({e.attr(STYLE, "name") for e in children} - {None}, taken), "style-name", "style:name")
    # Each style carries the namespaces it needs where the source's root lacks them.
    missing = {p: u for p, u in found[0].namespaces.items()
               if p and p != "xml" and src_root.namespaces.get(p) != u}
    decls = "".join(f' xmlns:{p}="{escape(u)}"' for p, u in sorted(missing.items())).encode()
    pieces, pos = [], children[0].start
    for e in children:
        name_end = e.start + 1 + len(e.qname.encode())
        pieces += [head[pos:name_end], decls]
        pos = name_end
    pieces.append(head[pos:auto.end])
    return _renamer(_renames(renames, pages))(b"".join(pieces)), renames


def _ods_package(src, res, taken: set, notes: list):
    """({source member: its new bytes}, replacements renaming master pages) for the parts
    beside content.xml that the new sheets add to: the page styles they print with
    (styles.xml) and their view settings, such as frozen rows (settings.xml)."""
    edited, pages = {}, {}
    if "styles.xml" in res.namelist():
        edited_styles, pages = _ods_page_styles(src, res, taken, notes)
        if edited_styles is not None:
            edited["styles.xml"] = edited_styles
    if "settings.xml" in res.namelist():
        views = _ods_settings(src, res)
        if views is False:
            notes.append("the new sheets open with default view settings (frozen rows and columns, zoom): "
                         "the workbook's view settings have no list of sheets to add theirs to")
        elif views is not None:
            edited["settings.xml"] = views
    return edited, pages


def _ods_page_styles(src, res, taken: set, notes: list):
    """(the source's styles.xml with the results' page layouts and master pages added, or None;
    replacements renaming the master pages whose names the source has)."""
    data = _read_small(res, "styles.xml")
    found = _scan_small(data, "styles.xml", lambda e: e.depth <= 2)
    lists = {e.local: e for e in found if e.depth == 1 and e.uri == OFFICE}
    common = [e for e in found if e.depth == 2 and "styles" in lists and lists["styles"].start < e.start < lists["styles"].end
              and e.attr(STYLE, "name") is not None]
    missing = sorted({e.attr(STYLE, "name") for e in common} - taken)
    if missing:
        notes.append(f"the new sheets' named styles ({', '.join(missing)}) are not in the workbook's own "
                     "styles, so their cells show its default style")
    wanted = {name: [e for e in found if e.depth == 2 and name in lists and lists[name].start < e.start < lists[name].end]
              for name in ("automatic-styles", "master-styles")}
    if not any(wanted.values()):
        return None, {}
    if "styles.xml" not in src.namelist():  # a workbook without styles gets the new sheets' own
        return data, {}
    names = {e.attr(STYLE, "name") for items in wanted.values() for e in items} - {None}
    renames = _values(_fresh(names, taken), "style:name", "page-layout-name", "master-page-name", "next-style-name")
    src_data = _read_small(src, "styles.xml")
    src_found = _scan_small(src_data, "styles.xml", lambda e: e.depth <= 1)
    src_lists = {e.local: e for e in src_found if e.depth == 1 and e.uri == OFFICE}
    edits = []
    for name, items in wanted.items():
        if not items:
            continue
        if name not in src_lists:
            notes.append("the new sheets print with the workbook's page styles: it has no office:" + name)
            continue
        body = b"".join(data[e.start:_element_end(data, e)] for e in items)
        edits.append(_append(src_lists[name], _renamer(renames)(body)))
    return (_edited(src_data, edits) if edits else None), {b"master-page-name": renames.get(b"master-page-name", {})}


def _ods_settings(src, res):
    """The source's settings.xml with the results' per-sheet view settings added; None when the
    results have none, False when the source has nowhere to put them."""
    data = _read_small(res, "settings.xml")
    maps = _scan_small(data, "settings.xml", lambda e: e.is_(CONFIG, "config-item-map-named")
                       and e.attr(CONFIG, "name") == "Tables")
    if not maps or not maps[0].children:
        return None
    if "settings.xml" not in src.namelist():  # a workbook without settings gets the new sheets' own
        return data
    src_data = _read_small(src, "settings.xml")
    src_maps = _scan_small(src_data, "settings.xml", lambda e: e.is_(CONFIG, "config-item-map-named")
                           and e.attr(CONFIG, "name") == "Tables")
    if not src_maps or src_maps[0].prefix_of(CONFIG) != maps[0].prefix_of(CONFIG):
        return False
    entries = _scan_small(data, "settings.xml", lambda e: e.depth == maps[0].depth + 1
                          and maps[0].start < e.start < maps[0].end)
    body = b"".join(data[e.start:_element_end(data, e)] for e in entries)
    return _edited(src_data, [_append(src_maps[0], body)])


# -- .xlsx --------------------------------------------------------------------------------------

_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_TYPES = "[Content_Types].xml"
_STYLES = "xl/styles.xml"


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(z: zipfile.ZipFile, member: str) -> list:
    """The Relationship elements of a .rels part (none when it is absent)."""
    if member not in z.namelist():
        return []
    return _scan_small(_read_small(z, member), member, lambda e: e.is_(PKG_REL, "Relationship"))


def _target(part: str, rel: _Element) -> str | None:
    """The member a relationship of part points at; None for an external one."""
    if rel.attrs.get("TargetMode") == "External":
        return None
    target = rel.attrs.get("Target", "")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def _merge_xlsx(src, res, dst, notes) -> None:
    for z, who in ((src, "the workbook"), (res, "the new sheets' workbook")):
        if _WORKBOOK not in z.namelist():
            raise SheetnetError(f"{who} has no {_WORKBOOK}")
    src_names = set(src.namelist())
    listed = _scan_small(_read_small(res, _WORKBOOK), _WORKBOOK, lambda e: e.uri == MAIN and e.local in (
        "sheet", "definedName"))
    res_sheets = [e for e in listed if e.local == "sheet"]
    if len(res_sheets) < len(listed):
        notes.append("the new sheets' named ranges are not carried over")
    res_rels = {r.attrs.get("Id"): r for r in _relationships(res, _WORKBOOK_RELS)}

    # Every results part the new sheets reach, under a name the source does not use.
    names, queue = {}, []
    for sheet in res_sheets:
        rel = res_rels.get(sheet.attr(REL, "id"))
        if rel is None or _target(_WORKBOOK, rel) not in res.namelist():
            raise SheetnetError(f"the new sheets' workbook has no part for sheet {sheet.attrs.get('name')!r}")
        queue.append(_target(_WORKBOOK, rel))
    taken = {n.casefold() for n in src_names}  # part names compare case-insensitively
    while queue:
        part = queue.pop(0)
        if part in names or part not in res.namelist():
            continue
        names[part] = _free_part(part, taken)
        taken.add(names[part].casefold())
        for rel in _relationships(res, _rels_of(part)):
            if (target := _target(part, rel)) is not None:
                queue.append(target)

    styles_remap, styles_xml = _merge_xlsx_styles(src, res, notes)
    restyle, unselect = _renamer(styles_remap, b" "), _replacer({b' tabSelected="1"': b""})
    if "xl/sharedStrings.xml" in res.namelist():
        raise SheetnetError("the new sheets use shared strings, which sheetnet does not merge")

    types = _types_edit(src, res, names)
    workbook, workbook_rels = _workbook_edits(src, res_sheets, res_rels, names)
    for info in src.infolist():
        if info.filename == _TYPES:
            dst.writestr(_info(info), types)
        elif info.filename == _WORKBOOK:
            dst.writestr(_info(info), workbook)
        elif info.filename == _WORKBOOK_RELS:
            dst.writestr(_info(info), workbook_rels)
        elif info.filename == _STYLES and styles_xml is not None:
            dst.writestr(_info(info), styles_xml)
        else:
            _copy(src, info, dst)
    sheets = {_target(_WORKBOOK, res_rels[s.attr(REL, "id")]) for s in res_sheets}
    for old, new in names.items():
        info = res.getinfo(old)
        if old in sheets:
            # One selected tab (the source's): two would open grouped in Excel.
            _copy(res, info, dst, new, lambda chunk: unselect(restyle(chunk)))
        else:
            _copy(res, info, dst, new)
        if _rels_of(old) in res.namelist():
            dst.writestr(_info(res.getinfo(_rels_of(old)), _rels_of(new)), _moved_rels(res, old, new, names))


def _free_part(part: str, taken: set) -> str:
    """part, or the same name with its number raised until free: xl/charts/chart1.xml -> chart3.xml.
    taken: the names in use, casefolded."""
    if part.casefold() not in taken:
        return part
    folder, name = posixpath.split(part)
    m = re.fullmatch(r"(.*?)(\d*)(\.[^.]*)?", name)
    stem, number, ext = m.group(1), int(m.group(2) or 1), m.group(3) or ""
    while (candidate := posixpath.join(folder, f"{stem}{number}{ext}")).casefold() in taken:
        number += 1
    return candidate


def _moved_rels(res, old: str, new: str, names: dict) -> bytes:
    """The .rels of a part moved from old to new, its targets following the parts they name."""
    rels = []
    for rel in _relationships(res, _rels_of(old)):
        attrs = dict(rel.attrs)
        target = _target(old, rel)
        if target is not None:
            moved = names.get(target, target)
            attrs["Target"] = posixpath.relpath(moved, posixpath.dirname(new))
        attrs = {k: v for k, v in attrs.items() if not k.startswith("xmlns")}
        rels.append("<Relationship " + " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items()) + "/>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>').encode()


def _types_edit(src, res, names: dict) -> bytes:
    """The source's [Content_Types].xml, also listing every new part."""
    data = _read_small(src, _TYPES)
    found = _scan_small(data, _TYPES, lambda e: e.depth <= 1)
    root = found[0]
    defaults = {e.attrs.get("Extension", "").lower() for e in found if e.is_(CONTENT_TYPES, "Default")}
    res_found = _scan_small(_read_small(res, _TYPES), _TYPES, lambda e: e.depth == 1)
    res_defaults = {e.attrs.get("Extension", "").lower(): e.attrs.get("ContentType")
                    for e in res_found if e.is_(CONTENT_TYPES, "Default")}
    res_overrides = {e.attrs.get("PartName", "").lstrip("/"): e.attrs.get("ContentType")
                     for e in res_found if e.is_(CONTENT_TYPES, "Override")}
    p = root.prefix_of(CONTENT_TYPES) or ""
    added = []
    for old, new in names.items():
        ext = posixpath.splitext(new)[1].lstrip(".").lower()
        if old in res_overrides:
            added.append(f'<{p}Override PartName="/{escape(new)}" ContentType="{escape(res_overrides[old])}"/>')
        elif ext not in defaults and ext in res_defaults:
            added.append(f'<{p}Default Extension="{escape(ext)}" ContentType="{escape(res_defaults[ext])}"/>')
            defaults.add(ext)
    return _edited(data, [_append(root, "".join(added).encode())]) if added else data


def _workbook_edits(src, res_sheets: list, res_rels: dict, names: dict):
    """The source's workbook.xml and its .rels, listing the new sheets after its own."""
    data = _read_small(src, _WORKBOOK)
    found = _scan_small(data, _WORKBOOK, lambda e: e.is_(MAIN, "sheets") or e.is_(MAIN, "sheet"))
    sheets_el = next((e for e in found if e.is_(MAIN, "sheets")), None)
    if sheets_el is None:
        raise SheetnetError(f"{_WORKBOOK} lists no sheets")
    own = [e for e in found if e.is_(MAIN, "sheet")]
    taken_names = {(e.attrs.get("name") or "").casefold() for e in own}
    next_id = max((int(e.attrs.get("sheetId", "0")) for e in own if e.attrs.get("sheetId", "").isdigit()),
                  default=0) + 1
    rels_data = _read_small(src, _WORKBOOK_RELS) if _WORKBOOK_RELS in src.namelist() else None
    rels = _scan_small(rels_data, _WORKBOOK_RELS, lambda e: e.depth <= 1) if rels_data else []
    ids = {e.attrs.get("Id") for e in rels}
    p = sheets_el.prefix_of(MAIN) or ""
    r = sheets_el.prefix_of(REL)
    declare = "" if r is not None else f' xmlns:r="{REL}"'
    r = r if r is not None else "r:"
    sheet_xml, rel_xml, k = [], [], 1
    for sheet in res_sheets:
        name = sheet.attrs.get("name", "")
        if name.casefold() in taken_names:
            raise SheetnetError(f"the workbook already has a sheet named {name!r}")
        while f"rId{k}" in ids:
            k += 1
        ids.add(f"rId{k}")
        rel = res_rels[sheet.attr(REL, "id")]
        target = names[_target(_WORKBOOK, rel)]
        sheet_xml.append(f'<{p}sheet{declare} name="{escape(name)}" sheetId="{next_id}" {r}id="rId{k}"/>')
        rel_xml.append(f'<Relationship Id="rId{k}" Type="{escape(rel.attrs.get("Type", ""))}" '
                       f'Target="{escape(posixpath.relpath(target, "xl"))}"/>')
        next_id += 1
    workbook = _edited(data, [_append(sheets_el, "".join(sheet_xml).encode())])
    if rels_data is None:
        raise SheetnetError(f"the workbook has no {_WORKBOOK_RELS}")
    rp = rels[0].prefix_of(PKG_REL) or ""
    rel_xml = [x.replace("<Relationship ", f"<{rp}Relationship ") for x in rel_xml]
    return workbook, _edited(rels_data, [_append(rels[0], "".join(rel_xml).encode())])


# Cell formats live in xl/styles.xml as lists that cells index (s="3"): the results' lists are
# appended to the source's, and the new sheets' indices shifted by the source's lengths.
_STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs")
_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                "tableStyles", "colors", "extLst")


def _merge_xlsx_styles(src, res, notes):
    """(the renames (see _renamer) of the new sheets' s="k", style="k" and dxfId="k", the source's
    styles.xml with the results' cell formats appended, or None when the new sheets use only the
    default format)."""
    if _STYLES not in res.namelist():
        return {}, None
    res_data = _read_small(res, _STYLES)
    res_found = _scan_small(res_data, _STYLES, lambda e: e.depth <= 2)
    res_lists = {e.local: e for e in res_found if e.depth == 1 and e.uri == MAIN}
    xfs = [e for e in res_found if e.depth == 2 and res_lists.get("cellXfs") and
           res_lists["cellXfs"].start < e.start < res_lists["cellXfs"].end]
    dxfs = res_lists.get("dxfs")
    if len(xfs) <= 1 and not (dxfs and dxfs.children):
        return {}, None
    if _STYLES not in src.namelist():
        notes.append("the new sheets' cell formats are left out: the workbook has no styles part")
        return {}, None
    data = _read_small(src, _STYLES)
    found = _scan_small(data, _STYLES, lambda e: e.depth <= 2)
    root, lists = found[0], {e.local: e for e in found if e.depth == 1 and e.uri == MAIN}
    counts = {name: (lists[name].children if name in lists else 0) for name in _STYLE_LISTS}
    fmt_ids = {int(e.attrs["numFmtId"]) for e in found if e.local == "numFmt" and e.attrs.get("numFmtId", "").isdigit()}
    edits, remap, fmt_map = [], {}, {}
    for name in ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs"):
        if name not in res_lists or not res_lists[name].children:
            continue
        items = [e for e in res_found if e.depth == 2 and res_lists[name].start < e.start < res_lists[name].end]
        if name == "cellXfs":
            items = items[1:]  # the default format stays the source's own
        if not items:
            continue
        pieces = []
        for e in items:
            piece = res_data[e.start:_element_end(res_data, e)]
            if name == "numFmts":
                old = int(e.attrs.get("numFmtId", "0"))
                new = max(fmt_ids | {163}) + 1
                fmt_ids.add(new)
                fmt_map[old] = new
                piece = piece.replace(f'numFmtId="{old}"'.encode(), f'numFmtId="{new}"'.encode(), 1)
            elif name == "cellXfs":
                piece = _shift_xf(piece, counts, fmt_map)
            pieces.append(piece)
        if root.prefix_of(MAIN) != "":  # the results' elements are in the default namespace; keep them there
            pieces = [re.sub(rb"^(<[\w.-]+)", lambda m: m.group(1) + f' xmlns="{MAIN}"'.encode(), x) for x in pieces]
        if name in lists:
            edits.append(_append(lists[name], b"".join(pieces)))
        else:  # a list the source lacks: a new one, where the schema puts it
            tag = f"{root.prefix_of(MAIN) or ''}{name}"
            element = f'<{tag} count="{len(pieces)}">'.encode() + b"".join(pieces) + f"</{tag}>".encode()
            later = [lists[n] for n in _STYLE_ORDER[_STYLE_ORDER.index(name) + 1:] if n in lists]
            edits.append(_insert(min(e.start for e in later), element) if later else _append(root, element))
    if "cellXfs" in res_lists:  # the results' format k sits at k - 1 after the source's own
        shifted = {str(k): str(k - 1 + counts["cellXfs"]) for k in range(1, res_lists["cellXfs"].children)}
        remap |= _values(shifted, "s", "style")
    if dxfs and dxfs.children:
        remap |= _values({str(k): str(k + counts["dxfs"]) for k in range(dxfs.children)}, "dxfId")
    # Counts are hints to readers; keep them right.
    edited = _edited(data, edits)
    for name in _STYLE_LISTS:
        if name in lists and name in res_lists:
            added = res_lists[name].children - (1 if name == "cellXfs" else 0)
            edited = re.sub(rf'(<(?:\w+:)?{name}\b[^>]*?\bcount=")(\d+)"'.encode(),
                            lambda m, a=added: m.group(1) + str(int(m.group(2)) + a).encode() + b'"', edited, count=1)
    return remap, edited


def _element_end(data: bytes, e: _Element) -> int:
    """The offset just after element e in data."""
    if e.children or data[e.end - 2:e.end] != b"/>":  # not <x/>: e.end is its end tag's offset
        return data.index(b">", e.end) + 1
    return e.end


def _shift_xf(piece: bytes, counts: dict, fmt_map: dict) -> bytes:
    """A results <xf> pointing at the results' fonts, fills, borders and number formats where
    they now sit in the source's lists, and at the source's base cell style."""
    def shift(m):
        attr, value = m.group(1).decode(), int(m.group(2))
        if attr == "numFmtId":
            value = fmt_map.get(value, value)
        elif attr == "xfId":
            value = 0
        else:
            value += counts[{"fontId": "fonts", "fillId": "fills", "borderId": "borders"}[attr]]
        return f'{attr}="{value}"'.encode()

    return re.sub(rb'\b(fontId|fillId|borderId|numFmtId|xfId)="(\d+)"', shift, piece)
