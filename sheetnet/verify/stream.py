"""The streaming driver: a network's rows taken in as the file streams, checked a chunk at a time."""

from __future__ import annotations

import numpy as np

from .. import formats, verify
from ..errors import SheetnetError
from ..grid import Sheet, address, parse_address
from ..layout import Layout, networks
from ..layout.batch import BatchLayout, stale_samples
from ..layout.numbering import first_iteration
from ..layout.online import UNORDERED
from ..math.network import Problem
from .compare import Findings
from .formulas import Formulas
from .recompute import Trace
from .report import Fault, Note, Report, Tolerance
from .samples import Samples
from .sheet import MARGIN, Chunk, Window


def verify_file(path, sheet: str | None = None, tolerance: Tolerance = Tolerance()) -> list:
    """A Report for every network of the workbook at path, or for the one on the named sheet,
    the file read as it streams (memory does not grow with its rows)."""
    from ..layout.sheets import each_network

    return each_network(path, sheet, lambda head, layout, problem: Check(head, layout, problem, tolerance,
                                                                        formats.DefinedNames(path, head.name)))[0]


def verify_book(book, sheet: str | None = None, tolerance: Tolerance = Tolerance()) -> list:
    """A Report for every network of a Book read whole, or for the one on the named sheet."""
    return [verify_sheet(s, layout, problem, tolerance, formats.DefinedNames(book.path, s.name))
            for s, layout, problem in networks(book, sheet)]


def verify_sheet(sheet: Sheet, layout: Layout, problem: Problem, tolerance: Tolerance = Tolerance(),
                 names=None) -> Report:
    """Check one network's numbers and formulas; see the package's docstring. names: the
    workbook's named cells and ranges (formats.DefinedNames), if its formulas use any."""
    check = Check(sheet, layout, problem, tolerance, names)
    for r in sorted(sheet.rows):
        if r >= layout.first_row:
            check.feed(r, sheet.rows[r])
    return check.finish()


class Check:
    """Verifying one network as its rows stream in: feed(row, cells) for each row from the first
    data row on, ascending, then finish() gives the Report. every: the K of rows that show
    iterations 1, 1 + K, ..., where it is known (a trace's); else a values-only sheet's is found.
    first: the number of the iteration the first data row shows, where it is known (a trace's);
    else the sheet's, as its note names it (layout.numbering: a resumed sheet numbers on). The
    problem trains from the first data row whatever its number: its iteration 1."""

    def __init__(self, head: Sheet, layout: Layout, problem: Problem, tolerance: Tolerance = Tolerance(),
                 names=None, every: int | None = None, first: int | None = None):
        self.layout, self.problem, self.tol = layout, problem, tolerance
        self.stale: list[Fault] = []  # a batch sheet's first-row copies of samples its data sheet no longer holds
        given = None
        if isinstance(layout, BatchLayout):
            d = layout.data
            given = {(d.name, d.row(s), col(k)): value for values, col in ((d.data.X, d.input_col),
                                                                           (d.data.T, d.target_col))
                     for s, row in enumerate(values.tolist()) for k, value in enumerate(row)}
            self.stale = [Fault(copy, f"{what}{k} of sample {s + 1}, iteration 1",
                                f"a copy of {cell} on sheet {d.name!r}, which holds {value!r}: the workbook was "
                                "not recalculated since that cell changed", value, cached)
                          for cell, s, what, k, value, copy, cached in stale_samples(head, layout, d)]
        self.window = Window(head, layout, names, given)
        self.window.start = first_iteration(head) if first is None else first
        self.formulas = Formulas(self.window, tolerance)
        self.findings = Findings(self.window, self.formulas, tolerance)
        self.trace = Trace(problem, layout, tolerance)
        self.samples = Samples(self.window, layout, problem) if layout.online else None
        self.network = frozenset(self.window.cols)
        self.first = layout.first_row
        self.pending: list = []  # (row, cells) read and not yet checked, ascending
        self.ended = False  # whether a row has broken the run of data rows
        self.uncached = self.iterations = 0
        self.every_known = every is not None
        if every is not None and every > 1:
            self.trace.restart(every)
            self.window.every = every

    def feed(self, r: int, cells) -> None:
        """The cells of row r (ascending, from the first data row on)."""
        window = self.window
        if self.samples is not None:
            cells = self.samples.take(r, cells)
        if not self.ended:
            if r == window.last + 1 and not self.network.isdisjoint(cells):
                window.last = r
            else:
                self.ended = True
        if self.ended and r > window.last + MARGIN:
            return
        self.pending.append((r, cells))
        if window.last - self.pending[0][0] + 1 >= self.chunk + MARGIN:
            self._check(self.chunk, final=False)

    @property
    def chunk(self) -> int:
        """The data rows checked at a time: verify.CHUNK, fewer where they would hold more than
        verify.CELLS cells (a batch sheet may be 16,384 columns wide)."""
        return max(1, min(verify.CHUNK, verify.CELLS // self.window.width))

    def finish(self) -> Report:
        """Check the rows left and report."""
        if self.pending and self.pending[0][0] <= self.window.last:
            self._check(self.window.last - self.pending[0][0] + 1, final=True)
        layout, f = self.layout, self.findings
        report = Report(
            sheet=self.window.name, sizes=layout.sizes, iterations=self.iterations, every=self.window.every,
            first_iteration=self.window.start,
            first_row=self.first, last_row=self.window.last, learning_rate=self.problem.network.lr,
            learning_rate_cell=layout.lr_address, tolerance=self.tol, formulas=f.formula_cells,
            uncached=self.uncached, not_checked=self.formulas.not_checked, quantities=list(f.quantities.values()),
            failing=f.failing, value_faults=f.value_faults, formula_faults=f.formula_faults, first=f.first_fault,
            faults=f.faults(), unchecked=[self._note(j, i, *note[:3], self.formulas.forms[i].reason)
                                          for (j, i), note in self.formulas.unchecked.items()],
            warnings=[self._note(j, i, *note) for (j, i, _), note in self.formulas.warnings.items()])
        if self.samples is not None:
            samples = self.samples
            counts = samples.failing, samples.formula_faults, samples.value_faults
            self._add_faults(report, samples.faults(), counts, samples.first)
        if self.stale:  # a stale copy of a sample: its reference is right, its number is not
            self._add_faults(report, self.stale, (len(self.stale), 0, len(self.stale)), self.stale[0])
        return report

    def _add_faults(self, report: Report, mine: list, counts: tuple, first: Fault) -> None:
        """Faults found apart from the comparison (an online sheet's sample-dependent cells, a batch
        sheet's stale samples) added to the report, with their counts (failing cells, of them with a
        wrong formula, with a wrong number): a fault in a cell that the comparison found too
        replaces its account (it says more), and the first of them in the sheet's order of rows
        and computation, `first`, is the first fault."""
        if not mine:
            return
        cells = {f.cell.split(":")[0] for f in mine}
        report.faults = sorted([f for f in report.faults if f.cell.split(":")[0] not in cells] + mine,
                               key=lambda f: parse_address(f.cell.split(":")[0]))
        report.failing += counts[0]
        report.formula_faults += counts[1]
        report.value_faults += counts[2]
        if report.first is None or parse_address(first.cell) <= parse_address(report.first.cell):
            report.first = first

    def _note(self, j: int, i: int, first: int, last: int, count: int, message: str) -> Note:
        """A Note of cells down column j holding formula i, rows first to last."""
        column, window = self.window.columns[j], self.window
        cell = address(first, column.col) + (f":{address(last, column.col)}" if last > first else "")
        if count != last - first + 1:
            cell = address(first, column.col)
        iterations = [window.start + (r - self.first) * window.every for r in (first, last)]
        what = column.describe() + (f", iteration {iterations[0]}" if last == first else
                                    f", iterations {iterations[0]}-{iterations[1]}")
        return Note(cell, what, self.formulas.forms[i].text(first), message, count)

    def _check(self, n: int, final: bool) -> None:
        """Check the first n pending data rows (all that are left when final)."""
        window, cols = self.window, self.window.cols
        lo = int(self.pending[0][0])
        hi = lo + n - 1
        texts = window.load(lo, hi, [(r, cells) for r, cells in self.pending if r <= hi + MARGIN])
        rows = np.arange(lo, hi + 1)
        ids = self.formulas.read(rows, texts)
        self.uncached += window.compute_uncached(rows, ids, self.formulas.forms)
        if self.samples is not None:
            self.samples.compute_uncached(rows)
        if lo == self.first:  # the first data row, computed where it had no cached values, for the rows below
            window.head_numbers.put(window.numbers, lo)
        at = np.ix_(rows - window.numbers.base, cols)
        found, empty, text = window.numbers.V[at], window.numbers.empty[at], window.numbers.text[at]
        found[text] = np.nan  # a copy already (fancy indexing)
        trace = self.trace.take(n)
        values_only = not self.formulas.holds_formulas  # such a sheet may show every K-th iteration
        if lo == self.first and values_only and n > 1 and not self.every_known and \
                not self.tol.close(found[1], trace[1]).all():
            weights = self.trace.weights
            if self.samples is not None and not self.layout.data.ordered and \
                    not self.tol.close(found[1, weights], trace[1, weights]).all():
                # The second row is not iteration 2 (its weights follow from the first row's alone),
                # and the rows do not tell the order of the samples of the iterations between.
                raise SheetnetError(f"row {lo + 1} does not show iteration {window.start + 1:,}, and {UNORDERED}", sheet=window.name,
                                    cell=address(lo + 1, cols[weights[0]]))
            every = self.trace.logged(found[1])
            if every > 1:
                self.trace.restart(every)
                window.every, trace = every, self.trace.take(n)
        # The iteration each row shows, as the sheet numbers them; the recomputation's count from 1.
        before = window.start - 1
        numbers = window.start + (rows - self.first) * window.every
        if final and window.every > 1 and hi > self.first:
            last, trace[-1] = self.trace.last_logged(found[-1], int(numbers[-1]) - before)
            numbers[-1] = before + last
        self.iterations = int(numbers[-1]) - before
        chunk = Chunk(lo=lo, rows=rows, numbers=numbers, ids=ids, found=found, empty=empty, text=text, trace=trace)
        self.findings.add(chunk)
        if self.samples is not None:
            self.samples.add(chunk)
        self.pending = [(r, cells) for r, cells in self.pending if r > hi]
