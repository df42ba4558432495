"""Online training on a dataset: one sample per row, every number a live formula on the data sheet.

The numbers are held to a recomputation written here with lists and math.exp (not sheetnet's
code), and to LibreOffice recalculating the written workbooks; a sample edited on the data sheet
moves every row; bad data is refused naming its cell; verify names a row that trains on the
wrong sample."""

import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libreoffice import convert

import sheetnet
from sheetnet import formats
from sheetnet.grid import Cell, Sheet, sheet_name_problem
from sheetnet.layout import Kind, networks, number
from sheetnet.layout import data as datasheet
from sheetnet.math.data import XOR, Dataset
from sheetnet.math.network import FloatPath, NumpyPath, Problem, history, logged, train
from sheetnet.math.template import random_problem


def sheetnet_cli(*args, cwd=None):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


# -- an independent recomputation: lists and math.exp ---------------------------------------------

def plain_online(W, X, T, order, lr, n):
    """Per iteration k = 1..n: (sample number, weights as lists, outputs, cost, epoch cost), the
    sample of iteration k being order[(k - 1) % m], each row's math the note's."""
    W = [[list(row) for row in Wl] for Wl in W]
    m, costs, rows = len(X), [], []
    for k in range(1, n + 1):
        s = order[(k - 1) % m]
        a = [list(X[s])]
        for Wl in W:  # a_j = σ(Σ_i w_ji a_i + w_j,bias)
            a.append([1 / (1 + math.exp(-(sum(w * x for w, x in zip(row, a[-1])) + row[-1]))) for row in Wl])
        C = sum(0.5 * (y - t) ** 2 for y, t in zip(a[-1], T[s]))
        costs.append(C)
        window = costs[-m:]
        delta = [None] * len(W)
        delta[-1] = [(y - t) * y * (1 - y) for y, t in zip(a[-1], T[s])]
        for l in range(len(W) - 2, -1, -1):
            delta[l] = [a[l + 1][j] * (1 - a[l + 1][j]) * sum(W[l + 1][k2][j] * delta[l + 1][k2]
                                                             for k2 in range(len(W[l + 1])))
                        for j in range(len(W[l]))]
        rows.append((s + 1, [[list(r) for r in Wl] for Wl in W], a[-1], C, sum(window) / len(window)))
        W = [[[w - lr * delta[l][j] * (a[l][i] if i < len(a[l]) else 1.0) for i, w in enumerate(row)]
              for j, row in enumerate(Wl)] for l, Wl in enumerate(W)]
    return rows


def dataset_2_3_2():
    rng = np.random.default_rng(3)
    return Dataset(rng.uniform(0, 1, (7, 2)), rng.uniform(0.1, 0.9, (7, 2)))


@pytest.mark.parametrize("sizes, data, shuffle", [((2, 2, 1), XOR, None), ((2, 3, 1), XOR, 5),
                                                  ((2, 3, 2), dataset_2_3_2(), None), ((2, 3, 2), dataset_2_3_2(), 9)])
def test_online_training_follows_an_independent_recomputation(sizes, data, shuffle):
    data = Dataset.shuffled(data.X, data.T, shuffle)
    net = sheetnet.Network.fresh(sizes, seed=2, data=data)
    n = 600
    trace = net.train(n, progress=False)
    expected = plain_online([Wl.tolist() for Wl in net.W[1:]], data.X.tolist(), data.T.tolist(),
                            data.order.tolist(), net.lr, n)
    assert [int(s) for s in trace.numbers[:, 0]] == [row[0] for row in expected]
    assert sorted(row[0] for row in expected[:data.m]) == list(range(1, data.m + 1))
    for k, (s, W, out, C, epoch) in enumerate(expected):
        np.testing.assert_array_equal(trace.a[0][k], data.X[s - 1])
        np.testing.assert_array_equal(trace.T[k], data.T[s - 1])
        for l, Wl in enumerate(W, 1):
            np.testing.assert_allclose(trace.W[l][k], Wl, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(trace.a[-1][k], out, rtol=1e-12)
        assert close(trace.C[k], C) and close(trace.epoch[k], epoch), k


@pytest.mark.parametrize("every", [1, 2, 3, 4, 9, 50])
@pytest.mark.parametrize("sizes", [(2, 3, 1), (12, 13, 2)])
def test_every_kth_row_cycles_the_samples(sizes, every):
    """Rows of every K-th iteration (--log-every) are those rows of the full run, sample and epoch
    cost included, through the float code (2-3-1) and numpy (12-13-2)."""
    rng = np.random.default_rng(1)
    data = Dataset.shuffled(rng.uniform(0, 1, (5, sizes[0])), rng.uniform(0, 1, (5, sizes[-1])), 4)
    p = random_problem(sizes, 3)
    p = Problem(p.network, data.X[data.samples(1)], data.T[data.samples(1)], data)
    assert FloatPath.fits(sizes) == (sizes == (2, 3, 1))
    n = 61
    full, some = history(p, n), history(p, n, every)
    for k, it in enumerate(logged(n, every)):
        for field in ("C", "sample", "epoch"):
            assert getattr(some, field)[k] == pytest.approx(getattr(full, field)[it - 1], rel=1e-13, abs=1e-15), field
        for l in range(1, len(sizes)):
            np.testing.assert_allclose(some.W[l][k], full.W[l][it - 1], rtol=1e-13, atol=1e-15)
    for k, it in enumerate(train(p, n, every)):
        assert it.sample == some.sample[k] and it.epoch == pytest.approx(some.epoch[k], rel=1e-14)


def test_float_path_equals_numpy_path_on_a_dataset():
    data = Dataset.shuffled(XOR.X, XOR.T, 1)
    base = random_problem((2, 3, 1), 8)
    p = Problem(base.network, data.X[data.samples(1)], data.T[data.samples(1)], data)
    fast, slow = FloatPath(p), NumpyPath(p)
    W = p.network.W
    for k in range(1, 41):
        mine, theirs = fast.iterate(W, k), slow.iterate(W, k)
        np.testing.assert_array_equal(mine.a[0], theirs.a[0])
        assert mine.C == pytest.approx(theirs.C, rel=1e-15)
        W = slow.advance(W, 1, k)
    for mine, theirs in zip(fast.advance(p.network.W, 333, 1)[1:], slow.advance(p.network.W, 333, 1)[1:]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-14)


# -- the workbook --------------------------------------------------------------------------------

def online_workbook(path, n=40, data=None, shuffle=3, sizes=(2, 2, 1)):
    data = Dataset.shuffled(XOR.X, XOR.T, shuffle) if data is None else data
    net = sheetnet.Network.fresh(sizes, seed=4, data=data)
    sheetnet.write(path, net, n, progress=False)
    return net


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_the_workbook_holds_the_data_sheet_first_and_live_references(tmp_path, suffix):
    path = tmp_path / f"xor{suffix}"
    net = online_workbook(path)
    book = formats.read(path)
    assert book.names == ["Data", "Sheet1", "Sheet1 summary", "Sheet1 check"]
    data = datasheet.read(book.sheets[0])
    np.testing.assert_array_equal(data.data.X, XOR.X)
    [(sheet, layout, problem)] = networks(book)
    assert layout.online and layout.data.name == "Data"
    np.testing.assert_array_equal(problem.data.order, net.data.order)
    sample = layout.at(Kind.SAMPLE, 0)
    assert (sheet.value(6, sample.col), sample.letter) == ("Sample", "B")
    epoch = layout.at(Kind.EPOCH, 2)
    m = 4
    for r in range(8, 48):
        s = net.data.samples(r - 7) + 1
        assert sheet.value(r, sample.col) == s and sheet.cell(r, sample.col).formula is None
        assert sheet.cell(r, layout.at(Kind.INPUT, 0, 1).col).formula == f"'Data'!$C${1 + s}"
        assert sheet.cell(r, layout.at(Kind.TARGET, 2).col).formula == f"'Data'!$D${1 + s}"
        top = f"U{max(8, r - m + 1)}"
        assert sheet.cell(r, epoch.col).formula == f"AVERAGE({top}:U{r})"
    assert sheetnet.check(path).ok


@pytest.fixture(scope="module", params=[".ods", ".xlsx"])
def recalculated(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("online" + request.param)
    path = folder / f"xor{request.param}"
    online_workbook(path, n=300, data=Dataset.shuffled(dataset_2_3_2().X, dataset_2_3_2().T, 2), sizes=(2, 3, 2))
    return path, convert(path, folder / "lo", request.param[1:])


def test_libreoffice_recalculates_the_online_workbook_to_the_cached_numbers(recalculated):
    path, lo = recalculated
    ours, theirs = formats.read(path), formats.read(lo)
    assert theirs.names == ours.names
    numbers = 0
    for mine, other in zip(ours.sheets, theirs.sheets):
        for r, row in mine.rows.items():
            for c, cell in row.items():
                if isinstance(cell.value, float):
                    assert close(cell.value, other.cell(r, c).value), (mine.name, r, c, cell.value,
                                                                      other.cell(r, c).value)
                    numbers += 1
    assert numbers > 300 * 40
    assert sheetnet.check(lo).ok


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_a_sample_edited_on_the_data_sheet_moves_every_row(tmp_path, suffix, monkeypatch):
    """The data sheet is written with sample 2's a1 changed, the rows with the numbers of the
    original sample: LibreOffice's recalculation follows the data sheet (the references are live),
    and equals the recomputation on the edited samples."""
    data = Dataset.shuffled(XOR.X, XOR.T, 3)
    edited = Dataset(np.where(np.arange(8).reshape(4, 2) == 3, 0.25, XOR.X), XOR.T, data.order, 3)
    real = datasheet.write
    monkeypatch.setattr(datasheet, "write", lambda w, d: real(w, datasheet.DataSheet(d.name, edited)))
    path = tmp_path / f"edited{suffix}"
    online_workbook(path, n=60, data=data)
    monkeypatch.undo()
    theirs = formats.read(convert(path, tmp_path / "lo", suffix[1:])).sheet("Sheet1")
    ours = formats.read(path).sheet("Sheet1")
    net = sheetnet.Network.fresh((2, 2, 1), seed=4, data=edited)
    expected = net.train(60, progress=False).numbers
    cost = 21  # U, the cost column
    moved = 0
    for k in range(60):
        assert close(theirs.value(8 + k, cost), expected[k, cost - 2]), k
        moved += not close(ours.value(8 + k, cost), theirs.value(8 + k, cost))
    assert moved > 50


# -- the command line ----------------------------------------------------------------------------

def test_template_with_data_writes_one_epoch_that_train_trains_on(tmp_path):
    src = tmp_path / "xor.ods"
    made = sheetnet_cli("template", src, "--data", "xor", "--shuffle", "5", "--seed", "1")
    assert made.returncode == 0, made.stderr
    assert "2-2-1 network on 4 samples, 4 iterations" in made.stdout
    [(sheet, layout, problem)] = networks(formats.read(src))
    np.testing.assert_array_equal(problem.data.order, Dataset.shuffled(XOR.X, XOR.T, 5).order)
    out = tmp_path / "trained.xlsx"
    trained = sheetnet_cli("train", src, "-n", "300", "-o", out, "--results-only")
    assert trained.returncode == 0, trained.stderr
    assert "on the 4 samples of sheet 'Data'" in trained.stdout and "sample  inputs -> outputs" in trained.stdout
    assert formats.read(out).names[0] == "Data"
    trace = sheetnet.open(out).trace()
    net = sheetnet.Network.fresh((2, 2, 1), 1, data=Dataset.shuffled(XOR.X, XOR.T, 5))
    np.testing.assert_array_equal(trace.numbers, net.train(300, progress=False).numbers)
    csv = tmp_path / "trained.csv"
    assert sheetnet_cli("train", src, "-n", "10", "-o", csv).returncode == 0
    header, *lines = csv.read_text().splitlines()
    assert header.split(",")[:4] == ["Learning rate", "Sample", "a0", "a1"] and len(lines) == 10


def test_template_from_a_csv_file_and_its_errors(tmp_path):
    good = tmp_path / "and.csv"
    good.write_text("a0,a1,T0\n0,0,0\n0,1,0\n1,0,0\n1,1,1\n")
    made = sheetnet_cli("template", tmp_path / "and.xlsx", "--data", good, "--layers", "2", "3", "1")
    assert made.returncode == 0, made.stderr
    assert "2-3-1 network on 4 samples" in made.stdout
    wrong = sheetnet_cli("template", tmp_path / "x.xlsx", "--data", good, "--layers", "3", "2", "1")
    assert wrong.returncode == 2 and "3-2-1" in wrong.stderr and "2 input(s) and 1 target(s)" in wrong.stderr
    for text, cell in (("a0,b1,T0\n0,0,0\n", "line 1, column 2"), ("a0,a1,T0\n0,0,0\n1,x,1\n", "line 3, column 2"),
                       ("a0,a1,T0\n0,0\n", "line 2"), ("a0,a1,T0\n", None)):
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        result = sheetnet_cli("template", tmp_path / "y.ods", "--data", bad, "--force")
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert f"bad.csv{'' if cell is None else ', ' + cell}: " in result.stderr, result.stderr
        assert not (tmp_path / "y.ods").exists()


def _edited(tmp_path, edit, name="edited.xlsx"):
    """An online workbook (one epoch of XOR shuffled, 12 rows) edited by openpyxl: edit(workbook)."""
    openpyxl = pytest.importorskip("openpyxl")
    src = tmp_path / "online.xlsx"
    assert sheetnet_cli("template", src, "--data", "xor", "--shuffle", "3", "-n", "12", "--force").returncode == 0
    book = openpyxl.load_workbook(src)
    edit(book)
    out = tmp_path / name
    book.save(out)
    return out


@pytest.mark.parametrize("edit, cell, words", [
    (lambda b: b["Data"].__setitem__("B3", "x"), "B3", "a0 of sample 2 must be a number, not 'x'"),
    (lambda b: b["Data"].__setitem__("C4", None), "C4", "a1 of sample 3 must be a number, not empty"),
    (lambda b: b["Data"].__setitem__("D1", None), "D1", "no target"),
    (lambda b: b["Data"].delete_rows(2, 4), "A2", "no sample"),
    (lambda b: b["Sheet1"].__setitem__("B9", 7), "B9", "1 to 4"),
    (lambda b: b["Sheet1"].__setitem__("B9", 1.5), "B9", "1 to 4"),
    (lambda b: b["Sheet1"].__setitem__("B9", b["Sheet1"]["B8"].value), "B9", "again in the first epoch"),
    (lambda b: (b["Data"].__setitem__("C1", "T0"), b["Data"].__setitem__("D1", None)), "B6",
     "holds 1 input(s) and 1 target(s)"),
    (lambda b: b["Data"].__setitem__("A1", "Samples"), "C8", "refer to sheet 'Data', which holds no samples"),
    (lambda b: [b["Data"].__setitem__(f"{c}6", v) for c, v in zip("ABCD", (5, 0.5, 0.5, 0.5))], "F6",
     "the Order column lists 4 samples where the sheet holds 5: make it name each of the samples 1 to 5 once"),
    (lambda b: b["Data"].__setitem__("F6", 1), "F6", "the Order column lists 5 samples where the sheet holds 4"),
])
def test_bad_data_is_refused_naming_the_cell(tmp_path, edit, cell, words):
    path = _edited(tmp_path, edit)
    for command in (["train", path, "-n", "5", "-o", tmp_path / "out.ods"], ["verify", path]):
        result = sheetnet_cli(*command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert cell in line and words in line, line
    assert not (tmp_path / "out.ods").exists()


def test_one_reader_of_numbers_keeps_each_callers_empty_cell():
    """layout.number reads a first data row's cells (empty: 0, as a spreadsheet reads it) and a
    sample's (empty: an error, as for text or a number that is not finite), naming the cell."""
    sheet = Sheet("S")
    for col, value in ((3, 0.25), (4, "x"), (5, math.inf), (6, True), (7, 3)):
        sheet.set(8, col, Cell(value))
    assert number(sheet, 8, 3, "a0") == 0.25 and number(sheet, 8, 7, "a1", empty=None) == 3.0
    assert number(sheet, 8, 8, "w00 of layer 1") == 0.0 and number(sheet, 8, 8, "x", empty=-1.0) == -1.0
    for col, empty, words in ((8, None, "cell H8: a0 of sample 2 must be a number, not empty"),
                              (4, None, "cell D8: a0 of sample 2 must be a number, not 'x'"),
                              (4, 0.0, "cell D8: a0 of sample 2 must be a number, not 'x'"),
                              (5, 0.0, "cell E8: a0 of sample 2 must be a finite number, not inf"),
                              (6, None, "cell F8: a0 of sample 2 must be a number, not True")):
        with pytest.raises(sheetnet.SheetnetError) as e:
            number(sheet, 8, col, "a0 of sample 2", empty=empty)
        assert str(e.value) == f"sheet 'S', {words}"


def test_a_sheet_saved_without_cached_values_computes_its_epoch_costs(tmp_path):
    """openpyxl keeps formulas, not their numbers: the epoch cost is computed like every other formula."""
    saved = _edited(tmp_path, lambda b: None)
    [report] = sheetnet.check(saved).reports
    assert report.ok and report.uncached == report.formulas > 0, report.text()
    trained = tmp_path / "trained.xlsx"
    assert sheetnet_cli("train", saved, "-n", "12", "-o", trained).returncode == 0
    assert all(report.ok for report in sheetnet.check(trained).reports)
    wrong = _edited(tmp_path, lambda b: b["Sheet1"].__setitem__("V11", "=AVERAGE(U9:U11)"), "wrong.xlsx")
    result = sheetnet_cli("verify", wrong)
    assert result.returncode == 1 and "first failing cell: V11" in result.stdout, result.stdout
    assert "the epoch cost is the mean of the cost of the last 4 row(s), U8:U11" in result.stdout, result.stdout


def _cell_edited(src: Path, out: Path, cell: str, pattern: str, edit) -> Path:
    """A copy of an .xlsx whose network sheet (the second, after the data sheet) has cell's XML,
    which must match pattern (from its <c r="..."), replaced by edit(that XML)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                text = data.decode()
                found = re.search(f'<c r="{cell}"' + pattern, text)
                assert found, (cell, pattern)
                data = (text[:found.start()] + edit(found.group(0)) + text[found.end():]).encode()
            zout.writestr(item, data)
    return out


def _rewritten(tmp_path, cell: str, old: str, new: str) -> Path:
    """The online workbook of _edited, unedited, as sheetnet wrote it (cached values kept), with
    one cell's text in the network sheet's XML replaced: a wrong formula or number."""
    src = tmp_path / "online.xlsx"
    assert sheetnet_cli("template", src, "--data", "xor", "--shuffle", "3", "-n", "12", "--force").returncode == 0

    def edit(xml: str) -> str:
        assert old in xml, (cell, xml)
        return xml.replace(old, new)

    return _cell_edited(src, tmp_path / f"wrong_{cell}.xlsx", cell, "[^>]*>.*?</c>", edit)


SIXTH = Dataset.shuffled(XOR.X, XOR.T, 3).samples(6) + 1  # the sample of row 13, iteration 6


@pytest.mark.parametrize("cell, old, new, words", [
    ("C9", "$B$4", "$B$5", "C9, input a0 (layer 0), iteration 2: 'Data'!$B$5: refers to sample 4; iteration 2 "
                           "uses sample 3"),
    ("T11", "$D$", "$C$", "is not a plain reference to the cell of the sample's T0"),
    ("V10", "U8:", "U$8:", "a range mixing relative and absolute ends is not supported"),
    ("V11", "U8:", "U9:", "the epoch cost is the mean of the cost of the last 4 row(s), U8:U11"),
    ("V12", "U9:", "U8:", "the epoch cost is the mean of the cost of the last 4 row(s), U9:U12"),
    ("B13", f"<v>{float(SIXTH)!r}</v>", f"<v>{float(SIXTH % 4 + 1)!r}</v>",
     f"shows sample {SIXTH % 4 + 1}; iteration 6 uses sample {SIXTH}"),
])
def test_verify_names_a_row_that_trains_on_the_wrong_sample(tmp_path, cell, old, new, words):
    result = sheetnet_cli("verify", _rewritten(tmp_path, cell, old, new))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"first failing cell: {cell}" in result.stdout, result.stdout
    assert words in result.stdout, result.stdout


@pytest.mark.parametrize("cell, old, new, formula_faults, value_faults", [
    ("C9", "$B$4", "$B$5", 1, 0),  # a wrong reference, its cached number right
    ("V11", "U8:", "U9:", 1, 0),
    ("B13", f"<v>{float(SIXTH)!r}</v>", f"<v>{float(SIXTH % 4 + 1)!r}</v>", 0, 1),  # no formula: a number that differs
])
def test_a_wrong_sample_dependent_cell_is_counted_once(tmp_path, cell, old, new, formula_faults, value_faults):
    [report] = sheetnet.check(_rewritten(tmp_path, cell, old, new)).reports
    assert (report.failing, report.formula_faults, report.value_faults) == (1, formula_faults, value_faults)
    assert [f.cell for f in report.faults] == [cell]


def test_verify_finds_an_order_broken_in_a_later_epoch(tmp_path):
    """Rows 12 and 13 (the second epoch's first two) swap their samples, references and all: every
    number follows from the sheet's own cells, but not the order of the first epoch."""
    src = tmp_path / "online.xlsx"
    assert sheetnet_cli("template", src, "--data", "xor", "-n", "12").returncode == 0
    assert sheetnet.check(src).ok
    order = [1, 2, 3, 4, 2, 1, 3, 4, 1, 2, 3, 4]  # in turn, but for the second epoch's first two
    data = Dataset(XOR.X, XOR.T)
    net = sheetnet.Network.fresh((2, 2, 1), data=data)
    path = tmp_path / "swapped.xlsx"
    swapped = Dataset(XOR.X[[s - 1 for s in order]], XOR.T[[s - 1 for s in order]])
    trace = sheetnet.Network(net.W, lr=net.lr, data=swapped).train(12, progress=False)
    numbers = trace.numbers.copy()
    numbers[:, 0] = order
    assert sheetnet.check(src).ok
    sheetnet.write(path, sheetnet.Trace(net, numbers), progress=False)
    found = sheetnet.check(path)
    assert not found.ok
    assert found.reports[0].first.cell == "B12" and "iteration 5 uses sample 1" in found.reports[0].first.problem


def test_resume_continues_row_for_row(tmp_path):
    src = tmp_path / "xor.ods"
    assert sheetnet_cli("template", src, "--data", "xor", "--shuffle", "7", "-n", "500").returncode == 0
    resumed, whole = tmp_path / "resumed.ods", tmp_path / "whole.ods"
    result = sheetnet_cli("train", src, "--resume", "-n", "500", "-o", resumed, "--results-only")
    assert result.returncode == 0, result.stderr
    assert "iterations 501 to 1,000" in result.stdout
    assert sheetnet_cli("train", src, "-n", "1000", "-o", whole, "--results-only").returncode == 0
    later, full = sheetnet.open(resumed).trace().numbers, sheetnet.open(whole).trace().numbers
    epoch = 20  # the epoch cost's column (V) from B: the resumed sheet's averages its own rows
    assert [int(s) for s in later[:, 0]] == [int(s) for s in full[500:, 0]]
    np.testing.assert_array_equal(np.delete(later, epoch, axis=1), np.delete(full[500:], epoch, axis=1))
    np.testing.assert_array_equal(later[3:, epoch], full[503:, epoch])
    book = formats.read(resumed)
    assert "iterations 501 to 1,000" in book.sheet("Sheet1").value(1, 1)
    assert "iterations 501 to 1,000" in book.sheet("Sheet1 summary").value(5, 3)
    assert sheetnet.check(resumed).ok


def test_a_resumed_sheet_resumed_again_numbers_on_from_its_own_iterations(tmp_path):
    src = tmp_path / "xor.ods"
    assert sheetnet_cli("template", src, "--data", "xor", "-n", "8").returncode == 0
    once, twice, whole = tmp_path / "once.ods", tmp_path / "twice.ods", tmp_path / "whole.ods"
    assert sheetnet_cli("train", src, "--resume", "-n", "6", "-o", once, "--results-only").returncode == 0
    result = sheetnet_cli("train", once, "--resume", "-n", "5", "-o", twice, "--results-only")
    assert result.returncode == 0, result.stderr
    assert "iterations 15 to 19" in result.stdout
    assert "iterations 15 to 19" in formats.read(twice).sheet("Sheet1").value(1, 1)
    assert sheetnet_cli("train", src, "-n", "19", "-o", whole, "--results-only").returncode == 0
    later, full = sheetnet.open(twice).trace().numbers, sheetnet.open(whole).trace().numbers
    np.testing.assert_array_equal(later[:, 0], full[14:, 0])  # the samples go on in the cycle
    np.testing.assert_array_equal(later[:, 1:20], full[14:, 1:20])


def test_a_note_naming_iterations_in_a_sheet_name_does_not_move_the_numbering():
    """The iterations are read from the end of the note, after the file and sheet names (any text)."""
    from sheetnet.layout.numbering import noted_first as _noted_first
    end = ": iterations 15 to 19, one per row, from the weights after the update of iteration 14."
    assert _noted_first("Trained by sheetnet from a.ods, sheet S" + end) == 15
    assert _noted_first("Trained by sheetnet from a.ods, sheet S" + end.replace("14.", "14, on the data sheet's "
                                                                                "samples.")) == 15
    hostile = "Trained by sheetnet from x.ods, sheet S" + end.replace("15", "900") + ": 3 iterations, one per row."
    assert _noted_first(hostile) == 1
    assert _noted_first(end.replace("14.", "13.")) == 1  # the two numbers disagree: not sheetnet's note
    assert _noted_first(None) == 1 and _noted_first(3.0) == 1


def test_resume_of_a_classic_sheet_of_every_kth_iteration(tmp_path):
    src = tmp_path / "net.xlsx"
    assert sheetnet_cli("template", src, "--seed", "3").returncode == 0
    logged = tmp_path / "logged.xlsx"
    assert sheetnet_cli("train", src, "-n", "1001", "--log-every", "100", "-o", logged,
                        "--results-only").returncode == 0
    resumed = sheetnet.open(logged).resume()
    assert resumed.first == 1002
    expected = sheetnet.open(src)["Sheet1"].train(1002, progress=False)
    for l in (1, 2):
        np.testing.assert_allclose(resumed.W[l], expected.W[l][-1], rtol=1e-13)


def test_explain_says_which_sample_an_input_is(tmp_path):
    src = tmp_path / "xor.ods"
    assert sheetnet_cli("template", src, "--data", "xor", "--shuffle", "3", "-n", "8").returncode == 0
    s = Dataset.shuffled(XOR.X, XOR.T, 3).samples(2) + 1
    result = sheetnet_cli("explain", src, "D9")
    assert result.returncode == 0, result.stderr
    assert f"sample {s}'s a1 on the data sheet 'Data' (C{1 + s} there)" in result.stdout
    for cell in ("B9", "V10"):
        assert sheetnet_cli("explain", src, cell).returncode == 0


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_a_sheet_of_every_kth_iteration_verifies_and_resumes(tmp_path, suffix):
    """Its rows do not show the order of the samples: the data sheet's Order column does."""
    src = tmp_path / f"xor{suffix}"
    assert sheetnet_cli("template", src, "--data", "xor", "--shuffle", "3").returncode == 0
    logged = tmp_path / f"logged{suffix}"
    assert sheetnet_cli("train", src, "-n", "1000", "--log-every", "7", "-o", logged, "--results-only").returncode == 0
    data = datasheet.read(formats.read(logged).sheet("Data"))
    assert data.ordered and data.data.order.tolist() == Dataset.shuffled(XOR.X, XOR.T, 3).order.tolist()
    [report] = sheetnet.check(logged).reports
    assert report.ok and report.every == 7 and report.iterations == 1000
    resumed = sheetnet.open(logged).resume()
    whole = sheetnet.open(src)["Sheet1"].train(1001, progress=False)
    assert resumed.first == 1001 and resumed.data.samples(1) == whole.network.data.samples(1001)
    for l in (1, 2):
        np.testing.assert_allclose(resumed.W[l], whole.W[l][-1], rtol=1e-13)


def _with_sample(src: Path, out: Path, cell: str, sample: int) -> Path:
    """A copy of an .xlsx whose network sheet (the second, after the data sheet) shows another
    sample number in cell, a cell of the sample column (a number, no formula)."""
    return _cell_edited(src, out, cell, "[^>]*><v>[^<]*</v></c>", lambda _: f'<c r="{cell}"><v>{sample}</v></c>')


def test_verify_numbers_a_resumed_online_sheet_as_train_does(tmp_path):
    """A sheet resumed after iteration 6 holds iterations 7, 8, ...: verify names them so, and the
    sample each takes is order[(k - 1) mod m] of its data sheet's Order column, which holds the
    order of the epochs as the sheets number their iterations (not one rolled to the resumed row)."""
    src, once = tmp_path / "xor.xlsx", tmp_path / "once.xlsx"
    assert sheetnet_cli("template", src, "--data", "xor", "--shuffle", "3", "-n", "6").returncode == 0
    result = sheetnet_cli("train", src, "--resume", "-n", "9", "-o", once, "--results-only")
    assert result.returncode == 0 and "iterations 7 to 15" in result.stdout, result.stdout + result.stderr
    shuffled = Dataset.shuffled(XOR.X, XOR.T, 3)
    assert datasheet.read(formats.read(once).sheet("Data")).data.order.tolist() == shuffled.order.tolist()
    result = sheetnet_cli("verify", once)
    assert result.returncode == 0, result.stdout
    [report] = sheetnet.check(once).reports
    assert (report.first_iteration, report.iterations, report.last_iteration) == (7, 9, 15)
    assert "iterations 7 to 15 (rows 8-16)" in report.text()
    assert sheetnet.open(once).trace().numbers[:, 0].tolist() == [shuffled.samples(k) + 1 for k in range(7, 16)]
    # Row 13, after the first epoch's rows (which show the order), shows iteration 12: it takes the
    # sample the Order column names last ((12 - 1) mod 4 = 3).
    uses = shuffled.samples(12) + 1
    assert uses == shuffled.order[3] + 1
    wrong = uses % 4 + 1
    result = sheetnet_cli("verify", _with_sample(once, tmp_path / "wrong.xlsx", "B13", wrong))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "first failing cell: B13, the number of the row's sample, iteration 12" in result.stdout, result.stdout
    assert f"shows sample {wrong}; iteration 12 uses sample {uses}" in result.stdout, result.stdout


def test_resumed_sheets_of_every_kth_iteration_verify_in_a_copy(tmp_path):
    """train --resume into a copy of the workbook keeps its data sheet: the resumed sheet of numbers
    (which shows no order) takes its samples from that Order column, numbered on from its noted
    first iteration, 1,004 (1,003 is no multiple of the 4 samples); twice, then once with formulas."""
    src = tmp_path / "x.ods"
    assert sheetnet_cli("template", src, "--layers", "2", "2", "1", "--data", "xor", "--shuffle", "3").returncode == 0
    steps = [(src, None, "a.ods", ("-n", "1003", "--log-every", "7")),
             ("a.ods", "Sheet1 trained", "b.ods", ("--resume", "-n", "1001", "--log-every", "7")),
             ("b.ods", "Sheet1 trained trained", "c.ods", ("--resume", "-n", "1002", "--log-every", "7")),
             ("c.ods", "Sheet1 trained trained trained", "d.ods", ("--resume", "-n", "6"))]
    for before, sheet, after, args in steps:
        result = sheetnet_cli("train", tmp_path / before, *(("--sheet", sheet) if sheet else ()), *args,
                              "-o", tmp_path / after)
        assert result.returncode == 0, result.stderr
        result = sheetnet_cli("verify", tmp_path / after)
        assert result.returncode == 0, result.stdout + result.stderr
    reports = sheetnet.check(tmp_path / "d.ods").reports
    assert [(r.first_iteration, r.last_iteration, r.every) for r in reports] == [
        (1, 4, 1), (1, 1003, 7), (1004, 2004, 7), (2005, 3006, 7), (3007, 3012, 1)]
    book = sheetnet.open(tmp_path / "d.ods")
    last = book.networks[-1]
    assert last.first == 3007
    whole = book["Sheet1"]
    samples = [whole.data.samples(k) + 1 for k in range(3007, 3013)]
    assert book.trace(last.name).numbers[:, 0].tolist() == samples
    resumed = book.resume(last.name)
    expected = whole.train(3013, progress=False)
    assert resumed.first == 3013 and resumed.data.samples(1) == whole.data.samples(3013)
    for l in (1, 2):
        np.testing.assert_allclose(resumed.W[l], expected.W[l][-1], rtol=1e-12)


@pytest.mark.parametrize("args", [("-n", "6", "--log-every", "2"), ("-n", "1002", "--log-every", "1000"),
                                  *(("--resume", "-n", "7", "--log-every", str(k)) for k in (2, 4, 5))])
def test_the_last_row_of_every_kth_iteration_averages_the_last_m_costs(tmp_path, args):
    """The last row follows the row above by fewer than m iterations: its epoch cost still takes
    the costs of the m iterations up to it, some of them before the row above."""
    src = tmp_path / "p.xlsx"
    assert sheetnet_cli("template", src, "--data", "xor", "--layers", "2", "2", "1", "--seed", "1").returncode == 0
    logged = tmp_path / "logged.xlsx"
    assert sheetnet_cli("train", src, *args, "-o", logged, "--results-only").returncode == 0
    assert all(report.ok for report in sheetnet.check(logged).reports)


def _without_order(path: Path, out: Path) -> Path:
    """The workbook with its data sheet's Order column (F) taken out, every cached number kept."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # the data sheet, first
                assert b"<t>Order</t>" in data
                data = re.sub(rb'<c r="F[0-9]+"[^>]*>.*?</c>', b"", data)
            zout.writestr(item, data)
    return out


@pytest.mark.parametrize("every", [1, 3])
def test_a_sheet_of_every_kth_iteration_without_an_order_column_is_refused(tmp_path, every):
    src = tmp_path / "ts.xlsx"
    assert sheetnet_cli("template", src, "--data", "xor", "--shuffle", "5", "-n", "10").returncode == 0
    logged = tmp_path / "logged.xlsx"
    assert sheetnet_cli("train", src, "-n", "10", "--log-every", every, "-o", logged).returncode == 0
    bare = _without_order(logged, tmp_path / "bare.xlsx")
    result = sheetnet_cli("verify", bare)
    if every == 1:  # its rows show the order
        assert result.returncode == 0, result.stdout + result.stderr
        return
    assert result.returncode == 2 and not result.stdout, result.stdout
    [line] = result.stderr.strip().splitlines()
    assert "sheet 'Sheet1 trained', cell E9: row 9 does not show iteration 2, and its data sheet has no Order " \
           "column" in line, line
    result = sheetnet_cli("train", bare, "--resume", "-n", "3", "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2 and "its data sheet has no Order column" in result.stderr


def test_a_bad_order_column_is_refused_naming_the_cell(tmp_path):
    path = _edited(tmp_path, lambda b: b["Data"].__setitem__("F3", b["Data"]["F2"].value))  # a sample twice
    result = sheetnet_cli("train", path, "-n", "5", "-o", tmp_path / "out.ods")
    assert result.returncode == 2 and "'Data', cell F3" in result.stderr and "once" in result.stderr


def test_a_sweep_trains_on_the_samples(tmp_path):
    net = sheetnet.Network.fresh((2, 2, 1), seed=2, data=Dataset.shuffled(XOR.X, XOR.T, 1))
    swept = sheetnet.sweep(tmp_path / "sweep.xlsx", net, [0.5, 4], 400, progress=False)
    book = formats.read(tmp_path / "sweep.xlsx")
    assert book.names[0] == "Data" and swept.sheet in book.names
    assert sheetnet.check(tmp_path / "sweep.xlsx").ok
    fast = sheetnet.Network(net.W, lr=4, data=net.data).train(400, progress=False)
    # The sweep compares epoch costs: a row's cost is its own sample's.
    assert swept.curves[1].final == fast.epoch[-1] and swept.curves[1].first == fast.epoch[3]


NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda name: sheet_name_problem(name) is None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, suffix=st.sampled_from([".ods", ".xlsx"]))
def test_a_data_sheet_of_any_name(tmp_path, name, suffix):
    """A data sheet keeps its name (one read from a workbook, say) where the network's sheet does
    not take it; every reference to it, rendered by the formats, reads back to its cells."""
    net = sheetnet.Network.fresh((2, 2, 1), seed=1, data=Dataset.shuffled(XOR.X, XOR.T, 2))
    net.datasheet = datasheet.DataSheet(name, net.data)
    path = tmp_path / f"named{suffix}"
    sheetnet.write(path, net, 9, progress=False)
    book = formats.read(path)
    [(sheet, layout, problem)] = networks(book)
    assert book.names[0] == layout.data.name
    assert layout.data.name == name or name.casefold() in [n.casefold() for n in book.names[1:]]  # taken
    np.testing.assert_array_equal(problem.data.order, net.data.order)
    assert sheetnet.check(path).ok


def test_networks_on_one_data_sheet_share_it_when_written_again(tmp_path):
    data = Dataset.shuffled(XOR.X, XOR.T, 4)
    nets = [sheetnet.Network.fresh((2, 2, 1), 1, "A", data=data), sheetnet.Network.fresh((2, 3, 1), 2, "B", data=data)]
    sheetnet.write(tmp_path / "two.ods", nets, 8, progress=False)
    book = sheetnet.open(tmp_path / "two.ods")
    sheetnet.write(tmp_path / "two.xlsx", book.networks, 20, progress=False)
    assert formats.read(tmp_path / "two.xlsx").names == ["Data", "A", "A summary", "B", "B summary", "A check",
                                                          "B check"]
    assert sheetnet.check(tmp_path / "two.xlsx").ok


def test_a_sheet_shorter_than_an_epoch_goes_on_in_the_data_sheets_order(tmp_path):
    rng = np.random.default_rng(5)
    data = Dataset.shuffled(rng.uniform(0, 1, (30, 2)), rng.uniform(0, 1, (30, 1)), 8)
    net = sheetnet.Network.fresh((2, 2, 1), 3, data=data)
    sheetnet.write(tmp_path / "short.xlsx", net, 5, progress=False)  # 5 rows of an epoch of 30
    [read] = sheetnet.open(tmp_path / "short.xlsx").networks
    np.testing.assert_array_equal(read.data.order, data.order)
    np.testing.assert_array_equal(read.train(70, progress=False).numbers, net.train(70, progress=False).numbers)


def test_a_sample_edited_in_the_file_moves_every_row_in_libreoffice(tmp_path):
    """The .xlsx edited as a user would (openpyxl: Data!C3, sample 2's a1, from 1 to 0.25),
    recalculated by LibreOffice: every row follows, as the recomputation on the edited samples."""
    openpyxl = pytest.importorskip("openpyxl")
    data = Dataset.shuffled(XOR.X, XOR.T, 3)
    path = tmp_path / "xor.xlsx"
    online_workbook(path, n=40, data=data)
    book = openpyxl.load_workbook(path)
    assert book["Data"]["C3"].value == 1
    book["Data"]["C3"] = 0.25
    book.save(tmp_path / "edited.xlsx")
    theirs = formats.read(convert(tmp_path / "edited.xlsx", tmp_path / "lo", "xlsx")).sheet("Sheet1")
    X = XOR.X.copy()
    X[1, 1] = 0.25
    expected = sheetnet.Network.fresh((2, 2, 1), seed=4, data=Dataset(X, XOR.T, data.order)).train(40, progress=False)
    for k in range(40):
        for j, x in enumerate(expected.numbers[k]):
            assert close(theirs.value(8 + k, 2 + j), x), (8 + k, 2 + j, theirs.value(8 + k, 2 + j), x)


@pytest.mark.parametrize("cell, value, message", [
    ("A3", "3.0", "cell A3: expected sample number 2 here, not 3: the samples are numbered"),
    ("F3", "1.0", "cell F3: the order of an epoch names each of the samples 1 to 4 once, not 1 here"),
])
def test_a_data_sheets_wrong_sample_number_is_named_as_a_whole_number(tmp_path, cell, value, message):
    """The file stores whole numbers as 3.0; a message names sample 3 (it said 'not 3.0')."""
    from test_verify import _edit_xlsx

    path, edited = tmp_path / "xor.xlsx", tmp_path / "edited.xlsx"
    made = sheetnet_cli("template", path, "--data", "xor")
    assert made.returncode == 0, made.stderr
    _edit_xlsx(path, edited, cell, value=value)  # the Data sheet is the first
    result = sheetnet_cli("train", edited, "-n", "2", "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2 and f"edited.xlsx, sheet 'Data', {message}" in result.stderr, result.stderr
