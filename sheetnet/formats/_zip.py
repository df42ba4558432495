"""The zip packages of .ods and .xlsx: opened with limits a hostile file cannot get past, and
deflated and inflated by ISA-L."""

from __future__ import annotations

import zipfile
import zlib

from isal import isal_zlib

from ..errors import SheetnetError

# What a broken deflate stream raises, whichever library inflates it.
ERRORS = (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, zlib.error, isal_zlib.error)
LEVEL = 1  # ISA-L's levels run 0-3; its 1 deflates spreadsheet XML smaller than zlib's 1, 4 times faster


class Zip(zipfile.ZipFile):
    """A ZipFile whose deflated members are deflated and inflated by ISA-L (the isal package):
    on a sheet of 100,000 rows of numbers 4 times faster than zlib to deflate and twice as fast
    to inflate, the same raw deflate streams. zipfile has no hook for another library, so a
    member's stream gets ISA-L's object in place of zlib's as it opens; were zipfile's private
    names to change, the member would keep zlib's, and only the speed would be lost."""

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode == "w":
            method = getattr(getattr(stream, "_zinfo", None), "compress_type", None)
            if method == zipfile.ZIP_DEFLATED and hasattr(stream, "_compressor"):
                stream._compressor = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, -15)
        elif getattr(stream, "_compress_type", None) == zipfile.ZIP_DEFLATED and hasattr(stream, "_decompressor"):
            stream._decompressor = isal_zlib.decompressobj(-15)
        return stream

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
    z = Zip(path)
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
