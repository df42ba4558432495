"""verify as the sheet streams: the same report whatever the chunk, memory that does not grow
with the rows, formulas saved without cached values, and the tolerance it states."""

import shutil
import subprocess
import tracemalloc
import zipfile

import openpyxl
import pytest

from sheetnet import formats, verify
from sheetnet.commands.output import Run, write
from sheetnet.layout import Layout
from sheetnet.math.template import ORIGINAL_1_1_1, ORIGINAL_2_2_2, random_problem

N = 300


def sheetnet(*args):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{name: path}: workbooks with formulas, with every K-th iteration, and one saved by openpyxl."""
    folder = tmp_path_factory.mktemp("stream")
    runs = [Run("Sheet1", Layout((2, 2, 2)), ORIGINAL_2_2_2, N), Run("Ark2", Layout((1, 1, 1)), ORIGINAL_1_1_1, N),
            Run("wide", Layout((3, 5, 4, 2)), random_problem((3, 5, 4, 2), seed=7), N)]
    out = {}
    for suffix in (".ods", ".xlsx"):
        out[suffix] = folder / f"w{suffix}"
        write(out[suffix], runs)
    out["every"] = folder / "every.ods"
    write(out["every"], [Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, 5000, every=77)])
    out["openpyxl"] = _resaved(out[".xlsx"], folder / "openpyxl.xlsx")
    return out


def _resaved(source, path, edit=None):
    """The workbook as openpyxl saves it: formulas kept, every cached value dropped."""
    book = openpyxl.load_workbook(source)
    if edit:
        edit(book)
    book.save(path)
    return path


def _tampered(source, path, sheet: str, cell: str, value: str):
    """A copy of an .xlsx whose cell holds another cached value (its formula kept)."""
    with zipfile.ZipFile(source) as z:
        names = [n for n in z.namelist()]
        book = z.read("xl/workbook.xml").decode()
        number = book[:book.index(f'name="{sheet}"')].count("<sheet ")  # its own <sheet  among them
        part = f"xl/worksheets/sheet{number}.xml"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for n in names:
                data = z.read(n)
                if n == part:
                    text = data.decode()
                    start = text.index(f'<c r="{cell}"')
                    v = text.index("<v>", start)
                    text = text[:v + 3] + value + text[text.index("</v>", v):]
                    data = text.encode()
                out.writestr(n, data)
    return path


@pytest.mark.parametrize("name", [".ods", ".xlsx", "every", "openpyxl", "original", "tampered"])
def test_the_report_does_not_depend_on_the_chunk(files, original, tmp_path, monkeypatch, name):
    """Rows checked 7 at a time give the report of rows checked thousands at a time: runs of
    faults continue across chunks, rows refer to the chunk above, a computed value carries on."""
    if name == "original":
        path = original
    elif name == "tampered":
        path = _tampered(files[".xlsx"], tmp_path / "t.xlsx", "Sheet1", "M150", "0.125")
    else:
        path = files[name]
    whole = [r.as_dict() for r in verify.verify_file(path)]
    monkeypatch.setattr(verify, "CHUNK", 7)
    chunked = [r.as_dict() for r in verify.verify_file(path)]
    assert chunked == whole
    if name == "tampered":
        assert whole[0]["first_failure"]["cell"] == "M150"


def test_verify_memory_does_not_grow_with_rows(tmp_path, monkeypatch):
    """Python's peak allocation checking 10x the rows stays put: the sheet streams through."""
    monkeypatch.setattr(verify, "CHUNK", 500)  # both sheets span many chunks
    peaks = []
    for n in (2000, 20000):
        path = tmp_path / f"m{n}.ods"
        write(path, [Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, n)])
        tracemalloc.start()
        [report] = verify.verify_file(path)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.ok and report.iterations == n
    assert peaks[1] < peaks[0] * 1.25 + 500_000, peaks


# -- formulas without cached values -------------------------------------------------------------------

def test_formulas_saved_without_values_are_computed(files):
    """openpyxl keeps the formulas and drops every cached value: verify computes them from the
    first row on, and the verdict is a calculated file's."""
    assert openpyxl.load_workbook(files["openpyxl"], data_only=True)["Sheet1"]["K9"].value is None
    reports = verify.verify_file(files["openpyxl"])
    assert [r.sheet for r in reports] == ["Sheet1", "Ark2", "wide"]
    calculated = verify.verify_file(files[".xlsx"])
    for r, c in zip(reports, calculated):
        assert r.ok, r.text()
        assert r.uncached == r.formulas == c.formulas > 0 and c.uncached == 0
        assert "carried no cached values" in r.text()
        # The evaluator computes in the note's order, as Python does: the same numbers to the last bits.
        assert max(q.largest for q in r.quantities) < 1e-14
    result = sheetnet("verify", files["openpyxl"], "--json")
    assert result.returncode == 0 and '"cached_values": false' in result.stdout


def test_a_changed_learning_rate_in_a_file_without_values_is_followed(files, tmp_path):
    """A8 changed in openpyxl: every formula now computes another training, and verify follows it."""
    def edit(book):
        book["Sheet1"]["A8"] = 0.9
    path = _resaved(files[".xlsx"], tmp_path / "lr.xlsx", edit)
    [report] = verify.verify_file(path, "Sheet1")
    assert report.ok and report.learning_rate == 0.9 and report.uncached == report.formulas


def test_a_wrong_formula_in_a_file_without_values_is_found(files, tmp_path):
    def edit(book):
        book["Sheet1"]["K150"] = "=1/(1+EXP(-(C150*E150+D150*F150)))"  # the bias left out
    path = _resaved(files[".xlsx"], tmp_path / "bias.xlsx", edit)
    [report] = verify.verify_file(path, "Sheet1")
    assert not report.ok and report.first.cell == "K150"
    assert "does not refer to G150" in report.first.problem
    assert isinstance(report.first.found, float)  # the number the formula computes, shown


def test_show_says_not_calculated(files):
    result = sheetnet("show", files["openpyxl"], "--sheet", "Sheet1")
    assert result.returncode == 0, result.stderr
    assert f"cost, as cached: not calculated (AA8) -> not calculated (AA{7 + N})" in result.stdout


# -- the tolerance ------------------------------------------------------------------------------------

def test_a_relative_change_of_a_small_cell_is_reported(files, tmp_path):
    """M150 (δ0 of layer 1) is about 1e-3 there; changed by a relative 1e-9 it no longer follows."""
    sheet = formats.read(files[".xlsx"]).sheet("Sheet1")
    value = sheet.value(150, 13)
    assert 1e-5 < abs(value) < 1e-2
    path = _tampered(files[".xlsx"], tmp_path / "small.xlsx", "Sheet1", "M150", repr(value * (1 + 1e-9)))
    [report] = verify.verify_file(path, "Sheet1")
    assert not report.ok and report.first.cell == "M150" and report.value_faults == 1
    # The report shows digits enough to see the difference.
    text = report.text()
    line = next(x for x in text.splitlines() if x.strip().startswith("expected"))
    expected, found = line.split("expected ")[1].split(" (the recomputation), found ")
    assert expected != found and float(expected) != float(found)
    # Within a looser tolerance it agrees.
    [loose] = verify.verify_file(path, "Sheet1", verify.Tolerance(rtol=1e-8))
    assert loose.ok


def test_the_tolerance_is_numpy_isclose():
    import numpy as np

    tol = verify.Tolerance(rtol=1e-12, atol=1e-15)
    a = np.array([1e-3, 1e-3, 0.0, 5.0, np.nan, np.inf])
    b = np.array([1e-3 * (1 + 1e-9), 1e-3 * (1 + 1e-13), 1e-16, 5.0 + 1e-11, np.nan, 1.0])
    np.testing.assert_array_equal(tol.close(a, b), np.isclose(a, b, rtol=1e-12, atol=1e-15, equal_nan=True))


def test_the_replica_as_written_verifies_as_computed(replica, tmp_path):
    """The replica of the original before any program computed it (formulas without a cached
    value, as tests/original.py writes it) gets the verdicts of LibreOffice's computed copy."""
    from original import write as uncomputed

    raw = {r.sheet: r for r in verify.verify_file(uncomputed(tmp_path))}
    done = {r.sheet: r for r in verify.verify_file(replica)}
    assert list(raw) == list(done) == ["Sheet1", "Ark2"]
    assert raw["Sheet1"].ok and raw["Sheet1"].uncached == raw["Sheet1"].formulas == done["Sheet1"].formulas
    assert not raw["Ark2"].ok and raw["Ark2"].first.cell == done["Ark2"].first.cell == "D9"
    assert [f.cell for f in raw["Ark2"].faults] == [f.cell for f in done["Ark2"].faults]
    assert raw["Ark2"].formula_faults == done["Ark2"].formula_faults == 765


def test_text_that_reads_as_a_number_is_text(files, tmp_path):
    """A cell of the text '0.5' (t="str") where a number belongs is text, not the number 0.5."""
    path = _tampered(files[".xlsx"], tmp_path / "text.xlsx", "Sheet1", "K150", "0.5")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    part = next(n for n in members if n.startswith("xl/worksheets/") and b'<c r="K150"' in members[n])
    members[part] = members[part].replace(b'<c r="K150"', b'<c r="K150" t="str"', 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    assert data != path.read_bytes()
    [report] = verify.verify_file(path, "Sheet1")
    assert not report.ok and report.first.cell == "K150"
    assert report.first.problem == "holds text '0.5' where a number belongs"
