"""The grid a reader returns: sheets of cells, each a cached value and maybe a formula.

Rows and columns are numbered from 1, as in a spreadsheet. Formulas are kept in the
neutral form of this package: Excel's A1 syntax without the leading '=' (``C8*E8``,
``$A$8``); the format modules translate from and to their own dialects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple


class Cell(NamedTuple):
    value: float | str | bool | None  # the cached value; None when empty
    formula: str | None = None


EMPTY = Cell(None, None)


@dataclass
class Sheet:
    name: str
    rows: dict = field(default_factory=dict)  # row number -> {column number -> Cell}

    def cell(self, row: int, col: int) -> Cell:
        return self.rows.get(row, {}).get(col, EMPTY)

    def value(self, row: int, col: int):
        return self.cell(row, col).value

    def set(self, row: int, col: int, cell: Cell) -> None:
        self.rows.setdefault(row, {})[col] = cell

    @property
    def max_row(self) -> int:
        return max(self.rows, default=0)


@dataclass
class Book:
    path: str
    sheets: list  # of Sheet, in the workbook's order

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name:
                return s
        from .errors import SheetnetError

        names = ", ".join(repr(s.name) for s in self.sheets)
        raise SheetnetError(f"no sheet named {name!r} (the workbook has {names})", file=self.path)


def column_letters(col: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def address(row: int, col: int) -> str:
    """(9, 4) -> 'D9'."""
    return f"{column_letters(col)}{row}"


_ADDRESS = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def parse_address(text: str) -> tuple[int, int]:
    """'D9' or '$D$9' -> (9, 4)."""
    m = _ADDRESS.fullmatch(text)
    if not m:
        raise ValueError(f"not a cell address: {text!r}")
    return int(m.group(2)), column_number(m.group(1))
