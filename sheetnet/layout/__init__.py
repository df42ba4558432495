"""The classic Simple_Neural_Net layout: which cell holds what, and the formula of each.

This is the only module that knows cell positions. A :class:`Layout` is a column plan
built from the layer sizes plus the rows of the header; :func:`find` reads one from a
sheet by its captions and labels, and :meth:`Layout.values` and :meth:`Layout.formulas`
lay an iteration out as the numbers and formulas of one row. Formulas are trees of
:mod:`sheetnet.expression` whose references to the row itself and the row above are
relative, so one tree serves every data row: ``layout.formula(c, False).text(9)`` is the
formula of column c in row 9.

An online layout trains on a data sheet's samples, one per row: a ``Sample`` column left of
the inputs holds each row's sample number, the inputs and targets are references to that
sample's cells on the data sheet, and an ``Epoch C`` column after the cost holds the mean cost
of the last m rows. Those formulas depend on the row's sample and place, not only on the row
above: :meth:`Layout.row_templates` gives them.

A batch sheet (one row per epoch, every sample's pass side by side) has a layout of its own,
:class:`sheetnet.layout.batch.BatchLayout`, which :func:`find` hands a sheet over to; each
layout trains as it shows the training (:meth:`Layout.histories`, :meth:`Layout.train`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from ..errors import SheetnetError
from ..expression import Node, Range, Ref, call, total
from ..grid import Row, Sheet, address, column_letters
from ..math.network import Iteration, Network, Problem, histories, train
from .cells import number
from .data import SAMPLE, DataSheet

LEARNING_RATE = "Learning rate"
EPOCH_COST = "Epoch C"


@dataclass(frozen=True)
class Column:
    """One column of the plan. ``j`` is the neuron (or target) index, ``i`` the source
    neuron of a weight or change; ``bias`` whether that source is the bias (``i == n_{l-1}``)."""

    kind: Kind
    layer: int
    j: int = 0
    i: int = 0
    col: int = 0
    label: str = ""  # 'a0', 'w01', 'w12,3', 'δ0', 'T0', 'C'
    bias: bool = False

    @property
    def letter(self) -> str:
        return column_letters(self.col)

    @property
    def quantity(self) -> str:
        """The quantity the column is part of, as verify's report names it: 'a(1)', 'W(2)', 'C'."""
        return self.kind.quantity.format(layer=self.layer)

    @property
    def rank(self) -> tuple:
        """Where the column comes in the note's order of a row's computation (see Kind)."""
        return self.kind.stage, -self.layer if self.kind.backward else self.layer

    def describe(self) -> str:
        """What the column holds, in words, e.g. 'activation a0 of layer 1', 'w02 of layer 1 (bias)'."""
        return self.kind.words.format(label=self.label, layer=self.layer) + (" (bias)" if self.bias else "")


@dataclass
class Layout:
    """Where one network sits in a sheet."""

    sizes: tuple
    changes: bool = True  # whether the dC/dW groups follow the cost
    first_col: int | None = None  # the plan's first column: 3 (C, the inputs), or 2 (B, Sample) online
    lr_col: int = 1
    caption_row: int = 4
    role_row: int = 5
    label_row: int = 6
    first_row: int = 8
    online: bool = False  # trains on a data sheet's samples, one per row
    data: DataSheet | None = None  # the data sheet an online layout's formulas refer to
    columns: list = field(init=False)
    lookup: dict = field(init=False, repr=False)

    def __post_init__(self):
        self.sizes = tuple(int(n) for n in self.sizes)
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise SheetnetError(f"a network needs at least two layers of at least one neuron, not {self.sizes}")
        self.online = self.online or self.data is not None
        if self.first_col is None:
            self.first_col = 2 if self.online else 3  # the classic inputs stay in column C
        neurons = lambda kind, l: [(kind, l, j, 0) for j in range(self.sizes[l])]  # noqa: E731
        weights = lambda kind, l: [(kind, l, j, i) for j in range(self.sizes[l])  # noqa: E731
                                   for i in range(self.sizes[l - 1] + 1)]
        plan = [(Kind.SAMPLE, 0, 0, 0)] * self.online + neurons(Kind.INPUT, 0)
        for l in range(1, self.L + 1):
            plan += weights(Kind.WEIGHT, l) + neurons(Kind.ACTIVATION, l) + neurons(Kind.DELTA, l)
        plan += neurons(Kind.TARGET, self.L) + [(Kind.COST, self.L, 0, 0)] + [(Kind.EPOCH, self.L, 0, 0)] * self.online
        if self.changes:
            for l in range(1, self.L + 1):
                plan += weights(Kind.CHANGE, l)
        self.columns = [self._column(n, *key) for n, key in enumerate(plan)]
        self.lookup = {(c.kind, c.layer, c.j, c.i): c for c in self.columns}

    def _column(self, n: int, kind: Kind, l: int, j: int, i: int) -> Column:
        """The n-th column of the plan, labelled."""
        # 'w01' while every index is a single digit, 'w12,3' once one may not be.
        comma = l and max(self.sizes[l], self.sizes[l - 1] + 1) > 10
        label = kind.label.format(j=j, ji=f"{j},{i}" if comma else f"{j}{i}")
        bias = kind in (Kind.WEIGHT, Kind.CHANGE) and i == self.sizes[l - 1]
        return Column(kind, l, j, i, self.first_col + n, label, bias)

    @property
    def L(self) -> int:
        return len(self.sizes) - 1

    def at(self, kind: Kind | str, layer: int, j: int = 0, i: int = 0) -> Column:
        return self.lookup[(kind, layer, j, i)]

    @property
    def last_col(self) -> int:
        return self.columns[-1].col

    @property
    def lr_address(self) -> str:
        return address(self.first_row, self.lr_col)

    def lr_ref(self, sheet: str | None = None) -> Ref:
        """The learning rate's cell as formulas refer to it ($A$8), from this sheet or from `sheet`."""
        return Ref(self.lr_col, self.first_row, fixed_col=True, fixed_row=True, sheet=sheet)

    # -- labels and captions -------------------------------------------------------------

    def header(self) -> dict:
        """{(row, col): text} of every caption and label."""
        cells = {(self.label_row, c.col): c.label for c in self.columns}
        cells[(self.label_row, self.lr_col)] = LEARNING_RATE
        for l in range(self.L + 1):  # above the first column of each layer, and of its change matrix
            cells[(self.caption_row, self.at(Kind.WEIGHT if l else Kind.INPUT, l).col)] = f"Layer {l}"
            if l and self.changes:
                cells[(self.caption_row, self.at(Kind.CHANGE, l).col)] = self.at(Kind.CHANGE, l).quantity
        roles = {"Input": self.at(Kind.INPUT, 0), "Output": self.at(Kind.ACTIVATION, self.L),
                 "Target": self.at(Kind.TARGET, self.L), "Cost": self.at(Kind.COST, self.L)}
        cells |= {(self.role_row, c.col): role for role, c in roles.items()}
        return cells

    # -- formulas ---------------------------------------------------------------------------

    def formula(self, c: Column, first: bool) -> Node | None:
        """The formula of column c in the first data row (first=True) or a later one; None where the
        cell holds a plain number (inputs, weights and targets of the first row, the sample column)
        or, on an online sheet, a formula that depends on the row's sample or place (see row_templates)."""
        if self.online and c.kind in ROW_DEPENDENT:
            return None
        return None if first and c.kind.style else c.kind.formula(self, c)

    def row_templates(self, first: bool, sample: int, position: int) -> list:
        """The formulas of a data row of an online sheet, from column 1 on: templates(first) with
        the inputs and targets of sample (0-based) on the data sheet, and the epoch cost of the
        row `position` rows below the first (see epoch_formula)."""
        out = self.templates(first)
        for c in self.columns:
            if c.kind == Kind.INPUT:
                out[c.col - 1] = self.data.input_ref(sample, c.j)
            elif c.kind == Kind.TARGET:
                out[c.col - 1] = self.data.target_ref(sample, c.j)
            elif c.kind == Kind.EPOCH:
                out[c.col - 1] = self.epoch_formula(position)
        return out

    def epoch_formula(self, position: int) -> Node:
        """The epoch cost of the row `position` rows below the first: AVERAGE(AA8:AA9) in row 9 (from
        the first row, before the m-th row), AVERAGE(AA6:AA9) from the m-th on (the last m rows).
        Both ends are relative: a range with one end fixed (AA$8:AA9) changes its shape from row to
        row, which no reader of relative formulas (sheetnet's own among them) takes as one formula."""
        cost, m = self.at(Kind.COST, self.L).col, self.data.data.m
        return call("AVERAGE", Range(Ref(cost, -min(position, m - 1), relative=True), Ref(cost, 0, relative=True)))

    def _plain(self, c: Column) -> None:  # a number, in every row
        return None

    def _copy(self, c: Column) -> Node:  # inputs and targets: the row above's
        return self._ref(c.kind, c.layer, c.j, row=-1)

    def _update(self, c: Column) -> Node:  # w(r) = w(r-1) - γ δ_j a_i, from the row above
        step = self.lr_ref() * self._ref(Kind.DELTA, c.layer, c.j, row=-1)
        if not c.bias:
            step = step * self._source(c.layer, c.i, row=-1)
        return self._ref(Kind.WEIGHT, c.layer, c.j, c.i, row=-1) - step

    def _activation(self, c: Column) -> Node:  # a_j = σ(Σ_i a_i w_ji + w_j,bias)
        n = self.sizes[c.layer - 1]
        return activation([self._source(c.layer, i) for i in range(n)],
                          [self._ref(Kind.WEIGHT, c.layer, c.j, i) for i in range(n + 1)])

    def _delta(self, c: Column) -> Node:  # δ_j = a_j(1 - a_j)·(a_j - T_j), or Σ_k δ_k w_kj below the output
        a = self._ref(Kind.ACTIVATION, c.layer, c.j)
        if c.layer == self.L:
            return (a - self._ref(Kind.TARGET, c.layer, c.j)) * a * (1 - a)
        back = [self._ref(Kind.DELTA, c.layer + 1, k) * self._ref(Kind.WEIGHT, c.layer + 1, k, c.j)
                for k in range(self.sizes[c.layer + 1])]
        # One term stays unbracketed, as the original writes it: F8*(1-F8)*K8*H8.
        return a * (1 - a) * total(back) if len(back) > 1 else a * (1 - a) * back[0].left * back[0].right

    def _cost(self, c: Column) -> Node:  # C = Σ_j ½ (a_j - T_j)²
        return total([0.5 * (self._ref(Kind.ACTIVATION, self.L, j) - self._ref(Kind.TARGET, self.L, j)) ** 2
                      for j in range(self.sizes[-1])])

    def _change(self, c: Column) -> Node:  # dC/dw_ji = δ_j a_i, and δ_j for the bias
        d = self._ref(Kind.DELTA, c.layer, c.j)
        return d if c.bias else d * self._source(c.layer, c.i)

    def update_from_change(self, c: Column) -> Node:
        """The other formula a weight after the first row may hold when the sheet has change
        matrices: w(r) = w(r-1) - γ · dC/dw(r-1)."""
        change = self._ref(Kind.CHANGE, c.layer, c.j, c.i, row=-1)
        return self._ref(Kind.WEIGHT, c.layer, c.j, c.i, row=-1) - self.lr_ref() * change

    def _ref(self, kind: Kind, layer: int, j: int = 0, i: int = 0, row: int = 0) -> Ref:
        """The cell of a column in the formula's row (row=0) or the one above (row=-1)."""
        return Ref(self.at(kind, layer, j, i).col, row, relative=True)

    def _source(self, layer: int, i: int, row: int = 0) -> Ref:
        """The cell of a_i^(layer-1): an input for layer 1, an activation otherwise."""
        return self._ref(Kind.INPUT if layer == 1 else Kind.ACTIVATION, layer - 1, i, row=row)

    def templates(self, first: bool) -> list:
        """The formulas of a data row (None: a plain number), from column 1 to the last column;
        relative to the row, so the same for every row after the first."""
        return [None] * (self.first_col - 1) + [self.formula(c, first) for c in self.columns]

    def histories(self, problem: Problem, n: int, every: int = 1, size: int = 1000):
        """The iterations of a training as this layout shows them, stacked `size` at a time (network.histories)."""
        return histories(problem, n, every, size)

    def train(self, problem: Problem, n: int, every: int = 1):
        """The iterations of a training as this layout shows them, one at a time (network.train)."""
        return train(problem, n, every)

    # -- values -----------------------------------------------------------------------------

    def values(self, it: Iteration) -> list:
        """The numbers of one data row, from column 1 to the last column (None: empty)."""
        return [None] * (self.first_col - 1) + np.concatenate(self._parts(it, np.ravel, lambda C: [C])).tolist()

    def matrix(self, history: Iteration) -> np.ndarray:
        """The numbers of the data rows of network.history(...), one row per iteration, from
        the network's first column to its last."""
        n = len(history.C)
        return np.concatenate(self._parts(history, lambda m: m.reshape(n, -1), lambda C: C[:, None]), axis=1)

    def unpack(self, numbers: np.ndarray) -> Iteration:
        """The stacked Iteration of data rows' numbers, one row per iteration from the network's
        first column to its last: the inverse of matrix, every field a view into numbers
        (change is [None, ...] where the layout has no change matrices)."""
        n, L = len(numbers), self.L
        start = lambda kind, l: self.at(kind, l).col - self.first_col  # noqa: E731
        vector = lambda kind, l: numbers[:, start(kind, l):start(kind, l) + self.sizes[l]]  # noqa: E731

        def matrices(kind) -> list:
            if kind == Kind.CHANGE and not self.changes:
                return [None] * (L + 1)
            shapes = [(self.sizes[l], self.sizes[l - 1] + 1) for l in range(1, L + 1)]
            return [None] + [numbers[:, start(kind, l):start(kind, l) + m * k].reshape(n, m, k)
                             for l, (m, k) in enumerate(shapes, 1)]

        it = Iteration(W=matrices(Kind.WEIGHT), a=[vector(Kind.INPUT, 0)] + [vector(Kind.ACTIVATION, l)
                                                                            for l in range(1, L + 1)],
                       delta=[None] + [vector(Kind.DELTA, l) for l in range(1, L + 1)],
                       change=matrices(Kind.CHANGE), C=numbers[:, start(Kind.COST, L)],
                       T=vector(Kind.TARGET, L))
        if self.online:
            it.sample, it.epoch = numbers[:, start(Kind.SAMPLE, 0)], numbers[:, start(Kind.EPOCH, L)]
        return it

    def _parts(self, it: Iteration, flat, column) -> list:
        """The numbers of a row in the order of its columns, as vectors: each matrix (W, dC/dW)
        made one by flat, the cost (and the sample and epoch cost) by column."""
        parts = ([column(it.sample)] if self.online else []) + [it.a[0]]
        for l in range(1, self.L + 1):
            parts += [flat(it.W[l]), it.a[l], it.delta[l]]
        parts += [it.T, column(it.C)] + ([column(it.epoch)] if self.online else [])
        if self.changes:
            parts += [flat(m) for m in it.change[1:]]
        return parts


def activation(sources: list, weights: list) -> Node:
    """σ(Σ_i a_i w_ji + w_j,bias) of the cells of the activations a_i below and of the weights
    w_j0, ..., w_j,bias: 1/(1+EXP(-(C9*E9+D9*F9+G9)))."""
    z = total([a * w for a, w in zip(sources, weights)] + [weights[-1]])
    return 1 / (1 + call("EXP", -z))


class Kind(StrEnum):
    """A kind of column, defined once. ``label`` ('w{ji}' -> 'w01'), ``words`` (its description in
    reports) and ``quantity`` (verify's name, 'W(1)') are formats of a column's j, ji, label and
    layer; ``formula`` the Layout method that gives its formula after the first row; ``style`` the
    first row's style where a reader types a number there (None: computed); ``stage`` its place in
    the note's order of a row's computation, layer by layer (``backward``: from the output back)."""

    SAMPLE = "sample", SAMPLE, "the number of the row's sample", "sample", Layout._plain, None, 0
    INPUT = "input", "a{j}", "input {label} (layer 0)", "a(0)", Layout._copy, "input", 0
    TARGET = "target", "T{j}", "target {label}", "T", Layout._copy, "target", 0
    WEIGHT = "weight", "w{ji}", "{label} of layer {layer}", "W({layer})", Layout._update, "weight", 1
    ACTIVATION = "activation", "a{j}", "activation {label} of layer {layer}", "a({layer})", Layout._activation, None, 2
    COST = "cost", "C", "cost {label}", "C", Layout._cost, None, 3
    EPOCH = "epoch", EPOCH_COST, "epoch cost (the mean cost of the last m rows)", EPOCH_COST, Layout._plain, None, 3
    DELTA = "delta", "δ{j}", "delta {label} of layer {layer}", "δ({layer})", Layout._delta, None, 4, True
    CHANGE = "change", "w{ji}", "dC/d{label} of layer {layer}", "dC/dW({layer})", Layout._change, None, 5

    def __new__(cls, name, label, words, quantity, formula, style, stage, backward=False):
        kind = str.__new__(cls, name)
        kind._value_, kind.label, kind.words, kind.quantity = name, label, words, quantity
        kind.formula, kind.style, kind.stage, kind.backward = formula, style, stage, backward
        return kind


ROW_DEPENDENT = (Kind.INPUT, Kind.TARGET, Kind.EPOCH)  # an online sheet's formulas that depend on the row


# -- reading a layout off a sheet ------------------------------------------------------------

def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _parse_label(text: str, where: str):
    """('a', 0, None) for 'a0', ('w', 1, 2) for 'w12' or 'w1,2', ('C', None, None) for 'C'."""
    t = text.strip()
    if t in ("C", SAMPLE, EPOCH_COST):
        return (t, None, None)
    m = re.fullmatch(r"w(\d+),(\d+)", t) or re.fullmatch(r"w(\d)(\d)", t)
    if m:
        return ("w", int(m.group(1)), int(m.group(2)))
    if re.fullmatch(r"w\d{3,}", t):
        raise SheetnetError(f"weight label {t!r} is ambiguous; write it as w<j>,<i>", cell=where)
    m = re.fullmatch(r"(a|δ|T|d)(\d+)", t)
    if m:
        return ({"d": "δ"}.get(m.group(1), m.group(1)), int(m.group(2)), None)
    raise SheetnetError(f"unknown label {t!r}", cell=where)


def find_label_row(sheet: Sheet):
    """(row, col) of the 'Learning rate' label, or None when the sheet holds no network."""
    for r in sorted(sheet.rows):
        cells = sheet.rows[r]
        if isinstance(cells, Row):  # numbers only: no label
            continue
        for c, cell in sorted(cells.items()):
            if (_text(cell.value) or "").casefold() == LEARNING_RATE.casefold():
                return r, c
    return None


def find(sheet: Sheet) -> tuple[Layout, Problem]:
    """The layout of the network in a sheet and its initial state (the first data row)."""
    found = find_label_row(sheet)
    if found is None:
        raise SheetnetError(f"no network found (no {LEARNING_RATE!r} label)", sheet=sheet.name)
    label_row, lr_col = found
    labels = sheet.rows[label_row]
    first_col = min((c for c in labels if c > lr_col and _text(labels[c].value)), default=None)
    if first_col is None:
        raise SheetnetError("no column labels right of the learning rate label", sheet=sheet.name,
                            cell=address(label_row, lr_col))
    from . import batch  # a batch sheet's labels start with the weights (batch imports this module)

    if batch.is_batch(sheet.value(label_row, first_col)):
        return batch.find(sheet, label_row, lr_col, first_col)
    tokens = []
    col = first_col
    while _text(sheet.value(label_row, col)):
        tokens.append((col, _parse_label(sheet.value(label_row, col), address(label_row, col))))
        col += 1
    sizes, changes, online = _sizes_from_labels(tokens, label_row, sheet.name)
    first_row = next((r for r in sorted(sheet.rows) if r > label_row and sheet.value(r, first_col) is not None), None)
    if first_row is None:
        raise SheetnetError("no data row below the labels", sheet=sheet.name, cell=address(label_row + 1, first_col))
    caption_row = _caption_row(sheet, label_row, first_col + online)  # 'Layer 0' stands above the inputs
    layout = Layout(sizes, changes=changes, first_col=first_col, lr_col=lr_col, caption_row=caption_row,
                    role_row=label_row - 1, label_row=label_row, first_row=first_row, online=online)
    return layout, _problem(sheet, layout)


def _caption_row(sheet: Sheet, label_row: int, first_col: int) -> int:
    for r in range(label_row - 1, 0, -1):
        if (_text(sheet.value(r, first_col)) or "").casefold() == "layer 0":
            return r
    return label_row - 2


def _sizes_from_labels(tokens, label_row: int, sheet_name: str):
    """Layer sizes from the label sequence a.. (w.. a.. δ..)+ T.. C [w..]*, checking every label."""
    pos = 0

    def run(kind, most=None):
        """The consecutive labels of one kind from pos (at most `most` of them)."""
        nonlocal pos
        start = pos
        while pos < len(tokens) and tokens[pos][1][0] == kind and (most is None or pos - start < most):
            pos += 1
        return tokens[start:pos]

    def fail(message, at=None):
        at = tokens[min(pos, len(tokens) - 1)][0] if at is None else at
        raise SheetnetError(message, sheet=sheet_name, cell=address(label_row, at))

    def expect_indices(run_, expected, what):
        for (col, (_, j, i)), want in zip(run_, expected):
            if (j, i) != want:
                shown = f"{want[0]}" if want[1] is None else f"{want[0]}{want[1]}"
                fail(f"expected the label of {what} index {shown} here", col)
        if len(run_) != len(expected):
            fail(f"{what}: {len(run_)} labels where the layer sizes need {len(expected)}")

    online = bool(run(SAMPLE, 1))
    inputs = run("a")
    if not inputs:
        fail("the labels must start with the inputs a0, a1, ...")
    sizes = [len(inputs)]
    expect_indices(inputs, [(j, None) for j in range(sizes[0])], "input")
    while pos < len(tokens) and tokens[pos][1][0] == "w":
        weights, acts, deltas = run("w"), run("a"), run("δ")
        n, l = len(acts), len(sizes)
        expect_indices(weights, [(j, i) for j in range(n) for i in range(sizes[-1] + 1)], f"weights of layer {l}")
        expect_indices(acts, [(j, None) for j in range(n)], f"activations of layer {l}")
        expect_indices(deltas, [(j, None) for j in range(n)], f"deltas of layer {l}")
        sizes.append(n)
    if len(sizes) < 2:
        fail("expected the weight labels of layer 1 (w00, w01, ...) after the inputs")
    targets = run("T")
    expect_indices(targets, [(j, None) for j in range(sizes[-1])], "targets")
    if pos >= len(tokens) or tokens[pos][1][0] != "C":
        fail("expected the cost label C after the targets", tokens[pos - 1][0] + 1 if pos >= len(tokens) else None)
    pos += 1
    if online and not run(EPOCH_COST, 1):
        fail(f"expected the label {EPOCH_COST!r} after the cost C: a sheet with a {SAMPLE!r} column trains on "
             "samples and shows the epoch cost", tokens[pos - 1][0] + 1 if pos >= len(tokens) else None)
    changes = pos < len(tokens)
    if changes:
        for l in range(1, len(sizes)):
            expected = [(j, i) for j in range(sizes[l]) for i in range(sizes[l - 1] + 1)]
            expect_indices(run("w", len(expected)), expected, f"dC/dW({l})")
        if pos < len(tokens):
            fail(f"unexpected label {tokens[pos][1][0]!r} after the change matrices")
    return tuple(sizes), changes, online


def _problem(sheet: Sheet, layout: Layout) -> Problem:
    r = layout.first_row
    num = lambda c: number(sheet, r, c.col, c.describe())
    numbers = lambda kind, l: np.array([num(c) for c in layout.columns if (c.kind, c.layer) == (kind, l)])
    inputs, T = numbers(Kind.INPUT, 0), numbers(Kind.TARGET, layout.L)
    W = [None] + [numbers(Kind.WEIGHT, l).reshape(layout.sizes[l], -1) for l in range(1, layout.L + 1)]
    if sheet.value(r, layout.lr_col) is None:
        raise SheetnetError("the learning rate is missing", sheet=sheet.name, cell=layout.lr_address)
    lr = number(sheet, r, layout.lr_col, "the learning rate")
    if lr <= 0:
        raise SheetnetError(f"the learning rate must be positive, not {lr}", sheet=sheet.name, cell=layout.lr_address)
    return Problem(Network(W, lr), inputs, T)


def networks(book, name: str | None = None) -> list:
    """(sheet, layout, problem) for every sheet of a book that holds a network, or for the sheet
    named (the others need not hold one); an online sheet's with its data sheet and order (see
    layout.online), the book's data sheets read whole."""
    from .online import attach, in_book  # it builds on this module

    data_sheets = in_book(book)
    if name is not None:
        sheet = book.sheet(name)  # says whether the sheet is missing
        if find_label_row(sheet) is None:
            raise SheetnetError(f"holds no network (no {LEARNING_RATE!r} label)", sheet=name)
        try:
            return [(sheet, *attach(sheet, *find(sheet), data_sheets))]
        except SheetnetError as e:
            raise e.located(sheet=name) from None
    found = []
    for sheet in book.sheets:
        if find_label_row(sheet) is not None:
            try:
                found.append((sheet, *attach(sheet, *find(sheet), data_sheets)))
            except SheetnetError as e:
                raise e.located(sheet=sheet.name) from None
    if not found:
        raise SheetnetError("no network found in any sheet (no 'Learning rate' label)")
    return found
