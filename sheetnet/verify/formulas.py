"""The formula comparison: does each formula refer to the cells the Layout's formula for its cell
refers to, and compute the same function of them (on random numbers and on the sheet's own)?
Each distinct formula is parsed once in relative form and evaluated for a chunk's rows at once."""

from __future__ import annotations

import numpy as np

from ..formats._rowformat import compile_row
from ..formula import Form, FormulaError, describe_ref, parse
from ..grid import EMPTY
from ..layout import Kind
from .report import Tolerance, deviation, number
from .sheet import SEP, Chunk, Window

NO_FORMULA, UNREADABLE = -1, -2  # the ids of a cell without a formula, and of one that cannot be read
_SAME_FUNCTION = 1e-9  # two formulas on the same random numbers: only rounding may differ


class Formulas:
    """The distinct formulas of one network's sheet, and how they compare with the note's."""

    def __init__(self, window: Window, tol: Tolerance):
        self.window, self.tol = window, tol
        self.layout, self.first, self.cols = window.layout, window.first, window.cols
        self.forms: list = []  # every distinct relative formula of each column
        self.index: dict = {}  # (column j, Form.key) -> its index in forms
        self.last = [None] * len(self.cols)  # per column, the form of the row last read
        self.pattern = None  # see _pattern
        self.errors: dict = {}  # (row, col) -> why its formula cannot be read, in the chunk
        self.holds_formulas = None  # whether the sheet holds any formula: decided by the first chunk
        self.same: dict = {}  # see _same_function
        self.sheet_ids: dict = {}  # sheet name -> a number, to tell the cells of other sheets apart
        # The formulas column j may hold in the first data row, candidates[True][j], or a later one.
        self.candidates = {first: [self._candidates(c, first) for c in window.columns] for first in (True, False)}

    def _candidates(self, c, first: bool) -> list:
        """Column c's template (None: a typed number), and for a weight after the first row, when
        the sheet has change matrices, the update from them: w(r) = w(r-1) - γ dC/dw(r-1)."""
        r = self.first if first else self.first + 1
        trees = [self.layout.formula(c, first)]
        if c.kind == Kind.WEIGHT and not first and self.layout.changes:
            trees.append(self.layout.update_from_change(c))
        return [None if t is None else parse(t.text(r), r, c.col) for t in trees]

    # -- reading the sheet's formulas -----------------------------------------------------------

    def read(self, rows: np.ndarray, texts: list) -> np.ndarray:
        """ids[k, j]: the index into self.forms of column j's formula in row rows[k]; NO_FORMULA,
        or UNREADABLE (its error kept in self.errors). texts: per row, its formulas joined (or None)."""
        self.errors = {}
        cols = self.cols
        ids = np.empty((len(rows), len(cols)), dtype=np.int64)
        for k, r in enumerate(rows.tolist()):
            cells = self.window.near.get(r, {})
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
                    row_ids.append(NO_FORMULA)
                    continue
                form = self.last[j]
                if form is None or form.text(r) != t:
                    try:
                        form = parse(t, r, c)
                    except FormulaError as e:
                        self.errors[(r, c)] = str(e)
                        row_ids.append(UNREADABLE)
                        continue
                    self.last[j] = form
                row_ids.append(self._id(j, form))
            ids[k] = row_ids
            self.pattern = _pattern(row_ids, self.last)
        if self.holds_formulas is None:
            self.holds_formulas = bool((ids != NO_FORMULA).any())
        return ids

    def _id(self, j: int, form: Form) -> int:
        """The index of a column's form; the same relative formula in two columns reads differently."""
        found = self.index.get((j, form.key))
        if found is None:
            found = self.index[(j, form.key)] = len(self.forms)
            self.forms.append(form)
        return found

    # -- comparing ------------------------------------------------------------------------------

    def wrong(self, c: Chunk, j: int, ks: np.ndarray, first: bool) -> list:
        """Of the chunk's rows ks, those whose formula in column j is missing or none of the candidates."""
        col, out = self.cols[j], []
        ids = c.ids[ks, j]
        for i in np.unique(ids):
            sel = ks[ids == i]
            if i == NO_FORMULA and not self.holds_formulas:
                continue
            for n, expected in enumerate(self.candidates[first][j] if i >= 0 else ()):
                # The rows none of the candidates before accounts for.
                form, at = self.forms[i], c.rows[sel]
                same = self._same_cells(form, expected, at, col)
                same &= self._same_function(form, expected, at, col, same, (i, j, n, first))
                a, b = self.window.evaluate(form, at, col), self.window.evaluate(expected, at, col)
                # Where the sheet's numbers give no number (text, #DIV/0!), they cannot tell formulas apart.
                same &= self.tol.close(a, b) | ~(np.isfinite(a) & np.isfinite(b))
                sel = sel[~same]
                if not len(sel):
                    break
            out += sel.tolist()
        return out

    def _same_cells(self, form: Form, expected: Form, rows: np.ndarray, col: int) -> np.ndarray:
        """Per row: whether the formula refers to exactly the template's cells."""
        if _refs(form, col) == _refs(expected, col):
            return np.ones(len(rows), dtype=bool)
        a, b = _cell_ids(form, rows, col, self.sheet_ids), _cell_ids(expected, rows, col, self.sheet_ids)
        within = lambda x, y: (x[:, :, None] == y[:, None, :]).any(axis=2).all(axis=1)  # noqa: E731
        return within(a, b) & within(b, a)

    def _same_function(self, form: Form, expected: Form, rows: np.ndarray, col: int, same: np.ndarray,
                       key) -> np.ndarray:
        """Per row: whether the formula computes the template's function of the same cells,
        tested on random numbers (the sheet's own numbers may hide a difference, e.g. a zero δ).
        Where the two refer to the same cells by the same references, the answer holds in every
        row: it is kept (key) for the chunks after."""
        out = np.ones(len(rows), dtype=bool)
        every_row = _refs(form, col) == _refs(expected, col)
        if every_row and key in self.same:
            out[:] = self.same[key]
            return out
        rng = np.random.default_rng(20191105)
        for k in np.flatnonzero(same)[:1] if every_row else np.flatnonzero(same):
            r = int(rows[k])
            points = {cell: rng.uniform(0.25, 1.75, 4) for cell in expected.cells(r, col)}
            a = form.evaluate([points[(ref.sheet, *ref.at(r, col))] for ref in form.refs])
            b = expected.evaluate([points[(ref.sheet, *ref.at(r, col))] for ref in expected.refs])
            out[k] = (deviation(a, b) <= _SAME_FUNCTION).all() or np.array_equal(a, b, equal_nan=True)
            if every_row:
                out[:] = self.same[key] = bool(out[k])
        return out

    # -- saying what is wrong -------------------------------------------------------------------

    def closest(self, c: Chunk, k: int, j: int) -> Form | None:
        """The candidate formula of cell (k, j) sharing most cells with the formula it holds."""
        candidates = self.candidates[bool(c.rows[k] == self.first)][j]
        i, r, col = c.ids[k, j], c.lo + k, self.cols[j]
        if i < 0 or candidates[0] is None:
            return candidates[0]
        have = set(self.forms[i].cells(r, col))
        return max(candidates, key=lambda f: len(have & set(f.cells(r, col))) - len(set(f.cells(r, col)) - have))

    def problem(self, c: Chunk, k: int, j: int) -> str:
        """Why the formula of a wrong cell (k, j) is not the note's."""
        i, r, col = c.ids[k, j], c.lo + k, self.cols[j]
        if i == UNREADABLE:
            return f"its formula cannot be read: {self.errors.get((r, col))}"
        if i == NO_FORMULA:
            return "is empty where a formula belongs" if c.empty[k, j] else "a typed number where a formula belongs"
        return self._differences(self.forms[i], self.closest(c, k, j), r, col)

    def _differences(self, form: Form, expected: Form, r: int, c: int) -> str:
        """Why a formula is not the template's, naming the cells it refers to."""
        other = [s for s, _, _ in form.cells(r, c) if s not in (None, self.window.name)]
        if other:
            return f"refers to another sheet ({other[0]!r}); a network's formulas stay on its sheet"
        have, want = set(form.cells(r, c)), set(expected.cells(r, c))
        extra = sorted(have - want, key=lambda x: (x[1], x[2]))
        missing = sorted(want - have, key=lambda x: (x[1], x[2]))
        if not extra and not missing:
            value = lambda f: number(float(self.window.evaluate(f, np.array([r]), c)[0]))  # noqa: E731
            return (f"computes something else from the right cells: it gives {value(form)} on the sheet's "
                    f"numbers where the note's formula gives {value(expected)}")
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
        what = self.window.what
        wrong_row = (2, lambda x, m: f"refers to {describe_ref(*x)}, row {x[1]}, where row {m[1]} is expected "
                                     f"({describe_ref(*m)})")
        wrong_column = (1, lambda x, m: f"{self._refers(x)} where {describe_ref(*m)} ({what(m[1], m[2])}) is expected")
        for same, say in (wrong_row, wrong_column):
            for x in list(extra):
                pair = next((m for m in missing if m[0] == x[0] and m[same] == x[same]), None)
                if pair is not None:
                    extra.remove(x)
                    missing.remove(pair)
                    said.append(say(x, pair))
        said += [self._refers(x) for x in extra]
        said += [f"does not refer to {describe_ref(*m)}" + (f" ({w})" if (w := what(m[1], m[2])) else "")
                 for m in missing]
        return "; ".join(said)

    def _refers(self, cell) -> str:
        sheet, row, col = cell
        if not self.window.held(row):
            return f"refers to {describe_ref(*cell)}, far from this row"
        value = self.window.value(row, col, sheet)
        what = self.window.what(row, col)
        if value is None:
            return f"refers to {describe_ref(*cell)}, which is empty"
        return f"refers to {describe_ref(*cell)} ({what + ', ' if what else ''}holding {number(value)})"

    def refers_to(self, i: int, r: int, col: int) -> list:
        """[{'cell', 'value', 'what'}] of the cells formula i refers to from (r, col)."""
        window = self.window
        return [{"cell": describe_ref(s, rr, cc), "value": window.value(rr, cc, s),
                 "what": (window.what(rr, cc) if window.held(rr) else "far from this row: not read")
                 if s is None else ""} for s, rr, cc in (self.forms[i].cells(r, col) if i >= 0 else ())]


def _pattern(row_ids: list, forms: list):
    """(render, ids): render(r) gives the text a row of these formulas has in row r, the network
    cells' formulas joined by SEP, as the reader's pass collects them; compiled once, as the
    writers compile a row (every '%' of the formulas' text escaped), for it runs once per row of
    a sheet that may have a million."""
    if UNREADABLE in row_ids:
        return None
    pieces = []
    for i, form in zip(row_ids, forms):
        pieces += [p if isinstance(p, str) else p[0] for p in (form.pieces if i != NO_FORMULA else ())]
        pieces.append(SEP)
    render = compile_row(pieces[:-1], 0)
    return (lambda r: render((), r)), np.array(row_ids)


def _ref(ref, col: int):
    """A reference from a cell of column col, its column made absolute: all cells compared here
    stand in one column, so that C8 and $C8 there are the same reference."""
    return ref._replace(col=ref.col if ref.col_abs else col + ref.col, col_abs=True)


def _refs(form: Form, col: int) -> set:
    return {_ref(ref, col) for ref in form.refs}


def _cell_ids(form: Form, rows: np.ndarray, col: int, sheets: dict) -> np.ndarray:
    """Per row, the cells a form refers to as integers, one column per reference."""
    ids = np.zeros((len(rows), len(form.refs)), dtype=np.int64)
    for n, ref in enumerate(form.refs):
        sheet = sheets.setdefault(ref.sheet, len(sheets))
        r = ref.row if ref.row_abs else rows + ref.row
        ids[:, n] = (sheet * (1 << 21) + r) * (1 << 15) + (ref.col if ref.col_abs else col + ref.col)
    return ids
