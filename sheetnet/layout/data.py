"""The data sheet: the samples a network sheet trains on, one per row.

A data sheet has a label row ``Sample a0 a1 ... T0 T1 ...`` (sheetnet writes it in row 1 from
column A) and below it one sample per row: its number, 1, 2, ..., m, then its inputs and
targets. It has no 'Learning rate' label, so no reader takes it for a network. A network sheet
that trains on it refers to its cells (see :class:`DataSheet.input_ref`).

Right of the targets, after an empty column, sheetnet writes an ``Order`` column: the number of
the sample each epoch takes first, second, ... (the order of the rows that train on it). A sheet
of formulas shows its order in its rows; a sheet of numbers of every K-th iteration does not,
and takes it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SheetnetError
from ..expression import Ref
from ..grid import Row, Sheet, address, plain
from ..math.data import Dataset, labels, split_labels
from .cells import number

SAMPLE = "Sample"
ORDER = "Order"
NAME = "Data"  # the name sheetnet gives a data sheet it writes (another where taken)
SAMPLE_WIDTH, NUMBER_WIDTH = 8, 10


@dataclass(frozen=True)
class DataSheet:
    """Where a dataset sits in a sheet: its label row and its 'Sample' column; sample s (from 0) in
    row label_row + 1 + s, input a_i in column sample_col + 1 + i, target T_j after the inputs."""

    name: str
    data: Dataset
    label_row: int = 1
    sample_col: int = 1
    ordered: bool = False  # read with an Order column, which data.order is

    def row(self, s: int) -> int:
        """The row of sample s (0-based)."""
        return self.label_row + 1 + s

    def input_col(self, i: int) -> int:
        return self.sample_col + 1 + i

    def target_col(self, j: int) -> int:
        return self.sample_col + 1 + self.data.n0 + j

    def input_ref(self, s: int, i: int) -> Ref:
        """The cell of input a_i of sample s (0-based), as a network sheet's formula refers to it: $Data.$B$2."""
        return Ref(self.input_col(i), self.row(s), fixed_col=True, fixed_row=True, sheet=self.name)

    def target_ref(self, s: int, j: int) -> Ref:
        """The cell of target T_j of sample s (0-based), as a network sheet's formula refers to it."""
        return Ref(self.target_col(j), self.row(s), fixed_col=True, fixed_row=True, sheet=self.name)

    @property
    def order_col(self) -> int:
        """The column of the epoch's order: after the targets and an empty column."""
        return self.target_col(self.data.nL - 1) + 2

    def which(self, row: int, col: int) -> tuple[int, str, int] | None:
        """(sample (0-based), 'a' or 'T', index) of a cell of this sheet, None for any other cell."""
        s, k = row - self.label_row - 1, col - self.sample_col - 1
        if not (0 <= s < self.data.m and 0 <= k < self.data.n0 + self.data.nL):
            return None
        return (s, "a", k) if k < self.data.n0 else (s, "T", k - self.data.n0)


def label_cell(sheet: Sheet) -> tuple[int, int] | None:
    """(row, col) of a 'Sample' label followed by 'a0', or None when the sheet holds no samples."""
    for r in sorted(sheet.rows):
        cells = sheet.rows[r]
        if isinstance(cells, Row):  # numbers only: no label
            continue
        for c, cell in sorted(cells.items()):
            if _text(cell.value) == SAMPLE.casefold() and _text(sheet.value(r, c + 1)) == "a0":
                return r, c
    return None


def _text(value) -> str | None:
    return value.strip().casefold() if isinstance(value, str) else None


def read(sheet: Sheet) -> DataSheet:
    """The data sheet a sheet holds; a SheetnetError naming the cell for anything amiss."""
    found = label_cell(sheet)
    if found is None:
        raise SheetnetError(f"holds no samples (no {SAMPLE!r} label followed by 'a0')", sheet=sheet.name)
    label_row, sample_col = found
    header, c = [], sample_col + 1
    while isinstance(sheet.value(label_row, c), str) and sheet.value(label_row, c).strip():
        header.append(sheet.value(label_row, c))
        c += 1
    where = lambda k: {"sheet": sheet.name, "cell": address(label_row, sample_col + 1 + k)}  # noqa: E731
    n0, nL = split_labels(header, where)
    rows = []
    r = label_row + 1
    while sheet.value(r, sample_col) is not None:
        given = sheet.value(r, sample_col)
        if given != len(rows) + 1 or isinstance(given, bool):
            raise SheetnetError(f"expected sample number {len(rows) + 1} here, not {plain(given)}: the samples are "
                                "numbered 1, 2, ... from the first row below the labels", sheet=sheet.name,
                                cell=address(r, sample_col))
        rows.append([number(sheet, r, sample_col + 1 + k, f"{label} of sample {len(rows) + 1}", empty=None)
                     for k, label in enumerate(labels(n0, nL))])
        r += 1
    if not rows:
        raise SheetnetError("holds no sample below its labels (sample 1 goes here)", sheet=sheet.name,
                            cell=address(label_row + 1, sample_col))
    data = np.array(rows)
    found = DataSheet(sheet.name, Dataset(data[:, :n0], data[:, n0:]), label_row, sample_col)
    if _text(sheet.value(label_row, found.order_col)) != ORDER.casefold():
        return found
    listed = 0  # the Order column's numbers, down to its first empty cell
    while sheet.value(label_row + 1 + listed, found.order_col) is not None:
        listed += 1
    if listed != len(rows):  # a sample added or taken out below the labels, the Order column left as it was
        raise SheetnetError(f"the Order column lists {listed} samples where the sheet holds {len(rows)}: make it "
                            f"name each of the samples 1 to {len(rows)} once, one a row, or delete the column",
                            sheet=sheet.name, cell=address(label_row + 1 + min(listed, len(rows)), found.order_col))
    order = [sheet.value(label_row + 1 + p, found.order_col) for p in range(len(rows))]
    for p, s in enumerate(order):
        if isinstance(s, bool) or not isinstance(s, (int, float)) or s not in range(1, len(rows) + 1) \
                or s in order[:p]:
            raise SheetnetError(f"the order of an epoch names each of the samples 1 to {len(rows)} once, not {plain(s)} "
                                "here", sheet=sheet.name, cell=address(label_row + 1 + p, found.order_col))
    return DataSheet(sheet.name, Dataset(data[:, :n0], data[:, n0:], [int(s) - 1 for s in order]), label_row,
                     sample_col, ordered=True)


def write(w, data: DataSheet) -> None:
    """The data sheet as sheet data.name of writer w: labels, then one sample per row."""
    d = data.data
    width = 1 + d.n0 + d.nL
    w.sheet(data.name, widths=[SAMPLE_WIDTH] + [NUMBER_WIDTH] * (width - 1) + [SAMPLE_WIDTH] * 2,
            freeze=address(data.label_row + 1, data.sample_col + 1))
    pad = [None] * (data.sample_col - 1)
    w.row(data.label_row, pad + [SAMPLE] + labels(d.n0, d.nL) + [None, ORDER], None,
          pad + ["label"] * width + [None, "label"])
    styles = pad + [None] + ["input"] * d.n0 + ["target"] * d.nL + [None, None]
    for s in range(d.m):
        w.row(data.row(s), pad + [float(s + 1)] + d.X[s].tolist() + d.T[s].tolist() + [None, float(d.order[s] + 1)],
              None, styles)
