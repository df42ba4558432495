"""The new sheets of an .xlsx workbook added to a copy of another (see merge.py).

The new worksheet parts, and the parts they refer to, are added under free names;
xl/workbook.xml, xl/_rels/workbook.xml.rels and [Content_Types].xml list them, and the cell
formats they use are added to the end of the lists in xl/styles.xml. Everything else is copied
as it is.
"""

from __future__ import annotations

import posixpath
import re
import zipfile

from ..errors import SheetnetError
from ._package import (
    Element,
    append,
    copy_member,
    copy_package,
    edited,
    element_end,
    free,
    insert,
    read_small,
    renamer,
    scan,
    set_attr,
    values,
    zipinfo,
)
from ._xml import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_TYPES = "[Content_Types].xml"
_STYLES = "xl/styles.xml"


def merge(src: zipfile.ZipFile, res: zipfile.ZipFile, dst: zipfile.ZipFile, notes: list) -> None:
    """Write to dst the workbook src with the sheets of the workbook res added."""
    for z, who in ((src, "the workbook"), (res, "the new sheets' workbook")):
        if _WORKBOOK not in z.namelist():
            raise SheetnetError(f"{who} has no {_WORKBOOK}")
    res_rels = {r.attrs.get("Id"): r for r in _relationships(res, _WORKBOOK_RELS)}
    sheets = []  # (its element in workbook.xml, its relationship, its part)
    for sheet in scan(read_small(res, _WORKBOOK), _WORKBOOK, lambda e: e.is_(MAIN, "sheet")):
        rel = res_rels.get(sheet.attr(REL, "id"))
        if rel is None or _target(_WORKBOOK, rel) not in res.namelist():
            raise SheetnetError(f"the new sheets' workbook has no part for sheet {sheet.attrs.get('name')!r}")
        sheets.append((sheet, rel, _target(_WORKBOOK, rel)))

    # Every results part the new sheets reach, under a name the source does not use.
    names, queue = {}, [part for *_, part in sheets]
    taken = {n.casefold() for n in src.namelist()}  # part names compare case-insensitively
    while queue:
        part = queue.pop(0)
        if part in names or part not in res.namelist():
            continue
        names[part] = free(part, taken, str.casefold)
        taken.add(names[part].casefold())
        queue += [t for rel in _relationships(res, _rels_of(part)) if (t := _target(part, rel)) is not None]

    styles_remap, styles = _styles(src, res, notes)
    restyle = renamer(styles_remap, b" ")
    workbook, workbook_rels = _workbook(src, sheets, names)
    copy_package(src, dst, {_TYPES: _types(src, res, names), _WORKBOOK: workbook, _WORKBOOK_RELS: workbook_rels,
                            _STYLES: styles})
    # A new sheet's cells take the formats' new numbers, and its tab is not selected: the source's
    # is, and two would open grouped in Excel.
    edit = lambda chunk: restyle(chunk).replace(b' tabSelected="1"', b"")  # noqa: E731
    for old, new in names.items():
        copy_member(res, res.getinfo(old), dst, new, edit if old in {part for *_, part in sheets} else None)
        if _rels_of(old) in res.namelist():
            dst.writestr(zipinfo(res.getinfo(_rels_of(old)), _rels_of(new)), _moved_rels(res, old, new, names))


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(z: zipfile.ZipFile, member: str) -> list:
    """The Relationship elements of a .rels part (none when it is absent)."""
    if member not in z.namelist():
        return []
    return scan(read_small(z, member), member, lambda e: e.is_(PKG_REL, "Relationship"))


def _target(part: str, rel: Element) -> str | None:
    """The member a relationship of part points at; None for an external one."""
    if rel.attrs.get("TargetMode") == "External":
        return None
    target = rel.attrs.get("Target", "")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def _moved_rels(res, old: str, new: str, names: dict) -> bytes:
    """The .rels of a part moved from old to new, its targets following the parts they name."""
    rels = []
    for rel in _relationships(res, _rels_of(old)):
        attrs = {k: v for k, v in rel.attrs.items() if not k.startswith("xmlns")}
        if (target := _target(old, rel)) is not None:
            attrs["Target"] = posixpath.relpath(names.get(target, target), posixpath.dirname(new))
        rels.append("<Relationship " + " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items()) + "/>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>').encode()


def _types(src, res, names: dict) -> bytes:
    """The source's [Content_Types].xml, also listing every new part."""
    data = read_small(src, _TYPES)
    found = scan(data, _TYPES, lambda e: e.depth <= 1)
    res_found = scan(read_small(res, _TYPES), _TYPES, lambda e: e.depth == 1)
    kinds = lambda kind, key, fold: {fold(e.attrs.get(key, "")): e.attrs.get("ContentType", "")  # noqa: E731
                                     for e in kind if e.is_(CONTENT_TYPES, "Default" if key == "Extension" else "Override")}
    defaults, res_defaults = kinds(found, "Extension", str.lower), kinds(res_found, "Extension", str.lower)
    overrides = kinds(res_found, "PartName", lambda name: name.lstrip("/"))
    p, added = found[0].prefix_of(CONTENT_TYPES, ""), []
    for old, new in names.items():
        ext = posixpath.splitext(new)[1].lstrip(".").lower()
        if old in overrides:
            added.append(f'<{p}Override PartName="/{escape(new)}" ContentType="{escape(overrides[old])}"/>')
        elif ext not in defaults and ext in res_defaults:
            added.append(f'<{p}Default Extension="{escape(ext)}" ContentType="{escape(res_defaults[ext])}"/>')
            defaults[ext] = res_defaults[ext]
    return edited(data, [append(found[0], "".join(added).encode())]) if added else data


def _workbook(src, sheets: list, names: dict):
    """The source's workbook.xml and its .rels, listing the new sheets after its own."""
    if _WORKBOOK_RELS not in src.namelist():
        raise SheetnetError(f"the workbook has no {_WORKBOOK_RELS}")
    data = read_small(src, _WORKBOOK)
    found = scan(data, _WORKBOOK, lambda e: e.is_(MAIN, "sheets") or e.is_(MAIN, "sheet"))
    sheets_el = next((e for e in found if e.is_(MAIN, "sheets")), None)
    if sheets_el is None:
        raise SheetnetError(f"{_WORKBOOK} lists no sheets")
    own = [e for e in found if e.is_(MAIN, "sheet")]
    taken_names = {(e.attrs.get("name") or "").casefold() for e in own}
    next_id = max((int(e.attrs.get("sheetId", "0")) for e in own if _number(e.attrs.get("sheetId", ""))),
                  default=0) + 1
    rels_data = read_small(src, _WORKBOOK_RELS)
    rels = scan(rels_data, _WORKBOOK_RELS, lambda e: e.depth <= 1)
    ids = {e.attrs.get("Id") for e in rels}
    p, rp = sheets_el.prefix_of(MAIN, ""), rels[0].prefix_of(PKG_REL, "")
    r = sheets_el.prefix_of(REL)
    r, declare = (r, "") if r is not None else ("r:", f' xmlns:r="{REL}"')
    sheet_xml, rel_xml, k = [], [], 1
    for sheet, rel, part in sheets:
        name = sheet.attrs.get("name", "")
        if name.casefold() in taken_names:
            raise SheetnetError(f"the workbook already has a sheet named {name!r}")
        while f"rId{k}" in ids:
            k += 1
        ids.add(f"rId{k}")
        sheet_xml.append(f'<{p}sheet{declare} name="{escape(name)}" sheetId="{next_id}" {r}id="rId{k}"/>')
        rel_xml.append(f'<{rp}Relationship Id="rId{k}" Type="{escape(rel.attrs.get("Type", ""))}" '
                       f'Target="{escape(posixpath.relpath(names[part], "xl"))}"/>')
        next_id += 1
    return (edited(data, [append(sheets_el, "".join(sheet_xml).encode())]),
            edited(rels_data, [append(rels[0], "".join(rel_xml).encode())]))


# Cell formats live in xl/styles.xml as lists that cells index (s="3"): the results' lists are
# appended to the source's, and the new sheets' indices shifted by the source's lengths.
_STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs")
_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                "tableStyles", "colors", "extLst")


def _styles(src, res, notes):
    """(the renames (see _package.renamer) of the new sheets' s="k", style="k" and dxfId="k",
    the source's styles.xml with the results' cell formats appended, or None when the new sheets
    use only the default format)."""
    if _STYLES not in res.namelist():
        return {}, None
    res_data = read_small(res, _STYLES)
    res_found = scan(res_data, _STYLES, lambda e: e.depth <= 2)
    res_lists = {e.local: e for e in res_found if e.depth == 1 and e.uri == MAIN}
    items = {name: e.within(res_found) for name, e in res_lists.items()}
    xfs, dxfs = items.get("cellXfs", []), items.get("dxfs", [])
    if len(xfs) <= 1 and not dxfs:
        return {}, None
    if _STYLES not in src.namelist():
        notes.append("the new sheets' cell formats are left out: the workbook has no styles part")
        return {}, None
    data = read_small(src, _STYLES)
    found = scan(data, _STYLES, lambda e: e.depth <= 2)
    root, lists = found[0], {e.local: e for e in found if e.depth == 1 and e.uri == MAIN}
    counts = {name: (lists[name].children if name in lists else 0) for name in _STYLE_LISTS}
    fmt_ids = {int(e.attrs["numFmtId"]) for e in found if e.local == "numFmt" and _number(e.attrs.get("numFmtId", ""))}
    edits, fmt_map, grown = [], {}, set()
    for name in _STYLE_LISTS:
        added = items.get(name, [])[1 if name == "cellXfs" else 0:]  # the default format stays the source's own
        if not added:
            continue
        pieces = []
        for e in added:
            piece = res_data[e.start:element_end(res_data, e)]
            if name == "numFmts":
                fmt_map[int(e.attrs.get("numFmtId", "0"))] = new = max(fmt_ids | {163}) + 1
                fmt_ids.add(new)
                piece = re.sub(rb'numFmtId="\d+"', f'numFmtId="{new}"'.encode(), piece, count=1)
            elif name == "cellXfs":
                piece = _shift_xf(piece, counts, fmt_map)
            if root.prefix_of(MAIN) != "":  # the results' elements are in the default namespace; keep them there
                piece = piece.replace(e.qname.encode(), e.qname.encode() + f' xmlns="{MAIN}"'.encode(), 1)
            pieces.append(piece)
        if name in lists:
            edits.append(append(lists[name], b"".join(pieces)))
            grown.add(name)
        else:  # a list the source lacks: a new one, where the schema puts it
            tag = f"{root.prefix_of(MAIN, '')}{name}"
            element = f'<{tag} count="{len(pieces)}">'.encode() + b"".join(pieces) + f"</{tag}>".encode()
            later = [lists[n] for n in _STYLE_ORDER[_STYLE_ORDER.index(name) + 1:] if n in lists]
            edits.append(insert(min(e.start for e in later), element) if later else append(root, element))
    # The results' format k sits at k - 1 after the source's own.
    remap = values({str(k): str(k - 1 + counts["cellXfs"]) for k in range(1, len(xfs))}, "s", "style")
    remap |= values({str(k): str(k + counts["dxfs"]) for k in range(len(dxfs))}, "dxfId")
    # Counts are hints to readers; those of the lists that grew are kept right.
    data = edited(data, edits)
    recounted = [set_attr(data, e, "count", str(e.children)) for e in scan(data, _STYLES, lambda e: e.depth == 1)
                 if e.uri == MAIN and e.local in grown]
    return remap, edited(data, [edit for edit in recounted if edit is not None])


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


def _number(text: str) -> bool:
    """Whether an attribute holds a whole number as XML writes one (ASCII digits: '²' is a digit to str.isdigit)."""
    return text.isascii() and text.isdigit()
