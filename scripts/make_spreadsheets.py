"""Generate spreadsheets/Simple_Neural_Net.ods with sheetnet's own code.

The workbook is the twin of the original Simple_Neural_Net.ods: Sheet1's 2-2-2 network over
995 iterations and Ark2's 1-1-1 network over 193, in the original's layout (Ark2's header one
row lower) and with the original's formulas. Ark2's own update formulas are faulty in the
original (LAYOUT.md); here every row follows the note, so its numbers differ from the
original's from row 9 on.

    python scripts/make_spreadsheets.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from sheetnet.commands.output import Run, write
from sheetnet.layout import Layout
from sheetnet.math.template import ORIGINAL_1_1_1, ORIGINAL_2_2_2

NOTE = ("Change the input values in the yellow box (C8:D8) or the target values in the green box (Y8:Z8). "
        "The starting weights in the lavender boxes are random. Go to the bottom to see the output match "
        "the target.")

RUNS = [
    Run("Sheet1", Layout((2, 2, 2), changes=False), ORIGINAL_2_2_2, 995, note=NOTE),
    Run("Ark2", Layout((1, 1, 1), changes=False, caption_row=5, role_row=6, label_row=7), ORIGINAL_1_1_1, 193),
]


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "spreadsheets" / "Simple_Neural_Net.ods"
    write(out, RUNS)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
