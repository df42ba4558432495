"""New sheets in a copy of the user's workbook, every part of which stays as it was.

The new sheets are written by this package's writers, in the source's format, into a copy of
the user's workbook (the source), after its own sheets. Every zip member of the source is
copied unchanged, except the few that list sheets and parts, into which the new ones are
spliced without changing a byte of what was there (ods_copy.py, xlsx_copy.py). An .ods writer
writes its tables straight into the copy's content.xml (ods_copy.Copy); an .xlsx writer writes
a workbook of its own first, whose sheets, each a part of its own, :func:`merge` then adds.

Every file is streamed, so memory does not grow with any. The notes say what of the new sheets
could not be carried over; the caller shows them, so nothing is dropped silently.
"""

from __future__ import annotations

import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from . import errors_of, ods_copy, xlsx_copy
from ._zip import Zip, open_zip


@contextmanager
def into_copy(out, source, notes: list, folder=None):
    """What a writer of source's format writes the new sheets to, so that they go into a copy of
    the workbook at source written to the binary file out (notes gets what could not); with
    source None, out itself. folder: where an .xlsx's new sheets wait, best out's own."""
    if source is None:
        yield out
        return
    if Path(source).suffix.lower() == ".ods":
        yield ods_copy.Copy(source, out, notes)  # the writer ends it
        return
    # On out's disk rather than in a /tmp that may be memory; unnamed, so that even kill -9
    # leaves nothing behind.
    with tempfile.TemporaryFile(dir=folder) as results:
        yield results
        results.seek(0)
        notes += merge(source, results, out)


def merge(source, results, out) -> list:
    """Write to the binary file out a copy of the .xlsx workbook at source with the sheets of the
    workbook results (a path or file) added; return notes for the user."""
    notes = []
    # What goes wrong is the source's: the results are this package's writer's own.
    with errors_of(source, ".xlsx", reading=False), open_zip(source) as src, open_zip(results) as res, \
            Zip(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        xlsx_copy.merge(src, res, dst, notes)
    return notes
