"""The formula comparison: does each formula compute the same function of the sheet's cells as
the Layout's formula for its cell, whatever its spelling (SUMPRODUCT for a sum of products, a
named learning rate, an array formula's element)? Each distinct formula is parsed once in
relative form and compared with the note's on random numbers, given to the cells of both (so
that a cell one refers to and the other does not, on which it depends, tells them apart), and
on the sheet's own numbers.

Which cells of the two formulas coincide depends on the row only where a relative reference of
one meets a fixed one ($A$8) of the other, or a first-row cell that stands for another sheet's
(see Window.aliases): the rows fall into few groups of one pattern of coincidences, and the
random comparison runs once per group and distinct formula, and is kept for the chunks after.
The comparison on the sheet's numbers runs on every row in numpy; for a formula only the
formulas package evaluates (see sheetnet.formula), on a sample of at most SAMPLE rows per chunk,
and on every row only if one of them differs.

A formula of a function no one implements is not checked: counted, with the reason, and its
number is still compared with the recomputation; so are the distinct formulas of a sheet for the
formulas package past the first MOST_SLOW, each of which would cost its compilation. A formula that refers to the right cell by a
relative reference where the note's is fixed (A8 for $A$8), or the reverse, computes the right
number in its row but moves off it when filled down: it passes, with a warning naming it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..formats._rowformat import compile_row
from ..formula import Form, FormulaError, describe_ref, parse
from ..grid import EMPTY, column_letters
from ..layout import Kind
from .report import Tolerance, deviation, number, numbers
from .sheet import SEP, Chunk, Window

NO_FORMULA, UNREADABLE = -1, -2  # the ids of a cell without a formula, and of one that cannot be read
_SAME_FUNCTION = 1e-9  # two formulas on the same random numbers: only rounding may differ
SAMPLE = 8  # rows of a chunk on which a formula the formulas package evaluates is compared
MOST_NOTES = 1000  # runs of cells not checked, and warnings, listed; the rest are counted
# Distinct formulas of a sheet that the formulas package makes and evaluates. Each costs about
# 35 KB and a few milliseconds, so that a sheet of a distinct one in every row would take minutes
# and gigabytes; a network's sheet holds a few per column (a 10-10-10 network spelled with SUMPRODUCT
# and IF throughout, a few hundred), and the ones past these are not checked.
MOST_SLOW = 500


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
        self.unchecked: dict = {}  # (column j, form i) -> [first row, last row, count]: not checked
        self.not_checked = 0  # cells whose formula is not checked
        self.warnings: dict = {}  # (column j, form i, reference) -> [first row, last row, count, message]
        self.slow = 0  # distinct formulas made by the formulas package (see MOST_SLOW)
        # The forms past MOST_SLOW are noted down each column as one: form -> the first of its column.
        self.beyond: dict = {}
        self.first_beyond: dict = {}  # column j -> its first form past MOST_SLOW
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
                        form = parse(t, r, c, self.window.names, self.window.name, library=self.slow < MOST_SLOW)
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
        """The index of a column's form; the same relative formula in two columns reads differently.
        A new one for the formulas package past the first MOST_SLOW is not checked."""
        found = self.index.get((j, form.key))
        if found is None:
            if form.slow and form.reason is None:
                if self.slow < MOST_SLOW:
                    self.slow += 1
                else:
                    form = replace(form, fn=None, reason=f"one of more than {MOST_SLOW:,} distinct formulas on the "
                                   f"sheet that only the formulas package evaluates, of which verify checks the "
                                   f"first {MOST_SLOW:,} (each costs it about 35 KB and a few milliseconds)")
                    self.beyond[len(self.forms)] = self.first_beyond.setdefault(j, len(self.forms))
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
            if i >= 0 and self.forms[i].reason is not None:
                self._note(self.unchecked, (j, self.beyond.get(int(i), int(i))), c.rows[sel])
                self.not_checked += len(sel)
                continue
            for n, expected in enumerate(self.candidates[first][j] if i >= 0 else ()):
                # The rows none of the candidates before accounts for.
                form, at = self.forms[i], c.rows[sel]
                same = np.zeros(len(sel), dtype=bool)
                moved = []
                for pattern, rows in self._patterns(form, expected, at, col):
                    same[rows] = self._same_function(form, expected, pattern)
                    if same[rows].any():
                        moved += [(rows, m) for m in self._moved(form, expected, pattern)]
                same &= self._same_numbers(form, expected, at, col, same)
                for rows, m in moved:
                    self._warn(j, int(i), form, expected, m, at[rows & same], col)
                sel = sel[~same]
                if not len(sel):
                    break
            out += sel.tolist()
        return out

    def _cell(self, ref, r: int, col: int) -> tuple:
        """The cell a reference points to from (r, col), as the comparison knows it: a cell of
        another sheet that a first-row cell stands for (Window.aliases) as that cell."""
        cell = (ref.sheet, *ref.at(r, col))
        return self.window.aliases.get(cell, cell) if ref.sheet is not None else cell

    def _pattern(self, form: Form, expected: Form, r: int, col: int) -> tuple:
        """Which of the two formulas' references point to one cell in row r: each reference,
        the form's then the template's, numbered by the first that points to its cell."""
        seen: dict = {}
        return tuple(seen.setdefault(self._cell(ref, r, col), len(seen)) for ref in form.refs + expected.refs)

    def _patterns(self, form: Form, expected: Form, rows: np.ndarray, col: int) -> list:
        """[(pattern, mask of rows)]: the rows grouped by their pattern of coincident cells.
        Only a relative reference that meets a fixed one, or a cell of Window.aliases, makes a
        row's pattern differ from the others'; those rows are found from the references."""
        refs = form.refs + expected.refs
        fixed = {r.row for r in refs if r.row_abs} | self.window.alias_rows
        offsets = {r.row for r in refs if not r.row_abs}
        special = np.isin(rows, [f - o for f in fixed for o in offsets]) if fixed and offsets else \
            np.zeros(len(rows), dtype=bool)
        groups: dict = {}
        for k in np.flatnonzero(special).tolist():
            groups.setdefault(self._pattern(form, expected, int(rows[k]), col), []).append(k)
        if not special.all():
            k = int(np.flatnonzero(~special)[0])
            general = groups.setdefault(self._pattern(form, expected, int(rows[k]), col), [])
        out = []
        for pattern, ks in groups.items():
            mask = np.zeros(len(rows), dtype=bool)
            mask[ks] = True
            if not special.all() and ks is general:
                mask |= ~special
            out.append((pattern, mask))
        return out

    def _same_function(self, form: Form, expected: Form, pattern: tuple) -> bool:
        """Whether the formula computes the template's function of the cells, the pattern telling
        which of their references point to one cell: both evaluated on random numbers given to
        the cells (the sheet's own numbers may hide a difference, e.g. a zero δ). Kept for the
        rows and chunks after."""
        key = (form.key, expected.key, pattern)
        found = self.same.get(key)
        if found is None:
            rng = np.random.default_rng(20191105)
            points = rng.uniform(0.25, 1.75, (max(pattern, default=0) + 1, 4))
            n = len(form.refs)
            a = form.evaluate([points[p] for p in pattern[:n]])
            b = expected.evaluate([points[p] for p in pattern[n:]])
            found = self.same[key] = bool((deviation(a, b) <= _SAME_FUNCTION).all()
                                          or np.array_equal(a, b, equal_nan=True))
        return found

    def _same_numbers(self, form: Form, expected: Form, rows: np.ndarray, col: int, same: np.ndarray) -> np.ndarray:
        """Per row: whether the formula gives the template's number on the sheet's numbers (where
        those give one: text or #DIV/0! cannot tell formulas apart), among the rows `same`; for a
        formula the formulas package evaluates, on a sample of them first."""
        out = same.copy()
        ks = np.flatnonzero(same)
        if form.slow and len(ks) > SAMPLE:
            sample = ks[np.linspace(0, len(ks) - 1, SAMPLE).astype(int)]
            if self._agree(form, expected, rows[sample], col).all():
                return out
        out[ks] = self._agree(form, expected, rows[ks], col)
        return out

    def _agree(self, form: Form, expected: Form, rows: np.ndarray, col: int) -> np.ndarray:
        a, b = self.window.evaluate(form, rows, col), self.window.evaluate(expected, rows, col)
        return self.tol.close(a, b) | ~(np.isfinite(a) & np.isfinite(b))

    def _moved(self, form: Form, expected: Form, pattern: tuple) -> list:
        """The form's references to this sheet's cells that point to a cell the template refers to
        by a fixed row ($A$8, the learning rate) by a relative one (A8): right in their own row,
        elsewhere once filled down (how the original's Ark2 went wrong)."""
        n = len(form.refs)
        fixed = {p for p, ref in zip(pattern[n:], expected.refs) if ref.row_abs}
        return list(dict.fromkeys(m for m, (p, ref) in enumerate(zip(pattern[:n], form.refs))
                                  if p in fixed and not ref.row_abs and ref.sheet is None))

    def _warn(self, j: int, i: int, form: Form, expected: Form, m: int, rows: np.ndarray, col: int) -> None:
        if not len(rows):
            return
        ref, r = form.refs[m], int(rows[0])
        _, row, column = self._cell(ref, r, col)
        here = describe_ref(None, row, column)
        what = self.window.what(row, column) or here
        fixed = f"${column_letters(column)}${row}"
        message = (f"refers to {what} as {here}, a relative reference where the note's formula has {fixed}: "
                   f"right in its own row, but filled down it moves to {describe_ref(None, row + 1, column)}, "
                   f"{describe_ref(None, row + 2, column)}, ...; write {fixed}")
        self._note(self.warnings, (j, i, m), rows, message)

    def _note(self, notes: dict, key, rows: np.ndarray, message: str | None = None) -> None:
        """Count rows under key: [first row, last row, count, message]."""
        note = notes.get(key)
        if note is None:
            if len(notes) >= MOST_NOTES:
                return
            note = notes[key] = [int(rows[0]), int(rows[-1]), 0, message]
        note[1], note[2] = int(rows[-1]), note[2] + len(rows)

    # -- saying what is wrong -------------------------------------------------------------------

    def closest(self, c: Chunk, k: int, j: int) -> Form | None:
        """The candidate formula of cell (k, j) sharing most cells with the formula it holds."""
        candidates = self.candidates[bool(c.rows[k] == self.first)][j]
        i, r, col = c.ids[k, j], c.lo + k, self.cols[j]
        if i < 0 or candidates[0] is None:
            return candidates[0]
        have = self._cells(self.forms[i], r, col)
        return max(candidates, key=lambda f: len(have & self._cells(f, r, col)) - len(self._cells(f, r, col) - have))

    def _cells(self, form: Form, r: int, col: int) -> set:
        return {self._cell(ref, r, col) for ref in form.refs}

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
        have, want = self._cells(form, r, c), self._cells(expected, r, c)
        other = [s for s, _, _ in have if s is not None]
        if other:
            return (f"refers to another sheet ({other[0]!r}) where the note's formula refers to this sheet's cells "
                    "(a first-row cell that is just a reference to that sheet's cell stands for it)")
        extra = sorted(have - want, key=lambda x: (x[1], x[2]))
        missing = sorted(want - have, key=lambda x: (x[1], x[2]))
        if not extra and not missing or not self._depends(form, expected, r, c, extra, missing):
            value = lambda f: float(self.window.evaluate(f, np.array([r]), c)[0])  # noqa: E731
            mine, note = numbers(value(form), value(expected))
            if mine == note:
                return ("computes something else from the right cells: it gives the note's number on the "
                        f"sheet's numbers here ({mine}), not on others")
            return (f"computes something else from the right cells: it gives {mine} on the sheet's "
                    f"numbers where the note's formula gives {note}")
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

    def _depends(self, form: Form, expected: Form, r: int, c: int, extra: list, missing: list) -> bool:
        """Whether the cells one formula refers to and the other does not matter: an array
        formula's element refers to the whole array's cells, and depends on a few."""
        if missing:
            return True
        rng = np.random.default_rng(7)
        cells = {cell: rng.uniform(0.25, 1.75, 4) for cell in self._cells(form, r, c)}
        base = form.evaluate([cells[self._cell(ref, r, c)] for ref in form.refs])
        for cell in extra:
            cells[cell] = cells[cell] + 0.5
        moved = form.evaluate([cells[self._cell(ref, r, c)] for ref in form.refs])
        return not np.array_equal(base, moved, equal_nan=True)

    def _refers(self, cell) -> str:
        sheet, row, col = cell
        if not self.window.held(row):
            return f"refers to {describe_ref(*cell)}, far from this row"
        value = self.window.value(row, col, sheet)
        what = self.window.what(row, col) if sheet is None else ""
        if value is None:
            return f"refers to {describe_ref(*cell)}, which is empty"
        return f"refers to {describe_ref(*cell)} ({what + ', ' if what else ''}holding {number(value)})"

    def refers_to(self, i: int, r: int, col: int) -> list:
        """[{'cell', 'value', 'what'}] of the cells formula i refers to from (r, col)."""
        window = self.window
        return [{"cell": describe_ref(s, rr, cc), "value": window.value(rr, cc, s),
                 "what": (window.what(rr, cc) if window.held(rr) else "far from this row: not read")
                 if s is None else window.what(*window.aliases[(s, rr, cc)][1:])
                 if (s, rr, cc) in window.aliases else ""}
                for s, rr, cc in (self.forms[i].cells(r, col) if i >= 0 else ())]


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
