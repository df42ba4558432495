"""An online network sheet and its data sheet: which data sheet it trains on, and in what order.

A network sheet with a ``Sample`` label left of its inputs trains on a data sheet's samples,
one per row (see :mod:`sheetnet.layout`). Its data sheet is the one its first data row's input
formulas refer to, or, where the file gives no formulas, the workbook's only data sheet. The
order of the samples is the one its sample column shows in the first epoch (its first m rows),
kept for every epoch; a sheet of fewer rows continues with the samples it has not shown, in the
data sheet's Order column's order (in turn without one). A sheet of numbers only, whose rows may
show every K-th iteration, takes the Order column's order. The Order column's order is that of
the iterations as the sheet numbers them (see layout.numbering): a resumed sheet whose first row
is iteration 1,004 (of 4 samples) starts with the sample the column names 4th, as the training it
goes on from did.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import SheetnetError
from ..formula import FormulaError, parse
from ..grid import Sheet, address, plain
from ..math.data import Dataset, split_labels
from ..math.network import Problem, shape
from . import Kind, Layout, find_label_row
from . import data as datasheet
from .batch import BatchLayout, with_data_sheet
from .numbering import first_iteration

# Why a values-only sheet's rows that may show every K-th iteration cannot be checked or resumed
# without its data sheet's Order column (resume and verify say it).
UNORDERED = ("its data sheet has no Order column: the order of its samples cannot be read from rows that may "
             "show every K-th iteration")


def is_data_sheet(sheet: Sheet) -> bool:
    """Whether a sheet (its first rows at least) holds samples and no network: its labels are
    Sample a0 ... T0 ... and no more (a check sheet's run on into the weights' labels)."""
    return find_label_row(sheet) is None and datasheet.label_cell(sheet) is not None and _labelled(sheet)


def _named(sheet: Sheet, name: str | None) -> bool:
    """Whether a sheet is a data sheet, or the one a network's formulas name and looks like one
    (its errors then tell what is wrong with it)."""
    return is_data_sheet(sheet) or (sheet.name == name and find_label_row(sheet) is None
                                    and datasheet.label_cell(sheet) is not None)


def _labelled(sheet: Sheet) -> bool:
    """Whether the labels after a sheet's 'Sample' label are a0 ... T0 ... and no more."""
    r, c = datasheet.label_cell(sheet)
    header = []
    while isinstance(sheet.value(r, c + 1 + len(header)), str) and sheet.value(r, c + 1 + len(header)).strip():
        header.append(sheet.value(r, c + 1 + len(header)))
    try:
        split_labels(header, lambda k: {})
    except SheetnetError:
        return False
    return True


def referred_sheet(sheet: Sheet, layout: Layout) -> str | None:
    """The sheet the first data row's first input formula refers to; None where it holds none."""
    c = layout.at(Kind.INPUT, 0)
    text = sheet.cell(layout.first_row, c.col).formula
    if not text:
        return None
    try:
        cells = parse(text, layout.first_row, c.col, sheet=sheet.name).cells(layout.first_row, c.col)
    except FormulaError as e:
        raise SheetnetError(f"cannot read the input formula {text!r}: {e}", sheet=sheet.name,
                            cell=address(layout.first_row, c.col)) from None
    if len(cells) != 1 or cells[0][0] is None:
        raise SheetnetError(f"an input of a sheet that trains on samples refers to a sample's cell on the data sheet, "
                            f"not {text!r}", sheet=sheet.name, cell=address(layout.first_row, c.col))
    return cells[0][0]


def choose(sheet: Sheet, layout: Layout, data_sheets) -> datasheet.DataSheet:
    """The data sheet an online network sheet trains on. data_sheets(name): {name: Sheet} of the
    workbook's data sheets, each read whole, among them the one named if there is one, even with
    wrong labels (all of them for name None)."""
    name = referred_sheet(sheet, layout)
    found = data_sheets(name)
    where = {"sheet": sheet.name, "cell": address(layout.label_row, layout.at(Kind.SAMPLE, 0).col)}
    if name is not None:
        if name not in found:
            raise SheetnetError(f"its inputs refer to sheet {name!r}, which holds no samples (no 'Sample' label "
                                "followed by a0, ...)", sheet=sheet.name,
                                cell=address(layout.first_row, layout.at(Kind.INPUT, 0).col))
        picked = found[name]
    elif len(found) == 1:
        [picked] = found.values()
    else:
        raise SheetnetError("trains on samples, but the workbook holds " +
                            ("no data sheet (a sheet with the labels Sample a0 ... T0 ...)" if not found else
                             f"{len(found)} data sheets ({', '.join(map(repr, found))}) and its inputs name none"),
                            **where)
    data = datasheet.read(picked)
    n0, nL = layout.sizes[0], layout.sizes[-1]
    if (data.data.n0, data.data.nL) != (n0, nL):
        raise SheetnetError(f"its {shape(layout.sizes)} network takes {n0} input(s) and {nL} target(s), but data "
                            f"sheet {data.name!r} holds {data.data.n0} input(s) and {data.data.nL} target(s)",
                            **where)
    return data


def samples_shown(sheet: Sheet, layout: Layout, m: int) -> list[int]:
    """The sample numbers (from 1) of the data rows the sheet holds, down to the first row without
    one; an error naming the cell of one that is not a whole number from 1 to m."""
    col, shown = layout.at(Kind.SAMPLE, 0).col, []
    for r in range(layout.first_row, sheet.max_row + 1):
        value = sheet.value(r, col)
        if value is None:
            break
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value != int(value) or not 1 <= value <= m:
            raise SheetnetError(f"the sample column holds sample numbers, 1 to {m} (the data sheet's samples), "
                                f"not {plain(value)}", sheet=sheet.name, cell=address(r, col))
        shown.append(int(value))
    return shown


def order(sheet: Sheet, layout: Layout, shown: list[int], rest: np.ndarray) -> np.ndarray:
    """The epoch's order (0-based) the sample column shows: its first m rows, then the samples
    they do not show (a sheet of fewer rows, or one read in part) in the order rest gives; an
    error naming a sample shown twice in them. (A later row that breaks the order is verify's to
    report: training starts from the first row.)"""
    col, m = layout.at(Kind.SAMPLE, 0).col, len(rest)
    first: dict = {}
    for t, s in enumerate(shown[:m]):
        if s in first:
            raise SheetnetError(f"sample {s} again in the first epoch (row {first[s]} shows it): the rows of an epoch "
                                "take each sample once", sheet=sheet.name, cell=address(layout.first_row + t, col))
        first[s] = layout.first_row + t
    return np.array([s - 1 for s in shown[:m]] + [s for s in rest.tolist() if s + 1 not in first], dtype=np.intp)


def attach(sheet: Sheet, layout: Layout, problem: Problem, data_sheets) -> tuple[Layout, Problem]:
    """The layout and problem of an online network sheet with its data sheet and order: the first
    row's inputs and targets those of its sample; a batch sheet's samples as its data sheet holds
    them (see batch.with_data_sheet). Classic sheets come back as they are."""
    if isinstance(layout, BatchLayout):
        # A sheet of numbers only (--log-every's) refers to no data sheet: its samples are its own.
        if sheet.cell(layout.first_row, layout.at(Kind.INPUT, 0, sample=0).col).formula is None:
            return layout, problem
        found = data_sheets(layout.data.name).get(layout.data.name)
        return (layout, problem) if found is None else with_data_sheet(layout, problem, found)
    if not layout.online:
        return layout, problem
    data = choose(sheet, layout, data_sheets)
    m = data.data.m
    shown = samples_shown(sheet, layout, m)
    # The rows of a sheet of formulas are consecutive iterations and show the order, as far as they
    # go (the data sheet's Order column, or the samples in turn, tells the rest); those of a sheet
    # of numbers may show every K-th: its data sheet's Order column tells it, where it has one.
    values_only = sheet.cell(layout.first_row, layout.at(Kind.INPUT, 0).col).formula is None
    # The Order column names the order of the iterations as the sheet numbers them (a resumed
    # sheet's from its noted first); the problem trains from the first row, its iteration 1.
    ordered = data.data.from_iteration(first_iteration(sheet)).order
    epochs = ordered if values_only and data.ordered else order(sheet, layout, shown, ordered)
    dataset = Dataset(data.data.X, data.data.T, epochs)
    first = dataset.samples(1)
    return (dataclasses.replace(layout, data=data),
            Problem(problem.network, dataset.X[first], dataset.T[first], dataset))


def in_book(book):
    """data_sheets(name) of a Book read with its data sheets whole (see formats.read's whole)."""
    return lambda name: {s.name: s for s in book.sheets if _named(s, name)}


class Streamed:
    """data_sheets(name) of a workbook read as it streams: the data sheets met so far when the
    one named is among them (sheetnet writes the data sheet first), or else every data sheet of
    the file, read in a pass of its own."""

    def __init__(self, path):
        self.path, self.met, self.all = path, {}, None

    def add(self, sheet: Sheet) -> None:
        self.met[sheet.name] = sheet

    def __call__(self, name: str | None) -> dict:
        if name is not None and name in self.met:
            return self.met
        if self.all is None:
            from .. import formats

            book = formats.read(self.path, keep=lambda sheet: _named(sheet, name))
            self.all = {s.name: s for s in book.sheets}
        return self.all
