"""sheetnet explain: every kind of cell of written networks explained with numbers that equal an
independent recomputation, chain rules whose factors multiply to the change-matrix entry and agree
with finite differences; the original's Ark2 fault; bad cells; hostile sheet names."""

import hashlib
import json
import re
import shlex
import shutil
import subprocess

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from libreoffice import convert

from sheetnet import formats
from sheetnet.commands.output import Run, write
from sheetnet.errors import SheetnetError
from sheetnet.explain import data, explain, markdown, text
from sheetnet.formula import parse
from sheetnet.grid import address, parse_address, sheet_name_problem
from sheetnet.layout import Kind, Layout, sheets
from sheetnet.math.network import iterate, update
from sheetnet.math.template import ORIGINAL_1_1_1, ORIGINAL_2_2_2, random_problem
from sheetnet.verify.report import number

N = 6  # iterations written
ROWS = (8, 10)  # the first data row, and one whose weights come from an update
NETWORKS = {"2-2-2": ORIGINAL_2_2_2, "3-4-2": random_problem((3, 4, 2), seed=15)}


def sheetnet(*args):
    return subprocess.run([shutil.which("sheetnet"), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    """{(network, format): (path, layout, problem)}: each network trained N iterations and written
    by sheetnet, as .ods, .xlsx and LibreOffice's .xls export of the .ods."""
    folder = tmp_path_factory.mktemp("explain")
    out = {}
    for name, problem in NETWORKS.items():
        layout = Layout(problem.sizes)
        for suffix in ("ods", "xlsx"):
            path = folder / f"{name}.{suffix}"
            write(path, [Run("Net", layout, problem, N)])
            out[(name, suffix)] = (path, layout, problem)
        out[(name, "xls")] = (convert(out[(name, "ods")][0], folder / "xls", "xls", recalc=False), layout, problem)
    return out


def recomputed(problem, layout, k: int) -> np.ndarray:
    """Iteration k's row, from the first by the note's steps one at a time (not sheetnet's training loop)."""
    W = problem.network.W
    for _ in range(k - 1):
        W = update(W, iterate(W, problem.inputs, problem.T).change, problem.network.lr)
    return np.array(layout.values(iterate(W, problem.inputs, problem.T))[layout.first_col - 1:])


def close(a, b, tol=1e-12) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# -- every column kind ---------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["ods", "xlsx", "xls"])
@pytest.mark.parametrize("network", list(NETWORKS))
def test_every_cell_of_two_rows_is_explained_with_the_recomputations_numbers(written, network, suffix):
    path, layout, problem = written[(network, suffix)]
    rows = {r: recomputed(problem, layout, 1 + r - layout.first_row) for r in (ROWS[0], ROWS[1] - 1, ROWS[1])}
    kinds = set()
    for row in ROWS:
        for n, c in enumerate(layout.columns):
            e = explain(path, address(row, c.col))
            kinds.add(e.kind)
            expected = rows[row][n]
            assert e.iteration == 1 + row - layout.first_row and e.sheet == "Net"
            assert close(e.recomputed, expected) and close(e.cached, expected), (e.cell, e.recomputed, expected)
            if e.equation is not None:  # every cell but the first row's typed numbers
                assert close(e.equation.value, expected), (e.cell, e.equation.value, expected)
                assert e.formula is None if suffix == "xls" else e.formula
            else:
                assert row == layout.first_row and c.kind in (Kind.INPUT, Kind.WEIGHT, Kind.TARGET)
            if c.kind in (Kind.DELTA, Kind.CHANGE, Kind.WEIGHT):
                check_chain(e, layout, c, row, rows)
            shown = text(e)
            assert number(e.recomputed) in shown and e.cell in shown.splitlines()[0]
    assert kinds == {str(kind) for kind in Kind} - {Kind.SAMPLE, Kind.EPOCH}  # an online sheet's (test_online)


def check_chain(e, layout, c, row, rows):
    """The chain rule's factors multiply to the change-matrix entry (of the row above for a weight
    after the first row, whose update subtracts it), and the finite difference agrees."""
    chain = e.chain
    assert chain.row == (row - 1 if c.kind == Kind.WEIGHT and row > layout.first_row else row)
    numbers = rows[chain.row]
    entry = c if c.kind == Kind.DELTA else layout.at(Kind.CHANGE, c.layer, c.j, c.i)
    expected = numbers[layout.columns.index(entry)]
    assert close(chain.product, expected), (e.cell, chain.product, expected)
    assert close(chain.entry.value, expected)
    assert abs(chain.finite.value - chain.product) < 1e-8, (e.cell, chain.finite.value, chain.product)
    # δ is the first two factors, ∂C/∂a · ∂a/∂z.
    delta = numbers[layout.columns.index(layout.at(Kind.DELTA, c.layer, c.j))]
    assert close(chain.factors[0].value * chain.factors[1].value, delta)


def test_what_a_cell_is(written):
    path, layout, _ = written[("2-2-2", "ods")]
    e = explain(path, "M9")
    assert e.what == "delta δ0 of layer 1, the hidden layer, iteration 2" and e.kind == "delta"
    assert e.formula == "K9*(1-K9)*(W9*O9+X9*R9)"
    shown = text(e)
    assert "δ₀⁽¹⁾ = a₀⁽¹⁾(1 − a₀⁽¹⁾)(δ₀⁽²⁾w₀₀⁽²⁾ + δ₁⁽²⁾w₁₀⁽²⁾)" in shown
    assert "without the transpose" in shown  # the note's correction
    e = explain(path, "K9")
    assert "a₀⁽¹⁾ = σ(w₀₀⁽¹⁾a₀⁽⁰⁾ + w₀₁⁽¹⁾a₁⁽⁰⁾ + w₀₂⁽¹⁾)" in text(e) and "σ(x) = 1/(1 + exp(−x))" in text(e)
    e = explain(path, "E9")
    assert e.what == "w00 of layer 1, the hidden layer, iteration 2 (after the update of iteration 1)"
    # A weight feeds its neuron's activation in its row and its own update in the next.
    assert [f.cell for f in e.feeds] == ["K9", "E10"]
    for f in e.feeds:
        refers = parse(f.formula, *parse_address(f.cell)).cells(*parse_address(f.cell))
        assert (None, 9, 5) in refers
    bias = layout.at(Kind.CHANGE, 1, 1, 2)
    e = explain(path, address(9, bias.col))
    assert e.what == "dC/dw12 of layer 1 (bias), the hidden layer, iteration 2"
    assert "δ₁⁽²⁾ · 1" in text(e) and "δ₁⁽¹⁾ · 1" in text(e)  # what the note prints, and what it is
    e = explain(path, "A8")
    assert e.kind == "learning rate" and e.recomputed == 0.5
    assert [f.cell for f in e.feeds] == [address(9, c.col) for c in layout.columns if c.kind == Kind.WEIGHT]


@pytest.mark.parametrize("cell, kind, what", [
    ("E6", "label", "the label of column E: w00 of layer 1"),
    ("A6", "label", "the label of the learning rate γ, in A8 below it"),
    ("E4", "caption", "the caption of columns E to N: layer 1, the hidden layer"),
    ("C5", "caption", "the caption of columns C to D: the inputs a(0)"),
    ("AA5", "caption", "the caption of column AA: the cost C"),
    ("AB4", "caption", "the caption of columns AB to AG: the change matrix of layer 1"),
    ("AH4", "caption", "the caption of columns AH to AM: the change matrix of layer 2"),
])
def test_captions_and_labels(written, cell, kind, what):
    path, _, _ = written[("2-2-2", "xlsx")]
    e = explain(path, cell)
    assert e.kind == kind and e.what.startswith(what) and e.chain is None and e.fault is None
    assert "holds the text" in text(e)


# -- the original's faults -----------------------------------------------------------------------------

def test_the_originals_ark2_d9_refers_to_the_empty_a9(original):
    result = sheetnet("explain", original, "D9", "--sheet", "Ark2")
    assert result.returncode == 0, result.stderr
    assert "D9 fails: refers to A9, which is empty; the learning rate is in A8" in result.stdout
    assert "the note's formula here: =D8-$A$8*G8*C8" in result.stdout
    assert "formula: =D8-$A$9*C8*G8" in result.stdout
    e = explain(original, "D9", "Ark2")
    # The note's update on the sheet's numbers gives what the recomputation gives; the file's 0.1 does not.
    assert e.cached == 0.1 and close(e.equation.value, e.recomputed)
    assert e.recomputed == pytest.approx(0.1 - 0.5 * 0.3 * -0.00154233895999703, rel=1e-12)
    later = explain(original, "H150", "Ark2")
    assert later.fault.problem == "no learning rate (the learning rate is in A8)" and later.first_fault.cell == "D9"
    assert explain(original, "M9", "Sheet1").fault is None


def test_verify_names_the_explain_command_for_its_first_failing_cell(original):
    result = sheetnet("verify", original)
    suggestion = f"explain the first failing cell: sheetnet explain {shlex.quote(str(original))} D9 --sheet Ark2"
    assert result.returncode == 1 and suggestion in result.stdout
    assert sheetnet("verify", original, "--sheet", "Sheet1").stdout.count("sheetnet explain") == 0
    command = shlex.split(result.stdout.split("explain the first failing cell: ")[1].splitlines()[0])
    assert command[:2] == ["sheetnet", "explain"] and sheetnet(*command[1:]).returncode == 0


# -- renderings ----------------------------------------------------------------------------------------

def test_markdown_writes_the_equations_in_latex(written):
    path, layout, _ = written[("2-2-2", "ods")]
    change = address(9, layout.at(Kind.CHANGE, 1, 0, 0).col)
    result = sheetnet("explain", path, change, "--markdown")
    assert result.returncode == 0, result.stderr
    md = result.stdout
    assert md.startswith(f"### Cell {change} of sheet Net in ")
    assert r"$\frac{\partial C}{\partial w_{00}^{(1)}} = \delta_{0}^{(1)} a_{0}^{(0)}$" in md
    for line in md.splitlines():
        assert line.replace(r"\$", "").count("$") % 2 == 0, line
    assert "`=M9*C9`" in md


def test_json_holds_the_same_content(written):
    path, layout, _ = written[("3-4-2", "xlsx")]
    cell = address(10, layout.at(Kind.WEIGHT, 2, 1, 3).col)
    result = sheetnet("explain", path, cell, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    e = explain(path, cell)
    assert doc == json.loads(json.dumps(data(e)))
    assert doc["numbers"]["recomputed"] == e.recomputed and doc["chain"]["product"] == e.chain.product
    assert doc["equation"]["value"] == e.equation.value and doc["what"] == e.what
    assert doc["chain"]["finite_difference"]["cell"] == address(9, layout.at(Kind.WEIGHT, 2, 1, 3).col)
    assert text(e) == sheetnet("explain", path, cell).stdout.rstrip("\n")


# -- sheets of every K-th iteration, long sheets --------------------------------------------------------

def test_a_sheet_of_every_kth_iteration(tmp_path):
    path = tmp_path / "logged.xlsx"
    layout = Layout((2, 2, 2))
    write(path, [Run("Net", layout, ORIGINAL_2_2_2, 250, every=7)])
    e = explain(path, "E10")
    assert e.iteration == 15 and e.equation is None and "every 7th iteration" in text(e)
    assert close(e.recomputed, recomputed(ORIGINAL_2_2_2, layout, 15)[layout.columns.index(layout.at(Kind.WEIGHT, 1))])
    assert close(e.cached, e.recomputed)
    # The last row holds the last iteration, 250, off the grid of 7 (1, 8, ..., 246).
    last = explain(path, "AA44")
    assert last.iteration == 250 and close(last.cached, last.recomputed)
    assert close(last.recomputed, recomputed(ORIGINAL_2_2_2, layout, 250)[layout.columns.index(layout.at(Kind.COST, 2))])


def test_explain_stops_reading_a_sheet_after_the_cells_next_row(tmp_path, monkeypatch):
    path = tmp_path / "long.xlsx"
    write(path, [Run("Net", Layout((1, 1, 1)), ORIGINAL_1_1_1, 3000)])
    fed = []
    feed = sheets._Sheet.row

    def row(self, r, cells):
        fed.append(r)
        return feed(self, r, cells)

    monkeypatch.setattr(sheets._Sheet, "row", row)
    assert explain(path, "F9").iteration == 2
    # The first rows are gathered to find the network; the reading ends at the row after them.
    assert max(fed) == formats.HEAD_ROWS + 1


# -- bad input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, message", [
    ("ZZZZ0", "'ZZZZ0' is not a cell's address"),
    ("A0", "'A0' is not a cell's address"),
    ("XFE1", "'XFE1' is not a cell's address"),
    ("M", "'M' is not a cell's address"),
    ("9M", "'9M' is not a cell's address"),
    ("A9", "cell A9: is empty"),
    ("A2", "cell A2: is not part of the network, which stands in columns C to AM from row 8"),  # the note
    ("E20", "cell E20: is empty"),
    ("AN9", "cell AN9: is empty"),
])
def test_bad_cells_get_one_line_and_exit_2(written, cell, message):
    path, _, _ = written[("2-2-2", "ods")]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = sheetnet("explain", path, cell)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert message in result.stderr and str(path) in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_missing_sheet_and_a_sheet_without_a_network(written):
    path, _, _ = written[("2-2-2", "ods")]
    result = sheetnet("explain", path, "M9", "--sheet", "Nope")
    assert result.returncode == 2 and "no sheet named 'Nope'" in result.stderr
    result = sheetnet("explain", path, "B2", "--sheet", "Net summary")
    assert result.returncode == 2 and "holds no network" in result.stderr
    with pytest.raises(SheetnetError, match="is empty"):
        explain(path, "Z1000")


# -- hostile sheet names --------------------------------------------------------------------------------

NAMES = st.text(alphabet=st.sampled_from(list("{}%s$\\`*_[]<>&|~'\"!#()-.:=aδ €")), min_size=1,
                max_size=31).filter(lambda name: sheet_name_problem(name) is None)


@settings(max_examples=25, deadline=None)
@given(name=NAMES)
def test_hostile_sheet_names_are_data_in_every_rendering(tmp_path_factory, name):
    path = tmp_path_factory.mktemp("names") / "net.xlsx"
    write(path, [Run(name, Layout((1, 1, 1)), ORIGINAL_1_1_1, 3)])
    e = explain(path, "D9", name)
    assert e.sheet == name
    assert text(e).splitlines()[0].startswith(f"{path}, sheet {name!r}, cell D9: ")
    heading = markdown(e).splitlines()[0]
    shown = heading.removeprefix("### Cell D9 of sheet ").rsplit(" in ", 1)[0]
    assert re.sub(r"\\(.)", r"\1", shown) == name
    doc = json.loads(json.dumps(data(e), ensure_ascii=False))
    assert doc["sheet"] == name and doc["numbers"]["recomputed"] == e.recomputed


def test_the_readmes_example_is_what_explain_prints():
    readme = (ROOT / "README.md").read_text()
    shown = readme.split("$ sheetnet explain Simple_Neural_Net.ods M9\n", 1)[1].split("```", 1)[0]
    result = subprocess.run([shutil.which("sheetnet"), "explain", "Simple_Neural_Net.ods", "M9"], capture_output=True,
                            text=True, cwd=ROOT / "spreadsheets", timeout=300)
    assert result.returncode == 0 and result.stdout == shown
