"""Comma-separated values (.csv): one network's data rows as numbers, under a header line.

The header line is the row of labels; captions, formulas and other sheets have no place in CSV.
"""

from __future__ import annotations

import csv
import io

from ..errors import SheetnetError


class Writer:
    """Keeps the last header row it is given and writes it as the header line above the numbers."""

    def __init__(self, file):
        self.file = file
        self.sheets = 0
        self.header = None
        self.columns = None

    def __enter__(self):
        self.text = io.TextIOWrapper(self.file, encoding="utf-8", newline="")
        self.csv = csv.writer(self.text)
        return self

    def sheet(self, name: str, **look) -> None:
        """Start the one sheet; its look (charts, widths, frozen panes) has no place in CSV."""
        self.sheets += 1
        if self.sheets > 1:
            raise SheetnetError("a .csv file holds one network; choose one with --sheet")

    def row(self, r: int, values: list, formulas: list | None = None, styles: list | None = None) -> None:
        if any(isinstance(v, str) for v in values):
            self.header = values  # captions come first; the labels are the last header row
            return
        if self.columns is None:
            self.columns = [k for k, v in enumerate(self.header or values) if v is not None]
            self.csv.writerow([self.header[k] for k in self.columns] if self.header else [])
        self.csv.writerow(["" if values[k] is None else repr(values[k]) for k in self.columns if k < len(values)])

    def __exit__(self, kind, *_):
        self.text.flush()
        self.text.detach()
