"""Numbers read from a sheet's cells, as a network's first data row and a data sheet's samples hold them."""

from __future__ import annotations

import math

from ..errors import SheetnetError
from ..grid import Sheet, address


def number(sheet: Sheet, row: int, col: int, what: str, empty: float | None = 0.0) -> float:
    """A finite number from a cell, `what` in words naming it in the error, which names the cell.
    An empty cell reads as `empty`: 0 by default, as a spreadsheet reads one in a formula (a
    cell of a network's first data row); with empty None it is an error (a sample's cell on a
    data sheet, which a network refers to)."""
    value = sheet.value(row, col)
    if value is None or value == "":
        if empty is not None:
            return empty
        problem = "must be a number, not empty"
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        problem = f"must be a number, not {value!r}"
    elif not math.isfinite(value):
        problem = f"must be a finite number, not {value}"
    else:
        return float(value)
    raise SheetnetError(f"{what} {problem}", sheet=sheet.name, cell=address(row, col))
