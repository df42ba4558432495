"""verify on the sheets people write: the note's formulas spelled with SUMPRODUCT, SUMXMY2, POWER,
IF, MMULT array formulas, a named learning rate, weights on a sheet of their own, in a 2-2-2, a
2-2-1 and a 3-4-2 network, each recalculated by LibreOffice and read back as .ods and .xlsx; and
real mistakes in each spelling, which must still be caught."""

import json
import shutil
import subprocess

import pytest
import spellings as S

from sheetnet import formats
from sheetnet.layout import Kind, Layout
from sheetnet.verify import verify_file
from sheetnet.verify.report import Fault, Report, Tolerance

FIRST = 8


def sheetnet(*args):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=300)


WEIGHTS, WHERE = S.weights_sheet()
LAYOUT = Layout((2, 2, 2), changes=False)
STYLES = {
    "rewrites": S.Variant("rewrites", spell=S.rewrites),
    "functions": S.Variant("functions", spell=S.functions),
    "named": S.Variant("named", spell=S.named, names={"lr": "Sheet1!$A$8"}),
    "mmult": S.Variant("mmult", sizes=(2, 2, 1), spell=S.mmult),
    "weights": S.Variant("weights", spell=S.on_weights_sheet(WHERE), sheets={"Weights": WEIGHTS},
                         first_row={(FIRST, c.col): WHERE[(c.layer, c.j, c.i)] for c in LAYOUT.columns
                                    if c.kind == Kind.WEIGHT}),
    "sumproduct 3-4-2": S.Variant("sumproduct342", sizes=(3, 4, 2), spell=S.rewrites),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spellings")
    cache = {}

    def build(variant):
        if variant.name not in cache:
            cache[variant.name] = S.build(variant, folder / variant.name)
        return cache[variant.name]
    return build


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_spelling_of_the_note_verifies(built, style, kind):
    [report] = verify_file(built(STYLES[style])[kind])
    assert report.ok, report.text()
    assert report.not_checked == 0 and not report.warnings, report.text()
    assert report.formulas >= S.ROWS * len(report.quantities)


def test_the_issues_rewrites_pass_the_command(built):
    path = built(STYLES["rewrites"])["ods"]
    result = sheetnet("verify", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"{path}: every network verifies\n")


# -- array formulas whose cells are repeated by a count -------------------------------------------------

def test_each_cell_an_array_formula_covers_reads_as_its_own_element(tmp_path):
    """Cells repeated by table:number-columns-repeated or in rows repeated by number-rows-repeated,
    covered by an array formula or anchoring one each, read each as the element of its own array."""
    def row(cells, repeat=1):
        return (f'<table:table-row table:number-rows-repeated="{repeat}">' if repeat > 1 else "<table:table-row>") \
            + "<table:table-cell/>" + cells + "</table:table-row>"

    def covered(count):
        return (f'<table:covered-table-cell table:number-columns-repeated="{count}" office:value-type="float" '
                'office:value="1"/>')

    def anchor(formula, cols, rows, count=1):
        return (f'<table:table-cell table:number-columns-repeated="{count}" table:formula="{formula}" '
                f'table:number-matrix-columns-spanned="{cols}" table:number-matrix-rows-spanned="{rows}" '
                'office:value-type="float" office:value="1"/>')

    rows = [row(""), row(anchor("of:=[.D1:.F3]*2", 3, 3) + covered(2)), row(covered(3), repeat=2),
            row(anchor("of:=[.A1:.A2]", 1, 2, count=2)), row(covered(2)),
            row(anchor("of:=[.A1:.B1]", 2, 1) + covered(1), repeat=2)]
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {S.NS}><office:body>'
               f'<office:spreadsheet><table:table table:name="S">{"".join(rows)}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    [sheet] = formats.read(S.ods(tmp_path / "arrays.ods", content=content)).sheets
    found = {r: {c: (cell.value, cell.formula) for c, cell in cells.items()} for r, cells in sheet.rows.items()}
    big = {r: {c: (1.0, f"INDEX(D1:F3*2,{r - 1},{c - 1})") for c in (2, 3, 4)} for r in (2, 3, 4)}
    column = {r: {c: (1.0, f"INDEX(A1:A2,{r - 4},1)") for c in (2, 3)} for r in (5, 6)}  # two arrays, B5:B6 and C5:C6
    wide = {r: {c: (1.0, f"INDEX(A1:B1,1,{c - 1})") for c in (2, 3)} for r in (7, 8)}  # B7:C7, and B8:C8
    assert found == big | column | wide


def test_an_array_formula_whose_cells_are_repeated_by_a_count_verifies(built, tmp_path):
    """The MMULT spelling of a 3-2-1 network whose inputs and weights are equal: each weight update's
    array holds three equal numbers, written as one cell and one repeated twice; each is checked as
    its own element (the second and third are w_j1 and w_j2, not w_j1 twice)."""
    equal = {(FIRST, col): f"{first}{FIRST}" for first, cols in (("C", (4, 5)), ("F", (7, 8)), ("J", (11, 12)))
             for col in cols}
    variant = S.Variant("mmult-repeated", sizes=(3, 2, 1), spell=S.mmult, first_row=equal)
    path, runs = S.repeat_equal_cells(built(variant)["ods"], tmp_path / "repeated.ods")
    assert runs == 2 * (S.ROWS - 1)  # the updates of W(1)'s two rows, in every row after the first
    [report] = verify_file(path)
    assert report.ok, report.text()
    assert report.not_checked == 0 and not report.warnings, report.text()
    assert report.formulas >= S.ROWS * len(report.quantities)


# -- mistakes, in each spelling ------------------------------------------------------------------------

def _a(layout, r):
    return layout.at(Kind.ACTIVATION, 1, 0)


def missing_bias(style):
    def mistake(layout, c, r):
        if c != _a(layout, r):
            return None
        if style == "rewrites":
            return S.sumproduct(layout, c, r, bias=False)
        if style == "functions":
            return f"POWER(1+EXP(-SUM(C{r}*E{r},D{r}*F{r})),-1)"
        if style == "mmult":
            return S.Array(f"1/(1+EXP(-(MMULT(C{r}:D{r},TRANSPOSE(E{r}:F{r})))))")
        return f"1/(1+EXP(-(C{r}*E{r}+D{r}*F{r})))"
    return mistake


def transposed_weight(style):
    def mistake(layout, c, r):  # a0 of layer 1 from w00 and w10 (E, H): row 0 of W(1) transposed
        if c != _a(layout, r):
            return None
        if style == "rewrites":
            return f"1/(1+EXP(-(SUMPRODUCT(C{r}:C{r},E{r}:E{r})+D{r}*H{r})-G{r}))"
        if style == "functions":
            return f"POWER(1+EXP(-SUM(C{r}*E{r},D{r}*H{r},G{r})),-1)"
        if style == "mmult":
            return S.Array(f"1/(1+EXP(-(C{r}*E{r}+D{r}*H{r}+G{r})))")
        return f"1/(1+EXP(-(C{r}*E{r}+D{r}*H{r}+G{r})))"
    return mistake


def delta_sign(style):
    def mistake(layout, c, r):
        if c.kind != Kind.DELTA or c.layer != layout.L or c.j:
            return None
        a, t = S.cell(layout, Kind.ACTIVATION, layout.L, 0, r=r), S.cell(layout, Kind.TARGET, layout.L, 0, r=r)
        return f"{a}*(1-{a})*({t}-{a})" if style == "rewrites" else f"({t}-{a})*{a}*(1-{a})"
    return mistake


def row_offset(style):
    def mistake(layout, c, r):  # from the second row on, a0 of layer 1 takes the weights of the row above
        if c != _a(layout, r) or r == FIRST:
            return None
        w = r - 1
        if style == "rewrites":
            return S.sumproduct(layout, c, r, row_of_weights=w)
        if style == "functions":
            return f"POWER(1+EXP(-SUM(C{r}*E{w},D{r}*F{w},G{w})),-1)"
        if style == "mmult":
            return S.Array(f"1/(1+EXP(-(MMULT(C{r}:D{r},TRANSPOSE(E{w}:F{w}))+G{w})))")
        return f"1/(1+EXP(-(C{r}*E{w}+D{r}*F{w}+G{w})))"
    return mistake


MISTAKES = {"missing bias": missing_bias, "transposed weight": transposed_weight, "sign of δ": delta_sign,
            "row offset": row_offset}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
@pytest.mark.parametrize("style", ["rewrites", "functions", "mmult", "named"])
def test_real_mistakes_are_caught_in_each_spelling(built, style, mistake):
    base = STYLES[style]
    variant = S.Variant(f"{base.name}-{mistake.replace(' ', '-').replace('δ', 'delta')}", base.sizes,
                        S.with_mistake(base.spell, MISTAKES[mistake](style)), base.names)
    layout = Layout(base.sizes, changes=False)
    wrong = layout.at(Kind.DELTA, layout.L, 0) if mistake == "sign of δ" else layout.at(Kind.ACTIVATION, 1, 0)
    for kind, path in built(variant).items():
        [report] = verify_file(path)
        assert not report.ok, (kind, report.text())
        assert any(f.cell.startswith(f"{wrong.letter}{FIRST}") or f.cell.startswith(f"{wrong.letter}{FIRST + 1}")
                   for f in report.faults), (kind, report.text())
        assert report.formula_faults >= S.ROWS - 1, (kind, report.text())
        first = FIRST + 1 if mistake == "row offset" else FIRST
        assert report.first.cell == f"{wrong.letter}{first}", (kind, report.text())


# -- a relative learning rate: right in its row, wrong filled down -------------------------------------

def test_a_relative_learning_rate_in_one_row_is_a_warning(built):
    def spell(layout, c, r):
        if c == layout.at(Kind.WEIGHT, 1, 0, 0) and r == FIRST + 1:
            return f"E{FIRST}-A{FIRST}*M{FIRST}*C{FIRST}"
        return None
    for kind, path in built(S.Variant("relative-lr-once", spell=spell)).items():
        [report] = verify_file(path)
        assert report.ok, (kind, report.text())
        [warning] = report.warnings
        assert warning.cell == f"E{FIRST + 1}" and warning.formula == "E8-A8*M8*C8"
        assert "a relative reference where the note's formula has $A$8" in warning.message
        assert "warnings (these cells pass):" in report.text() and "E9, w00 of layer 1" in report.text()
        result = sheetnet("verify", path, "--json")
        assert result.returncode == 0
        assert json.loads(result.stdout)["networks"][0]["warnings"][0]["cell"] == "E9"


def test_a_relative_learning_rate_filled_down_fails(built):
    def spell(layout, c, r):
        if c == layout.at(Kind.WEIGHT, 1, 0, 0) and r > FIRST:
            return f"E{r - 1}-A{r - 1}*M{r - 1}*C{r - 1}"
        return None
    for kind, path in built(S.Variant("relative-lr-filled", spell=spell)).items():
        [report] = verify_file(path)
        assert not report.ok
        assert report.first.cell == f"E{FIRST + 2}", report.text()
        assert f"refers to A{FIRST + 1}, which is empty; the learning rate is in A8" in report.first.problem


# -- formulas verify cannot evaluate --------------------------------------------------------------------

def test_a_function_no_one_implements_is_not_checked_and_not_a_failure(built):
    def spell(layout, c, r):  # LibreOffice has SERIESSUM; the formulas package does not
        return f"SERIESSUM(U{r}-Y{r},2,1,0.5)+SERIESSUM(V{r}-Z{r},2,1,0.5)" if c.kind == Kind.COST else None
    for kind, path in built(S.Variant("seriessum", spell=spell)).items():
        [report] = verify_file(path)
        assert report.ok and report.not_checked == S.ROWS, (kind, report.text())
        [note] = report.unchecked
        assert note.cell == f"AA{FIRST}:AA{FIRST + S.ROWS - 1}" and note.count == S.ROWS
        assert "unknown function SERIESSUM" in note.message
        result = sheetnet("verify", path)
        assert result.returncode == 0, result.stdout
        assert f"every network verifies ({S.ROWS} formulas not checked)" in result.stdout
        assert f"{S.ROWS} of its" in result.stdout and "not checked" in result.stdout
        doc = json.loads(sheetnet("verify", path, "--json").stdout)
        assert doc["ok"] is True and doc["not_checked"] == S.ROWS
        assert doc["networks"][0]["not_checked_cells"][0]["cell"] == note.cell


def test_a_wrong_number_under_a_formula_not_checked_still_fails(built):
    def spell(layout, c, r):  # the cost, halved
        return f"SERIESSUM(U{r}-Y{r},2,1,0.25)+SERIESSUM(V{r}-Z{r},2,1,0.25)" if c.kind == Kind.COST else None
    for kind, path in built(S.Variant("seriessum-wrong", spell=spell)).items():
        [report] = verify_file(path)
        assert not report.ok and report.not_checked == S.ROWS and report.formula_faults == 0
        assert report.first.cell == f"AA{FIRST}", report.text()
        assert sheetnet("verify", path).returncode == 1


# -- the report never shows two equal numbers for a failing cell ------------------------------------------

def test_a_failing_cell_whose_number_is_right_says_the_formula_differs():
    fault = Fault("K8", "activation a0 of layer 1, iteration 1", "computes something else", 0.542397940774351,
                  0.542397940774351, "1/(1+EXP(-C8))", "1/(1+EXP(-(C8*E8+D8*F8+G8)))")
    report = Report("Sheet1", (2, 2, 2), 1, 1, 8, 8, 0.5, "A8", Tolerance(), 1, 0, 0, [], 1, 0, 1, fault, [fault])
    text = report.text()
    assert "found the same number: it is the formula that differs" in text
    near = Fault("K8", "a", "p", 0.5423979407743511, 0.542397940774351)
    text = Report("Sheet1", (2, 2, 2), 1, 1, 8, 8, 0.5, "A8", Tolerance(), 1, 0, 0, [], 1, 1, 0, near, []).text()
    assert "expected 0.5423979407743511 (the recomputation), found 0.542397940774351" in text
