"""New sheets in a copy of the user's workbook, every part of which stays as it was.

sheetnet first writes the new sheets into a workbook of their own (the results, written by
this package's writers, in the source's format); :func:`merge` then writes a copy of the
user's workbook (the source) with the results' sheets added after its own. Every zip member
of the source is copied unchanged, except the few that list sheets and parts, into which the
new ones are spliced without changing a byte of what was there (ods_copy.py, xlsx_copy.py).

Both files are streamed, so memory does not grow with either. The returned notes say what of
the results could not be carried over; the caller shows them, so nothing is dropped silently.
"""

from __future__ import annotations

import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from . import ods_copy, xlsx_copy
from ._zip import Zip, open_zip


@contextmanager
def into_copy(out, source, notes: list, folder=None):
    """A binary file to write the new sheets' workbook to, whose sheets, on leaving, go into a
    copy of the workbook at source written to out (notes gets merge's notes); with source
    None, out itself. folder: where the new sheets' workbook waits, best out's own."""
    if source is None:
        yield out
        return
    # On out's disk rather than in a /tmp that may be memory; unnamed, so that even kill -9
    # leaves nothing behind.
    with tempfile.TemporaryFile(dir=folder) as results:
        yield results
        results.seek(0)
        notes += merge(source, results, out)


def merge(source, results, out) -> list:
    """Write to the binary file out a copy of the workbook at source with the sheets of the
    workbook results (a path or file of the same format) added; return notes for the user."""
    notes = []
    with open_zip(source) as src, open_zip(results) as res, \
            Zip(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        {".ods": ods_copy.merge, ".xlsx": xlsx_copy.merge}[Path(source).suffix.lower()](src, res, dst, notes)
    return notes
