"""Nothing lost: the user's workbook kept whole, writes that are complete or absent, and a clear
one-line answer to every bad or hostile file (issue 4)."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from types import SimpleNamespace

import corpus as C
import numpy as np
import pytest
from conftest import close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libreoffice import convert

from sheetnet import formats
from sheetnet.commands.output import Run, write
from sheetnet.errors import SheetnetError
from sheetnet.expression import Ref
from sheetnet.formats import _package, _xml, _zip, fastrows, ods, xlsx
from sheetnet.grid import Sheet, column_letters, fresh_name
from sheetnet.layout import Layout, networks
from sheetnet.math.network import Network, Problem, train

# -- running the command ------------------------------------------------------------------------


def fingerprint(path: Path) -> tuple:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def run(*args, cwd=None, memory: int | None = None, timeout: int = 300):
    """sheetnet with args, as a user runs it; every input file named must come out untouched.
    memory: a limit on the address space, in bytes."""
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    args = [str(a) for a in args]
    outputs = {args[k + 1] for k, a in enumerate(args[:-1]) if a == "-o"}
    inputs = [Path(cwd or ".", a) for a in args if a not in outputs and Path(cwd or ".", a).is_file()]
    before = [fingerprint(p) for p in inputs]
    limit = (lambda: resource.setrlimit(resource.RLIMIT_AS, (memory, memory))) if memory else None
    result = subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout, preexec_fn=limit)
    assert [fingerprint(p) for p in inputs] == before, "an input file was changed"
    return result


def ok(*args, cwd=None):
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def one_line_error(result, *fragments) -> None:
    """Exit 2 and one line on stderr holding every fragment, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("sheetnet: error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# -- comparing a copy with its original -------------------------------------------------------------


def _common(a: memoryview, b: memoryview) -> int:
    """The length of the common prefix of a and b."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def insertions(before: bytes, after: bytes) -> list:
    """The runs of bytes inserted into before to give after, or None when after is not before
    with only insertions (something was removed or changed)."""
    a, b = memoryview(before), memoryview(after)
    i = j = 0
    runs = []
    while True:
        k = _common(a[i:], b[j:])
        i, j = i + k, j + k
        if i == len(a):
            if j < len(b):
                runs.append(bytes(b[j:]))
            return runs
        probe = bytes(a[i:i + 256])
        resume = after.find(probe, j + 1)
        if resume < 0:
            return None
        runs.append(bytes(b[j:resume]))
        j = resume


def chart_ranges(z: zipfile.ZipFile) -> set:
    """The cell ranges every chart object of an .ods draws (its plot area's and its series')."""
    found = set()
    for name in z.namelist():
        if name.endswith("/content.xml") and name != "content.xml":
            text = z.read(name).decode()
            if "<chart:chart" in text:
                found |= set(re.findall(r'(?:table:cell-range-address|chart:values-cell-range-address)="([^"]+)"',
                                        text))
    return found


def cells(sheet) -> dict:
    return {(r, c): cell for r, row in sheet.rows.items() for c, cell in row.items()}


# -- results go into a copy of the user's workbook ---------------------------------------------------

N = 40  # iterations: enough to see training, few enough to stay quick


@pytest.fixture(scope="module")
def trained_ods(original, tmp_path_factory):
    out = tmp_path_factory.mktemp("kept") / "trained.ods"
    result = ok("train", original, "-n", N, "-o", out)
    return out, result


@pytest.fixture(scope="module")
def trained_xlsx(original_exports, tmp_path_factory):
    out = tmp_path_factory.mktemp("kept") / "trained.xlsx"
    result = ok("train", original_exports["xlsx"], "-n", N, "-o", out)
    return out, result


# The parts that list sheets, styles and parts: the new ones are added to them, nothing else.
ODS_LISTS = ("content.xml", "META-INF/manifest.xml", "styles.xml", "settings.xml")
XLSX_LISTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")


def test_ods_copy_keeps_every_part_of_the_original(original, trained_ods):
    out, result = trained_ods
    assert result.stderr == ""  # nothing left out
    with zipfile.ZipFile(original) as a, zipfile.ZipFile(out) as b:
        assert b.testzip() is None
        assert b.infolist()[0].filename == "mimetype" and b.infolist()[0].compress_type == zipfile.ZIP_STORED
        assert set(a.namelist()) <= set(b.namelist())
        for name in a.namelist():
            if name in ODS_LISTS:
                added = insertions(a.read(name), b.read(name))
                assert added is not None, f"{name}: not the original with the new sheets' entries inserted"
            else:
                assert a.read(name) == b.read(name), name
        # What content.xml gains: the new tables after the original's last one, their styles after its styles.
        added = insertions(a.read("content.xml"), b.read("content.xml"))
        assert len(added) == 2 and b"style:name=" in added[0] and b'table:name="Sheet1 trained"' in added[1]
        manifest = b.read("META-INF/manifest.xml").decode()
        for name in set(b.namelist()) - set(a.namelist()):
            assert f'manifest:full-path="{name}"' in manifest, name
        # The parts keep their order, but for those listing the new parts, which the new tables are
        # written before (straight into the copy's content.xml): they follow content.xml.
        late = ("settings.xml", "META-INF/manifest.xml")
        before = a.namelist()[:a.namelist().index("content.xml")]
        held = [n for n in before if n in late]
        assert held  # as LibreOffice saves a workbook
        expected = [n for n in before if n not in late] + ["content.xml", *held]
        expected += [n for n in a.namelist()[len(before) + 1:]]
        assert [n for n in b.namelist() if n in a.namelist()] == expected
        assert b.namelist()[:len(expected)] == expected  # the new parts last


def test_ods_copy_keeps_every_cell_of_the_original(original, trained_ods):
    mine, theirs = formats.read(trained_ods[0]), formats.read(original)
    assert [s.name for s in mine.sheets[:2]] == ["Sheet1", "Ark2"]
    for name in ("Sheet1", "Ark2"):
        assert cells(mine.sheet(name)) == cells(theirs.sheet(name)), name
    found = {s.name: (layout, problem) for s, layout, problem in networks(mine)}
    assert {"Sheet1", "Ark2", "Sheet1 trained", "Ark2 trained"} <= set(found)
    layout, problem = found["Sheet1 trained"]
    expected = list(train(found["Sheet1"][1], N))[-1]
    assert mine.sheet("Sheet1 trained").value(layout.first_row + N - 1, layout.at("cost", 2).col) == expected.C
    np.testing.assert_array_equal(problem.network.W[1], found["Sheet1"][1].network.W[1])


def test_libreoffice_opens_the_ods_copy(original, trained_ods, tmp_path):
    back = convert(trained_ods[0], tmp_path, "ods")  # recalculating every formula
    book, theirs, mine = formats.read(back), formats.read(original), formats.read(trained_ods[0])
    for name in ("Sheet1", "Ark2"):
        for (r, c), cell in cells(theirs.sheet(name)).items():
            if isinstance(cell.value, float):
                assert close(book.sheet(name).value(r, c), cell.value, 1e-9), (name, r, c)
    for name in ("Sheet1 trained", "Ark2 trained"):
        sheet, layout = mine.sheet(name), Layout((2, 2, 2) if name.startswith("Sheet1") else (1, 1, 1))
        cost = layout.at("cost", layout.L).col
        for r in range(layout.first_row, layout.first_row + N):
            assert close(book.sheet(name).value(r, cost), sheet.value(r, cost), 1e-9), (name, r)
    # The original's charts are there, drawing what they drew.
    with zipfile.ZipFile(original) as a, zipfile.ZipFile(back) as b:
        assert chart_ranges(a) and chart_ranges(a) <= chart_ranges(b)


def test_xlsx_copy_keeps_every_part_of_the_original(original_exports, trained_xlsx):
    source, (out, result) = original_exports["xlsx"], trained_xlsx
    assert result.stderr == ""
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(out) as b:
        assert b.testzip() is None and set(a.namelist()) <= set(b.namelist())
        for name in a.namelist():
            if name in XLSX_LISTS:
                assert insertions(a.read(name), b.read(name)), name
            elif name == "xl/styles.xml":
                assert_styles_appended(a.read(name), b.read(name))
            else:
                assert a.read(name) == b.read(name), name
        types = b.read("[Content_Types].xml").decode()
        for name in set(b.namelist()) - set(a.namelist()):
            if not name.endswith(".rels"):
                assert f'PartName="/{name}"' in types, name


def assert_styles_appended(before: bytes, after: bytes) -> None:
    """Every list of formats in after begins with the one in before; everything else is equal."""
    a, b = ET.fromstring(before), ET.fromstring(after)
    assert [e.tag for e in a] == [e.tag for e in b]
    for x, y in zip(a, b):
        xs, ys = [ET.tostring(e) for e in x], [ET.tostring(e) for e in y]
        assert ys[:len(xs)] == xs, x.tag
        assert {k: v for k, v in x.attrib.items() if k != "count"} == {k: v for k, v in y.attrib.items() if k != "count"}
        if "count" in y.attrib:
            assert int(y.attrib["count"]) == len(ys), y.tag


def test_xlsx_copy_keeps_every_cell_and_opens_in_libreoffice(original_exports, trained_xlsx, tmp_path):
    source, out = original_exports["xlsx"], trained_xlsx[0]
    mine, theirs = formats.read(out), formats.read(source)
    assert [s.name for s in mine.sheets[:4]] == ["Sheet1", "Ark2", "Sheet1 trained", "Sheet1 trained summary"]
    for name in ("Sheet1", "Ark2"):
        assert cells(mine.sheet(name)) == cells(theirs.sheet(name)), name
    back = formats.read(convert(out, tmp_path, "ods"))
    assert [s.name for s in back.sheets] == [s.name for s in mine.sheets]
    layout = Layout((2, 2, 2))
    for r in range(layout.first_row, layout.first_row + N):
        for c in (layout.at("cost", 2).col, layout.at("weight", 1, 1, 2).col):
            assert close(back.sheet("Sheet1 trained").value(r, c), mine.sheet("Sheet1 trained").value(r, c), 1e-9)
    for (r, c), cell in cells(theirs.sheet("Sheet1")).items():
        if isinstance(cell.value, float):
            assert close(back.sheet("Sheet1").value(r, c), cell.value, 1e-9), (r, c)


def test_xlsx_copy_keeps_the_new_sheets_look(original_exports, trained_xlsx, tmp_path):
    """The new sheets' cell formats, appended to the workbook's own, still say what they said
    (compared with the same sheets written alone)."""
    import openpyxl

    alone = tmp_path / "alone.xlsx"
    ok("train", original_exports["xlsx"], "-n", N, "-o", alone, "--results-only")
    merged, theirs = openpyxl.load_workbook(trained_xlsx[0]), openpyxl.load_workbook(alone)
    look = lambda c: (c.number_format, c.fill.fill_type, c.fill.fgColor.rgb, c.font.b, c.font.i, c.font.sz,
                      c.border.bottom.style, c.alignment.horizontal or "general", c.alignment.wrap_text or False)
    styled = 0
    for name in theirs.sheetnames:
        mine = merged[f"{name} trained" if " " not in name else name.replace(" ", " trained ", 1)]
        for row in theirs[name].iter_rows(min_row=1, max_row=12):
            for cell in row:  # cells in the default format take the workbook's default font
                if cell.has_style:
                    assert look(mine[cell.coordinate]) == look(cell), (name, cell.coordinate)
                    styled += 1
    assert styled > 20


def test_training_a_trained_workbook_again_renames_what_collides(trained_ods, tmp_path):
    """The second run's sheets, styles and charts meet names the first run took."""
    first = trained_ods[0]
    out = tmp_path / "again.ods"
    ok("train", first, "--sheet", "Sheet1 trained", "-n", 5, "-o", out)
    before, after = formats.read(first), formats.read(out)
    assert [s.name for s in after.sheets[:len(before.sheets)]] == [s.name for s in before.sheets]
    for sheet in before.sheets:
        assert cells(after.sheet(sheet.name)) == cells(sheet), sheet.name
    assert "Sheet1 trained trained" in [s.name for s in after.sheets]
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(out) as b:
        for name in a.namelist():
            if name not in ODS_LISTS:
                assert a.read(name) == b.read(name), name
        assert len(chart_ranges(b)) > len(chart_ranges(a))
        content = b.read("content.xml")
        automatic = content[content.index(b"<office:automatic-styles>"):content.index(b"</office:automatic-styles>")]
        styles = re.findall(rb'style:name="([^"]+)"', automatic)
        assert len(styles) == len(set(styles))  # no style name twice
    back = formats.read(convert(out, tmp_path / "lo", "ods"))
    assert [s.name for s in back.sheets] == [s.name for s in after.sheets]


def _foreign_ods(path: Path) -> Path:
    """A workbook as another program might write it: other namespace prefixes, no styles or settings."""
    content = C.ods_content({"Sheet1": C.network()[0]})
    for prefix, short in (("office", "o"), ("table", "t"), ("text", "x")):
        content = re.sub(rf"(</?| ){prefix}:", lambda m: m.group(1) + short + ":", content)
        content = content.replace(f"xmlns:{prefix}=", f"xmlns:{short}=")
    return C.ods(path, content=content)


def _openpyxl_xlsx(path: Path) -> Path:
    """A workbook openpyxl writes: styles, a chart, a defined name, a second sheet with a formula."""
    import openpyxl
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Net"
    for (r, c), v in C.network()[0].items():
        ws.cell(r, c, v)
    ws["C8"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["A6"].font = Font(bold=True)
    notes = wb.create_sheet("Notes")
    notes["A2"] = "=SUM(1,2)"
    for i in range(1, 11):
        notes.cell(i, 2, i * i)
    chart = LineChart()
    chart.add_data(Reference(notes, min_col=2, min_row=1, max_row=10))
    notes.add_chart(chart, "D2")
    wb.defined_names["squares"] = DefinedName("squares", attr_text="Notes!$B$1:$B$10")
    wb.save(path)
    return path


def test_a_workbook_from_another_program_keeps_everything(tmp_path):
    for source in (_foreign_ods(tmp_path / "foreign.ods"), _openpyxl_xlsx(tmp_path / "openpyxl.xlsx")):
        out = tmp_path / f"trained{source.suffix}"
        assert ok("train", source, "-n", 10, "-o", out).stderr == ""
        before, after = formats.read(source), formats.read(out)
        for sheet in before.sheets:
            assert cells(after.sheet(sheet.name)) == cells(sheet), sheet.name
        names = [s.name for s in after.sheets]
        back = formats.read(convert(out, tmp_path / f"lo{source.suffix}", "ods"))
        assert [s.name for s in back.sheets] == names
        trained = names[len(before.sheets)]
        layout = Layout((2, 2, 2))
        for r in range(layout.first_row, layout.first_row + 10):
            c = layout.at("cost", 2).col
            assert close(back.sheet(trained).value(r, c), after.sheet(trained).value(r, c), 1e-9), (source, r)
    import openpyxl

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == names and wb.defined_names["squares"].attr_text == "Notes!$B$1:$B$10"
    assert len(wb["Notes"]._charts) == 1 and wb["Net"]["C8"].fill.fgColor.rgb == "00FFFF00" and wb["Net"]["A6"].font.b


def test_results_only_writes_just_the_new_sheets(original, tmp_path):
    out = tmp_path / "new.ods"
    ok("train", original, "-n", 5, "--results-only", "-o", out)
    book = formats.read(out)
    assert [s.name for s, *_ in networks(book)] == ["Sheet1", "Ark2"]
    with zipfile.ZipFile(out) as z:
        assert not any(n.startswith("Object 1") for n in z.namelist())


@pytest.mark.parametrize("kind, out, args, said", [
    ("ods", "x.xlsx", [], "are not copied into x.xlsx: sheetnet copies a workbook only into its own format"),
    ("ods", "x.csv", ["--sheet", "Ark2"], "are not copied into x.csv: a .csv file holds only the trained numbers"),
    ("xls", "x.xlsx", [], "are not copied into x.xlsx: sheetnet cannot write .xls"),
])
def test_another_format_says_what_it_leaves_out(original_exports, tmp_path, kind, out, args, said):
    result = ok("train", original_exports[kind], "-n", 5, "-o", tmp_path / out, *args)
    assert result.stderr.count("\n") == 1 and "note:" in result.stderr and said in result.stderr
    assert "own sheets (Sheet1, Ark2)" in result.stderr
    assert ok("train", original_exports[kind], "-n", 5, "-o", tmp_path / out, *args, "--force",
              "--results-only").stderr == ""


def test_fresh_names_are_free_and_fit_excel():
    assert fresh_name("Sheet1 trained", ["Sheet1", "Ark2"]) == "Sheet1 trained"
    assert fresh_name("Sheet1 trained", ["SHEET1 TRAINED"]) == "Sheet1 trained 2"
    assert fresh_name("Sheet1 trained", ["Sheet1 trained", "sheet1 trained 2"]) == "Sheet1 trained 3"
    long = "A sheet with a rather long name trained"
    taken = []
    for _ in range(12):
        taken.append(fresh_name(long, taken))
    assert all(len(n) <= 31 for n in taken) and len({n.casefold() for n in taken}) == 12
    assert taken[0] == long[:31] and taken[11].endswith(" 12")


# -- writes are complete or absent --------------------------------------------------------------------


def _start_long_write(original, out: Path, *args):
    exe = shutil.which("sheetnet")
    proc = subprocess.Popen([exe, "train", str(original), "--sheet", "Sheet1", "-n", "1000000", "-o", str(out),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(600):  # the temporary file appears once the output is checked and the input read
        if list(out.parent.glob(f".{out.name}.*.part")) or proc.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # well into training and writing: a million iterations take far longer
    assert proc.poll() is None, proc.communicate()
    return proc


@pytest.mark.parametrize("mode", [[], ["--results-only"]])
def test_kill_9_leaves_the_old_file_or_none(original, tmp_path, mode):
    out = tmp_path / "big.ods"
    for existing in (False, True):
        if existing:
            out.write_bytes(b"the old file")
        proc = _start_long_write(original, out, *mode, *(["--force"] if existing else []))
        proc.kill()
        proc.communicate()
        left = sorted(p.name for p in tmp_path.iterdir() if p != out)
        assert left and all(re.fullmatch(r"\.big\.ods\.\w+\.part", n) for n in left), left
        if existing:
            assert out.read_bytes() == b"the old file"
        else:
            assert not out.exists()
        for name in left:
            (tmp_path / name).unlink()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_kill_remove_what_was_being_written(original, tmp_path, sig):
    out = tmp_path / "big.ods"
    proc = _start_long_write(original, out)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stderr == "sheetnet: interrupted; nothing was written\n"
    assert list(tmp_path.iterdir()) == []


# -- every bad input: exit 2, one line naming file, sheet and cell ------------------------------------

L = C.LAYOUT
W01_LABEL = f"{L.at('weight', 1, 0, 1).letter}{L.label_row}"
W01_VALUE = f"{L.at('weight', 1, 0, 1).letter}{L.first_row}"


def _corrupt(path: Path) -> Path:
    """A valid .ods with bytes of content.xml's compressed data changed."""
    C.ods(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("content.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 10, start + info.compress_size - 10, 7):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


BAD = {  # name: (make the input file in a folder, extra arguments, fragments of the message)
    "not a spreadsheet": (lambda d: _write(d / "notes.ods", b"just some notes\n"), [], ["notes.ods", "not a valid .ods"]),
    "text named .xlsx": (lambda d: _write(d / "notes.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200)), [],
                         ["notes.xlsx", "not a valid .xlsx"]),
    "no spreadsheet type": (lambda d: _write(d / "notes.txt", b"a0,a1\n"), [], ["notes.txt", "unsupported file type"]),
    "truncated zip": (lambda d: _write(d / "cut.ods", C.ods(d / "whole.ods").read_bytes()[:900]), [],
                      ["cut.ods", "not a valid .ods file (broken zip"]),
    "corrupt zip": (lambda d: _corrupt(d / "bad.ods"), [], ["bad.ods", "not a valid .ods file"]),
    "no content.xml": (lambda d: C.ods(d / "empty.ods", leave_out=("content.xml",)), [],
                       ["empty.ods", "no content.xml"]),
    "no workbook.xml": (lambda d: C.xlsx(d / "empty.xlsx", leave_out=("xl/workbook.xml",)), [],
                        ["empty.xlsx", "no xl/workbook.xml"]),
    "no worksheet part": (lambda d: C.xlsx(d / "hollow.xlsx", leave_out=("xl/worksheets/sheet1.xml",)), [],
                          ["hollow.xlsx", "sheet 'Sheet1' has no part"]),
    "no network": (lambda d: C.ods(d / "plain.ods", {"Notes": {(1, 1): "hello"}}), [],
                   ["plain.ods", "no network found"]),
    "missing weight label": (lambda d: C.ods(d / "net.ods", {"Sheet1": C.spoiled({(L.label_row, C.W01): None})}),
                             [], ["net.ods", "sheet 'Sheet1'", f"cell {L.at('weight', 1, 0, 0).letter}{L.label_row}"]),
    "unknown label": (lambda d: C.ods(d / "net.ods", {"Sheet1": C.spoiled({(L.label_row, C.W01): "x7"})}), [],
                      ["net.ods", "sheet 'Sheet1'", f"cell {W01_LABEL}", "unknown label 'x7'"]),
    "text for a weight": (lambda d: C.xlsx(d / "net.xlsx", {"Sheet1": C.spoiled({(L.first_row, C.W01): "0,2"})}), [],
                          ["net.xlsx", "sheet 'Sheet1'", f"cell {W01_VALUE}", "must be a number, not '0,2'"]),
    "NaN for a weight": (lambda d: C.ods(d / "net.ods", {"Sheet1": C.spoiled({(L.first_row, C.W01): float("nan")})}),
                         [], ["net.ods", "sheet 'Sheet1'", f"cell {W01_VALUE}", "finite"]),
    "infinity for an input": (lambda d: C.xlsx(d / "net.xlsx", {"Sheet1": C.spoiled({(L.first_row, 3): float("inf")})}),
                              [], ["net.xlsx", "sheet 'Sheet1'", f"cell C{L.first_row}", "finite"]),
    "no such sheet": (lambda d: C.ods(d / "net.ods"), ["--sheet", "Nope"], ["net.ods", "no sheet named 'Nope'"]),
    "no such file": (lambda d: d / "missing.ods", [], ["missing.ods", "no such file"]),
    "a folder": (lambda d: (d / "folder.ods").mkdir() or d / "folder.ods", [], ["folder.ods", "is a folder"]),
    "a pipe": (lambda d: os.mkfifo(d / "pipe.ods") or d / "pipe.ods", [], ["pipe.ods", "is not a regular file"]),
    "learning rate missing": (lambda d: C.ods(d / "net.ods", {"Sheet1": C.spoiled({C.LR: None})}), [],
                              ["net.ods", "sheet 'Sheet1'", "cell A8", "learning rate is missing"]),
    "learning rate zero": (lambda d: C.ods(d / "net.ods", {"Sheet1": C.spoiled({C.LR: 0.0})}), [],
                           ["net.ods", "sheet 'Sheet1'", "cell A8", "must be positive"]),
    "learning rate negative": (lambda d: C.xlsx(d / "net.xlsx", {"Sheet1": C.spoiled({C.LR: -0.5})}), [],
                               ["net.xlsx", "sheet 'Sheet1'", "cell A8", "must be positive"]),
    "learning rate text": (lambda d: C.ods(d / "net.ods", {"Sheet1": C.spoiled({C.LR: "fast"})}), [],
                           ["net.ods", "sheet 'Sheet1'", "cell A8", "must be a number"]),
    "password-protected": (lambda d: C.ods(d / "secret.ods", extra={"META-INF/manifest.xml": (
        b'<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b'<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry>'
        b"</manifest:manifest>")}), [], ["secret.ods", "password-protected"]),
    "garbage .xls": (lambda d: _write(d / "old.xls", bytes(range(256)) * 40), [], ["old.xls", "not a readable .xls"]),
}

TRAIN_ONLY = {  # bad arguments of train: (extra arguments, fragments of the message)
    "-n 0": (["-n", "0"], ["at least 1"]),
    "-n negative": (["-n", "-5"], ["at least 1"]),
    "-n not a number": (["-n", "many"], ["whole number"]),
    "no output folder": (["-o", "nowhere/x.ods"], ["nowhere/x.ods", "the output folder does not exist"]),
    "output folder not writable": (["-o", "/proc/x.ods"], ["/proc/x.ods", "write"]),
    "output is the input": (["-o", "{input}"], ["net.ods", "is the input file"]),
    "output is the input, forced": (["-o", "{input}", "--force"], ["net.ods", "is the input file"]),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_to_train(tmp_path, case):
    make, args, fragments = BAD[case]
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    source = make(tmp_path / "in")
    result = run("train", source, "-n", 3, "-o", "trained.ods", *args, cwd=tmp_path / "out")
    one_line_error(result, *fragments)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_to_verify(tmp_path, case):
    make, args, fragments = BAD[case]
    source = make(tmp_path)
    one_line_error(run("verify", source, *args, cwd=tmp_path), *fragments)


@pytest.mark.parametrize("case", list(TRAIN_ONLY))
def test_bad_arguments_to_train(tmp_path, case):
    args, fragments = TRAIN_ONLY[case]
    source = C.ods(tmp_path / "net.ods")
    files = {p.name for p in tmp_path.iterdir()}
    args = [a.format(input=source) for a in args]
    result = run("train", source, *(["-o", "x.ods"] if "-o" not in args else []), *args, cwd=tmp_path)
    one_line_error(result, *fragments)
    assert {p.name for p in tmp_path.iterdir()} == files


def test_output_through_a_link_to_the_input_is_refused(tmp_path):
    source = C.ods(tmp_path / "net.ods")
    (tmp_path / "link.ods").symlink_to(source)
    one_line_error(run("train", source, "-o", "link.ods", "--force", cwd=tmp_path), "link.ods", "is the input file")
    assert (tmp_path / "link.ods").is_symlink()


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path):
    new, old = tmp_path / "new.ods", tmp_path / "old.ods"
    old.write_bytes(b"old")
    old.chmod(0o600)
    umask = os.umask(0o027)
    try:
        for path in (new, old):
            with formats.atomic(path) as f:
                f.write(b"new")
    finally:
        os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o640 and old.stat().st_mode & 0o777 == 0o600
    assert new.read_bytes() == old.read_bytes() == b"new"


def test_unreadable_input(tmp_path, monkeypatch, capsys):
    """A file the user may not read. Root (as CI runs) reads any file, so the refusal is simulated
    where the readers open the file, and the command runs in-process."""
    source = C.ods(tmp_path / "net.ods")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr(_zip, "Zip", refuse)
    monkeypatch.chdir(tmp_path)
    from sheetnet.commands.cli import main

    assert main(["train", str(source), "-o", "x.ods"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sheetnet: error: ") and err.count("\n") == 1
    assert "net.ods" in err and "cannot read: Permission denied" in err
    assert not (tmp_path / "x.ods").exists()


# -- hostile files: refused in bounded memory ---------------------------------------------------------

MEMORY = 1 << 30  # the address space each hostile file is read in


HOSTILE = {
    "billion laughs": lambda d: C.ods(d / "laughs.ods", content=C.BILLION_LAUGHS),
    "billion laughs in a worksheet": lambda d: C.xlsx(d / "laughs.xlsx", parts={
        "xl/worksheets/sheet1.xml": C.BILLION_LAUGHS}),
    "external entity": lambda d: C.ods(d / "xxe.ods", content=C.EXTERNAL_ENTITY),
    "a billion repeated rows": lambda d: C.ods(d / "rows.ods", content=C.repeated(10 ** 9, 1)),
    "a billion repeated columns": lambda d: C.ods(d / "cols.ods", content=C.repeated(1, 10 ** 9)),
    "repeats multiplying": lambda d: C.ods(d / "grid.ods", content=C.repeated(1_048_576, 16_384)),
    "repeats multiplying below the cell limit": lambda d: C.ods(d / "grid.ods", content=C.repeated(3000, 16_384)),
    "repeated columns in rows written out": lambda d: C.ods(d / "grid.ods", content=C.repeated_columns(3000, 16_384)),
    "100,000 sheets": lambda d: C.ods(d / "sheets.ods", content=C.many_ods_sheets(100_000)),
    "100,000 sheets in a workbook.xml": lambda d: C.xlsx(d / "sheets.xlsx", workbook=C.many_xlsx_sheets(100_000)),
    "a part declaring 3 GB": lambda d: C.declared_size(C.ods(d / "bomb.ods"), "content.xml", 3 << 30),
    "a part inflating past what it declares": lambda d: C.zip_with_raw_member(
        d / "bomb.ods", "content.xml", C.bomb_content(64 << 20), 2000, 0, {"mimetype": b"x"}),
    "a cell beyond the last row": lambda d: C.xlsx(d / "far.xlsx", parts={
        "xl/worksheets/sheet1.xml": C.xlsx_sheet({(2_000_000, 1): 1.0})}),
}


# A row of 16,385 cells without references: the last one is XFE1, one past the last column.
_WIDE_ROW = ('<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ' + C.XLSX_NS + '><sheetData><row r="1">'
             + '<c><v>1</v></c>' * 16_385 + "</row></sheetData></worksheet>")


@pytest.mark.parametrize("rows, sheet, message", [
    ("wide", _WIDE_ROW, "cell XFE1 lies beyond a sheet's last column (XFD, the 16,384th)"),
    ("far", C.xlsx_sheet({(2_000_000, 3): 1.0}), "cell C2000000 lies beyond a sheet's last row (1,048,576)"),
], ids=["wide", "far"])
def test_a_cell_beyond_the_sheet_is_named(tmp_path, rows, sheet, message):
    source = C.xlsx(tmp_path / f"{rows}.xlsx", parts={"xl/worksheets/sheet1.xml": sheet})
    for command in (["verify"], ["train", "-o", "x.ods"]):
        result = run(*command[:1], source, *command[1:], cwd=tmp_path)
        one_line_error(result, source.name, message)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_is_refused(tmp_path, case):
    source = HOSTILE[case](tmp_path)
    result = run("train", source, "-o", "x.ods", cwd=tmp_path, memory=MEMORY, timeout=60)
    one_line_error(result, source.name)
    assert not (tmp_path / "x.ods").exists()


# -- array formulas: each cell finds its own at once, however many there are ----------------------------

# Array formulas live together at the end (a column each): a reader that went through them for each
# row or cell, as one did, takes minutes over them; one that finds a cell's by bisection, a second.
ARRAYS = 16_000
OVERLAPPING = 50_000  # array formulas anchored in column A, each over the one above


def _arrays(folder: Path, kind: str, n: int, overlapping: bool = False) -> Path:
    if kind == "ods":
        return C.ods(folder / "arrays.ods", content=C.array_formulas_ods(n, overlapping))
    return C.xlsx(folder / "arrays.xlsx", sheets={"S": {}},
                  parts={"xl/worksheets/sheet1.xml": C.array_formulas_xlsx(n, overlapping)})


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
def test_thousands_of_array_formulas_are_read_each_cell_as_its_element(tmp_path, kind):
    [sheet] = formats.read(_arrays(tmp_path, kind, ARRAYS)).sheets
    found = {r: {c: (cell.value, cell.formula) for c, cell in cells.items()} for r, cells in sheet.rows.items()}
    # The anchor is element (1, 1) of its array; the k-th cell right of it, element (k + 1, 1) of the
    # array anchored k rows above.
    assert found == {r: {col: (1.0, "INDEX(A1*2,1,1)"), **{c: (1.0, f"INDEX(A1*2,{k + 2},1)")
                                                          for k, c in enumerate(covered)}}
                     for r, col, covered in C.array_diagonal(ARRAYS)}


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
def test_overlapping_array_formulas_are_refused(tmp_path, kind):
    source = _arrays(tmp_path, kind, OVERLAPPING, overlapping=True)
    said = ("sheet 'S', cell A2: the array formula of A2:A1048576 overlaps the one of A1:A1048576: a cell "
            "belongs to one array formula at most")
    with pytest.raises(SheetnetError) as refused:
        formats.read(source)
    assert str(refused.value) == f"{source}, {said}"
    result = run("train", source, "-o", "x.ods", cwd=tmp_path, memory=MEMORY, timeout=60)
    one_line_error(result, source.name, said)


# -- the scan for named ranges: a tag of any length costs its length -----------------------------------

class _Pieces:
    """A binary stream that gives its pieces one by one, whatever read is asked: gigabytes of XML
    without holding them. reads: how many were asked for."""

    def __init__(self, pieces):
        self.pieces = iter(pieces)
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        return next(self.pieces, b"")


def _named_ranges_around(filler: bytes, count: int, long: int) -> _Pieces:
    """content.xml of a sheet whose only cell holds an attribute of `count` fillers, then three
    named ranges: lr, w with an attribute of `count` fillers, v with one `long` bytes long; the
    fillers a piece each, the markup around them cut in pieces of 5 bytes."""
    head = (f'<?xml version="1.0"?>\n<office:document-content {C.ODS_NS}><office:body><office:spreadsheet>'
            '<table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string" x="')
    names = ('"/></table:table-row></table:table><table:named-expressions><table:named-range table:name="lr" '
             'table:base-cell-address="$Sheet1.$A$8" table:cell-range-address="$Sheet1.$A$8"/>'
             '<table:named-range table:name="w" table:cell-range-address="$Sheet1.$E$8:.$F$8" y="')
    tail = (f'"/><table:named-range table:name="v" table:cell-range-address="$Sheet1.$G$8" y="{"v" * long}"/>'
            "</table:named-expressions></office:spreadsheet></office:body></office:document-content>")
    cut = lambda text: [text[k:k + 5].encode() for k in range(0, len(text), 5)]  # noqa: E731
    return _Pieces([*cut(head), *[filler] * count, *cut(names), *[filler] * count, *cut(tail)])


def test_names_are_found_around_tags_of_gigabytes():
    """A cell's tag of 4 GB is passed over a megabyte at a time, nothing of it kept (a scan that held
    it and searched it again at each megabyte would go through some 8 petabytes), and so is a named
    range's tag as long, which names nothing then; the names before and after it are found, one
    of them in a tag of 64 kB cut every 5 bytes."""
    names = ods.scan_names(_named_ranges_around(b"a" * (1 << 20), 4096, 1 << 16))
    assert names == {"LR": "Sheet1!$A$8", "V": "Sheet1!$G$8"}


# -- a tag or a cell's text of any length: refused past a bound, having read no further -----------------

MB = 1 << 20
GB4 = 4096  # pieces of a megabyte
# The namespaces the readers' fast lane needs (see fastrows): the .ods parts take it.
_ODS_SHEET = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {C.ODS_NS} '
              'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"><office:body>'
              '<office:spreadsheet><table:table table:name="Sheet1">')
_ODS_HEAD = _ODS_SHEET + '<table:table-row><table:table-cell office:value-type="float" office:value="1"/>'
_ODS_END = "</table:table></office:spreadsheet></office:body></office:document-content>"
_XLSX_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {C.XLSX_NS}><sheetData><row r="3"><c r="A3"><v>1</v></c>'
_TAG = f"holds a tag or text of more than {_xml.LONGEST:,} bytes"
_TEXT = f"the cell holds more than {_xml.LONGEST_TEXT:,} characters of text"

LONG = {  # name: (format, the markup that opens, a piece of what follows it 4,096 times, cell, message)
    "ods: a cell's tag": ("ods", '<table:table-cell office:value-type="string" x="', b"a" * MB, "B1", _TAG),
    "ods: a row's tag": ("ods", '</table:table-row><table:table-row x="', b"a" * MB, None, _TAG + " after row 1"),
    "ods: a paragraph": ("ods", '<table:table-cell office:value-type="string"><text:p>', b"a" * MB, "B1", _TEXT),
    "ods: spaces of <text:s/>": ("ods", '<table:table-cell office:value-type="string"><text:p>',
                                 b'<text:s text:c="10000"/>' * (MB // 24), "B1", _TEXT),
    "ods: empty paragraphs": ("ods", '<table:table-cell office:value-type="string">', b"<text:p/>" * (MB // 9),
                              "B1", _TEXT),
    "xlsx: a cell's tag": ("xlsx", '<c r="B3" x="', b"a" * MB, None, _TAG + " after cell A3"),
    "xlsx: a value": ("xlsx", '<c r="B3" t="str"><v>', b"a" * MB, "B3", _TEXT),
    "xlsx: an inline string's runs": ("xlsx", '<c r="B3" t="inlineStr"><is>', b"<r><t>ab</t></r>" * (MB // 16),
                                      "B3", _TEXT),
}


def _read_part(kind: str, part) -> None:
    """Read a sheet's part, a binary stream, as the .ods or .xlsx reader does."""
    if kind == "ods":
        reader, rows, member = ods._Reader(SimpleNamespace(skip=None)), fastrows.OdsRows(), "content.xml"
    else:
        reader, rows, member = xlsx._SheetReader(Sheet("Sheet1"), [], [0]), fastrows.XlsxRows(), "xl/worksheets/sheet1.xml"
    for _ in fastrows.scan(part, reader, rows, member):
        pass


@pytest.mark.parametrize("case", list(LONG))
def test_a_tag_or_text_of_gigabytes_is_refused_having_read_its_bound(case):
    """4 GB of a tag or of a cell's text, a megabyte a piece: refused, naming sheet and cell, once
    16 MB (a tag) or a million characters (a cell's text) are read, the pieces after never asked
    for. A reader that held the tag and searched it again at every megabyte would go through
    some 8 petabytes; expat alone, fed it a megabyte at a time, as much."""
    kind, markup, piece, cell, said = LONG[case]
    part = _Pieces([(_ODS_HEAD if kind == "ods" else _XLSX_HEAD).encode() + markup.encode(), *[piece] * GB4])
    with pytest.raises(SheetnetError) as error:
        _read_part(kind, part)
    assert said in str(error.value) and (error.value.sheet, error.value.cell) == ("Sheet1", cell)
    assert part.reads <= _xml.LONGEST // MB + 2


@pytest.mark.parametrize("read", ["parse", "package scan"])
def test_the_other_xml_parts_refuse_a_tag_of_gigabytes(read):
    """The parts read by expat alone (shared strings, workbook.xml; styles, settings and manifests
    of a copy) refuse a tag as long, having read 16 MB of it."""
    part = _Pieces([b'<?xml version="1.0"?><sst><si><t x="', *[b"a" * MB] * GB4])
    with pytest.raises(SheetnetError, match=f"styles.xml {_TAG}, from '<t x=\"aaa"):
        if read == "parse":
            _xml.parse(part, lambda *_: None, lambda *_: None, member="styles.xml")
        else:
            _package.scan(part, "styles.xml", lambda e: True)
    assert part.reads <= _xml.LONGEST // MB + 2


def _long_ods(folder: Path, markup: str) -> Path:
    """An .ods whose second cell holds markup then 20 MB of 'a' (20 kB packed)."""
    return C.ods(folder / "long.ods", content=_ODS_HEAD + markup + "a" * (20 * MB) + '"/></table:table-row>' + _ODS_END)


HOSTILE_LONG = {  # name: (make the file in a folder, fragments of the message)
    "a cell's tag in an .ods": (lambda d: _long_ods(d, '<table:table-cell x="'), ["long.ods", "sheet 'Sheet1'",
                                                                                  "cell B1", "content.xml " + _TAG]),
    "a value in an .xlsx": (lambda d: C.xlsx(d / "long.xlsx", parts={"xl/worksheets/sheet1.xml": (
        _XLSX_HEAD + '<c r="B3" t="str"><v>' + "a" * (20 * MB) + "</v></c></row></sheetData></worksheet>")}),
        ["long.xlsx", "sheet 'Sheet1'", "cell B3", _TEXT]),
    "a shared string": (lambda d: C.xlsx(d / "long.xlsx", parts={"xl/sharedStrings.xml": (
        f'<sst {C.XLSX_NS}><si><t>' + "a" * (20 * MB) + "</t></si></sst>")}),
        ["long.xlsx", f"xl/sharedStrings.xml: shared string 0 holds more than {_xml.LONGEST_TEXT:,} characters"]),
    "a tag in the shared strings": (lambda d: C.xlsx(d / "long.xlsx", parts={"xl/sharedStrings.xml": (
        f'<sst {C.XLSX_NS}><si x="' + "a" * (20 * MB) + '"/></sst>')}), ["long.xlsx", "xl/sharedStrings.xml " + _TAG]),
}


@pytest.mark.parametrize("case", list(HOSTILE_LONG))
def test_a_long_tag_or_text_is_one_line_from_train_and_verify(tmp_path, case):
    make, said = HOSTILE_LONG[case]
    source = make(tmp_path)
    for command in (["verify"], ["train", "-o", "x.ods"]):
        result = run(*command[:1], source, *command[1:], cwd=tmp_path, memory=MEMORY, timeout=60)
        one_line_error(result, *said)
    assert not (tmp_path / "x.ods").exists()


def test_a_tag_longer_than_the_fast_lane_holds_is_read_by_expat(tmp_path, monkeypatch):
    """A cell's attribute of 2 MB, more than the fast lane holds for the next chunk: the rows before
    it take the fast lane, it and the rows after it expat, each cell read as it is."""
    rows = [f'<table:table-row><table:table-cell office:value-type="float" office:value="{r}"/>'
            f'<table:table-cell table:formula="of:=[.A{r}]*2" office:value-type="float" office:value="{2 * r}"/>'
            "</table:table-row>" for r in range(1, 20_001)]
    rows[10_000] = rows[10_000].replace("<table:table-cell ", f'<table:table-cell x="{"a" * (2 * MB)}" ', 1)
    content = _ODS_SHEET + "".join(rows) + _ODS_END
    fast = []
    quick = fastrows.OdsRows.quick
    monkeypatch.setattr(fastrows.OdsRows, "quick", lambda self, *args: fast.append(quick(self, *args)) or fast[-1])
    sheet = formats.read(C.ods(tmp_path / "held.ods", content=content)).sheets[0]
    assert 9_000 < fast.count(True) < 10_000
    assert len(sheet.rows) == 20_000
    assert all(sheet.rows[r][1].value == r and sheet.rows[r][2] == (2 * r, f"A{r}*2") for r in sheet.rows)


# The longest legitimate text of a cell: 32,767 characters (Excel's limit), markup and accents among them.
_LONGEST_CELL = ('Tom & Jerry <é€> "q" ' * 2000)[:32_767]


@pytest.fixture(scope="module")
def widest(tmp_path_factory) -> list:
    """A sheet of a row of 16,384 numbers, a row of as many formulas and a cell of the longest text,
    as sheetnet writes it in .ods and .xlsx and as LibreOffice saves the .ods in both."""
    folder = tmp_path_factory.mktemp("widest")
    paths = []
    for module, suffix in ((ods, ".ods"), (xlsx, ".xlsx")):
        paths.append(folder / f"widest{suffix}")
        with module.Writer(paths[-1]) as w:
            w.sheet("Wide")
            w.row(1, [c + 0.5 for c in range(1, formats.MAX_COLS + 1)])
            w.row(2, [2 * c + 1.0 for c in range(1, formats.MAX_COLS + 1)],
                  [Ref(c, 1) * 2 for c in range(1, formats.MAX_COLS + 1)])
            w.row(3, [_LONGEST_CELL])
    return paths + [convert(paths[0], folder / kind, kind, recalc=False) for kind in ("ods", "xlsx")]


def test_the_widest_row_and_the_longest_text_are_read(widest):
    """Rows of 16,384 columns (1 to 2.9 MB of XML each) and a cell of 32,767 characters (72 kB) are
    read whole, cell for cell, from sheetnet's files and LibreOffice's."""
    for path in widest:
        rows = formats.read(path).sheets[0].rows
        assert [len(rows[r]) for r in (1, 2, 3)] == [formats.MAX_COLS, formats.MAX_COLS, 1], path
        for c in range(1, formats.MAX_COLS + 1):
            assert rows[1][c] == (c + 0.5, None) and rows[2][c] == (2 * c + 1, f"{column_letters(c)}1*2"), (path, c)
        assert rows[3][1] == (_LONGEST_CELL, None), path


def test_libreoffices_trailing_repeats_are_not_hostile(original):
    """LibreOffice ends a sheet with empty rows and columns repeated to the sheet's limits."""
    assert b'table:number-rows-repeated="1048375"' in zipfile.ZipFile(original).read("content.xml")
    assert formats.read(original).sheet("Ark2").max_row == 200


# -- damaged and random workbooks: a Book or a SheetnetError, never another exception -----------------

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("property")


def read_cleanly(path: Path) -> None:
    """formats.read, and finding networks in what it read: results or SheetnetErrors only."""
    try:
        book = formats.read(path)
    except SheetnetError:
        return
    try:
        networks(book)
    except SheetnetError:
        pass


@pytest.fixture(scope="module")
def valid(scratch, original_exports):
    return {"ods": C.ods(scratch / "valid.ods").read_bytes(), "xlsx": C.xlsx(scratch / "valid.xlsx").read_bytes(),
            "xls": original_exports["xls"].read_bytes()}


@PROPERTY
@given(kind=st.sampled_from(["ods", "xlsx", "xls"]),
       flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=12),
       keep=st.one_of(st.none(), st.floats(0, 1)))
def test_damaged_workbooks(scratch, valid, kind, flips, keep):
    data = bytearray(valid[kind])
    for where, byte in flips:
        data[int(where * len(data))] = byte
    if keep is not None:
        data = data[:int(keep * len(data))]
    path = scratch / f"damaged.{kind}"
    path.write_bytes(bytes(data))
    read_cleanly(path)


_NUMBERS = st.one_of(st.integers(-3, 2 ** 40).map(str), st.sampled_from(["", "1e309", "NaN", "-0", "0x10", " 7"]),
                     st.text(max_size=6))
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


def _attrs(names: dict) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(list(names)), st.just(None), max_size=4).flatmap(
        lambda keys: st.fixed_dictionaries({k: names[k] for k in keys}))


def _xml_tree(tags: list, attributes: dict) -> st.SearchStrategy:
    """Random XML element trees built from the tags and attributes a reader looks for."""
    leaf = st.one_of(_TEXT.map(C._esc), st.builds(_element, st.sampled_from(tags), _attrs(attributes)))
    return st.recursive(leaf, lambda children: st.builds(_element, st.sampled_from(tags), _attrs(attributes),
                                                          st.lists(children, max_size=4)), max_leaves=30)


def _element(tag: str, attrs: dict, children: list | None = None) -> str:
    start = tag + "".join(f' {k}="{C._esc(v)}"' for k, v in attrs.items())
    return f"<{start}/>" if children is None else f"<{start}>{''.join(children)}</{tag}>"


ODS_TAGS = ["table:table", "table:table-row", "table:table-cell", "table:covered-table-cell", "text:p", "text:s",
            "office:annotation", "table:table-column", "office:spreadsheet", "table:shapes"]
ODS_ATTRS = {"table:number-rows-repeated": _NUMBERS, "table:number-columns-repeated": _NUMBERS,
             "office:value-type": st.sampled_from(["float", "string", "boolean", "percentage", "currency", "date"]),
             "office:value": _NUMBERS, "office:boolean-value": st.sampled_from(["true", "false", "x"]),
             "table:formula": st.sampled_from(["of:=[.A1]*2", "of:=[$'S'.B$2]", "of:=", "oooc:=SUM([.A1:.B2])"]) | _TEXT,
             "table:name": _TEXT, "text:c": _NUMBERS}
XLSX_TAGS = ["sheetData", "row", "c", "v", "f", "is", "t", "r"]
XLSX_ATTRS = {"r": st.sampled_from(["A1", "B7", "XFD1048576", "A0", "ZZZZ1", "1"]) | _NUMBERS,
              "t": st.sampled_from(["n", "s", "str", "b", "e", "inlineStr", "x"]), "s": _NUMBERS,
              "si": _NUMBERS, "ref": _TEXT}


@PROPERTY
@given(tree=_xml_tree(ODS_TAGS, ODS_ATTRS))
def test_random_ods_content(scratch, tree):
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {C.ODS_NS}><office:body>'
               f"<office:spreadsheet>{tree}</office:spreadsheet></office:body></office:document-content>")
    read_cleanly(C.ods(scratch / "random.ods", content=content))


@PROPERTY
@given(tree=_xml_tree(XLSX_TAGS, XLSX_ATTRS),
       strings=st.lists(_TEXT, max_size=3))
def test_random_xlsx_sheet(scratch, tree, strings):
    sheet = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {C.XLSX_NS}>{tree}</worksheet>'
    shared = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              + "".join(f"<si><t>{C._esc(s)}</t></si>" for s in strings) + "</sst>")
    read_cleanly(C.xlsx(scratch / "random.xlsx", parts={"xl/worksheets/sheet1.xml": sheet,
                                                        "xl/sharedStrings.xml": shared}))


_LABELS = ["a0", "a1", "a2", "w00", "w01", "w02", "w10", "w11", "w12", "w0,0", "w123", "δ0", "δ1", "d0", "T0",
           "T1", "C", "x", "Learning rate", " a0 ", ""]
_CELL_VALUES = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["", "0,5", "x"]),
                         st.booleans())


@PROPERTY
@given(labels=st.lists(st.tuples(st.integers(1, 40), st.sampled_from(_LABELS)), max_size=3),
       values=st.lists(st.tuples(st.integers(1, 40), _CELL_VALUES), max_size=3), kind=st.sampled_from(["ods", "xlsx"]))
def test_spoiled_labels_and_numbers(scratch, labels, values, kind):
    """The 2-2-2 network with a few labels and first-row cells replaced by anything: a network
    that trains, or a SheetnetError."""
    change = {(L.label_row, c): label or None for c, label in labels}
    change |= {(L.first_row, c): v for c, v in values}
    path = (C.ods if kind == "ods" else C.xlsx)(scratch / f"labels.{kind}", {"Sheet1": C.spoiled(change)})
    try:
        found = networks(formats.read(path))
        write(scratch / "out.ods", [Run("Net", Layout(layout.sizes), problem, 3) for _, layout, problem in found])
    except SheetnetError:
        pass


# -- numbers at the edges -------------------------------------------------------------------------


@pytest.mark.filterwarnings("error")  # numpy's overflow warnings fail the test
def test_huge_weights_and_inputs_stay_finite(tmp_path):
    W1 = np.array([[1000.0, -1000.0, 1000.0], [-1000.0, 1000.0, -1000.0]])
    W2 = np.array([[-1000.0, 1000.0, -1000.0], [1000.0, -1000.0, 1000.0]])
    problem = Problem(Network([None, W1, W2], lr=0.5), inputs=np.array([1e6, -1e6]), T=np.array([0.3, 0.4]))
    path = tmp_path / "edge.ods"
    write(path, [Run("Edge", Layout((2, 2, 2)), problem, 30)])
    [(sheet, layout, back)] = networks(formats.read(path))
    numbers = [cell.value for row in sheet.rows.values() for cell in row.values() if isinstance(cell.value, float)]
    assert numbers and all(np.isfinite(numbers))
    last = list(train(problem, 30))[-1]
    assert sheet.value(layout.first_row + 29, layout.at("cost", 2).col) == last.C
    np.testing.assert_array_equal(back.network.W[2], W2)


@pytest.mark.parametrize("change", [
    {(L.first_row, L.at("target", 2, 0).col): 1e300},
    {(L.first_row, L.at("input", 0, 0).col): 1e308, (L.first_row, L.at("input", 0, 1).col): 1e308,  # inf - inf
     (L.first_row, L.at("weight", 1, 0, 0).col): 1e308, (L.first_row, L.at("weight", 1, 0, 1).col): -1e308},
])
def test_overflow_is_a_clear_error(tmp_path, change):
    source = C.ods(tmp_path / "huge.ods", {"Sheet1": C.spoiled(change)})
    result = run("train", source, "-n", 5, "-o", "x.ods", cwd=tmp_path)
    one_line_error(result, "huge.ods", "sheet 'Sheet1'", "overflow")
    assert not (tmp_path / "x.ods").exists()


@pytest.mark.parametrize("suffix, name, text", [
    (".ods", 'style-name="sn-note"', b'table:style-name="sn-note" '),
    (".xlsx", 'a s="1" style="2"', b' s="1" style="2" dxfId="0" '),
])
def test_renaming_never_touches_text_that_looks_like_an_attribute(tmp_path, suffix, name, text):
    """The new sheets' styles are renamed (.ods: the workbook has sheetnet's style names already)
    or renumbered (.xlsx) in their XML: a sheet name or cell text spelling such an attribute, raw
    quotes and all, stays as typed, in the workbook's sheets and in the new ones."""
    from sheetnet.math.template import random_problem

    template = tmp_path / f"hostile{suffix}"
    write(template, [Run(name, Layout((2, 2, 2)), random_problem((2, 2, 2), seed=1), 1)])
    sheet = "content.xml" if suffix == ".ods" else "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(template) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    tag = b"<text:p>" if suffix == ".ods" else b"<t>"
    parts[sheet] = parts[sheet].replace(tag, tag + text, 1)  # quotes are as good as &quot; in text
    with zipfile.ZipFile(template, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    typed = formats.read(template).sheet(name)
    out = tmp_path / f"trained{suffix}"
    ok("train", template, "-n", 5, "-o", out)
    ok("verify", out)
    book = formats.read(out)
    assert book.names[:4] == [name, f"{name} summary", f"{name} check", f"{name} trained"]
    assert cells(book.sheet(name)) == cells(typed) and text.decode() in str(cells(typed))
    with zipfile.ZipFile(out) as z:
        assert insertions(parts[sheet], z.read(sheet)) is not None
        if suffix == ".ods":  # the new sheets' note style, renamed, is the one they use
            content = z.read("content.xml")
            [renamed] = re.findall(rb'style:name="(sn-note[^"]+)"', content)
            assert b'table:style-name="' + renamed + b'"' in content


def _spoiled_part(path: Path, part: str, how: str) -> None:
    """The workbook at path with one part cut in half (XML left unclosed), or its deflated bytes
    scrambled (a broken zip member), the others as they were."""
    with zipfile.ZipFile(path) as z:
        parts = [(info.filename, info.compress_type, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for name, method, data in parts:
            z.writestr(name, data[:len(data) // 2] if name == part and how == "cut" else data, compress_type=method)
    if how == "scrambled":
        data = bytearray(path.read_bytes())
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(part)
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        for k in range(start + 5, start + info.compress_size - 5, 3):
            data[k] ^= 0x5A
        path.write_bytes(bytes(data))


@pytest.mark.parametrize("suffix, part, how, words", [
    (".ods", "META-INF/manifest.xml", "cut", "META-INF/manifest.xml is not well-formed XML"),
    (".ods", "styles.xml", "cut", "styles.xml is not well-formed XML"),
    (".ods", "settings.xml", "cut", "settings.xml is not well-formed XML"),
    (".ods", "settings.xml", "scrambled", "not a valid .ods file (broken zip"),
    (".xlsx", "xl/styles.xml", "cut", "xl/styles.xml is not well-formed XML"),
    (".xlsx", "xl/styles.xml", "scrambled", "not a valid .xlsx file (broken zip"),
])
def test_a_broken_part_of_the_workbook_copied_is_named_as_its_own(tmp_path, suffix, part, how, words):
    """Parts train does not read, but copies into its output: what is wrong with them is the
    input's fault, said in one line naming it (not the output, which is never left behind)."""
    from sheetnet.math.template import random_problem

    source = tmp_path / f"net{suffix}"
    write(source, [Run("Sheet1", Layout((2, 2, 2)), random_problem((2, 2, 2), seed=1), 3)])
    _spoiled_part(source, part, how)
    before = source.read_bytes()
    result = run("train", source, "-n", 5, "-o", "out" + suffix, cwd=tmp_path)
    one_line_error(result, f"error: {source}: ", words)
    assert "Exception ignored" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name] and source.read_bytes() == before


def test_counts_are_found_in_start_tags_not_in_look_alikes(tmp_path):
    """The counts of the workbook's format lists that grow are updated in their start tags,
    read attribute by attribute: not in a comment that spells one, nor misled by '/>' in a value."""
    source = _openpyxl_xlsx(tmp_path / "odd.xlsx")
    with zipfile.ZipFile(source) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    styles = parts["xl/styles.xml"]
    assert b'<numFmts count="0"/>' in styles  # openpyxl's empty list, which the new number formats open
    parts["xl/styles.xml"] = styles.replace(b'<numFmts count="0"/>', b'<!--<fonts count="9">--><numFmts x="/>" count="0"/>')
    with zipfile.ZipFile(source, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    out = tmp_path / "trained.xlsx"
    ok("train", source, "-n", 5, "-o", out)
    with zipfile.ZipFile(out) as z:
        after = z.read("xl/styles.xml")
    assert after.startswith(parts["xl/styles.xml"][:parts["xl/styles.xml"].index(b"<numFmts")])  # the comment kept
    assert_styles_appended(parts["xl/styles.xml"], after)
    assert re.search(rb'<numFmts x="/>" count="[1-9]\d*">', after)


@pytest.mark.parametrize("markup", ["<!-- </table:table> -->", "<?note </table:table> ?>",
                                    "<table:named-expressions><![CDATA[</table:table>]]></table:named-expressions>"])
def test_a_table_end_spelled_in_a_comment_is_not_taken_for_one(tmp_path, markup):
    """The new tables go after the workbook's last table, not into a comment (or CDATA, or
    processing instruction) after it that spells a table's end."""
    content = C.ods_content({"Sheet1": C.network()[0]})
    at = content.rindex("</table:table>") + len("</table:table>")
    source = C.ods(tmp_path / "marked.ods", content=content[:at] + markup + content[at:])
    out = tmp_path / "trained.ods"
    ok("train", source, "-n", 5, "-o", out)
    assert formats.read(out).names[:2] == ["Sheet1", "Sheet1 trained"]
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(out) as b:
        added = insertions(a.read("content.xml"), b.read("content.xml"))
        assert added is not None and markup.encode() in b.read("content.xml")
