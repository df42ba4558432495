"""Array formulas as the readers meet them, row by row: each is anchored in its first cell and
gives every cell it covers its element, INDEX(formula, i, j), the number that cell shows."""

from __future__ import annotations

import heapq
from bisect import bisect_right

from ..errors import SheetnetError
from ..grid import address


class Arrays:
    """The array formulas of one sheet that still cover rows to come.

    No cell belongs to two array formulas (spreadsheets refuse that), so the ones that cover a
    row stand in disjoint runs of columns: they are kept sorted by first column, and a cell finds
    its array by bisection, however many there are. A file where two would share a cell is
    refused at the second one's anchor. The rows are read in order; each array is retired, from a
    heap, once the rows pass its last. A cell costs a bisection however many arrays cover its row,
    and an array a bisection and a move of the list (of at most a row's 16,384 columns) to add or
    retire."""

    def __init__(self, sheet: str | None):
        self.sheet = sheet  # its name, for the error
        self.starts: list = []  # the first column of each live array, ascending
        self.live: list = []  # (first row, first column, rows, columns, formula) of each, in that order
        self.ends: list = []  # a heap of (last row, first column) of the live arrays

    def __bool__(self) -> bool:
        return bool(self.live)

    def add(self, row: int, col: int, rows: int, cols: int, formula: str) -> None:
        """An array formula anchored in cell (row, col), rows by cols; SheetnetError where one that
        covers row already covers a cell of it."""
        self.retire(row)
        k = bisect_right(self.starts, col)
        for other in self.live[max(k - 1, 0):k + 1]:
            if other[1] < col + cols and col < other[1] + other[3]:
                raise SheetnetError(f"the array formula of {_span(row, col, rows, cols)} overlaps the one of "
                                    f"{_span(*other[:4])}: a cell belongs to one array formula at most",
                                    sheet=self.sheet, cell=address(row, col))
        self.starts.insert(k, col)
        self.live.insert(k, (row, col, rows, cols, formula))
        heapq.heappush(self.ends, (row + rows - 1, col))

    def retire(self, row: int) -> None:
        """Drop the arrays whose last row comes before row."""
        while self.ends and self.ends[0][0] < row:
            _, col = heapq.heappop(self.ends)
            k = bisect_right(self.starts, col) - 1
            del self.starts[k], self.live[k]

    def formula(self, row: int, col: int) -> str | None:
        """The element of the array formula that covers cell (row, col), or None."""
        found = self.covered(row, col, col)
        return found[0][1] if found else None

    def covered(self, row: int, first: int, last: int) -> list:
        """[(column, its element)] of the cells of row, columns first..last, that an array formula
        covers: a run of cells repeated by a count gives each its own element."""
        out = []
        for k in range(max(bisect_right(self.starts, first) - 1, 0), bisect_right(self.starts, last)):
            r0, c0, h, w, formula = self.live[k]
            if r0 <= row < r0 + h:
                out += [(c, f"INDEX({formula},{row - r0 + 1},{c - c0 + 1})")
                        for c in range(max(first, c0), min(last, c0 + w - 1) + 1)]
        return out


def _span(row: int, col: int, rows: int, cols: int) -> str:
    return address(row, col) + (f":{address(row + rows - 1, col + cols - 1)}" if rows * cols > 1 else "")
