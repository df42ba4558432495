"""What a cell of a network sheet is, and all that explain says of it, as data: its quantity and
place in the network, its formula, the note's equation worked out with the sheet's numbers, the
recomputation, the chain rule, the cells it feeds and verify's fault in it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SheetnetError
from ..formula import FormulaError, parse
from ..grid import EMPTY, Cell, Sheet, address, column_letters, ordinal
from ..layout import Column, Kind, Layout
from ..math.network import Problem, history
from ..verify import Fault, Report
from .chain import Chain, chain
from .notation import HALF, Equation, Partial, Relation, Square, Symbol, Term, product, sigma
from .note import COST, Cells, Law, law, of, vector


@dataclass(frozen=True)
class Feed:
    """A cell whose formula uses the cell explained."""

    cell: str
    what: str
    formula: str


@dataclass
class Explanation:
    """All that explain says of one cell."""

    file: str
    sheet: str
    cell: str
    kind: str  # a column's Kind ('weight', 'delta', ...), 'learning rate', 'label' or 'caption'
    what: str  # 'delta δ0 of layer 1, the hidden layer, iteration 2'
    about: tuple  # a phrase (words and Terms): what the quantity is to the network
    holds: object  # the value the file holds: a number, a text; None where a formula has no cached value
    formula: str | None  # the formula as the file holds it, without '='
    symbol: Term | None  # the quantity in the note's symbols
    iteration: int | None = None
    law: Law | None = None  # the note's equation of the cell
    equation: Equation | None = None  # the law worked out with the sheet's numbers
    remarks: tuple = ()  # phrases on how the cell came to be
    recomputed: float | None = None  # the quantity as sheetnet recomputes it from the first data row
    chain: Chain | None = None
    chain_about: str = ""  # which row's gradient the chain rule works out, and why that one
    feeds: tuple = ()  # of Feed: the cells of this row and the next that use it
    fault: Fault | None = None  # verify's finding in the cell
    first_fault: Fault | None = None  # verify's first failing cell of the sheet, where that is another

    @property
    def cached(self) -> float | None:
        """The file's number for the cell; None where it holds none."""
        return _number(self.holds)

    def numbers(self) -> dict:
        """The cell's number three ways (None where there is none): the note's equation on the
        sheet's numbers, the file's cached value and the recomputation; and how far apart they are."""
        out = {"equation": None if self.equation is None else self.equation.value, "cached": self.cached,
               "recomputed": self.recomputed, "cached_minus_recomputed": None, "relative": None,
               "equation_minus_cached": None}
        if self.cached is not None and self.recomputed is not None:
            out["cached_minus_recomputed"] = difference = self.cached - self.recomputed
            out["relative"] = abs(difference) / abs(self.recomputed) if self.recomputed else None
        if self.cached is not None and out["equation"] is not None:
            out["equation_minus_cached"] = out["equation"] - self.cached
        return out


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class Held:
    """The cells a reading holds: the sheet's first rows and the rows around the cell explained."""

    def __init__(self, head: Sheet, rows: dict):
        self.head, self.rows = head, rows

    def cells(self, row: int):
        """The cells of a row as a mapping {column: Cell}."""
        return self.rows.get(row, self.head.rows.get(row)) or {}

    def cell(self, row: int, col: int) -> Cell:
        return self.cells(row).get(col, EMPTY)

    def number(self, cell: tuple) -> float:
        """The number a formula takes from a cell: 0 where it is empty, NaN where it holds none."""
        found = self.cell(*cell)
        if found.value is None:
            return math.nan if found.formula else 0.0
        return math.nan if isinstance(found.value, str) else float(found.value)


def explained(file: str, held: Held, layout: Layout, problem: Problem, report: Report, fault: Fault | None,
              row: int, col: int) -> Explanation:
    """The explanation of cell (row, col) of a network's sheet, read as `held`; report and fault:
    verify's report of the sheet's rows down to the cell's and the next, and its fault in the cell."""
    found = held.cell(row, col)
    where = address(row, col)
    if found.value is None and found.formula is None:
        raise SheetnetError("is empty: there is nothing to explain", cell=where)
    base = dict(file=file, sheet=held.head.name, cell=where, holds=found.value, formula=found.formula)
    c = next((c for c in layout.columns if c.col == col), None)
    if (row, col) == (layout.first_row, layout.lr_col):
        gamma = Cells(layout, row).gamma
        w = Symbol("w")
        return Explanation(**base, kind="learning rate", what="the learning rate γ", symbol=gamma,
                           about=("how far each update moves the weights: ",
                                  Relation(w, w - product(gamma, Partial(COST, w)), "←")),
                           remarks=(("typed in the first data row; every weight update of every row uses it",),),
                           recomputed=problem.network.lr,
                           feeds=_feeds(held, layout, report, row, col),
                           **_verified(report, fault))
    if (row, col) in layout.header():
        return Explanation(**base, **_heading(layout, row, col, c))
    if c is None or not layout.first_row <= row <= report.last_row:
        if c is not None and row > report.last_row:
            raise SheetnetError(f"is below the network, whose data rows end at row {report.last_row}", cell=where)
        raise SheetnetError(f"is not part of the network, which stands in columns {column_letters(layout.first_col)} "
                            f"to {column_letters(layout.last_col)} from row {layout.first_row}, its captions and "
                            "labels above", cell=where)
    return Explanation(**base, **_network_cell(held, layout, problem, report, c, row), **_verified(report, fault))


def _verified(report: Report, fault: Fault | None) -> dict:
    """verify's fault in the cell, and the sheet's first failing cell where it fails and is another."""
    first = report.first if fault is not None and report.first is not None and report.first.cell != fault.cell else None
    return dict(fault=fault, first_fault=first)


# -- a cell of the network's columns ---------------------------------------------------------------

def _network_cell(held: Held, layout: Layout, problem: Problem, report: Report, c: Column, row: int) -> dict:
    every, first = report.every, layout.first_row
    shown = lambda r: _iteration(layout, report, r)  # noqa: E731
    k = shown(row) - report.first_iteration + 1  # counted from the first row, as the recomputation counts
    layered = c.kind in (Kind.WEIGHT, Kind.ACTIVATION, Kind.DELTA, Kind.CHANGE)
    what = c.describe() + (f", {layer_name(layout, c.layer)}" if layered else "") + f", iteration {shown(row):,}"
    if c.kind == Kind.WEIGHT and row > first and every == 1:
        what += f" (after the update of iteration {shown(row) - 1:,})"
    rule = law(layout, c, row)
    remarks = rule.remarks if rule is not None else (_online(held, layout, c, row) if layout.online else None) or \
        (_TYPED[c.kind],)
    worked = None
    if rule is not None and not (c.kind == Kind.WEIGHT and every > 1):
        worked = rule.worked(lambda t: held.number(t.cell))
    elif rule is not None:
        remarks += ((f"this sheet shows every {ordinal(every)} iteration: the row above is {every:,} updates earlier, "
                     "so the note's update cannot be worked out from its numbers",),)
    explained_chain, chain_about = None, ""
    if c.kind in (Kind.DELTA, Kind.CHANGE, Kind.WEIGHT):
        # A weight's update subtracts the gradient of the row above; the first row's is its own.
        at = row - 1 if c.kind == Kind.WEIGHT and rule is not None and every == 1 else row
        explained_chain = chain(layout, c, at, held.number)
        chain_about = f"in row {at} (iteration {shown(at):,})"
        if c.kind == Kind.WEIGHT:
            chain_about += (", the gradient this update subtracts" if at < row else
                            ", the gradient of this iteration, which the next row's update subtracts")
    recomputed = layout.matrix(history(problem, k, max(k - 1, 1)))[-1][layout.columns.index(c)]
    return dict(kind=str(c.kind), what=what, about=about(layout, c), symbol=of(c, row), iteration=shown(row), law=rule,
                equation=worked, remarks=remarks, recomputed=float(recomputed), chain=explained_chain,
                chain_about=chain_about, feeds=_feeds(held, layout, report, row, c.col))


def _iteration(layout: Layout, report: Report, row: int) -> int:
    """The iteration a data row shows, as the sheet numbers them (a resumed sheet's go on); a sheet
    of every K-th iteration ends with the last one, off the grid of K."""
    counted = report.iterations if row == report.last_row else 1 + (row - layout.first_row) * report.every
    return report.first_iteration - 1 + counted


_TYPED = {
    Kind.INPUT: ("typed in the first data row: the sample the network learns, which every row below copies",),
    Kind.TARGET: ("typed in the first data row: what the outputs are to become; every row below copies it",),
    Kind.WEIGHT: ("typed in the first data row: the initial weight, from which the updates of every row below "
                  "follow",),
}


def _online(held: Held, layout: Layout, c: Column, row: int) -> tuple | None:
    """The remarks on a cell of an online sheet's own columns (its sample, the sample's inputs and
    targets, the epoch cost); None for a cell of another column."""
    data, m = layout.data, layout.data.data.m
    if c.kind == Kind.SAMPLE:
        return ((f"the sample this row trains on: row {data.row(0)} onwards of sheet '{data.name}' holds samples "
                 f"1 to {m}; the rows take them in one order, the same every epoch of {m} rows",),)
    if c.kind == Kind.EPOCH:
        return ((f"the mean of the cost column over the last {m} rows (over the rows so far before the {ordinal(m)}): "
                 "the cost of a whole epoch, where each row's cost is that of its own sample",),)
    if c.kind not in (Kind.INPUT, Kind.TARGET):
        return None
    s = held.cell(row, layout.at(Kind.SAMPLE, 0).col).value
    if not isinstance(s, (int, float)) or not 1 <= s <= m or s != int(s):
        return None
    ref = (data.input_ref if c.kind == Kind.INPUT else data.target_ref)(int(s) - 1, c.j)
    return ((f"sample {int(s)}'s {c.label} on the data sheet '{data.name}' ({address(ref.row, ref.col)} there): each "
             "row refers to the cells of the sample its sample column names, so that changing a sample retrains "
             "every row",),)


def layer_name(layout: Layout, l: int) -> str:
    """'the input layer', 'the hidden layer', 'hidden layer 2 of 3', 'the output layer'."""
    if l == 0:
        return "the input layer"
    if l == layout.L:
        return "the output layer"
    return "the hidden layer" if layout.L == 2 else f"hidden layer {l} of {layout.L - 1}"


def about(layout: Layout, c: Column) -> tuple:
    """What a column's quantity is to the network, as a phrase."""
    l, j = c.layer, c.j
    x = of(c)
    if c.kind == Kind.INPUT:
        return (x, f", the sample's input to neuron {j} of layer 0",)
    if c.kind == Kind.TARGET:
        return (x, f", what output neuron {j} is to give",)
    if c.kind == Kind.SAMPLE:
        return (x, ", the number of the sample this row trains on",)
    if c.kind == Kind.EPOCH:
        return (x, ", the epoch cost: the mean cost of the last m rows, one per sample",)
    if c.kind == Kind.ACTIVATION:
        z = Symbol("z", str(j), l)
        return (Relation(x, sigma(z)), f", what neuron {j} of layer {l} passes on: the sigmoid of its weighted "
                                       "input ", z)
    if c.kind == Kind.DELTA:
        return (Relation(x, Partial(COST, Symbol("z", str(j), l))), ", how the cost changes with the weighted "
                                                                    f"input of neuron {j} of layer {l}")
    if c.kind == Kind.WEIGHT and c.bias:
        return (x, f", the bias of neuron {j} of layer {l}: the weight from the bias neuron of layer {l - 1}, "
                   "whose value is always 1")
    if c.kind == Kind.WEIGHT:
        return (x, f", the weight from neuron {c.i} of layer {l - 1} to neuron {j} of layer {l}",)
    if c.kind == Kind.CHANGE:
        return (x, ", how the cost changes with ", x.by, ": its entry of the change matrix ",
                Partial(COST, vector("W", l)))
    L = layout.L
    a, T = Symbol("a", "j", L), Symbol("T", "j")
    return (Relation(x, product(HALF, Square(a - T))), " summed over the outputs j: how far the outputs are from "
                                                       "the targets")


def _feeds(held: Held, layout: Layout, report: Report, row: int, col: int) -> tuple:
    """The cells of row `row` and the next whose formulas refer to cell (row, col)."""
    out = []
    for r in (row, row + 1):
        for c, cell in sorted(held.cells(r).items()):
            if cell.formula is None:
                continue
            try:
                refers = parse(cell.formula, r, c).cells(r, c)
            except FormulaError:
                continue  # a formula sheetnet cannot read uses no cell that it can tell
            if any(s in (None, held.head.name) and (rr, cc) == (row, col) for s, rr, cc in refers):
                out.append(Feed(address(r, c), _what(layout, report, r, c), cell.formula))
    return tuple(out)


def _what(layout: Layout, report: Report, row: int, col: int) -> str:
    """A network cell's quantity and iteration, in words; '' for another cell."""
    c = next((c for c in layout.columns if c.col == col), None)
    if c is None or row < layout.first_row:
        return ""
    return f"{c.describe()}, iteration {_iteration(layout, report, row):,}"


# -- captions and labels ---------------------------------------------------------------------------

def _heading(layout: Layout, row: int, col: int, c: Column | None) -> dict:
    """A caption's or a label's explanation."""
    if c is None:  # the only heading outside the network's columns: the learning rate's label
        gamma = Cells(layout, layout.first_row).gamma
        return dict(kind="label", what=f"the label of the learning rate γ, in {layout.lr_address} below it",
                    about=(gamma, ", how far each update moves the weights"), symbol=gamma)
    if row == layout.label_row:
        return dict(kind="label", what=f"the label of column {c.letter}: {c.describe()}", about=about(layout, c),
                    symbol=of(c))
    group = _group(layout, c, row)
    columns = [x for x in layout.columns if _group(layout, x, row) == group]
    span = f"column {c.letter}" if len(columns) == 1 else f"columns {c.letter} to {columns[-1].letter}"
    symbol, words = _heads(layout, *group)
    return dict(kind="caption", what=f"the caption of {span}: {words}", about=(symbol,), symbol=symbol)


def _group(layout: Layout, c: Column, row: int) -> tuple | None:
    """The group of columns that a caption in `row` above column c heads, (name, layer): in the
    caption row a layer's columns or its change matrix's, in the row below it a role's (inputs,
    outputs, targets, cost); None where column c is in none."""
    if row == layout.caption_row:
        if c.kind == Kind.CHANGE:
            return "change", c.layer
        return ("layer", c.layer) if c.kind in (Kind.INPUT, Kind.WEIGHT, Kind.ACTIVATION, Kind.DELTA) else None
    if c.kind == Kind.ACTIVATION:
        return ("output", c.layer) if c.layer == layout.L else None
    return (str(c.kind), c.layer) if c.kind in (Kind.INPUT, Kind.TARGET, Kind.COST) else None


def _heads(layout: Layout, name: str, l: int) -> tuple:
    """(the note's symbol, words) of what a group of columns holds."""
    if name == "layer":
        what = "its inputs" if l == 0 else f"its weights W({l}), activations a({l}) and deltas δ({l})"
        return vector("a", l), f"layer {l}, {layer_name(layout, l)}: {what}"
    if name == "change":
        return Partial(COST, vector("W", l)), f"the change matrix of layer {l}: the cost's gradient for its weights"
    return {"input": (vector("a", 0), "the inputs a(0), the sample"),
            "output": (vector("a", l), f"the outputs a({l}), the activations of the output layer"),
            "target": (vector("T"), "the targets T, what the outputs are to become"),
            "cost": (COST, "the cost C")}[name]
