"""Generate the bundled workbooks, spreadsheets/Simple_Neural_Net.ods and spreadsheets/XOR.ods, with
sheetnet's own code.

The workbook is the twin of the original Simple_Neural_Net.ods: Sheet1's 2-2-2 network over
995 iterations and Ark2's 1-1-1 network over 193, in the original's layout (Ark2's header one
row lower) and with the original's formulas. Ark2's own update formulas are faulty in the
original (LAYOUT.md); here every row follows the note, so its numbers differ from the
original's from row 9 on.

XOR.ods is a 2-2-1 network learning XOR online, one sample per row in turn from its data sheet,
over 2,000 iterations (500 epochs) at γ = 2: seed 1's weights, among the first few seeds that
learn it (others end in a local minimum with one output near 0.5); every output ends within 0.1
of its target.

    python scripts/make_spreadsheets.py [FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import sheetnet
from sheetnet.commands.output import Run, write
from sheetnet.layout import Layout
from sheetnet.math.data import XOR
from sheetnet.math.template import ORIGINAL_1_1_1, ORIGINAL_2_2_2

NOTE = ("Change the input values in the yellow box (C8:D8) or the target values in the green box (Y8:Z8). "
        "The starting weights in the lavender boxes are random. Go to the bottom to see the output match "
        "the target.")

RUNS = [
    Run("Sheet1", Layout((2, 2, 2), changes=False), ORIGINAL_2_2_2, 995, note=NOTE),
    Run("Ark2", Layout((1, 1, 1), changes=False, caption_row=5, role_row=6, label_row=7), ORIGINAL_1_1_1, 193),
]


XOR_NOTE = ("A 2-2-1 network learning XOR, one sample per row, in turn from sheet 'Data': change a sample there, "
            "the learning rate (A8) or a starting weight (row 8), and every row follows. The summary sheet shows "
            "the truth table the network has learnt.")
XOR_ITERATIONS, XOR_SEED, XOR_LEARNING_RATE = 2000, 1, 2.0


def xor() -> sheetnet.Network:
    """The network of XOR.ods, before training."""
    fresh = sheetnet.Network.fresh((2, 2, 1), XOR_SEED, data=XOR)
    return sheetnet.Network(fresh.W, lr=XOR_LEARNING_RATE, name="XOR", data=XOR)


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "spreadsheets"
    write(folder / "Simple_Neural_Net.ods", RUNS)
    sheetnet.write(folder / "XOR.ods", xor(), XOR_ITERATIONS, note=XOR_NOTE, progress=False)
    print(f"wrote {folder / 'Simple_Neural_Net.ods'} and {folder / 'XOR.ods'}")


if __name__ == "__main__":
    main(sys.argv[1:])
