"""Legacy Excel workbooks (.xls), read with xlrd: cached values only, no formulas."""

from __future__ import annotations

import struct

import xlrd
import xlrd.compdoc

from ..errors import SheetnetError
from ..grid import Book, Cell, Sheet
from . import MAX_SHEETS


def stream(path, control):
    """The events of the workbook at path (see formats.Stream): .xls files are small (65,536
    rows at most), so they are read whole first."""
    try:
        book = _read(path)
    except xlrd.XLRDError as e:
        raise SheetnetError(f"not a readable .xls file ({e})") from None
    except _CORRUPT as e:
        # xlrd reports a damaged file by whatever its parsing trips over.
        raise SheetnetError(f"not a readable .xls file (corrupt: {e.__class__.__name__})") from None
    for index, sheet in enumerate(book.sheets):
        yield [(index, sheet.name, 0, None)] + [(index, sheet.name, r, sheet.rows[r]) for r in sorted(sheet.rows)]


def _read(path) -> Book:
    # ragged_rows: a row holds its own cells, not the widest row's count of empty ones.
    wb = xlrd.open_workbook(str(path), on_demand=True, ragged_rows=True)
    sheets = []
    try:
        if wb.nsheets > MAX_SHEETS:
            raise SheetnetError(f"more than {MAX_SHEETS:,} sheets")
        for k in range(wb.nsheets):
            xs = wb.sheet_by_index(k)
            sheet = Sheet(xs.name)
            for r in range(xs.nrows):
                for c, (ctype, value) in enumerate(zip(xs.row_types(r), xs.row_values(r))):
                    if ctype == xlrd.XL_CELL_NUMBER:
                        sheet.set(r + 1, c + 1, Cell(float(value)))
                    elif ctype == xlrd.XL_CELL_TEXT and value != "":
                        sheet.set(r + 1, c + 1, Cell(value))
                    elif ctype == xlrd.XL_CELL_BOOLEAN:
                        sheet.set(r + 1, c + 1, Cell(bool(value)))
                    elif ctype == xlrd.XL_CELL_ERROR:
                        sheet.set(r + 1, c + 1, Cell(xlrd.error_text_from_code.get(value, "#ERR")))
            sheets.append(sheet)
            wb.unload_sheet(k)
    finally:
        wb.release_resources()
    return Book(str(path), sheets)

_CORRUPT = (xlrd.compdoc.CompDocError, AssertionError, IndexError, KeyError, ValueError, TypeError, struct.error,
            UnicodeDecodeError, OverflowError, ZeroDivisionError, EOFError)
