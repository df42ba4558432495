"""Explain one cell of a network sheet with the note's chain rule and the sheet's own numbers.

:func:`explain` reads the workbook as it streams, down to the cell's row and the next (not the
rows after), and says what the cell is: its quantity, neurons, layer and iteration; its formula
as the file holds it and the note's equation for it, with the note's corrections; that equation
worked out with the sheet's numbers, the cached value and sheetnet's recomputation; for deltas,
change matrices and weights the chain rule behind them, factor by factor, and a finite
difference of the cost that checks it; the cells it feeds; and verify's fault in it, if any.

Modules: :mod:`.notation` writes and works out equations in the note's symbols; :mod:`.note` has
the note's equation for each kind of cell; :mod:`.chain` the chain rule and the finite
difference; :mod:`.cell` what a cell is and all that is said of it, as data; :mod:`.render` its
renderings as text, Markdown (equations in LaTeX) and JSON-ready data.
"""

from __future__ import annotations

from .. import formats
from ..errors import SheetnetError
from ..formats import MAX_COLS, MAX_ROWS
from ..grid import Sheet, parse_address
from ..layout import Layout
from ..layout.batch import BatchLayout
from ..layout.sheets import each_network
from ..math.network import Problem
from ..verify.stream import Check
from .cell import Explanation, Held, explained
from .render import data, markdown, text

__all__ = ["Explanation", "data", "explain", "markdown", "text"]


def explain(path, cell: str, sheet: str | None = None) -> Explanation:
    """The explanation of a cell ('M9') of the network on the named sheet, or of the workbook's
    first network; a SheetnetError where the cell is not one of a network's, or the file cannot
    be read as one."""
    try:
        row, col = _address(cell)
    except SheetnetError as e:
        raise e.located(file=path, sheet=sheet) from None
    readings = []

    def start(head: Sheet, layout: Layout, problem: Problem):
        if isinstance(layout, BatchLayout) and (sheet is not None or not readings):
            raise SheetnetError("explain does not read batch sheets yet (one row per epoch, a group per sample); "
                                "sheetnet verify checks every cell of them", file=path, sheet=head.name)
        # Without a sheet named, the first network's sheet is the one meant.
        readings.append(_Reading(str(path), head, layout, problem, row, col) if not readings else _Passed())
        return readings[-1]

    [found], _ = each_network(path, sheet, start)
    return found


def _address(cell: str) -> tuple[int, int]:
    """(row, column) of a cell's address, 'M9' or '$M$9'."""
    try:
        row, col = parse_address(cell.strip())
    except ValueError:
        row = col = 0
    if not (1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS):
        raise SheetnetError(f"{cell!r} is not a cell's address (a column's letters, A to XFD, and a row's number, "
                            f"1 to {MAX_ROWS:,}, such as M9)")
    return row, col


class _Reading:
    """The sheet of the network explained, as it streams: its rows down to the cell's row and the
    next go to verify's check, which keeps its fault in the cell; the cell's row and its
    neighbours are kept."""

    def __init__(self, path: str, head: Sheet, layout: Layout, problem: Problem, row: int, col: int):
        self.path, self.head, self.layout, self.problem, self.row, self.col = path, head, layout, problem, row, col
        self.check = Check(head, layout, problem, names=formats.DefinedNames(path, head.name))
        self.check.findings.watch = (row, col)
        self.last = max(row, layout.first_row) + 1  # the next row holds cells the cell feeds
        self.rows: dict = {}

    def feed(self, r: int, cells) -> bool:
        if r <= self.last:
            self.check.feed(r, cells)
            if r >= self.row - 1:
                self.rows[r] = cells
        return r >= self.last

    def finish(self) -> Explanation:
        report = self.check.finish()
        return explained(self.path, Held(self.head, self.rows), self.layout, self.problem, report,
                         self.check.findings.watched, self.row, self.col)


class _Passed:
    """A network sheet after the one explained: passed over."""

    def feed(self, r: int, cells) -> bool:
        return True

    def finish(self) -> None:
        return None
