"""The readers' fast lane: rows that all look alike, read by regular expressions.

A long training's sheet holds millions of cells in rows of one shape. expat calls Python for
every element, start and end, which costs half a minute for 100,000 rows. Here a format's
regular rows (cells of known attributes in a known order, plain text, no markup inside) are
cut into their fields by one regular expression each and go through the same cell and row
logic as the reader's callbacks; everything else (the document's head, sheets, captions, any
row the pattern does not cover) still goes through expat to those callbacks, in document
order. The patterns accept only well-formed XML, so the result is the same Book, cell for
cell, and every limit of the reader holds.

Faster still, a row whose markup is that of a row read before, only its numbers and formulas
differing (a long training's rows), is cut by plain string operations (see Shape), without
even the regular expression.

The fast lane stays off, and expat reads the whole part as before, unless the part is UTF-8
and binds the namespaces the patterns rely on in its root element; it turns off for the rest
of the part at the first comment, CDATA section, processing instruction or namespace
declaration that could hide or rename a row, and at a tag too long to hold (HELD) while the
chunks after it arrive.
"""

from __future__ import annotations

import codecs
import gc
import itertools
import operator
import re
import xml.parsers.expat
from array import array

from ..errors import SheetnetError
from ..grid import Cell, Columns, Row, column_number
from ._xml import CHUNK, chunks, parser

# Characters XML allows in text, less the markup and what expat would normalise (\r; and in
# attribute values also tab and newline); entities only the predefined five.
_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff<&"
_ENTITY = "&(?:lt|gt|amp|quot|apos);"
ATTR = rf'[^"{_CHARS}\t\n\r]*(?:{_ENTITY}[^"{_CHARS}\t\n\r]*)*'
TEXT = rf"[^{_CHARS}\r]*(?:{_ENTITY}[^{_CHARS}\r]*)*"
_REPLACED = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))  # &amp; last
_DECLARATION = re.compile(r'<\?xml[^?]*?(?:encoding=["\']([^"\']*)["\'])?[^?]*\?>')
# The most of a tag cut by a chunk's end (with any text after it) that the fast lane holds for
# the next chunk; a longer one, and the rest of the part, take expat.
HELD = 1 << 20


def unescape(text: str | None) -> str | None:
    """Text or an attribute's value as expat reports it."""
    if text and "&" in text:
        for entity, char in _REPLACED:
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

    def _columns(self, cols: list) -> Columns:
        """One Columns for all the rows with these columns (self.columns: the ones seen)."""
        cols = tuple(cols)
        found = self.columns.get(cols)
        if found is None:
            found = self.columns[cols] = Columns.of(cols)
        return found

    def quick(self, reader, tag: re.Match, body: str) -> bool:
        """Read a row shaped like one read before (see Shape); False, having changed nothing, for any other."""
        return False

    def row(self, reader, tag: re.Match, parts: list, body: str) -> None:
        raise NotImplementedError


def scan(stream, reader, rows: Rows, member: str):
    """Feed an XML part from a binary stream to a reader's callbacks, regular rows by the fast lane;
    a generator that yields (nothing) after each chunk, so that its caller can take the rows read."""
    slow = parser(member)
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
        for chunk in chunks(stream, member, CHUNK, reader.where):
            if decoding is None:
                decoding = lane.fast = _utf8(chunk)
            if lane.fast:
                buffer = lane.take(buffer + decoder.decode(chunk))
            elif decoding:  # the fast lane turned off: go on as text, a character may be cut
                slow.Parse(buffer + decoder.decode(chunk), False)
                buffer = ""
            else:
                slow.Parse(chunk, False)
            if collecting:  # the caller's own work between chunks may make cycles
                gc.enable()
            yield
            gc.disable()
        if decoding:
            slow.Parse(buffer + decoder.decode(b"", True), False)
        slow.Parse(b"", True)
        yield
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
                if rows.quick(reader, tag, body):
                    pos = end + len(rows.row_end)
                    continue
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
        if len(buffer) - keep > HELD:  # held, it would be searched again with every chunk
            self.fast = False
            keep = len(buffer)
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
        self.shapes = Shapes()
        self.columns: dict = {}  # column numbers -> their Columns, shared by the rows
        self.plain: dict = {}  # see _plain

    def clean(self, reader) -> bool:
        # Cells an array formula covers take the reader's callbacks, which give them its element.
        return reader.cell is None and not reader.skip and not reader.arrays

    def row(self, reader, tag, parts, body) -> None:
        """What the reader's callbacks do for <table:table-row> and its cells."""
        reader.row_repeat, reader.row_cells, reader.col = 1, {}, 0
        if reader.dropped:  # a sheet formats.read leaves out: no cells to build
            reader._end_row()
            return
        columns = _unescaped([parts[k::self.groups + 1] for k in range(1, self.groups + 1)], body)
        row = self._numbers(*columns)
        if row is None:
            self._cells(reader, *columns)
        else:
            if self.shapes.learning():
                self.shapes.learn(self._shape(body, *row))
            reader.row_cells = row[0]
            self._count_cells(reader, len(row[0]), row[1])
        reader._end_row()

    def quick(self, reader, tag, body) -> bool:
        if reader.dropped:
            return self._skip(reader, body)
        found = self.shapes.match(body)
        if found is None:
            return False
        shape, fields = found
        try:
            numbers = array("d", map(float, shape.numbers(fields)))
        except ValueError:
            return False
        translated = self._translate(shape.formulas(fields))
        if translated is None:
            return False
        reader.row_repeat, reader.row_cells, reader.col = 1, Row(shape.columns, numbers, translated), 0
        self._count_cells(reader, len(shape.columns.numbers), shape.width)
        reader._end_row()
        return True

    def _skip(self, reader, body: str) -> bool:
        """Pass over a row of a sheet formats.read leaves out, as .xlsx passes over the rest of
        such a sheet: its cells are neither built nor checked. A row that may hold a row or a
        table start or end besides cells is left to the reader."""
        if body.count("table:table") != body.count("table:table-cell"):
            return False
        reader.row_repeat, reader.row_cells, reader.col = 1, {}, 0
        reader._end_row()
        return True

    def _numbers(self, repeats, formulas, types, values, paragraphs, texts) -> tuple | None:
        """The common row as (a Row, the column after its last cell): empty cells, and numbers
        with or without formulas. None for any other row."""
        ods, n = self.ods, len(types)
        if types.count("float") + types.count(None) != n:
            return None
        cols, at, col = [], [], 0  # the columns and the indices of the numbers
        for k in range(n):
            if types[k] is None:
                if values[k] is not None or formulas[k] is not None or paragraphs[k] is not None:
                    return None
                col += 1 if repeats[k] is None else ods._count(repeats[k], ods.MAX_COLS, "columns repeated")
                if col > ods.MAX_COLS:
                    raise SheetnetError(f"a row of more than {ods.MAX_COLS:,} columns")
            elif repeats[k] is not None or values[k] is None:
                return None
            else:
                col += 1
                cols.append(col)
                at.append(k)
        if not at:
            return None
        pick = _picker(at)
        try:
            numbers = array("d", map(float, pick(values)))
        except ValueError:
            return None
        translated = self._translate(pick(formulas))
        if translated is None:
            return None
        return Row(self._columns(cols), numbers, translated), col

    def _shape(self, body: str, row: Row, width: int) -> Shape | None:
        """The Shape of a row _numbers has read: its fields are the formulas and numbers of its
        cells, and the text shown for each number (LibreOffice writes it; the number is read)."""
        fields, numbers, formulas = [], [], []
        for m in self.cell.finditer(body):
            if m.group(3) is None:  # an empty cell: markup
                continue
            if m.group(2) is None:
                formulas.append(None)
            else:
                formulas.append(len(fields))
                fields.append(m.span(2))
            numbers.append(len(fields))
            fields.append(m.span(4))
            if m.group(5) is not None:
                fields.append(m.span(6))
        return Shape.of(body, fields, numbers, formulas, row.columns, width)

    def _cells(self, reader, repeats, formulas, types, values, paragraphs, texts) -> None:
        """Any regular row, cell by cell, as the reader's callbacks would. The limits are checked
        as the reader checks them; for cells without a repeat count once at the end of the row,
        which is at most a chunk long."""
        ods = self.ods
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
            formula = ods.from_openformula(formula) if formula else None
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

    def _translate(self, formulas) -> str | None:
        """ods.from_openformula of each formula (None or '' for a cell without one), joined by
        Row.SEPARATOR; in bulk for rows of plain same-sheet references ([.C8], [.$A$8]), which is
        what a row of the classic layout holds. None if a formula is a bare 'of:=', which reads as
        '' and so could not be told apart from no formula in a Row."""
        if None in formulas:
            formulas = [f or "" for f in formulas]
        joined = SEP + SEP.join(formulas) + SEP
        if any(bare in joined for bare in _BARE):
            return None
        if joined.count(SEP + "of:=") == len(formulas) - formulas.count(""):  # each starts with of:=
            joined = joined.replace(SEP + "of:=", SEP)
            # When every '[' opens a plain reference and every ']' closes one, dropping '[.' and
            # ']' is exactly what from_openformula does.
            if self._plain(joined):
                return joined[1:-1].replace("[.", "").replace("]", "").replace(";", ",")
        return SEP.join([self.ods.from_openformula(f) if f else "" for f in formulas])

    def _plain(self, joined: str) -> bool:
        """Whether every '[' of the formulas opens a plain reference and every ']' closes one.
        That does not change with the digits, and rows of one sheet differ in little else: the
        answer is kept for the formulas with their digits made 0."""
        skeleton = joined.encode().translate(_ZERO_DIGITS)
        plain = self.plain.get(skeleton)
        if plain is None:
            plain = not self._NOT_PLAIN.search(joined) and joined.count("[") == joined.count("]")
            if len(self.plain) > 1000:
                self.plain.clear()
            self.plain[skeleton] = plain
        return plain


_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
SEP = Row.SEPARATOR
_BARE = tuple(f"{SEP}{prefix}{SEP}" for prefix in ("of:=", "oooc:=", "msoxl:=", "="))


class Shape:
    """The markup of a row read before, less its fields (the formulas and numbers of its cells):
    the text before the first field, between each two and after the last.

    A row of the same markup around other fields is cut into them by str.replace and str.split,
    several times faster than by the regular expression, and exactly: the row rebuilt from the
    fields found and the shape's markup must be the row read. A field is an attribute value or a
    paragraph's text and must hold no markup ('"', '<', ']]>', an '&' that opens no entity of
    XML's five) and no control character, so that a row a Shape cuts is as well-formed as the
    row the Shape was taken from.
    """

    MAX_SEPARATORS = 4  # distinct texts between fields: each costs a pass of str.replace

    def __init__(self, prefix: str, separators: list, suffix: str, numbers: list, formulas: list,
                 columns: Columns, width: int):
        self.prefix, self.separators, self.suffix = prefix, separators, suffix
        self.distinct = sorted(set(separators), key=len, reverse=True)  # the longest first: one may hold another
        self.count = len(separators) + 1  # fields
        self.columns, self.width = columns, width  # the cells' columns; the column after the row's last cell
        self.numbers = _picker(numbers)  # fields -> the cells' numbers
        # fields -> the cells' formulas, '' (a field appended) for a cell without one
        self.blank = None in formulas
        self._formulas = _picker([self.count if f is None else f for f in formulas])

    @classmethod
    def of(cls, body: str, spans: list, numbers: list, formulas: list, columns: Columns, width: int):
        """The Shape of a row whose fields stand at spans ((start, end) in body), or None."""
        separators = [body[a[1]:b[0]] for a, b in itertools.pairwise(spans)]
        if not spans or len(set(separators)) > cls.MAX_SEPARATORS or "" in separators:
            return None
        return cls(body[:spans[0][0]], separators, body[spans[-1][1]:], numbers, formulas, columns, width)

    def fields(self, body: str) -> list | None:
        """The fields of a row of this shape, entities replaced; or None."""
        start, end = len(self.prefix), len(body) - len(self.suffix)
        if end < start or not body.startswith(self.prefix) or not body.endswith(self.suffix):
            return None
        middle = marked = body[start:end]
        for separator in self.distinct:
            marked = marked.replace(separator, SEP)
        if not marked.isascii() or len(marked.encode().translate(None, _NOT_IN_FIELDS)) != len(marked):
            return None
        fields = marked.split(SEP)
        if len(fields) != self.count:
            return None
        rebuilt = list(itertools.chain.from_iterable(zip(fields, self.separators)))
        rebuilt.append(fields[-1])
        if "".join(rebuilt) != middle or "]]>" in marked:
            return None
        if "&" in marked:  # entities, such as &gt; in a formula: the five of XML only
            if marked.count("&") != sum(map(marked.count, _ENTITIES)):
                return None
            fields = unescape(marked).split(SEP)
        return fields

    def formulas(self, fields: list) -> tuple:
        return self._formulas(fields + [""] if self.blank else fields)


# A field is ASCII without these: markup, and the control characters but the separator, which
# would only split a field in two (and so fail the count). An '&' must open one of XML's entities.
_NOT_IN_FIELDS = b'"<' + bytes(range(0x1f))
_ENTITIES = [entity for entity, _ in _REPLACED]


class Shapes:
    """The Shapes of the rows read lately, tried the most recent first. They are learned from
    rows the regular expression reads, the 1st, 2nd, 4th, 8th, ... of those in a row, so that a
    sheet whose rows never repeat costs few attempts."""

    KEEP = 4

    def __init__(self):
        self.recent: list = []
        self.missed = 0  # rows the regular expression has read since a shape last matched

    def match(self, body: str):
        """(shape, fields) of the first shape the row matches, or None."""
        for shape in self.recent:
            fields = shape.fields(body)
            if fields is not None:
                self.missed = 0
                return shape, fields
        return None

    def learning(self) -> bool:
        """Whether to learn the shape of the row the regular expression reads next."""
        self.missed += 1
        return self.missed & (self.missed - 1) == 0

    def learn(self, shape: Shape | None) -> None:
        if shape is not None:
            self.recent.insert(0, shape)
            del self.recent[self.KEEP:]


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
        self.numbers: dict = {}  # column letters -> number, for the few columns a sheet has
        self.columns: dict = {}  # column numbers -> their Columns, shared by the rows
        self.spans: dict = {}  # a row's column letters -> (their numbers, their Columns or None), see _span

    def clean(self, reader) -> bool:
        # Cells an array formula covers take the reader's callbacks, which give them its element.
        return reader.cell is None and reader.buffer is None and not reader.arrays

    def row(self, reader, tag, parts, body) -> None:
        """What the reader's callbacks do for <row> and its cells."""
        reader.start_row(int(tag.group(1)))
        columns = _unescaped([parts[k::self.groups + 1] for k in range(1, self.groups + 1)], body)
        if not self._numbers(reader, *columns):
            self._cells(reader, *columns)

    def _column(self, letters: str) -> int:
        col = self.numbers.get(letters)
        if col is None:
            col = self.numbers[letters] = column_number(letters)
        return col

    def _span(self, letters: tuple) -> tuple:
        """The column numbers of a row's cells from their letters, and their Columns where they
        ascend (None otherwise): the rows of a sheet share a few such runs of letters, each
        looked up once."""
        found = self.spans.get(letters)
        if found is None:
            if len(self.spans) > 1000:  # a file whose every row differs: keep memory bounded
                self.spans.clear()
            cols = [self._column(at) for at in letters]
            found = self.spans[letters] = (cols, self._columns(cols) if cols == sorted(set(cols)) else None)
        return found

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
            columns = self._columns(cols) if cols == sorted(set(cols)) else None
        elif digits.count(str(row)) == n:
            cols, columns = self._span(tuple(letters))
        else:
            return False
        if row > xlsx.MAX_ROWS or max(cols) > xlsx.MAX_COLS:
            return False
        try:
            numbers = array("d", map(float, values))
        except ValueError:
            return False
        reader.budget[0] += n
        if reader.budget[0] > xlsx.MAX_CELLS:
            raise SheetnetError(f"more than {xlsx.MAX_CELLS:,} cells")
        rows = reader.sheet.rows
        if row not in rows and columns is not None:  # a new row, its columns in order: one Row
            rows[row] = Row(columns, numbers, SEP.join([f or "" for f in formulas]))
        else:
            reader.sheet.editable(row).update((c, Cell(v, f or None)) for c, v, f in zip(cols, numbers, formulas))
        reader.col = cols[-1]
        return True

    def _cells(self, reader, letters, digits, kinds, formulas, values) -> None:
        """Any regular row, cell by cell, as the reader's callbacks would."""
        xlsx = self.xlsx
        for letters_, digits_, kind, formula, value in zip(letters, digits, kinds, formulas, values):
            row, col = (int(digits_), self._column(letters_)) if letters_ else (reader.row, reader.col + 1)
            xlsx.within(row, col)
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
