"""The commands, run as a user runs them."""

import shutil
import subprocess

import corpus as C
import numpy as np
import pytest
from conftest import ROOT, close

from sheetnet import formats
from sheetnet.layout import networks


def sheetnet(*args, cwd=None):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def ok(*args, cwd=None):
    result = sheetnet(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def test_train_reproduces_the_original_rows(tmp_path, original):
    out = tmp_path / "trained.ods"
    result = ok("train", original, "-n", 995, "-o", out, "--results-only")
    assert "Sheet1: 2-2-2 network, 995 iterations" in result.stdout and f"wrote {out}" in result.stdout
    orig = formats.read(original).sheet("Sheet1")
    [(_, _, _), (_, ark2, _)] = found = networks(formats.read(out))
    sheet, layout, _ = found[0]
    assert layout.changes and sheet.max_row == 1002 and ark2.sizes == (1, 1, 1)
    for r in range(8, 1003):
        for c in range(3, 28):  # the classic columns C..AA
            mine, theirs = sheet.cell(r, c), orig.cell(r, c)
            assert mine.formula == theirs.formula, (r, c)
            assert close(mine.value, theirs.value), (r, c, mine.value, theirs.value)


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_train_reads_libreoffice_exports_of_the_original(tmp_path, original_exports, kind):
    out = tmp_path / "trained.xlsx"
    ok("train", original_exports[kind], "-n", 50, "-o", out, "--results-only")
    expected = networks(formats.read(original_exports["ods"]))
    found = networks(formats.read(out))
    assert [s.name for s, _, _ in found] == ["Sheet1", "Ark2"]
    for (_, la, pa), (_, lb, pb) in zip(expected, found):
        assert la.sizes == lb.sizes
        for l in range(1, len(la.sizes)):
            np.testing.assert_array_equal(pa.network.W[l], pb.network.W[l])
        np.testing.assert_array_equal(pa.inputs, pb.inputs)
        np.testing.assert_array_equal(pa.T, pb.T)


def test_train_one_sheet_to_xlsx(tmp_path, original):
    out = tmp_path / "ark2.xlsx"
    result = ok("train", original, "--sheet", "Ark2", "-n", 100, "-o", out)
    assert "Sheet1" not in result.stdout
    [(sheet, layout, problem)] = networks(formats.read(out))
    assert sheet.name == "Ark2" and layout.sizes == (1, 1, 1) and sheet.max_row == layout.first_row + 99
    assert problem.network.W[1].tolist() == [[0.1, 0.1]]


def test_template_then_train(tmp_path):
    ok("template", "my_net.ods", "--layers", 3, 5, 4, 2, "--seed", 7, cwd=tmp_path)
    ok("template", "again.ods", "--layers", 3, 5, 4, 2, "--seed", 7, cwd=tmp_path)
    ok("template", "other.ods", "--layers", 3, 5, 4, 2, "--seed", 8, cwd=tmp_path)
    ok("train", "my_net.ods", "-n", 300, "-o", "my_net_trained.xlsx", cwd=tmp_path)
    [(sheet, layout, p)] = networks(formats.read(tmp_path / "my_net_trained.xlsx"))
    assert layout.sizes == (3, 5, 4, 2) and sheet.max_row == layout.first_row + 299
    [(_, _, same)] = networks(formats.read(tmp_path / "again.ods"))
    [(_, _, other)] = networks(formats.read(tmp_path / "other.ods"))
    np.testing.assert_array_equal(p.network.W[2], same.network.W[2])
    assert not np.array_equal(p.network.W[2], other.network.W[2])
    cost = lambda row: sheet.value(row, layout.at("cost", 3).col)
    assert cost(layout.first_row + 299) < cost(layout.first_row)


def test_default_template_is_the_originals_network(tmp_path, original):
    ok("template", "net.xlsx", cwd=tmp_path)
    [(_, _, mine)] = networks(formats.read(tmp_path / "net.xlsx"))
    [(_, _, theirs), _] = networks(formats.read(original))
    for l in (1, 2):
        np.testing.assert_array_equal(mine.network.W[l], theirs.network.W[l])
    np.testing.assert_array_equal(mine.inputs, theirs.inputs)


def test_the_readmes_main_command(tmp_path):
    ok("train", ROOT / "spreadsheets" / "Simple_Neural_Net.ods", "-n", 5000, "-o", "trained.ods", cwd=tmp_path)
    found = {sheet.name: (sheet, layout) for sheet, layout, _ in networks(formats.read(tmp_path / "trained.ods"))}
    sheet, layout = found["Sheet1 trained"]  # beside the workbook's own sheets, kept as they were
    assert sheet.value(layout.first_row + 4999, layout.at("cost", 2).col) < 1e-8


@pytest.mark.parametrize("command", [[], ["train"], ["template"]])
def test_help(command):
    result = ok(*command, "--help")
    assert "usage: sheetnet" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "{orig}", "-n", "0", "-o", "x.ods"], "at least 1"),
    (["train", "{orig}", "-n", "many", "-o", "x.ods"], "whole number"),
    (["train", "missing.ods", "-o", "x.ods"], "missing.ods: no such file"),
    (["train", "{orig}", "--sheet", "Nope", "-o", "x.ods"], "no sheet named 'Nope'"),
    (["train", "{orig}", "-o", "x.pdf"], "unsupported file type '.pdf'"),
    (["train", "{orig}", "-o", "{orig}"], "is the input file"),
    (["template", "x.ods", "--layers", "3"], "at least two layers"),
    (["template", "x.ods", "--data", "xor", "--shuffle", "-1"], "--shuffle: must be at least 0, not -1"),
    (["template", "x.ods", "--seed", "-1"], "--seed: must be at least 0, not -1"),
])
def test_bad_input_gets_one_line_and_exit_2(tmp_path, original, args, message):
    result = sheetnet(*[a.format(orig=original) for a in args], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.ods").exists() and list(tmp_path.iterdir()) == []


def test_template_counts_in_english(tmp_path):
    """It said '1 iteration(s)' and '1 epoch(s)'."""
    assert "a 2-2-2 network, 1 iteration, cost 0.0605717" in ok("template", tmp_path / "a.ods").stdout
    assert "on 4 samples, 1 epoch, epoch cost" in ok("template", tmp_path / "b.ods", "--data", "xor", "--batch").stdout


def test_one_failing_cell_and_one_learning_rate_are_counted_in_english(tmp_path):
    """verify said '1 cells fail', sweep '1 learning rates'."""
    from test_verify import _edit_xlsx

    ok("template", tmp_path / "a.xlsx", "-n", "3")
    _edit_xlsx(tmp_path / "a.xlsx", tmp_path / "b.xlsx", "AA10", value="0.25")  # the last row's cost, used by none
    result = sheetnet("verify", tmp_path / "b.xlsx")
    assert result.returncode == 1 and "\n  1 cell fails: 0 with a wrong or missing formula, 1 whose number differs" \
        in result.stdout, result.stdout
    swept = ok("sweep", tmp_path / "a.xlsx", "--lr", "0.5", "-n", "1100", "-o", tmp_path / "s.xlsx").stdout
    assert "Sheet1: 2-2-2 network, 1,100 iterations at 1 learning rate\n" in swept


def test_existing_output_needs_force(tmp_path, original):
    out = tmp_path / "x.ods"
    out.write_text("keep me")
    result = sheetnet("train", original, "-n", 2, "-o", out)
    assert result.returncode == 2 and "--force" in result.stderr and out.read_text() == "keep me"
    ok("train", original, "-n", 2, "-o", out, "--force", "--results-only")
    assert len(networks(formats.read(out))) == 2


# -- a reader that stops early ---------------------------------------------------------------------

def many_networks(path, spoiled: bool):
    """A workbook of 400 networks, whose report is far longer than a pipe holds; the first spoiled or not."""
    sheets = {f"S{k}": C.network()[0] for k in range(400)}
    if spoiled:
        sheets["S0"] = C.spoiled({(C.FIRST, C.W01): 0.5})
    return C.ods(path, sheets)


def read_one_byte(*args) -> tuple:
    """(exit code, stderr) of sheetnet run as `sheetnet ARGS | head -c 1`."""
    process = subprocess.Popen([shutil.which("sheetnet"), *map(str, args)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert len(process.stdout.read(1)) == 1
    process.stdout.close()
    stderr = process.stderr.read()
    return process.wait(timeout=300), stderr.decode()


@pytest.mark.parametrize("spoiled, code", [(False, 0), (True, 1)])
@pytest.mark.parametrize("options", [[], ["--json"]])
def test_verify_exits_by_its_verdict_when_the_reader_stops_early(tmp_path, spoiled, code, options):
    path = many_networks(tmp_path / "many.ods", spoiled)
    assert sheetnet("verify", path, *options).returncode == code
    assert read_one_byte("verify", path, *options) == (code, "")


def test_show_exits_0_when_the_reader_stops_early(tmp_path):
    assert read_one_byte("show", many_networks(tmp_path / "many.ods", spoiled=True)) == (0, "")


def test_train_exits_0_when_the_reader_stops_early(tmp_path):
    """The report comes after the file is written: it is written, whoever reads the report."""
    path = many_networks(tmp_path / "many.ods", spoiled=False)
    assert read_one_byte("train", path, "-n", 2, "-o", tmp_path / "out.ods", "--results-only") == (0, "")
    assert len(networks(formats.read(tmp_path / "out.ods"))) == 400


def test_an_error_told_to_a_closed_stderr_still_exits_2(tmp_path):
    """`sheetnet verify bad.ods 2>&1 | true`: the error has no reader, the exit code is still 2."""
    bad = tmp_path / "bad.ods"
    bad.write_bytes(b"not a zip")
    process = subprocess.Popen([shutil.which("sheetnet"), "verify", bad], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stderr.close()
    assert process.wait(timeout=60) == 2
    assert process.stdout.read() == b""
