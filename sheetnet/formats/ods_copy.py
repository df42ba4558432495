"""The new sheets of an .ods workbook written straight into a copy of another (see merge.py).

content.xml gets the new tables after the source's last table, and their automatic styles
(renamed where the source uses the name) after the source's; styles.xml their page styles and
settings.xml their view settings; META-INF/manifest.xml lists the new parts (charts; renamed
where the source uses the name). Everything else is copied as it is.

The writer (ods.Writer) writes into a :class:`Copy` as it would into a package of its own: its
small parts whole, its tables as they stream, so that the rows are deflated once, into the copy.
"""

from __future__ import annotations

import re
import shutil
import zipfile

from ..errors import SheetnetError
from . import errors_of
from ._deflate import Member
from ._package import (
    CHUNK,
    Element,
    append,
    copy_member,
    edited,
    element_end,
    free,
    fresh,
    insert,
    read_small,
    renamer,
    scan,
    skip,
    splice,
    values,
    zipinfo,
)
from ._xml import escape
from ._zip import Zip, open_zip

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
_MANIFEST = "META-INF/manifest.xml"
# The parts that list what the new sheets add, known only once they are written: written after
# content.xml even where the source has them before it.
_LATE = ("settings.xml", _MANIFEST)
TAIL = 16 << 20  # what may follow the last table: named ranges, database ranges and the like


class Copy:
    """A copy of the .ods workbook at source, written to the binary file out, with the sheets a
    writer adds; notes gets what of them the copy could not take. The writer gives its small
    parts (part), its content (content: the head as a whole, then a sink for the tables) and the
    names of its chart objects as it makes them (objects); close() (or abort()) ends it."""

    def __init__(self, source, out, notes: list):
        self.source, self.notes, self.parts, self.late = source, notes, {}, []
        self.renames, self.rename = {}, None  # of style names, and the function renaming them and objects
        with self._its():
            self._open(out)
        self.members = iter(self.src.infolist())
        self.folders = {}  # a new chart object's folder -> its name in the copy
        self.replaced = {}  # the source's parts that the copy holds edited: name -> bytes

    def _its(self):
        """Where what goes wrong is the source's: its parts, broken or not well-formed, are named
        as its own (the writer's parts are well-formed); an OSError is the copy's, a full disk."""
        return errors_of(self.source, ".ods", reading=False)

    def _open(self, out) -> None:
        self.src = open_zip(self.source)
        try:
            if "content.xml" not in self.src.namelist():
                raise SheetnetError("the workbook has no content.xml")
            # The names the new parts must not take: the source's members and manifest entries.
            self.taken = {n.rstrip("/") for n in [*self.src.namelist(), *_manifest_types(self._small(_MANIFEST))]}
            self.taken |= {n.removeprefix("ObjectReplacements/") for n in self.taken}
            self.dst = Zip(out, "w", compression=zipfile.ZIP_DEFLATED)  # last: nothing after it can fail
        except BaseException:
            self.src.close()
            raise

    def _small(self, name: str) -> bytes | None:
        return read_small(self.src, name) if name in self.src.namelist() else None

    def part(self, name: str, data: str) -> None:
        """A part of the new sheets' package, kept for close() (styles.xml for content())."""
        self.parts[name] = data.encode()

    def objects(self, names: list) -> None:
        """The new sheets' chart objects (folders), each given a name the source does not use."""
        for name in names:
            self.folders[name] = free(name, self.taken)
            self.taken.add(self.folders[name])
        hrefs = {dot + o: dot + n for o, n in self.folders.items() for dot in ("", "./")}
        self.rename = renamer({**self.renames, **values(hrefs, "href")})

    def content(self, head: str, tail: str):
        """The sink for the new tables, given the head of the new sheets' content.xml (up to the
        first table) and its tail (after the last): the source's parts up to its content.xml are
        copied, and its content.xml up to the end of its last table, the new styles spliced in."""
        with self._its():
            return self._content(head, tail)

    def _content(self, head: str, tail: str):
        src = self.src
        with src.open("content.xml") as stream:
            places = scan(stream, "content.xml", lambda e: e.depth <= 1 or e.attr(STYLE, "name") is not None,
                          stop=lambda e: e.depth == 2 and e.is_(OFFICE, "spreadsheet"))
        tables_at = _tables_end(src, places[0])
        taken = {e.attr(STYLE, "name") for e in places} - {None}
        src_styles = self._small("styles.xml")
        if src_styles is not None:
            taken |= {e.attr(STYLE, "name")
                      for e in scan(src_styles, "styles.xml", lambda e: e.attr(STYLE, "name") is not None)}
        styles_xml, pages = _page_styles(src_styles, self.parts.get("styles.xml"), taken, self.notes)
        if styles_xml is not None:
            self.replaced["styles.xml"] = styles_xml
        whole = (head + tail).encode()
        found = scan(whole, "content.xml", lambda e: e.depth <= 2)
        styles, self.renames = _results_styles(whole, found, taken, places[0], pages)
        declare = _declarer(_missing(found[0], places[0]))
        self.objects([])
        rename = lambda data: declare(self.rename(data))  # noqa: E731 - self.rename grows with the objects
        for info in self.members:
            if info.filename == "content.xml":
                break
            self._copy(info)
        out = Member(self.dst, zipinfo(info))  # text, which the writer writes, and the source's bytes
        stream = src.open(info)
        try:
            splice(stream, _Bytes(out), [_styles_edit(places, styles)] if styles else [], until=tables_at)
        except BaseException:
            stream.close()
            out.abort()
            raise
        return _Tables(out, stream, rename, self._its)

    def _copy(self, info: zipfile.ZipInfo, late: bool = False) -> None:
        """A source part into the copy, as it is or as edited; one listing new parts only once
        late (before, it waits for close())."""
        if info.filename in _LATE and not late:
            self.late.append(info)
        elif info.filename in self.replaced:
            self.dst.writestr(zipinfo(info), self.replaced[info.filename])
        else:
            copy_member(self.src, info, self.dst)

    def close(self) -> None:
        """The rest of the source's parts, those listing new parts edited, then the new parts."""
        try:
            with self._its():
                self._finish()
        finally:
            self.abort()

    def _finish(self) -> None:
        settings = _settings(self._small("settings.xml"), self.parts.get("settings.xml"), self.notes)
        if settings is not None:
            self.replaced["settings.xml"] = settings
        added = {name: name for name in self.replaced if name not in self.src.namelist()}
        new_parts = {f"{o}/": f"{n}/" for o, n in self.folders.items()}
        new_parts |= {f"{o}/content.xml": f"{n}/content.xml" for o, n in self.folders.items()}
        if _MANIFEST in self.src.namelist():
            self.replaced[_MANIFEST] = _manifest(self._small(_MANIFEST), new_parts | added,
                                                 _manifest_types(self.parts.get(_MANIFEST)))
        for info in [*self.late, *self.members]:  # those held back first, nearest their place
            self._copy(info, late=True)
        for old, new in new_parts.items():
            if old in self.parts:
                self.dst.writestr(new, self.parts[old])
        for name in added:
            self.dst.writestr(name, self.replaced[name])

    def abort(self) -> None:
        """Close both packages (the copy complete, or given up)."""
        try:
            self.dst.close()
        finally:
            self.src.close()


class _Bytes:
    """A text member as a binary file, for the source's XML spliced in."""

    def __init__(self, out: Member):
        self.write = out.write_bytes


class _Tables:
    """Where the new tables go: text written as it is (rows), or through rename (text that may
    name styles or chart objects: a sheet's start, its captions); closing copies the source's
    content.xml on from the end of its last table."""

    def __init__(self, out: Member, stream, rename, its):
        self.out, self.stream, self.rename, self.its = out, stream, rename, its

    def write(self, text: str) -> None:
        self.out.write(text)

    def named(self, text: str) -> None:
        self.out.write(self.rename(text.encode()).decode())

    def close(self) -> None:
        try:
            with self.its():
                shutil.copyfileobj(self.stream, _Bytes(self.out), CHUNK)
        except BaseException:
            self.abort()
            raise
        self.stream.close()
        self.out.close()

    def abort(self) -> None:
        self.stream.close()
        self.out.abort()


def _tables_end(z: zipfile.ZipFile, root: Element) -> int:
    """The offset in content.xml just after its last table: new tables go there, before the
    named ranges and the like. Found in the document's tail, checked to hold nothing but such
    elements after it, so that a long document is not parsed again."""
    table, office = root.prefix_of(TABLE), root.prefix_of(OFFICE)
    if table is None or office is None:
        raise SheetnetError("content.xml does not declare the OpenDocument namespaces in its root element")
    with z.open("content.xml") as stream:
        at = skip(stream, z.getinfo("content.xml").file_size - TAIL)
        tail = stream.read()
    ends = [m.end() for m in re.finditer(b"</" + re.escape(table.encode()) + rb"table\s*>", tail)]
    close = tail.rfind(b"</" + office.encode() + b"spreadsheet")
    for end in reversed([end for end in ends if end <= close]):
        after = tail[end:close]
        # An end tag spelled in a comment, CDATA or processing instruction ends no table: then
        # what follows it closes that before opening any.
        if any(0 <= after.find(closer) < (after + opener).find(opener)
               for opener, closer in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))):
            continue
        if not scan(b"<after" + _declarations(root.namespaces) + b">" + after + b"</after>", "content.xml",
                    lambda e: e.depth == 1 and e.is_(TABLE, "table")):
            return at + end
        break
    raise SheetnetError("cannot find the end of the workbook's last table in content.xml")


def _declarations(namespaces: dict) -> bytes:
    return "".join(f' xmlns:{p}="{escape(u)}"' if p else f' xmlns="{escape(u)}"'
                   for p, u in sorted(namespaces.items()) if p != "xml").encode()


def _missing(res_root: Element, src_root: Element) -> dict:
    """The results' prefixed namespaces that the source's root does not declare alike (sheetnet's
    writers use the usual prefixes, so usually none): each new table and style declares them."""
    return {p: u for p, u in res_root.namespaces.items() if p and p != "xml" and src_root.namespaces.get(p) != u}


def _declarer(missing: dict):
    """A function declaring the missing namespaces on each new table in a chunk of them."""
    decls = _declarations(missing)
    if not decls:
        return lambda data: data
    return lambda data: data.replace(b"<table:table ", b"<table:table" + decls + b" ").replace(
        b"<table:table>", b"<table:table" + decls + b">")


def _styles_edit(places: list, styles: bytes) -> tuple:
    auto = next((e for e in places if e.depth == 1 and e.is_(OFFICE, "automatic-styles")), None)
    if auto is not None:
        return append(auto, styles)
    body = next((e for e in places if e.depth == 1 and e.is_(OFFICE, "body")), None)
    if body is None:
        raise SheetnetError("content.xml has no office:body")
    name = f"{body.prefix_of(OFFICE)}automatic-styles".encode()
    return insert(body.start, b"<" + name + b">" + styles + b"</" + name + b">")


def _manifest_types(data: bytes | None) -> dict:
    """{full path: media type} of a package's manifest (None: a package without one)."""
    if data is None:
        return {}
    entries = scan(data, _MANIFEST, lambda e: e.is_(MANIFEST, "file-entry"))
    return {e.attr(MANIFEST, "full-path"): e.attr(MANIFEST, "media-type") for e in entries}


def _manifest(data: bytes, parts: dict, res_types: dict) -> bytes:
    """The source's manifest with an entry for every new part."""
    root = scan(data, _MANIFEST, lambda e: e.depth == 0)[0]
    p = root.prefix_of(MANIFEST, "")
    entries = "".join(f'<{p}file-entry {p}full-path="{escape(parts[path])}" {p}media-type="{escape(kind or "")}"/>'
                      for path, kind in res_types.items() if path in parts)
    return edited(data, [append(root, entries.encode())]) if entries else data


def _results_styles(head: bytes, found: list, taken: set, src_root: Element, pages: dict):
    """(styles, renames): the bytes of the automatic styles in the head of the results'
    content.xml (found: its elements), renamed where the source has the name, and the renames
    (see _package.renamer) of their uses in the new tables. pages: the renames of the master
    pages they name."""
    auto = next((e for e in found if e.depth == 1 and e.is_(OFFICE, "automatic-styles")), None)
    if auto is None or not auto.children:
        return b"", {}
    children = auto.within(found)
    renames = values(fresh({e.attr(STYLE, "name") for e in children} - {None}, taken), "style-name", "style:name")
    # Each style declares the namespaces it needs where the source's root lacks them.
    decls = _declarations(_missing(found[0], src_root))
    pieces, pos = [], children[0].start
    for e in children:
        name_end = e.start + 1 + len(e.qname.encode())
        pieces += [head[pos:name_end], decls]
        pos = name_end
    pieces.append(head[pos:auto.end])
    return renamer({**renames, **pages})(b"".join(pieces)), renames


def _page_styles(src_data: bytes | None, data: bytes | None, taken: set, notes: list):
    """(the source's styles.xml (src_data) with the page layouts and master pages of the new
    sheets' (data) added, the new sheets' own where the source has none, or None; the renames of
    the master pages whose names the source has)."""
    if data is None:
        return None, {}
    found = scan(data, "styles.xml", lambda e: e.depth <= 2)
    wanted = {e.local: e.within(found) for e in found
              if e.depth == 1 and e.uri == OFFICE and e.local in ("automatic-styles", "master-styles")}
    if not any(wanted.values()):
        return None, {}
    if src_data is None:
        return data, {}
    names = {e.attr(STYLE, "name") for items in wanted.values() for e in items} - {None}
    renames = values(fresh(names, taken), "style:name", "page-layout-name", "master-page-name", "next-style-name")
    src_lists = {e.local: e for e in scan(src_data, "styles.xml", lambda e: e.depth == 1) if e.uri == OFFICE}
    edits = []
    for name, items in wanted.items():
        if items and name not in src_lists:
            notes.append("the new sheets print with the workbook's page styles: it has no office:" + name)
        elif items:
            edits.append(append(src_lists[name], renamer(renames)(_whole(data, items))))
    return (edited(src_data, edits) if edits else None), {b"master-page-name": renames.get(b"master-page-name", {})}


def _whole(data: bytes, elements: list) -> bytes:
    """The bytes of elements of data, each whole, one after the other."""
    return b"".join(data[e.start:element_end(data, e)] for e in elements)


def _tables_map(data: bytes) -> Element | None:
    """The config map of settings.xml that holds each sheet's view settings."""
    maps = scan(data, "settings.xml", lambda e: e.is_(CONFIG, "config-item-map-named") and e.attr(CONFIG, "name") == "Tables")
    return maps[0] if maps else None


def _settings(src_data: bytes | None, data: bytes | None, notes: list) -> bytes | None:
    """The source's settings.xml (src_data) with the per-sheet view settings of the new sheets'
    (data) added, the new sheets' own where the source has none, or None."""
    if data is None:
        return None
    tables = _tables_map(data)
    if tables is None or not tables.children:
        return None
    if src_data is None:
        return data
    src_tables = _tables_map(src_data)
    if src_tables is None or src_tables.prefix_of(CONFIG) != tables.prefix_of(CONFIG):
        notes.append("the new sheets open with default view settings (frozen rows and columns, zoom): "
                     "the workbook's view settings have no list of sheets to add theirs to")
        return None
    entries = tables.within(scan(data, "settings.xml", lambda e: e.depth == tables.depth + 1))
    return edited(src_data, [append(src_tables, _whole(data, entries))])
