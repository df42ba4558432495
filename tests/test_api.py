"""The Python API: the command's numbers and files, traces that come back as written, errors that say where."""

import shutil
import subprocess
import sys

import corpus as C
import numpy as np
import pytest
from conftest import ROOT

import sheetnet
from sheetnet import formats
from sheetnet.commands import progress
from sheetnet.grid import address
from sheetnet.layout import Layout, networks

BUNDLED = ROOT / "spreadsheets" / "Simple_Neural_Net.ods"
N, EVERY = 250, 7  # 249 is not a multiple of EVERY: the last row of a --log-every sheet is extra
WIDE = (16, 8, 2)  # more weights than the float code takes: the numpy path


def command(*args, cwd=None):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    result = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def grid(path) -> dict:
    """{sheet: {(row, col): (value, formula)}} of every cell of a workbook."""
    return {s.name: {(r, c): tuple(cell) for r, cells in s.rows.items() for c, cell in cells.items()}
            for s in formats.read(path).sheets}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The bundled workbook, and a network wide enough for the numpy path, each as a template."""
    folder = tmp_path_factory.mktemp("api")
    shutil.copy(BUNDLED, folder / "net.ods")
    command("template", folder / "wide.ods", "--layers", *WIDE, "--seed", 3)
    return folder


# -- the same as the command, cell for cell ----------------------------------------------------------------------

@pytest.mark.parametrize("name, options, sheet, copy", [
    ("every.ods", ["-n", N, "--results-only"], None, False),
    ("sparse.xlsx", ["-n", N, "--log-every", EVERY, "--results-only"], None, False),
    ("copy.ods", ["-n", 20], None, True),
    ("ark2.csv", ["-n", N, "--sheet", "Ark2"], "Ark2", False),
    ("wide.xlsx", ["-n", 30, "--results-only"], None, False),
])
def test_write_makes_the_commands_file(folder, tmp_path, name, options, sheet, copy):
    source = folder / ("wide.ods" if name.startswith("wide") else "net.ods")
    command("train", source, "-o", tmp_path / f"command_{name}", *options)
    book = sheetnet.open(source, sheet)
    n, every = options[1], options[options.index("--log-every") + 1] if "--log-every" in options else 1
    saved = sheetnet.write(tmp_path / f"api_{name}", book.networks, n, every, copy_of=book if copy else None)
    assert saved.notes == []
    if name.endswith(".csv"):
        assert (tmp_path / f"api_{name}").read_bytes() == (tmp_path / f"command_{name}").read_bytes()
        return
    mine, theirs = grid(tmp_path / f"api_{name}"), grid(tmp_path / f"command_{name}")
    assert list(mine) == list(theirs) and saved.sheets == [net.name + " trained" * copy for net in book]
    for s in theirs:
        assert mine[s] == theirs[s], s


@pytest.mark.parametrize("name, every", [("every.ods", 1), ("sparse.xlsx", EVERY), ("wide.ods", 1)])
def test_a_trace_holds_the_numbers_the_command_writes(folder, tmp_path, name, every):
    source = folder / ("wide.ods" if name.startswith("wide") else "net.ods")
    command("train", source, "-n", N, "--log-every", every, "-o", tmp_path / name, "--results-only")
    found = networks(formats.read(tmp_path / name))
    assert len(found) == len(sheetnet.open(source))
    for net, (sheet, layout, _) in zip(sheetnet.open(source), found):
        trace = net.train(N, every)
        rows = range(layout.first_row, layout.first_row + len(trace))
        written = np.array([[sheet.value(r, c.col) for c in layout.columns] for r in rows])
        np.testing.assert_array_equal(trace.numbers, written)
        assert trace.iterations.tolist() == list(range(1, N + 1, every)) + [N] * ((N - 1) % every != 0)
        assert sheet.max_row == rows[-1]


def test_a_traces_arrays_are_the_rows_quantities(folder):
    """Each quantity is where its label is in the sheet's columns: W(l) in the note's form, row j and column i."""
    net = sheetnet.open(folder / "net.ods")["Sheet1"]
    trace = net.train(40)
    layout = Layout(net.sizes)
    col = lambda kind, l, j=0, i=0: layout.at(kind, l, j, i).col - layout.first_col  # noqa: E731
    k = 17
    assert trace.W[2][k, 1, 0] == trace.numbers[k, col("weight", 2, 1, 0)]
    assert trace.change[1][k, 0, 2] == trace.numbers[k, col("change", 1, 0, 2)] == trace.delta[1][k, 0]
    assert trace.a[2][k, 1] == trace.numbers[k, col("activation", 2, 1)]
    assert trace.C[k] == trace.numbers[k, col("cost", 2)]
    assert trace.a[0].shape == (40, 2) and trace.T.shape == (40, 2) and trace.W[1].shape == (40, 2, 3)
    np.testing.assert_array_equal(trace.W[1][0], net.W[1])
    # W of each iteration is the one before it less γ dC/dW
    np.testing.assert_allclose(trace.W[2][1:], trace.W[2][:-1] - net.lr * trace.change[2][:-1], rtol=0, atol=1e-16)


# -- traces read back ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
@pytest.mark.parametrize("every, sizes", [(1, (2, 2, 2)), (EVERY, (2, 2, 2)), (1, WIDE)])
def test_a_trace_read_back_is_the_trace_written(tmp_path, suffix, every, sizes):
    net = sheetnet.Network.fresh(sizes, seed=5, name="Net")
    trace = net.train(60, every)
    sheetnet.write(tmp_path / f"t{suffix}", trace)
    back = sheetnet.open(tmp_path / f"t{suffix}").trace("Net", every=every, n=60)
    np.testing.assert_array_equal(back.numbers, trace.numbers)
    assert (back.n, back.every, back.changes, back.network.name) == (60, every, True, "Net")
    for l in range(1, len(sizes)):
        np.testing.assert_array_equal(back.network.W[l], net.W[l])
    assert back.network.lr == net.lr and back.network.source == tmp_path / f"t{suffix}"


def test_a_sheets_cached_rows_without_change_matrices(folder, tmp_path):
    """The bundled Sheet1 has no dC/dW columns: its trace has none, and is written back without them."""
    book = sheetnet.open(folder / "net.ods")
    cached = book.trace("Sheet1")
    assert not cached.changes and cached.change == [None, None, None] and len(cached) == 995
    np.testing.assert_array_equal(cached.numbers, book["Sheet1"].train(995).numbers[:, :cached.numbers.shape[1]])
    sheetnet.write(tmp_path / "again.xlsx", cached)
    back = sheetnet.open(tmp_path / "again.xlsx").trace()
    np.testing.assert_array_equal(back.numbers, cached.numbers)
    assert not back.changes and sheetnet.check(tmp_path / "again.xlsx").ok


def test_cached_rows_stop_at_the_first_gap_and_read_nan_where_no_number_is(tmp_path):
    grid, layout = C.network()
    cost = layout.at("cost", 2).col
    for r in (layout.first_row + 1, layout.first_row + 2, layout.first_row + 4):  # row first + 3 is the gap
        for c in layout.columns:
            grid[(r, c.col)] = 1.0
    grid[(layout.first_row + 1, cost)] = "text"
    del grid[(layout.first_row + 2, cost)]
    trace = sheetnet.open(C.ods(tmp_path / "gap.ods", {"S": grid})).trace("S")
    assert len(trace) == 3 and np.isnan(trace.C[1:]).all() and trace.C[0] == grid[(layout.first_row, cost)]


def test_to_frame_is_labelled_as_the_sheet(tmp_path):
    trace = sheetnet.Network.fresh((3, 2, 2), seed=1).train(30, 4)
    sheetnet.write(tmp_path / "t.ods", trace)
    [(sheet, layout, _)] = networks(formats.read(tmp_path / "t.ods"))
    frame = trace.to_frame()
    labels = [sheet.value(layout.label_row, c) for c in range(layout.first_col, layout.last_col + 1)]
    assert frame.columns.get_level_values("label").tolist() == labels
    assert frame.columns.get_level_values("quantity").tolist()[:7] == ["a(0)"] * 3 + ["W(1)"] * 4
    assert frame.index.tolist() == [1, 5, 9, 13, 17, 21, 25, 29, 30] and frame.index.name == "iteration"
    np.testing.assert_array_equal(frame.to_numpy(), trace.numbers)
    np.testing.assert_array_equal(frame[("C", "C")].to_numpy(), trace.C)
    np.testing.assert_array_equal(frame["δ(2)"].to_numpy(), trace.delta[2])


def test_to_frame_without_pandas_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    with pytest.raises(sheetnet.SheetnetError, match=r"pip install 'sheetnet\[pandas\]'"):
        sheetnet.Network.fresh().train(2).to_frame()


# -- verify ---------------------------------------------------------------------------------------------------------

def note_backprop(net: sheetnet.Network, n: int, transpose: bool = True) -> dict:
    """The note's training written out in plain numpy, independently of sheetnet: each quantity
    of each iteration, stacked. transpose=False makes the note's misprint, δ(l) from W rather than Wᵀ."""
    W, x, T, lr = [w.copy() for w in net.W[1:]], net.inputs, net.T, net.lr
    kept = {"W": [], "a": [], "delta": [], "change": [], "C": []}
    for _ in range(n):
        a = [x]
        for w in W:
            a.append(1 / (1 + np.exp(-(w @ np.append(a[-1], 1)))))
        delta = [(a[-1] - T) * a[-1] * (1 - a[-1])]
        for l in range(len(W) - 1, 0, -1):
            back = W[l][:, :-1].T if transpose else W[l][:, :-1]
            delta.insert(0, a[l] * (1 - a[l]) * (back @ delta[0]))
        change = [np.outer(d, np.append(a_below, 1)) for d, a_below in zip(delta, a)]
        for key, value in zip(kept, ([w.copy() for w in W], a, delta, change, 0.5 * np.sum((a[-1] - T) ** 2))):
            kept[key].append(value)
        W = [w - lr * c for w, c in zip(W, change)]
    stack = lambda lists: [np.stack(xs) for xs in zip(*lists)]  # noqa: E731
    return {"W": stack(kept["W"]), "a": stack(kept["a"]), "delta": stack(kept["delta"]),
            "change": stack(kept["change"]), "C": np.array(kept["C"])}


def test_an_independent_trace_agrees_and_checks(tmp_path):
    net = sheetnet.Network.fresh((2, 3, 2), seed=4)
    mine = sheetnet.Trace.of(net, **note_backprop(net, 50))
    np.testing.assert_allclose(mine.numbers, net.train(50).numbers, rtol=1e-13, atol=1e-16)
    found = sheetnet.check(mine)
    assert found.ok and found.reports[0].iterations == 50 and found.reports[0].formulas == 0


def test_check_finds_where_a_trace_goes_wrong():
    net = sheetnet.Network.fresh((2, 2, 2), seed=4)  # square, so that the misprint computes at all
    right = net.train(20)
    wrong = sheetnet.Trace.of(net, **note_backprop(net, 20, transpose=False))
    found = sheetnet.check(wrong)
    report = found[net.name]
    assert not found.ok and not report.ok
    layout = Layout(net.sizes)
    deltas = [address(layout.first_row, layout.at("delta", 1, j).col) for j in range(2)]
    first = report.first
    assert first.cell in deltas and "delta" in first.what and "iteration 1" in first.what
    j = deltas.index(first.cell)
    assert first.expected == pytest.approx(right.delta[1][0, j], rel=1e-12)
    assert first.found == wrong.delta[1][0, j] != pytest.approx(first.expected, rel=1e-6)
    assert {q.name for q in report.quantities} >= {"δ(1)", "W(1)", "C"}
    assert found.as_dict()["networks"][0]["first_failure"]["cell"] == first.cell
    assert found.text().startswith(f"trace of {net.name!r}: fails") and "sheetnet explain" not in found.text()


def test_check_says_what_the_verify_command_says(tmp_path):
    cost = (C.FIRST, C.LAYOUT.at("cost", 2).col)
    path = C.ods(tmp_path / "spoiled.ods", {"S": C.spoiled({cost: 0.5}), "T": C.network()[0]})
    exe = shutil.which("sheetnet")
    for options in ([], ["--json"]):
        result = subprocess.run([exe, "verify", path, *options], capture_output=True, text=True, timeout=300)
        found = sheetnet.check(path)
        assert result.returncode == 1 and not found.ok and found["T"].ok and not found["S"].ok
        assert result.stdout == (found.json() if options else found.text()) + "\n"
    assert found["S"].first.cell == address(*cost) and found["S"].first.found == 0.5


# -- errors -----------------------------------------------------------------------------------------------------

def test_an_error_names_the_file_sheet_and_cell(tmp_path):
    path = C.ods(tmp_path / "bad.ods", {"S": C.spoiled({(C.FIRST, C.W01): "x"})})
    with pytest.raises(sheetnet.SheetnetError) as caught:
        sheetnet.open(path)
    e = caught.value
    assert (e.file, e.sheet, e.cell) == (path, "S", address(C.FIRST, C.W01))
    assert str(e) == f"{path}, sheet 'S', cell {address(C.FIRST, C.W01)}: w01 of layer 1 must be a number, not 'x'"


def test_an_overflow_names_the_file_and_sheet(tmp_path):
    path = C.ods(tmp_path / "huge.ods", {"S": C.spoiled({(C.FIRST, C.LAYOUT.at("target", 2, 0).col): 1e300})})
    with pytest.raises(sheetnet.SheetnetError, match="overflow") as caught:
        sheetnet.open(path)["S"].train(5)
    assert (caught.value.file, caught.value.sheet) == (path, "S")


def test_a_wrong_count_of_rows_names_the_sheets_first_data_cell(tmp_path):
    sheetnet.write(tmp_path / "t.ods", sheetnet.Network.fresh(name="S"), 10)
    with pytest.raises(sheetnet.SheetnetError, match="10 rows cannot show") as caught:
        sheetnet.open(tmp_path / "t.ods").trace("S", every=3, n=40)
    assert (caught.value.file, caught.value.sheet, caught.value.cell) == (tmp_path / "t.ods", "S", "C8")


@pytest.mark.parametrize("arguments, message", [
    (dict(W=[np.zeros((2, 3)), np.zeros((2, 4))]), r"W\(2\) has shape \(2, 4\)"),
    (dict(W=[np.zeros((2, 3))], inputs=[0.1]), r"inputs a\(0\) has shape \(1,\)"),
    (dict(W=[np.zeros((2, 3))], lr=0), "learning rate must be a positive number"),
    (dict(W=[np.zeros((2, 3))], T=[np.nan, 0.5]), "finite"),
    (dict(W=[np.zeros((0, 3))]), "at least two layers of at least one neuron"),
])
def test_a_network_from_arrays_is_checked(arguments, message):
    given = dict(inputs=[0.1, 0.9], T=[0.3, 0.4]) | arguments
    with pytest.raises(sheetnet.SheetnetError, match=message):
        sheetnet.Network(**given)


def test_a_negative_seed_is_bad_input_not_numpys_valueerror():
    with pytest.raises(sheetnet.SheetnetError, match="a seed is a whole number from 0, not -1"):
        sheetnet.Dataset.shuffled([[0, 1], [1, 0]], [[1], [1]], -1)
    with pytest.raises(sheetnet.SheetnetError, match="a seed is a whole number from 0, not -2"):
        sheetnet.Network.fresh((2, 2, 1), seed=-2)


def test_counts_and_ordinals_read_as_english():
    """'1 iterations', 'every 2th' and '1100 samples' were printed; now '1 iteration', 'every 2nd', '1,100'."""
    from sheetnet.grid import counted, ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 1000)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "1,000th"]
    assert (counted(1, "sample"), counted(1100, "sample")) == ("1 sample", "1,100 samples")
    net = sheetnet.Network.fresh()
    assert repr(net.train(1)) == "<Trace 'Sheet1': 2-2-2, 1 iteration, cost 0.0605717 -> 0.0605717>"
    assert ", 1,200 iterations in 401 rows (every 3rd)," in repr(net.train(1200, every=3))
    data = sheetnet.Dataset(np.zeros((1100, 2)), np.zeros((1100, 1)))
    assert repr(sheetnet.Network.fresh(data=data)).endswith(", on 1,100 samples>")


def test_a_notes_rows_are_named_by_ordinals(tmp_path):
    sheetnet.write(tmp_path / "t.ods", sheetnet.Network.fresh(), 21, every=2)
    note = formats.read(tmp_path / "t.ods").sheets[0].value(1, 1)
    assert "21 iterations, one row for every 2nd (iterations 1, 3, 5, ... and 21)" in note


def test_a_network_from_arrays_trains_as_from_a_sheet(folder):
    read = sheetnet.open(folder / "net.ods")["Sheet1"]
    made = sheetnet.Network(W=read.W, inputs=[0.1, 0.9], T=[0.3, 0.4], lr=0.5)  # read.W has the leading None
    np.testing.assert_array_equal(made.train(30).numbers, read.train(30).numbers)
    made.W[1][0, 0] = 7.0  # a network's arrays are its own
    assert sheetnet.Network.fresh().W[1][0, 0] == 0.5 == read.W[1][0, 0]


def test_write_never_replaces_a_source(folder, tmp_path):
    path = shutil.copy(folder / "net.ods", tmp_path / "net.ods")
    before = path.read_bytes()
    book = sheetnet.open(path)
    for target in (book["Sheet1"], book["Sheet1"].train(3)):
        with pytest.raises(sheetnet.SheetnetError, match="is the input file") as caught:
            sheetnet.write(path, target, 3)
        assert caught.value.file == path and path.read_bytes() == before


def test_traces_of_one_sheet_are_written_side_by_side(tmp_path):
    net = sheetnet.Network.fresh()
    saved = sheetnet.write(tmp_path / "two.ods", [net.train(5), net.train(9, every=2)])
    assert saved.sheets == ["Sheet1", "Sheet1 2"]
    assert [len(sheetnet.open(tmp_path / "two.ods").trace(s)) for s in saved.sheets] == [5, 5]


# -- progress -----------------------------------------------------------------------------------------------------

class Terminal:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


def test_training_shows_progress_on_a_terminal_and_nothing_elsewhere(monkeypatch, capsys):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "REDRAW", 0.0)
    net = sheetnet.Network.fresh()
    net.train(300_000, every=1000)
    assert capsys.readouterr() == ("", "")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    net.train(300_000, every=1000, progress=False)
    assert terminal.text == ""
    net.train(300_000, every=1000)
    assert "Sheet1" in terminal.text and "/300k" in terminal.text


def test_the_api_is_typed_and_documented():
    assert (ROOT / "sheetnet" / "py.typed").exists() and 'sheetnet = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()
    for name in [*sheetnet.__all__, "open"]:
        thing = getattr(sheetnet, name)
        assert thing.__doc__, name
        if callable(thing) and not isinstance(thing, type):
            assert "return" in thing.__annotations__, name


def test_check_takes_a_traces_own_every():
    """A trace knows its K: check takes it rather than guessing it from the numbers (a guess
    searches K up to 100,000), and trains only about a million iterations ahead of the rows."""
    net = sheetnet.Network.fresh((2, 2, 2))
    slow = sheetnet.Network(net.W, net.inputs, net.T, 1e-4)  # learns slowly: every row differs
    found = sheetnet.check(slow.train(600_001, every=150_000, progress=False))
    assert found.ok and (found.reports[0].every, found.reports[0].iterations) == (150_000, 600_001)
