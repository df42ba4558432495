"""The live check in every workbook sheetnet writes: Python's numbers beside the formulas.

For a network sheet ``NAME`` the check sheet ``NAME check`` holds, cell for cell at the same
addresses, the numbers sheetnet's Python computed (plain numbers, no formulas). Right of them,
every row has a formula with the largest relative difference between that row of the formula
sheet and Python's row, |a − b| / max(1, |b|) with b Python's number; ``B2`` holds the largest
of all rows and ``B4`` says ``OK`` or ``MISMATCH`` against the tolerance in ``B3``. When
LibreOffice or Excel recalculates the workbook, these cells show whether its arithmetic and
Python's agree. The sheet carries no 'Learning rate' label, so no reader takes it for a network.
"""

from __future__ import annotations

from .grid import column_letters
from .layout import LEARNING_RATE, Layout
from .network import count_logged
from .verify import TOLERANCE

SUFFIX = " check"
MAX_NAME = 31  # Excel's limit on sheet names
RESULT, TOLERANCE_CELL, STATUS = (2, 2), (3, 2), (4, 2)  # (row, column) of B2, B3, B4


def sheet_name(name: str, taken, ending: str = SUFFIX) -> str:
    """'<name> check' (or another ending), shortened to fit a sheet name and numbered if that name is taken."""
    taken = {t.casefold() for t in taken}
    for k in range(1, 10_000):
        suffix = ending if k == 1 else f"{ending} {k}"
        candidate = name[:MAX_NAME - len(suffix)] + suffix
        if candidate.casefold() not in taken:
            return candidate
    raise AssertionError("no free sheet name")


def quoted(name: str) -> str:
    """A sheet name as a formula writes it: 'Sheet 1' with inner quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


def row_difference(layout: Layout, network_sheet: str) -> str:
    """The template of a row's largest relative difference between the formula sheet and this one.

    SUMPRODUCT makes every engine evaluate the ranges element by element without an array
    formula; max(1, |b|) is written 1 + (|b| > 1)·(|b| − 1) for the same reason.
    """
    span = f"{column_letters(layout.first_col)}{{r}}:{column_letters(layout.last_col)}{{r}}"
    python = f"ABS({span})"
    return (f"SUMPRODUCT(MAX(ABS({quoted(network_sheet)}!{span}-{span})"
            f"/(1+({python}>1)*({python}-1))))")


def write_check(w, run, name: str) -> None:
    """Write the check sheet of one run (see the module docstring) as sheet `name` of writer w."""
    layout = run.layout
    diff_col = layout.last_col + 2
    rows = count_logged(run.n, run.every)
    last_row = layout.first_row + rows - 1
    diff = f"{column_letters(diff_col)}{layout.first_row}:{column_letters(diff_col)}{last_row}"
    tol = f"{column_letters(TOLERANCE_CELL[1])}{TOLERANCE_CELL[0]}"
    result = f"{column_letters(RESULT[1])}{RESULT[0]}"
    cells = {  # (row, col) -> (value, formula)
        (1, 1): (f"Python's numbers for sheet {run.name!r}, at the same addresses; column "
                 f"{column_letters(diff_col)}: each row's largest relative difference |formula - Python| / "
                 "max(1, |Python|). Recalculate (Ctrl+Shift+F9) to compare the formulas with Python.", None),
        (RESULT[0], 1): ("Largest relative difference", None),
        RESULT: (0.0, f"MAX({diff})"),
        (TOLERANCE_CELL[0], 1): ("Tolerance", None),
        TOLERANCE_CELL: (TOLERANCE, None),
        (STATUS[0], 1): ("Agreement", None),
        STATUS: ("OK", f'IF(ISNUMBER({result}),IF({result}<={tol},"OK","MISMATCH"),"MISMATCH")'),
    }
    for (r, c), text in layout.header().items():
        if text != LEARNING_RATE:
            cells[(r, c)] = (text, None)
    cells[(layout.label_row, diff_col)] = ("largest rel. diff", None)
    for r in sorted({r for r, _ in cells}):
        width = max(c for rr, c in cells if rr == r)
        row = [cells.get((r, c), (None, None)) for c in range(1, width + 1)]
        w.row(r, [v for v, _ in row], [f for _, f in row])
    templates = [None] * (diff_col - 1) + [row_difference(layout, run.name)]
    empty, r = [None] * (layout.first_col - 1), layout.first_row
    for _, _, numbers in run.chunks():
        for values in numbers:
            w.row(r, empty + values.tolist() + [None, 0.0], templates)
            r += 1
