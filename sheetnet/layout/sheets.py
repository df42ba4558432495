"""The networks of a workbook, sheet by sheet as the file streams, so that memory does not grow
with a sheet's rows: each network sheet's first rows tell its layout, then every row goes to a
consumer (verify's Check, show's row count) and is let go. A consumer's feed() may return True
when it wants no more rows of its sheet (explain, once past its cell): the rest is passed over."""

from __future__ import annotations

from .. import formats
from ..errors import SheetnetError
from ..grid import Sheet
from . import LEARNING_RATE, find, find_label_row
from .online import Streamed, attach, is_data_sheet


class _Sheet:
    """One sheet as it streams: its first rows gathered, then its consumer fed; or, for a data
    sheet, every row gathered (data_sheets takes it at its end)."""

    def __init__(self, name: str, start, data_sheets: Streamed):
        """start: see each_network; None for a sheet whose network is not wanted (its samples may be)."""
        self.head, self.start, self.consumer, self.data_sheets = Sheet(name), start, None, data_sheets
        self.enough = False  # whether the consumer wants no more rows
        self.samples = False  # whether it is a data sheet

    def row(self, r: int, cells) -> bool:
        """Take a row; False when the sheet holds no network and its rows are not wanted."""
        if self.consumer is None:
            if r <= formats.HEAD_ROWS or self.samples:
                self.head.rows[r] = cells
                return True
            if self.start is None or not self.begin():
                self.samples = is_data_sheet(self.head)
                return self.row(r, cells) if self.samples else False
        self.enough = bool(self.consumer.feed(r, cells))
        return True

    def begin(self) -> bool:
        """Find the network in the first rows and hand them to the consumer; False if none is there."""
        if find_label_row(self.head) is None:
            return False
        layout, problem = attach(self.head, *find(self.head), self.data_sheets)
        self.consumer = self.start(self.head, layout, problem)
        for r in sorted(self.head.rows):
            if r >= layout.first_row:
                self.consumer.feed(r, self.head.rows[r])
        return True

    def finish(self):
        """What the consumer makes of the sheet; None when it holds no network."""
        if self.samples or (self.consumer is None and is_data_sheet(self.head)):
            self.data_sheets.add(self.head)
            return None
        if self.consumer is None and (self.start is None or not self.begin()):
            return None
        return self.consumer.finish()


def each_network(path, sheet: str | None, start) -> tuple[list, list]:
    """For every sheet of the workbook at path that holds a network, or for the named one:
    start(first rows as a Sheet, layout, problem) makes a consumer, which is fed each row from
    the first data row on (feed(row, cells)) and whose finish() gives the sheet's result.
    Returns the results, in the workbook's order, and the names of all its sheets."""
    stream = formats.Stream(path)
    results, names, current = [], [], None
    data_sheets = Streamed(path)

    def done():
        if current is None:
            return
        try:
            result = current.finish()
        except SheetnetError as e:
            raise e.located(file=path, sheet=current.head.name) from None
        if result is None and current.start is not None and sheet is not None:
            raise SheetnetError(f"holds no network (no {LEARNING_RATE!r} label)", file=path, sheet=sheet)
        if result is not None:
            results.append(result)

    for _, name, r, cells in stream:
        if cells is None:
            done()
            names.append(name)
            current = _Sheet(name, start, data_sheets)  # another sheet than the one named may hold its samples
            if sheet is not None and name != sheet:
                current.start = None
            continue
        try:
            wanted = current.row(r, cells)
        except SheetnetError as e:
            raise e.located(file=path, sheet=name) from None
        if current.enough:
            stream.skip_sheet()
        elif not wanted:
            if current.start is not None and sheet is not None:
                raise SheetnetError(f"holds no network (no {LEARNING_RATE!r} label)", file=path, sheet=sheet)
            current = None
            stream.skip_sheet()
    done()
    if sheet is not None and sheet not in names:
        listed = ", ".join(map(repr, names))
        raise SheetnetError(f"no sheet named {sheet!r} (the workbook has {listed})", file=path)
    if not results:
        raise SheetnetError(f"no network found in any sheet (no {LEARNING_RATE!r} label)", file=path)
    return results, names
