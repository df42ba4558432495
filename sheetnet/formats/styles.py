"""What a workbook looks like, in neutral terms that each workbook format renders its own way.

A writer's ``row(r, values, formulas, styles)`` takes style names from :data:`STYLES`, and its
``sheet(name, charts=..., widths=..., freeze=..., fit_page=...)`` takes :class:`Chart` specs,
column widths in characters and the first scrolling cell. The writers know nothing of
networks: which cell gets which style, and which range a chart draws, is the caller's choice.
Everything a writer adds for this is name-spaced (styles ``sn-...``, charts ``sheetnet Chart N``)
so that it can be spliced into another workbook without colliding with the names there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..grid import column_letters, parse_address

PREFIX = "sn-"  # style names in the files: sn-input, sn-weight, ...
CHART_NAME = "sheetnet Chart {n}"  # chart objects, numbered through the workbook


@dataclass(frozen=True)
class Style:
    """A cell style: background, a box of one colour, font and number format."""

    fill: str | None = None  # background colour, '#rrggbb'
    border: str | None = None  # colour of a thin box around the cell
    bold: bool = False
    italic: bool = False
    size: float | None = None  # font size in points (None: the default)
    number: str | None = None  # None (General) or 'scientific' (4 decimals: 1.2345E-05)
    center: bool = False


# The original's colours: yellow input box, green target box, lavender weights, green
# learning rate, salmon activations (Simple_Neural_Net.ods, Sheet1 row 8).
STYLES = {
    "note": Style(italic=True, size=12),
    "title": Style(bold=True, size=14),
    "caption": Style(bold=True),
    "label": Style(bold=True, center=True),
    "rate": Style(fill="#add58a", border="#72bf44"),
    "input": Style(fill="#fffbcc", border="#fff200"),
    "weight": Style(fill="#dfcce4", border="#a3238e"),
    "target": Style(fill="#add58a", border="#72bf44"),
    "output": Style(fill="#f68e76", border="#e0613f"),
    "scientific": Style(number="scientific"),
}

# LibreOffice's chart colours, one per series in turn.
PALETTE = ("#004586", "#ff420e", "#ffd320", "#579d1c", "#7e0021", "#83caff", "#314004", "#aecf00", "#4b1f6f",
           "#ff950e", "#c5000b", "#0084d1")


def colour(k: int) -> str:
    """The colour of a chart's k-th series."""
    return PALETTE[k % len(PALETTE)]


MIN_WIDTH, MAX_WIDTH = 2, 60  # column widths, in characters of the default font


def width(chars: float) -> int:
    """A column width in whole characters, within the range every writer supports."""
    return max(MIN_WIDTH, min(MAX_WIDTH, round(chars)))


@dataclass(frozen=True)
class Series:
    """One line of a chart: a column of numbers against their position (1, 2, 3, ...)."""

    sheet: str  # the sheet that holds the numbers
    values: str  # their range in A1 form, one column: 'AA8:AA1002'
    name: str = ""  # the line's name in the legend ('' for a chart of one unnamed line)
    # (sheet, cell) of a cell holding the name, which the legend follows: needed with a name, as an
    # .ods chart takes a series' name from a cell only (ODF 1.2 has no literal series name)
    name_at: tuple[str, str] | None = None

    def __post_init__(self):
        if self.name and self.name_at is None:
            raise ValueError(f"the series {self.name!r} needs the cell that holds its name (name_at)")

    @property
    def cells(self) -> tuple[int, int, int]:
        """(column, first row, last row) of the values."""
        first, last = self.values.split(":")
        (r0, c0), (r1, c1) = parse_address(first), parse_address(last)
        if c0 != c1 or r1 < r0:
            raise ValueError(f"a chart's values are one column, top to bottom, not {self.values!r}")
        return c0, r0, r1

    def absolute(self) -> str:
        """The values as '$AA$8:$AA$1002'."""
        col, r0, r1 = self.cells
        letters = column_letters(col)
        return f"${letters}${r0}:${letters}${r1}"


@dataclass(frozen=True)
class Chart:
    """A line chart of one or more series; a legend names them when they have names."""

    title: str
    series: tuple[Series, ...]
    anchor: str  # the cell of the chart's top left corner, on the sheet that shows it
    x_title: str = ""
    y_title: str = ""
    log: bool = False  # a logarithmic value axis
    bounds: tuple[float, float] | None = None  # the value axis' minimum and maximum (None: automatic)
    width: float = 160.0  # millimetres
    height: float = 90.0

    @property
    def legend(self) -> bool:
        return any(s.name for s in self.series)
