"""Legacy Excel workbooks (.xls), read with xlrd: cached values only, no formulas."""

from __future__ import annotations

import xlrd

from ..errors import SheetnetError
from ..grid import Book, Cell, Sheet

HOLDS_FORMULAS = False


def read(path) -> Book:
    try:
        wb = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.XLRDError as e:
        raise SheetnetError(f"not a readable .xls file ({e})") from None
    except (AssertionError, IndexError, KeyError, ValueError, struct_error()) as e:
        raise SheetnetError(f"not a readable .xls file (corrupt: {e.__class__.__name__})") from None
    book = Book(str(path), [])
    try:
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
            book.sheets.append(sheet)
            wb.unload_sheet(k)
    finally:
        wb.release_resources()
    return book


def struct_error():
    import struct

    return struct.error
