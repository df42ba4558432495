"""How a network sheet looks: the original's coloured boxes, widths, frozen headers, a usage note.

The positions come from the :class:`~sheetnet.layout.Layout`; the style names are those of
:mod:`sheetnet.formats.styles`, which each workbook format renders its own way. Only the
header rows and the first data row carry styles: the rows after it are written by the
writers' compiled fast path, which has none.
"""

from __future__ import annotations

from ..grid import address
from . import Kind, Layout
from .batch import BatchLayout

LABEL_WIDTH = 13  # 'Learning rate'
GAP_WIDTH = 2  # the empty column between the learning rate and the inputs
NUMBER_WIDTH = 10  # General shows 7 significant digits or 1.2345E-05 in it


def sheet(layout: Layout) -> dict:
    """The keyword arguments of Writer.sheet for a network sheet: widths and frozen headers."""
    widths = [GAP_WIDTH] * (layout.first_col - 1) + [NUMBER_WIDTH] * (layout.last_col - layout.first_col + 1)
    widths[layout.lr_col - 1] = LABEL_WIDTH
    # The captions, labels and learning rate stay in view while the rows and columns scroll.
    return {"widths": widths, "freeze": address(layout.first_row, layout.first_col)}


def header_styles(layout: Layout, r: int, values: list) -> list:
    """The style names of header row r: the note in row 1, captions, then labels."""
    style = "note" if r < layout.caption_row else "label" if r == layout.label_row else "caption"
    return [style if v is not None else None for v in values]


def first_row_styles(layout: Layout) -> list:
    """The style names of the first data row: the boxes a reader changes."""
    styles = [None] * (layout.first_col - 1) + [c.kind.style for c in layout.columns]
    styles[layout.lr_col - 1] = "rate"
    return styles


def usage(layout: Layout, summary: str | None) -> str:
    """The note's second line: which cells to change, and where the charts are."""
    def box(kind):
        cells = [f"{c.letter}{layout.first_row}" for c in layout.columns if c.kind == kind]
        return f"{cells[0]}:{cells[-1]}"

    if isinstance(layout, BatchLayout):  # its samples are the data sheet's
        text = (f"Change the samples on sheet '{layout.data.name}', the starting weights in the lavender boxes or "
                f"the learning rate ({layout.lr_address}): every row below follows. Each row is one epoch: every "
                "sample's pass, then one update by the mean of their change matrices.")
    elif layout.online:
        text = (f"Each row trains on the sample its column {layout.at(Kind.SAMPLE, 0).letter} names, its inputs and "
                f"targets referring to sheet '{layout.data.name}': change the samples there, the starting weights in "
                f"the lavender boxes or the learning rate ({layout.lr_address}): every row below follows.")
    else:
        text = (f"Change the inputs in the yellow box ({box(Kind.INPUT)}), the targets in the green box "
                f"({box(Kind.TARGET)}), "
                f"the starting weights in the lavender boxes or the learning rate ({layout.lr_address}): "
                "every row below follows.")
    if summary:
        text += f" Weights, outputs and cost charts: sheet '{summary}'."
    return text


def cost_range(layout: Layout, rows: int, kind: Kind = Kind.COST) -> str:
    """The cost column (or the epoch cost's) of the data rows, e.g. 'AA8:AA1002'."""
    letter = layout.at(kind, layout.L).letter
    return f"{letter}{layout.first_row}:{letter}{layout.first_row + rows - 1}"
