"""LibreOffice, the reference engine, recalculates what sheetnet writes and agrees with it."""

import openpyxl
import pytest
from conftest import close
from libreoffice import convert

from sheetnet import formats
from sheetnet.commands.output import Run, write
from sheetnet.expression import Ref
from sheetnet.layout import Layout
from sheetnet.math.template import random_problem

SHAPES = [(1, 1, 1), (2, 2, 2), (3, 5, 4, 2)]
N = 200


@pytest.fixture(scope="module", params=[".ods", ".xlsx"])
def written(request, tmp_path_factory):
    """One workbook per format holding the three shapes, and LibreOffice's recalculated copy."""
    folder = tmp_path_factory.mktemp("lo" + request.param)
    path = folder / f"nets{request.param}"
    write(path, [Run("-".join(map(str, s)), Layout(s), random_problem(s, seed=7), N) for s in SHAPES])
    return path, convert(path, folder / "recalculated", request.param[1:])


def test_libreoffice_agrees_with_every_cached_number(written):
    path, recalculated = written
    ours, theirs = formats.read(path), formats.read(recalculated)
    names = [s.name for s in ours.sheets]
    assert [s.name for s in theirs.sheets] == names
    assert {"1-1-1", "2-2-2", "3-5-4-2"} < set(names)  # with their summary and check sheets
    for mine, lo in zip(ours.sheets, theirs.sheets):
        formulas = numbers = 0
        for r, row in mine.rows.items():
            for c, cell in row.items():
                other = lo.cell(r, c)
                if isinstance(cell.value, str):
                    assert other.value == cell.value
                    continue
                assert isinstance(other.value, float), (mine.name, r, c, other)
                assert close(cell.value, other.value), f"{mine.name}!{r},{c}: {cell.value!r} vs LibreOffice {other.value!r}"
                assert other.formula == cell.formula
                numbers += 1
                formulas += cell.formula is not None
        if mine.name in ("1-1-1", "2-2-2", "3-5-4-2"):
            assert numbers >= N * len(Layout(tuple(map(int, mine.name.split("-")))).columns)
            assert formulas > 0.9 * numbers


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_libreoffice_really_recalculates(tmp_path, suffix):
    """The harness must make LibreOffice compute, not just copy the cached values."""
    path = tmp_path / f"stale{suffix}"
    with formats.atomic(path) as f, formats.writer(path)(f) as w:
        w.sheet("S")
        w.row(1, [2.0, 5.0], [None, Ref(1, 0, relative=True) + 1])  # B1 = A1+1 carrying a wrong cached 5
    theirs = formats.read(convert(path, tmp_path / "lo", suffix[1:]))
    assert theirs.sheets[0].value(1, 2) == 3.0


def test_every_xlsx_formula_has_a_cached_value_openpyxl_reads(tmp_path):
    path = tmp_path / "nets.xlsx"
    write(path, [Run("3-5-4-2", Layout((3, 5, 4, 2)), random_problem((3, 5, 4, 2), seed=1), 50)])
    formulas = openpyxl.load_workbook(path)["3-5-4-2"]
    values = openpyxl.load_workbook(path, data_only=True)["3-5-4-2"]
    ours = formats.read(path).sheets[0]
    count = 0
    for row in formulas.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cached = values[cell.coordinate].value
                assert isinstance(cached, float), cell.coordinate
                assert cached == ours.value(cell.row, cell.column)
                count += 1
    layout = Layout((3, 5, 4, 2))
    plain = 3 + (5 * 4 + 4 * 6 + 2 * 5) + 2  # the first row's inputs, weights and targets
    assert count == 50 * len(layout.columns) - plain
