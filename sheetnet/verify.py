"""Verify a workbook: do its numbers and formulas follow from the first row by the note's backpropagation?

Two checks, cell by cell, for every network the workbook holds:

- **Numbers.** The network is recomputed from its first data row (:mod:`sheetnet.network`) and
  every cached value of the sheet is compared with the recomputation; and every cell is
  compared with what the Layout's formula for it gives on the sheet's own numbers, so that a
  wrong number is caught where it first appears, not only downstream.
- **Formulas.** Every formula is compared with the Layout's formula for its cell: the cells it
  refers to, and what it computes from them (on the sheet's numbers and on random numbers), so
  that a wrong formula is reported even where its value happens to be right.

A file whose formulas carry no cached values (saved by a program that does not calculate) has
them computed here, row by row from the first, by the formula evaluator: its verdict is as
complete as a calculated file's.

The sheet streams through in chunks of rows (:class:`Check`), a few rows kept on either side of
each for the formulas that refer to neighbouring rows, so that memory does not grow with the
rows; the recomputation runs forward beside it. Formulas repeat row after row; each distinct
one is parsed and compiled once in relative form (:mod:`sheetnet.formula`) and evaluated for
all its rows of a chunk at once with numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import formats
from .errors import SheetnetError
from .formula import Form, FormulaError, describe_ref, parse
from .grid import EMPTY, Row, Sheet, address
from .layout import LEARNING_RATE, Layout, find, find_label_row, networks
from .network import Network, Problem, histories, history, train

# numpy.isclose's test, |found − expected| ≤ atol + rtol·|expected|. LibreOffice stores 15
# significant digits (rtol) and snaps a difference of two numbers that agree to about 15
# digits to 0, where IEEE arithmetic leaves some 1e-17 (atol): LAYOUT.md.
RTOL = 1e-12
ATOL = 1e-15
_SAME_FUNCTION = 1e-9  # two formulas on the same random numbers: only rounding may differ
_NO_FORMULA, _UNREADABLE = -1, -2
SEP = Row.SEPARATOR  # between the formulas of a row's cells, joined
CHUNK = 8192  # data rows checked at a time
MARGIN = 4  # rows kept on either side of a chunk for formulas that refer to neighbouring rows
MOST_RUNS = 1000  # fault runs listed; the rest are counted


def deviation(found, expected):
    """|a − b| / max(1, |a|, |b|), elementwise; inf where either is not a finite number."""
    found, expected = np.broadcast_arrays(np.asarray(found, dtype=float), np.asarray(expected, dtype=float))
    with np.errstate(all="ignore"):
        d = np.abs(found - expected) / np.maximum(np.maximum(np.abs(found), np.abs(expected)), 1.0)
    d[~(np.isfinite(found) & np.isfinite(expected))] = np.inf
    return d


@dataclass(frozen=True)
class Tolerance:
    """numpy.isclose's tolerance: found agrees with expected when |found − expected| ≤ atol + rtol·|expected|."""

    rtol: float = RTOL
    atol: float = ATOL

    def excess(self, found, expected) -> np.ndarray:
        """|found − expected| / (atol + rtol·|expected|), elementwise: at most 1 where they agree;
        0 where they are equal, inf where either is not a finite number (and they differ)."""
        found, expected = np.atleast_1d(np.asarray(found, dtype=float), np.asarray(expected, dtype=float))
        found, expected = np.broadcast_arrays(found, expected)
        with np.errstate(all="ignore"):
            out = np.abs(found - expected) / (self.atol + self.rtol * np.abs(expected))
        out[~(np.isfinite(found) & np.isfinite(expected))] = np.inf
        out[(found == expected) | (np.isnan(found) & np.isnan(expected))] = 0.0
        return out

    def close(self, found, expected) -> np.ndarray:
        return self.excess(found, expected) <= 1.0

    def describe(self) -> str:
        return f"rtol {self.rtol:g}, atol {self.atol:g}: |a − b| ≤ atol + rtol·|b|"


# -- the report ---------------------------------------------------------------------------------

@dataclass
class Fault:
    """One failing cell, or a run of cells down one column failing the same way."""

    cell: str  # 'D9', or 'D10:D200' for a run
    what: str  # 'w00 of layer 1, iteration 2'
    problem: str
    expected: float | None = None  # the recomputation's value (first cell of a run)
    found: object = None  # the cached value
    formula: str | None = None
    expected_formula: str | None = None
    refers_to: list = field(default_factory=list)  # [{'cell', 'value', 'what'}] of the formula's cells
    count: int = 1

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Quantity:
    name: str  # 'a(1)', 'δ(2)', 'W(1)', 'C', ...
    largest: float  # |found − expected| at the cell that comes nearest to failing (or fails most)
    relative: float  # the same difference relative to |expected|
    cell: str | None  # where it is
    excess: float = field(default=0.0, repr=False)  # its difference over the tolerance there


@dataclass
class Report:
    """What verifying one network found."""

    sheet: str
    sizes: tuple
    iterations: int
    every: int  # rows show iterations 1, 1 + every, ... and the last (sheetnet train --log-every)
    first_row: int
    last_row: int
    learning_rate: float
    learning_rate_cell: str
    tolerance: Tolerance
    formulas: int  # formula cells in the network's columns
    uncached: int  # of those, the ones the file held without a cached value: computed here
    quantities: list
    failing: int  # cells that fail in any way
    value_faults: int  # cells whose number differs from the recomputation
    formula_faults: int  # cells whose formula is wrong or missing
    first: Fault | None
    faults: list  # formula faults and local number faults, in runs

    @property
    def ok(self) -> bool:
        return self.failing == 0

    @property
    def shape(self) -> str:
        return "-".join(map(str, self.sizes))

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet, "ok": self.ok, "shape": self.shape, "sizes": list(self.sizes),
            "iterations": self.iterations, "every": self.every, "rows": [self.first_row, self.last_row],
            "learning_rate": {"cell": self.learning_rate_cell, "value": self.learning_rate},
            "tolerance": {"rtol": self.tolerance.rtol, "atol": self.tolerance.atol},
            "formulas": self.formulas, "holds_formulas": self.formulas > 0,
            "uncached_formulas": self.uncached, "cached_values": self.uncached == 0,
            "quantities": [{"name": q.name, "largest": q.largest, "relative": q.relative, "cell": q.cell}
                           for q in self.quantities],
            "failing_cells": self.failing, "value_faults": self.value_faults, "formula_faults": self.formula_faults,
            "first_failure": self.first.as_dict() if self.first else None,
            "faults": [f.as_dict() for f in self.faults],
        }

    def text(self, most: int = 12) -> str:
        rows = "" if self.every == 1 else f", one row for every {self.every:,}th and the last one"
        lines = [f"sheet {self.sheet!r}: {self.shape} network, {self.iterations:,} iterations (rows "
                 f"{self.first_row}-{self.last_row}{rows}), learning rate {self.learning_rate:g} in "
                 f"{self.learning_rate_cell}: " + ("OK" if self.ok else "FAILS")]
        if not self.formulas:
            lines.append("  the sheet holds no formulas (a values-only file): checked by its numbers only")
        if self.uncached:
            lines.append(f"  the file carried no cached values for {self.uncached:,} of its {self.formulas:,} formulas "
                         "(saved without calculating): sheetnet computed them from the first row on")
        lines.append(f"  largest deviation from the recomputation (tolerance {self.tolerance.describe()}):")
        for q in self.quantities:
            where = f" (relative {q.relative:.3g}) at {q.cell}" if q.cell and q.largest > 0 else ""
            lines.append(f"    {q.name:<9} {q.largest:.3g}{where}")
        if self.first is not None:
            f = self.first
            lines.append(f"  first failing cell: {f.cell}, {f.what}")
            expected, found = _numbers(f.expected, f.found)
            lines.append(f"    expected {expected} (the recomputation), found {found}")
            if f.formula is not None:
                lines.append(f"    formula: {f.formula}")
            lines.append(f"    {f.problem}")
            if f.expected_formula and f.expected_formula != f.formula:
                lines.append(f"    the note's formula here: {f.expected_formula}")
            if f.refers_to:
                lines.append("    it refers to " + ", ".join(f"{r['cell']} = {_number(r['value'])}"
                                                         + (f" ({r['what']})" if r["what"] else "")
                                                         for r in f.refers_to))
        if self.faults:
            lines.append("  faults, down each column:")
            for f in self.faults[:most]:
                formula = f": {f.formula}" if f.formula else ""
                cells = f"{f.cell} ({f.count:,} cells)" if f.count > 1 else f.cell
                lines.append(f"    {cells}, {f.what}{formula}: {f.problem}")
            if len(self.faults) > most:
                lines.append(f"    ... and {len(self.faults) - most:,} more (see --json)")
        if not self.ok:
            lines.append(f"  {self.failing:,} cells fail: {self.formula_faults:,} with a wrong or missing formula, "
                         f"{self.value_faults:,} whose number differs from the recomputation")
        return "\n".join(lines)


def _number(x) -> str:
    if x is None:
        return "empty"
    if isinstance(x, str):
        return repr(x)
    return "inf" if x == math.inf else f"{x:.15g}"


def _numbers(expected, found) -> tuple[str, str]:
    """Two numbers as text with as many digits as it takes to tell them apart (up to 17)."""
    if not isinstance(expected, float) or not isinstance(found, float) or expected == found:
        return _number(expected), _number(found)
    for digits in range(15, 18):
        a, b = f"{expected:.{digits}g}", f"{found:.{digits}g}"
        if a != b:
            return a, b
    return repr(expected), repr(found)


# -- verifying ----------------------------------------------------------------------------------

def verify_file(path, sheet: str | None = None, tolerance: Tolerance = Tolerance()) -> list:
    """A Report for every network of the workbook at path, or for the one on the named sheet,
    the file read as it streams (memory does not grow with its rows)."""
    from .sheets import each_network

    return each_network(path, sheet, lambda head, layout, problem: Check(head, layout, problem, tolerance))[0]


def verify_book(book, sheet: str | None = None, tolerance: Tolerance = Tolerance()) -> list:
    """A Report for every network of a Book read whole, or for the one on the named sheet."""
    if sheet is None:
        return [verify_sheet(s, layout, problem, tolerance) for s, layout, problem in networks(book)]
    s = book.sheet(sheet)
    if find_label_row(s) is None:
        raise SheetnetError(f"holds no network (no {LEARNING_RATE!r} label)", sheet=sheet)
    return [verify_sheet(s, *find(s), tolerance)]


def verify_sheet(sheet: Sheet, layout: Layout, problem: Problem, tolerance: Tolerance = Tolerance()) -> Report:
    """Check one network's numbers and formulas; see the module's docstring."""
    check = Check(sheet, layout, problem, tolerance)
    for r in sorted(sheet.rows):
        if r >= layout.first_row:
            check.feed(r, sheet.rows[r])
    return check.finish()


class _Rows:
    """The sheet's cells that a check holds: the rows down to the first data row, and those of
    the chunk being checked with the margin around it. Other cells are not known."""

    def __init__(self, head: dict):
        self.head, self.near = head, {}

    def cell(self, row: int, col: int):
        cells = self.near.get(row)
        if cells is None:
            cells = self.head.get(row, {})
        return cells.get(col, EMPTY)

    def value(self, row: int, col: int):
        return self.cell(row, col).value


class _Chunk:
    """The arrays of one chunk of data rows, k = 0 .. n-1 for rows lo .. lo+n-1, column j for the
    network's j-th column: what the sheet holds, what is expected, and what fails."""

    def __init__(self, **arrays):
        self.__dict__.update(arrays)


class Check:
    """Verifying one network as its rows stream in: feed(row, cells) for each row from the first
    data row on, ascending, then finish() gives the Report."""

    def __init__(self, head: Sheet, layout: Layout, problem: Problem, tolerance: Tolerance = Tolerance()):
        self.name, self.layout, self.problem, self.tol = head.name, layout, problem, tolerance
        self.columns = layout.columns
        self.cols = [c.col for c in self.columns]
        self.network = tuple(self.cols)
        self.network_set = frozenset(self.cols)
        self.first = layout.first_row
        self.width = max(layout.last_col, layout.lr_col) + 1
        # The rows above the first data row and the first one: formulas refer to them anywhere.
        self.cells = _Rows({r: cells for r, cells in head.rows.items() if r <= self.first})
        self.head_V, self.head_empty, self.head_text, _ = self._arrays(1, self.first, self.cells.head)
        self.pending: list = []  # (row, cells) read and not yet checked, ascending
        self.data_end = self.first - 1  # the last data row read so far: they run on without a gap
        self.ended = False
        self.behind = None  # (base row, V, empty, text) of the rows just above the next chunk
        self.checked = 0  # data rows checked
        # Formulas: every distinct relative formula of each column, parsed once.
        self.form_list, self.form_index, self.last_forms, self.pattern = [], {}, [None] * len(self.cols), None
        self.template_cache, self.same_cache = {}, {}
        self.order = sorted(range(len(self.cols)), key=lambda j: self.columns[j].rank)  # the note's order of a row's cells
        self.sheet_ids = {}  # sheet name -> a number, to tell the cells of other sheets apart
        self.holds_formulas = None  # decided by the first chunk
        self.every = 1  # rows show iterations 1, 1 + every, ...; see _logged
        self.trace = _Trace(problem, layout, 1)
        # What the report adds up.
        self.formulas = self.uncached = self.failing = self.value_faults = self.formula_faults = 0
        self.quantities: dict = {}  # name -> Quantity
        self.first_fault = None
        self.runs: list = []  # [run], each a dict; see _runs
        self.open_runs: dict = {}  # column j -> the run that reached the last checked row
        self.iterations = 0

    # -- taking rows in ---------------------------------------------------------------------------

    def feed(self, r: int, cells) -> None:
        """The cells of row r (ascending, from the first data row on)."""
        if not self.ended:
            if r == self.data_end + 1 and not self.network_set.isdisjoint(cells):
                self.data_end = r
            else:
                self.ended = True
        if self.ended and r > self.data_end + MARGIN:
            return
        self.pending.append((r, cells))
        if self.data_end - self.pending[0][0] + 1 >= CHUNK + MARGIN:
            self._check(CHUNK, final=False)

    def finish(self) -> Report:
        """Check the rows left and report."""
        if self.pending and self.pending[0][0] <= self.data_end:
            self._check(self.data_end - self.pending[0][0] + 1, final=True)
        for j in list(self.open_runs):
            self._close_run(j)
        runs = sorted(self.runs, key=lambda run: (run["start"], run["j"]))
        layout = self.layout
        return Report(
            sheet=self.name, sizes=layout.sizes, iterations=self.iterations, every=self.every,
            first_row=self.first, last_row=self.data_end, learning_rate=self.problem.network.lr,
            learning_rate_cell=layout.lr_address, tolerance=self.tol, formulas=self.formulas,
            uncached=self.uncached, quantities=list(self.quantities.values()), failing=self.failing,
            value_faults=self.value_faults, formula_faults=self.formula_faults, first=self.first_fault,
            faults=[self._run_fault(run) for run in runs])

    # -- the sheet's numbers as arrays --------------------------------------------------------------

    def _arrays(self, lo: int, hi: int, rows) -> tuple:
        """V (every value of rows lo..hi, columns 1..width, as floats: empty 0, text NaN), empty,
        text, and per row the network cells' formulas joined by SEP where the row holds exactly the
        network's cells (the common case, read here in the same pass), else None."""
        shape = (hi - lo + 1, self.width + 1)
        V, empty, text = np.zeros(shape), np.ones(shape, dtype=bool), np.zeros(shape, dtype=bool)
        others, counts, cols, values, texts = [], [], [], [], []
        whole, numbers = [], []  # the rows read as a Row of exactly the network's cells, their numbers
        for r in range(lo, hi + 1):
            cells = rows.get(r) or {}
            if isinstance(cells, Row) and cells.columns.numbers == self.network:
                whole.append(r - lo)
                numbers.append(cells.numbers)
                texts.append(cells.formulas)
            else:
                others.append(r - lo)
                counts.append(len(cells))
                cols.extend(cells)
                values.extend([cell[0] for cell in cells.values()])
                texts.append(SEP.join([cell[1] or "" for cell in cells.values()])
                             if tuple(cells) == self.network else None)
        if values:
            self._fill(V, empty, text, np.repeat(others, counts), np.array(cols), values)
        if whole:
            at = np.ix_(whole, self.network)
            V[at] = np.frombuffer(b"".join(numbers)).reshape(len(whole), len(self.network))
            empty[at] = False
        return V, empty, text, texts

    def _fill(self, V, empty, text, rows: np.ndarray, cols: np.ndarray, values: list) -> None:
        try:
            numbers = np.array(values, dtype=float)  # None -> NaN, True -> 1.0
            texts = np.zeros(len(values), dtype=bool)
        except (ValueError, TypeError):
            numbers = np.array([math.nan if isinstance(v, str) or v is None else float(v) for v in values])
            texts = np.array([isinstance(v, str) for v in values])
        inside = cols <= self.width
        rows, cols, numbers, texts = rows[inside], cols[inside], numbers[inside], texts[inside]
        missing = np.isnan(numbers) & ~texts  # a cell with a formula and no cached value
        V[rows, cols] = np.where(missing, 0.0, numbers)
        empty[rows, cols] = missing
        text[rows, cols] = texts

    # -- evaluating formulas on the sheet's numbers ------------------------------------------------

    def fetch(self, ref, rows: np.ndarray, col: int) -> np.ndarray:
        """The sheet's numbers that ref points to from cells (rows, col); NaN where none can be:
        another sheet, a cell before row 1 or column A, a row not held (see _Rows)."""
        r = np.full(len(rows), ref.row) if ref.row_abs else rows + ref.row
        c = ref.col if ref.col_abs else col + ref.col
        if (ref.sheet is not None and ref.sheet != self.name) or c < 1:
            return np.full(len(rows), np.nan)
        at = r - self.base
        near = (at >= 0) & (at < len(self.V))
        if c <= self.width and near.all():
            return self.V[at, c]
        out = np.full(len(rows), np.nan)
        head = ~near & (r >= 1) & (r <= self.first)
        if c <= self.width:
            out[near] = self.V[at[near], c]
            out[head] = self.head_V[r[head] - 1, c]
        else:
            for k in np.flatnonzero(near | head):
                out[k] = _as_number(self.cells.value(int(r[k]), c))
        return out

    def evaluate(self, form: Form, rows: np.ndarray, col: int) -> np.ndarray:
        values = [self.fetch(ref, rows, col) for ref in form.refs]
        return np.broadcast_to(np.asarray(form.evaluate(values), dtype=float), rows.shape)

    # -- one chunk ------------------------------------------------------------------------------

    def _check(self, n: int, final: bool) -> None:
        """Check the first n pending data rows (all that are left when final)."""
        lo = int(self.pending[0][0])
        hi = lo + n - 1
        held = [(r, cells) for r, cells in self.pending if r <= hi + MARGIN]
        self.base = max(lo - MARGIN, 1)
        self.cells.near = dict(held)
        self.V, self.empty, self.text, texts = self._arrays(self.base, hi + MARGIN, self.cells.near)
        texts = texts[lo - self.base:lo - self.base + n]
        for r in range(self.base, lo):  # the rows above: as the chunk before left them, or the head
            if self.behind is not None and self.behind[0] <= r:
                k = r - self.behind[0]
                src = (self.behind[1][k], self.behind[2][k], self.behind[3][k])
                self.cells.near[r] = self.behind[4].get(r, {})
            elif r <= self.first:
                src = (self.head_V[r - 1], self.head_empty[r - 1], self.head_text[r - 1])
            else:
                continue
            self.V[r - self.base], self.empty[r - self.base], self.text[r - self.base] = src
        rows = np.arange(lo, hi + 1)
        kb = rows - self.base
        ids = self._forms(rows, texts)
        if self.holds_formulas is None:
            self.holds_formulas = bool((ids != _NO_FORMULA).any())
        self._compute_uncached(rows, ids)
        if lo == self.first:  # the first data row, computed where it had no cached values, for the rows below
            self.head_V[lo - 1], self.head_empty[lo - 1] = self.V[lo - self.base], self.empty[lo - self.base]
        cols = self.cols
        found = self.V[kb][:, cols]
        empty = self.empty[kb][:, cols]
        text = self.text[kb][:, cols]
        found[text] = np.nan  # a copy already (fancy indexing)
        numbers = 1 + (rows - self.first) * self.every
        trace = self.trace.take(n)
        if lo == self.first and not self.holds_formulas and n > 1 and not self.tol.close(found[1], trace[1]).all():
            every = self._logged(found[1])  # a values-only sheet may show every K-th iteration
            if every > 1:
                self.every, self.trace = every, _Trace(self.problem, self.layout, every)
                numbers = 1 + (rows - self.first) * every
                trace = self.trace.take(n)
        if final and self.every > 1 and hi > self.first:
            numbers[-1], trace[-1] = self._last_logged(found[-1], int(numbers[-1]))
        self.iterations = int(numbers[-1])
        c = _Chunk(lo=lo, n=n, rows=rows, ids=ids, found=found, empty=empty, text=text, trace=trace,
                   numbers=numbers)
        self._compare(c)
        # Keep the chunk's last rows, as computed, for the chunk below.
        keep = slice(hi - MARGIN + 1 - self.base, hi + 1 - self.base)
        self.behind = (hi - MARGIN + 1, self.V[keep].copy(), self.empty[keep].copy(), self.text[keep].copy(),
                       {r: self.cells.near[r] for r in range(hi - MARGIN + 1, hi + 1) if r in self.cells.near})
        self.pending = [(r, cells) for r, cells in self.pending if r > hi]
        self.checked += n

    def _compare(self, c: _Chunk) -> None:
        """The checks of one chunk, added to the report."""
        n, cols = c.n, self.cols
        off = self.tol.excess(c.found, c.trace)
        off[c.empty] = np.inf
        # What each cell's template gives on the sheet's own numbers (NaN where it cannot), for
        # every cell that has one: all but the numbers of the first row.
        c.local = np.full((n, len(cols)), np.nan)
        c.templated = np.zeros((n, len(cols)), dtype=bool)
        c.formula_bad = np.zeros((n, len(cols)), dtype=bool)
        for j, col in enumerate(cols):
            for first_row in (True, False):
                ks = np.flatnonzero((c.rows == self.first) == first_row)
                expected = self._templates(first_row)[j]
                if expected is None or not len(ks):
                    continue
                if self.every > 1 and not first_row and any(r.row and not r.row_abs for r in expected.refs):
                    continue  # rows every K-th iteration apart: no row follows from the one above
                c.templated[ks, j] = True
                c.local[ks, j] = self.evaluate(expected, c.rows[ks], col)
                self._check_formulas(c, j, col, ks, self._candidates(j, first_row))
        c.stale = ~self.tol.close(c.found, c.local)
        c.stale[np.isnan(c.local)] = False
        c.stale |= (c.empty | c.text) & c.templated
        c.value_bad = off > 1.0
        failing = c.value_bad | c.stale | c.formula_bad
        self.formulas += int((c.ids >= 0).sum() + (c.ids == _UNREADABLE).sum())
        self.failing += int(failing.sum())
        self.value_faults += int(c.value_bad.sum())
        self.formula_faults += int(c.formula_bad.sum())
        self._quantities(c, off)
        if failing.any() and self.first_fault is None:
            self.first_fault = self._first(c)
        self._runs(c)

    def _logged(self, second: np.ndarray, most: int = 100_000) -> int:
        """The K of rows that show iterations 1, 1 + K, 1 + 2K, ... (sheetnet train --log-every K),
        found from the second row's weights; 1 when none up to `most` fits."""
        weights = [j for j, c in enumerate(self.columns) if c.kind == "weight"]
        w = second[weights]
        flat = lambda it: np.concatenate([m.ravel() for m in it.W[1:]])  # noqa: E731
        for k, it in enumerate(train(self.problem, most + 1)):
            # One weight first: a scalar test rules out almost every iteration cheaply.
            if k and self.tol.close(it.W[1][0, 0], w[0])[0] and self.tol.close(flat(it), w).all():
                return k
        return 1

    def _last_logged(self, found: np.ndarray, guess: int) -> tuple:
        """(iteration, its numbers in the network's columns) of the last row of a sheet of every
        K-th iteration: the one after the row above, at most K later, whose weights the row
        shows; the guess on the grid of K when none does."""
        weights = [j for j, c in enumerate(self.columns) if c.kind == "weight"]
        start = guess - self.every
        W = history(self.problem, start, max(start - 1, 1)).at(-1).W
        after = Problem(Network(W, self.problem.network.lr), self.problem.inputs, self.problem.T)
        k = start  # the iteration of the chunk's first row
        for h in histories(after, self.every + 1, 1, CHUNK):  # iterations start .. guess
            numbers = self.layout.matrix(h)
            match = np.flatnonzero(self.tol.close(numbers[:, weights], found[weights]).all(axis=1))
            match = match[match + k > start]
            if len(match):
                return k + int(match[0]), numbers[match[0]]
            k += len(numbers)
        return guess, numbers[-1]

    # -- formulas ---------------------------------------------------------------------------------

    def _forms(self, rows: np.ndarray, texts: list) -> np.ndarray:
        """ids[k, j]: the Form (index into self.form_list) of column j's formula in data row k of
        the chunk; _NO_FORMULA or _UNREADABLE (its error kept in self.errors)."""
        self.errors = {}
        cols = self.cols
        ids = np.empty((len(rows), len(cols)), dtype=np.int64)
        for k, r in enumerate(rows.tolist()):
            cells = self.cells.near.get(r, {})
            if self.pattern is not None:
                joined = texts[k]
                if joined is None:  # the row holds other cells too, or lacks some
                    joined = SEP.join([cells.get(c, EMPTY)[1] or "" for c in cols])
                if joined == self.pattern[0](r):
                    ids[k] = self.pattern[1]
                    continue
            row_ids = []
            for j, c in enumerate(cols):
                t = cells.get(c, EMPTY)[1]
                if t is None:
                    row_ids.append(_NO_FORMULA)
                    continue
                form = self.last_forms[j]
                if form is None or form.text(r) != t:
                    try:
                        form = parse(t, r, c)
                    except FormulaError as e:
                        self.errors[(r, c)] = str(e)
                        row_ids.append(_UNREADABLE)
                        continue
                    self.last_forms[j] = form
                row_ids.append(self._form_id(j, form))
            ids[k] = row_ids
            self.pattern = _pattern(row_ids, self.last_forms)
        return ids

    def _form_id(self, j: int, form: Form) -> int:
        """The index of a column's form; the same relative formula in two columns reads differently."""
        found = self.form_index.get((j, form.key))
        if found is None:
            found = self.form_index[(j, form.key)] = len(self.form_list)
            self.form_list.append(form)
        return found

    def _compute_uncached(self, rows: np.ndarray, ids: np.ndarray) -> None:
        """Give the formulas that carry no cached value the number they compute, row by row (a row
        may use the one above), each row's cells in the order their references allow."""
        cols = self.cols
        missing = self.empty[rows - self.base][:, cols] & (ids >= 0)
        if not missing.any():
            return
        for k in np.flatnonzero(missing.any(axis=1)):
            r = int(rows[k])
            todo = [j for j in self.order if missing[k, j]]
            for _ in range(len(todo)):  # each pass computes the cells whose references are known
                left = []
                for j in todo:
                    form, c = self.form_list[ids[k, j]], cols[j]
                    refs = [ref.at(r, c) for ref in form.refs]
                    if any(ref.sheet in (None, self.name) and self._pending(rr, cc) for ref, (rr, cc) in
                           zip(form.refs, refs)):
                        left.append(j)
                        continue
                    values = [self.fetch(ref, np.array([r]), c)[0] for ref in form.refs]
                    with np.errstate(all="ignore"):
                        self.V[r - self.base, c] = float(np.asarray(form.evaluate(values), dtype=float))
                    self.empty[r - self.base, c] = False
                    self.uncached += 1
                if len(left) == len(todo):
                    break
                todo = left

    def _pending(self, row: int, col: int) -> bool:
        """Whether a cell the chunk holds still waits for its number (see _compute_uncached)."""
        k = row - self.base
        return 0 <= k < len(self.V) and 0 < col <= self.width and bool(self.empty[k, col]) and \
            self.cells.cell(row, col).formula is not None

    def _templates(self, first: bool) -> list:
        """The Form of each column's template in the first data row or in the later ones."""
        if first in self.template_cache:
            return self.template_cache[first]
        r = self.first if first else self.first + 1
        templates = self.layout.templates(first)
        forms = [None if templates[c - 1] is None else parse(templates[c - 1].text(r), r, c)
                 for c in self.cols]
        self.template_cache[first] = forms
        return forms

    def _candidates(self, j: int, first: bool) -> list:
        """The formulas column j may hold: its template, and for a weight after the first row,
        when the sheet has change matrices, the update from them: w(r) = w(r-1) - γ dC/dw(r-1)."""
        if (j, first) in self.template_cache:
            return self.template_cache[(j, first)]
        forms = [self._templates(first)[j]]
        c = self.columns[j]
        if c.kind == "weight" and not first and self.layout.changes:
            r = self.first + 1
            forms.append(parse(self.layout.update_from_change(c).text(r), r, c.col))
        self.template_cache[(j, first)] = forms
        return forms

    def _check_formulas(self, c: _Chunk, j: int, col: int, ks: np.ndarray, candidates: list) -> None:
        """Mark in c.formula_bad[ks, j] the cells whose formula is missing or is none of the candidates."""
        bad = c.formula_bad
        ids = c.ids[ks, j]
        for i in np.unique(ids):
            sel = ks[ids == i]
            if i == _NO_FORMULA:
                if self.holds_formulas:
                    bad[sel, j] = True
                continue
            if i == _UNREADABLE:
                bad[sel, j] = True
                continue
            form = self.form_list[i]
            for n, expected in enumerate(candidates):  # the cells none of the candidates before accounts for
                at = c.rows[sel]
                same = self._same_cells(form, expected, at, col)
                same &= self._same_function(form, expected, at, col, same, (i, j, n, at[0] == self.first))
                a, b = self.evaluate(form, at, col), self.evaluate(expected, at, col)
                # Where the sheet's numbers give no number (text, #DIV/0!), they cannot tell formulas apart.
                same &= self.tol.close(a, b) | ~(np.isfinite(a) & np.isfinite(b))
                sel = sel[~same]
                if not len(sel):
                    break
            bad[sel, j] = True

    def _same_cells(self, form: Form, expected: Form, rows: np.ndarray, col: int) -> np.ndarray:
        """Per row: whether the formula refers to exactly the template's cells."""
        if _refs(form, col) == _refs(expected, col):
            return np.ones(len(rows), dtype=bool)
        a, b = _cell_ids(form, rows, col, self.sheet_ids), _cell_ids(expected, rows, col, self.sheet_ids)
        width = max(a.shape[1], b.shape[1])
        a, b = _pad(a, width), _pad(b, width)
        return (a == b).all(axis=1)

    def _same_function(self, form: Form, expected: Form, rows: np.ndarray, col: int, same: np.ndarray,
                       key) -> np.ndarray:
        """Per row: whether the formula computes the template's function of the same cells,
        tested on random numbers (the sheet's own numbers may hide a difference, e.g. a zero δ).
        Where the two refer to the same cells by the same references, the answer holds in every
        row: it is kept (key) for the chunks after."""
        out = np.ones(len(rows), dtype=bool)
        if not same.any():
            return out
        rng = np.random.default_rng(20191105)
        if _refs(form, col) == _refs(expected, col):
            if key not in self.same_cache:
                points = {ref: rng.uniform(0.25, 1.75, 4) for ref in _refs(expected, col)}
                a = form.evaluate([points[_ref(ref, col)] for ref in form.refs])
                b = expected.evaluate([points[_ref(ref, col)] for ref in expected.refs])
                self.same_cache[key] = bool((deviation(a, b) <= _SAME_FUNCTION).all()
                                            or np.array_equal(a, b, equal_nan=True))
            out[:] = self.same_cache[key]
            return out
        for k in np.flatnonzero(same):  # the rare rows where different references meet the same cells
            r = int(rows[k])
            points = {cell: rng.uniform(0.25, 1.75, 4) for cell in expected.cells(r, col)}
            a = form.evaluate([points[(ref.sheet, *ref.at(r, col))] for ref in form.refs])
            b = expected.evaluate([points[(ref.sheet, *ref.at(r, col))] for ref in expected.refs])
            out[k] = bool((deviation(a, b) <= _SAME_FUNCTION).all())
        return out

    # -- what the report adds up ----------------------------------------------------------------

    def _quantities(self, c: _Chunk, off: np.ndarray) -> None:
        """The largest deviation of each quantity so far: the cell that comes nearest to failing."""
        for j, col in enumerate(self.columns):
            name = col.quantity
            k = int(np.argmax(off[:, j]))
            q = self.quantities.setdefault(name, Quantity(name, 0.0, 0.0, address(self.first, col.col), -1.0))
            if off[k, j] > q.excess:
                found, expected = c.found[k, j], c.trace[k, j]
                with np.errstate(all="ignore"):
                    diff = float(abs(found - expected)) if np.isfinite(found) and np.isfinite(expected) else math.inf
                    relative = diff / abs(expected) if expected else (0.0 if diff == 0 else math.inf)
                q.largest, q.relative, q.excess = diff, float(relative), float(off[k, j])
                q.cell = address(c.lo + k, col.col)

    def _first(self, c: _Chunk) -> Fault:
        """The first cell where the sheet goes wrong: earliest row, and in it the earliest step of
        the computation (a wrong number shows in every cell computed from it, not only its own)."""
        ks, js = np.nonzero(c.formula_bad | c.stale | c.value_bad)
        best = min(zip(ks, js), key=lambda kj: (kj[0], self.columns[kj[1]].rank))
        return self._fault(c, *best)

    def _runs(self, c: _Chunk) -> None:
        """The cells whose formula is wrong or whose number does not follow from the sheet's
        numbers, as runs down each column of cells failing the same way (at most MOST_RUNS runs,
        continued from the chunk before); a difference carried forward from them is counted, not
        listed."""
        # Numbers no formula of the sheet accounts for (every K-th iteration) fail on their own.
        local_bad = c.formula_bad | c.stale | (~self.tol.close(c.found, c.trace) & ~c.templated)
        for j in range(len(self.cols)):
            ks = np.flatnonzero(local_bad[:, j])
            if not len(ks) or ks[0] != 0:
                self._close_run(j)
            start = 0
            while start < len(ks):
                k0 = ks[start]
                key = self._run_key(c, k0, j)
                end = start
                while end + 1 < len(ks) and ks[end + 1] == ks[end] + 1 and self._run_key(c, ks[end + 1], j) == key:
                    end += 1
                run = self.open_runs.get(j)
                if run is not None and k0 == 0 and run["key"] == key:
                    run["end"], run["last"] = int(c.lo + ks[end]), int(c.numbers[ks[end]])
                else:
                    self._close_run(j)
                    if len(self.runs) + len(self.open_runs) >= MOST_RUNS:
                        break
                    self.open_runs[j] = {"j": j, "start": int(c.lo + k0), "end": int(c.lo + ks[end]), "key": key,
                                         "fault": self._fault(c, k0, j), "first": int(c.numbers[k0]),
                                         "last": int(c.numbers[ks[end]])}
                if ks[end] != c.n - 1:
                    self._close_run(j)
                start = end + 1

    def _run_key(self, c: _Chunk, k: int, j: int) -> tuple:
        """What cells of one run share: the formula, whether it is wrong, and how (row numbers aside)."""
        i, bad = int(c.ids[k, j]), bool(c.formula_bad[k, j])
        if not bad or i < 0:
            return i, bad, ""
        r, col = c.lo + k, self.cols[j]
        expected = self._closest(c, k, j)
        return i, bad, _strip_digits(self._formula_problem(self.form_list[i], expected, r, col))

    def _close_run(self, j: int) -> None:
        run = self.open_runs.pop(j, None)
        if run is not None:
            self.runs.append(run)

    def _run_fault(self, run: dict) -> Fault:
        f = run["fault"]
        if run["end"] > run["start"]:
            col = self.cols[run["j"]]
            f.cell = f"{f.cell}:{address(run['end'], col)}"
            f.count = run["end"] - run["start"] + 1
            f.what = f"{self.columns[run['j']].describe()}, iterations {run['first']}-{run['last']}"
        return f

    # -- describing what fails -------------------------------------------------------------------

    def _what(self, c: _Chunk, k: int, j: int) -> str:
        what = f"{self.columns[j].describe()}, iteration {c.numbers[k]}"
        if self.columns[j].kind == "weight" and c.rows[k] != self.first:  # a row's weights are the previous update
            what += f" (after the update of iteration {c.numbers[k] - 1})"
        return what

    def _cell_what(self, row: int, col: int) -> str:
        """What a cell the formula refers to holds, in words."""
        if (row, col) == (self.first, self.layout.lr_col):
            return "the learning rate"
        for j, c in enumerate(self.columns):
            if c.col == col and self.first <= row <= self.data_end:
                return f"{c.describe()}, iteration {1 + (row - self.first) * self.every}"
        return ""

    def _value_at(self, sheet, row: int, col: int):
        if sheet is not None and sheet != self.name:
            return None
        return self.cells.value(row, col)

    def _held(self, row: int) -> bool:
        return row <= self.first or row in self.cells.near

    def _diagnose(self, c: _Chunk, k: int, j: int) -> tuple:
        """(problem, formula, expected formula, refers_to) of cell (data row k, column j)."""
        r, col = c.lo + k, self.cols[j]
        i = c.ids[k, j]
        expected = self._closest(c, k, j)
        expected_text = expected.text(r) if expected is not None and c.templated[k, j] else None
        formula = self.cells.cell(r, col).formula
        refers = []
        if i >= 0:
            form = self.form_list[i]
            refers = [{"cell": describe_ref(s, rr, cc), "value": self._value_at(s, rr, cc),
                       "what": (self._cell_what(rr, cc) if self._held(rr) else "far from this row: not read")
                       if s is None else ""} for s, rr, cc in form.cells(r, col)]
        if c.formula_bad[k, j]:
            if i == _UNREADABLE:
                problem = f"its formula cannot be read: {self.errors.get((r, col))}"
            elif i == _NO_FORMULA:
                problem = ("is empty where a formula belongs" if c.empty[k, j] else
                           "a typed number where a formula belongs")
            else:
                problem = self._formula_problem(self.form_list[i], expected, r, col)
        elif c.text[k, j]:
            problem = f"holds text {self.cells.value(r, col)!r} where a number belongs"
        elif c.empty[k, j]:
            problem = ("its formula gives no number (it was saved without a cached value)" if formula
                       else "is empty where a number belongs")
        elif c.stale[k, j]:
            if i >= 0:
                problem = (f"its cached value does not follow from its formula, which gives {_number(c.local[k, j])} "
                           "on the sheet's numbers")
            else:
                problem = (f"does not follow from the sheet's numbers by backpropagation, which give "
                           f"{_number(c.local[k, j])} here")
        elif c.templated[k, j]:
            problem = ("differs from the recomputation from the first row, though it follows from the sheet's "
                       "numbers around it: an earlier difference carried forward")
        else:
            problem = "differs from the recomputation from the first row"
        return problem, formula, expected_text, refers

    def _closest(self, c: _Chunk, k: int, j: int) -> Form | None:
        """The candidate formula of cell (k, j) sharing most cells with the formula it holds."""
        candidates = self._candidates(j, c.rows[k] == self.first)
        i, r, col = c.ids[k, j], c.lo + k, self.cols[j]
        if i < 0 or candidates[0] is None:
            return candidates[0]
        have = set(self.form_list[i].cells(r, col))
        return max(candidates, key=lambda f: len(have & set(f.cells(r, col))) - len(set(f.cells(r, col)) - have))

    def _formula_problem(self, form: Form, expected: Form, r: int, c: int) -> str:
        """Why a formula is not the template's, naming the cells it refers to."""
        other = [s for s, _, _ in form.cells(r, c) if s is not None and s != self.name]
        if other:
            return f"refers to another sheet ({other[0]!r}); a network's formulas stay on its sheet"
        have, want = set(form.cells(r, c)), set(expected.cells(r, c))
        extra = sorted(have - want, key=lambda x: (x[1], x[2]))
        missing = sorted(want - have, key=lambda x: (x[1], x[2]))
        if not extra and not missing:
            return ("computes something else from the right cells: it gives "
                    f"{_number(float(self.evaluate(form, np.array([r]), c)[0]))} on the sheet's numbers where the "
                    f"note's formula gives {_number(float(self.evaluate(expected, np.array([r]), c)[0]))}")
        said = []
        lr = (None, self.first, self.layout.lr_col)
        lr_name = self.layout.lr_address
        if lr in missing:
            missing.remove(lr)
            # The cell used in its place: one in the learning rate's column, else any other extra.
            instead = next((x for x in extra if x[2] == lr[2]), None)
            if instead is None and len(extra) > len(missing):
                instead = extra[-1]
            if instead is None:
                said.append(f"no learning rate (the learning rate is in {lr_name})")
            else:
                extra.remove(instead)
                said.append(f"{self._refers(instead)}; the learning rate is in {lr_name}")
        # A reference in place of an expected one: first the same column in another row, then
        # another column in the same row. References are (sheet, row, column).
        wrong_row = (2, lambda x, m: f"refers to {describe_ref(*x)}, row {x[1]}, where row {m[1]} is expected "
                                     f"({describe_ref(*m)})")
        wrong_column = (1, lambda x, m: f"{self._refers(x)} where {describe_ref(*m)} "
                                        f"({self._cell_what(m[1], m[2])}) is expected")
        for same, say in (wrong_row, wrong_column):
            for x in list(extra):
                pair = next((m for m in missing if m[0] == x[0] and m[same] == x[same]), None)
                if pair is not None:
                    extra.remove(x)
                    missing.remove(pair)
                    said.append(say(x, pair))
        said += [self._refers(x) for x in extra]
        said += [f"does not refer to {describe_ref(*m)}" + (f" ({w})" if (w := self._cell_what(m[1], m[2])) else "")
                 for m in missing]
        return "; ".join(said)

    def _refers(self, cell) -> str:
        sheet, row, col = cell
        if not self._held(row):
            return f"refers to {describe_ref(*cell)}, far from this row"
        value = self._value_at(sheet, row, col)
        what = self._cell_what(row, col)
        if value is None:
            return f"refers to {describe_ref(*cell)}, which is empty"
        return f"refers to {describe_ref(*cell)} ({what + ', ' if what else ''}holding {_number(value)})"

    def _fault(self, c: _Chunk, k: int, j: int) -> Fault:
        problem, formula, expected_formula, refers = self._diagnose(c, k, j)
        r, col = c.lo + k, self.cols[j]
        value = self.cells.value(r, col)
        if value is None and not c.empty[k, j]:  # computed here: the file carried none
            value = float(c.found[k, j])
        return Fault(cell=address(r, col), what=self._what(c, k, j), problem=problem,
                     expected=float(c.trace[k, j]), found=value, formula=formula,
                     expected_formula=expected_formula, refers_to=refers)


class _Trace:
    """The recomputation's numbers of the network's columns, one row per logged iteration (1,
    1 + every, ...), taken a chunk at a time as the check goes down the sheet."""

    def __init__(self, problem: Problem, layout: Layout, every: int):
        self.layout = layout
        most = 1 + formats.MAX_ROWS * every  # no sheet holds more rows
        self.chunks = histories(problem, most, every, CHUNK)
        self.left = np.zeros((0, len(layout.columns)))

    def take(self, n: int) -> np.ndarray:
        parts, have = [self.left], len(self.left)
        while have < n:
            numbers = self.layout.matrix(next(self.chunks))
            parts.append(numbers)
            have += len(numbers)
        rows = np.concatenate(parts) if len(parts) > 1 else self.left
        self.left = rows[n:]
        return rows[:n].copy()


def _pattern(row_ids: list, forms: list):
    """(render, ids): render(r) gives the text a row of these formulas has in row r, the
    network cells' formulas joined by SEP, as the reader's pass collects them. Compiled to
    an f-string, since it runs once per row of a sheet that may have a million."""
    if _UNREADABLE in row_ids:
        return None
    offsets, parts = [], []
    for i, form in zip(row_ids, forms):
        for p in form.pieces if i != _NO_FORMULA else ():
            if isinstance(p, str):
                parts.append(p.replace("{", "{{").replace("}", "}}"))
            else:
                offsets += [] if p[0] in offsets else [p[0]]
                parts.append("{a%d}" % offsets.index(p[0]))
        parts.append(SEP)
    # Each row number is turned into text once, then the f-string only joins texts.
    names = ", ".join(f"a{k}" for k in range(len(offsets)))
    texts = ", ".join(f"str(r + {d})" for d in offsets)
    source = f"lambda r: (lambda {names}: f{''.join(parts[:-1])!r})({texts})"
    return eval(compile(source, "<row pattern>", "eval")), np.array(row_ids)


def _ref(ref, col: int):
    """A reference from a cell of column col, its column made absolute: all cells compared here
    stand in one column, so that C8 and $C8 there are the same reference."""
    return ref._replace(col=ref.col if ref.col_abs else col + ref.col, col_abs=True)


def _refs(form: Form, col: int) -> set:
    return {_ref(ref, col) for ref in form.refs}


def _strip_digits(text: str) -> str:
    return "".join(ch for ch in text if not ch.isdigit())


def _as_number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):
        return math.nan
    return float(value)


def _cell_ids(form: Form, rows: np.ndarray, col: int, sheets: dict) -> np.ndarray:
    """Per row, the distinct cells a form refers to as sorted integers, padded with the largest integer."""
    ids = []
    for ref in form.refs:
        sheet = sheets.setdefault(ref.sheet, len(sheets))
        r = np.full(len(rows), ref.row) if ref.row_abs else rows + ref.row
        c = ref.col if ref.col_abs else col + ref.col
        ids.append((sheet * (1 << 21) + r) * (1 << 15) + c)
    a = np.sort(np.stack(ids, axis=1), axis=1) if ids else np.zeros((len(rows), 0), dtype=np.int64)
    if a.shape[1] > 1:
        dup = np.zeros(a.shape, dtype=bool)
        dup[:, 1:] = a[:, 1:] == a[:, :-1]
        a = np.sort(np.where(dup, np.iinfo(np.int64).max, a), axis=1)
    return a


def _pad(a: np.ndarray, width: int) -> np.ndarray:
    return np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=np.iinfo(np.int64).max)


# -- the whole workbook's report --------------------------------------------------------------

def document(path, reports: list) -> dict:
    """The reports of a workbook as one JSON-ready document (non-finite numbers become null)."""
    return _finite({"file": str(path), "ok": all(r.ok for r in reports), "networks": [r.as_dict() for r in reports]})


def text(path, reports: list) -> str:
    """The reports of a workbook as text, one block per network."""
    failing = [r.sheet for r in reports if not r.ok]
    verdict = "every network verifies" if not failing else "fails: " + ", ".join(map(repr, failing))
    return "\n".join([f"{path}: {verdict}"] + [r.text() for r in reports])


def _finite(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x
