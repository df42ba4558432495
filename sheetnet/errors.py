"""The one error type users see: a message that says which file, sheet and cell."""

from __future__ import annotations


class SheetnetError(Exception):
    """Bad input or an impossible request; the CLI prints it as one line and exits 2."""

    def __init__(self, message: str, *, file=None, sheet: str | None = None, cell: str | None = None,
                 at: str | None = None):
        """at: a place in a file that is not a sheet's cell ('line 2, column 1' of a .csv file)."""
        super().__init__(message)
        self.message, self.file, self.sheet, self.cell, self.at = message, file, sheet, cell, at

    def located(self, *, file=None, sheet=None, cell=None) -> "SheetnetError":
        """Fill in whatever part of the location is not known yet; returns self."""
        self.file = self.file or file
        self.sheet = self.sheet or sheet
        self.cell = self.cell or cell
        return self

    def __str__(self) -> str:
        where = [str(self.file)] if self.file else []
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.cell:
            where.append(f"cell {self.cell}")
        if self.at:
            where.append(self.at)
        return ", ".join(where) + (": " if where else "") + self.message
