"""Reading the original workbook, and recomputing every number of its Sheet1."""

import numpy as np
import pytest
from conftest import close

from sheetnet import formats
from sheetnet.layout import networks
from sheetnet.network import train


@pytest.fixture(scope="module")
def book(original):
    return formats.read(original)


def test_the_original_holds_two_networks(book):
    found = {sheet.name: (layout, problem) for sheet, layout, problem in networks(book)}
    assert list(found) == ["Sheet1", "Ark2"]
    layout, p = found["Sheet1"]
    assert layout.sizes == (2, 2, 2) and not layout.changes
    assert (layout.caption_row, layout.label_row, layout.first_row, layout.first_col) == (4, 6, 8, 3)
    np.testing.assert_array_equal(p.inputs, [0.1, 0.9])
    np.testing.assert_array_equal(p.T, [0.3, 0.4])
    np.testing.assert_array_equal(p.network.W[1], [[0.5, -0.2, 0.3], [0.2, -0.6, 0.6]])
    np.testing.assert_array_equal(p.network.W[2], [[0.1, 0.5, -0.3], [0.2, 0.3, 0.5]])
    assert p.network.lr == 0.5
    layout, p = found["Ark2"]
    assert layout.sizes == (1, 1, 1)
    assert (layout.caption_row, layout.label_row, layout.first_row) == (5, 7, 8)
    # The bias weights E8 and I8 are one repeated ODS cell each with its neighbour: 0.1 and 0.3.
    np.testing.assert_array_equal(p.network.W[1], [[0.1, 0.1]])
    np.testing.assert_array_equal(p.network.W[2], [[0.3, 0.3]])
    assert (p.inputs[0], p.T[0], p.network.lr) == (0.3, 0.7, 0.5)


def test_sheet1_recomputed_cell_by_cell(book):
    sheet, layout, problem = networks(book)[0]
    checked = 0
    for k, it in enumerate(train(problem, 995)):
        row = layout.first_row + k
        values = layout.values(it)
        for c in layout.columns:
            found = sheet.value(row, c.col)
            assert isinstance(found, float), (row, c)
            assert close(values[c.col - 1], found), f"{c.letter}{row}: {values[c.col - 1]!r} != {found!r}"
            checked += 1
    assert checked == 995 * 25
    assert sheet.value(layout.first_row + 995, layout.first_col) is None  # and no row more
