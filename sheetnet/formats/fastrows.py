"""The readers' fast lane: rows that all look alike, read by regular expressions.

A long training's sheet holds millions of cells in rows of one shape. expat calls Python for
every element, start and end, which costs half a minute for 100,000 rows. Here a format's
regular rows (cells of known attributes in a known order, plain text, no markup inside) are
cut into their fields by one regular expression each and go through the same cell and row
logic as the reader's callbacks; everything else (the document's head, sheets, captions, any
row the pattern does not cover) still goes through expat to those callbacks, in document
order. The patterns accept only well-formed XML, so the result is the same Book, cell for
cell, and every limit of the reader holds.

The fast lane stays off, and expat reads the whole part as before, unless the part is UTF-8
and binds the namespaces the patterns rely on in its root element; it turns off for the rest
of the part at the first comment, CDATA section, processing instruction or namespace
declaration that could hide or rename a row.
"""

from __future__ import annotations

import codecs
import functools
import gc
import operator
import re
import xml.parsers.expat

from ..errors import SheetnetError
from ..grid import Cell, column_number
from ._xml import CHUNK, parser

# Characters XML allows in text, less the markup and what expat would normalise (\r; and in
# attribute values also tab and newline); entities only the predefined five.
_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff<&"
_ENTITY = "&(?:lt|gt|amp|quot|apos);"
ATTR = rf'[^"{_CHARS}\t\n\r]*(?:{_ENTITY}[^"{_CHARS}\t\n\r]*)*'
TEXT = rf"[^{_CHARS}\r]*(?:{_ENTITY}[^{_CHARS}\r]*)*"
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))  # &amp; last
_DECLARATION = re.compile(r'<\?xml[^?]*?(?:encoding=["\']([^"\']*)["\'])?[^?]*\?>')


def unescape(text: str | None) -> str | None:
    """Text or an attribute's value as expat reports it."""
    if text and "&" in text:
        for entity, char in _ENTITIES:
            text = text.replace(entity, char)
    return text


class Rows:
    """What one format's regular rows look like and what its reader does with one."""

    row_start = row_end = ""  # the text that opens and closes a row element
    row_tag: re.Pattern  # the whole start tag of a regular row, matched at row_start
    cell: re.Pattern  # one regular cell; split by it, a regular row's content leaves no gaps
    groups = 0  # groups in cell
    root: re.Pattern  # the root element's start tag, with the namespace bindings the patterns need
    rebinding: re.Pattern  # a namespace declaration past the root that turns the fast lane off

    def clean(self, reader) -> bool:
        """Whether the reader is between elements that a row could start after."""
        raise NotImplementedError

    def row(self, reader, tag: re.Match, parts: list, body: str) -> None:
        raise NotImplementedError


def scan(stream, reader, rows: Rows, member: str) -> None:
    """Feed an XML part from a binary stream to a reader's callbacks, regular rows by the fast lane."""
    slow = parser()
    slow.StartElementHandler, slow.EndElementHandler, slow.CharacterDataHandler = reader.start, reader.end, reader.text
    slow.buffer_text, slow.buffer_size = True, CHUNK
    decoder = codecs.getincrementaldecoder("utf-8")()
    lane = _Lane(reader, rows, slow)
    buffer, decoding = "", None
    # The cells are millions of small tuples in dicts, none in a reference cycle: the cyclic
    # garbage collector would only scan them again and again while they are made.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while chunk := stream.read(CHUNK):
            if decoding is None:
                decoding = lane.fast = _utf8(chunk)
            if lane.fast:
                buffer = lane.take(buffer + decoder.decode(chunk))
            elif decoding:  # the fast lane turned off: go on as text, a character may be cut
                slow.Parse(buffer + decoder.decode(chunk), False)
                buffer = ""
            else:
                slow.Parse(chunk, False)
        if decoding:
            slow.Parse(buffer + decoder.decode(b"", True), False)
        slow.Parse(b"", True)
    except xml.parsers.expat.ExpatError as e:
        raise SheetnetError(f"{member} is not well-formed XML ({e})") from None
    except UnicodeDecodeError as e:
        raise SheetnetError(f"{member} is not well-formed XML (not UTF-8: {e.reason})") from None
    finally:
        if collecting:
            gc.enable()


def _utf8(head: bytes) -> bool:
    """Whether a part that starts so is UTF-8, as the fast lane's text is."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    declaration = _DECLARATION.match(head.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace"))
    return not declaration or (declaration.group(1) or "utf-8").lower() in ("utf-8", "utf8")


class _Lane:
    def __init__(self, reader, rows: Rows, slow):
        self.reader, self.rows, self.slow = reader, rows, slow
        self.fast = True
        self.seen_root = False

    def feed_slow(self, text: str) -> None:
        probe = text
        if not self.seen_root:
            # Before the root element only the XML declaration (and a BOM) may stand, and the
            # root must bind the namespaces as the patterns expect.
            root = self.rows.root.search(text)
            prolog = _DECLARATION.sub("", text[:root.start()] if root else text, count=1)
            if "<" in prolog:
                self.fast = False
            probe = text[root.end():] if root else ""
            self.seen_root = root is not None
        if "<!" in probe or "<?" in probe or self.rows.rebinding.search(probe):
            self.fast = False
        self.slow.Parse(text, False)

    def take(self, buffer: str) -> str:
        """Read every complete row in buffer; return what is left for the next chunk."""
        rows, reader = self.rows, self.reader
        pos = 0
        while self.fast:
            start = buffer.find(rows.row_start, pos)
            if start < 0:
                break
            end = buffer.find(rows.row_end, start)
            if end < 0:
                break
            if start > pos:  # first what comes before the row, so that the reader's state is current
                self.feed_slow(buffer[pos:start])
                pos = start
            tag = rows.row_tag.match(buffer, start)
            if tag and self.fast and self.seen_root and rows.clean(reader):
                body = buffer[tag.end():end]
                parts = rows.cell.split(body)
                # No gaps between the cells, and nothing XML forbids that the cell pattern lets through.
                if not any(parts[::rows.groups + 1]) and "]]>" not in body:
                    rows.row(reader, tag, parts, body)
                    pos = end + len(rows.row_end)
                    continue
            end += len(rows.row_end)
            self.feed_slow(buffer[pos:end])
            pos = end
        if not self.fast:
            self.feed_slow(buffer[pos:])
            return ""
        # Keep from the last '<' on: a tag, comment or row cut by the chunk's end stays whole.
        keep = max(buffer.rfind("<"), pos)
        if keep > pos:
            self.feed_slow(buffer[pos:keep])
        return buffer[keep:]


# -- OpenDocument -----------------------------------------------------------------------------------


class OdsRows(Rows):
    """Rows of <table:table-cell> as LibreOffice and sheetnet write them: a style, a repeat
    count, a formula, a value type and value, at most one plain paragraph."""

    row_start, row_end = "<table:table-row", "</table:table-row>"
    row_tag = re.compile(f'<table:table-row(?: table:style-name="{ATTR}")?>')
    cell = re.compile(
        f'<table:table-cell(?: table:style-name="{ATTR}")?(?: table:number-columns-repeated="({ATTR})")?'
        f'(?: table:formula="({ATTR})")?(?: office:value-type="((?!boolean"){ATTR})")?(?: office:value="({ATTR})")?'
        f'(?: calcext:value-type="{ATTR}")?(?:/>|>(<text:p>({TEXT})</text:p>)?</table:table-cell>)')
    groups = 6  # repeat, formula, value type, value, paragraph, its text
    root = re.compile(
        r'<office:document-content\b(?=[^>]*\sxmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0")'
        r'(?=[^>]*\sxmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0")'
        r'(?=[^>]*\sxmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0")'
        r'(?=[^>]*\sxmlns:calcext=")[^>]*>')
    rebinding = re.compile(r"xmlns:(?:office|table|text|calcext)\s*=")
    # A '[' that does not open a plain same-sheet reference such as [.C8] or [.$A$8].
    _NOT_PLAIN = re.compile(r"\[(?!\.\$?[A-Za-z]+\$?\d+\])")

    def __init__(self):
        from . import ods  # the reader's module, for its helpers and limits; it imports this one

        self.ods = ods

    def clean(self, reader) -> bool:
        return reader.cell is None and not reader.skip

    def row(self, reader, tag, parts, body) -> None:
        """What the reader's callbacks do for <table:table-row> and its cells."""
        reader.row_repeat, reader.row_cells, reader.col = 1, {}, 0
        if reader.dropped:  # a sheet formats.read leaves out: no cells to build
            reader._end_row()
            return
        columns = _unescaped([parts[k::self.groups + 1] for k in range(1, self.groups + 1)], body)
        if not self._numbers(reader, *columns):
            self._cells(reader, *columns)
        reader._end_row()

    def _numbers(self, reader, repeats, formulas, types, values, paragraphs, texts) -> bool:
        """The common row, its numbers all at once: empty cells, and numbers with or without
        formulas. False, having changed nothing, for any other row."""
        ods, n = self.ods, len(types)
        if types.count("float") + types.count(None) != n:
            return False
        cols, at, col = [], [], 0  # the columns and the indices of the numbers
        for k in range(n):
            if types[k] is None:
                if values[k] is not None or formulas[k] is not None or paragraphs[k] is not None:
                    return False
                col += 1 if repeats[k] is None else ods._count(repeats[k], ods.MAX_COLS, "columns repeated")
                if col > ods.MAX_COLS:
                    raise SheetnetError(f"a row of more than {ods.MAX_COLS:,} columns")
            elif repeats[k] is not None or values[k] is None:
                return False
            else:
                col += 1
                cols.append(col)
                at.append(k)
        pick = _picker(at)
        try:
            numbers = list(map(float, pick(values)))
        except ValueError:
            return False
        shown = pick(formulas)
        translated = self._translate(list(filter(None, shown)))
        if len(translated) != len(shown):  # some numbers have no formula
            translated = iter(translated)
            translated = [next(translated) if f else None for f in shown]
        reader.row_cells.update(zip(cols, map(_cells_of, zip(numbers, translated))))
        self._count_cells(reader, len(at), col)
        return True

    def _cells(self, reader, repeats, formulas, types, values, paragraphs, texts) -> None:
        """Any regular row, cell by cell, as the reader's callbacks would. The limits are checked
        as the reader checks them; for cells without a repeat count once at the end of the row,
        which is at most a chunk long."""
        ods = self.ods
        translated = iter(self._translate([f for f in formulas if f]))
        row_cells, col, stored = reader.row_cells, 0, 0
        for repeat, formula, value_type, value, paragraph, text in zip(repeats, formulas, types, values, paragraphs,
                                                                        texts):
            number = None
            if value_type == "float" and value is not None:
                try:
                    number = float(value)
                except ValueError:
                    pass
            if number is None:
                value = ods._value(value_type, {} if value is None else {ods.OFFICE + "value": value},
                                   [[text]] if paragraph else [])
            else:
                value = number
            present = formula is not None  # as in the reader, an empty formula still keeps the cell
            formula = next(translated) if formula else None
            if repeat is None:
                col += 1
                if value is not None or present:
                    row_cells[col] = Cell(value, formula)
                    stored += 1
                continue
            n = ods._count(repeat, ods.MAX_COLS, "columns repeated")
            if value is not None or present:
                cell = Cell(value, formula)
                reader.cells += n
                if reader.cells > ods.MAX_CELLS:
                    raise SheetnetError(f"more than {ods.MAX_CELLS:,} cells")
                if n > 1:
                    reader._count_repeats(n - 1)
                for c in range(col + 1, col + 1 + n):
                    row_cells[c] = cell
            col += n
            if col > ods.MAX_COLS:
                raise SheetnetError(f"a row of more than {ods.MAX_COLS:,} columns")
        self._count_cells(reader, stored, col)

    def _count_cells(self, reader, stored: int, col: int) -> None:
        ods = self.ods
        reader.col = col
        reader.cells += stored
        if reader.cells > ods.MAX_CELLS:
            raise SheetnetError(f"more than {ods.MAX_CELLS:,} cells")
        if col > ods.MAX_COLS:
            raise SheetnetError(f"a row of more than {ods.MAX_COLS:,} columns")

    def _translate(self, formulas: list) -> list:
        """ods.from_openformula of each formula; in bulk for rows of plain same-sheet references
        ([.C8], [.$A$8]), which is what a row of the classic layout holds."""
        if not formulas:
            return []
        # '\0' cannot occur in XML, so it separates the formulas safely.
        joined = "\0" + "\0".join(formulas)
        if joined.count("\0of:=") == len(formulas):  # each starts with of:=
            joined = joined.replace("\0of:=", "\0")
            # When every '[' opens a plain reference and every ']' closes one, dropping '[.' and
            # ']' is exactly what from_openformula does.
            if not self._NOT_PLAIN.search(joined) and joined.count("[") == joined.count("]"):
                return joined.replace("[.", "").replace("]", "").replace(";", ",").split("\0")[1:]
        return [self.ods.from_openformula(f) for f in formulas]


def _picker(indices: list):
    """A function that takes these items of a list, as a tuple, in C."""
    if len(indices) == 1:
        return lambda items: (items[indices[0]],)
    return operator.itemgetter(*indices) if indices else lambda items: ()


def _unescaped(columns: list, body: str) -> list:
    """The fields of a row's cells, column by column, entities replaced where there are any."""
    if "&" not in body:
        return columns
    return [list(map(unescape, c)) if "&" in "".join(filter(None, c)) else c for c in columns]


_cells_of = functools.partial(tuple.__new__, Cell)  # Cell(value, formula) from a pair, in C: millions of calls


# -- Office Open XML ----------------------------------------------------------------------------------


class XlsxRows(Rows):
    """Rows of <c> as sheetnet, LibreOffice and Excel write them: a reference, a style, a type,
    an optional plain formula and a value (shared formulas and inline strings take expat)."""

    row_start, row_end = "<row ", "</row>"
    row_tag = re.compile(
        f'<row r="([0-9]+)"(?: spans="{ATTR}")?(?: s="{ATTR}")?(?: customFormat="{ATTR}")?(?: ht="{ATTR}")?'
        f'(?: hidden="{ATTR}")?(?: customHeight="{ATTR}")?(?: outlineLevel="{ATTR}")?(?: collapsed="{ATTR}")?>')
    cell = re.compile(  # the reference may be left out: the cell is then right of the one before
        f'<c(?: r="([A-Z]{{1,3}})([0-9]+)")?(?: s="{ATTR}")?(?: t="({ATTR})")?'
        f'(?:/>|>(?:<f(?: aca="(?:false|true)")?>({TEXT})</f>)?(?:<v>({TEXT})</v>)?</c>)')
    groups = 5  # column letters, row digits, type, formula, value
    root = re.compile(r'<worksheet\b(?=[^>]*\sxmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main")'
                      r"[^>]*>")
    rebinding = re.compile(r'xmlns\s*=')

    def __init__(self):
        from . import xlsx  # the reader's module, for its limits; it imports this one

        self.xlsx = xlsx
        self.columns: dict = {}  # column letters -> number, for the few columns a sheet has

    def clean(self, reader) -> bool:
        return reader.cell is None and reader.buffer is None

    def row(self, reader, tag, parts, body) -> None:
        """What the reader's callbacks do for <row> and its cells."""
        reader.start_row(int(tag.group(1)))
        columns = _unescaped([parts[k::self.groups + 1] for k in range(1, self.groups + 1)], body)
        if not self._numbers(reader, *columns):
            self._cells(reader, *columns)

    def _column(self, letters: str) -> int:
        col = self.columns.get(letters)
        if col is None:
            col = self.columns[letters] = column_number(letters)
        return col

    def _numbers(self, reader, letters, digits, kinds, formulas, values) -> bool:
        """The common row, all at once: numbers with or without formulas, in one row of the
        sheet. False, having changed nothing, for any other row."""
        xlsx, n = self.xlsx, len(values)
        if not n or kinds.count(None) + kinds.count("n") != n or None in values:
            return False
        row = reader.row
        if None in letters:
            if digits.count(None) + digits.count(str(row)) != n:
                return False
            cols, col = [], 0
            for at in letters:
                col = self._column(at) if at else col + 1
                cols.append(col)
        elif digits.count(str(row)) == n:
            cols = list(map(self._column, letters))
        else:
            return False
        if row > xlsx.MAX_ROWS or max(cols) > xlsx.MAX_COLS:
            return False
        try:
            numbers = list(map(float, values))
        except ValueError:
            return False
        if None in formulas or "" in formulas:
            formulas = [f or None for f in formulas]
        reader.budget[0] += n
        if reader.budget[0] > xlsx.MAX_CELLS:
            raise SheetnetError(f"more than {xlsx.MAX_CELLS:,} cells")
        cells = reader.sheet.rows.setdefault(row, {})
        cells.update(zip(cols, map(_cells_of, zip(numbers, formulas))))
        reader.col = cols[-1]
        return True

    def _cells(self, reader, letters, digits, kinds, formulas, values) -> None:
        """Any regular row, cell by cell, as the reader's callbacks would."""
        xlsx = self.xlsx
        for letters_, digits_, kind, formula, value in zip(letters, digits, kinds, formulas, values):
            row, col = (int(digits_), self._column(letters_)) if letters_ else (reader.row, reader.col + 1)
            if row > xlsx.MAX_ROWS or col > xlsx.MAX_COLS:
                raise SheetnetError(f"cell {letters_}{digits_} lies beyond the largest sheet ({xlsx.MAX_ROWS:,} rows)")
            reader.col = col
            reader.value, reader.inline = value, None
            value = reader._value(kind or "n", row, col)
            formula = formula or None
            if value is None and formula is None:
                continue
            reader.budget[0] += 1
            if reader.budget[0] > xlsx.MAX_CELLS:
                raise SheetnetError(f"more than {xlsx.MAX_CELLS:,} cells")
            reader.sheet.set(row, col, Cell(value, formula))
