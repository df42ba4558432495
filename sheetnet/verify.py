"""Verify a workbook: do its numbers and formulas follow from the first row by the note's backpropagation?

Two checks, cell by cell, for every network the workbook holds:

- **Numbers.** The network is recomputed from its first data row (:func:`network.train`) and
  every cached value of the sheet is compared with the recomputation; and every cell is
  compared with what the Layout's formula for it gives on the sheet's own numbers, so that a
  wrong number is caught where it first appears, not only downstream.
- **Formulas.** Every formula is compared with the Layout's template for its cell: the cells it
  refers to, and what it computes from them (on the sheet's numbers and on random numbers), so
  that a wrong formula is reported even where its value happens to be right.

Formulas repeat row after row; each distinct one is parsed and compiled once in relative form
(:mod:`sheetnet.formula`) and evaluated for all its rows at once with numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import SheetnetError
from .formula import Form, FormulaError, describe_ref, parse
from .grid import EMPTY, Row, Sheet, address
from .layout import Layout, find, find_label_row, networks
from .network import Problem, history, train

TOLERANCE = 1e-12  # absorbs LibreOffice's 15 significant digits (LAYOUT.md), not real errors
_SAME_FUNCTION = 1e-9  # two formulas on the same random numbers: only rounding may differ
_NO_FORMULA, _UNREADABLE = -1, -2
SEP = Row.SEPARATOR  # between the formulas of a row's cells, joined


def deviation(found, expected):
    """|a − b| / max(1, |a|, |b|), elementwise; inf where either is not a finite number."""
    found, expected = np.broadcast_arrays(np.asarray(found, dtype=float), np.asarray(expected, dtype=float))
    # In place, step by step: a long sheet's columns take tens of megabytes each.
    with np.errstate(all="ignore"):
        scale = np.abs(found)
        np.maximum(scale, np.abs(expected), out=scale)
        np.maximum(scale, 1.0, out=scale)
        d = np.subtract(found, expected)
        np.abs(d, out=d)
        d /= scale
    d[~(np.isfinite(found) & np.isfinite(expected))] = np.inf
    return d


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
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Quantity:
    name: str  # 'a(1)', 'δ(2)', 'W(1)', 'C', ...
    largest: float  # largest deviation from the recomputation
    cell: str | None  # where it is


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
    tolerance: float
    formulas: int  # formula cells in the network's columns
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
            "tolerance": self.tolerance, "formulas": self.formulas, "holds_formulas": self.formulas > 0,
            "quantities": [q.__dict__ for q in self.quantities],
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
        lines.append(f"  largest deviation from the recomputation (tolerance {self.tolerance:g}, relative):")
        for q in self.quantities:
            where = f" at {q.cell}" if q.cell and q.largest > 0 else ""
            lines.append(f"    {q.name:<9} {q.largest:.3g}{where}")
        if self.first is not None:
            f = self.first
            lines.append(f"  first failing cell: {f.cell}, {f.what}")
            lines.append(f"    expected {_number(f.expected)} (the recomputation), found {_number(f.found)}")
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


# -- verifying ----------------------------------------------------------------------------------

def needed(sheet: str | None):
    """formats.read's keep for verify_book(book, sheet): with no sheet named, only the sheets that
    hold a network (the check and summary sheets of a long training are as large); with one
    named, every sheet, so that a wrong name is told the names there are."""
    return (lambda s: find_label_row(s) is not None) if sheet is None else None


def verify_book(book, sheet: str | None = None, tolerance: float = TOLERANCE) -> list:
    """A Report for every network of the book, or for the one on the named sheet."""
    if sheet is None:
        return [verify_sheet(s, layout, problem, tolerance) for s, layout, problem in networks(book)]
    s = book.sheet(sheet)
    if find_label_row(s) is None:
        raise SheetnetError("holds no network (no 'Learning rate' label)", sheet=sheet)
    return [verify_sheet(s, *find(s), tolerance)]


def verify_sheet(sheet: Sheet, layout: Layout, problem: Problem, tolerance: float = TOLERANCE) -> Report:
    """Check one network's numbers and formulas; see the module's docstring."""
    return _Check(sheet, layout, problem, tolerance).report()


class _Check:
    def __init__(self, sheet: Sheet, layout: Layout, problem: Problem, tolerance: float):
        self.sheet, self.layout, self.problem, self.tol = sheet, layout, problem, tolerance
        self.columns = layout.columns
        self.cols = [c.col for c in self.columns]
        self.first = layout.first_row
        self.last = self._last_row()
        self.n = self.last - self.first + 1
        self._template_cache = {}
        self.every, self.iterations = 1, self.n  # one row per iteration, unless _logged finds otherwise
        self.numbers = np.arange(1, self.n + 1)  # the iteration each data row shows
        self.sheet_ids = {}  # sheet name -> a number, to tell the cells of other sheets apart
        self._grid()
        self._forms()

    # -- reading the sheet into arrays ---------------------------------------------------------

    def _last_row(self) -> int:
        """The last row of the unbroken run of data rows from the first one."""
        rows, wanted, r = self.sheet.rows, set(self.cols), self.first
        while (cells := rows.get(r + 1)) and not wanted.isdisjoint(cells):
            r += 1
        return r

    def _grid(self) -> None:
        """V: every value of rows 1..last+1, columns 1..width, as floats (empty 0, text NaN);
        and self.texts: per data row, its network cells' formulas joined by SEP, where a row
        holds exactly the network's cells (the common case, read here in the same pass)."""
        self.width = max(self.layout.last_col, self.layout.lr_col) + 1
        shape = (self.last + 2, self.width + 1)
        self.V = np.zeros(shape)
        self.empty = np.ones(shape, dtype=bool)
        self.text = np.zeros(shape, dtype=bool)
        self.texts = []
        network = tuple(self.cols)
        for lo, hi in ((1, self.first - 1), (self.first, self.last)):
            others, counts, cols, values = [], [], [], []
            whole, numbers = [], []  # the rows read as a Row of exactly the network's cells, their numbers
            for r in range(lo, hi + 1):
                cells = self.sheet.rows.get(r) or {}
                if isinstance(cells, Row) and cells.columns.numbers == network:
                    whole.append(r)
                    numbers.append(cells.numbers)
                    joined = cells.formulas
                else:
                    others.append(r)
                    counts.append(len(cells))
                    cols.extend(cells)
                    values.extend([cell[0] for cell in cells.values()])
                    joined = SEP.join([cell[1] or "" for cell in cells.values()]) if tuple(cells) == network else None
                if lo == self.first:
                    self.texts.append(joined)
            if values:
                self._fill(np.repeat(others, counts), np.array(cols), values)
            if whole:
                at = np.ix_(whole, network)
                self.V[at] = np.frombuffer(b"".join(numbers)).reshape(len(whole), len(network))
                self.empty[at] = False

    def _fill(self, rows: np.ndarray, cols: np.ndarray, values: list) -> None:
        try:
            numbers = np.array(values, dtype=float)  # None -> NaN, True -> 1.0
            texts = np.zeros(len(values), dtype=bool)
        except (ValueError, TypeError):
            numbers = np.array([math.nan if isinstance(v, str) or v is None else float(v) for v in values])
            texts = np.array([isinstance(v, str) for v in values])
        inside = cols <= self.width
        rows, cols, numbers, texts = rows[inside], cols[inside], numbers[inside], texts[inside]
        missing = np.isnan(numbers) & ~texts  # a cell with a formula and no cached value
        self.V[rows, cols] = np.where(missing, 0.0, numbers)
        self.empty[rows, cols] = missing
        self.text[rows, cols] = texts

    def _forms(self) -> None:
        """ids[k, j]: the Form (index into self.form_list) of column j's formula in data row k."""
        self.form_list, self.form_index, self.errors = [], {}, {}
        rows, cols = self.sheet.rows, self.cols
        ids = np.empty((self.n, len(cols)), dtype=np.int64)
        last_forms = [None] * len(cols)
        pattern = None  # (a function rendering a whole row's formulas as joined text, their ids)
        for k, r in enumerate(range(self.first, self.last + 1)):
            cells = rows.get(r, {})
            if pattern is not None:
                joined = self.texts[k]
                if joined is None:  # the row holds other cells too, or lacks some
                    joined = SEP.join([cells.get(c, EMPTY)[1] or "" for c in cols])
                if joined == pattern[0](r):
                    ids[k] = pattern[1]
                    continue
            row_ids = []
            for j, c in enumerate(cols):
                t = cells.get(c, EMPTY)[1]
                if t is None:
                    row_ids.append(_NO_FORMULA)
                    continue
                form = last_forms[j]
                if form is None or form.text(r) != t:
                    try:
                        form = parse(t, r, c)
                    except FormulaError as e:
                        self.errors[(r, c)] = str(e)
                        row_ids.append(_UNREADABLE)
                        continue
                    last_forms[j] = form
                row_ids.append(self._form_id(j, form))
            ids[k] = row_ids
            pattern = _pattern(row_ids, last_forms)
        self.ids = ids

    def _form_id(self, j: int, form: Form) -> int:
        """The index of a column's form; the same relative formula in two columns reads differently."""
        found = self.form_index.get((j, form.key))
        if found is None:
            found = self.form_index[(j, form.key)] = len(self.form_list)
            self.form_list.append(form)
        return found

    # -- evaluating formulas on the sheet's numbers ------------------------------------------------

    def fetch(self, ref, rows: np.ndarray, col: int) -> np.ndarray:
        """The sheet's numbers that ref points to from cells (rows, col); NaN where none can be."""
        r = np.full(len(rows), ref.row) if ref.row_abs else rows + ref.row
        c = ref.col if ref.col_abs else col + ref.col
        if (ref.sheet is not None and ref.sheet != self.sheet.name) or c < 1:
            return np.full(len(rows), np.nan)
        if c <= self.width and r.max() <= self.last + 1:
            return np.where(r >= 1, self.V[np.maximum(r, 0), c], np.nan)  # no row 0: #REF!
        return np.array([_as_number(self.sheet.value(int(rr), c)) if rr >= 1 else np.nan for rr in r])

    def evaluate(self, form: Form, rows: np.ndarray, col: int) -> np.ndarray:
        values = [self.fetch(ref, rows, col) for ref in form.refs]
        return np.broadcast_to(np.asarray(form.evaluate(values), dtype=float), rows.shape)

    # -- the checks ---------------------------------------------------------------------------

    def report(self) -> Report:
        layout, n, cols = self.layout, self.n, self.cols
        rows = np.arange(self.first, self.last + 1)
        found = self.V[self.first:self.last + 1][:, cols]
        empty = self.empty[self.first:self.last + 1][:, cols]
        text = self.text[self.first:self.last + 1][:, cols]
        found[text] = np.nan  # a copy already (fancy indexing)

        holds_formulas = bool((self.ids != _NO_FORMULA).any())
        trace = self._trace(n, 1)  # the recomputation from the first row
        if not holds_formulas and n > 1 and (deviation(found[1], trace[1]) > self.tol).any():
            self._logged(found)  # a values-only sheet may show every K-th iteration
            if self.every > 1:
                trace = self._trace(self.iterations, self.every)
        off = deviation(found, trace)
        off[empty] = np.inf

        # What each cell's template gives on the sheet's own numbers (NaN where it cannot), for
        # every cell that has one: all but the numbers of the first row.
        local = np.full((n, len(cols)), np.nan)
        templated = np.zeros((n, len(cols)), dtype=bool)
        formula_bad = np.zeros((n, len(cols)), dtype=bool)
        for j, c in enumerate(cols):
            for first_row in (True, False):
                ks = np.arange(0, 1) if first_row else np.arange(1, n)
                expected = self._templates(first_row)[j]
                if expected is None or not len(ks):
                    continue
                if self.every > 1 and not first_row and any(r.row and not r.row_abs for r in expected.refs):
                    continue  # rows every K-th iteration apart: no row follows from the one above
                templated[ks, j] = True
                local[ks, j] = self.evaluate(expected, rows[ks], c)
                self._check_formulas(j, c, ks, rows, self._candidates(j, first_row), holds_formulas, formula_bad)
        self.templated = templated
        stale = deviation(found, local) > self.tol
        stale[np.isnan(local)] = False
        stale |= (empty | text) & templated
        value_bad = off > self.tol
        failing = value_bad | stale | formula_bad

        report = Report(
            sheet=self.sheet.name, sizes=layout.sizes, iterations=self.iterations, every=self.every,
            first_row=self.first, last_row=self.last,
            learning_rate=self.problem.network.lr, learning_rate_cell=layout.lr_address, tolerance=self.tol,
            formulas=int((self.ids >= 0).sum() + (self.ids == _UNREADABLE).sum()),
            quantities=self._quantities(off), failing=int(failing.sum()), value_faults=int(value_bad.sum()),
            formula_faults=int(formula_bad.sum()), first=None, faults=[])
        if report.failing:
            report.first = self._first(found, trace, local, empty, text, formula_bad, stale, value_bad)
            report.faults = self._runs(found, trace, local, empty, text, formula_bad, stale)
        return report

    def _trace(self, n: int, every: int) -> np.ndarray:
        """The recomputation's numbers of the network's columns, one row per logged iteration."""
        numbers = self.layout.matrix(history(self.problem, n, every))
        at = [c - self.layout.first_col for c in self.cols]
        return numbers if at == list(range(numbers.shape[1])) else numbers[:, at]

    def _logged(self, found: np.ndarray, most: int = 100_000) -> None:
        """Whether the rows show iterations 1, 1 + K, 1 + 2K, ... and n (sheetnet train --log-every K):
        sets every, iterations and numbers when the second and the last rows' weights say so."""
        weights = [j for j, c in enumerate(self.columns) if c.kind == "weight"]
        flat = lambda it: np.concatenate([w.ravel() for w in it.W[1:]])
        second, last = found[1, weights], found[-1, weights]
        w = second[0]  # one weight first: a scalar test rules out almost every iteration cheaply
        every = next((k for k, it in enumerate(train(self.problem, most + 1)) if k
                      and abs(it.W[1][0, 0] - w) <= self.tol * max(1.0, abs(w), abs(it.W[1][0, 0]))
                      and (deviation(flat(it), second) <= self.tol).all()), None)
        if every is None or every == 1:
            return
        m = self.n
        start = 1 + (m - 2) * every  # the last row shows an iteration after this, at most `every` later
        for k, it in enumerate(train(self.problem, start + every), 1):
            if k > start and (deviation(flat(it), last) <= self.tol).all():
                self.every, self.iterations = every, k
                self.numbers = np.array([1 + i * every for i in range(m - 1)] + [k])
                return

    def _templates(self, first: bool) -> list:
        """The Form of each column's template in the first data row or in the later ones."""
        if first in self._template_cache:
            return self._template_cache[first]
        r = self.first if first else self.first + 1
        templates = self.layout.templates(first)
        forms = [None if templates[c - 1] is None else parse(templates[c - 1].text(r), r, c)
                 for c in self.cols]
        self._template_cache[first] = forms
        return forms

    def _candidates(self, j: int, first: bool) -> list:
        """The formulas column j may hold: its template, and for a weight after the first row,
        when the sheet has change matrices, the update from them: w(r) = w(r-1) - γ dC/dw(r-1)."""
        if (j, first) in self._template_cache:
            return self._template_cache[(j, first)]
        forms = [self._templates(first)[j]]
        c = self.columns[j]
        if c.kind == "weight" and not first and self.layout.changes:
            r = self.first + 1
            forms.append(parse(self.layout.update_from_change(c).text(r), r, c.col))
        self._template_cache[(j, first)] = forms
        return forms

    def _check_formulas(self, j, c, ks, rows, candidates: list, holds_formulas: bool, bad: np.ndarray) -> None:
        """Mark in bad[ks, j] the cells whose formula is missing or is none of the candidates."""
        ids = self.ids[ks, j]
        for i in np.unique(ids):
            sel = ks[ids == i]
            if i == _NO_FORMULA:
                if holds_formulas:
                    bad[sel, j] = True
                continue
            if i == _UNREADABLE:
                bad[sel, j] = True
                continue
            form = self.form_list[i]
            for expected in candidates:  # the cells none of the candidates before accounts for
                at = rows[sel]
                same = self._same_cells(form, expected, at, c)
                same &= self._same_function(form, expected, at, c, same)
                a, b = self.evaluate(form, at, c), self.evaluate(expected, at, c)
                # Where the sheet's numbers give no number (text, #DIV/0!), they cannot tell formulas apart.
                same &= (deviation(a, b) <= self.tol) | ~(np.isfinite(a) & np.isfinite(b))
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

    def _same_function(self, form: Form, expected: Form, rows: np.ndarray, col: int, same: np.ndarray) -> np.ndarray:
        """Per row: whether the formula computes the template's function of the same cells,
        tested on random numbers (the sheet's own numbers may hide a difference, e.g. a zero δ)."""
        out = np.ones(len(rows), dtype=bool)
        if not same.any():
            return out
        rng = np.random.default_rng(20191105)
        if _refs(form, col) == _refs(expected, col):
            points = {ref: rng.uniform(0.25, 1.75, 4) for ref in _refs(expected, col)}
            a = form.evaluate([points[_ref(ref, col)] for ref in form.refs])
            b = expected.evaluate([points[_ref(ref, col)] for ref in expected.refs])
            out[:] = bool((deviation(a, b) <= _SAME_FUNCTION).all() or np.array_equal(a, b, equal_nan=True))
            return out
        for k in np.flatnonzero(same):  # the rare rows where different references meet the same cells
            r = int(rows[k])
            points = {cell: rng.uniform(0.25, 1.75, 4) for cell in expected.cells(r, col)}
            a = form.evaluate([points[(ref.sheet, *ref.at(r, col))] for ref in form.refs])
            b = expected.evaluate([points[(ref.sheet, *ref.at(r, col))] for ref in expected.refs])
            out[k] = bool((deviation(a, b) <= _SAME_FUNCTION).all())
        return out

    # -- describing what fails -------------------------------------------------------------------

    def _what(self, k: int, j: int) -> str:
        c = self.columns[j]
        bias = self.layout.sizes[c.layer - 1] if c.kind in ("weight", "change") else None
        what = f"{c.describe(bias)}, iteration {self.numbers[k]}"
        if c.kind == "weight" and k:  # a row's weights are the previous iteration's update
            what += f" (after the update of iteration {self.numbers[k] - 1})"
        return what

    def _cell_what(self, row: int, col: int) -> str:
        """What a cell the formula refers to holds, in words."""
        if (row, col) == (self.first, self.layout.lr_col):
            return "the learning rate"
        for c in self.columns:
            if c.col == col and self.first <= row <= self.last:
                bias = self.layout.sizes[c.layer - 1] if c.kind in ("weight", "change") else None
                return f"{c.describe(bias)}, iteration {self.numbers[row - self.first]}"
        return ""

    def _value_at(self, sheet, row: int, col: int):
        if sheet is not None and sheet != self.sheet.name:
            return None
        return self.sheet.value(row, col)

    def diagnose(self, k: int, j: int, found, local, empty, text, formula_bad, stale) -> tuple:
        """(problem, formula, expected formula, refers_to) of cell (data row k, column j)."""
        r, c = self.first + k, self.cols[j]
        i = self.ids[k, j]
        expected = self._closest(k, j)
        expected_text = expected.text(r) if expected is not None and self.templated[k, j] else None
        formula = self.sheet.cell(r, c).formula
        refers = []
        if i >= 0:
            form = self.form_list[i]
            refers = [{"cell": describe_ref(s, rr, cc), "value": self._value_at(s, rr, cc),
                       "what": self._cell_what(rr, cc) if s is None else ""} for s, rr, cc in form.cells(r, c)]
        if formula_bad[k, j]:
            if i == _UNREADABLE:
                problem = f"its formula cannot be read: {self.errors.get((r, c))}"
            elif i == _NO_FORMULA:
                problem = ("is empty where a formula belongs" if empty[k, j] else
                           "a typed number where a formula belongs")
            else:
                problem = self._formula_problem(self.form_list[i], expected, r, c)
        elif text[k, j]:
            problem = f"holds text {self.sheet.value(r, c)!r} where a number belongs"
        elif empty[k, j]:
            problem = ("its formula has no cached value (the file was saved without its results)" if formula
                       else "is empty where a number belongs")
        elif stale[k, j]:
            if i >= 0:
                problem = (f"its cached value does not follow from its formula, which gives {_number(local[k, j])} "
                           "on the sheet's numbers")
            else:
                problem = (f"does not follow from the sheet's numbers by backpropagation, which give "
                           f"{_number(local[k, j])} here")
        elif self.templated[k, j]:
            problem = ("differs from the recomputation from the first row, though it follows from the sheet's "
                       "numbers around it: an earlier difference carried forward")
        else:
            problem = "differs from the recomputation from the first row"
        return problem, formula, expected_text, refers

    def _closest(self, k: int, j: int) -> Form | None:
        """The candidate formula of cell (k, j) sharing most cells with the formula it holds."""
        candidates = self._candidates(j, k == 0)
        i, r, c = self.ids[k, j], self.first + k, self.cols[j]
        if i < 0 or candidates[0] is None:
            return candidates[0]
        have = set(self.form_list[i].cells(r, c))
        return max(candidates, key=lambda f: len(have & set(f.cells(r, c))) - len(set(f.cells(r, c)) - have))

    def _formula_problem(self, form: Form, expected: Form, r: int, c: int) -> str:
        """Why a formula is not the template's, naming the cells it refers to."""
        other = [s for s, _, _ in form.cells(r, c) if s is not None and s != self.sheet.name]
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
        lr_name = address(self.first, self.layout.lr_col)
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
        value = self._value_at(sheet, row, col)
        what = self._cell_what(row, col)
        if value is None:
            return f"refers to {describe_ref(*cell)}, which is empty"
        return f"refers to {describe_ref(*cell)} ({what + ', ' if what else ''}holding {_number(value)})"

    def _fault(self, k, j, found, trace, local, empty, text, formula_bad, stale) -> Fault:
        problem, formula, expected_formula, refers = self.diagnose(k, j, found, local, empty, text, formula_bad,
                                                                   stale)
        r, c = self.first + k, self.cols[j]
        value = self.sheet.value(r, c)
        return Fault(cell=address(r, c), what=self._what(k, j), problem=problem, expected=float(trace[k, j]),
                     found=value, formula=formula, expected_formula=expected_formula, refers_to=refers)

    def _first(self, found, trace, local, empty, text, formula_bad, stale, value_bad) -> Fault:
        """The first cell where the sheet goes wrong: earliest row, and in it the earliest step of
        the computation (a wrong number shows in every cell computed from it, not only its own)."""
        order = self._computation_order()
        ks, js = np.nonzero(formula_bad | stale | value_bad)
        best = min(zip(ks, js), key=lambda kj: (kj[0], order[kj[1]]))
        return self._fault(*best, found, trace, local, empty, text, formula_bad, stale)

    def _computation_order(self) -> list:
        """Rank of each column in the order a row is computed: inputs, targets and weights, the
        forward pass, the cost, the deltas from the output back, the change matrices."""
        L = self.layout.L

        def rank(c):
            return {"input": (0, 0), "target": (0, 1), "weight": (1, c.layer), "activation": (2, c.layer),
                    "cost": (3, 0), "delta": (4, L - c.layer), "change": (5, c.layer)}[c.kind]

        ranked = sorted(range(len(self.columns)), key=lambda j: rank(self.columns[j]))
        order = [0] * len(ranked)
        for position, j in enumerate(ranked):
            order[j] = position
        return order

    def _runs(self, found, trace, local, empty, text, formula_bad, stale, most: int = 1000) -> list:
        """The cells whose formula is wrong or whose number does not follow from the sheet's
        numbers, as runs down each column of cells failing the same way (at most `most` runs);
        a difference carried forward from them is counted, not listed."""
        runs = []  # (first data row, column, Fault)
        # Numbers no formula of the sheet accounts for (every K-th iteration) fail on their own.
        local_bad = formula_bad | stale | ((deviation(found, trace) > self.tol) & ~self.templated)
        for j in range(len(self.cols)):
            ks = np.flatnonzero(local_bad[:, j])
            start = 0
            while start < len(ks) and len(runs) < most:
                k0 = ks[start]
                f = self._fault(k0, j, found, trace, local, empty, text, formula_bad, stale)
                end = start
                while (end + 1 < len(ks) and ks[end + 1] == ks[end] + 1
                       and self.ids[ks[end + 1], j] == self.ids[k0, j]
                       and formula_bad[ks[end + 1], j] == formula_bad[k0, j]
                       and (not formula_bad[k0, j] or self._same_problem(ks[end + 1], j, f.problem))):
                    end += 1
                if end > start:
                    f.cell = f"{f.cell}:{address(self.first + ks[end], self.cols[j])}"
                    f.count = end - start + 1
                    f.what = f"{self.columns[j].describe(self._bias(j))}, iterations {self.numbers[k0]}-{self.numbers[ks[end]]}"
                runs.append((k0, j, f))
                start = end + 1
        return [f for _, _, f in sorted(runs, key=lambda run: run[:2])]

    def _bias(self, j):
        c = self.columns[j]
        return self.layout.sizes[c.layer - 1] if c.kind in ("weight", "change") else None

    def _same_problem(self, k: int, j: int, problem: str) -> bool:
        """Whether cell (k, j)'s formula fails the way the run's first cell does (its words, row numbers aside)."""
        i = self.ids[k, j]
        if i < 0:
            return True
        r, c = self.first + k, self.cols[j]
        expected = self._closest(k, j)
        return _strip_digits(self._formula_problem(self.form_list[i], expected, r, c)) == _strip_digits(problem)

    def _quantities(self, off: np.ndarray) -> list:
        names = {}
        for j, c in enumerate(self.columns):
            name = {"input": "a(0)", "activation": f"a({c.layer})", "delta": f"δ({c.layer})",
                    "weight": f"W({c.layer})", "target": "T", "cost": "C", "change": f"dC/dW({c.layer})"}[c.kind]
            names.setdefault(name, []).append(j)
        out = []
        for name, js in names.items():
            block = off[:, js]
            k, jj = np.unravel_index(int(np.argmax(block)), block.shape)
            out.append(Quantity(name, float(block[k, jj]), address(self.first + k, self.cols[js[jj]])))
        return out


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
