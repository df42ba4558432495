"""Office Open XML workbooks (.xlsx): a streaming reader and a streaming writer.

Formulas in .xlsx are already in the package's neutral form (Excel A1 without '='): the
reader keeps them, the writer renders formula trees (:mod:`sheetnet.expression`) in it.
"""

from __future__ import annotations

import posixpath
import re
import zipfile

from ..errors import SheetnetError
from ..grid import SHEET_NAME_LIMIT, Cell, Sheet, address, column_letters, parse_address, sheet_name_problem
from . import MAX_COLS, MAX_ROWS, MAX_SHEETS, fastrows, xlsx_look
from ._arrays import Arrays
from ._deflate import Member
from ._rowformat import RowCompiler, Value, escaped
from ._xml import LONGEST_TEXT, escape, parse, too_long
from ._zip import Zip, open_zip
from .ods import MAX_CELLS

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships}"

# -- reading ------------------------------------------------------------------------------------


def _collect(z: zipfile.ZipFile, member: str, wanted: str, keys: tuple) -> list:
    """The attributes `keys` of every element named `wanted` in a small part."""
    found = []

    def start(name, attrs):
        if name == wanted:
            if len(found) >= MAX_SHEETS:
                raise SheetnetError(f"more than {MAX_SHEETS:,} sheets")
            found.append(tuple(attrs.get(k) for k in keys))

    with z.open(member) as stream:
        parse(stream, start, lambda name: None, member=member)
    return found


def _shared_strings(z: zipfile.ZipFile) -> list:
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    strings, current, inside, gathered = [], [], [False], [0]

    def start(name, attrs):
        if name == MAIN + "si":
            current.clear()
            gathered[0] = 0
        elif name == MAIN + "t":
            inside[0] = True
        elif name == MAIN + "rPh":  # phonetic hints are not part of the text
            inside[0] = None

    def end(name):
        if name == MAIN + "si":
            strings.append("".join(current))
        elif name == MAIN + "t" and inside[0]:
            inside[0] = False
        elif name == MAIN + "rPh":
            inside[0] = False

    def text(data):
        if inside[0]:
            current.append(data)
            gathered[0] += len(data)
            if gathered[0] > LONGEST_TEXT:
                raise too_long(f"xl/sharedStrings.xml: shared string {len(strings):,}")

    with z.open("xl/sharedStrings.xml") as stream:
        parse(stream, start, end, text, member="xl/sharedStrings.xml")
    return strings


# A reference; or a quoted sheet name or a string, matched only to be left as they are, so that
# 'Q1 figures'!B2 keeps its sheet's name while B2 moves.
_SHIFTABLE = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|(?<![A-Za-z_])(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\w(])""")


def shift(formula: str, rows: int, cols: int) -> str:
    """A formula moved by rows and cols, relative references following (shared formulas)."""

    def move(m):
        dc, col, dr, row = m.groups()
        if col is None:
            return m.group(0)
        from ..grid import column_number

        col = col if dc else column_letters(column_number(col) + cols)
        row = row if dr else str(int(row) + rows)
        return f"{dc}{col}{dr}{row}"

    return _SHIFTABLE.sub(move, formula)


def within(row: int, col: int) -> None:
    """Refuse a cell beyond the largest sheet, naming it and the limit it passes."""
    if col > MAX_COLS:
        raise SheetnetError(f"cell {column_letters(col)}{row} lies beyond a sheet's last column "
                            f"({column_letters(MAX_COLS)}, the {MAX_COLS:,}th)")
    if row > MAX_ROWS:
        raise SheetnetError(f"cell {column_letters(col)}{row} lies beyond a sheet's last row ({MAX_ROWS:,})")


class _SheetReader:
    def __init__(self, sheet: Sheet, strings: list, budget: list):
        self.sheet, self.strings, self.budget = sheet, strings, budget
        self.shared = {}  # si -> (formula, row, col) of the master cell
        self.cell = None  # [row, col, type, formula attrs]
        self.buffer = None
        self.gathered = 0  # characters of the cell's texts
        self.value = self.formula = self.inline = None
        self.row = 0
        self.col = 0
        self.given = 0  # the rows up to this one have been taken (see done)
        self.arrays = Arrays(sheet.name)  # the array formulas whose cells are still to come

    def done(self, index: int, everything: bool = False) -> list:
        """The events of the rows read completely (all of them, at the part's end), taken out of the sheet."""
        rows = self.sheet.rows
        ready = sorted(r for r in rows if everything or r < self.row)
        if ready and ready[0] <= self.given:
            raise SheetnetError(f"row {ready[0]} comes after row {self.given} (rows must be in ascending order)")
        if ready:
            self.given = ready[-1]
        return [(index, self.sheet.name, r, rows.pop(r)) for r in ready]

    def start(self, name, attrs):
        if name == MAIN + "c":
            ref = attrs.get("r")
            if ref:
                try:
                    row, col = parse_address(ref)
                except ValueError:
                    raise SheetnetError(f"bad cell reference {ref!r}") from None
            else:
                row, col = self.row, self.col + 1
            within(row, col)
            self.col = col
            self.cell = [row, col, attrs.get("t", "n"), None]
            self.value = self.formula = self.inline = None
            self.gathered = 0
        elif name == MAIN + "row":
            r = attrs.get("r")
            self.start_row(int(r) if r and r.isascii() and r.isdigit() else self.row + 1)
        elif self.cell is not None and name in (MAIN + "v", MAIN + "f", MAIN + "t"):
            self.buffer = []
            if name == MAIN + "f":
                self.cell[3] = attrs

    def text(self, data):
        if self.buffer is not None:
            self.buffer.append(data)
            self.gathered += len(data)
            if self.gathered > LONGEST_TEXT:
                sheet, cell, _ = self.where()
                raise too_long("the cell", sheet=sheet, cell=cell)

    def where(self) -> tuple:
        """(sheet, cell, near) of what is being read (see _xml.chunks): the cell whose tag or text
        it is, else the cell it follows or the row it is in."""
        if self.cell is not None:
            return self.sheet.name, address(self.cell[0], self.cell[1]), None
        if self.col:
            return self.sheet.name, None, f"after cell {address(self.row, self.col)}"
        return self.sheet.name, None, f"in row {self.row:,}" if self.row else None

    def start_row(self, row: int) -> None:
        self.row, self.col = row, 0
        self.arrays.retire(row)

    def end(self, name):
        # A <v>, <f> or <c> nested where it does not belong ends without its start's state.
        if self.buffer is None and name != MAIN + "c":
            return
        if name == MAIN + "v":
            self.value, self.buffer = "".join(self.buffer), None
        elif name == MAIN + "f":
            self.formula, self.buffer = "".join(self.buffer), None
        elif name == MAIN + "t":
            self.inline = self.inline or []
            self.inline += self.buffer  # the runs of rich text, joined once, at the cell's end
            self.buffer = None
        elif name == MAIN + "c" and self.cell is not None:
            self._end_cell()

    def _end_cell(self):
        row, col, kind, fattrs = self.cell
        self.cell = None
        formula = self._formula(row, col, fattrs)
        value = self._value(kind, row, col)
        if value is None and formula is None:
            return
        self.budget[0] += 1
        if self.budget[0] > MAX_CELLS:
            raise SheetnetError(f"more than {MAX_CELLS:,} cells")
        self.sheet.set(row, col, Cell(value, formula))

    def _formula(self, row, col, fattrs):
        if fattrs is None:
            return self.arrays.formula(row, col) if self.arrays else None
        formula = self.formula or None
        if fattrs.get("t") == "array" and formula and ":" in (fattrs.get("ref") or ""):
            try:
                (r0, c0), (r1, c1) = (parse_address(a) for a in fattrs["ref"].split(":", 1))
            except ValueError:
                raise SheetnetError(f"bad array formula range {fattrs['ref']!r}") from None
            if (r0, c0) == (row, col) and r1 >= r0 and c1 >= c0:
                within(r1, c1)
                self.arrays.add(r0, c0, r1 - r0 + 1, c1 - c0 + 1, formula)
                return self.arrays.formula(row, col)
        if fattrs.get("t") == "shared" and fattrs.get("si") is not None:
            si = fattrs["si"]
            if formula:
                self.shared[si] = (formula, row, col)
            elif si in self.shared:
                master, r0, c0 = self.shared[si]
                formula = shift(master, row - r0, col - c0)
        return formula

    def _value(self, kind, row, col):
        v = self.value
        if kind == "inlineStr":
            return None if self.inline is None else "".join(self.inline)
        if v is None or v == "" and kind in ("n", "b", "e"):  # <v></v>: a formula saved without its result
            return None
        if kind == "s":
            try:
                return self.strings[int(v)]
            except (ValueError, IndexError):
                raise SheetnetError(f"shared string {v!r} does not exist",
                                    cell=f"{column_letters(col)}{row}") from None
        if kind in ("str", "e"):
            return v
        if kind == "b":
            return v == "1"
        try:
            return float(v)
        except ValueError:
            return v


def defined_names(path, sheet: str | None = None) -> dict:
    """The workbook's defined names (see formats.DefinedNames), from xl/workbook.xml; a name
    local to a sheet counts for that sheet only. Excel's own (_xlnm.Print_Area) are left out."""
    sheets, names, current = [], [], []

    def start(name, attrs):
        if name == MAIN + "sheet":
            sheets.append(attrs.get("name"))
        elif name == MAIN + "definedName":
            current[:] = [attrs.get("name") or "", attrs.get("localSheetId"), [], 0]  # 0: characters of its text

    def text(data):
        if current:
            current[2].append(data)
            current[3] += len(data)
            if current[3] > LONGEST_TEXT:
                raise too_long(f"xl/workbook.xml: the defined name {current[0]!r}")

    def end(name):
        if name == MAIN + "definedName" and current:
            names.append((current[0], current[1], "".join(current[2])))
            current.clear()

    with open_zip(path) as z:
        if "xl/workbook.xml" not in z.namelist():
            return {}
        with z.open("xl/workbook.xml") as stream:
            parse(stream, start, end, text, member="xl/workbook.xml")
    found, local = {}, {}
    for name, scope, target in names:
        if name.lower().startswith("_xlnm.") or not target:
            continue
        if scope is None:
            found[name.upper()] = target.lstrip("=")
        elif scope.isdigit() and int(scope) < len(sheets) and sheets[int(scope)] == sheet:
            local[name.upper()] = target.lstrip("=")
    return found | local


def stream(path, control):
    """The events of the workbook at path (see formats.Stream), a list of them after each chunk read."""
    with open_zip(path) as z:
        names = set(z.namelist())
        if "xl/workbook.xml" not in names:
            raise SheetnetError("not an Excel workbook (no xl/workbook.xml)")
        sheets = _collect(z, "xl/workbook.xml", MAIN + "sheet", ("name", REL + "id"))
        targets = {}
        if "xl/_rels/workbook.xml.rels" in names:
            targets = dict(_collect(z, "xl/_rels/workbook.xml.rels", PKG_REL + "Relationship", ("Id", "Target")))
        strings = _shared_strings(z)
        budget, rows = [0], fastrows.XlsxRows()
        for index, (name, rid) in enumerate(sheets):
            target = targets.get(rid) or f"worksheets/sheet{index + 1}.xml"
            member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if member not in names:
                raise SheetnetError(f"sheet {name!r} has no part {member}")
            reader = _SheetReader(Sheet(name or f"Sheet{index + 1}"), strings, budget)
            yield [(index, reader.sheet.name, 0, None)]
            if control.skip == index:
                continue
            with z.open(member) as part:
                # Regular rows take a fast lane; everything else goes to the reader's callbacks.
                for _ in fastrows.scan(part, reader, rows, member):
                    if control.skip == index:  # the rest of the sheet is not wanted: not read at all
                        break
                    yield reader.done(index)
                else:
                    yield reader.done(index, everything=True)


# -- writing ------------------------------------------------------------------------------------

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
{sheets}</Types>"""

_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""

_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">')


class Writer:
    """Writes each sheet's rows into its worksheet part as they come."""

    max_rows = MAX_ROWS  # rows in one sheet: LibreOffice's and Excel's limit

    def __init__(self, file):
        self.file = file
        self.names = []
        self.out = None
        self.rows = RowCompiler(_row_pieces)
        self.tail = ""  # what the open sheet's part ends with after </sheetData>
        self.drawings = []  # (sheet number, its charts), one drawing part each

    def __enter__(self):
        self.zip = Zip(self.file, "w", compression=zipfile.ZIP_DEFLATED)
        return self

    def _write(self, text: str) -> None:
        self.out.write(text)

    def sheet(self, name: str, *, charts=(), widths=None, freeze=None, fit_page=False) -> None:
        """Start a sheet: charts (styles.Chart), column widths in characters from column 1,
        freeze: the first cell that scrolls ('C8'), fit_page: print it on one landscape page."""
        problem = sheet_name_problem(name, SHEET_NAME_LIMIT)
        if problem:
            raise SheetnetError(problem)
        self._close_sheet()
        self.names.append(name)
        if charts:
            self.drawings.append((len(self.names), tuple(charts)))
        self.tail = xlsx_look.sheet_tail(fit_page, "rId1" if charts else None)
        self.out = Member(self.zip, f"xl/worksheets/sheet{len(self.names)}.xml")
        self._write(_SHEET_HEAD + xlsx_look.sheet_head(widths, freeze, fit_page) + "<sheetData>")

    def _close_sheet(self):
        if self.out is not None:
            self._write(f"</sheetData>{self.tail}</worksheet>")
            self.out.close()
            self.out = None

    def row(self, r: int, values: list, formulas: list | None = None, styles: list | None = None) -> None:
        """Write row r (ascending, from 1): values from column 1, with formulas
        (:mod:`sheetnet.expression` trees) and style names (styles.STYLES; None: unstyled)."""
        self._write(self.rows(values, formulas, r, styles))

    def __exit__(self, kind, *_):
        if kind is not None:
            self._give_up()
            return
        try:
            self._close_sheet()
            self._finish()
        except BaseException:
            self._give_up()
            raise
        self.zip.close()

    def _give_up(self) -> None:
        # The sheet's member first (its thread stopped, its stream closed), so that the zip can close.
        if self.out is not None:
            self.out.abort()
        self.zip.close()

    def _finish(self):
        n = len(self.names)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{k}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\n'
            for k in range(1, n + 1))
        overrides += self._write_drawings()
        self.zip.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=overrides))
        self.zip.writestr("_rels/.rels", _ROOT_RELS)
        self.zip.writestr("xl/styles.xml", xlsx_look.STYLES_XML)
        sheets = "".join(f'<sheet name="{escape(name)}" sheetId="{k}" r:id="rId{k}"/>'
                         for k, name in enumerate(self.names, 1))
        self.zip.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>"))
        rels = "".join(
            f'<Relationship Id="rId{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet{k}.xml"/>' for k in range(1, n + 1))
        rels += (f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/styles" Target="styles.xml"/>')
        self.zip.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>"))

    def _write_drawings(self) -> str:
        """Write each charted sheet's drawing, charts and relationships; their content-type overrides."""
        overrides, chart_no = [], 0
        for d, (sheet_no, charts) in enumerate(self.drawings, 1):
            self.zip.writestr(f"xl/worksheets/_rels/sheet{sheet_no}.xml.rels",
                              xlsx_look.relationships([("drawing", f"../drawings/drawing{d}.xml")]))
            self.zip.writestr(f"xl/drawings/drawing{d}.xml", xlsx_look.drawing(charts, chart_no + 1))
            numbers = range(chart_no + 1, chart_no + len(charts) + 1)
            self.zip.writestr(f"xl/drawings/_rels/drawing{d}.xml.rels",
                              xlsx_look.relationships([("chart", f"../charts/chart{k}.xml") for k in numbers]))
            for k, chart in zip(numbers, charts):
                self.zip.writestr(f"xl/charts/chart{k}.xml", xlsx_look.chart(chart))
                overrides.append(f'<Override PartName="/xl/charts/chart{k}.xml" '
                                 f'ContentType="{xlsx_look.CHART_TYPE}"/>')
            overrides.append(f'<Override PartName="/xl/drawings/drawing{d}.xml" '
                             f'ContentType="{xlsx_look.DRAWING_TYPE}"/>')
            chart_no += len(charts)
        return "\n".join(overrides)


def _row_pieces(values, formulas, styles, compiled: bool) -> list:
    """A <row> as pieces (see _rowformat): its row number left open, numbers as Value(k) when compiled.

    Every cell carries its reference: ECMA-376 lets a reader infer a left-out one, but Gnumeric
    does not, and keeps only the first cell of a row written without them."""
    parts = ['<row r="', 0, '">']
    for k, v in enumerate(values):
        if v is None:
            continue
        f = formulas[k] if formulas else None
        style = styles[k] if styles and k < len(styles) else None
        parts += [f'<c r="{column_letters(k + 1)}', 0, '"' + (f' s="{xlsx_look.style_index(style)}"' if style else "")]
        formula = ["<f>", *escaped(f.pieces()), "</f>"] if f is not None else []
        if isinstance(v, str):  # a string, or a formula whose result is text
            parts += [' t="str">', *formula, f"<v>{escape(v)}</v></c>"] if formula else \
                     [f' t="inlineStr"><is><t>{escape(v)}</t></is></c>']
        else:
            parts += [">", *formula, "<v>", Value(k) if compiled else repr(float(v)), "</v></c>"]
    parts.append("</row>")
    return parts
