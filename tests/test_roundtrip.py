"""What sheetnet writes, it reads back: the same network, the same state."""

import csv

import numpy as np
import pytest
from conftest import close

from sheetnet import formats
from sheetnet.commands.output import Run, write
from sheetnet.layout import Layout, networks
from sheetnet.math.network import train
from sheetnet.math.template import random_problem


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
@pytest.mark.parametrize("sizes", [(1, 1, 1), (2, 2, 2), (3, 5, 4, 2), (2, 11, 10)])
def test_written_workbook_reads_back_as_its_state(tmp_path, suffix, sizes):
    problem = random_problem(sizes, seed=3)
    path = tmp_path / f"net{suffix}"
    write(path, [Run("Net", Layout(sizes), problem, 20)])
    [(sheet, layout, back)] = networks(formats.read(path))
    assert layout.sizes == sizes and layout.changes
    assert back.network.lr == problem.network.lr
    np.testing.assert_array_equal(back.inputs, problem.inputs)
    np.testing.assert_array_equal(back.T, problem.T)
    for l in range(1, len(sizes)):
        np.testing.assert_array_equal(back.network.W[l], problem.network.W[l])
    last = list(train(problem, 20))[-1]
    row = layout.first_row + 19
    assert sheet.value(row, layout.at("cost", layout.L).col) == last.C
    assert sheet.value(row, layout.at("change", 1, 0, 0).col) == last.change[1][0, 0]


def test_wide_layers_get_comma_labels(tmp_path):
    path = tmp_path / "wide.ods"
    write(path, [Run("Net", Layout((12, 3, 2)), random_problem((12, 3, 2), seed=1), 1)])
    sheet, layout = formats.read(path).sheets[0], Layout((12, 3, 2))
    label = lambda *key: sheet.value(layout.label_row, layout.at("weight", *key).col)
    assert label(1, 2, 12) == "w2,12" and label(1, 0, 0) == "w0,0"  # the bias index 12 needs the comma
    assert label(2, 1, 3) == "w13"  # layer 2's indices are single digits


def test_csv_holds_the_values_under_a_header_line(tmp_path):
    path = tmp_path / "net.csv"
    problem = random_problem((2, 2, 2), seed=4)
    write(path, [Run("Net", Layout((2, 2, 2)), problem, 30)])
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header, data = rows[0], rows[1:]
    assert header[:4] == ["Learning rate", "a0", "a1", "w00"] and header[-1] == "w12" and "C" in header
    assert len(data) == 30 and all(len(r) == len(header) for r in data)
    assert float(data[0][0]) == 0.5 and data[1][0] == ""
    last = list(train(problem, 30))[-1]
    assert close(float(data[-1][header.index("C")]), last.C, 0)
