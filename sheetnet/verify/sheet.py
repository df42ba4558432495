"""The sheet as a check holds it: the rows down to the first data row, and those of the chunk
being checked with a margin around it, as arrays of numbers on which formulas are evaluated."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..formula import Form, FormulaError, parse
from ..grid import EMPTY, Row, Sheet
from ..layout import Layout

SEP = Row.SEPARATOR  # between the formulas of a row's cells, joined
MARGIN = 4  # rows kept on either side of a chunk for formulas that refer to neighbouring rows


@dataclass
class Numbers:
    """Rows of a sheet as arrays: row k is the sheet's row base + k, column c its column c."""

    base: int
    V: np.ndarray  # every value as a float: empty 0, text NaN
    empty: np.ndarray  # no number: an empty cell, or a formula without a cached value
    text: np.ndarray  # text where a number belongs

    def put(self, other: Numbers, r: int) -> None:
        """Row r as other holds it."""
        k, o = r - self.base, r - other.base
        self.V[k], self.empty[k], self.text[k] = other.V[o], other.empty[o], other.text[o]


@dataclass
class Chunk:
    """A chunk of data rows as arrays, row k for the sheet's row lo + k, column j for the
    network's j-th column: what the sheet holds, what is expected, and what fails."""

    lo: int
    rows: np.ndarray  # the sheet's rows lo, lo + 1, ...
    numbers: np.ndarray  # the iteration each row shows
    ids: np.ndarray  # the formula of each cell (see Formulas.read)
    found: np.ndarray  # the sheet's numbers, NaN for text
    empty: np.ndarray  # where the sheet holds no number
    text: np.ndarray  # where it holds text
    trace: np.ndarray  # the recomputation's numbers
    # What the comparison finds (see compare.Findings.add):
    templated: np.ndarray | None = None  # where the note has a formula (all but the first row's typed numbers)
    local: np.ndarray | None = None  # what that formula gives on the sheet's numbers (NaN: none)
    formula_bad: np.ndarray | None = None  # a formula wrong or missing
    stale: np.ndarray | None = None  # a number that does not follow from the sheet's numbers
    value_bad: np.ndarray | None = None  # a number that differs from the recomputation

    @property
    def n(self) -> int:
        return len(self.rows)


class Window:
    """The cells and numbers of one network's sheet that a check holds (see the module)."""

    def __init__(self, head: Sheet, layout: Layout, names=None, given=None):
        self.name, self.layout, self.first = head.name, layout, layout.first_row
        self.names = names  # the workbook's named cells and ranges (see formula.parse), or None
        # {(sheet, row, col): number} of other sheets' cells known as read there (a batch sheet's
        # samples on its data sheet): a reference to one is worth that, not its copy's cached value.
        self.given = given or {}
        self.columns = layout.columns
        self.cols = [c.col for c in self.columns]
        self.network = tuple(self.cols)
        self.by_col = {c.col: c for c in self.columns}
        self.width = max(layout.last_col, layout.lr_col) + 1
        # The rows above the first data row and the first one: formulas refer to them anywhere.
        self.head = {r: cells for r, cells in head.rows.items() if r <= self.first}
        self.head_numbers, _ = self._arrays(1, self.first, self.head)
        self.aliases = self._aliases()
        # Asked of every formula; a batch sheet's references to its data sheet make many aliases.
        self.alias_rows = {row for _, row, _ in self.aliases.values()}
        self.near: dict = {}  # row -> cells of the chunk and its margin
        self.numbers: Numbers | None = None  # of the chunk and its margin
        self.last = self.first - 1  # the last data row read so far: they run on without a gap
        self.every = 1  # rows show iterations start, start + every, ...
        self.start = 1  # the iteration the first data row shows (a resumed sheet's numbers go on)

    def _aliases(self) -> dict:
        """{(sheet, row, col): (None, row, col)}: the cells of other sheets that a cell down to the
        first data row is a plain reference to (E8 = Weights!B2: weights kept on a sheet of their
        own), so that a formula may refer to either and their number is known."""
        aliases = {}
        for r, cells in self.head.items():
            for c, cell in cells.items():
                if cell.formula is None or "!" not in cell.formula:
                    continue
                try:
                    form = parse(cell.formula, r, c, self.names, self.name)
                except FormulaError:
                    continue
                if len(form.refs) == 1 and form.refs[0].sheet is not None and form.key == form.refs[0].key():
                    aliases.setdefault((form.refs[0].sheet, *form.refs[0].at(r, c)), (None, r, c))
        return aliases

    # -- the cells held ------------------------------------------------------------------------

    def cell(self, row: int, col: int):
        return self.near.get(row, self.head.get(row, {})).get(col, EMPTY)

    def value(self, row: int, col: int, sheet: str | None = None):
        """A cell's value; None where it is empty, on another sheet (but an alias) or not held."""
        if sheet not in (None, self.name):
            if (sheet, row, col) not in self.aliases:
                return None
            _, row, col = self.aliases[(sheet, row, col)]
        return self.cell(row, col).value

    def held(self, row: int) -> bool:
        return row <= self.first or row in self.near

    def what(self, row: int, col: int) -> str:
        """What a cell holds, in words."""
        if (row, col) == (self.first, self.layout.lr_col):
            return "the learning rate"
        c = self.by_col.get(col)
        if c is None or not self.first <= row <= self.last:
            return ""
        return f"{c.describe()}, iteration {self.start + (row - self.first) * self.every}"

    # -- the chunk as arrays -------------------------------------------------------------------

    def load(self, lo: int, hi: int, rows: dict) -> list:
        """Hold data rows lo..hi (rows: their cells and those of the margin below), the margin
        above as the chunk before left it; per data row, its formulas joined as _arrays gives them."""
        base = max(lo - MARGIN, 1)
        before, near_before = self.numbers, self.near
        self.near = dict(rows)
        self.numbers, texts = self._arrays(base, hi + MARGIN, self.near)
        for r in range(base, lo):  # the rows above: as the chunk before left them (computed), or the head
            if before is not None and before.base <= r:
                self.numbers.put(before, r)
                self.near[r] = near_before.get(r, {})
            elif r <= self.first:
                self.numbers.put(self.head_numbers, r)
        return texts[lo - base:hi + 1 - base]

    def _arrays(self, lo: int, hi: int, rows) -> tuple[Numbers, list]:
        """The Numbers of rows lo..hi, and per row the network cells' formulas joined by SEP where
        the row holds exactly the network's cells (the common case, read here in the same pass),
        else None."""
        shape = (hi - lo + 1, self.width + 1)
        out = Numbers(lo, np.zeros(shape), np.ones(shape, dtype=bool), np.zeros(shape, dtype=bool))
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
            self._fill(out, np.repeat(others, counts), np.array(cols), values)
        if whole:
            at = np.ix_(whole, self.network)
            out.V[at] = np.frombuffer(b"".join(numbers)).reshape(len(whole), len(self.network))
            out.empty[at] = False
        return out, texts

    def _fill(self, out: Numbers, rows: np.ndarray, cols: np.ndarray, values: list) -> None:
        # Text first: numpy would read the text '0.5' as the number.
        texts = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
        numbers = np.array([math.nan if t else v for t, v in zip(texts.tolist(), values)] if texts.any() else values,
                           dtype=float)  # None -> NaN, True -> 1.0
        inside = cols <= self.width
        rows, cols, numbers, texts = rows[inside], cols[inside], numbers[inside], texts[inside]
        missing = np.isnan(numbers) & ~texts  # a cell with a formula and no cached value
        out.V[rows, cols] = np.where(missing, 0.0, numbers)
        out.empty[rows, cols] = missing
        out.text[rows, cols] = texts

    # -- evaluating formulas on the sheet's numbers ---------------------------------------------

    def fetch(self, ref, rows: np.ndarray, col: int) -> np.ndarray:
        """The sheet's numbers that ref points to from cells (rows, col); NaN where none can be:
        another sheet, a cell before row 1 or column A, a row not held."""
        r = np.full(len(rows), ref.row) if ref.row_abs else rows + ref.row
        c = ref.col if ref.col_abs else col + ref.col
        if ref.sheet not in (None, self.name):
            out = np.full(len(rows), np.nan)
            for x in np.unique(r).tolist():  # the cells of another sheet that a first-row cell stands for
                alias = self.aliases.get((ref.sheet, x, c))
                if (ref.sheet, x, c) in self.given:
                    out[r == x] = self.given[(ref.sheet, x, c)]
                elif alias is not None:
                    out[r == x] = self.fetch(ref._replace(sheet=None, row=alias[1], col=alias[2], row_abs=True,
                                                          col_abs=True), rows[:1], col)[0]
            return out
        if c < 1:
            return np.full(len(rows), np.nan)
        V = self.numbers.V
        at = r - self.numbers.base
        near = (at >= 0) & (at < len(V))
        if c <= self.width and near.all():
            return V[at, c]
        out = np.full(len(rows), np.nan)
        head = ~near & (r >= 1) & (r <= self.first)
        if c <= self.width:
            out[near] = V[at[near], c]
            out[head] = self.head_numbers.V[r[head] - 1, c]
        else:
            for k in np.flatnonzero(near | head):
                value = self.value(int(r[k]), c)
                out[k] = math.nan if isinstance(value, str) else float(value or 0.0)
        return out

    def evaluate(self, form: Form, rows: np.ndarray, col: int) -> np.ndarray:
        values = [self.fetch(ref, rows, col) for ref in form.refs]
        return np.broadcast_to(np.asarray(form.evaluate(values), dtype=float), rows.shape)

    def compute_uncached(self, rows: np.ndarray, ids: np.ndarray, forms: list) -> int:
        """Give the formulas that carry no cached value the number they compute, row by row (a row
        may use the one above), each row's cells in the note's order of a row's computation and
        then in the order their references allow; how many."""
        n, V, empty = self.numbers, self.numbers.V, self.numbers.empty
        missing = empty[rows - n.base][:, self.cols] & (ids >= 0)
        order = sorted(range(len(self.cols)), key=lambda j: self.columns[j].rank)
        computed = 0
        for k in np.flatnonzero(missing.any(axis=1)):
            r = int(rows[k])
            todo = [j for j in order if missing[k, j]]
            for _ in range(len(todo)):  # each pass computes the cells whose references are known
                left = []
                for j in todo:
                    form, c = forms[ids[k, j]], self.cols[j]
                    if any(ref.sheet in (None, self.name) and self._waits(*ref.at(r, c)) for ref in form.refs):
                        left.append(j)
                        continue
                    values = [self.fetch(ref, np.array([r]), c)[0] for ref in form.refs]
                    with np.errstate(all="ignore"):
                        V[r - n.base, c] = float(np.asarray(form.evaluate(values), dtype=float))
                    empty[r - n.base, c] = False
                    computed += 1
                if len(left) == len(todo):
                    break
                todo = left
        return computed

    def _waits(self, row: int, col: int) -> bool:
        """Whether a cell the chunk holds still waits for its number (see compute_uncached)."""
        k = row - self.numbers.base
        return (0 <= k < len(self.numbers.V) and 0 < col <= self.width and bool(self.numbers.empty[k, col])
                and self.cell(row, col).formula is not None)
