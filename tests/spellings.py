"""Hand-built workbooks that spell the note's formulas as people write them: SUMPRODUCT, SUMXMY2,
array formulas of MMULT, a named learning rate, weights on a sheet of their own; and the same
with real mistakes in them.

A workbook is built as an .ods of the package's Layout (its labels, the first row's numbers and
a formula in every other cell of the network), each cell's formula the note's unless the
variant's `spell` gives another, then recalculated by LibreOffice (tests/libreoffice.py), which
also exports it to .xlsx: what verify reads is what LibreOffice computed and wrote, names,
array formulas and all.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from corpus import ods
from libreoffice import convert

from sheetnet.grid import address, column_letters
from sheetnet.layout import Column, Kind, Layout
from sheetnet.math.network import iterate
from sheetnet.math.template import random_problem

ROWS = 40  # data rows: enough for a formula to be filled down, few for LibreOffice

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2"')


@dataclass
class Array:
    """An array formula: its text in the first cell of the cells it covers, rows by columns."""

    text: str
    rows: int = 1
    cols: int = 1


COVERED = object()  # a cell an array formula covers: no formula of its own


@dataclass
class Variant:
    """A network spelled one way: spell(layout, column, row) gives a cell's formula (neutral
    syntax), an Array, COVERED or None for the note's own."""

    name: str
    sizes: tuple = (2, 2, 2)
    spell: object = None
    names: dict = field(default_factory=dict)  # name -> the cell or range it names ('Sheet1!$A$8')
    sheets: dict = field(default_factory=dict)  # other sheets: {name: {(row, col): number}}
    first_row: dict = field(default_factory=dict)  # (row, col) -> formula of the first row's typed cells


_REF = re.compile(r"(?<![\w.$])(?:([A-Za-z]\w*)!)?(\$?[A-Z]{1,3}\$?\d+)(?::(\$?[A-Z]{1,3}\$?\d+))?(?![\w(])")


def openformula(neutral: str) -> str:
    """A neutral formula ('SUM(Weights!$B$2:C2,lr)') in OpenFormula ('of:=SUM([$Weights.$B$2:.C2];lr)')."""
    def ref(m):
        sheet, a, b = m.groups()
        prefix = f"${sheet}" if sheet else ""
        return f"[{prefix}.{a}" + (f":.{b}" if b else "") + "]"
    return "of:=" + _REF.sub(ref, neutral).replace(",", ";")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cell(value) -> str:
    if value is None or value is COVERED:
        return '<table:table-cell office:value-type="float" office:value="0"/>' if value is COVERED \
            else "<table:table-cell/>"
    if isinstance(value, str) and not value.startswith("="):
        return f'<table:table-cell office:value-type="string"><text:p>{_esc(value)}</text:p></table:table-cell>'
    if isinstance(value, Array):
        span = f' table:number-matrix-columns-spanned="{value.cols}" table:number-matrix-rows-spanned="{value.rows}"'
        return (f'<table:table-cell table:formula="{_esc(openformula(value.text))}"{span} '
                'office:value-type="float" office:value="0"/>')
    if isinstance(value, str):
        return (f'<table:table-cell table:formula="{_esc(openformula(value[1:]))}" '
                'office:value-type="float" office:value="0"/>')
    return f'<table:table-cell office:value-type="float" office:value="{float(value)!r}"/>'


def _table(name: str, grid: dict) -> str:
    rows = []
    for r in range(1, max((r for r, _ in grid), default=1) + 1):
        cols = max((c for rr, c in grid if rr == r), default=0)
        rows.append("<table:table-row>" + "".join(_cell(grid.get((r, c))) for c in range(1, cols + 1))
                    + ("" if cols else "<table:table-cell/>") + "</table:table-row>")
    return f'<table:table table:name="{_esc(name)}">{"".join(rows)}</table:table>'


def grid(variant: Variant) -> tuple[dict, Layout]:
    """The network sheet of a variant as {(row, col): number, label, '=formula', Array or COVERED}."""
    layout = Layout(variant.sizes, changes=False)
    problem = random_problem(variant.sizes, seed=3)
    cells = dict(layout.header())
    first = layout.first_row
    for c, v in enumerate(layout.values(iterate(problem.network.W, problem.inputs, problem.T)), 1):
        if v is not None:
            cells[(first, c)] = v
    cells[(first, layout.lr_col)] = problem.network.lr
    for r in range(first, first + ROWS):
        for column in layout.columns:
            tree = layout.formula(column, r == first)
            mine = variant.spell(layout, column, r) if variant.spell else None
            if mine is not None:
                cells[(r, column.col)] = mine if isinstance(mine, Array) or mine is COVERED else "=" + mine
            elif tree is not None:
                cells[(r, column.col)] = "=" + tree.text(r)
    for at, formula in variant.first_row.items():
        cells[at] = "=" + formula
    return cells, layout


def build(variant: Variant, folder: Path) -> dict:
    """{'ods': the variant recalculated and saved by LibreOffice, 'xlsx': its export}."""
    folder.mkdir(parents=True, exist_ok=True)
    cells, _ = grid(variant)
    tables = _table("Sheet1", cells) + "".join(_table(n, g) for n, g in variant.sheets.items())
    named = "".join(f'<table:named-range table:name="{n}" table:base-cell-address="{_of_address(t)}" '
                    f'table:cell-range-address="{_of_address(t)}"/>' for n, t in variant.names.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {NS}><office:body>'
               f'<office:spreadsheet>{tables}'
               + (f"<table:named-expressions>{named}</table:named-expressions>" if named else "")
               + "</office:spreadsheet></office:body></office:document-content>")
    source = ods(folder / f"{variant.name}.ods", content=content)
    return {"ods": convert(source, folder / "ods", "ods"), "xlsx": convert(source, folder / "xlsx", "xlsx")}


# A cell of a number and no formula as LibreOffice writes it, and a run of two or more equal ones.
_EQUAL_CELLS = re.compile(rb'(<table:table-cell office:value-type="float" office:value="[^"]*" '
                          rb'calcext:value-type="float"><text:p>[^<]*</text:p></table:table-cell>)\1+')


def repeat_equal_cells(source: Path, out: Path) -> tuple[Path, int]:
    """(out, how many runs): the .ods source with every run of equal cells without formulas written
    as one cell repeated by table:number-columns-repeated, as LibreOffice writes equal cells but not
    those of an array formula (another program may)."""
    runs = 0

    def repeat(m: re.Match) -> bytes:
        nonlocal runs
        runs += 1
        count = len(m.group(0)) // len(m.group(1))
        return m.group(1).replace(b"<table:table-cell ", b'<table:table-cell table:number-columns-repeated="%d" ' % count, 1)

    with zipfile.ZipFile(source) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            data = z.read(info)
            w.writestr(info, _EQUAL_CELLS.sub(repeat, data) if info.filename == "content.xml" else data)
    return out, runs


def _of_address(neutral: str) -> str:
    """'Sheet1!$A$8' -> '$Sheet1.$A$8' (and a range's end after ':.')."""
    sheet, _, cells = neutral.rpartition("!")
    a, _, b = cells.partition(":")
    return f"${sheet}.{a}" + (f":.{b}" if b else "")


# -- spellings ------------------------------------------------------------------------------------

def span(layout: Layout, kind, layer: int, j: int, first: int, last: int, r: int) -> str:
    """The range of columns kind (layer, j, first..last) in row r: 'E8:F8'."""
    a, b = layout.at(kind, layer, j, first).col, layout.at(kind, layer, j, last).col
    return f"{address(r, a)}:{address(r, b)}"


def sources(layout: Layout, layer: int, r: int) -> str:
    """The range of the activations feeding a layer (the inputs for layer 1) in row r."""
    kind = Kind.INPUT if layer == 1 else Kind.ACTIVATION
    return f"{address(r, layout.at(kind, layer - 1, 0).col)}:{address(r, layout.at(kind, layer - 1, layout.sizes[layer - 1] - 1).col)}"


def cell(layout: Layout, kind, layer: int, j: int = 0, i: int = 0, r: int = 8, fixed: bool = False) -> str:
    col = column_letters(layout.at(kind, layer, j, i).col)
    return f"${col}${r}" if fixed else f"{col}{r}"


def sumproduct(layout: Layout, c: Column, r: int, bias: bool = True, row_of_weights: int | None = None) -> str:
    """a_j = σ(SUMPRODUCT(a, w_j) + bias), as the issue's user wrote it."""
    n = layout.sizes[c.layer - 1]
    w = row_of_weights or r
    z = f"SUMPRODUCT({sources(layout, c.layer, r)},{span(layout, Kind.WEIGHT, c.layer, c.j, 0, n - 1, w)})"
    return f"1/(1+EXP(-{z}" + (f"-{cell(layout, Kind.WEIGHT, c.layer, c.j, n, r=w)}" if bias else "") + "))"


def rewrites(layout: Layout, c: Column, r: int):
    """The issue's rewrites of the original's Sheet1: SUMPRODUCT activations, SUMXMY2 cost, a reordered δ."""
    L = layout.L
    if c.kind == Kind.ACTIVATION:
        return sumproduct(layout, c, r)
    if c.kind == Kind.COST:
        return (f"SUMXMY2({span(layout, Kind.ACTIVATION, L, 0, 0, 0, r).split(':')[0]}:"
                f"{address(r, layout.at(Kind.ACTIVATION, L, layout.sizes[L] - 1).col)},"
                f"{address(r, layout.at(Kind.TARGET, L, 0).col)}:{address(r, layout.at(Kind.TARGET, L, layout.sizes[L] - 1).col)})/2")
    if c.kind == Kind.DELTA and c.layer == L:
        a, t = cell(layout, Kind.ACTIVATION, L, c.j, r=r), cell(layout, Kind.TARGET, L, c.j, r=r)
        return f"{a}*(1-{a})*({a}-{t})"
    return None


def functions(layout: Layout, c: Column, r: int):
    """Other functions: POWER and SUM for σ, PRODUCT and IF in the update, SUMSQ and AVERAGE for the cost."""
    L, first = layout.L, layout.first_row
    if c.kind == Kind.ACTIVATION:
        n = layout.sizes[c.layer - 1]
        src = Kind.INPUT if c.layer == 1 else Kind.ACTIVATION
        terms = ",".join(f"{cell(layout, src, c.layer - 1, i, r=r)}*{cell(layout, Kind.WEIGHT, c.layer, c.j, i, r=r)}"
                         for i in range(n))
        return f"POWER(1+EXP(-SUM({terms},{cell(layout, Kind.WEIGHT, c.layer, c.j, n, r=r)})),-1)"
    if c.kind == Kind.WEIGHT and r > first:
        w, d = cell(layout, Kind.WEIGHT, c.layer, c.j, c.i, r=r - 1), cell(layout, Kind.DELTA, c.layer, c.j, r=r - 1)
        lr = f"$A${first}"
        if c.bias:
            return f"IF({lr}>0,{w}-{lr}*{d},{w})"
        src = Kind.INPUT if c.layer == 1 else Kind.ACTIVATION
        return f"{w}-PRODUCT({lr},{d},{cell(layout, src, c.layer - 1, c.i, r=r - 1)})"
    if c.kind == Kind.COST:
        pairs = [(cell(layout, Kind.ACTIVATION, L, j, r=r), cell(layout, Kind.TARGET, L, j, r=r))
                 for j in range(layout.sizes[L])]
        if layout.sizes[L] == 2:
            return "AVERAGE(" + ",".join(f"({a}-{t})^2" for a, t in pairs) + ")"
        return "SUMSQ(" + ",".join(f"{a}-{t}" for a, t in pairs) + ")/2"
    return None


def named(layout: Layout, c: Column, r: int):
    """The learning rate by its name, lr."""
    if c.kind == Kind.WEIGHT and r > layout.first_row:
        return layout.formula(c, False).text(r).replace(f"$A${layout.first_row}", "lr")
    return None


def mmult(layout: Layout, c: Column, r: int):
    """A 2-2-1 network of array formulas: each neuron's weight update and the hidden layer's δ
    as one array formula of MMULT over its cells; activations as MMULT of a row by a column."""
    first, L = layout.first_row, layout.L
    if c.kind == Kind.WEIGHT and r > first and not c.bias:
        if c.i:
            return COVERED
        n = layout.sizes[c.layer - 1]
        w = span(layout, Kind.WEIGHT, c.layer, c.j, 0, n - 1, r - 1)
        d = cell(layout, Kind.DELTA, c.layer, c.j, r=r - 1)
        return Array(f"{w}-$A${first}*MMULT({d},{sources(layout, c.layer, r - 1)})", 1, n)
    if c.kind == Kind.ACTIVATION:
        n = layout.sizes[c.layer - 1]
        w = span(layout, Kind.WEIGHT, c.layer, c.j, 0, n - 1, r)
        return Array(f"1/(1+EXP(-(MMULT({sources(layout, c.layer, r)},TRANSPOSE({w}))"
                     f"+{cell(layout, Kind.WEIGHT, c.layer, c.j, n, r=r)})))")
    if c.kind == Kind.DELTA and c.layer == L - 1 and layout.sizes[L] == 1:
        if c.j:
            return COVERED
        a = span(layout, Kind.ACTIVATION, c.layer, 0, 0, 0, r).split(":")[0] + ":" + \
            address(r, layout.at(Kind.ACTIVATION, c.layer, layout.sizes[c.layer] - 1).col)
        w = span(layout, Kind.WEIGHT, L, 0, 0, layout.sizes[c.layer] - 1, r)
        return Array(f"{a}*(1-{a})*MMULT({cell(layout, Kind.DELTA, L, 0, r=r)},{w})", 1, layout.sizes[c.layer])
    return None


def weights_sheet(sizes=(2, 2, 2)) -> dict:
    """The first row's weights on a sheet 'Weights', W(l) as a matrix in the note's form (row j,
    column i, the bias last) from B2, one layer below the other with a row between."""
    layout = Layout(sizes, changes=False)
    problem = random_problem(sizes, seed=3)
    cells, where, top = {}, {}, 2
    for l in range(1, layout.L + 1):
        W = problem.network.W[l]
        for j in range(W.shape[0]):
            for i in range(W.shape[1]):
                cells[(top + j, 2 + i)] = float(W[j, i])
                where[(l, j, i)] = f"Weights!${column_letters(2 + i)}${top + j}"
        top += W.shape[0] + 1
    return cells, where


def on_weights_sheet(where: dict):
    """The first row's activations refer to the weights on their own sheet; the first row's
    weight cells refer to them too (below, the weights are updated on the network's sheet)."""
    def spell(layout: Layout, c: Column, r: int):
        if c.kind == Kind.ACTIVATION and r == layout.first_row:
            n = layout.sizes[c.layer - 1]
            src = Kind.INPUT if c.layer == 1 else Kind.ACTIVATION
            z = "+".join(f"{cell(layout, src, c.layer - 1, i, r=r)}*{where[(c.layer, c.j, i)]}" for i in range(n))
            return f"1/(1+EXP(-({z}+{where[(c.layer, c.j, n)]})))"
        return None
    return spell


def with_mistake(spell, mistake):
    """A spelling with one cell (or column) spelled otherwise: mistake(layout, c, r) -> formula or None."""
    def spelled(layout, c, r):
        wrong = mistake(layout, c, r)
        return wrong if wrong is not None else spell(layout, c, r)
    return spelled
