"""The value comparison: each number of the sheet against the recomputation and against what
the note's formula for its cell gives on the sheet's own numbers, so that a wrong number is
caught where it first appears, not only downstream; what fails, added up for the report."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..grid import address
from ..layout import Kind
from ..layout.batch import BatchLayout
from .formulas import NO_FORMULA, Formulas
from .report import Fault, Quantity, Tolerance, numbers
from .sheet import Chunk, Window

MOST_RUNS = 1000  # fault runs listed; the rest are counted


@dataclass
class _Run:
    """Cells down one column failing the same way, rows start..end (open while end may grow)."""

    j: int  # the column
    start: int
    end: int
    key: tuple  # what its cells share: see _run_key
    fault: Fault  # its first cell's
    first: int  # the iterations of its first and last cells
    last: int


class Findings:
    """What verifying one network finds, added up chunk by chunk."""

    def __init__(self, window: Window, formulas: Formulas, tol: Tolerance):
        self.window, self.formulas, self.tol = window, formulas, tol
        self.columns, self.cols, self.first = window.columns, window.cols, window.first
        self.formula_cells = self.failing = self.value_faults = self.formula_faults = 0
        self.quantities: dict = {}  # name -> Quantity
        self.first_fault = None
        self.runs: list = []  # the runs closed
        self.open: dict = {}  # column j -> its last run
        self.watch = None  # a cell (row, column) whose own Fault is kept as `watched` if it fails (explain asks)
        self.watched = None

    def add(self, c: Chunk) -> None:
        """The checks of one chunk."""
        shape = (c.n, len(self.cols))
        off = self.tol.excess(c.found, c.trace)
        off[c.empty] = np.inf
        # What each cell's template gives on the sheet's own numbers (NaN where it cannot), for
        # every cell that has one: all but the numbers of the first row.
        c.local, c.templated, c.formula_bad = np.full(shape, np.nan), np.zeros(shape, bool), np.zeros(shape, bool)
        for j, col in enumerate(self.cols):
            for first in (True, False):
                ks = np.flatnonzero((c.rows == self.first) == first)
                expected = self.formulas.candidates[first][j][0]
                if expected is None or not len(ks):
                    continue
                if self.window.every > 1 and not first and any(r.row and not r.row_abs for r in expected.refs):
                    continue  # rows every K-th iteration apart: no row follows from the one above
                c.templated[ks, j] = True
                c.local[ks, j] = self.window.evaluate(expected, c.rows[ks], col)
                c.formula_bad[self.formulas.wrong(c, j, ks, first), j] = True
        c.stale = ~self.tol.close(c.found, c.local)
        c.stale[np.isnan(c.local)] = False
        c.stale |= (c.empty | c.text) & c.templated
        c.value_bad = off > 1.0
        failing = c.value_bad | c.stale | c.formula_bad
        self.formula_cells += int((c.ids != NO_FORMULA).sum())
        self.failing += int(failing.sum())
        self.value_faults += int(c.value_bad.sum())
        self.formula_faults += int(c.formula_bad.sum())
        self._quantities(c, off)
        if failing.any() and self.first_fault is None:
            # The earliest row, and in it the earliest step of the computation: a wrong number
            # shows in every cell computed from it, not only its own.
            ks, js = np.nonzero(failing)
            self.first_fault = self._fault(c, *min(zip(ks, js), key=lambda kj: (kj[0], self.columns[kj[1]].rank)))
        if self.watch is not None and 0 <= self.watch[0] - c.lo < c.n and self.watch[1] in self.cols:
            k, j = self.watch[0] - c.lo, self.cols.index(self.watch[1])
            self.watched = self._fault(c, k, j) if failing[k, j] else None
        self._runs(c)

    def _quantities(self, c: Chunk, off: np.ndarray) -> None:
        """The largest deviation of each quantity so far: the cell that comes nearest to failing."""
        for j, col in enumerate(self.columns):
            k = int(np.argmax(off[:, j]))
            q = self.quantities.setdefault(col.quantity, Quantity(col.quantity, 0.0, 0.0,
                                                                  address(self.first, col.col), -1.0))
            if off[k, j] > q.excess:
                found, expected = c.found[k, j], c.trace[k, j]
                with np.errstate(all="ignore"):
                    diff = float(abs(found - expected)) if np.isfinite(found) and np.isfinite(expected) else math.inf
                    relative = diff / abs(expected) if expected else (0.0 if diff == 0 else math.inf)
                q.largest, q.relative, q.excess = diff, float(relative), float(off[k, j])
                q.cell = address(c.lo + k, col.col)

    # -- runs of faults down each column --------------------------------------------------------

    def _runs(self, c: Chunk) -> None:
        """The cells whose formula is wrong or whose number does not follow from the sheet's
        numbers, as runs down each column of cells failing the same way (at most MOST_RUNS runs,
        continued from the chunk before); a difference carried forward from them is counted, not
        listed."""
        # Numbers no formula of the sheet accounts for (every K-th iteration) fail on their own.
        local_bad = c.formula_bad | c.stale | (~self.tol.close(c.found, c.trace) & ~c.templated)
        for j in range(len(self.cols)):
            for k in np.flatnonzero(local_bad[:, j]).tolist():
                r, key, iteration = c.lo + k, self._run_key(c, k, j), int(c.numbers[k])
                run = self.open.get(j)
                if run is not None and run.end == r - 1 and run.key == key:
                    run.end, run.last = r, iteration
                    continue
                self._close(j)
                if len(self.runs) + len(self.open) >= MOST_RUNS:
                    break
                self.open[j] = _Run(j, r, r, key, self._fault(c, k, j), iteration, iteration)

    def _run_key(self, c: Chunk, k: int, j: int) -> tuple:
        """What cells of one run share: the formula, whether it is wrong, and how (row numbers aside)."""
        i, bad = int(c.ids[k, j]), bool(c.formula_bad[k, j])
        if not bad or i < 0:
            return i, bad, ""
        return i, bad, "".join(ch for ch in self.formulas.problem(c, k, j) if not ch.isdigit())

    def _close(self, j: int) -> None:
        run = self.open.pop(j, None)
        if run is not None:
            self.runs.append(run)

    def faults(self) -> list:
        """The faults of every run, down each column, in the order they start."""
        for j in list(self.open):
            self._close(j)
        faults = []
        for run in sorted(self.runs, key=lambda run: (run.start, run.j)):
            f = run.fault
            if run.end > run.start:
                f.cell = f"{f.cell}:{address(run.end, self.cols[run.j])}"
                f.count = run.end - run.start + 1
                f.what = f"{self.columns[run.j].describe()}, iterations {run.first}-{run.last}"
            faults.append(f)
        return faults

    # -- describing what fails ------------------------------------------------------------------

    def _fault(self, c: Chunk, k: int, j: int) -> Fault:
        r, col, i = c.lo + k, self.cols[j], int(c.ids[k, j])
        expected = self.formulas.closest(c, k, j)
        value = self.window.value(r, col)
        if value is None and not c.empty[k, j]:  # computed here: the file carried none
            value = float(c.found[k, j])
        what = f"{self.columns[j].describe()}, iteration {c.numbers[k]}"
        if self.columns[j].kind == Kind.WEIGHT and r != self.first:  # a row's weights are the previous update
            what += f" (after the update of iteration {c.numbers[k] - 1})"
        return Fault(cell=address(r, col), what=what, problem=self._problem(c, k, j),
                     expected=float(c.trace[k, j]), found=value, formula=self.window.cell(r, col).formula,
                     expected_formula=expected.text(r) if expected is not None and c.templated[k, j] else None,
                     refers_to=self.formulas.refers_to(i, r, col))

    def _other_sample(self, c: Chunk, k: int, j: int) -> str | None:
        """Of a batch sheet's input or target that refers to another sample's cell on the data
        sheet, which sample, and whose group the cell is in; None for any other cell."""
        column, layout, i = self.columns[j], self.window.layout, int(c.ids[k, j])
        if not isinstance(layout, BatchLayout) or column.kind not in (Kind.INPUT, Kind.TARGET) or i < 0:
            return None
        data = layout.data
        cells = self.formulas.forms[i].cells(c.lo + k, self.cols[j])
        found = [data.which(row, col) for sheet, row, col in cells if sheet == data.name]
        others = sorted({s for s, _, _ in filter(None, found) if s != column.sample})
        if not others:
            return None
        return (f"refers to sample {', '.join(str(s + 1) for s in others)} on sheet {data.name!r}; this group is "
                f"sample {column.sample + 1}")

    def _problem(self, c: Chunk, k: int, j: int) -> str:
        """Why cell (k, j) fails."""
        r, col, i = c.lo + k, self.cols[j], c.ids[k, j]
        if c.formula_bad[k, j]:
            return self._other_sample(c, k, j) or self.formulas.problem(c, k, j)
        if c.text[k, j]:
            return f"holds text {self.window.value(r, col)!r} where a number belongs"
        if c.empty[k, j]:
            return ("its formula gives no number (it was saved without a cached value)"
                    if self.window.cell(r, col).formula else "is empty where a number belongs")
        local, found = numbers(float(c.local[k, j]), float(c.found[k, j]))
        if c.stale[k, j] and i >= 0:
            return (f"its cached value does not follow from its formula, which gives {local} "
                    f"on the sheet's numbers (the cell holds {found})")
        if c.stale[k, j]:
            return (f"does not follow from the sheet's numbers by backpropagation, which give "
                    f"{local} here (the cell holds {found})")
        if c.templated[k, j]:
            return ("differs from the recomputation from the first row, though it follows from the sheet's "
                    "numbers around it: an earlier difference carried forward")
        return "differs from the recomputation from the first row"
