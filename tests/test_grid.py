"""The grid's compact Row: the same cells as a dict of Cells, kept as an array and one text."""

from array import array

import pytest

from sheetnet.grid import EMPTY, Cell, Columns, Row, Sheet


def row() -> Row:
    return Row(Columns.of([3, 4, 7]), array("d", [0.5, -2.0, 1e-300]), "C8*$A$8" + Row.SEPARATOR * 2 + "D8+1")


def test_a_row_is_the_mapping_of_its_cells():
    cells = {3: Cell(0.5, "C8*$A$8"), 4: Cell(-2.0, None), 7: Cell(1e-300, "D8+1")}
    r = row()
    assert r == cells and cells == r and dict(r) == cells
    assert list(r) == [3, 4, 7] and len(r) == 3
    assert r[7] == Cell(1e-300, "D8+1") and r.get(4) == Cell(-2.0, None) and r.get(5, EMPTY) is EMPTY
    assert sorted(r.items()) == sorted(cells.items()) and r.values() == list(cells.values())
    with pytest.raises(KeyError):
        r[5]
    assert r != {**cells, 4: Cell(-2.0, "A1")}


def test_setting_a_cell_in_a_row_turns_it_into_a_dict():
    sheet = Sheet("S", {8: row()})
    sheet.set(8, 5, Cell(1.0))
    sheet.set(9, 1, Cell("x"))
    assert isinstance(sheet.rows[8], dict)
    assert sheet.rows[8] == {**dict(row()), 5: Cell(1.0)}
    assert sheet.value(8, 3) == 0.5 and sheet.cell(8, 4).formula is None and sheet.value(9, 1) == "x"


def test_fresh_names_fit_excel_counting_utf16_units():
    """A character beyond U+FFFF counts twice toward Excel's 31: a derived name is cut to fit."""
    from sheetnet.grid import fresh_name, sheet_name_problem

    name = fresh_name("😀" * 12, ["x"], " summary")
    assert name == "😀" * 11 + " summary" and sheet_name_problem(name) is None
    assert sheet_name_problem("😀" * 16) is not None and sheet_name_problem("😀" * 15 + "a") is None
