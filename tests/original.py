"""A replica of the original workbook, Simple_Neural_Net.ods, built from LAYOUT.md's facts.

The project does not hold the original (it lives in ``../shared/seed/``, which a fresh clone
lacks), so the tests that compare with it build its twin: :func:`cells` lays out both sheets,
Sheet1 (2-2-2, 995 iterations) and Ark2 (1-1-1, 193 iterations, with its faulty updates), cell
for cell as LAYOUT.md records them; :func:`write` writes them as an .ods whose formulas carry no
cached values; :func:`computed` has LibreOffice compute it, which makes the file the tests use.
:func:`evaluate` computes the cells in Python, for comparing any source's cached numbers with.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

from libreoffice import convert

from sheetnet.formats import ods_look
from sheetnet.formats.styles import Chart, Series
from sheetnet.grid import address, column_number, parse_address

NAME = "Simple_Neural_Net.ods"

# The note in A1 of Sheet1, as LAYOUT.md quotes its beginning; the rest is this project's wording.
NOTE = ("Change the input values in the yellow box (C8:D8) or the target values in the green box (Y8:Z8). "
        "The starting weights in the lavender boxes are random. Go to the bottom to see the output match the target.")
NOTE_START = "Change the input values in the yellow box"


class Formula(str):
    """A cell's formula in sheetnet's neutral syntax (``E8-$A$8*M8*C8``), without its '='."""


def _at(col: int, row: int) -> str:
    """A cell's address, column first as it reads: (3, 8) -> 'C8'."""
    return address(row, col)


def _sheet1() -> dict:
    """Sheet1: a 2-2-2 network from column C, captions in rows 4-5, labels in row 6, data in rows 8-1002."""
    first, last = 8, 1002
    C, E, K, M, O, U, W, Y, AA = (column_number(x) for x in ("C", "E", "K", "M", "O", "U", "W", "Y", "AA"))
    layers = [(C, E, K, M), (K, O, U, W)]  # the first columns of a layer's inputs, weights, activations, deltas
    grid = {
        (1, 1): NOTE,
        (4, C): "Layer 0", (4, E): "Layer 1", (4, O): "Layer 2",
        (5, C): "Input", (5, U): "Output", (5, Y): "Target", (5, AA): "Cost",
        (5, column_number("N")): Formula("N8*1000"),  # the original's stray display formula, not part of the network
        (6, 1): "Learning rate", (first, 1): 0.5,
    }
    labels = ["a0", "a1"] + ["w00", "w01", "w02", "w10", "w11", "w12"] + ["a0", "a1", "δ0", "δ1"]
    labels += ["w00", "w01", "w02", "w10", "w11", "w12"] + ["a0", "a1", "δ0", "δ1", "T0", "T1", "C"]
    for k, label in enumerate(labels):
        grid[(6, C + k)] = label
    numbers = {C: [0.1, 0.9], E: [0.5, -0.2, 0.3, 0.2, -0.6, 0.6], O: [0.1, 0.5, -0.3, 0.2, 0.3, 0.5], Y: [0.3, 0.4]}
    for col, values in numbers.items():
        for k, v in enumerate(values):
            grid[(first, col + k)] = v
    for r in range(first, last + 1):
        p = r - 1
        if r > first:
            for col in (C, C + 1, Y, Y + 1):
                grid[(r, col)] = Formula(_at(col, p))
        for a, w, act, delta in layers:
            for j in range(2):
                row = [w + 3 * j + i for i in range(3)]  # w_j0, w_j1, the bias w_j2
                grid[(r, act + j)] = Formula(
                    f"1/(1+EXP(-({_at(a, r)}*{_at(row[0], r)}+{_at(a + 1, r)}*{_at(row[1], r)}+{_at(row[2], r)})))")
                if r > first:  # w_ji -= γ δ_j a_i, from the row above; the bias: w_j2 -= γ δ_j
                    for i in range(2):
                        grid[(r, row[i])] = Formula(f"{_at(row[i], p)}-$A$8*{_at(delta + j, p)}*{_at(a + i, p)}")
                    grid[(r, row[2])] = Formula(f"{_at(row[2], p)}-$A$8*{_at(delta + j, p)}")
        for j in range(2):
            u, y = _at(U + j, r), _at(Y + j, r)
            grid[(r, W + j)] = Formula(f"({u}-{y})*{u}*(1-{u})")
            k = _at(K + j, r)
            grid[(r, M + j)] = Formula(f"{k}*(1-{k})*({_at(W, r)}*{_at(O + j, r)}+{_at(W + 1, r)}*{_at(O + 3 + j, r)})")
        grid[(r, AA)] = Formula(f"0.5*(U{r}-Y{r})^2+0.5*(V{r}-Z{r})^2")
    return grid


def _ark2() -> dict:
    """Ark2: a 1-1-1 network, one row lower for its captions (5-6), labels in row 7, data in rows 8-200,
    with the original's faulty weight updates (LAYOUT.md, "What the original gets wrong")."""
    first, last = 8, 200
    grid = {
        (5, 3): "Layer 0", (5, 4): "Layer 1", (5, 8): "Layer 2",
        (6, 3): "Input", (6, 10): "Output", (6, 12): "Target", (6, 13): "Cost",
        (7, 1): "Learning rate", (first, 1): 0.5,
        (11, 1): Formula("J200"),  # the original's stray formula, not part of the network
    }
    for k, label in enumerate(["a0", "w00", "w01", "a0", "δ0", "w00", "w01", "a0", "δ0", "T0", "C"]):
        grid[(7, 3 + k)] = label
    for col, v in zip("CDEHIL", [0.3, 0.1, 0.1, 0.3, 0.3, 0.7]):
        grid[(first, column_number(col))] = v
    for r in range(first, last + 1):
        p = r - 1
        # Ark2 writes δ(1) without Sheet1's bracketed sum, and its updates as a·δ where Sheet1's are δ·a.
        grid[(r, 6)] = Formula(f"1/(1+EXP(-(C{r}*D{r}+E{r})))")
        grid[(r, 7)] = Formula(f"F{r}*(1-F{r})*K{r}*H{r}")
        grid[(r, 10)] = Formula(f"1/(1+EXP(-(F{r}*H{r}+I{r})))")
        grid[(r, 11)] = Formula(f"(J{r}-L{r})*J{r}*(1-J{r})")
        grid[(r, 13)] = Formula(f"0.5*(J{r}-L{r})^2")
        if r > first:
            grid[(r, 3)] = Formula(f"C{p}")
            grid[(r, 12)] = Formula(f"L{p}")
            # Row 9 names the learning rate, but D9's is A9 (empty); from row 10 on there is none at all.
            rate = "$A$8*" if r == first + 1 else ""
            grid[(r, 4)] = Formula(f"D{p}-{'$A$9*' if r == first + 1 else ''}C{p}*G{p}")
            grid[(r, 5)] = Formula(f"E{p}-{rate}G{p}")
            grid[(r, 8)] = Formula(f"H{p}-{rate}F{p}*K{p}")
            grid[(r, 9)] = Formula(f"I{p}-{rate}K{p}")
    return grid


def cells() -> dict:
    """{sheet name: {(row, column): a number, a text or a Formula}}: every cell of the original that
    holds something, as LAYOUT.md records them."""
    return {"Sheet1": _sheet1(), "Ark2": _ark2()}


# -- the .ods ------------------------------------------------------------------------------------

_REF = re.compile(r"\$?[A-Z]+\$?\d+")

# The cost chart of the original's Sheet1, so that the tests of copies see a chart kept.
CHART = Chart(title="Cost", series=(Series("Sheet1", "AA8:AA1002"),), anchor="AC10")


def _openformula(neutral: str) -> str:
    """'E8-$A$8*M8' -> '[.E8]-[.$A$8]*[.M8]' (without sheetnet's translator, which the tests check)."""
    return _REF.sub(lambda m: f"[.{m.group(0)}]", neutral)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cell(value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, Formula):  # no cached value: LibreOffice computes it
        return f'<table:table-cell table:formula="of:={_escape(_openformula(value))}"/>'
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{_escape(value)}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="float" office:value="{value!r}"/>'


def _row(cells_of_row: dict) -> str:
    """One table-row; equal neighbours are one cell repeated, as LibreOffice writes them (so Ark2's
    E8 and I8 repeat their left neighbours, 0.1 and 0.3)."""
    xml = [_cell(cells_of_row.get(c)) for c in range(1, max(cells_of_row, default=1) + 1)]
    runs = []
    for x in xml:
        if runs and runs[-1][0] == x:
            runs[-1][1] += 1
        else:
            runs.append([x, 1])
    return "<table:table-row>" + "".join(
        x if n == 1 else x.replace("<table:table-cell", f'<table:table-cell table:number-columns-repeated="{n}"', 1)
        for x, n in runs) + "</table:table-row>"


# The original's rows have a set height down to the end of the sheet, so LibreOffice writes the
# empty rows below the data as one row repeated to its limit (table:number-rows-repeated="1048375"
# in Ark2), which readers must take in their stride.
SET_HEIGHT = "sheetnet-replica-row"
ROW_STYLE = (f'<style:style style:name="{SET_HEIGHT}" style:family="table-row"><style:table-row-properties '
             'style:row-height="4.52mm" style:use-optimal-row-height="false"/></style:style>')
MAX_ROWS = 1048576  # LibreOffice's rows in a sheet


def _table(name: str, grid: dict, shapes: str = "") -> str:
    last = max(r for r, _ in grid)
    rows = [_row({c: v for (rr, c), v in grid.items() if rr == r}) for r in range(1, last + 1)]
    rows.append(f'<table:table-row table:style-name="{SET_HEIGHT}" table:number-rows-repeated="{MAX_ROWS - last}">'
                "<table:table-cell/></table:table-row>")
    return f'<table:table table:name="{_escape(name)}">{shapes}{"".join(rows)}</table:table>'


def content() -> str:
    """content.xml of the replica, its formulas without cached values."""
    shapes, _ = ods_look.shapes([CHART], None, 1)
    tables = "".join(_table(name, grid, shapes if name == CHART.series[0].sheet else "") for name, grid in cells().items())
    styles = ods_look.automatic_styles().replace("</office:automatic-styles>", ROW_STYLE + "</office:automatic-styles>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ods_look.NAMESPACES}>{styles}'
            f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>")


def write(folder: Path) -> Path:
    """The replica as written, before any program computed it: folder/Simple_Neural_Net.ods."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAME
    _, objects = ods_look.shapes([CHART], None, 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content())
        z.writestr("styles.xml", ods_look.styles_xml())
        z.writestr("settings.xml", ods_look.settings_xml({}))
        for name, xml in objects:
            z.writestr(f"{name}/content.xml", xml)
        z.writestr("META-INF/manifest.xml", ods_look.manifest(name for name, _ in objects))
    return path


def computed(folder: Path) -> Path:
    """The replica as LibreOffice computed and saved it, with view settings: what the tests use as
    the original."""
    path = convert(write(folder / "written"), folder, "ods")
    # LibreOffice without a window saves no view settings, which the original (saved from a window)
    # has and a copy adds its new sheets' to: they go back in, a list of sheets' views with none yet.
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    views = re.search(r'<config:config-item-set config:name="ooo:view-settings">.*</config:config-item-set>',
                      ods_look.settings_xml({})).group(0)
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            if info.filename == "settings.xml":
                data = data.replace(b"<office:settings>", b"<office:settings>" + views.encode(), 1)
            z.writestr(info, data)
    return path


# -- the numbers --------------------------------------------------------------------------------


class _Values(dict):
    """{address: number} that computes a formula cell's number when first asked for it."""

    def __init__(self, grid: dict):
        super().__init__()
        self.grid = grid

    def __missing__(self, ref: str) -> float:
        if not _REF.fullmatch(ref):  # a function's name (EXP): eval looks for it among the globals next
            raise KeyError(ref)
        value = self.grid.get(parse_address(ref))
        if isinstance(value, Formula):
            value = eval(value.replace("$", "").replace("^", "**"), {"EXP": math.exp}, self)
        self[ref] = 0.0 if value is None else value  # an empty cell counts as 0
        return self[ref]


def evaluate(grid: dict) -> dict:
    """{(row, column): number} of every formula in grid, computed in Python's floating point."""
    values = _Values(grid)
    formulas = [rc for rc, v in grid.items() if isinstance(v, Formula)]
    # A cell is computed after the rows it refers to, so that no chain of references runs deep:
    # the stray formulas (A11 = J200) wait for the rows they name.
    last_row = lambda rc: max([rc[0]] + [parse_address(ref)[0] for ref in _REF.findall(grid[rc])])
    for rc in sorted(formulas, key=lambda rc: (last_row(rc), rc)):
        values[_at(rc[1], rc[0])]
    return {rc: values[_at(rc[1], rc[0])] for rc in formulas}
