"""How a network sheet numbers its iterations: from 1, or, a sheet that `train --resume` wrote,
from the first iteration its note in A1 names ("iterations 501 to 1,000, ..."). train, resume,
verify and the order of an online sheet's samples (iteration k takes sample order[(k − 1) mod m])
all take the number from here."""

from __future__ import annotations

import re

from ..grid import Sheet

# The end of the note train writes in A1 of a resumed sheet (see api._run): what follows the file
# and sheet names, which may hold any text, so matched from the end.
_RESUMED = re.compile(r": iterations ([0-9][0-9,]*) to [0-9][0-9,]*, [^:]*, from the weights after the update of "
                      r"iteration ([0-9][0-9,]*)(?:, on the data sheet's samples)?\.\Z")


def noted_first(note) -> int:
    """The first iteration a sheet holds, as the note of a resumed sheet says it; 1 for any other note."""
    found = _RESUMED.search(note) if isinstance(note, str) and len(note) < 10_000 else None
    if found is None:
        return 1
    first, before = (int(x.replace(",", "")) for x in found.groups())
    return first if first == before + 1 else 1


def first_iteration(sheet: Sheet) -> int:
    """The number of the iteration a network sheet's first data row shows (see noted_first)."""
    return noted_first(sheet.value(1, 1))
