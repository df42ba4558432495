"""File formats: one module per format, each with the same small interface.

A reading module has ``read(path) -> Book``; a writing module has a ``Writer`` class used as
``with Writer(file) as w: w.sheet(name); w.row(r, values, formulas) ...`` where ``values``
and ``formulas`` run from column 1 (None: an empty cell, or no formula) and formulas are
trees of :mod:`sheetnet.expression`, which each writer renders in its own syntax.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import SheetnetError
from ..grid import Book, Sheet
from ._zip import ERRORS as ZIP_ERRORS

READABLE = (".ods", ".xlsx", ".xls")
WRITABLE = (".ods", ".xlsx", ".csv")
# The rows a sheet's first look covers (see read): a network's labels stand in its first rows.
HEAD_ROWS = 1000
# What any sheet may hold (LibreOffice's and Excel's limits; a file that declares more is hostile
# or broken), and a workbook.
MAX_ROWS = 1 << 20
MAX_COLS = 16384
MAX_SHEETS = 10_000


def _module(suffix: str):
    from . import csv, ods, xls, xlsx

    return {".ods": ods, ".xlsx": xlsx, ".xls": xls, ".csv": csv}[suffix]


def suffix_of(path, allowed) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise SheetnetError(f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(allowed)}",
                            file=path)
    return suffix


class Stream:
    """The sheets and rows of a workbook, read as they come, so that memory does not grow with them.

    Iterating gives events in document order: ``(index, name, 0, None)`` when sheet number
    index (from 0) starts, then ``(index, name, row, cells)`` for each of its rows that holds a
    cell, rows ascending from 1, cells a {column: Cell} mapping (a dict or a grid.Row).
    :meth:`skip_sheet` passes over the rest of the current sheet, its rows neither built nor checked.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.suffix = suffix_of(self.path, READABLE)
        if self.path.is_dir():
            raise SheetnetError("is a folder, not a workbook", file=self.path)
        if not self.path.exists():
            raise SheetnetError("no such file", file=self.path)
        if not self.path.is_file():  # a pipe or a device would be read forever, or block
            raise SheetnetError("is not a regular file", file=self.path)
        self.skip = None  # the number of the sheet whose rows are passed over: the format modules read it
        self.current = None

    def skip_sheet(self) -> None:
        """Pass over the rest of the sheet of the last event."""
        self.skip = self.current

    def __iter__(self):
        with errors_of(self.path, self.suffix):
            for events in _module(self.suffix).stream(self.path, self):
                for event in events:
                    if event[0] != self.skip:
                        self.current = event[0]
                        yield event


@contextmanager
def errors_of(path, suffix: str, reading: bool = True):
    """Turn what a broken file raises into a SheetnetError naming the file. reading False: the
    file's parts are being copied into another file, whose OSError (a full disk) is its own."""
    try:
        yield
    except SheetnetError as e:
        raise e.located(file=path) from None
    # NotImplementedError: zipfile, on a header asking for a zip feature it lacks.
    except (*ZIP_ERRORS, NotImplementedError) as e:
        raise SheetnetError(f"not a valid {suffix} file (broken zip: {e})", file=path) from None
    except LookupError as e:
        if not str(e).startswith("unknown encoding"):  # expat, on an XML declaration's encoding
            raise
        raise SheetnetError(f"not a valid {suffix} file (XML in an {e})", file=path) from None
    except OSError as e:
        if not reading:
            raise
        raise SheetnetError(f"cannot read: {e.strerror or e}", file=path) from None


def read(path, keep=None, head: bool = False, whole=None) -> Book:
    """Read every sheet of a workbook: cached values and formulas.

    keep: a function of a sheet holding (at least) its first HEAD_ROWS rows, true for a sheet
    to read whole; the others are left out of the Book (but named in its .names), their rows
    past those passed over. head: read only the first HEAD_ROWS rows of every sheet, but those of
    which whole (a function of the sheet's first HEAD_ROWS rows) is true (a data sheet), read whole.
    """
    stream = Stream(path)
    book = Book(str(path), [], [])
    sheet, looking, cut = None, False, head
    for _, name, r, cells in stream:
        if cells is None:
            if looking and not keep(sheet):
                book.sheets.pop()
            sheet, looking, cut = Sheet(name), keep is not None, head
            book.sheets.append(sheet)
            book.names.append(name)
            continue
        if r > HEAD_ROWS and (looking or cut):
            if looking:
                looking = False
                if not keep(sheet):
                    book.sheets.pop()
                    stream.skip_sheet()
                    continue
            if cut and (whole is None or not whole(sheet)):
                stream.skip_sheet()
                continue
            cut = False
        sheet.rows[r] = cells
    if looking and not keep(sheet):
        book.sheets.pop()
    return book


class DefinedNames:
    """The named cells and ranges of a workbook ('lr' for the learning rate's cell), as formulas
    read them, for the sheet named: NAME (upper case) -> the neutral text of the cell or range it
    names ('Sheet1!$A$8'). Read from the file when a formula first uses a name, so that a
    workbook without them costs nothing (an .ods keeps them after its sheets' rows)."""

    def __init__(self, path, sheet: str | None = None):
        self.path, self.sheet, self.table = path, sheet, None

    def get(self, name: str) -> str | None:
        if self.table is None:
            self.table = defined_names(self.path, self.sheet)
        return self.table.get(name.upper())


def defined_names(path, sheet: str | None = None) -> dict:
    """NAME -> neutral text of the workbook's names, those of the sheet named overriding the
    workbook's; {} for a format without names, or a file that cannot be read."""
    suffix = Path(path).suffix.lower()
    module = _module(suffix) if suffix in READABLE else None
    if module is None or not hasattr(module, "defined_names"):
        return {}
    try:
        with errors_of(path, suffix):
            return module.defined_names(path, sheet)
    except SheetnetError:
        return {}


def writer(path):
    """The Writer class for a path's extension."""
    return _module(suffix_of(path, WRITABLE)).Writer


@contextmanager
def atomic(path):
    """A binary file to write that appears at path only when complete.

    It is written in path's folder under a temporary name and moved into place at the end,
    so that an interrupted write leaves the old file or nothing, never half a file.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SheetnetError("the output folder does not exist", file=path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as e:
        raise SheetnetError(f"cannot write in the output folder: {e.strerror or e}", file=path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            # On disk before it takes path's name: a crash after the move must not find it empty.
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode(path))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _mode(path: Path) -> int:
    """The permissions of the file being replaced, or those a new file gets (umask applied)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
