"""`sheetnet sweep`: each γ's sheet is train's with that γ, the comparison follows in LibreOffice,
the chart draws one line per γ, and a γ that diverges or overflows is reported, not a crash."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from conftest import close
from libreoffice import convert
from openpyxl import load_workbook
from pypdf import PdfReader

import sheetnet as sheetnet_api
from sheetnet import formats
from sheetnet.commands.output import Run, write
from sheetnet.commands.sweep import FRACTIONS, scan, sweep
from sheetnet.errors import SheetnetError
from sheetnet.layout import Kind, Layout, find
from sheetnet.math.network import Network, Problem, history
from sheetnet.math.template import ORIGINAL_2_2_2, random_problem

N = 40
RATES = (0.5, 2.0, 1000.0)  # 1000 overshoots: the weights grow, every sigmoid saturates, the cost grows


def sheetnet(*args):
    return subprocess.run([sys.executable, "-m", "sheetnet", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def workbook(path, problem, sizes=(2, 2, 2)):
    """A workbook holding one network in the classic layout: its first row, problem."""
    write(path, [Run("Sheet1", Layout(sizes), problem, 1)])
    return path


def with_rate(problem: Problem, lr: float) -> Problem:
    return Problem(Network(problem.network.W, lr), problem.inputs, problem.T)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """{suffix: (path, the --json document)} of a sweep of the original's 2-2-2 at RATES."""
    out = tmp_path_factory.mktemp("sweep")
    source = workbook(out / "in.ods", ORIGINAL_2_2_2)
    found = {}
    for suffix in (".ods", ".xlsx"):
        path = out / f"swept{suffix}"
        result = sheetnet("sweep", source, "--lr", *RATES, "-n", N, "-o", path, "--json")
        assert result.returncode == 0, result.stderr
        found[suffix] = (path, json.loads(result.stdout))
    return found


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_each_rate_sheet_is_train_with_that_rate(swept, tmp_path, suffix):
    path, doc = swept[suffix]
    book = formats.read(path)
    layout = Layout((2, 2, 2))
    for lr, entry in zip(RATES, doc["rates"]):
        source = workbook(tmp_path / f"lr{lr:g}.ods", with_rate(ORIGINAL_2_2_2, lr))
        trained = tmp_path / f"trained{lr:g}{suffix}"
        assert sheetnet("train", source, "-n", N, "-o", trained, "--results-only").returncode == 0
        expected, got = formats.read(trained).sheet("Sheet1"), book.sheet(entry["sheet"])
        assert entry["sheet"] == f"Sheet1 γ={lr:g}" and got.max_row == expected.max_row == layout.first_row + N - 1
        for r in range(layout.caption_row, expected.max_row + 1):  # rows 1-2: notes naming the file
            for c in range(1, layout.last_col + 1):
                assert got.cell(r, c) == expected.cell(r, c), (entry["sheet"], r, c)


def test_the_comparison_holds_each_curve(swept):
    _, doc = swept[".xlsx"]
    assert [e["lr"] for e in doc["rates"]] == list(RATES)
    for lr, entry in zip(RATES, doc["rates"]):
        C = history(with_rate(ORIGINAL_2_2_2, lr), N).C
        assert entry["first_cost"] == C[0] and entry["final_cost"] == C[-1] and entry["iterations"] == N
        for f in FRACTIONS:
            hits = np.flatnonzero(C < float(f) * C[0])
            assert entry["below"][f"{f:g}"] == (int(hits[0]) + 1 if len(hits) else None)
    assert doc["rates"][1]["below"]["0.001"] == 20 and doc["rates"][1]["outcome"] == "learns"
    assert doc["rates"][2]["outcome"] == "diverges: the cost grows" and doc["rates"][2]["final_cost"] > 0.12


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_a_sweep_verifies_network_by_network(swept, suffix):
    path, doc = swept[suffix]
    result = sheetnet("verify", path, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [n["sheet"] for n in json.loads(result.stdout)["networks"]] == [e["sheet"] for e in doc["rates"]]


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_libreoffice_recalculates_the_comparison_and_its_lines(swept, tmp_path, suffix):
    path, doc = swept[suffix]
    ours, theirs = formats.read(path), formats.read(convert(path, tmp_path, suffix[1:]))
    compared = doc["comparison"]
    assert compared == "Sheet1 sweep" and [s.name for s in theirs.sheets][0] == compared
    layout = Layout((2, 2, 2))
    cost = layout.at(Kind.COST, layout.L).col
    for k, entry in enumerate(doc["rates"]):
        r = 5 + k
        assert theirs.sheet(compared).value(r, 1) == f"γ={entry['lr']:g}"
        for c, expected in ((2, entry["lr"]), (5, entry["first_cost"]), (6, entry["final_cost"])):
            assert ours.sheet(compared).value(r, c) == expected
            assert close(theirs.sheet(compared).value(r, c), expected), (r, c)
        # The line of this γ: its sheet's cost column as LibreOffice computes it.
        for row in range(layout.first_row, layout.first_row + N):
            assert close(theirs.sheet(entry["sheet"]).value(row, cost), ours.sheet(entry["sheet"]).value(row, cost))


def test_the_chart_has_a_named_line_per_rate(swept):
    path, doc = swept[".xlsx"]
    [chart] = load_workbook(path)["Sheet1 sweep"]._charts
    assert [s.yVal.numRef.f for s in chart.series] == [f"'{e['sheet']}'!$AA$8:$AA${7 + N}" for e in doc["rates"]]
    assert [s.tx.strRef.f for s in chart.series] == [f"'Sheet1 sweep'!$A${5 + k}" for k in range(len(RATES))]
    assert chart.y_axis.scaling.logBase == 10 and chart.legend is not None
    path, _ = swept[".ods"]
    with zipfile.ZipFile(path) as z:
        content = ET.fromstring(z.read("sheetnet Chart 1/content.xml"))
    ns = {"chart": "urn:oasis:names:tc:opendocument:xmlns:chart:1.0"}
    lines = content.findall(".//chart:series", ns)
    assert [s.get(f"{{{ns['chart']}}}values-cell-range-address") for s in lines] == \
        [f"'{e['sheet']}'.AA8:'{e['sheet']}'.AA{7 + N}" for e in doc["rates"]]
    assert [s.get(f"{{{ns['chart']}}}label-cell-address") for s in lines] == \
        [f"'Sheet1 sweep'.A{5 + k}" for k in range(len(RATES))]
    assert content.find(".//chart:legend", ns) is not None


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_libreoffice_draws_one_line_per_rate(swept, tmp_path, suffix):
    path, _ = swept[suffix]
    page = PdfReader(convert(path, tmp_path, "pdf")).pages[0].extract_text()
    assert f"Cost at each learning rate, {N} iterations" in page and "Cost C (log scale)" in page
    legend = [line for line in page.splitlines() if line.startswith("γ=")]
    assert legend[-len(RATES):] == [f"γ={lr:g}" for lr in RATES]  # after the table's column of names


def test_a_rate_whose_numbers_overflow_stops_its_sheet_before(tmp_path):
    # An input of 1e300 with a weight of 1e-300 gives a moderate z: the change is huge, and γ makes
    # the weight infinite in the second iteration.
    W = [None, np.array([[1e-300, 0, 0], [0, 0, 0.0]]), ORIGINAL_2_2_2.network.W[2]]
    problem = Problem(Network(W, 0.5), np.array([1e300, 0.9]), ORIGINAL_2_2_2.T)
    curve = scan(with_rate(problem, 1e300), N, Layout((2, 2, 2)))
    assert (curve.overflow, curve.n) == (2, 1) and curve.first == curve.final == history(problem, 1).C[0]
    assert scan(problem, N, Layout((2, 2, 2))).overflow is None
    source = workbook(tmp_path / "in.xlsx", problem)
    out = tmp_path / "out.ods"
    result = sheetnet("sweep", source, "--lr", 0.5, 1e300, "-n", N, "-o", out)
    assert result.returncode == 0 and "overflows at iteration 2: the sheet stops at 1" in result.stdout, result
    book = formats.read(convert(out, tmp_path / "lo", "ods"))  # the workbook opens, its numbers follow
    assert book.sheet("Sheet1 γ=1e+300").max_row == Layout((2, 2, 2)).first_row
    assert book.sheet("Sheet1 γ=0.5").max_row == Layout((2, 2, 2)).first_row + N - 1


def test_a_wider_network_and_log_every(tmp_path):
    problem = random_problem((3, 4, 2), seed=4)
    source = workbook(tmp_path / "in.xlsx", problem, (3, 4, 2))
    out = tmp_path / "out.xlsx"
    result = sheetnet("sweep", source, "--lr", 1, 3, "-n", 1001, "--log-every", 100, "-o", out, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    book = formats.read(out)
    layout = Layout((3, 4, 2))
    for lr, entry in zip((1, 3), doc["rates"]):
        C = history(with_rate(problem, lr), 1001, 100).C
        assert entry["rows"] == len(C) == 11 and entry["final_cost"] == C[-1]
        sheet = book.sheet(entry["sheet"])
        assert [sheet.value(layout.first_row + k, layout.at(Kind.COST, 2).col) for k in range(11)] == list(C)


@pytest.mark.parametrize("args, message", [
    (["--lr", "0"], "must be a finite number above 0"),
    (["--lr", "nan"], "must be a finite number above 0"),
    (["--lr", "fast"], "must be a number"),
    (["--lr", "1", "-o", "out.csv"], "a sweep is several sheets and a chart"),
])
def test_bad_sweeps_are_refused_in_one_line(tmp_path, args, message):
    source = workbook(tmp_path / "in.ods", ORIGINAL_2_2_2)
    result = subprocess.run([sys.executable, "-m", "sheetnet", "sweep", str(source), *args], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_workbook_of_several_networks_needs_a_sheet(tmp_path):
    source = tmp_path / "two.xlsx"
    write(source, [Run("A", Layout((2, 2, 2)), ORIGINAL_2_2_2, 1), Run("B", Layout((2, 2, 2)), ORIGINAL_2_2_2, 1)])
    result = sheetnet("sweep", source, "--lr", 1, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2 and "holds 2 networks (sheets 'A', 'B'); choose one with --sheet" in result.stderr
    assert sheetnet("sweep", source, "--lr", 1, "--sheet", "B", "-o", tmp_path / "out.xlsx").returncode == 0


@pytest.mark.parametrize("name, suffix", [("it's {r} %s!", ".ods"), ("x" * 31, ".xlsx")])
def test_any_sheet_name_sweeps(tmp_path, name, suffix):
    source = tmp_path / f"in{suffix}"
    write(source, [Run(name, Layout((2, 2, 2)), ORIGINAL_2_2_2, 1)])
    out = tmp_path / f"out{suffix}"
    result = sheetnet("sweep", source, "--lr", 0.5, 2, "-n", 5, "-o", out, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    theirs = formats.read(convert(out, tmp_path / "lo", suffix[1:]))
    for k, entry in enumerate(doc["rates"]):
        assert entry["sheet"] in theirs.names and len(entry["sheet"]) <= 31
        assert close(theirs.sheet(doc["comparison"]).value(5 + k, 6), entry["final_cost"])
        assert theirs.sheet(doc["comparison"]).value(5 + k, 2) == entry["lr"]


def test_the_api_sweeps_as_the_command_does(swept, tmp_path):
    import sheetnet

    _, doc = swept[".xlsx"]
    source = workbook(tmp_path / "in.ods", ORIGINAL_2_2_2)
    done = sheetnet.sweep(tmp_path / "api.xlsx", sheetnet.open(source)["Sheet1"], RATES, N, progress=False)
    assert done.sheet == doc["comparison"] and [c.sheet for c in done.curves] == [e["sheet"] for e in doc["rates"]]
    assert [(c.first, c.final, c.below) for c in done.curves] == \
        [(e["first_cost"], e["final_cost"], list(e["below"].values())) for e in doc["rates"]]
    ours, theirs = formats.read(tmp_path / "api.xlsx"), formats.read(swept[".xlsx"][0])
    assert ours.names == theirs.names
    for name in ours.names[1:]:  # the comparison's note names no file; the network sheets' do
        assert ours.sheet(name).rows.keys() == theirs.sheet(name).rows.keys()
    with pytest.raises(sheetnet.SheetnetError, match="learning rates must be positive"):
        sheetnet.sweep(tmp_path / "bad.xlsx", sheetnet.open(source)["Sheet1"], [0.5, -1], N)


def test_a_network_whose_cost_is_zero_sweeps_on_a_linear_axis(tmp_path):
    # Weights 0 and targets 0.5: every output is σ(0) = 0.5, the cost exactly 0 at every iteration.
    W = [None, np.zeros((2, 3)), np.zeros((2, 3))]
    source = workbook(tmp_path / "in.xlsx", Problem(Network(W, 0.5), np.array([0.1, 0.9]), np.array([0.5, 0.5])))
    out = tmp_path / "out.xlsx"
    result = sheetnet("sweep", source, "--lr", 0.5, 2, "-n", 30, "-o", out, "--json")
    assert result.returncode == 0, result.stderr
    assert [e["outcome"] for e in json.loads(result.stdout)["rates"]] == ["stays: the cost does not change"] * 2
    [chart] = load_workbook(out)["Sheet1 sweep"]._charts
    assert chart.y_axis.scaling.logBase is None  # a logarithmic axis has no room for 0


def test_refused_before_any_training(tmp_path):
    source = workbook(tmp_path / "in.xlsx", ORIGINAL_2_2_2)
    result = sheetnet("sweep", source, "--lr", 1, 2, "-n", 2_000_000, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2 and "--log-every K" in result.stderr, result.stderr
    assert not (tmp_path / "out.xlsx").exists()
    # Numbers that leave float64 in the first iteration: nothing to write at that γ.
    problem = Problem(ORIGINAL_2_2_2.network, ORIGINAL_2_2_2.inputs, np.array([1e300, 0.4]))
    with pytest.raises(SheetnetError, match="the numbers overflow in iteration 1"):
        sweep(tmp_path / "o.xlsx", "S", Layout((2, 2, 2)), problem, [0.5], 5, 1, "")
    assert not (tmp_path / "o.xlsx").exists()


def test_a_dataset_sweep_compares_the_epoch_cost(tmp_path):
    # Each row's cost is its own sample's: sample 1's cost at iteration 1 is 0.0827, sample 4's at
    # iteration 100 0.132, though the epoch cost falls 0.1377 -> 0.1331. The sweep compares the epoch
    # cost, from the first row that averages a whole epoch (iteration m = 4).
    source = tmp_path / "xor.ods"
    assert sheetnet("template", source, "--data", "xor", "--layers", 2, 3, 1, "--seed", 1).returncode == 0
    out = tmp_path / "sw.ods"
    result = sheetnet("sweep", source, "--lr", 0.5, 10, "-n", 2000, "-o", out, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    ours, theirs = formats.read(out), formats.read(convert(out, tmp_path / "lo", "ods"))
    for k, entry in enumerate(doc["rates"]):
        sheet = ours.sheet(entry["sheet"])
        layout, _ = find(sheet)
        C = np.array([sheet.value(layout.first_row + i, layout.at(Kind.COST, layout.L).col) for i in range(2000)])
        epoch = np.array([C[max(0, i - 3):i + 1].mean() for i in range(2000)])  # the mean of the last 4 costs
        assert close(entry["first_cost"], epoch[3]) and close(entry["final_cost"], epoch[-1])
        assert entry["outcome"] == "learns" and entry["first_iteration"] == 4
        for f in FRACTIONS:
            hits = np.flatnonzero(epoch[3:] < float(f) * epoch[3])
            assert entry["below"][f"{f:g}"] == (int(hits[0]) + 4 if len(hits) else None)
        r = 5 + k  # LibreOffice recalculates the comparison to the numbers it holds
        for c, expected in ((5, entry["first_cost"]), (6, entry["final_cost"])):
            assert ours.sheet(doc["comparison"]).value(r, c) == expected
            assert close(theirs.sheet(doc["comparison"]).value(r, c), expected), (r, c)
    assert doc["rates"][0]["first_cost"] == pytest.approx(0.1376698658546313)
    assert doc["rates"][0]["final_cost"] < doc["rates"][0]["first_cost"]
    assert doc["rates"][1]["below"] == {"0.001": 1306, "1e-06": None}
    assert doc["cost"] == "epoch cost (the mean cost of the last m iterations)"
    labels = [ours.sheet(doc["comparison"]).value(4, c) for c in range(5, 8)]
    assert labels == ["Epoch cost, first whole epoch", "Epoch cost, final iteration",
                      "Below 0.001 of the first epoch cost at iteration"]
    epoch_letter = layout.at(Kind.EPOCH, layout.L).letter
    with zipfile.ZipFile(out) as z:
        content = ET.fromstring(z.read("sheetnet Chart 1/content.xml"))
    ns = {"chart": "urn:oasis:names:tc:opendocument:xmlns:chart:1.0"}
    assert [s.get(f"{{{ns['chart']}}}values-cell-range-address") for s in content.findall(".//chart:series", ns)] \
        == [f"'{e['sheet']}'.{epoch_letter}8:'{e['sheet']}'.{epoch_letter}2007" for e in doc["rates"]]
    table = sheetnet("sweep", source, "--lr", 0.5, "-n", 100, "-o", tmp_path / "100.ods")
    lines = table.stdout.splitlines()
    assert lines[1].split()[1:7] == ["first", "epoch", "cost", "final", "epoch", "cost"], table
    assert lines[2].split() == ["0.5", "0.13767", "0.133081", "never", "never", "learns"], table


def test_a_dataset_sweep_every_kth_starts_at_the_first_whole_epoch_written(tmp_path):
    source = tmp_path / "xor.ods"
    assert sheetnet("template", source, "--data", "xor", "--layers", 2, 3, 1, "--seed", 1).returncode == 0
    network = sheetnet_api.open(source)["Sheet1"]
    full = sheetnet_api.sweep(tmp_path / "full.xlsx", network, [2], 301, progress=False).curves[0]
    done = sheetnet_api.sweep(tmp_path / "every.xlsx", network, [2], 301, 100, progress=False)
    [curve] = done.curves
    sheet = formats.read(tmp_path / "full.xlsx").sheet(full.sheet)
    layout, _ = find(sheet)
    epoch = layout.at(Kind.EPOCH, layout.L)
    # Iterations 1, 101, 201, 301 written: the first whole epoch written is iteration 101's, row 2.
    assert curve.first == sheet.value(layout.first_row + 100, epoch.col) != full.first
    assert (curve.start, full.start) == (101, 4) and curve.final == full.final
    every = load_workbook(tmp_path / "every.xlsx")[done.sheet]
    assert every["E5"].value == f"='{curve.sheet}'!{epoch.letter}{layout.first_row + 1}"
    assert every["F5"].value == f"='{curve.sheet}'!{epoch.letter}{layout.first_row + 3}"
