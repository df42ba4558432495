"""Bad and hostile workbooks, built by the tests themselves.

Small valid workbooks come from a grid {(row, col): value} written as minimal .ods or .xlsx
packages (see :func:`ods` and :func:`xlsx`); :func:`network` lays out the original's 2-2-2
network the way LAYOUT.md describes, so that a test can spoil one cell of it. The hostile
files (entity expansion, zip bombs, huge repeats, too many sheets) are written straight as
the XML or zip bytes that carry the attack.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

from sheetnet.grid import address
from sheetnet.layout import Layout
from sheetnet.math.network import iterate
from sheetnet.math.template import ORIGINAL_2_2_2

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2"')
XLSX_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')

# -- valid workbooks from grids ----------------------------------------------------------------


def to_openformula(neutral: str) -> str:
    """A test's formula of same-sheet references in OpenFormula: 'C8*$A$8' -> 'of:=[.C8]*[.$A$8]'."""
    return "of:=" + re.sub(r"(\$?[A-Z]{1,3}\$?[0-9]+)", r"[.\1]", neutral).replace(",", ";")


class Formula(NamedTuple):
    """A grid's formula cell: the formula in the neutral syntax (Excel A1 without '=') and its cached value."""

    text: str
    value: float


def network(sizes=(2, 2, 2)) -> tuple[dict, Layout]:
    """The grid of a network's header rows and first data row, and its layout: the original's
    2-2-2 network by default."""
    layout = Layout(sizes, changes=False)
    problem = ORIGINAL_2_2_2
    grid = dict(layout.header())
    values = layout.values(iterate(problem.network.W, problem.inputs, problem.T))
    for c, v in enumerate(values, 1):
        if v is not None:
            grid[(layout.first_row, c)] = v
    grid[(layout.first_row, layout.lr_col)] = problem.network.lr
    return grid, layout


def _ods_cell(value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{_esc(value)}</text:p></table:table-cell>'
    if isinstance(value, Formula):
        return (f'<table:table-cell table:formula="{_esc(to_openformula(value.text))}" office:value-type="float" '
                f'office:value="{value.value!r}"/>')
    return f'<table:table-cell office:value-type="float" office:value="{value!r}"/>'


def ods_content(sheets: dict) -> str:
    """content.xml of {sheet name: grid}."""
    tables = []
    for name, grid in sheets.items():
        rows = []
        for r in range(1, max((r for r, _ in grid), default=0) + 1):
            cols = max((c for rr, c in grid if rr == r), default=0)
            rows.append("<table:table-row>" + "".join(_ods_cell(grid.get((r, c))) for c in range(1, cols + 1))
                        + ("" if cols else "<table:table-cell/>") + "</table:table-row>")
        tables.append(f'<table:table table:name="{_esc(name)}">{"".join(rows)}</table:table>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ODS_NS}><office:body>'
            f'<office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body></office:document-content>')


def ods(path: Path, sheets: dict | None = None, content: str | bytes | None = None, extra: dict | None = None,
        leave_out: tuple = ()) -> Path:
    """A minimal .ods: content.xml from sheets (or given as is), plus extra {member: bytes}."""
    if content is None:
        content = ods_content(sheets if sheets is not None else {"Sheet1": network()[0]})
    members = {
        "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
        "META-INF/manifest.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
            'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>").encode(),
        "content.xml": content.encode() if isinstance(content, str) else content,
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            if name not in leave_out:
                z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "mimetype" else None)
    return path


def _xlsx_cell(r: int, c: int, value) -> str:
    if isinstance(value, str):
        return f'<c r="{address(r, c)}" t="inlineStr"><is><t>{_esc(value)}</t></is></c>'
    if isinstance(value, Formula):
        return f'<c r="{address(r, c)}"><f>{_esc(value.text)}</f><v>{value.value!r}</v></c>'
    return f'<c r="{address(r, c)}"><v>{value!r}</v></c>'


def xlsx_sheet(grid: dict) -> str:
    rows = []
    for r in sorted({r for r, _ in grid}):
        cells = "".join(_xlsx_cell(r, c, grid[(r, c)]) for rr, c in sorted(grid) if rr == r and grid[(r, c)] is not None)
        rows.append(f'<row r="{r}">{cells}</row>')
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {XLSX_NS}><sheetData>{"".join(rows)}</sheetData></worksheet>'


def xlsx(path: Path, sheets: dict | None = None, workbook: str | None = None, parts: dict | None = None,
         leave_out: tuple = ()) -> Path:
    """A minimal .xlsx of {sheet name: grid}; workbook.xml and worksheet parts may be given as is."""
    sheets = sheets if sheets is not None else {"Sheet1": network()[0]}
    names = list(sheets)
    if workbook is None:
        listed = "".join(f'<sheet name="{_esc(n)}" sheetId="{k}" r:id="rId{k}"/>' for k, n in enumerate(names, 1))
        workbook = f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook {XLSX_NS}><sheets>{listed}</sheets></workbook>'
    rels = "".join(f'<Relationship Id="rId{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/worksheet" Target="worksheets/sheet{k}.xml"/>' for k in range(1, len(names) + 1))
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/vnd.'
                      'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for k in range(1, len(names) + 1))
            + "</Types>"),
        "_rels/.rels": ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.'
                        'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
                        'org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                        "</Relationships>"),
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.'
                                       f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>'),
        **{f"xl/worksheets/sheet{k}.xml": xlsx_sheet(grid) for k, grid in enumerate(sheets.values(), 1)},
        **(parts or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            if name not in leave_out:
                z.writestr(name, data)
    return path


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def spoiled(change: dict) -> dict:
    """The 2-2-2 network's grid with cells changed: {(row, col): value or None to empty it}."""
    grid, _ = network()
    for key, value in change.items():
        if value is None:
            grid.pop(key, None)
        else:
            grid[key] = value
    return grid


LAYOUT = network()[1]
FIRST = LAYOUT.first_row
LR = (FIRST, LAYOUT.lr_col)
W01 = LAYOUT.at("weight", 1, 0, 1).col  # the column of w01 of layer 1

# -- hostile XML ------------------------------------------------------------------------------

BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">'
                            for k in range(1, 10))
                  + "]>\n<office:document-content " + ODS_NS + "><office:body><office:spreadsheet>"
                  '<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string">'
                  "<text:p>&lol9;</text:p></table:table-cell></table:table-row></table:table>"
                  "</office:spreadsheet></office:body></office:document-content>")

EXTERNAL_ENTITY = ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
                   "<office:document-content " + ODS_NS + "><office:body><office:spreadsheet>"
                   '<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string">'
                   "<text:p>&secret;</text:p></table:table-cell></table:table-row></table:table>"
                   "</office:spreadsheet></office:body></office:document-content>")


def repeated(rows: int, cols: int, value: str = '<table:table-cell office:value-type="float" office:value="1"'
                                                 ' table:number-columns-repeated="{cols}"/>') -> str:
    """content.xml of one table: a row of `cols` repeated non-empty cells, repeated `rows` times."""
    return (f"<?xml version=\"1.0\"?>\n<office:document-content {ODS_NS}><office:body><office:spreadsheet>"
            f'<table:table table:name="S"><table:table-row table:number-rows-repeated="{rows}">'
            f"{value.format(cols=cols)}</table:table-row></table:table>"
            "</office:spreadsheet></office:body></office:document-content>")


def repeated_columns(rows: int, cols: int) -> str:
    """content.xml of one table: `rows` rows, each written out, of `cols` repeated non-empty cells."""
    row = (f'<table:table-row><table:table-cell office:value-type="float" office:value="1" '
           f'table:number-columns-repeated="{cols}"/></table:table-row>')
    return (f"<?xml version=\"1.0\"?>\n<office:document-content {ODS_NS}><office:body><office:spreadsheet>"
            f'<table:table table:name="S">{row * rows}</table:table>'
            "</office:spreadsheet></office:body></office:document-content>")


def many_ods_sheets(n: int) -> str:
    tables = "".join(f'<table:table table:name="S{k}"/>' for k in range(n))
    return (f"<?xml version=\"1.0\"?>\n<office:document-content {ODS_NS}><office:body><office:spreadsheet>"
            f"{tables}</office:spreadsheet></office:body></office:document-content>")


def many_xlsx_sheets(n: int) -> str:
    listed = "".join(f'<sheet name="S{k}" sheetId="{k + 1}" r:id="rId{k + 1}"/>' for k in range(n))
    return f'<?xml version="1.0"?>\n<workbook {XLSX_NS}><sheets>{listed}</sheets></workbook>'


ARRAY_LAST_ROW = 1 << 20  # where the array formulas below end: the sheet's last row
ARRAY_COVERED = 4  # cells right of each anchor, covered by the arrays anchored in the rows above


def array_diagonal(n: int, overlapping: bool = False) -> list:
    """[(row, anchor column, [covered columns])] of n array formulas one column wide, anchored in
    rows 1..n, each reaching the sheet's last row: from column n leftwards, one column a row, the
    cells right of each anchor covered by the arrays of the rows above (n of them live at the end,
    none sharing a cell); or, overlapping, all anchored in column A."""
    if overlapping:
        return [(r, 1, []) for r in range(1, n + 1)]
    return [(r, n + 1 - r, list(range(n + 2 - r, n + 2 - r + min(ARRAY_COVERED, r - 1)))) for r in range(1, n + 1)]


def array_formulas_ods(n: int, overlapping: bool = False) -> str:
    """content.xml of one table 'S' holding array_diagonal(n, overlapping), each array's formula
    A1*2, every cell holding 1."""
    rows = []
    for r, col, covered in array_diagonal(n, overlapping):
        before = f'<table:table-cell table:number-columns-repeated="{col - 1}"/>' if col > 1 else ""
        anchor = ('<table:table-cell table:formula="of:=[.A1]*2" table:number-matrix-columns-spanned="1" '
                  f'table:number-matrix-rows-spanned="{ARRAY_LAST_ROW - r + 1}" office:value-type="float" '
                  'office:value="1"/>')
        rows.append(f"<table:table-row>{before}{anchor}"
                    + '<table:table-cell office:value-type="float" office:value="1"/>' * len(covered)
                    + "</table:table-row>")
    return (f"<?xml version=\"1.0\"?>\n<office:document-content {ODS_NS}><office:body><office:spreadsheet>"
            f'<table:table table:name="S">{"".join(rows)}</table:table>'
            "</office:spreadsheet></office:body></office:document-content>")


def array_formulas_xlsx(n: int, overlapping: bool = False) -> str:
    """A worksheet part holding array_diagonal(n, overlapping), as array_formulas_ods."""
    rows = []
    for r, col, covered in array_diagonal(n, overlapping):
        at = address(r, col)
        rows.append(f'<row r="{r}"><c r="{at}"><f t="array" ref="{at}:{address(ARRAY_LAST_ROW, col)}">A1*2</f>'
                    "<v>1</v></c>" + "".join(f'<c r="{address(r, c)}"><v>1</v></c>' for c in covered) + "</row>")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {XLSX_NS}><sheetData>{"".join(rows)}</sheetData></worksheet>'


# -- hostile zips -------------------------------------------------------------------------------

def declared_size(path: Path, member: str, size: int) -> Path:
    """Rewrite a zip's headers so that member declares `size` inflated bytes (a zip bomb's
    declaration, without the gigabytes)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    # The local header: uncompressed size at offset 22.
    struct.pack_into("<I", data, info.header_offset + 22, size)
    # The central directory entry: signature PK\1\2, uncompressed size at offset 24.
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + n] == name:
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


def bomb_content(inflated: int) -> bytes:
    """A deflate stream of valid XML that inflates to about `inflated` bytes of blanks."""
    head = f'<?xml version="1.0"?>\n<office:document-content {ODS_NS}>'.encode()
    tail = b"</office:document-content>"
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [z.compress(head)]
    block = b" " * (1 << 20)
    for _ in range(inflated >> 20):
        out.append(z.compress(block))
    out.append(z.compress(tail))
    out.append(z.flush())
    return b"".join(out)


def zip_with_raw_member(path: Path, name: str, deflated: bytes, inflated_size: int, crc: int,
                        others: dict | None = None) -> Path:
    """A zip whose member `name` holds the raw deflate stream given, declared as inflated_size."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for other, data in (others or {}).items():
            z.writestr(other, data, compress_type=zipfile.ZIP_STORED if other == "mimetype" else None)
    data = bytearray(path.read_bytes())
    # Append the member by hand before the central directory.
    end = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, end + 10)
    central, tail = data[cd_offset:end], data[end:]
    body = data[:cd_offset]
    offset = len(body)
    n = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), inflated_size, len(n), 0)
    entry = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(deflated), inflated_size,
                        len(n), 0, 0, 0, 0, 0, offset)
    body += local + n + deflated
    new_central = central + entry + n
    tail = bytearray(tail)
    struct.pack_into("<HHII", tail, 8, count + 1, count + 1, len(new_central), len(body))
    path.write_bytes(bytes(body + new_central + tail))
    return path
