"""The grid a reader returns: sheets of cells, each a cached value and maybe a formula.

Rows and columns are numbered from 1, as in a spreadsheet. Formulas are kept in the
neutral form of this package: Excel's A1 syntax without the leading '=' (``C8*E8``,
``$A$8``); the format modules translate from and to their own dialects. A row is a mapping
{column: Cell}: a dict, or for a row of numbers a compact Row.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


class Cell(NamedTuple):
    value: float | str | bool | None  # the cached value; None when empty
    formula: str | None = None


EMPTY = Cell(None, None)


class Columns(NamedTuple):
    """The columns of the Rows of one shape, shared by them all."""

    numbers: tuple  # column numbers, ascending
    index: dict  # column number -> its position in numbers

    @classmethod
    def of(cls, numbers) -> Columns:
        numbers = tuple(numbers)
        return cls(numbers, {c: k for k, c in enumerate(numbers)})


class Row(Mapping):
    """A row of numbers, each maybe with a formula, as {column: Cell}, kept compactly: one array
    of numbers and one text of formulas rather than a Cell per column, for a long training's
    sheet holds millions of cells. Readers make one of every row that holds only numbers."""

    __slots__ = ("columns", "numbers", "formulas")
    SEPARATOR = "\x1f"  # between formulas in .formulas: XML cannot hold it, so no formula read can

    def __init__(self, columns: Columns, numbers: array, formulas: str):
        self.columns = columns
        self.numbers = numbers  # array('d'), one per column
        self.formulas = formulas  # the cells' formulas joined by SEPARATOR, '' for a cell without one

    def __getitem__(self, col: int) -> Cell:
        k = self.columns.index[col]
        return Cell(self.numbers[k], self.formulas.split(self.SEPARATOR)[k] or None)

    def __iter__(self):
        return iter(self.columns.numbers)

    def __len__(self) -> int:
        return len(self.columns.numbers)

    def values(self) -> list:
        return [Cell(v, f or None) for v, f in zip(self.numbers, self.formulas.split(self.SEPARATOR))]

    def items(self) -> list:
        return list(zip(self.columns.numbers, self.values()))


@dataclass
class Sheet:
    name: str
    rows: dict = field(default_factory=dict)  # row number -> {column number -> Cell}, a dict or a Row

    def cell(self, row: int, col: int) -> Cell:
        return self.rows.get(row, {}).get(col, EMPTY)

    def value(self, row: int, col: int):
        return self.cell(row, col).value

    def set(self, row: int, col: int, cell: Cell) -> None:
        self.editable(row)[col] = cell

    def editable(self, row: int) -> dict:
        """The cells of a row as a dict to change, made one from a Row (or from nothing)."""
        cells = self.rows.get(row)
        if not isinstance(cells, dict):
            cells = self.rows[row] = dict(cells.items()) if cells else {}
        return cells

    @property
    def max_row(self) -> int:
        return max(self.rows, default=0)


@dataclass
class Book:
    path: str
    sheets: list  # of Sheet, in the workbook's order
    names: list = None  # every sheet's name in order, those formats.read left out too; default: the sheets'

    def __post_init__(self):
        if self.names is None:
            self.names = [s.name for s in self.sheets]

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


def counted(n: int, noun: str) -> str:
    """n things as the reports say it: '1 sample', '1,100 samples'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def ordinal(n: int) -> str:
    """'2nd', '3rd', '11th', '21st', '1,000th'."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def plain(value) -> str:
    """A cell's value as a message quotes it: a whole number as one (sample 3, not 3.0, which is
    how a file stores it), anything else as its repr."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def parse_address(text: str) -> tuple[int, int]:
    """'D9' or '$D$9' -> (9, 4)."""
    m = _ADDRESS.fullmatch(text)
    if not m:
        raise ValueError(f"not a cell address: {text!r}")
    return int(m.group(2)), column_number(m.group(1))


# -- sheet names --------------------------------------------------------------------------------

SHEET_NAME_LIMIT = 31  # Excel's; LibreOffice takes longer names, but a workbook travels
_BAD_NAME = re.compile(r"[\[\]:*?/\\]")
# What XML 1.0 cannot hold (a stricter parser, lxml's, refuses the file), in a name as in any text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def sheet_name_problem(name: str, longest: int | None = SHEET_NAME_LIMIT) -> str | None:
    """Why name cannot name a sheet, or None: Excel and LibreOffice both refuse an empty name, the
    characters []:*?/\\ and an apostrophe at either end; Excel refuses more than longest characters."""
    if not name:
        return "a sheet needs a name"
    if _BAD_NAME.search(name) or name[0] == "'" or name[-1] == "'":
        return f"{name!r} cannot name a sheet (none of []:*?/\\ may stand in it, nor ' at either end)"
    if _NOT_XML.search(name):
        return f"{name!r} cannot name a sheet (it holds a character XML cannot)"
    # Excel counts UTF-16 code units: a character beyond U+FFFF counts twice (LibreOffice cuts it off).
    if longest is not None and _units(name) > longest:
        return f"{name!r} cannot name an Excel sheet (at most {longest} characters)"
    return None


def fresh_name(name: str, taken, ending: str = "") -> str:
    """name + ending, or name + ending + ' 2', ' 3', ..., the first that is not taken (compared
    case-insensitively, as office suites compare sheet names), name shortened so that the whole
    fits in SHEET_NAME_LIMIT characters (and rid of the spaces and apostrophes a cut leaves at its
    end: a name may not end in an apostrophe)."""
    taken = {t.casefold() for t in taken}
    for k in range(1, len(taken) + 2):
        suffix = ending if k == 1 else f"{ending} {k}"
        candidate = _cut(name, SHEET_NAME_LIMIT - _units(suffix)).rstrip(" '") + suffix
        if candidate.casefold() not in taken:
            return candidate
    raise AssertionError("one of len(taken) + 1 names is free")


def _units(text: str) -> int:
    """The length Excel gives a text: UTF-16 code units (a character beyond U+FFFF counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest start of text of at most so many UTF-16 units, no character split."""
    while _units(text) > units:
        text = text[:-1]
    return text
