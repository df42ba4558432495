"""Opening the zip packages of .ods and .xlsx with limits a hostile file cannot get past."""

from __future__ import annotations

import zipfile

from ..errors import SheetnetError

MAX_MEMBERS = 50_000  # a workbook of 10,000 sheets and their parts; LibreOffice writes about 25
# Spreadsheet XML deflates 5 to 25 times (the original's content.xml 13 times, sheetnet's
# 100,000-iteration workbooks 6 to 21 times); a zip bomb about 1,000 times. A large part that
# claims more than MAX_RATIO is refused before a byte of it is inflated.
MAX_RATIO = 200
RATIO_FROM = 64 << 20  # small parts may compress as well as they like
MAX_MEMBER_SIZE = 16 << 30  # 1,048,576 rows of sheetnet's 2-2-2 network hold about 6 GB of XML
MAX_TOTAL_SIZE = 32 << 30
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}  # what office suites write


def open_zip(path) -> zipfile.ZipFile:
    """The zip at path, refused before anything is inflated when its members are encrypted,
    compressed in a way office suites do not use, too many, or declared to inflate too far.

    Python's zipfile never inflates a member beyond its declared size (a member that tries
    fails its CRC check), so checking the declared sizes bounds the actual ones.
    """
    z = zipfile.ZipFile(path)
    try:
        check(z)
    except BaseException:
        z.close()
        raise
    return z


def check(z: zipfile.ZipFile) -> None:
    """Raise SheetnetError when z holds something sheetnet will not inflate."""
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SheetnetError(f"the zip holds {len(infos):,} parts (at most {MAX_MEMBERS:,} allowed)")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise SheetnetError(f"part {info.filename} is encrypted; save the workbook without a password")
        if info.compress_type not in _METHODS:
            raise SheetnetError(f"part {info.filename} uses zip compression method {info.compress_type}, "
                                "which office files do not use")
        if info.file_size > MAX_MEMBER_SIZE:
            raise SheetnetError(f"part {info.filename} would inflate to {info.file_size:,} bytes "
                                f"(at most {MAX_MEMBER_SIZE:,} allowed)")
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SheetnetError(f"part {info.filename} would inflate {info.file_size // max(info.compress_size, 1):,} "
                                f"times, to {info.file_size:,} bytes: a zip bomb")
        total += info.file_size
    if total > MAX_TOTAL_SIZE:
        raise SheetnetError(f"the zip would inflate to {total:,} bytes (at most {MAX_TOTAL_SIZE:,} allowed)")
