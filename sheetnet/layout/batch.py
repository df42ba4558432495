"""The batch layout: one row per epoch, every sample's forward and backward pass side by side.

Row 6 holds the labels, as in the classic layout: the learning rate (A6, its value A8), then
from column C

- the weights W(1) .. W(L) (labels w00 .., caption "Layer l" above each layer's first);
- for each sample s = 1 .. m a group captioned "Sample s": its inputs a0 .. (in every row a
  reference to sample s's cells on the data sheet), for each layer its activations a0 .. and
  deltas δ0 .., its targets T0 .. (references too), its cost C and its change matrices dC/dW(l)
  (labels w00 ..), each computed from the row's weights as the classic layout computes them;
- the mean change matrices (caption "Mean dC/dW(l)"; each cell the AVERAGE of the samples'
  cells of that weight) and the epoch's cost "Epoch C" (the mean of the samples' costs).

The weights of row r are W(r−1) − γ · mean dC/dW(r−1), from the row above. A reader tells a batch
sheet from a classic one by the first label right of the learning rate: a weight's (w00) here,
an input's (a0) there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from enum import StrEnum

import numpy as np

from ..errors import SheetnetError
from ..expression import Node, Ref, call, total
from ..grid import Sheet, address
from ..math import batch
from ..math.data import Dataset
from ..math.network import Network, Problem, shape
from . import EPOCH_COST, LEARNING_RATE, Column, Kind, Layout, _parse_label, _text, number
from .data import NAME, DataSheet

MAX_COLUMNS = 16_384  # of a sheet, in .xlsx and in today's LibreOffice
CHECK_COLUMNS = 2  # the check sheet's gap and difference column, right of the network's last column
MAX_ARGUMENTS = 255  # of a spreadsheet function: AVERAGE(...) of more samples sums them in parts


@dataclass(frozen=True)
class BatchColumn(Column):
    """A column of a batch sheet: a Column, and the sample (0-based) whose group it belongs to
    (None: a weight, a mean change or the epoch cost)."""

    sample: int | None = None

    def describe(self) -> str:
        return super().describe() + ("" if self.sample is None else f" of sample {self.sample + 1}")


class _Group:
    """One sample's group as the classic Layout's formula methods see a row: its inputs,
    activations, deltas, targets and cost, and the row's weights."""

    _ref, _source = Layout._ref, Layout._source

    def __init__(self, layout: BatchLayout, s: int):
        self.layout, self.s, self.sizes, self.L = layout, s, layout.sizes, layout.L

    def at(self, kind, layer: int, j: int = 0, i: int = 0) -> Column:
        return self.layout.at(kind, layer, j, i, None if kind == Kind.WEIGHT else self.s)


@dataclass
class BatchLayout:
    """Where one batch-trained network sits in a sheet, and the data sheet it trains on."""

    sizes: tuple
    data: DataSheet
    first_col: int = 3
    lr_col: int = 1
    caption_row: int = 4
    role_row: int = 5
    label_row: int = 6
    first_row: int = 8
    changes = False  # no classic change matrices after the cost: the update is from the mean
    online = False  # every sample in every row, not one per row
    columns: list = field(init=False)
    lookup: dict = field(init=False, repr=False)

    def __post_init__(self):
        self.sizes = tuple(int(n) for n in self.sizes)
        Layout(self.sizes)  # says what is wrong with the sizes
        d = self.data.data
        if (d.n0, d.nL) != (self.sizes[0], self.sizes[-1]):
            raise SheetnetError(f"a {shape(self.sizes)} network takes {self.sizes[0]} input(s) and "
                                f"{self.sizes[-1]} target(s); the samples have {d.n0} and {d.nL}")
        self._fits()
        L = self.L
        neurons = lambda kind, l, s=None: [(kind, l, j, 0, s) for j in range(self.sizes[l])]  # noqa: E731
        weights = lambda kind, l, s=None: [(kind, l, j, i, s) for j in range(self.sizes[l])  # noqa: E731
                                           for i in range(self.sizes[l - 1] + 1)]
        plan = [key for l in range(1, L + 1) for key in weights(Kind.WEIGHT, l)]
        for s in range(d.m):
            plan += neurons(Kind.INPUT, 0, s)
            for l in range(1, L + 1):
                plan += neurons(Kind.ACTIVATION, l, s) + neurons(Kind.DELTA, l, s)
            plan += neurons(Kind.TARGET, L, s) + [(Kind.COST, L, 0, 0, s)]
            plan += [key for l in range(1, L + 1) for key in weights(Kind.CHANGE, l, s)]
        plan += [key for l in range(1, L + 1) for key in weights(Mean.CHANGE, l)] + [(Mean.COST, L, 0, 0, None)]
        self.columns = [self._column(n, *key) for n, key in enumerate(plan)]
        self.lookup = {(c.kind, c.layer, c.j, c.i, c.sample): c for c in self.columns}

    def _column(self, n: int, kind, l: int, j: int, i: int, s: int | None) -> BatchColumn:
        c = Layout._column(self, n, kind, l, j, i)  # labelled as the classic layout labels it
        return BatchColumn(**{f.name: getattr(c, f.name) for f in fields(c)}, sample=s)

    # -- the width of a sheet -------------------------------------------------------------------

    @property
    def weights(self) -> int:
        """The number of weights, W(1) .. W(L) together."""
        return sum(self.sizes[l] * (self.sizes[l - 1] + 1) for l in range(1, len(self.sizes)))

    @property
    def group(self) -> int:
        """The columns of one sample's group."""
        return self.sizes[0] + 2 * sum(self.sizes[1:]) + self.sizes[-1] + 1 + self.weights

    def _fits(self) -> None:
        """Refuse, before any work, a layout wider than a sheet, naming the most samples that fit."""
        m, fixed = self.data.data.m, self.first_col - 1 + 2 * self.weights + 1 + CHECK_COLUMNS
        width = fixed + m * self.group
        if width <= MAX_COLUMNS:
            return
        most = (MAX_COLUMNS - fixed) // self.group
        fit = (f"at most {most:,} sample{'s' * (most != 1)} fit" if most > 0 else
               "not even one sample fits: take a network with fewer neurons")
        raise SheetnetError(f"a batch of {m:,} samples for a {shape(self.sizes)} network needs {width:,} columns "
                            f"({self.group:,} per sample, with the weights, their means and the check sheet's "
                            f"{CHECK_COLUMNS}), more than the {MAX_COLUMNS:,} a sheet holds; {fit}")

    # -- what the classic Layout offers ---------------------------------------------------------

    @property
    def m(self) -> int:
        """The number of samples."""
        return self.data.data.m

    def at(self, kind, layer: int, j: int = 0, i: int = 0, sample: int | None = None) -> BatchColumn:
        """A column; a sample's (0-based) for the quantities each sample has. The cost without a
        sample is the epoch's (what the summary and its charts show)."""
        if kind == Kind.COST and sample is None:
            kind = Mean.COST
        return self.lookup[(kind, layer, j, i, sample)]

    L, last_col, lr_address, lr_ref = Layout.L, Layout.last_col, Layout.lr_address, Layout.lr_ref

    def header(self) -> dict:
        """{(row, col): text} of every caption and label."""
        cells = {(self.label_row, c.col): c.label for c in self.columns}
        cells[(self.label_row, self.lr_col)] = LEARNING_RATE
        for l in range(1, self.L + 1):
            cells[(self.caption_row, self.at(Kind.WEIGHT, l).col)] = f"Layer {l}"
            cells[(self.caption_row, self.at(Mean.CHANGE, l).col)] = f"Mean dC/dW({l})"
        roles = {"Input": (Kind.INPUT, 0), "Output": (Kind.ACTIVATION, self.L), "Target": (Kind.TARGET, self.L),
                 "Cost": (Kind.COST, self.L)}
        for s in range(self.m):
            cells[(self.caption_row, self.at(Kind.INPUT, 0, sample=s).col)] = f"Sample {s + 1}"
            cells |= {(self.role_row, self.at(*where, sample=s).col): role for role, where in roles.items()}
        return cells

    def formula(self, c: BatchColumn, first: bool) -> Node | None:
        """The formula of column c in the first data row (first=True) or a later one; None where
        the cell holds a plain number: the weights of the first row."""
        if c.kind == Kind.INPUT:
            return self.data.input_ref(c.sample, c.j)
        if c.kind == Kind.TARGET:
            return self.data.target_ref(c.sample, c.j)
        if c.kind == Kind.WEIGHT:
            return None if first else self._update(c)
        return c.kind.formula(self if isinstance(c.kind, Mean) else _Group(self, c.sample), c)

    def _update(self, c: BatchColumn) -> Node:  # w(r) = w(r-1) - γ · mean dC/dw(r-1), from the row above
        mean = Ref(self.at(Mean.CHANGE, c.layer, c.j, c.i).col, -1, relative=True)
        return Ref(c.col, -1, relative=True) - self.lr_ref() * mean

    def _mean(self, c: BatchColumn) -> Node:  # the mean over the samples of a change, or of the cost
        kind = Kind.CHANGE if c.kind == Mean.CHANGE else Kind.COST
        refs = [Ref(self.at(kind, c.layer, c.j, c.i, s).col, 0, relative=True) for s in range(self.m)]
        if len(refs) <= MAX_ARGUMENTS:
            return call("AVERAGE", *refs)
        parts = [call("SUM", *refs[k:k + MAX_ARGUMENTS]) for k in range(0, len(refs), MAX_ARGUMENTS)]
        return total(parts) / len(refs)

    def templates(self, first: bool) -> list:
        """The formulas of a data row (None: a plain number), from column 1 to the last column."""
        return [None] * (self.first_col - 1) + [self.formula(c, first) for c in self.columns]

    def histories(self, problem: Problem, n: int, every: int = 1, size: int = 1000):
        """The epochs of a training as this layout shows them, stacked `size` at a time."""
        return batch.histories(problem, n, every, size)

    def train(self, problem: Problem, n: int, every: int = 1):
        """The epochs of a training as this layout shows them, one at a time."""
        return batch.train(problem, n, every)

    # -- values ---------------------------------------------------------------------------------

    def matrix(self, history: batch.Epoch) -> np.ndarray:
        """The numbers of the data rows of stacked epochs, one row per epoch, from the network's
        first column to its last."""
        n, L, m = len(history.C), self.L, self.m
        flat = lambda x: x.reshape(x.shape[:-2] + (-1,))  # noqa: E731 (a matrix per epoch, or per epoch and sample)
        group = [history.a[0]]
        for l in range(1, L + 1):
            group += [history.a[l], history.delta[l]]
        group += [history.T, history.costs[:, :, None]] + [flat(c) for c in history.change[1:]]
        groups = np.concatenate(group, axis=2).reshape(n, m * self.group)
        return np.concatenate([flat(w) for w in history.W[1:]] + [groups] + [flat(x) for x in history.mean[1:]]
                              + [history.C[:, None]], axis=1)

    def unpack(self, numbers: np.ndarray) -> batch.Epoch:
        """The stacked Epoch of data rows' numbers, one row per epoch from the network's first
        column to its last: the inverse of matrix, every field a view into numbers."""
        n, L, sizes = len(numbers), self.L, self.sizes
        shapes = [(sizes[l], sizes[l - 1] + 1) for l in range(1, L + 1)]

        def matrices(block, k=0):
            out = [None]
            for rows, cols in shapes:
                out.append(block[..., k:k + rows * cols].reshape(block.shape[:-1] + (rows, cols)))
                k += rows * cols
            return out

        W = matrices(numbers[:, :self.weights])
        groups = numbers[:, self.weights:self.weights + self.m * self.group].reshape(n, self.m, self.group)
        a, delta, k = [groups[:, :, :sizes[0]]], [None], sizes[0]
        for l in range(1, L + 1):
            a.append(groups[:, :, k:k + sizes[l]])
            delta.append(groups[:, :, k + sizes[l]:k + 2 * sizes[l]])
            k += 2 * sizes[l]
        T, costs = groups[:, :, k:k + sizes[L]], groups[:, :, k + sizes[L]]
        change = matrices(groups, k + sizes[L] + 1)
        mean = matrices(numbers[:, self.weights + self.m * self.group:-1])
        return batch.Epoch(W=W, a=a, delta=delta, change=change, costs=costs, T=T, mean=mean, C=numbers[:, -1])


class Mean(StrEnum):
    """The columns a batch sheet adds after the samples' groups, defined as Kind defines the
    classic ones (see Kind): the mean change matrices, and the epoch's cost."""

    CHANGE = "mean change", "w{ji}", "mean dC/d{label} of layer {layer}", "mean dC/dW({layer})", \
        BatchLayout._mean, None, 6
    COST = "epoch cost", EPOCH_COST, "epoch cost", EPOCH_COST, BatchLayout._mean, None, 6

    __new__ = Kind.__new_member__


# -- reading a batch sheet ---------------------------------------------------------------------

def is_batch(first_label) -> bool:
    """Whether the first label right of the learning rate is a batch sheet's (a weight's)."""
    return isinstance(first_label, str) and first_label.strip()[:1] == "w"


def find(sheet: Sheet, label_row: int, lr_col: int, first_col: int) -> tuple[BatchLayout, Problem]:
    """The layout of the batch sheet whose labels start at (label_row, first_col), right of the
    learning rate's label in lr_col, and its initial state: the weights of the first data row,
    and the samples as its groups' cached inputs and targets show them."""
    labels, col = [], first_col
    while _text(sheet.value(label_row, col)):
        text = _text(sheet.value(label_row, col))
        labels.append((col, text, ("E", None, None) if text == EPOCH_COST else
                       _parse_label(text, address(label_row, col))))
        col += 1
    sizes, m = _sizes(labels, lambda message, at: SheetnetError(message, sheet=sheet.name,
                                                                  cell=address(label_row, at)))
    first_row = next((r for r in sorted(sheet.rows) if r > label_row and sheet.value(r, first_col) is not None), None)
    if first_row is None:
        raise SheetnetError("no data row below the labels", sheet=sheet.name, cell=address(label_row + 1, first_col))
    placed = dict(first_col=first_col, lr_col=lr_col, caption_row=label_row - 2, role_row=label_row - 1,
                  label_row=label_row, first_row=first_row)
    # The samples as the first row shows them, read through a layout of that many placeholder samples.
    probe = BatchLayout(sizes, placeholder(sizes, m), **placed)
    read = {}  # (kind, layer, sample) -> the numbers of its columns
    for c in probe.columns:
        if c.kind in (Kind.INPUT, Kind.TARGET, Kind.WEIGHT):
            read.setdefault((c.kind, c.layer, c.sample), []).append(number(sheet, first_row, c.col, c.describe()))
    numbers = lambda kind, l, s=None: np.array(read[(kind, l, s)])  # noqa: E731
    X = np.array([numbers(Kind.INPUT, 0, s) for s in range(m)])
    T = np.array([numbers(Kind.TARGET, probe.L, s) for s in range(m)])
    data = _data_sheet(sheet, probe, Dataset(X, T))
    W = [None] + [numbers(Kind.WEIGHT, l).reshape(sizes[l], -1) for l in range(1, len(sizes))]
    if sheet.value(first_row, lr_col) is None:
        raise SheetnetError("the learning rate is missing", sheet=sheet.name, cell=address(first_row, lr_col))
    lr = number(sheet, first_row, lr_col, "the learning rate")
    if lr <= 0:
        raise SheetnetError(f"the learning rate must be positive, not {lr}", sheet=sheet.name,
                            cell=address(first_row, lr_col))
    return BatchLayout(sizes, data, **placed), Problem(Network(W, lr), X[0], T[0], data.data)


def with_data_sheet(layout: BatchLayout, problem: Problem, sheet: Sheet) -> tuple[BatchLayout, Problem]:
    """The layout and problem with the samples of the data sheet `sheet` the batch sheet refers to,
    read there, as an online sheet's are: the first row's cached copies may be stale (a program
    that does not recalculate) or missing (saved without values, where they would read as 0).
    A data sheet that is not where the references point, or holds other samples, is left as it
    is: check_samples says what is wrong with it."""
    from . import data as data_sheets

    d, found = layout.data, data_sheets.read(sheet)
    if (found.label_row, found.sample_col) != (d.label_row, d.sample_col) or \
            (found.data.X.shape, found.data.T.shape) != (d.data.X.shape, d.data.T.shape):
        return layout, problem
    data = Dataset(found.data.X, found.data.T)  # a batch sheet takes every sample in each row: no order
    return (dataclasses.replace(layout, data=dataclasses.replace(d, data=data)),
            Problem(problem.network, data.X[0], data.T[0], data))


def stale_samples(shown: Sheet, layout: BatchLayout, found: DataSheet):
    """(data-sheet cell, sample s, 'a' or 'T', k, its number there, the batch sheet's cell, its
    cached copy) for each input or target of the data sheet `found` whose copy in the batch sheet
    `shown`'s first row is cached and another number (a cell saved without a value says nothing)."""
    for s in range(found.data.m):
        for what, theirs, col in (("a", found.data.X, found.input_col), ("T", found.data.T, found.target_col)):
            for k, value in enumerate(theirs[s].tolist()):
                at = layout.at(Kind.INPUT if what == "a" else Kind.TARGET, 0 if what == "a" else layout.L, k,
                               sample=s)
                cached = shown.value(layout.first_row, at.col)
                if isinstance(cached, (int, float)) and not isinstance(cached, bool) and cached != value:
                    yield (address(found.row(s), col(k)), s, what, k, value, address(layout.first_row, at.col),
                           float(cached))


def check_samples(sheet: Sheet, layout: BatchLayout, shown: Sheet, rows: int | None = None) -> None:
    """Refuse a batch sheet, `shown`, whose first row does not show the samples of the data sheet
    it refers to, `sheet` (saved by a program that does not recalculate, say): its training would
    start from samples other than those its formulas name. rows: how many rows of the data sheet
    were read, if not all (a data sheet cut there holds more samples than read)."""
    from . import data as data_sheets

    d, found = layout.data, data_sheets.read(sheet)
    where = dict(sheet=sheet.name, cell=address(found.label_row, found.sample_col))
    if (found.label_row, found.sample_col) != (d.label_row, d.sample_col):
        raise SheetnetError(f"the batch sheet refers to samples whose labels would be in "
                            f"{address(d.label_row, d.sample_col)}, not here", **where)
    cut = rows is not None and found.row(found.data.m) > rows
    if found.data.m > d.data.m or found.data.m < d.data.m and not cut:
        raise SheetnetError(f"holds {found.data.m:,} samples where the batch sheet has a group for each of "
                            f"{d.data.m:,}", **where)
    for cell, s, what, k, value, copy, cached in stale_samples(shown, layout, found):
        raise SheetnetError(f"sample {s + 1}'s {what}{k} is {value!r} here but {cached!r} in {copy} of the batch "
                            f"sheet, which refers to it: recalculate the workbook before training",
                            sheet=sheet.name, cell=cell)


def _data_sheet(sheet: Sheet, probe: BatchLayout, data: Dataset) -> DataSheet:
    """Where the data sheet is, as the first sample's first input of the first row refers to it;
    of a sheet of numbers only (--log-every's), where sheetnet writes it."""
    from ..formula import FormulaError, parse

    c = probe.at(Kind.INPUT, 0, sample=0)
    where = address(probe.first_row, c.col)
    formula = sheet.cell(probe.first_row, c.col).formula
    if formula is None:
        return DataSheet(NAME, data)
    try:
        form = parse(formula, probe.first_row, c.col, None, sheet.name)
    except FormulaError as e:
        raise SheetnetError(f"input a0 of sample 1: its formula cannot be read: {e}", sheet=sheet.name,
                            cell=where) from None
    if len(form.refs) == 1 and form.refs[0].sheet is not None and form.key == form.refs[0].key():
        row, col = form.refs[0].at(probe.first_row, c.col)
        if row > 1 and col > 1:
            return DataSheet(form.refs[0].sheet, data, label_row=row - 1, sample_col=col - 1)
    raise SheetnetError("input a0 of sample 1 must be a reference to its cell on the data sheet (=Data!$B$2)",
                        sheet=sheet.name, cell=where)


def _sizes(labels: list, fail) -> tuple[tuple, int]:
    """(layer sizes, samples) from a batch sheet's labels: weights w.. (all layers), then per
    sample a.. (a.. δ..)+ T.. C w.., then w.. (the means) and 'Epoch C'; every label checked.
    fail(message, col) makes the error."""
    # The first group tells the sizes: its inputs a0 .., then per layer its activations a0 .. and
    # deltas δ0 ..; a run of one kind ends where its index starts again from 0.
    start = next((k for k, (_, _, token) in enumerate(labels) if token[0] != "w"), len(labels))
    if not 0 < start < len(labels) or labels[start][2][0] != "a":
        raise fail("a batch sheet's labels are the weights w00 .., then the first sample's inputs a0 ..",
                   labels[min(start, len(labels) - 1)][0])
    runs, k = [], start
    while k < len(labels) and labels[k][2][0] in "aδ":
        kind, n = labels[k][2][0], 0
        while k < len(labels) and labels[k][2][:2] == (kind, n):
            k, n = k + 1, n + 1
        if not n:  # a label out of turn, such as a2 where a0 begins a run
            break
        runs.append((kind, n))
    layers = list(zip(runs[1::2], runs[2::2]))  # (activations, deltas) of layers 1, 2, ...
    if len(runs) < 3 or len(runs) % 2 == 0 or any(a[0] != "a" or d != ("δ", a[1]) for a, d in layers):
        raise fail("expected the first sample's inputs a0 .., then per layer its activations a0 .. and as many "
                   "deltas δ0 ..", labels[min(k, len(labels) - 1)][0])
    sizes = (runs[0][1], *(n for (_, n), _ in layers))
    probe = BatchLayout(sizes, placeholder(sizes, 1))
    fixed = 2 * probe.weights + 1
    m, extra = divmod(len(labels) - fixed, probe.group)
    if m < 1 or extra:
        raise fail(f"{len(labels)} labels do not make a {shape(sizes)} network's batch sheet: {probe.weights} "
                   f"weights, {probe.group} per sample, {probe.weights} mean changes and '{EPOCH_COST}'",
                   labels[-1][0])
    expected = BatchLayout(sizes, placeholder(sizes, m))
    for (col, text, token), c in zip(labels, expected.columns):
        want = ("E", None, None) if c.kind == Mean.COST else _parse_label(c.label, "")
        if token != want:
            raise fail(f"expected the label {c.label!r} here ({c.describe()}), not {text!r}", col)
    return sizes, m


def placeholder(sizes: tuple, m: int) -> DataSheet:
    """A data sheet of m samples of zeros, for a layout that only tells where the columns are."""
    return DataSheet("", Dataset(np.zeros((m, sizes[0])), np.zeros((m, sizes[-1]))))
