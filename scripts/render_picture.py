"""Make docs/workbook.png and docs/xor.png: workbooks sheetnet writes, as LibreOffice renders them.

    python scripts/render_picture.py [--xor] [OUT.png]

Trains the original's 2-2-2 network for 300 iterations into a fresh .ods (with --xor: takes the
bundled spreadsheets/XOR.ods), has LibreOffice headless print it to PDF, and stacks the top of
the network sheet's first page (note, captions, the coloured first row) over the summary page
(matrices, the truth table of a dataset, and the cost charts). Needs
LibreOffice and poppler-utils (pdftoppm, pdftotext); no imaging library: the pages come out
of pdftoppm as PPM and go into the PNG with zlib.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from libreoffice import convert  # noqa: E402  (tests/libreoffice.py: LibreOffice headless)

from sheetnet.commands.output import Run, write  # noqa: E402
from sheetnet.layout import Layout  # noqa: E402
from sheetnet.math.template import ORIGINAL_2_2_2  # noqa: E402

DPI = 80
TOP_OF_FIRST_PAGE = 0.42  # the note, captions, labels and the first rows


def ppm(pdf: Path, page: int, folder: Path) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) of one page of pdf."""
    stem = folder / f"page{page}"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(stem)], check=True)
    data = stem.with_suffix(".ppm").read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert magic == b"P6" and depth == b"255", "pdftoppm should write 8-bit binary PPM"
    return int(width), int(height), pixels


def page_with(pdf: Path, text: str) -> int:
    """The number of the first page whose text holds text."""
    pages = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    for number, page in enumerate(pages.split("\f"), 1):
        if text in page:
            return number
    raise SystemExit(f"no page of {pdf} shows {text!r}")


def stack(images: list) -> tuple[int, int, bytes]:
    """Images one above the other, the narrower padded white on the right."""
    width = max(w for w, _, _ in images)
    rows = []
    for w, h, pixels in images:
        rows += [pixels[y * w * 3:(y + 1) * w * 3] + b"\xff" * 3 * (width - w) for y in range(h)]
    return width, len(rows), b"".join(rows)


def trim(width: int, height: int, pixels: bytes) -> tuple[int, int, bytes]:
    """The image without the white rows below its last mark, but for a margin."""
    line = width * 3
    last = max((y for y in range(height) if pixels[y * line:(y + 1) * line].strip(b"\xff")), default=0)
    height = min(height, last + DPI // 4)
    return width, height, pixels[:height * line]


def png(width: int, height: int, pixels: bytes) -> bytes:
    """An 8-bit RGB PNG."""
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data
                                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + pixels[y * width * 3:(y + 1) * width * 3] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


ORIGINAL_NOTE = "Trained by sheetnet: 300 iterations of the original's 2-2-2 network, one per row."


def main(argv: list[str]) -> None:
    xor = "--xor" in argv
    argv = [a for a in argv if a != "--xor"]
    out = Path(argv[0]) if argv else ROOT / "docs" / ("xor.png" if xor else "workbook.png")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        workbook = folder / "trained.ods"
        if xor:
            workbook.write_bytes((ROOT / "spreadsheets" / "XOR.ods").read_bytes())
        else:
            write(workbook, [Run("Sheet1", Layout((2, 2, 2)), ORIGINAL_2_2_2, 300, note=ORIGINAL_NOTE)])
        pdf = convert(workbook, folder, "pdf")
        # The network sheet's first page: the one of its note (a data sheet comes before it).
        w, h, first = ppm(pdf, page_with(pdf, "network learning XOR" if xor else ORIGINAL_NOTE[:30]), folder)
        top = int(h * TOP_OF_FIRST_PAGE)
        summary = trim(*ppm(pdf, page_with(pdf, "Summary of sheet"), folder))
        out.write_bytes(png(*stack([(w, top, first[:top * w * 3]), summary])))
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
