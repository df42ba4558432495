"""What a reader sees: charts drawn by LibreOffice, the original's colours, the summary sheet, `show`."""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
import pytest
from conftest import close
from libreoffice import convert
from pypdf import PdfReader

from sheetnet import formats
from sheetnet.expression import OPENFORMULA, Range, Ref, call
from sheetnet.formats.ods import from_openformula
from sheetnet.layout import networks

N = 120  # more than the 75 rows of the second chart, few enough to render quickly
LAST = 8 + N - 1  # Sheet1's last data row
COST = f"AA8:AA{LAST}"
ODF = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "chart": "urn:oasis:names:tc:opendocument:xmlns:chart:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
}


def sheetnet(*args):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def written(original, tmp_path_factory):
    """{'ods', 'xlsx'}: (path, stdout of train) for Sheet1 of the original trained N iterations."""
    out = tmp_path_factory.mktemp("look")
    found = {}
    for kind in ("ods", "xlsx"):
        path = out / f"trained.{kind}"
        result = sheetnet("train", original, "--sheet", "Sheet1", "-n", N, "-o", path, "--results-only")
        assert result.returncode == 0, result.stderr
        found[kind] = (path, result.stdout)
    return found


@pytest.fixture(scope="module")
def pdfs(written, tmp_path_factory):
    """{'ods', 'xlsx'}: the text of each page of LibreOffice's PDF of the written workbook."""
    out = tmp_path_factory.mktemp("pdf")
    return {kind: [page.extract_text() for page in PdfReader(convert(path, out / kind, "pdf")).pages]
            for kind, (path, _) in written.items()}


# -- the charts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
def test_libreoffice_draws_both_cost_charts_on_the_summary_page(pdfs, kind):
    [page] = [p for p in pdfs[kind] if "Summary of sheet 'Sheet1'" in p]  # one page: printed to fit
    assert f"Cost over all {N} iterations" in page and "Cost over the first 75 iterations" in page
    assert "Cost C (log scale)" in page and "Iteration" in page
    # The linear chart's axis is scaled to the data LibreOffice read from the cost column: the
    # first cost, 0.0606, tops it at 0.07; without data the axis would run from 0 to 1.
    assert "0.07" in page and "0.06" in page
    # The log chart's axis runs from a decade under the final cost to 1.
    assert "1E-07" in page or "0.0000001" in page


def test_xlsx_charts_point_at_the_cost_column(written):
    book = openpyxl.load_workbook(written["xlsx"][0])
    charts = book["Sheet1 summary"]._charts
    assert [c.series[0].yVal.numRef.f for c in charts] == [f"'Sheet1'!$AA$8:$AA${LAST}", "'Sheet1'!$AA$8:$AA$82"]
    titles = ["".join(r.t for p in c.title.tx.rich.p for r in p.r) for c in charts]
    assert titles == [f"Cost over all {N} iterations", "Cost over the first 75 iterations"]
    assert charts[0].y_axis.scaling.logBase == 10 and charts[1].y_axis.scaling.logBase is None
    assert not book["Sheet1"]._charts


def test_ods_chart_objects_point_at_the_cost_column(written):
    with zipfile.ZipFile(written["ods"][0]) as z:
        content = ET.fromstring(z.read("content.xml"))
        manifest = z.read("META-INF/manifest.xml").decode()
        tables = {t.get(f"{{{ODF['table']}}}name"): t for t in content.iter(f"{{{ODF['table']}}}table")}
        frames = tables["Sheet1 summary"].findall("table:shapes/draw:frame", ODF)
        assert [f.get(f"{{{ODF['draw']}}}name") for f in frames] == ["sheetnet Chart 1", "sheetnet Chart 2"]
        assert not tables["Sheet1"].findall("table:shapes", ODF)
        ranges = []
        for frame in frames:
            name = frame.find("draw:object", ODF).get(f"{{{ODF['xlink']}}}href").removeprefix("./")
            assert f'manifest:full-path="{name}/"' in manifest
            chart = ET.fromstring(z.read(f"{name}/content.xml"))
            ranges.append(chart.find(".//chart:series", ODF).get(f"{{{ODF['chart']}}}values-cell-range-address"))
    assert ranges == [f"'Sheet1'.AA8:'Sheet1'.AA{LAST}", "'Sheet1'.AA8:'Sheet1'.AA82"]


# -- the original's look ------------------------------------------------------------------------

YELLOW, GREEN, LAVENDER = "FFFFFBCC", "FFADD58A", "FFDFCCE4"
BOXES = {"C8": YELLOW, "D8": YELLOW, "Y8": GREEN, "Z8": GREEN, "A8": GREEN,
         **{f"{c}8": LAVENDER for c in "EFGHIJOPQRST"}}


def check_look(sheet):
    """The boxes of the first data row, plain cells after it, bold labels, widths."""
    for cell, colour in BOXES.items():
        assert sheet[cell].fill.fgColor.rgb == colour, cell
    for cell in ("C9", "K8", "AA8"):
        assert sheet[cell].fill.fill_type is None, cell
    assert sheet["C6"].font.b and sheet["C4"].font.b and sheet["A6"].value == "Learning rate"
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["C"].width > sheet.column_dimensions["B"].width


def test_xlsx_has_the_original_look(written):
    sheet = openpyxl.load_workbook(written["xlsx"][0])["Sheet1"]
    check_look(sheet)
    assert sheet.freeze_panes == "C8"
    assert "yellow box (C8:D8)" in sheet["A2"].value and "green box (Y8:Z8)" in sheet["A2"].value


def test_libreoffice_reads_the_ods_look(written, tmp_path):
    """LibreOffice takes the .ods styles and widths as meant: its own .xlsx export shows them."""
    check_look(openpyxl.load_workbook(convert(written["ods"][0], tmp_path, "xlsx", recalc=False))["Sheet1"])


def test_ods_styles_and_frozen_panes(written):
    with zipfile.ZipFile(written["ods"][0]) as z:
        content = ET.fromstring(z.read("content.xml"))
        settings = ET.fromstring(z.read("settings.xml"))
    backgrounds = {s.get(f"{{{ODF['style']}}}name"): p.get(f"{{{ODF['fo']}}}background-color")
                   for s in content.iter(f"{{{ODF['style']}}}style")
                   for p in s.findall("style:table-cell-properties", ODF)}
    table = next(t for t in content.iter(f"{{{ODF['table']}}}table") if t.get(f"{{{ODF['table']}}}name") == "Sheet1")
    row8 = [r for r in table.findall("table:table-row", ODF)][7]  # rows 1..7 are written one by one
    styles, col = {}, 1
    for cell in row8.findall("table:table-cell", ODF):
        styles[col] = cell.get(f"{{{ODF['table']}}}style-name")
        col += int(cell.get(f"{{{ODF['table']}}}number-columns-repeated", 1))
    colour = lambda c: backgrounds.get(styles.get(c), "").upper()
    assert [colour(c) for c in (1, 3, 4, 5, 25, 26)] == ["#ADD58A", "#FFFBCC", "#FFFBCC", "#DFCCE4",
                                                          "#ADD58A", "#ADD58A"]
    assert styles[11] is None  # the activations stay plain
    entries = {e.get(f"{{{ODF['config']}}}name"): {i.get(f"{{{ODF['config']}}}name"): i.text
                                                   for i in e.findall("config:config-item", ODF)}
               for e in settings.iter(f"{{{ODF['config']}}}config-item-map-entry") if e.get(f"{{{ODF['config']}}}name")}
    frozen = entries["Sheet1"]
    assert (frozen["HorizontalSplitMode"], frozen["HorizontalSplitPosition"]) == ("2", "2")  # columns A, B
    assert (frozen["VerticalSplitMode"], frozen["VerticalSplitPosition"]) == ("2", "7")  # rows 1 to 7


# -- the summary ----------------------------------------------------------------------------------


def labelled(sheet, label: str) -> int:
    """The row whose column A says label."""
    [row] = [r for r in sheet.rows if sheet.value(r, 1) == label]
    return row


def check_summary(book):
    [(trained, layout, _)] = networks(book)  # the summary is not taken for a network
    summary = book.sheet("Sheet1 summary")
    assert summary.value(labelled(summary, "Network"), 2) == "2-2-2"
    assert summary.value(labelled(summary, "Iterations"), 2) == N
    assert summary.value(labelled(summary, "γ (the learning rate)"), 2) == 0.5
    first, final = labelled(summary, "Cost, first iteration"), labelled(summary, "Cost, final iteration")
    formula = lambda r: summary.cell(r, 2).formula.replace("'", "")  # LibreOffice drops needless quotes
    assert close(summary.value(first, 2), trained.value(8, 27)) and formula(first) == "Sheet1!AA8"
    assert close(summary.value(final, 2), trained.value(LAST, 27)) and formula(final) == f"Sheet1!AA{LAST}"
    # W(1) at the start (B..D) and at the end (F..H), row j, column i, bias last: E..J of the trained sheet.
    w1 = labelled(summary, "W(1)") + 2
    for j in range(2):
        for i in range(3):
            col = layout.at("weight", 1, j, i).col
            assert close(summary.value(w1 + j, 2 + i), trained.value(8, col))
            assert close(summary.value(w1 + j, 6 + i), trained.value(LAST, col))
    outputs = labelled(summary, "Outputs a(2) against targets T") + 2
    for j in range(2):
        assert close(summary.value(outputs + j, 3), trained.value(LAST, 21 + j))  # U, V
        assert close(summary.value(outputs + j, 4), trained.value(LAST, 25 + j))  # Y, Z
    return summary


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
def test_summary_holds_the_first_and_final_iteration(written, kind):
    summary = check_summary(formats.read(written[kind][0]))
    assert close(summary.value(labelled(summary, "Cost, first iteration"), 2), 0.0605716938833457)  # the original's AA8


def test_summary_formulas_follow_the_sheet_in_libreoffice(written, tmp_path):
    """Recalculated by LibreOffice, the cross-sheet formulas still show the trained sheet's numbers."""
    check_summary(formats.read(convert(written["ods"][0], tmp_path, "ods")))


@pytest.mark.parametrize("tree, neutral, openformula", [
    (Ref(27, 8, sheet="Sheet1"), "'Sheet1'!AA8", "of:=[$'Sheet1'.AA8]"),
    (Ref(5, 1002, fixed_col=True, fixed_row=True, sheet="it's 2") - Ref(3, 8),
     "'it''s 2'!$E$1002-C8", "of:=[$'it''s 2'.$E$1002]-[.C8]"),
    (call("MAX", Range(Ref(3, 8, sheet="S 1"), Ref(39, 8))) + call("SUM", Range(Ref(6, 8), Ref(6, 10))),
     "MAX('S 1'!C8:AM8)+SUM(F8:F10)", "of:=MAX([$'S 1'.C8:.AM8])+SUM([.F8:.F10])"),
    (Ref(3, -1, relative=True) * Ref(1, 8, fixed_col=True, fixed_row=True), "C8*$A$8", "of:=[.C8]*[.$A$8]"),
])
def test_openformula_translates_other_sheets_and_ranges(tree, neutral, openformula):
    assert tree.text(9) == neutral and tree.text(9, OPENFORMULA) == openformula
    assert from_openformula(openformula) == neutral


# -- the terminal ---------------------------------------------------------------------------------


def test_train_reports_cost_and_outputs(written):
    path, stdout = written["ods"]
    trained = formats.read(path).sheet("Sheet1")
    lines = stdout.splitlines()
    assert lines[0] == f"Sheet1: 2-2-2 network, {N} iterations, learning rate 0.5"
    assert lines[1].split() == ["cost", f"{trained.value(8, 27):.6g}", "->", f"{trained.value(LAST, 27):.6g}"]
    outputs = [f"{trained.value(r, c):.6g}" for r in (8, LAST) for c in (21, 22)]
    assert lines[2].split() == ["outputs", *outputs[:2], "->", *outputs[2:], "(targets", "0.3", "0.4)"]
    assert lines[3] == f"wrote {path} (weights, outputs and cost charts on 'Sheet1 summary')"


def test_show_prints_what_the_workbook_holds(written):
    path = written["xlsx"][0]
    trained = formats.read(path).sheet("Sheet1")
    result = sheetnet("show", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: 1 network (sheets: Sheet1, Sheet1 summary, Sheet1 check)"
    assert lines[1] == f"Sheet1: 2-2-2 network, {N} rows (8 to {LAST}), learning rate 0.5 (A8)"
    assert lines[2] == "  inputs 0.1 0.9, targets 0.3 0.4"
    assert lines[3:7] == ["  W(1) in row 8:", "          i=0   i=1  bias", "    j=0   0.5  -0.2   0.3",
                          "    j=1   0.2  -0.6   0.6"]
    assert lines[7:11] == ["  W(2) in row 8:", "          i=0   i=1  bias", "    j=0   0.1   0.5  -0.3",
                           "    j=1   0.2   0.3   0.5"]
    assert lines[11] == (f"  cost, as cached: {trained.value(8, 27):.6g} (AA8) -> "
                         f"{trained.value(LAST, 27):.6g} (AA{LAST})")


def test_show_one_sheet_of_the_original_and_a_bad_sheet(original):
    result = sheetnet("show", original, "--sheet", "Ark2")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^Ark2: 1-1-1 network, 193 rows \(8 to 200\), learning rate 0\.5 \(A8\)$", result.stdout, re.M)
    assert "cost, as cached: 0.00378871 (M8) ->" in result.stdout and "Sheet1" not in result.stdout.split("\n", 1)[1]
    bad = sheetnet("show", original, "--sheet", "Nope")
    assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.splitlines()) == 1
    assert "no sheet named 'Nope'" in bad.stderr
