"""The checks of an online sheet's rows that depend on the row's sample and place: its sample
column against the order of the epochs, its inputs' and targets' references against its sample,
and its epoch cost's formula (the mean of the last m costs). The numbers of these columns are
compared with the recomputation as every other column's are (see compare.Findings)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..formats._rowformat import compile_row
from ..formula import FormulaError, parse
from ..grid import EMPTY, Cell, Row, address, column_letters, parse_address, plain
from ..layout import Kind, Layout
from ..math.network import Problem
from .report import Fault
from .sheet import Chunk, Window

MOST_FAULTS = 1000  # runs of faults listed; the rest are counted
_PROBE = np.random.default_rng(20191105).uniform(0.25, 1.75, 64)  # numbers given to a formula's cells


class Samples:
    """The faults of an online sheet's sample-dependent cells, added up chunk by chunk."""

    def __init__(self, window: Window, layout: Layout, problem: Problem):
        self.window, self.layout, self.data = window, layout, layout.data
        self.order = problem.data
        self.m = self.data.data.m
        self.sample_col = layout.at(Kind.SAMPLE, 0).col
        self.cost_col = layout.at(Kind.COST, layout.L).col
        self.refs = [c for c in layout.columns if c.kind in (Kind.INPUT, Kind.TARGET)]
        self.epoch = layout.at(Kind.EPOCH, layout.L)
        self.cols = [self.sample_col] + [c.col for c in self.refs] + [self.epoch.col]  # what take() keeps
        self.held: dict = {}  # row -> (its sample number, the formulas of its inputs, targets and epoch cost)
        # The texts sheetnet writes, accepted at sight: each input's and target's per sample, and
        # the epoch cost's in each row before the m-th and from it on (with its row left open).
        self.written, self.numbers = {}, {}  # and the number each written reference gives
        for s in range(self.m):
            for c in self.refs:
                inputs = c.kind == Kind.INPUT
                text = (self.data.input_ref if inputs else self.data.target_ref)(s, c.j).text(0)
                self.written[(s, c.col)] = text
                self.numbers[text] = float((self.data.data.X if inputs else self.data.data.T)[s, c.j])
        self.epoch_texts = [compile_row(layout.epoch_formula(position).pieces(), 0) for position in range(self.m)]
        self.runs: list = []  # [fault, key, last row] in the order found
        self.open: dict = {}  # column -> its run
        # Added to the comparison's counts (see _fault): the cells it did not find failing, the wrong
        # formulas, and the numbers that differ that it did not count.
        self.failing = self.formula_faults = self.value_faults = 0
        self.chunk, self.index = None, {}  # the chunk being checked, and the position of each column in it

    def take(self, r: int, cells):
        """Keep what the checks need of a row as it streams in (its sample, and the formulas of its
        inputs, targets and epoch cost), and give the row back without those formulas: the
        comparison of formulas column by column (verify.formulas) knows one formula per column,
        and these differ from row to row. A reference without a cached value (a file saved
        without calculating) gets the data sheet's number."""
        cols = self.cols
        if isinstance(cells, Row):
            index, texts = cells.columns.index, cells.formulas.split(Row.SEPARATOR)
            at = [index.get(col) for col in cols]
            self.held[r] = (None if at[0] is None else cells.numbers[at[0]],
                            [None if k is None else texts[k] or None for k in at[1:]])
            for k in at[1:]:
                if k is not None:
                    texts[k] = ""
            return Row(cells.columns, cells.numbers, Row.SEPARATOR.join(texts))
        found = [cells.get(col, EMPTY) for col in cols]
        self.held[r] = (found[0].value, [cell.formula for cell in found[1:]])
        stripped = dict(cells)
        for col, cell in zip(cols[1:], found[1:]):
            if cell.formula is not None:
                value = self.numbers.get(cell.formula) if cell.value is None else cell.value
                stripped[col] = Cell(value, None)
        return stripped

    def compute_uncached(self, rows: np.ndarray) -> None:
        """Give each epoch cost that carries no cached value (a file saved without calculating) the
        number its formula computes on the sheet's numbers, once the costs are known
        (Window.compute_uncached): take() took the formula out of the row, so that computation
        never sees it."""
        numbers, col = self.window.numbers, self.epoch.col
        for r in rows.tolist():
            formula = self.held[r][1][-1] if r in self.held else None
            if formula is None or not numbers.empty[r - numbers.base, col]:
                continue
            form = self._form(formula, r, col)
            if isinstance(form, str):  # left empty: add() names the formula's fault
                continue
            with np.errstate(all="ignore"):
                numbers.V[r - numbers.base, col] = self.window.evaluate(form, np.array([r]), col)[0]
            numbers.empty[r - numbers.base, col] = False

    def add(self, c: Chunk) -> None:
        """Check the chunk's rows."""
        self.chunk, self.index = c, {col: j for j, col in enumerate(self.window.cols)}
        # The problem's order counts from the first data row, whatever iteration the sheet numbers it.
        uses = (self.order.samples(c.numbers - (self.window.start - 1)) + 1).tolist()
        for k, r in enumerate(c.rows.tolist()):
            iteration = int(c.numbers[k])
            sample, formulas = self.held.pop(r, (None, [None] * (len(self.cols) - 1)))
            if sample != uses[k]:
                self._fault(r, self.sample_col, f"shows sample {plain(sample)}; iteration {iteration} uses sample {uses[k]} "
                            "(the order of the first epoch, the same every epoch)", f"{Kind.SAMPLE.words}, "
                            f"iteration {iteration}", uses[k], sample)
            for col, formula in zip(self.refs, formulas):
                if formula is not None and formula != self.written.get((uses[k] - 1, col.col)):
                    self._reference(r, col, formula, iteration, uses[k], float(c.trace[k, self.index[col.col]]))
            if formulas[-1] is not None:
                self._epoch(r, formulas[-1], iteration, float(c.trace[k, self.index[self.epoch.col]]))

    def _form(self, text: str, r: int, col: int):
        """The formula read in its cell, or the reason it cannot be."""
        try:
            return parse(text, r, col, sheet=self.window.name)
        except FormulaError as e:
            return str(e)

    def _reference(self, r: int, c, formula: str, iteration: int, uses: int, expected: float) -> None:
        """An input or target: a plain reference to the cell of its row's sample on the data sheet."""
        cell = Cell(self.window.cell(r, c.col).value, formula)
        kind, index = ("a", c.j) if c.kind == Kind.INPUT else ("T", c.j)
        wanted = self.data.input_ref(uses - 1, index) if kind == "a" else self.data.target_ref(uses - 1, index)
        what = f"{c.describe()}, iteration {iteration}"
        form = self._form(cell.formula, r, c.col)
        cells = [] if isinstance(form, str) else form.cells(r, c.col)
        if len(cells) == 1 and cells[0][0] == self.data.name and \
                np.array_equal(form.evaluate([_PROBE]), _PROBE):
            found = self.data.which(cells[0][1], cells[0][2])
            if found == (uses - 1, kind, index):
                return
            if found is not None and found[1:] == (kind, index):
                self._fault(r, c.col, f"refers to sample {found[0] + 1}; iteration {iteration} uses sample {uses}",
                            what, expected, cell.value, cell.formula, wanted.text(r))
                return
        shown = form if isinstance(form, str) else "is not a plain reference to the cell of the sample's " + \
            f"{c.label} on data sheet {self.data.name!r}"
        self._fault(r, c.col, f"{shown} (iteration {iteration} uses sample {uses})", what, expected, cell.value,
                    cell.formula, wanted.text(r))

    def _epoch(self, r: int, formula: str, iteration: int, expected: float) -> None:
        """The epoch cost: the mean of the cost column from the first row, or the last m rows, down to this one."""
        col, first = self.epoch.col, self.layout.first_row
        cell = Cell(self.window.cell(r, col).value, formula)
        if formula == self.epoch_texts[min(r - first, self.m - 1)]((), r):
            return
        top = max(first, r - self.m + 1)
        wanted = [(None, row, self.cost_col) for row in range(top, r + 1)]
        form = self._form(cell.formula, r, col)
        if not isinstance(form, str) and form.cells(r, col) == wanted and len(form.refs) == len(wanted):
            probes = [_PROBE * (1 + k) for k in range(len(wanted))]
            if np.allclose(form.evaluate(probes), np.mean(probes, axis=0), rtol=1e-12, atol=0):
                return
        letter = column_letters(self.cost_col)
        problem = form if isinstance(form, str) else \
            f"the epoch cost is the mean of the cost of the last {min(self.m, r - first + 1)} row(s), {letter}{top}:{letter}{r}"
        self._fault(r, col, problem, f"{self.epoch.describe()}, iteration {iteration}", expected, cell.value,
                    cell.formula, self.layout.epoch_formula(r - first).text(r))

    def _fault(self, r: int, col: int, problem: str, what: str, expected=None, found=None, formula=None,
               expected_formula=None) -> None:
        """A failing cell, added to the run of its column when it continues it the same way; counted
        once, with the cells the comparison found failing (compare.Findings): a wrong formula when it
        holds one, else a number that differs."""
        c, k, j = self.chunk, r - self.chunk.lo, self.index[col]
        self.failing += not (c.value_bad[k, j] or c.stale[k, j] or c.formula_bad[k, j])
        if formula is not None:
            self.formula_faults += 1
        else:
            self.value_faults += not c.value_bad[k, j]
        key = (what.split(",")[0], "".join(ch for ch in problem if not ch.isdigit()))
        run = self.open.get(col)
        if run is not None and run[2] == r - 1 and run[1] == key:
            run[2] = r
            return
        if len(self.runs) >= MOST_FAULTS:
            return
        run = [Fault(address(r, col), what, problem, expected, found, formula, expected_formula), key, r]
        self.runs.append(run)
        self.open[col] = run

    def faults(self) -> list:
        """The faults found, a run of cells down a column as one."""
        out = []
        for fault, _, last in self.runs:
            row, col = parse_address(fault.cell)
            if last > row:
                fault = dataclasses.replace(fault, cell=f"{fault.cell}:{address(last, col)}", count=last - row + 1)
            out.append(fault)
        return out

    @property
    def first(self) -> Fault | None:
        """The first failing cell, on its own."""
        return self.runs[0][0] if self.runs else None
