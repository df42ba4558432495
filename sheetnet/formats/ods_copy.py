"""The new sheets of an .ods workbook added to a copy of another (see merge.py).

content.xml gets the new tables after the source's last table, and their automatic styles
(renamed where the source uses the name) after the source's; styles.xml their page styles and
settings.xml their view settings; META-INF/manifest.xml lists the new parts (charts; renamed
where the source uses the name). Everything else is copied as it is.
"""

from __future__ import annotations

import re
import zipfile

from ..errors import SheetnetError
from ._deflate import Member
from ._package import (
    SMALL,
    Element,
    append,
    between_tags,
    copy_member,
    copy_package,
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

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
_MANIFEST = "META-INF/manifest.xml"

# The results' package parts, which the new sheets do not take whole (see _new_parts).
_PACKAGE = {"mimetype", "content.xml", "styles.xml", "meta.xml", "settings.xml", "manifest.rdf", _MANIFEST}
_SKIPPED = ("Thumbnails/", "Configurations2/", "META-INF/")
TAIL = 16 << 20  # what may follow the last table: named ranges, database ranges and the like


def merge(src: zipfile.ZipFile, res: zipfile.ZipFile, dst: zipfile.ZipFile, notes: list) -> None:
    """Write to dst the workbook src with the sheets of the workbook res added."""
    for z, who in ((src, "the workbook"), (res, "the new sheets' workbook")):
        if "content.xml" not in z.namelist():
            raise SheetnetError(f"{who} has no content.xml")
    res_types = _manifest_types(res)
    parts = _new_parts(src, res, res_types)
    hrefs = values({dot + o.rstrip("/"): dot + n.rstrip("/") for o, n in parts.items() for dot in ("", "./")}, "href")
    # Where things go: the head (up to the body) is parsed; the tables' end is found in the tail.
    with src.open("content.xml") as stream:
        places = scan(stream, "content.xml", lambda e: e.depth <= 1 or e.attr(STYLE, "name") is not None,
                      stop=lambda e: e.depth == 2 and e.is_(OFFICE, "spreadsheet"))
    tables_at = _tables_end(src, places[0])
    taken = {e.attr(STYLE, "name") for e in places} - {None}
    if "styles.xml" in src.namelist():
        taken |= {e.attr(STYLE, "name") for e in scan(read_small(src, "styles.xml"), "styles.xml",
                                                       lambda e: e.attr(STYLE, "name") is not None)}
    head, found, tables = _results_content(res)
    styles_xml, pages = _page_styles(src, res, taken, notes)
    package = {name: new for name, new in (("styles.xml", styles_xml), ("settings.xml", _settings(src, res, notes)))
               if new is not None}
    styles, renames = _results_styles(head, found, taken, places[0], pages)
    rename, declare = renamer({**renames, **hrefs}), _declarer(_missing(found[0], places[0]))
    edits = [insert(tables_at, (declare(rename(chunk)) for chunk in tables()))]
    if styles:
        edits.append(_styles_edit(places, styles))

    def content(dst, info):  # the new sheets' rows: deflated in a thread of its own
        out = Member(dst, zipinfo(info), binary=True)
        try:
            with src.open(info) as stream:
                splice(stream, out, edits)
        except BaseException:
            out.abort()
            raise
        out.close()

    added = {name: name for name in package if name not in src.namelist()}
    if _MANIFEST in src.namelist():
        package[_MANIFEST] = _manifest(read_small(src, _MANIFEST), parts | added, res_types)
    copy_package(src, dst, {**package, "content.xml": content})
    for old, new in parts.items():
        if old in res.namelist():
            copy_member(res, res.getinfo(old), dst, new)
    for name in added:
        dst.writestr(zipinfo(res.getinfo(name)), package[name])


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


def _manifest_types(z: zipfile.ZipFile) -> dict:
    """{full path: media type} of a package's manifest."""
    if _MANIFEST not in z.namelist():
        return {}
    entries = scan(read_small(z, _MANIFEST), _MANIFEST, lambda e: e.is_(MANIFEST, "file-entry"))
    return {e.attr(MANIFEST, "full-path"): e.attr(MANIFEST, "media-type") for e in entries}


def _new_parts(src, res, res_types: dict) -> dict:
    """{results member or object folder ('Chart 1/'): its name in the output} for every part the
    new sheets use beside the package's own (their charts), an object folder renamed where the
    source has the name, or has it for an object's replacement image."""
    taken = {n.rstrip("/") for n in [*src.namelist(), *_manifest_types(src)]}
    taken |= {n.removeprefix("ObjectReplacements/") for n in taken}
    folders = {}
    for top in sorted({n.split("/")[0] for n in res_types if n.endswith("/") and n != "/"}):
        folders[top] = free(top, taken)
        taken.add(folders[top])
    parts = {f"{old}/": f"{new}/" for old, new in folders.items()}
    for n in res.namelist():
        top, _, rest = n.partition("/")
        if top in folders:
            parts[n] = f"{folders[top]}/{rest}"
        elif n not in _PACKAGE and not n.startswith(_SKIPPED):
            parts[n] = free(n, taken)
            taken.add(parts[n])
    return parts


def _manifest(data: bytes, parts: dict, res_types: dict) -> bytes:
    """The source's manifest with an entry for every new part."""
    root = scan(data, _MANIFEST, lambda e: e.depth == 0)[0]
    p = root.prefix_of(MANIFEST, "")
    entries = "".join(f'<{p}file-entry {p}full-path="{escape(parts[path])}" {p}media-type="{escape(kind or "")}"/>'
                      for path, kind in res_types.items() if path in parts)
    return edited(data, [append(root, entries.encode())]) if entries else data


def _results_content(res: zipfile.ZipFile):
    """(head, found, tables) of the results' content.xml: its bytes before the first table, the
    elements of depth 2 or less there, and a function returning an iterator over the bytes of
    its tables, from the first one's start to the last one's end, in chunks cut between tags."""
    with res.open("content.xml") as stream:
        found = scan(stream, "content.xml", lambda e: e.depth <= 2 or e.depth == 3 and e.is_(TABLE, "table"),
                     stop=lambda e: e.depth == 3 and e.is_(TABLE, "table"))
        if found[-1].depth != 3 or found[-1].start > SMALL:
            raise SheetnetError("the new sheets' content.xml holds no table where one is expected")
        first = found.pop().start
        stream.seek(0)
        head = stream.read(first)
    end = _tables_end(res, found[0])

    def tables():
        with res.open("content.xml") as stream:
            stream.seek(first)
            yield from between_tags(stream, end - first)

    return head, found, tables


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


def _page_styles(src, res, taken: set, notes: list):
    """(the source's styles.xml with the results' page layouts and master pages added, the new
    sheets' own where the source has none, or None; the renames of the master pages whose names
    the source has)."""
    if "styles.xml" not in res.namelist():
        return None, {}
    data = read_small(res, "styles.xml")
    found = scan(data, "styles.xml", lambda e: e.depth <= 2)
    wanted = {e.local: e.within(found) for e in found
              if e.depth == 1 and e.uri == OFFICE and e.local in ("automatic-styles", "master-styles")}
    if not any(wanted.values()):
        return None, {}
    if "styles.xml" not in src.namelist():
        return data, {}
    names = {e.attr(STYLE, "name") for items in wanted.values() for e in items} - {None}
    renames = values(fresh(names, taken), "style:name", "page-layout-name", "master-page-name", "next-style-name")
    src_data = read_small(src, "styles.xml")
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


def _settings(src, res, notes: list) -> bytes | None:
    """The source's settings.xml with the results' per-sheet view settings added, the new
    sheets' own where the source has none, or None."""
    if "settings.xml" not in res.namelist():
        return None
    data = read_small(res, "settings.xml")
    tables = _tables_map(data)
    if tables is None or not tables.children:
        return None
    if "settings.xml" not in src.namelist():
        return data
    src_data = read_small(src, "settings.xml")
    src_tables = _tables_map(src_data)
    if src_tables is None or src_tables.prefix_of(CONFIG) != tables.prefix_of(CONFIG):
        notes.append("the new sheets open with default view settings (frozen rows and columns, zoom): "
                     "the workbook's view settings have no list of sheets to add theirs to")
        return None
    entries = tables.within(scan(data, "settings.xml", lambda e: e.depth == tables.depth + 1))
    return edited(src_data, [append(src_tables, _whole(data, entries))])
