"""The writers' chunked, threaded deflating and their %-compiled rows."""

import io
import math
import sys
import threading
import zipfile

import pytest

from sheetnet import formats, verify
from sheetnet.commands.output import Run, write
from sheetnet.errors import SheetnetError
from sheetnet.expression import Ref
from sheetnet.formats import _deflate, _zip
from sheetnet.formats._rowformat import RowCompiler, Value, compile_row
from sheetnet.layout import Layout, find_label_row
from sheetnet.math.template import random_problem

# Floats whose shortest text is short, long, subnormal, huge or signed zero: all must read back exactly.
HARD = [0.1, 1 / 3, 2 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0, -1.5e-7,
        0.30000000000000004, 123456789.12345679, 1e16, 9007199254740993.0]


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_compiled_rows_read_back_exactly(tmp_path, suffix):
    path = tmp_path / f"numbers{suffix}"
    formulas = [None, Ref(1, 0, relative=True) * 2, None, Ref(2, -1, relative=True) + Ref(3, 0, relative=True)]
    rows = [[HARD[(r + k) % len(HARD)] for k in range(4)] for r in range(len(HARD))]
    with formats.atomic(path) as f, formats.writer(path)(f) as w:
        w.sheet("S")
        for r, values in enumerate(rows, 1):
            w.row(r, values, formulas)
    sheet = formats.read(path).sheets[0]
    for r, values in enumerate(rows, 1):
        for k, v in enumerate(values, 1):
            back = sheet.value(r, k)
            assert back == v and str(back) == str(v)  # str tells -0.0 from 0.0
    assert sheet.cell(3, 4).formula == "B2+C3" and sheet.cell(3, 2).formula == "A3*2"


def test_compile_row_escapes_percent_and_fills_rows():
    row = compile_row(['<c f="A', 0, '*50%+{x}%s" p="', -1, '" q="', 2, '">', Value(1), "|", Value(0), "</c>"], 2)
    # Numbers with the fewest digits that read back exactly (repr's), row numbers as integers.
    assert row([0.1, 5e-324], 7) == '<c f="A7*50%+{x}%s" p="6" q="9">5e-324|0.1</c>'
    assert [float(repr(v)) for v in HARD] == HARD
    # The exponent as orjson writes it, which its versions spell 1e16 or 1e+16: either reads back.
    assert compile_row(["<v>", Value(0), "</v>"], 1)([1e16], 3) in ("<v>1e16</v>", "<v>1e+16</v>")
    assert compile_row(["<row/>"], 0)([], 3) == "<row/>"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_compiled_row_with_a_number_that_is_not_finite_is_written_as_python_writes_it(bad):
    # orjson writes these as null, which no reader takes for a number: the row falls back to the
    # uncompiled path, as it wrote them before.
    rows = RowCompiler(lambda values, formulas, styles, compiled: ["<v>", Value(0) if compiled else repr(values[0]),
                                                                   "</v>"])
    assert rows([0.5], None, 1) == "<v>0.5</v>"
    assert rows([bad], None, 2) == f"<v>{bad!r}</v>"


class _Failing(io.BytesIO):
    """A file that fails once more than a limit of bytes has been written to it."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit

    def write(self, data):
        if self.tell() + len(data) > self.limit:
            raise OSError(28, "No space left on device")
        return super().write(data)


def test_an_error_in_the_deflating_thread_reaches_the_writer():
    z = zipfile.ZipFile(_Failing(100_000), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    member = _deflate.Member(z, "content.xml")
    with pytest.raises(OSError, match="No space left"):
        for k in range(10_000_000):  # incompressible enough to fill the file within a few chunks
            member.write(f"{k * 7919 % 1000003:x}{k * 104729 % 999983:o}")
        member.close()
    member.abort()  # as the writers do on an exception
    assert not member.thread.is_alive()
    z.close()


def test_the_writing_thread_never_blocks_after_an_error():
    z = zipfile.ZipFile(_Failing(1000), "w", compression=zipfile.ZIP_STORED)
    member = _deflate.Member(z, "m")
    member.error = OSError("earlier failure")  # as the thread records one
    with pytest.raises(OSError, match="earlier failure"):
        member.write("x" * _deflate.CHUNK)  # raised on the next chunk, before queueing it
    with pytest.raises(OSError, match="earlier failure"):
        member.close()
    assert not member.thread.is_alive()
    z.close()


def test_members_deflated_by_isal_are_plain_deflate_that_zlib_inflates(tmp_path):
    text = "".join(f'<c v="{k / 7!r}"/>' for k in range(300_000))  # several chunks
    path = tmp_path / "p.zip"
    with _zip.Zip(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        member = _deflate.Member(z, "content.xml")
        member.write(text)
        member.close()
        z.writestr("small.xml", "<a/>")
    with zipfile.ZipFile(path) as z:  # the standard library's, inflating with zlib
        assert z.testzip() is None
        assert z.read("content.xml").decode() == text and z.read("small.xml") == b"<a/>"
        info = z.getinfo("content.xml")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < len(text) / 4
    with _zip.open_zip(path) as z, z.open("content.xml") as stream:
        assert type(stream._decompressor).__module__ != "zlib"  # ISA-L's, reading it back
        assert stream.read().decode() == text


def test_the_switch_interval_is_short_while_a_thread_deflates_and_restored_after():
    before = sys.getswitchinterval()
    z = zipfile.ZipFile(io.BytesIO(), "w", compression=zipfile.ZIP_DEFLATED)
    first = _deflate.Member(z, "a")
    assert sys.getswitchinterval() == min(before, _deflate.SWITCH_INTERVAL)
    first.close()
    assert sys.getswitchinterval() == before
    second = _deflate.Member(z, "b")
    second.abort()
    assert sys.getswitchinterval() == before
    z.close()


def test_abort_after_close_leaves_the_switch_interval_alone():
    # A writer's clean-up may abort a member it closed: the interval's count must not go below 0.
    before = sys.getswitchinterval()
    z = zipfile.ZipFile(io.BytesIO(), "w", compression=zipfile.ZIP_DEFLATED)
    member = _deflate.Member(z, "a")
    member.close()
    member.abort()
    assert sys.getswitchinterval() == before
    again = _deflate.Member(z, "b")
    assert sys.getswitchinterval() == min(before, _deflate.SWITCH_INTERVAL)
    again.close()
    assert sys.getswitchinterval() == before
    z.close()


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_a_failure_as_a_writer_finishes_is_raised_and_leaves_no_thread(tmp_path, suffix, monkeypatch):
    """The last text a writer writes fails (a deflating thread's full disk surfaces there): that
    error is raised, not zipfile's complaint about an open member; the thread ends, the switch
    interval is restored and no file is left."""
    path = tmp_path / f"out{suffix}"
    write = _deflate.Member.write

    def failing(self, text):
        if "</office:spreadsheet>" in text or "</worksheet>" in text:
            raise OSError(28, "No space left on device")
        write(self, text)

    monkeypatch.setattr(_deflate.Member, "write", failing)
    threads, before = threading.active_count(), sys.getswitchinterval()
    with pytest.raises(OSError, match="No space left on device"):
        with formats.atomic(path) as f, formats.writer(path)(f) as w:
            w.sheet("S")
            w.row(1, [0.5, None, 0.25])
    assert threading.active_count() == threads and sys.getswitchinterval() == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
@pytest.mark.parametrize("exception", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_write_leaves_no_file_and_no_thread(tmp_path, suffix, exception):
    path = tmp_path / f"out{suffix}"
    threads = threading.active_count()
    with pytest.raises(exception):
        with formats.atomic(path) as f, formats.writer(path)(f) as w:
            w.sheet("S")
            for r in range(1, 20_000):  # several chunks: the thread is busy when the error comes
                w.row(r, [r * 0.1, None, r / 3], [None, None, Ref(1, 0, relative=True) / 3])
            raise exception()
    assert list(tmp_path.iterdir()) == []
    assert threading.active_count() == threads


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A workbook of each format with a network sheet, its check sheet and its summary sheet."""
    folder = tmp_path_factory.mktemp("trained")
    paths = {}
    for suffix in (".ods", ".xlsx"):
        paths[suffix] = folder / f"net{suffix}"
        write(paths[suffix], [Run("Net", Layout((2, 2, 2)), random_problem((2, 2, 2), seed=5), 40)])
    return paths


def _networks_only(sheet):
    return find_label_row(sheet) is not None


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
@pytest.mark.parametrize("head", [10, formats.HEAD_ROWS])  # decided inside the long sheets, or at their ends
def test_read_leaves_out_the_sheets_keep_turns_down(trained, monkeypatch, suffix, head):
    monkeypatch.setattr(formats, "HEAD_ROWS", head)
    whole = formats.read(trained[suffix])
    assert [s.name for s in whole.sheets] == ["Net", "Net summary", "Net check"]
    seen = []
    chosen = formats.read(trained[suffix], lambda s: seen.append((s.name, max(s.rows, default=0))) or _networks_only(s))
    assert [s.name for s in chosen.sheets] == ["Net"]
    assert chosen.names == whole.names == ["Net", "Net summary", "Net check"]  # the left-out ones by name
    assert chosen.sheets[0].rows == whole.sheets[0].rows
    assert [name for name, _ in seen] == ["Net", "Net summary", "Net check"]
    assert all(rows <= head for _, rows in seen)
    assert formats.read(trained[suffix], lambda s: True).sheets[1].rows == whole.sheets[1].rows


@pytest.mark.parametrize("kind", ["original", "ods", "xlsx", "xls"])
def test_read_keeps_the_network_of_the_original_and_its_exports(original, original_exports, kind):
    path = original if kind == "original" else original_exports[kind]
    whole = formats.read(path)
    chosen = formats.read(path, _networks_only)
    assert [s.name for s in whole.sheets] == ["Sheet1", "Ark2"]
    assert [(s.name, s.rows) for s in chosen.sheets] == [(s.name, s.rows) for s in whole.sheets if _networks_only(s)]
    assert chosen.sheets[0].name == "Sheet1"
    assert chosen.names == whole.names == ["Sheet1", "Ark2"]


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_verify_reads_only_the_networks_and_still_names_a_missing_sheet(trained, suffix):
    [report] = verify.verify_file(trained[suffix])
    assert report.ok and report.sheet == "Net"
    with pytest.raises(SheetnetError, match="no sheet named 'Nett'.*'Net check'"):
        verify.verify_file(trained[suffix], "Nett")
    with pytest.raises(SheetnetError, match="sheet 'Net summary'.*holds no network"):
        verify.verify_file(trained[suffix], "Net summary")
