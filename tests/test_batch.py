"""Batch training (--batch): one row per epoch, every sample's pass side by side, the update by
the mean change; held to a plain-Python recomputation, read back, verified, refused when too wide."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sheetnet
from sheetnet import formats
from sheetnet.commands import cli
from sheetnet.grid import Cell, address, sheet_name_problem
from sheetnet.layout import Kind, find
from sheetnet.layout.batch import BatchLayout, Mean
from sheetnet.layout.data import DataSheet
from sheetnet.math.data import XOR, Dataset
from sheetnet.verify import verify_sheet

N = 300
SAMPLES = [([0.1, 0.9], [0.2, 0.7]), ([0.8, 0.3], [0.9, 0.1]), ([0.5, 0.5], [0.4, 0.6]),
           ([0.0, 1.0], [0.3, 0.3]), ([1.0, 0.2], [0.8, 0.5])]


def _csv(path, samples) -> str:
    n0, nL = len(samples[0][0]), len(samples[0][1])
    lines = [",".join([f"a{i}" for i in range(n0)] + [f"T{j}" for j in range(nL)])]
    lines += [",".join(map(repr, x + t)) for x, t in samples]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def plain_rows(W, samples, lr, n) -> list:
    """The rows of a batch sheet by the note, in plain Python: W[l][j][i] the weights of layer
    l + 1, the bias last. Each row: the weights, then per sample its inputs, per layer its
    activations and deltas, its targets, its cost and its change matrices, then the mean change
    matrices and the mean cost; the next row's weights are w - lr * mean."""
    flat = lambda ms: [x for m in ms for r in m for x in r]  # noqa: E731
    rows = []
    for _ in range(n):
        row, total, costs = flat(W), [[[0.0] * len(r) for r in m] for m in W], []
        for x, t in samples:
            acts = [list(x)]
            for m in W:
                acts.append([1 / (1 + math.exp(-(sum(w * a for w, a in zip(r, acts[-1])) + r[-1]))) for r in m])
            deltas = [None] * len(W)
            deltas[-1] = [(o - y) * o * (1 - o) for o, y in zip(acts[-1], t)]
            for l in range(len(W) - 2, -1, -1):
                deltas[l] = [acts[l + 1][j] * (1 - acts[l + 1][j]) *
                             sum(W[l + 1][k][j] * deltas[l + 1][k] for k in range(len(W[l + 1])))
                             for j in range(len(W[l]))]
            cost = sum(0.5 * (o - y) ** 2 for o, y in zip(acts[-1], t))
            changes = [[[d * a for a in acts[l]] + [d] for d in deltas[l]] for l in range(len(W))]
            row += list(x) + [v for l in range(len(W)) for v in acts[l + 1] + deltas[l]] + list(t) + [cost]
            row += flat(changes)
            costs.append(cost)
            total = [[[s + c for s, c in zip(sr, cr)] for sr, cr in zip(sm, cm)] for sm, cm in zip(total, changes)]
        mean = [[[s / len(samples) for s in r] for r in m] for m in total]
        rows.append(row + flat(mean) + [sum(costs) / len(costs)])
        W = [[[w - lr * d for w, d in zip(r, dr)] for r, dr in zip(m, dm)] for m, dm in zip(W, mean)]
    return rows


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A 2-3-2 network trained N epochs on five samples, as `template --batch` writes it (.ods)."""
    folder = tmp_path_factory.mktemp("batch")
    path = folder / "batch.ods"
    data = _csv(folder / "samples.csv", SAMPLES)
    assert cli.main(["template", str(path), "--data", data, "--layers", "2", "3", "2", "--batch", "--seed", "4",
                     "-n", str(N)]) == 0
    return path


def test_the_rows_are_the_plain_python_recomputation(written):
    sheet = formats.read(written).sheet("Sheet1")
    weights = [sheet.value(8, c) for c in range(3, 3 + 9 + 8)]  # W(1) 3x3, W(2) 2x4
    W = [[weights[0:3], weights[3:6], weights[6:9]], [weights[9:13], weights[13:17]]]
    expected = plain_rows(W, SAMPLES, sheet.value(8, 1), N)
    assert sheet.value(8, 1) == 0.5 and len(expected[0]) == 17 + 5 * 32 + 17 + 1
    for k, row in enumerate(expected):
        for c, x in enumerate(row, 3):
            assert close(sheet.value(8 + k, c), x), f"{address(8 + k, c)}: {sheet.value(8 + k, c)!r}, not {x!r}"
    assert sheet.value(8 + N, 3) is None
    # The cost falls, and the last row's outputs are its own: no sample's pass left out.
    assert expected[-1][-1] < expected[0][-1]


def test_the_sheet_reads_back_as_the_note_lays_it_out(written):
    sheet = formats.read(written).sheet("Sheet1")
    layout, problem = find(sheet)
    assert isinstance(layout, BatchLayout) and layout.sizes == (2, 3, 2) and layout.m == 5
    assert (layout.data.name, layout.data.label_row, layout.data.sample_col) == ("Data", 1, 1)
    assert np.array_equal(problem.data.X, [x for x, _ in SAMPLES])
    assert np.array_equal(problem.data.T, [t for _, t in SAMPLES])
    # Labels and captions: weights from C, a group per sample captioned with it, the means and the epoch cost.
    assert [sheet.value(6, c) for c in (1, 3, 20, 21)] == ["Learning rate", "w00", "a0", "a1"]
    assert [sheet.value(4, c) for c in (3, 12, 20, 52)] == ["Layer 1", "Layer 2", "Sample 1", "Sample 2"]
    epoch = layout.at(Mean.COST, 2)
    assert sheet.value(6, epoch.col) == "Epoch C" and sheet.value(4, layout.at(Mean.CHANGE, 1).col) == "Mean dC/dW(1)"
    # Sample 2's inputs refer to the data sheet's row 3 in every row; the mean averages the samples.
    a0 = layout.at(Kind.INPUT, 0, sample=1)
    assert sheet.cell(8, a0.col).formula == sheet.cell(300, a0.col).formula == "'Data'!$B$3"
    costs = [layout.at(Kind.COST, 2, sample=s).letter for s in range(5)]
    assert sheet.cell(9, epoch.col).formula == "AVERAGE(" + ",".join(f"{x}9" for x in costs) + ")"


def test_verify_and_the_summary(written):
    assert sheetnet.check(written).ok
    summary = formats.read(written).sheet("Sheet1 summary")
    rows = {summary.value(r, 1): r for r in summary.rows if isinstance(summary.value(r, 1), str)}
    # The truth table, as of an online sheet: every sample's inputs and targets from the data sheet,
    # its hidden activations and outputs live on the final row's weights, which the sheet's final
    # row shows for its group.
    r = rows["sample"] + 3  # sample 3: number, a0 a1, layer 1's a0 a1 a2, outputs a0 a1, T0 T1
    sheet = formats.read(written).sheet("Sheet1")
    layout, _ = find(sheet)
    assert [summary.value(r, c) for c in (1, 2, 3, 9, 10)] == [3.0, 0.5, 0.5, 0.4, 0.6]
    assert (summary.cell(r, 2).formula, summary.cell(r, 10).formula) == ("'Data'!$B$4", "'Data'!$E$4")
    w = layout.at(Kind.WEIGHT, 2, 1, 3)  # the bias of output 1
    assert f"'Sheet1'!{w.letter}{8 + N - 1}" in summary.cell(r, 8).formula.replace("$", "")
    out = layout.at(Kind.ACTIVATION, 2, 1, sample=2)
    assert close(summary.value(r, 8), sheet.value(8 + N - 1, out.col))
    assert close(summary.value(r, 12), sheet.value(8 + N - 1, out.col) - 0.6)
    assert summary.value(rows["Cost, final iteration"], 2) == sheet.value(8 + N - 1, layout.last_col)


def _tamper(sheet, row, col, formula):
    copy = type(sheet)(sheet.name, {r: dict(cells) for r, cells in sheet.rows.items()})
    copy.set(row, col, Cell(sheet.value(row, col), formula))
    return verify_sheet(copy, *find(copy))


def test_verify_finds_a_reference_to_another_sample(written):
    sheet = formats.read(written).sheet("Sheet1")
    layout, _ = find(sheet)
    a1 = layout.at(Kind.INPUT, 0, 1, sample=1)  # sample 2's a1 (data sheet C3), made sample 3's (C4)
    report = _tamper(sheet, 40, a1.col, "Data!$C$4")
    assert not report.ok and report.first.cell == address(40, a1.col)
    assert report.first.problem == "refers to sample 3 on sheet 'Data'; this group is sample 2"
    target = layout.at(Kind.TARGET, 2, 0, sample=4)
    report = _tamper(sheet, 8, target.col, "Data!$D$2")  # sample 5's T0 in the first row, sample 1's
    assert report.first.cell == address(8, target.col)
    assert report.first.problem == "refers to sample 1 on sheet 'Data'; this group is sample 5"


def test_verify_finds_a_wrong_mean_and_an_update_from_one_sample(written):
    sheet = formats.read(written).sheet("Sheet1")
    layout, _ = find(sheet)
    mean = layout.at(Mean.CHANGE, 2, 1, 3)
    refs = [layout.at(Kind.CHANGE, 2, 1, 3, sample=s).letter for s in range(5)]
    right = "AVERAGE(" + ",".join(f"{x}20" for x in refs) + ")"
    assert sheet.cell(20, mean.col).formula == right
    report = _tamper(sheet, 20, mean.col, "AVERAGE(" + ",".join(f"{x}20" for x in refs[:4]) + ")")
    assert report.first.cell == address(20, mean.col)
    assert report.first.problem.startswith("does not refer to " + refs[4] + "20")
    w = layout.at(Kind.WEIGHT, 1, 2, 0)  # w20 of layer 1 updated by sample 1's change alone
    change = layout.at(Kind.CHANGE, 1, 2, 0, sample=0)
    report = _tamper(sheet, 30, w.col, f"{w.letter}29-$A$8*{change.letter}29")
    assert report.first.cell == address(30, w.col)
    assert report.first.problem.startswith(f"refers to {change.letter}29 (dC/dw20 of layer 1 of sample 1")
    assert report.first.expected_formula == f"{w.letter}29-$A$8*{layout.at(Mean.CHANGE, 1, 2, 0).letter}29"


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_train_continues_a_batch_workbook(tmp_path, suffix):
    """train reads a batch sheet (weights, samples, learning rate from its first row) and writes
    the same rows as a template of that many epochs; the data sheet goes along."""
    start, longer = tmp_path / f"start{suffix}", tmp_path / f"long{suffix}"
    assert cli.main(["template", str(start), "--data", "xor", "--batch", "--seed", "2", "-n", "3"]) == 0
    assert cli.main(["template", str(longer), "--data", "xor", "--batch", "--seed", "2", "-n", "200"]) == 0
    expected = formats.read(longer).sheet("Sheet1")
    for args, sheets in ((["-n", "200"], ["Data", "Sheet1", "Sheet1 summary", "Sheet1 check", "Sheet1 trained"]),
                         (["-n", "200", "--results-only"], ["Data", "Sheet1", "Sheet1 summary", "Sheet1 check"])):
        out = tmp_path / f"out{len(args)}{suffix}"
        assert cli.main(["train", str(start), *args, "-o", str(out)]) == 0
        book = formats.read(out)
        assert book.names[:len(sheets)] == sheets
        trained = book.sheet(sheets[-1] if "trained" in sheets[-1] else "Sheet1")
        for r in range(8, 208):
            assert [trained.value(r, c) for c in range(1, 98)] == [expected.value(r, c) for c in range(1, 98)]
        assert sheetnet.check(out).ok


def test_too_wide_is_refused_before_any_work_naming_the_most_samples_that_fit(tmp_path, capsys):
    """A 2-2-1 batch sheet takes 19 columns per sample and 23 more (9 weights and 9 means from
    column C, the epoch cost, the check sheet's two): 861 samples fit in 16,384 columns."""
    rng = np.random.default_rng(1)
    samples = [(rng.uniform(0, 1, 2).tolist(), rng.uniform(0, 1, 1).tolist()) for _ in range(862)]
    out = tmp_path / "wide.xlsx"
    assert cli.main(["template", str(out), "--data", _csv(tmp_path / "s.csv", samples), "--batch"]) == 2
    message = capsys.readouterr().err
    assert "a batch of 862 samples for a 2-2-1 network needs 16,401 columns" in message
    assert message.rstrip().endswith("at most 861 samples fit") and not out.exists()
    # The most that fit do: written, read back and verified (their means sum in parts of 255).
    assert cli.main(["template", str(out), "--data", _csv(tmp_path / "s.csv", samples[:861]), "--batch",
                     "-n", "3"]) == 0
    sheet = formats.read(out).sheet("Sheet1")
    assert sheet.value(6, 16_380) == "Epoch C" and sheet.cell(9, 16_380).formula.startswith("(SUM(")
    assert sheetnet.check(out).ok
    assert cli.main(["template", str(tmp_path / "w.ods"), "--data", "xor", "--layers", "2", "100", "100", "1",
                     "--batch"]) == 2
    assert "not even one sample fits" in capsys.readouterr().err


def test_template_refusals(tmp_path, capsys):
    out = str(tmp_path / "x.ods")
    assert cli.main(["template", out, "--batch"]) == 2
    assert "--batch trains on a dataset" in capsys.readouterr().err
    assert cli.main(["template", out, "--data", "xor", "--layers", "3", "2", "1", "--batch"]) == 2
    assert "the layers 3-2-1 take 3 input(s) and 1 target(s), but the data's samples hold 2 input(s) and 1 target(s)" \
        in capsys.readouterr().err
    assert cli.main(["template", out, "--data", "xor", "--batch", "--shuffle", "3"]) == 2
    assert "--batch takes every sample in each row" in capsys.readouterr().err


def test_the_api_writes_and_trains_batch_networks(tmp_path):
    net = sheetnet.Network.fresh((2, 3, 1), seed=8, data=XOR, batch=True)
    trace = net.train(50, progress=False)
    assert trace.C.shape == (50,) and trace.a[2].shape == (50, 4, 1)
    assert np.allclose(trace.C, trace.to_frame()[("Epoch C", "Epoch C")])
    saved = sheetnet.write(tmp_path / "api.xlsx", trace, progress=False)
    assert sheetnet.check(saved.path).ok
    book = sheetnet.open(saved.path)
    [again] = book.networks
    assert again.batch and np.array_equal(again.data.X, XOR.X) and np.array_equal(again.W[1], net.W[1])
    with pytest.raises(sheetnet.SheetnetError, match="a batch network trains on a dataset"):
        sheetnet.Network(net.W, [0, 0], [0], batch=True)
    with pytest.raises(sheetnet.SheetnetError, match=r"the data's samples hold 3 input\(s\)"):
        sheetnet.Network.fresh((2, 2, 1), data=Dataset([[0, 0, 0]], [[1]]), batch=True)
    with pytest.raises(sheetnet.SheetnetError, match="its data takes no shuffled order"):
        sheetnet.Network.fresh((2, 2, 1), data=Dataset.shuffled(XOR.X, XOR.T, 2), batch=True)


def test_editing_a_sample_retrains_every_row_in_libreoffice(tmp_path):
    """Data!B3 (sample 2's a0) changed from 0 to 0.5 in the file: LibreOffice's recalculation
    gives every row the training on the changed samples, as Python computes it (on one thread:
    see libreoffice.py)."""
    from libreoffice import convert
    from test_verify import _edit_xlsx

    path, edited = tmp_path / "xor.xlsx", tmp_path / "edited.xlsx"
    assert cli.main(["template", str(path), "--data", "xor", "--batch", "--seed", "9", "-n", "100"]) == 0
    assert formats.read(path).names[0] == "Data"
    _edit_xlsx(path, edited, "B3", value="0.5")
    theirs = formats.read(convert(edited, tmp_path / "lo", "xlsx", threads=False)).sheet("Sheet1")
    net = sheetnet.open(path)["Sheet1"]
    X = XOR.X.copy()
    X[1, 0] = 0.5
    changed = sheetnet.Network(net.W, X[0], XOR.T[0], net.lr, data=Dataset(X, XOR.T), batch=True)
    expected = changed.train(100, progress=False).numbers
    layout, _ = find(theirs)
    assert theirs.value(50, layout.at(Kind.INPUT, 0, 0, sample=1).col) == 0.5
    for k, row in enumerate(expected):
        for j, x in enumerate(row):
            assert close(theirs.value(8 + k, 3 + j), x), address(8 + k, 3 + j)
    assert not close(expected[-1][-1], formats.read(path).sheet("Sheet1").value(107, layout.last_col))


def test_show_train_report_explain_and_log_every(written, tmp_path, capsys):
    assert cli.main(["show", str(written)]) == 0
    shown = capsys.readouterr().out
    assert "batch of 5 samples on sheet 'Data', one row per epoch" in shown
    sheet = formats.read(written).sheet("Sheet1")
    layout, _ = find(sheet)
    last = sheet.value(8 + N - 1, layout.last_col)
    assert f"epoch cost, as cached: {sheet.value(8, layout.last_col):.6g} ({layout.at(Kind.COST, 2).letter}8) -> " \
           f"{last:.6g} ({layout.at(Kind.COST, 2).letter}{8 + N - 1})" in shown
    assert cli.main(["explain", str(written), "T9"]) == 2
    assert "explain does not read batch sheets yet" in capsys.readouterr().err
    assert cli.main(["sweep", str(written), "--lr", "0.5", "1", "-o", str(tmp_path / "sweep.ods")]) == 2
    assert "sweep does not take batch sheets yet" in capsys.readouterr().err
    # Every 100th epoch of 2,001, as numbers: trained on, written and verified as such.
    out = tmp_path / "logged.xlsx"
    assert cli.main(["train", str(written), "-n", "2001", "--log-every", "100", "-o", str(out)]) == 0
    report = capsys.readouterr().out.splitlines()
    assert report[0] == ("Sheet1: 2-3-2 network, 2,001 epochs, learning rate 0.5, on the 5 samples of sheet 'Data', "
                         "all of them in every epoch")
    assert report[1].startswith("  epoch cost  ") and report[2] == "  sample  inputs -> outputs  (targets)"
    assert report[3].startswith("       1  0.1 0.9 -> ") and report[3].endswith("  (0.2 0.7)")
    logged = formats.read(out).sheet("Sheet1")
    expected = plain_rows([[[logged.value(8, c) for c in range(3 + 3 * j, 6 + 3 * j)] for j in range(3)],
                           [[logged.value(8, c) for c in range(12 + 4 * j, 16 + 4 * j)] for j in range(2)]],
                          SAMPLES, 0.5, 2001)
    for k, epoch in enumerate(range(0, 2001, 100)):
        assert all(close(logged.value(8 + k, 3 + j), x) for j, x in enumerate(expected[epoch]))
    assert cli.main(["verify", str(out)]) == 0
    assert "2,001 iterations (rows 8-28, one row for every 100th and the last one)" in capsys.readouterr().out


def _relabelled(sheet, row, col, text=None, formula=None):
    copy = type(sheet)(sheet.name, {r: dict(cells) for r, cells in sheet.rows.items()})
    copy.set(row, col, Cell(text if text is not None else sheet.value(row, col), formula))
    return copy


def test_a_batch_sheet_that_is_not_one_is_refused_naming_the_cell(written):
    sheet = formats.read(written).sheet("Sheet1")
    layout, _ = find(sheet)
    t = layout.at(Kind.TARGET, 2, 1, sample=2)
    with pytest.raises(sheetnet.SheetnetError, match=rf"cell {t.letter}6: expected the label 'T1' here "
                                                     r"\(target T1 of sample 3\), not 'T0'"):
        find(_relabelled(sheet, 6, t.col, "T0"))
    d = layout.at(Kind.DELTA, 1, 2, sample=0)
    with pytest.raises(sheetnet.SheetnetError, match="as many deltas"):
        find(_relabelled(sheet, 6, d.col, "a2"))
    with pytest.raises(sheetnet.SheetnetError, match="labels do not make a 2-3-2 network's batch sheet"):
        find(_relabelled(sheet, 6, layout.last_col + 1, "C"))
    a0 = layout.at(Kind.INPUT, 0, sample=0)
    with pytest.raises(sheetnet.SheetnetError, match=rf"cell {a0.letter}8: input a0 of sample 1 must be a reference"):
        find(_relabelled(sheet, 8, a0.col, 0.1, "0.1+0"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=31)
       .filter(lambda n: sheet_name_problem(n) is None and n.casefold() not in ("sheet1", "sheet1 summary",
                                                                               "sheet1 check")))
def test_any_data_sheet_name_is_referred_to_as_written(tmp_path, name):
    """A data sheet named as a spreadsheet allows ('it''s', braces, '!'): the batch sheet's references
    name it, read back to the same sheet, and the workbook verifies."""
    net = sheetnet.Network.fresh((2, 2, 1), seed=3, data=XOR, batch=True)
    net.datasheet = DataSheet(name, XOR)
    for suffix in (".ods", ".xlsx"):
        path = tmp_path / f"named{suffix}"
        sheetnet.write(path, net, 3, progress=False)
        book = formats.read(path)
        assert book.names[0] == name
        layout, problem = find(book.sheet("Sheet1"))
        assert layout.data.name == name and np.array_equal(problem.data.X, XOR.X)
        assert sheetnet.check(path).ok


def test_train_refuses_a_data_sheet_the_batch_sheet_does_not_show(tmp_path, capsys):
    """A sample changed on the data sheet by a program that does not recalculate: the batch sheet's
    cached first row shows the old one, so train refuses rather than start from either."""
    from test_verify import _edit_xlsx

    path, edited = tmp_path / "xor.xlsx", tmp_path / "edited.xlsx"
    assert cli.main(["template", str(path), "--data", "xor", "--batch", "-n", "5"]) == 0
    _edit_xlsx(path, edited, "C4", value="0.25")  # sample 3's a1
    assert cli.main(["train", str(edited), "-n", "5", "-o", str(tmp_path / "out.xlsx")]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "edited.xlsx, sheet 'Data', cell C4: sample 3's a1 is 0.25 here but 0.0 in AY8 of the batch sheet, which "
        "refers to it: recalculate the workbook before training")
    assert not (tmp_path / "out.xlsx").exists()


def test_verify_fails_a_data_sheet_the_batch_sheet_does_not_show(tmp_path, capsys):
    """The same edit fails verify (it passed: the samples were read from the cached first row,
    which agrees with itself), naming the data sheet's cell; text in a sample cell is bad input."""
    from test_verify import _edit_xlsx

    path, edited = tmp_path / "xor.xlsx", tmp_path / "edited.xlsx"
    assert cli.main(["template", str(path), "--data", "xor", "--batch", "-n", "3"]) == 0
    _edit_xlsx(path, edited, "D5", value="1.0")  # sample 4's T0
    report = sheetnet.check(edited)["Sheet1"]
    assert not report.ok and report.first.cell == "BY8"
    assert report.first.problem == ("a copy of D5 on sheet 'Data', which holds 1.0: the workbook was not "
                                    "recalculated since that cell changed")
    assert (report.first.expected, report.first.found) == (1.0, 0.0)
    assert cli.main(["verify", str(edited)]) == 1
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(path)
    book["Data"]["B3"] = "zero"
    book.save(tmp_path / "text.xlsx")
    capsys.readouterr()
    assert cli.main(["verify", str(tmp_path / "text.xlsx")]) == 2
    assert capsys.readouterr().err == ("sheetnet: error: " + str(tmp_path / "text.xlsx") + ", sheet 'Data', cell B3: "
                                       "a0 of sample 2 must be a number, not 'zero'\n")


def test_a_values_only_batch_sheet_keeps_its_own_samples(tmp_path):
    """A --log-every sheet refers to no data sheet: the workbook's Data sheet, edited, is not its samples."""
    openpyxl = pytest.importorskip("openpyxl")
    path, trained, edited = tmp_path / "xor.xlsx", tmp_path / "trained.xlsx", tmp_path / "edited.xlsx"
    assert cli.main(["template", str(path), "--data", "xor", "--batch", "-n", "3"]) == 0
    assert cli.main(["train", str(path), "-n", "5", "--log-every", "2", "-o", str(trained)]) == 0
    book = openpyxl.load_workbook(trained)
    book["Data"]["D5"] = 1
    book.save(edited)
    assert sheetnet.check(edited, "Sheet1 trained").ok


def test_a_batch_sheet_saved_without_cached_values_reads_its_samples_on_the_data_sheet(tmp_path):
    """openpyxl saves formulas without their values: the first row's references to the samples
    read as 0 (train refused, 'a1 is 1.0 here but 0.0 in AF8', of an empty AF8); the data sheet
    they refer to holds the samples, as an online sheet's samples are read."""
    openpyxl = pytest.importorskip("openpyxl")
    path, resaved = tmp_path / "xor.xlsx", tmp_path / "resaved.xlsx"
    assert cli.main(["template", str(path), "--data", "xor", "--batch", "-n", "3"]) == 0
    openpyxl.load_workbook(path).save(resaved)
    net = sheetnet.open(resaved)["Sheet1"]
    assert np.array_equal(net.data.X, XOR.X) and np.array_equal(net.data.T, XOR.T)
    # openpyxl writes the weights back to within an ulp
    assert np.allclose(net.train(3).numbers, sheetnet.open(path)["Sheet1"].train(3).numbers, rtol=1e-12, atol=0)
    assert sheetnet.check(resaved).ok
