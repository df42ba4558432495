"""Verify a workbook: do its numbers and formulas follow from the first row by the note's backpropagation?

Two checks, cell by cell, for every network the workbook holds:

- **Numbers.** The network is recomputed from its first data row (:mod:`sheetnet.network`) and
  every cached value of the sheet is compared with the recomputation; and every cell is
  compared with what the Layout's formula for it gives on the sheet's own numbers, so that a
  wrong number is caught where it first appears, not only downstream.
- **Formulas.** Every formula is compared with the Layout's formula for its cell: the cells it
  refers to, and what it computes from them (on the sheet's numbers and on random numbers), so
  that a wrong formula is reported even where its value happens to be right.

A file whose formulas carry no cached values (saved by a program that does not calculate) has
them computed here, row by row from the first, by the formula evaluator: its verdict is as
complete as a calculated file's.

The sheet streams through in chunks of rows, a few rows kept on either side of each for the
formulas that refer to neighbouring rows, so that memory does not grow with the rows; the
recomputation runs forward beside it.

Modules: :mod:`.stream` takes the rows in and drives the check; :mod:`.sheet` holds the rows of
a chunk as arrays; :mod:`.recompute` is the recomputation; :mod:`.compare` the value comparison
and what fails; :mod:`.formulas` the formula comparison; :mod:`.report` what is found.
"""

from .report import ATOL, RTOL, Fault, Report, Tolerance, deviation, document, text
from .stream import verify_book, verify_file, verify_sheet

CHUNK = 8192  # data rows checked at a time (read when a check starts a chunk)
CELLS = 1 << 24  # cells of a chunk at most, fewer rows in a wider sheet: its arrays take some 160 MB

__all__ = ["ATOL", "CHUNK", "RTOL", "Fault", "Report", "Tolerance", "deviation", "document", "text",
           "verify_book", "verify_file", "verify_sheet"]
