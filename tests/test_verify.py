"""sheetnet verify: the original, LibreOffice's exports of it, written workbooks and tampered copies;
the live check sheet after LibreOffice recalculates; the formula reader underneath."""

import json
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from libreoffice import convert

from sheetnet import formats
from sheetnet.api import open as open_workbook
from sheetnet.commands.output import Run, write
from sheetnet.formula import FormulaError, parse
from sheetnet.grid import Cell, Row, column_number, fresh_name, parse_address
from sheetnet.layout import Layout, find, networks
from sheetnet.layout.check import SUFFIX, TOLERANCE
from sheetnet.math.template import ORIGINAL_1_1_1, ORIGINAL_2_2_2, random_problem
from sheetnet.verify import verify_book, verify_sheet

N = 300  # iterations in the written workbooks


def sheetnet(*args):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=300)


def report_of(path, sheet):
    [report] = verify_book(formats.read(path), sheet)
    return report


# -- the original and LibreOffice's exports of it -------------------------------------------------

@pytest.mark.parametrize("kind", ["ods", "xlsx", "xls"])
def test_original_sheet1_verifies_clean(original_exports, kind):
    report = report_of(original_exports[kind], "Sheet1")
    assert report.ok, report.text()
    assert (report.iterations, report.first_row, report.last_row, report.sizes) == (995, 8, 1002, (2, 2, 2))
    assert report.failing == 0 and report.first is None
    # LibreOffice stored 15 digits and computed in its own order: small, nonzero deviations.
    largest = max(q.largest for q in report.quantities)
    assert 0 < largest < 1e-13
    assert [q.name for q in report.quantities] == ["a(0)", "W(1)", "a(1)", "δ(1)", "W(2)", "a(2)", "δ(2)", "T", "C"]
    if kind == "xls":
        assert report.formulas == 0 and "holds no formulas" in report.text()
    else:
        assert report.formulas == 995 * 25 - 16  # every cell but the 16 typed numbers of row 8
        assert "holds no formulas" not in report.text()


def test_the_bundled_workbook_verifies():
    from conftest import ROOT

    reports = verify_book(formats.read(ROOT / "spreadsheets" / "Simple_Neural_Net.ods"))
    assert [(r.sheet, r.ok, r.iterations) for r in reports] == [("Sheet1", True, 995), ("Ark2", True, 193)]


def test_a_tolerance_of_zero_sees_libreoffice_rounding(original):
    result = sheetnet("verify", original, "--sheet", "Sheet1", "--rtol", "0", "--atol", "0")
    assert result.returncode == 1
    assert "FAILS" in result.stdout


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
def test_original_ark2_fails_naming_its_faults(original_exports, kind):
    report = report_of(original_exports[kind], "Ark2")
    assert not report.ok
    first = report.first
    assert first.cell == "D9" and first.what == "w00 of layer 1, iteration 2 (after the update of iteration 1)"
    assert first.formula == "D8-$A$9*C8*G8"
    assert first.problem == "refers to A9, which is empty; the learning rate is in A8"
    assert first.found == 0.1 and first.expected == pytest.approx(0.1 - 0.5 * 0.3 * -0.00154233895999703, rel=1e-12)
    assert {"cell": "A9", "value": None, "what": ""} in first.refers_to
    runs = {f.cell: f for f in report.faults}
    assert list(runs) == ["D9", "D10:D200", "E10:E200", "H10:H200", "I10:I200"]
    for cell in ["D10:D200", "E10:E200", "H10:H200", "I10:I200"]:
        assert runs[cell].count == 191
        assert runs[cell].problem == "no learning rate (the learning rate is in A8)"
    assert runs["D10:D200"].formula == "D9-C9*G9"
    assert report.formula_faults == 1 + 4 * 191
    # The learning rate and Ark2's bias cells E8 and I8 (0.1 and 0.3) are what the recomputation starts from.
    assert report.learning_rate == 0.5
    text = report.text()
    assert "D9, w00 of layer 1, iteration 2 (after the update of iteration 1)" in text and "refers to A9, which is empty; the learning rate is in A8" in text
    for cell in ["D10:D200", "E10:E200", "H10:H200", "I10:I200"]:
        assert f"{cell} (191 cells)" in text


def test_ark2_values_only_fails_by_its_numbers(original_exports):
    report = report_of(original_exports["xls"], "Ark2")
    assert report.formulas == 0 and not report.ok
    assert report.first.cell == "D9" and report.first.formula is None
    assert "does not follow from the sheet's numbers by backpropagation" in report.first.problem
    # No formula faults where the file holds no formulas, only numbers that do not follow.
    assert report.formula_faults == 0
    assert [f.cell for f in report.faults] == ["D9:D200", "E10:E200", "H10:H200", "I10:I200"]


def test_the_command_reports_every_network_and_exits_1(original):
    result = sheetnet("verify", original)
    assert result.returncode == 1, result.stderr
    assert "sheet 'Sheet1': 2-2-2 network, 995 iterations (rows 8-1002)" in result.stdout
    assert "sheet 'Ark2': 1-1-1 network, 193 iterations (rows 8-200)" in result.stdout
    assert "first failing cell: D9, w00 of layer 1, iteration 2 (after the update of iteration 1)" in result.stdout
    assert sheetnet("verify", original, "--sheet", "Sheet1").returncode == 0


def test_json_holds_the_same_report(original):
    result = sheetnet("verify", original, "--json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and [n["sheet"] for n in doc["networks"]] == ["Sheet1", "Ark2"]
    sheet1, ark2 = doc["networks"]
    assert sheet1["ok"] and sheet1["iterations"] == 995 and sheet1["shape"] == "2-2-2"
    assert ark2["first_failure"]["cell"] == "D9"
    assert ark2["first_failure"]["problem"] == "refers to A9, which is empty; the learning rate is in A8"
    assert ark2["formula_faults"] == 765
    assert [f["cell"] for f in ark2["faults"]] == ["D9", "D10:D200", "E10:E200", "H10:H200", "I10:I200"]


def test_unreadable_input_exits_2(tmp_path, original):
    bad = tmp_path / "bad.ods"
    bad.write_text("not a zip")
    for args in ([bad], [tmp_path / "missing.ods"], [original, "--sheet", "Nope"], [original, "--rtol", "-1"], [original, "--atol", "nan"]):
        result = sheetnet("verify", *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("sheetnet: error: ") and "Traceback" not in result.stderr
    empty = tmp_path / "empty.xlsx"
    with formats.atomic(empty) as f, formats.writer(empty)(f) as w:
        w.sheet("S")
        w.row(1, ["nothing here"])
    result = sheetnet("verify", empty)
    assert result.returncode == 2 and "no network found" in result.stderr


# -- workbooks sheetnet writes ------------------------------------------------------------------

# The second name needs quoting in formulas, and its comma must survive the .ods translation.
RUNS = [("Sheet1", ORIGINAL_2_2_2), ("Ark2, it's", ORIGINAL_1_1_1), ("3-5-4-2", random_problem((3, 5, 4, 2), seed=7))]
NAMES = [name for name, _ in RUNS]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """{suffix: (sheetnet's workbook, LibreOffice's recalculated copy)} for .ods and .xlsx."""
    folder = tmp_path_factory.mktemp("verify")
    out = {}
    for suffix in (".ods", ".xlsx"):
        path = folder / f"trained{suffix}"
        write(path, [Run(name, Layout(p.sizes), p, N) for name, p in RUNS])
        out[suffix] = path, convert(path, folder / f"lo{suffix[1:]}", suffix[1:])
    return out


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_written_workbooks_verify_clean_before_and_after_libreoffice(written, suffix):
    for path in written[suffix]:
        reports = verify_book(formats.read(path))
        assert [r.sheet for r in reports] == NAMES
        for r in reports:
            assert r.ok, r.text()
            assert r.iterations == N and r.formulas > 0.9 * N * len(Layout(r.sizes).columns)
            assert "dC/dW(1)" in [q.name for q in r.quantities]
        assert sheetnet("verify", path).returncode == 0


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_the_live_check_shows_agreement_after_libreoffice(written, suffix):
    ours, recalculated = (formats.read(p) for p in written[suffix])
    assert {f"{name} check" for name in NAMES} <= {s.name for s in ours.sheets}
    assert [s.name for s, _, _ in networks(ours)] == NAMES  # the check sheets are no networks
    for name, problem in RUNS:
        check = recalculated.sheet(f"{name} check")
        largest, status = check.cell(2, 2), check.cell(4, 2)
        assert largest.formula.startswith("MAX(") and status.formula.startswith("IF(")
        assert isinstance(largest.value, float) and 0 <= largest.value <= TOLERANCE
        assert status.value == "OK"
        # LibreOffice really compared: its rows of the formula sheet are not Python's bit for bit.
        per_row = [check.value(r, Layout(problem.sizes).last_col + 2) for r in range(8, 8 + N)]
        assert all(isinstance(v, float) and v <= TOLERANCE for v in per_row)
        if name == "Sheet1":
            assert max(per_row) > 0
        # Python's numbers at the same addresses as the formulas they check.
        assert ours.sheet(f"{name} check").value(9, 5) == ours.sheet(name).value(9, 5)
        assert ours.sheet(f"{name} check").value(2, 2) == 0.0


def test_the_live_check_shows_a_mismatch(written, tmp_path):
    """A first-row input changed in the file: LibreOffice recomputes every row from it, Python's don't move."""
    path = tmp_path / "changed.xlsx"
    _edit_xlsx(written[".xlsx"][0], path, "C8", value="0.2")
    lo = formats.read(convert(path, tmp_path / "lo", "xlsx"))
    check = lo.sheet("Sheet1 check")
    assert check.value(2, 2) > 1e-3 and check.value(4, 2) == "MISMATCH"
    assert lo.sheet("Ark2, it's check").value(4, 2) == "OK"


def test_check_sheet_names_never_collide():
    assert fresh_name("Sheet1", ["Sheet1"], SUFFIX) == "Sheet1 check"
    assert fresh_name("Sheet1", ["Sheet1", "Sheet1 check"], SUFFIX) == "Sheet1 check 2"
    assert len(fresh_name("x" * 31, [], SUFFIX)) == 31


# -- tampered copies ------------------------------------------------------------------------------

def _edit_xlsx(src, dst, cell, value=None, formula=None, drop_formula=False):
    """Copy an .xlsx, changing one cell of the first sheet in its XML."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                row, col = parse_address(cell)
                start = text.index(f'<row r="{row}">')
                # The writer leaves out the reference of a cell right of the one before it.
                at = 0
                for m in re.finditer(r'<c(?: r="([A-Z]+)\d+")?[^>]*>(?:<f>([^<]*)</f>)?<v>([^<]*)</v></c>',
                                     text[start:text.index("</row>", start)]):
                    at = column_number(m.group(1)) if m.group(1) else at + 1
                    if at == col:
                        break
                assert at == col, cell
                formula = None if drop_formula else formula if formula is not None else m.group(2)
                f = f"<f>{formula}</f>" if formula is not None else ""
                v = value if value is not None else m.group(3)
                text = text[:start + m.start()] + f'<c r="{cell}">{f}<v>{v}</v></c>' + text[start + m.end():]
                data = text.encode()
            zout.writestr(item, data)


TAMPERED = {
    # cell: (edit, what the report must say)
    "K150": (dict(value="0.5414"), "its cached value does not follow from its formula"),
    "L200": (dict(formula="1/(1+EXP(-(C199*H200+D200*I200+J200)))"),
             "refers to C199, row 199, where row 200 is expected (C200)"),
    "F120": (dict(formula="F119-$B$8*M119*D119"), "refers to B8, which is empty; the learning rate is in A8"),
    "M250": (dict(drop_formula=True), "a typed number where a formula belongs"),
}


@pytest.mark.parametrize("cell", list(TAMPERED))
def test_tampered_copies_fail_at_the_tampered_cell(written, tmp_path, cell):
    edit, problem = TAMPERED[cell]
    path = tmp_path / "tampered.xlsx"
    _edit_xlsx(written[".xlsx"][0], path, cell, **edit)
    report = report_of(path, "Sheet1")
    assert not report.ok
    assert report.first.cell == cell, report.text()
    assert problem in report.first.problem
    result = sheetnet("verify", path)
    assert result.returncode == 1
    assert f"first failing cell: {cell}" in result.stdout and problem in result.stdout
    assert "sheet \"Ark2, it's\"" in result.stdout and result.stdout.count(": OK") == len(RUNS) - 1  # the others untouched


def test_a_wrong_row_is_reported_even_where_the_value_is_right(written, tmp_path):
    """The inputs never change, so L200 computed from C199 holds the right number; only the formula is wrong."""
    path = tmp_path / "tampered.xlsx"
    _edit_xlsx(written[".xlsx"][0], path, "L200", formula="1/(1+EXP(-(C199*H200+D200*I200+J200)))")
    report = report_of(path, "Sheet1")
    assert report.failing == report.formula_faults == 1 and report.value_faults == 0


@pytest.fixture(scope="module")
def sheet1(written):
    return formats.read(written[".ods"][0]).sheet("Sheet1")


def _tamper(sheet, cell_row, cell_col, cell):
    copy = type(sheet)(sheet.name, {r: dict(cells) for r, cells in sheet.rows.items()})
    copy.set(cell_row, cell_col, cell)
    return verify_sheet(copy, *find(copy))


def test_a_row_of_numbers_above_the_labels_leaves_the_data_rows_their_formulas(sheet1):
    """Row 1 as a Row of numbers in exactly the network's columns (as a reader keeps it): the
    formulas verify compares are still each data row's own."""
    rows = dict(sheet1.rows)
    data = rows[9]  # the second data row: the network's cells and no learning rate beside them
    assert isinstance(data, Row)
    rows[1] = Row(data.columns, data.numbers, Row.SEPARATOR * (len(data) - 1))
    copy = type(sheet1)(sheet1.name, rows)
    report = verify_sheet(copy, *find(copy))
    assert report.ok and report.formulas == verify_sheet(sheet1, *find(sheet1)).formulas


def test_a_changed_number_deep_inside_is_found_where_it_was_changed(sheet1):
    """W250 (δ0 of layer 2) is used by M250, which stands left of it; the report names W250."""
    old = sheet1.cell(250, 23)
    report = _tamper(sheet1, 250, 23, Cell(old.value + 1e-9, old.formula))
    assert report.first.cell == "W250"
    assert report.value_faults == 1  # only W250 differs from the recomputation


def test_a_sign_error_is_found_where_the_deltas_are_zero(sheet1):
    """E299 = E298 + γ δ a instead of minus: with δ near 0 the numbers agree, the formula does not."""
    report = _tamper(sheet1, 299, 5, Cell(sheet1.value(299, 5), "E298+$A$8*M298*C298"))
    assert report.first.cell == "E299"
    assert report.first.problem.startswith("computes something else from the right cells")


def test_a_formula_deleted_in_the_ods_grid(sheet1):
    report = _tamper(sheet1, 100, 11, Cell(sheet1.value(100, 11)))
    assert report.first.cell == "K100" and report.first.problem.startswith("a typed number where a formula belongs")
    assert report.first.expected_formula == "1/(1+EXP(-(C100*E100+D100*F100+G100)))"


def test_distinct_formulas_past_the_packages_share_are_counted_not_checked(sheet1, monkeypatch):
    """A cost written in every row as a formula of its own that only the formulas package evaluates:
    the first MOST_SLOW are checked, the rest are counted as not checked, noted as one run, and
    their numbers are still compared with the recomputation."""
    from sheetnet.verify import formulas

    monkeypatch.setattr(formulas, "MOST_SLOW", 100)
    copy = type(sheet1)(sheet1.name, {r: dict(cells) for r, cells in sheet1.rows.items()})
    for r in range(8, 8 + N):  # the same cost, spelled with a different constant in each row
        copy.set(r, 27, Cell(sheet1.value(r, 27), f"SUMXMY2(U{r}:V{r},Y{r}:Z{r})/2+{r}*0"))
    report = verify_sheet(copy, *find(copy))
    assert report.ok and report.not_checked == N - 100, report.text()
    [note] = report.unchecked
    assert (note.cell, note.count, note.formula) == (f"AA108:AA{7 + N}", N - 100, "SUMXMY2(U108:V108,Y108:Z108)/2+108*0")
    assert note.message.startswith("one of more than 100 distinct formulas on the sheet that only the formulas package")
    copy.set(250, 27, Cell(sheet1.value(250, 27) * 2, copy.cell(250, 27).formula))
    report = verify_sheet(copy, *find(copy))
    assert not report.ok and report.first.cell == "AA250" and report.value_faults == 1, report.text()


# -- the formula reader -----------------------------------------------------------------------------

def test_the_same_formula_in_another_row_is_the_same_form():
    a, b = parse("E8-$A$8*M8*C8", 9, 5), parse("E9-$A$8*M9*C9", 10, 5)
    assert a.key == b.key and a.fn is b.fn
    assert a.text(500) == "E499-$A$8*M499*C499"
    assert a.cells(9, 5) == [(None, 8, 5), (None, 8, 1), (None, 8, 13), (None, 8, 3)]
    assert parse("E8-A8*M8*C8", 9, 5).key != a.key  # a relative learning rate moves with the row


@pytest.mark.parametrize("text, value", [
    ("-2^2", 4.0), ("2^-1", 0.5), ("2^3^2", 64.0), ("1+2*3", 7.0), ("(1+2)*3", 9.0), ("50%", 0.5),
    ("EXP(0)+LN(1)+SQRT(4)+ABS(-3)", 6.0), ("SUM(1,2,3)-MIN(4,5)+MAX(6,7)", 9.0), ("1E-3*1000", 1.0),
    ("2>1", 1.0), ("POWER(2,10)", 1024.0), (".5+.5", 1.0),
])
def test_formula_arithmetic_follows_the_spreadsheet(text, value):
    assert parse(text, 1, 1).evaluate([]) == value


def test_formulas_evaluate_whole_columns_and_ranges():
    form = parse("SUM(A1:B2)*C1", 1, 3)
    assert len(form.refs) == 5
    values = [np.array([1.0, 2.0])] * 4 + [np.array([10.0, 100.0])]
    assert form.evaluate(values).tolist() == [40.0, 800.0]


@pytest.mark.parametrize("text", ["", "1+", "A0", "SUM(1", "EXP(1,2)"])
def test_unreadable_formulas_raise(text):
    with pytest.raises(FormulaError):
        parse(text, 1, 1)


@pytest.mark.parametrize("text, value", [("FOO(1)", None), ('"a"&"b"', np.nan), ("A1:B2", 0.0)])
def test_formulas_read_but_not_numbers(text, value):
    """A function no one implements is read, with the reason it cannot be evaluated; text gives no
    number; a range alone gives its first cell's."""
    form = parse(text, 1, 1)
    if value is None:
        assert form.fn is None and "unknown function FOO" in form.reason
    else:
        assert form.reason is None and np.array_equal(form.evaluate([0.0] * len(form.refs)), value, equal_nan=True)


def test_a_weight_update_from_the_change_matrix_is_right(sheet1):
    """LAYOUT.md: with change matrices, w(r) = w(r-1) - γ dC/dw(r-1) is the same rule (AB: dC/dw00 of layer 1)."""
    assert _tamper(sheet1, 150, 5, Cell(sheet1.value(150, 5), "E149-$A$8*AB149")).ok
    report = _tamper(sheet1, 150, 5, Cell(sheet1.value(150, 5), "E149-$A$8*AC149"))
    assert report.first.cell == "E150"
    assert report.first.problem.startswith("refers to AC149 (dC/dw01 of layer 1, iteration 142, holding ")
    assert report.first.problem.endswith("where AB149 (dC/dw00 of layer 1, iteration 142) is expected")


def test_train_then_verify(original, tmp_path):
    """Every network sheetnet train writes verifies; sheets it keeps from its input verify as they did there."""
    before = {r.sheet: r.ok for r in verify_book(formats.read(original))}
    for suffix in (".ods", ".xlsx"):
        out = tmp_path / f"trained{suffix}"
        assert sheetnet("train", original, "-n", 50, "-o", out).returncode == 0
        doc = json.loads(sheetnet("verify", out, "--json").stdout)
        new = [n for n in doc["networks"] if n["iterations"] == 50]  # the original's have 995 and 193
        assert len(new) == 2 and all(n["ok"] for n in new)
        assert all(n["ok"] == before[n["sheet"]] for n in doc["networks"] if n not in new)
        for n in new:
            assert sheetnet("verify", out, "--sheet", n["sheet"]).returncode == 0


def test_a_converged_network_of_every_kth_iteration_verifies(tmp_path):
    """The original's 2-2-2 learns its one sample: from iteration ~800 on its weights stay within
    the tolerance of each other, and from ~990 on they do not change at all. Rows of every 1,000th
    iteration are shown by any K whose weights the second row shows exactly; the first K whose
    weights are only close (798) gave deltas 1e-15 apart, and verify failed a right sheet."""
    path = tmp_path / "converged.xlsx"
    write(path, [Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, 1_000_000, every=1000)])
    report = report_of(path, "S")
    assert report.ok, report.text()
    assert report.every > 900 and report.last_row - report.first_row + 1 == 1001


def test_a_sheet_of_every_kth_iteration_verifies(tmp_path):
    """sheetnet train --log-every K writes numbers of iterations 1, 1 + K, ... and n; verify finds K and n."""
    path = tmp_path / "every.xlsx"
    problem = random_problem((3, 4, 2), seed=3)
    write(path, [Run("S", Layout((3, 4, 2)), problem, 200, every=7)])
    report = report_of(path, "S")
    assert report.ok, report.text()
    assert (report.every, report.iterations, report.last_row - report.first_row + 1) == (7, 200, 30)
    assert report.formulas == 0 and "one row for every 7th" in report.text()
    # A changed number in such a sheet is still found, named by its iteration.
    sheet = formats.read(path).sheet("S")
    tampered = _tamper(sheet, 20, 10, Cell(sheet.value(20, 10) + 1e-6))
    assert tampered.first.cell == "J20" and tampered.first.what.endswith("iteration 85 (after the update of iteration 84)")
    assert tampered.first.problem == "differs from the recomputation from the first row"
    assert [f.cell for f in tampered.faults] == ["J20", "W20"]  # and the activation computed from it


def test_a_resumed_sheet_is_numbered_as_train_numbers_it(tmp_path):
    """train --resume numbers a sheet's iterations on (its note in A1 says from which): verify and
    explain name its rows by those numbers, a clean one verifies, and a sheet of every K-th
    iteration resumed again goes on from its own."""
    src, once, twice = tmp_path / "net.xlsx", tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    assert sheetnet("template", src, "--seed", "3").returncode == 0
    assert sheetnet("train", src, "-n", "10", "-o", once, "--results-only").returncode == 0
    assert sheetnet("train", once, "--resume", "-n", "10", "-o", twice, "--results-only").returncode == 0
    result = sheetnet("verify", twice, "--json")
    assert result.returncode == 0, result.stdout
    [doc] = json.loads(result.stdout)["networks"]
    assert (doc["first_iteration"], doc["last_iteration"], doc["iterations"], doc["rows"]) == (11, 20, 10, [8, 17])
    assert "iterations 11 to 20 (rows 8-17)" in sheetnet("verify", twice).stdout
    # Row 12 shows iteration 15: its weight w01 of layer 1 (F), changed.
    bad = tmp_path / "bad.xlsx"
    _edit_xlsx(twice, bad, "F12", value="0.5")
    result = sheetnet("verify", bad)
    assert result.returncode == 1
    assert "first failing cell: F12, w01 of layer 1, iteration 15 (after the update of iteration 14)" in result.stdout, \
        result.stdout
    explained = sheetnet("explain", twice, "F12")
    assert explained.returncode == 0 and "iteration 15 (after the update of iteration 14)" in explained.stdout, \
        explained.stdout
    # The same weight of a straight training of 15 iterations: the resumed sheet's numbers are those.
    sheet = formats.read(twice).sheet("Sheet1")
    expected = open_workbook(src)["Sheet1"].train(15, progress=False)
    assert sheet.value(12, column_number("F")) == pytest.approx(expected.W[1][-1][0, 1], rel=1e-13)

    # A sheet of every 50th iteration resumed from the one of every 100th: rows 1,002, 1,052, ...
    logged, again = tmp_path / "logged.xlsx", tmp_path / "again.xlsx"
    assert sheetnet("train", src, "-n", "1001", "--log-every", "100", "-o", logged, "--results-only").returncode == 0
    result = sheetnet("train", logged, "--resume", "-n", "501", "--log-every", "50", "-o", again, "--results-only")
    assert result.returncode == 0, result.stderr
    result = sheetnet("verify", again)
    assert result.returncode == 0, result.stdout
    assert "iterations 1,002 to 1,502 (rows 8-18, one row for every 50th and the last one)" in result.stdout
    sheet = formats.read(again).sheet("Sheet1")
    tampered = _tamper(sheet, 12, 6, Cell(sheet.value(12, 6) + 1e-6))  # row 12: iteration 1,002 + 4·50
    assert tampered.first.cell == "F12" and tampered.first.what.startswith("w01 of layer 1, iteration 1202"), \
        tampered.first.what
