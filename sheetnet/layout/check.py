"""The live check in every workbook sheetnet writes: Python's numbers beside the formulas.

For a network sheet ``NAME`` the check sheet ``NAME check`` holds, cell for cell at the same
addresses, the numbers sheetnet's Python computed (plain numbers, no formulas). Right of them,
every row has a formula with the relative difference between that row of the formula sheet and
Python's row: the root of the sum of squares of (a − b) / max(1, |b|), b Python's number, which
is at least the largest of them; ``B2`` holds the largest of all rows and ``B4`` says ``OK`` or
``MISMATCH`` against the tolerance in ``B3``. When
LibreOffice or Excel recalculates the workbook, these cells show whether its arithmetic and
Python's agree. The sheet carries no 'Learning rate' label, so no reader takes it for a network.
"""

from __future__ import annotations

from ..expression import Binary, Node, Number, Range, Ref, Text, call
from ..grid import column_letters
from ..math.network import count_logged
from . import LEARNING_RATE, Layout

SUFFIX = " check"
TOLERANCE = 1e-12  # in B3: LibreOffice stores 15 significant digits and computes in its own order
RESULT, TOLERANCE_CELL, STATUS = (2, 2), (3, 2), (4, 2)  # (row, column) of B2, B3, B4


def row_difference(layout: Layout, network_sheet: str) -> Node:
    """The formula of a row's relative difference between the formula sheet and this one:
    SQRT(SUMPRODUCT(((a − b) / max(1, |b|))²)) over the row.

    SUMPRODUCT makes every engine take the ranges element by element without an array formula;
    inside it only operators stand (max(1, b²) written 1 + (b² > 1)·(b² − 1)), for an engine may
    evaluate a function there on one cell only (Gnumeric does).
    """
    span = lambda sheet=None: Range(Ref(layout.first_col, 0, relative=True, sheet=sheet),
                                    Ref(layout.last_col, 0, relative=True))
    square = span() ** 2
    return call("SQRT", call("SUMPRODUCT", (span(network_sheet) - span()) ** 2
                             / (1 + Binary(">", square, Number(1)) * (square - 1))))


def write_check(w, run, chunks, name: str) -> None:
    """Write the check sheet of one run (see the module docstring) as sheet `name` of writer w,
    from the chunks of the run's rows as output.write trains them."""
    layout = run.layout
    diff_col = layout.last_col + 2
    rows = count_logged(run.n, run.every)
    last_row = layout.first_row + rows - 1
    diff = Range(Ref(diff_col, layout.first_row), Ref(diff_col, last_row))
    tol, result = Ref(TOLERANCE_CELL[1], TOLERANCE_CELL[0]), Ref(RESULT[1], RESULT[0])
    verdict = lambda test, ok: call("IF", test, ok, Text("MISMATCH"))
    cells = {  # (row, col) -> (value, formula)
        (1, 1): (f"Python's numbers for sheet {run.name!r}, at the same addresses; column "
                 f"{column_letters(diff_col)}: each row's relative difference, the root of the sum of squares of "
                 "(formula - Python) / max(1, |Python|). Recalculate (Ctrl+Shift+F9) to compare the formulas with Python.", None),
        (RESULT[0], 1): ("Largest relative difference", None),
        RESULT: (0.0, call("MAX", diff)),
        (TOLERANCE_CELL[0], 1): ("Tolerance", None),
        TOLERANCE_CELL: (TOLERANCE, None),
        (STATUS[0], 1): ("Agreement", None),
        STATUS: ("OK", verdict(call("ISNUMBER", result), verdict(Binary("<=", result, tol), Text("OK")))),
    }
    for (r, c), text in layout.header().items():
        if text != LEARNING_RATE:
            cells[(r, c)] = (text, None)
    cells[(layout.label_row, diff_col)] = ("relative diff.", None)
    for r in sorted({r for r, _ in cells}):
        width = max(c for rr, c in cells if rr == r)
        row = [cells.get((r, c), (None, None)) for c in range(1, width + 1)]
        w.row(r, [v for v, _ in row], [f for _, f in row])
    formulas = [None] * (diff_col - 1) + [row_difference(layout, run.name)]
    empty, r = [None] * (layout.first_col - 1), layout.first_row
    for _, _, numbers in chunks:
        for values in numbers:
            w.row(r, empty + values.tolist() + [None, 0.0], formulas)
            r += 1
