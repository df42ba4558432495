"""OpenDocument spreadsheets (.ods): a streaming reader and a streaming writer.

Formulas are OpenFormula (``of:=[.C8]*[.E8]``) in the file and the package's neutral
Excel A1 form (``C8*E8``) everywhere else: the reader translates them here, the writer renders
formula trees (:mod:`sheetnet.expression`) in OpenFormula.
"""

from __future__ import annotations

import re
import zipfile

from ..errors import SheetnetError
from ..expression import OPENFORMULA
from ..grid import Cell, address, sheet_name_problem
from . import MAX_COLS, MAX_ROWS, MAX_SHEETS, fastrows, ods_look
from ._arrays import Arrays
from ._deflate import Member
from ._rowformat import RowCompiler, Value, escaped
from ._xml import LONGEST_TEXT, escape, too_long
from ._zip import Zip, open_zip
from .ods_copy import Copy

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0}"

MAX_CELLS = 50_000_000
# Cells copied by number-rows/columns-repeated beyond the first: repeats multiply, so a few bytes
# could otherwise declare billions of cells. LibreOffice repeats empty cells, which cost nothing.
MAX_REPEATED = 1_000_000
# The writer repeats an empty cell or row at most this often in one element: ezodf, under
# pyexcel-ods3, reads an element repeated 32 times or more as one (its 'all_less_maxcount'
# default, against LibreOffice's 1,024 empty columns), moving every cell right of it.
MAX_WRITTEN_REPEAT = 31

# -- formulas -----------------------------------------------------------------------------------

_OF_REF = re.compile(r"\[(\$?(?:'(?:[^']|'')*'|[^.\[\]:']*))?\.(\$?[A-Za-z]+\$?\d+)(?::(?:\$?(?:'(?:[^']|'')*'|[^.\[\]:']*))?\.(\$?[A-Za-z]+\$?\d+))?\]")


# What changes from OpenFormula to the neutral form: a reference, or the argument separator ';'.
# A string is matched only to be left as it is, so that a ';' in it stays one.
_OF_PART = re.compile(rf'{_OF_REF.pattern}|(;)|"(?:[^"]|"")*"')


def _neutral_part(m: re.Match) -> str:
    sheet, first, last, separator = m.groups()
    if separator:
        return ","
    if first is None:
        return m.group(0)
    prefix = sheet.lstrip("$") + "!" if sheet else ""
    return prefix + first + (":" + last if last else "")


def from_openformula(text: str) -> str:
    """'of:=[.C8]*[.$A$8]' -> 'C8*$A$8'."""
    for prefix in ("of:=", "oooc:=", "msoxl:=", "="):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return _OF_PART.sub(_neutral_part, text)


# -- reading ------------------------------------------------------------------------------------


class _Reader:
    """expat callbacks that turn content.xml into events (see formats.Stream): a sheet's start,
    then each of its rows, collected in .events until the caller takes them."""

    def __init__(self, control):
        self.control = control  # its .skip: the number of the sheet whose rows are passed over
        self.events: list = []
        self.index = -1  # the number of the sheet being read, from 0
        self.sheet = None  # its name, inside a table
        self.row = 0
        self.col = 0
        self.cells = 0
        self.repeated = 0
        self.row_cells = None
        self.row_repeat = 1
        self.cell = None  # [value_type, attrs, formula, repeat, texts] of the cell being read
        self.gathered = 0  # characters of its texts
        self.paragraphs = None
        self.skip = 0  # depth inside annotations, whose text is not the cell's
        self.arrays = Arrays(None)  # the sheet's array formulas whose cells are still to come
        self.anchors: list = []  # (column, rows, columns, formula) of the arrays anchored in the row
        self.covered: list = []  # (column, value) of the row's cells that an array formula covers

    @property
    def dropped(self) -> bool:
        """Whether the sheet's rows are passed over, neither built nor kept."""
        return self.control.skip == self.index

    def start(self, name, attrs):
        if self.skip:
            self.skip += 1
        elif name == TABLE + "table-cell" or name == TABLE + "covered-table-cell":
            if self.row_cells is None or self.cell is not None:
                raise SheetnetError("content.xml has a table cell outside a table row")
            repeat = _count(attrs.get(TABLE + "number-columns-repeated"), MAX_COLS, "columns repeated")
            self.cell = [attrs.get(OFFICE + "value-type"), attrs, attrs.get(TABLE + "formula"), repeat, []]
            self.gathered = 0
            if self.cell[2] and TABLE + "number-matrix-columns-spanned" in attrs:
                self.array(attrs)
        elif name == TEXT + "p" and self.cell is not None:
            self._gather(1)  # the line break that joins it to the paragraph before
            self.cell[4].append([])
        elif name == TEXT + "s" and self.cell is not None and self.cell[4]:
            spaces = _count(attrs.get(TEXT + "c"), 10_000, "spaces")
            self._gather(spaces)  # a few bytes make 10,000
            self.cell[4][-1].append(" " * spaces)
        elif name == OFFICE + "annotation":
            self.skip = 1
        elif name == TABLE + "table-row":
            self.row_repeat = _count(attrs.get(TABLE + "number-rows-repeated"), MAX_ROWS, "rows repeated")
            self.row_cells = {}
            self.col = 0
        elif name == TABLE + "table":
            if self.index + 1 >= MAX_SHEETS:
                raise SheetnetError(f"more than {MAX_SHEETS:,} sheets")
            self.index += 1
            self.sheet = attrs.get(TABLE + "name", f"Sheet{self.index + 1}")
            self.events.append((self.index, self.sheet, 0, None))
            self.row = 0
            self.arrays = Arrays(self.sheet)

    def array(self, attrs) -> None:
        """An array formula's first cell: the formula and the cells it covers, rows and columns;
        a cell repeated by a count anchors one in each of its copies."""
        w = _count(attrs.get(TABLE + "number-matrix-columns-spanned"), MAX_COLS, "array columns")
        h = _count(attrs.get(TABLE + "number-matrix-rows-spanned"), MAX_ROWS, "array rows")
        if w * h > 1:
            formula = from_openformula(self.cell[2])
            for col in range(self.col + 1, self.col + 1 + self.cell[3]):
                self.arrays.add(self.row + 1, col, h, w, formula)
                self.anchors.append((col, h, w, formula))
            self.cell[2] = None  # each cell's element, as the cells it covers

    def text(self, data):
        if self.cell is not None and self.cell[4] and not self.skip:
            self._gather(len(data))
            self.cell[4][-1].append(data)

    def _gather(self, n: int) -> None:
        """Count n more characters of the cell's text; refused past LONGEST_TEXT."""
        self.gathered += n
        if self.gathered > LONGEST_TEXT:
            sheet, cell, _ = self.where()
            raise too_long("the cell", sheet=sheet, cell=cell)

    def where(self) -> tuple:
        """(sheet, cell, near) of what is being read (see _xml.chunks): in a row, the cell whose
        tag or text it is; between rows, the row it follows."""
        if self.sheet is None:
            return None, None, None
        if self.row_cells is None:
            return self.sheet, None, f"after row {self.row:,}" if self.row else None
        return self.sheet, address(self.row + 1, self.col + 1), None

    def end(self, name):
        if self.skip:
            self.skip -= 1
        elif name == TABLE + "table-cell" or name == TABLE + "covered-table-cell":
            self._end_cell()
        elif name == TABLE + "table-row":
            self._end_row()
        elif name == TABLE + "table":
            self.sheet = None
            self.arrays = Arrays(None)

    def _end_cell(self):
        value_type, attrs, formula, repeat, paragraphs = self.cell
        self.cell = None
        value = _value(value_type, attrs, paragraphs)
        formula = from_openformula(formula) if formula else None
        first, last = self.col + 1, self.col + repeat
        # The cells an array formula covers (its anchor too; LibreOffice writes them as table cells
        # with their numbers) each take their own element, repeated or not.
        covered = self.arrays.covered(self.row + 1, first, last) if formula is None and self.arrays else []
        made = repeat if value is not None or formula is not None else len(covered)
        if made:
            self.cells += made * self.row_repeat
            if self.cells > MAX_CELLS:
                raise SheetnetError(f"more than {MAX_CELLS:,} cells")
            if made * self.row_repeat > 1:
                self._count_repeats(made * self.row_repeat - 1)
            if value is not None or formula is not None:
                cell = Cell(value, formula)
                for col in range(first, last + 1):
                    self.row_cells[col] = cell
            for col, element in covered:
                self.row_cells[col] = Cell(value, element)
            self.covered += [(col, value) for col, _ in covered]
        self.col += repeat
        if self.col > MAX_COLS:
            raise SheetnetError(f"a row of more than {MAX_COLS:,} columns")

    def _count_repeats(self, copies: int) -> None:
        self.repeated += copies
        if self.repeated > MAX_REPEATED:
            raise SheetnetError(f"repeats non-empty cells more than {MAX_REPEATED:,} times (number-rows-repeated, "
                                "number-columns-repeated)", sheet=self.sheet)

    def _end_row(self):
        row_cells, self.row_cells = self.row_cells, None  # until the next row starts: cells need a row
        anchors, covered, self.anchors, self.covered = self.anchors, self.covered, [], []
        if self.sheet is None:
            return
        if row_cells and not self.dropped:
            for k in range(self.row_repeat):
                self.events.append((self.index, self.sheet, self.row + 1 + k,
                                    row_cells if k == 0 else self._copy(row_cells, self.row + 1 + k, anchors, covered)))
        self.row += self.row_repeat
        if self.row > MAX_ROWS:
            raise SheetnetError(f"sheet {self.sheet!r} has more than {MAX_ROWS:,} rows")
        self.arrays.retire(self.row + 1)

    def _copy(self, cells: dict, row: int, anchors: list, covered: list) -> dict:
        """The cells of a row repeated by a count, as row `row` holds them: its array formulas'
        anchors anchor arrays of their own there, and the cells arrays cover take that row's elements."""
        for col, h, w, formula in anchors:
            self.arrays.add(row, col, h, w, formula)
        cells = dict(cells)
        for col, value in covered:
            element = self.arrays.formula(row, col)
            if element is None and value is None:
                del cells[col]
            else:
                cells[col] = Cell(value, element)
        return cells


def _count(text, limit: int, what: str) -> int:
    if text is None:
        return 1
    try:
        n = int(text)
    except ValueError:
        raise SheetnetError(f"bad number of {what}: {text!r}") from None
    if not 1 <= n <= limit:
        raise SheetnetError(f"{n:,} {what} (at most {limit:,} allowed)")
    return n


def _value(value_type, attrs, paragraphs):
    if value_type in ("float", "percentage", "currency"):
        raw = attrs.get(OFFICE + "value")
        try:
            return float(raw)
        except (TypeError, ValueError):
            return "".join("".join(p) for p in paragraphs) or raw
    if value_type == "boolean":
        return attrs.get(OFFICE + "boolean-value") == "true"
    if paragraphs:
        return "\n".join("".join(p) for p in paragraphs)
    return None


def stream(path, control):
    """The events of the workbook at path (see formats.Stream), a list of them after each chunk read."""
    with open_zip(path) as z:
        if "content.xml" not in z.namelist():
            raise SheetnetError("not an OpenDocument spreadsheet (no content.xml)")
        _refuse_encrypted(z)
        reader = _Reader(control)
        with z.open("content.xml") as part:
            # Regular rows take a fast lane; everything else goes to the reader's callbacks.
            for _ in fastrows.scan(part, reader, fastrows.OdsRows(), "content.xml"):
                yield reader.events
                reader.events = []


_NAMED = re.compile(rb'<table:table(?=[\s>])[^>]*>|</table:table>|<table:named-(?:range|expression)(?=[\s/>])[^>]*>')
# The start of a tag _NAMED may match, and how many bytes of a tag tell whether it is one.
_WANTED = re.compile(rb'<(?:table:table[\s>]|/table:table>|table:named-(?:range|expression)[\s/>])')
_TELLS = len(b"<table:named-expression ")
# A table's or a named range's tag runs to a few hundred bytes: one longer than this is passed
# over as the tags not looked for are, so that what the scan holds stays bounded.
_LONGEST_TAG = 1 << 20
_ATTRIBUTE = re.compile(rb'([\w:.-]+)="([^"]*)"')


def defined_names(path, sheet: str | None = None) -> dict:
    """The workbook's named ranges and named expressions that name a cell or range (see
    formats.DefinedNames): content.xml scanned for them as it inflates (LibreOffice writes them
    after the sheets), a megabyte at a time, nothing of it kept."""
    with open_zip(path) as z:
        if "content.xml" not in z.namelist():
            return {}
        with z.open("content.xml") as part:
            return scan_names(part, sheet)


def scan_names(part, sheet: str | None = None) -> dict:
    """defined_names of the content.xml that the binary stream part gives. Each chunk is searched
    once, with at most the tag the chunk before left open: a tag of any length costs its length,
    and one that is none of those looked for (or longer than _LONGEST_TAG) is passed over, not kept."""
    found: dict = {}
    local: dict = {}
    buffer, table, passing = bytearray(), None, False  # passing: inside a tag not looked for
    while True:
        chunk = part.read(1 << 20)
        ended = not chunk
        if passing:
            end = chunk.find(b">")
            if end < 0 and not ended:
                continue
            chunk, passing = chunk[end + 1:], False
        held = len(buffer)  # a tag the chunk before left open, from its '<'
        buffer += chunk
        # Up to the last tag that the chunk leaves open; text without a tag is not kept.
        start = buffer.rfind(b"<", held)
        if start < 0 and held:
            start = 0
        cut = start if not ended and start >= 0 and buffer.find(b">", max(start, held)) < 0 else len(buffer)
        for m in _NAMED.finditer(buffer, 0, cut):
            tag = m.group(0)
            if tag == b"</table:table>":
                table = None
                continue
            attrs = {k.decode(): fastrows.unescape(v.decode("utf-8", "replace"))
                     for k, v in _ATTRIBUTE.findall(tag)}
            if tag.startswith(b"<table:table"):
                table = attrs.get("table:name")
            elif table is None or table == sheet:
                name = attrs.get("table:name")
                target = attrs.get("table:cell-range-address")
                target = "[" + target + "]" if target else attrs.get("table:expression")
                if name and target:
                    (found if table is None else local)[name.upper()] = from_openformula(target)
        del buffer[:cut]
        if len(buffer) > _LONGEST_TAG or len(buffer) >= _TELLS and not _WANTED.match(buffer):
            buffer.clear()
            passing = True
        if ended:
            break
    return found | local


def _refuse_encrypted(z: zipfile.ZipFile) -> None:
    # A password-protected .ods is a valid zip whose content.xml is ciphertext: say so rather
    # than report the ciphertext as broken XML.
    manifest = "META-INF/manifest.xml"
    if manifest in z.namelist() and z.getinfo(manifest).file_size < 10_000_000 and b"encryption-data" in z.read(manifest):
        raise SheetnetError("is password-protected; save it without a password to use it with sheetnet")


# -- writing ------------------------------------------------------------------------------------


class Writer:
    """Writes sheets row by row into content.xml as they come; memory does not grow with rows.
    file: a binary file for a workbook of its own, or an ods_copy.Copy, a copy of another
    workbook that the new sheets go into."""

    max_rows = MAX_ROWS  # rows in one sheet: LibreOffice's and Excel's limit

    def __init__(self, file):
        self.file = file
        self.package = None
        self.out = None
        self.row_no = 0
        self.rows = RowCompiler(_row_pieces)
        self.objects = []  # (name, content.xml) of the chart objects, written at the end
        self.freezes = {}  # sheet name -> first scrolling cell

    def __enter__(self):
        self.package = self.file if isinstance(self.file, Copy) else _Package(self.file)
        try:
            self.package.part("styles.xml", ods_look.styles_xml())
            self.out = self.package.content(
                f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ods_look.NAMESPACES}>'
                f"{ods_look.automatic_styles()}<office:body><office:spreadsheet>",
                "</office:spreadsheet></office:body></office:document-content>")
        except BaseException:
            self.package.abort()
            raise
        self.in_table = False
        return self

    def sheet(self, name: str, *, charts=(), widths=None, freeze=None, fit_page=False) -> None:
        """Start a sheet: charts (styles.Chart), column widths in characters from column 1,
        freeze: the first cell that scrolls ('C8'), fit_page: print it on one landscape page."""
        problem = sheet_name_problem(name, longest=None)  # LibreOffice takes names longer than Excel's
        if problem:
            raise SheetnetError(problem)
        self._close_table()
        style = f' table:style-name="{ods_look.FIT_TABLE}"' if fit_page else ""
        shapes, objects = ods_look.shapes(charts, widths, len(self.objects) + 1)
        self.objects += objects
        self.package.objects([name for name, _ in objects])
        if freeze:
            self.freezes[name] = freeze
        self.out.named(f'<table:table table:name="{escape(name)}"{style}>{shapes}{ods_look.columns(widths)}')
        self.in_table = True
        self.row_no = 0

    def _close_table(self):
        if self.in_table:
            self.out.write("</table:table>")

    def row(self, r: int, values: list, formulas: list | None = None, styles: list | None = None) -> None:
        """Write row r (ascending, from 1): values from column 1, with formulas
        (:mod:`sheetnet.expression` trees) and style names (styles.STYLES; None: unstyled)."""
        for gap in _runs(r - self.row_no - 1):
            self.out.write(f'<table:table-row table:number-rows-repeated="{gap}"><table:table-cell/></table:table-row>')
        self.row_no = r
        # Only a row with styles names any (a style, in a copy maybe renamed).
        (self.out.write if styles is None else self.out.named)(self.rows(values, formulas, r, styles))

    def __exit__(self, kind, *_):
        if kind is not None:
            self._give_up()
            return
        try:
            self._close_table()
            self.out.close()
            # The zip takes one member at a time: the parts known only by now follow content.xml.
            for name, content in self.objects:
                self.package.part(f"{name}/content.xml", content)
            self.package.part("settings.xml", ods_look.settings_xml(self.freezes))
            self.package.part("META-INF/manifest.xml", ods_look.manifest(name for name, _ in self.objects))
        except BaseException:
            self._give_up()
            raise
        self.package.close()

    def _give_up(self) -> None:
        # The member first (its thread stopped, its stream closed; again after close(), nothing),
        # so that the package can close.
        self.out.abort()
        self.package.abort()


class _Package:
    """A writer's workbook of its own: a new .ods package in a binary file."""

    def __init__(self, file):
        self.zip = Zip(file, "w", compression=zipfile.ZIP_DEFLATED)
        self.zip.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                          compress_type=zipfile.ZIP_STORED)

    def part(self, name: str, data: str) -> None:
        self.zip.writestr(name, data)

    def objects(self, names: list) -> None:
        """Chart objects keep their names in a package of their own."""

    def content(self, head: str, tail: str) -> _Content:
        return _Content(Member(self.zip, "content.xml"), head, tail)

    def close(self) -> None:
        self.zip.close()

    abort = close


class _Content:
    """content.xml of a package of its own: the head, the tables as written, the tail."""

    def __init__(self, out: Member, head: str, tail: str):
        self.out, self.tail = out, tail
        self.write = self.named = out.write  # nothing to rename
        out.write(head)

    def close(self) -> None:
        self.out.write(self.tail)
        self.out.close()

    def abort(self) -> None:
        self.out.abort()


def _row_pieces(values, formulas, styles, compiled: bool) -> list:
    """A <table:table-row> as pieces (see _rowformat): the non-empty cells, runs of empty cells
    between them written as one repeated cell; numbers as Value(k) when compiled."""
    parts, empty = ["<table:table-row>"], 0
    for k, v in enumerate(values):
        f = formulas[k] if formulas else None
        if v is None and f is None:
            empty += 1
            continue
        parts += [f'<table:table-cell table:number-columns-repeated="{run}"/>' if run > 1 else "<table:table-cell/>"
                  for run in _runs(empty)]
        empty = 0
        parts.append("<table:table-cell")
        if f is not None:
            parts += [' table:formula="', *escaped(f.pieces(OPENFORMULA)), '"']
        if styles and k < len(styles) and styles[k]:
            parts.append(f' table:style-name="{ods_look.cell_style(styles[k])}"')
        if isinstance(v, str):
            parts.append(f' office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>')
        else:
            parts += [' office:value-type="float" office:value="', Value(k) if compiled else repr(float(v)), '"/>']
    parts.append("</table:table-row>")
    return parts


def _runs(count: int) -> list:
    """count repeats as runs of at most MAX_WRITTEN_REPEAT."""
    return [min(MAX_WRITTEN_REPEAT, count - k) for k in range(0, max(count, 0), MAX_WRITTEN_REPEAT)]
