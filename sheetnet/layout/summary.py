"""The summary sheet of a trained network: what it is, where it started, where it ended.

``NAME summary`` holds the shape, the iterations and the learning rate; W(1)..W(L) at the start
and at the end as matrices in the note's form (row j for neuron j of layer l, column i for
neuron i of layer l-1, the bias last); the outputs against the targets; the first and final
cost; and the two cost charts of the original (over all iterations, and over the first ones).
For a network trained on a data sheet's samples, the outputs are a truth table: every sample's
inputs and targets (references to the data sheet), and the network's hidden activations and
outputs on the final weights, computed here by the note's formulas, next to output − target
(of a batch sheet too, whose final row holds the same outputs: one table for both); the charts
show an online sheet's epoch cost beside each row's cost, and a batch sheet's epoch cost.
Every number is a live formula on the network sheet carrying Python's value, so the summary
follows when a reader changes the first data row. The sheet has no 'Learning rate' label, so
no reader takes it for a network.
"""

from __future__ import annotations

import math

import numpy as np

from ..expression import Ref
from ..formats.styles import Chart, Series
from ..grid import address, ordinal
from ..math.network import count_logged, forward, shape
from . import Kind, activation
from .look import cost_range

SUFFIX = " summary"
FIRST = 75  # the original's second chart shows the first 75 iterations
LABEL_WIDTH, NUMBER_WIDTH = 24, 12
CHART_WIDTH, CHART_HEIGHT = 150.0, 85.0  # millimetres
CHART_ROWS = 21  # rows between the two charts' tops: 85 mm and a little more in either format


def write(w, written, name: str) -> None:
    """Write the summary of one trained run (see the module docstring) as sheet `name` of writer w."""
    run = written.run
    layout, problem, L = run.layout, run.problem, run.layout.L
    rows = count_logged(run.n, run.every)
    first_row, last_row = layout.first_row, layout.first_row + rows - 1
    first, last = next(layout.train(problem, 1)), written.last
    ref = lambda kind, layer, row, j=0, i=0: Ref(layout.at(kind, layer, j, i).col, row, sheet=run.name)
    cells = {}  # (row, col) -> (value, formula, style)

    def put(r, c, value, formula=None, style=None):
        cells[(r, c)] = (value, formula, style)

    put(1, 1, f"Summary of sheet '{run.name}'", style="title")
    put(2, 1, f"Every number here is a live formula on sheet '{run.name}': change its first data row "
              "and the numbers and charts follow.", style="note")
    facts = [("Network", shape(layout.sizes), None, None),
             ("Iterations", float(run.n), None, None),
             ("γ (the learning rate)", problem.network.lr, layout.lr_ref(run.name), None),  # not 'Learning rate': not a network
             ("Cost, first iteration", first.C, ref(Kind.COST, L, first_row), "scientific"),
             ("Cost, final iteration", last.C, ref(Kind.COST, L, last_row), "scientific")]
    for r, (label, value, formula, style) in enumerate(facts, 4):
        put(r, 1, label, style="caption")
        put(r, 2, value, formula, style)
    if run.first > 1 or run.every > 1:
        shown = f"iterations {run.first:,} to {run.first + run.n - 1:,}" if run.first > 1 else ""
        every = f"one row for every {ordinal(run.every)}" if run.every > 1 else ""
        put(5, 3, f"({', '.join(filter(None, (shown, every)))})")
    if layout.online:
        put(9, 1, "Epoch cost, final", style="caption")
        put(9, 2, float(last.epoch), ref(Kind.EPOCH, L, last_row), "scientific")
        put(9, 3, f"(the mean cost of the last {layout.data.data.m} rows; samples on sheet '{layout.data.name}')")

    r = 10
    put(r, 1, "W(l) as in the note: row j is neuron j of layer l, column i neuron i of layer l-1, the bias "
              "last", style="note")
    widest = max(layout.sizes[l - 1] + 1 for l in range(1, L + 1))
    end_col = 2 + widest + 1  # the matrices at the end start here, right of those at the start
    for l in range(1, L + 1):
        n_in = layout.sizes[l - 1]
        r += 2
        put(r, 1, f"W({l})", style="caption")
        put(r, 2, "at the start", style="caption")
        put(r, end_col, "at the end", style="caption")
        r += 1
        for i in range(n_in + 1):
            for start in (2, end_col):
                put(r, start + i, "bias" if i == n_in else f"i={i}", style="label")
        for j in range(layout.sizes[l]):
            r += 1
            put(r, 1, f"j={j}", style="caption")
            for i in range(n_in + 1):
                put(r, 2 + i, first.W[l][j, i], ref(Kind.WEIGHT, l, first_row, j, i), "weight")
                put(r, end_col + i, last.W[l][j, i], ref(Kind.WEIGHT, l, last_row, j, i), "weight")

    r += 2
    if layout.data is not None:
        r, table_cols = truth_table(put, r, run, last_row, last.W)
    else:
        table_cols = 5
        put(r, 1, f"Outputs a({L}) against targets T", style="caption")
        r += 1
        for c, label in enumerate(("first", "final", "target", "final - target"), 2):
            put(r, c, label, style="label")
        for j in range(layout.sizes[L]):
            r += 1
            put(r, 1, f"j={j}", style="caption")
            put(r, 2, first.a[L][j], ref(Kind.ACTIVATION, L, first_row, j), "output")
            put(r, 3, last.a[L][j], ref(Kind.ACTIVATION, L, last_row, j), "output")
            put(r, 4, problem.T[j], ref(Kind.TARGET, L, last_row, j), "target")
            put(r, 5, last.a[L][j] - problem.T[j], Ref(3, r) - Ref(4, r), "scientific")

    content_cols = max(end_col + widest - 1, table_cols)
    w.sheet(name, charts=charts(written, rows, content_cols + 2), fit_page=True,
            widths=[LABEL_WIDTH] + [NUMBER_WIDTH] * (content_cols - 1))
    for r in sorted({r for r, _ in cells}):
        row = [cells.get((r, c), (None, None, None)) for c in range(1, max(c for rr, c in cells if rr == r) + 1)]
        w.row(r, [v for v, _, _ in row], [f for _, f, _ in row], [s for _, _, s in row])


def truth_table(put, r: int, run, last_row: int, W: list) -> tuple[int, int]:
    """Every sample of a run on a data sheet (online or batch) on the final weights (those of the
    last row, on the network sheet), from row r of the summary: its number, inputs and targets
    (references to the data sheet), the activations of each layer by the note's formula on the cells left of them, and
    output − target. Returns the last row written and the table's width in columns."""
    layout, data = run.layout, run.layout.data
    sizes, L = layout.sizes, layout.L
    put(r, 1, f"Every sample on the final weights (row {last_row} of '{run.name}'): the note's forward pass, "
              "live, beside the targets", style="caption")
    r += 1
    columns = [("sample", 0, 0)] + [(f"a{i}", 0, i) for i in range(sizes[0])]
    columns += [(f"a{j} ({'output' if l == L else f'layer {l}'})", l, j) for l in range(1, L + 1) for j in range(sizes[l])]
    col = {(l, j): 2 + k for k, (_, l, j) in enumerate(columns[1:])}  # where a_j of layer l stands
    target = 2 + len(columns) - 1
    labels = [label for label, _, _ in columns] + [f"T{j}" for j in range(sizes[L])] + \
        [f"a{j} - T{j}" for j in range(sizes[L])]
    for c, label in enumerate(labels, 1):
        put(r, c, label, style="label")
    weight = lambda l, j, i: Ref(layout.at(Kind.WEIGHT, l, j, i).col, last_row, sheet=run.name)  # noqa: E731
    for s in range(data.data.m):
        r += 1
        a = forward(W, data.data.X[s])
        put(r, 1, float(s + 1), style="caption")
        for i in range(sizes[0]):
            put(r, col[(0, i)], float(a[0][i]), data.input_ref(s, i), "input")
        for l in range(1, L + 1):
            for j in range(sizes[l]):
                formula = activation([Ref(col[(l - 1, i)], r) for i in range(sizes[l - 1])],
                                     [weight(l, j, i) for i in range(sizes[l - 1] + 1)])
                put(r, col[(l, j)], float(a[l][j]), formula, "output" if l == L else None)
        for j in range(sizes[L]):
            put(r, target + j, float(data.data.T[s][j]), data.target_ref(s, j), "target")
            put(r, target + sizes[L] + j, float(a[L][j] - data.data.T[s][j]),
                Ref(col[(L, j)], r) - Ref(target + j, r), "scientific")
    return r, target + 2 * sizes[L] - 1


def charts(written, rows: int, col: int) -> list:
    """The cost over every row, on a logarithmic axis, and below it the cost over the first FIRST
    rows (when there are more), both with their top left corner in column col; none for one row."""
    if rows < 2:
        return []
    run = written.run
    layout = run.layout
    every = run.every
    x_title = "Iteration" if every == 1 else f"Row (iterations 1, {1 + every:,}, {1 + 2 * every:,}, ...)"
    if layout.online:  # each row's cost, of its own sample, and the epoch cost, named by their labels
        named = lambda kind, rows: Series(run.name, cost_range(layout, rows, kind),  # noqa: E731
                                          *label(layout, kind, run.name))
        series = lambda rows: (named(Kind.COST, rows), named(Kind.EPOCH, rows))  # noqa: E731
    else:  # the cost column: a classic sheet's cost, a batch sheet's epoch cost
        series = lambda rows: (Series(run.name, cost_range(layout, rows)),)  # noqa: E731
    if layout.data is not None:  # a row's cost (or an epoch's) may rise and fall again
        lowest, T = written.lowest, layout.data.data.T
    else:  # the cost falls as the network learns: the lower of the first and final cost is the lowest
        lowest, T = min(written.first_cost, written.last_cost), run.problem.T
    bounds = log_bounds(lowest, T)
    found = [Chart(f"Cost over all {run.n:,} iterations", series(rows), address(1, col),
                   x_title=x_title, y_title="Cost C (log scale)" if bounds else "Cost C", log=bool(bounds),
                   bounds=bounds, width=CHART_WIDTH, height=CHART_HEIGHT)]
    if rows > FIRST:
        first = "iterations" if every == 1 else "rows"
        found.append(Chart(f"Cost over the first {FIRST} {first}", series(FIRST),
                           address(1 + CHART_ROWS, col), x_title=x_title, y_title="Cost C",
                           width=CHART_WIDTH, height=CHART_HEIGHT))
    return found


def label(layout, kind: Kind, sheet: str) -> tuple[str, tuple[str, str]]:
    """(the label of the output layer's column of a kind, (sheet, cell) of that label on the network's
    sheet), as a series' name."""
    c = layout.at(kind, layout.L)
    return c.label, (sheet, address(layout.label_row, c.col))


def log_bounds(low: float, T) -> tuple[float, float] | None:
    """Decades that hold every cost of a training whose lowest cost is low, for a logarithmic axis;
    None when a cost is 0. T: the targets, or a row of them per sample.

    Above: the largest cost outputs in (0, 1) allow, ½ Σ max(T², (1 − T)²), of the sample where it
    is largest (T one row of targets per sample; a mean of samples' costs is no larger). Below: a
    decade under low.
    """
    if not (low > 0 and math.isfinite(low)):  # no cost above 0
        return None
    T = np.asarray(T, dtype=float)
    top = 0.5 * float(np.max(np.sum(np.maximum(T * T, (1 - T) ** 2), axis=-1)))
    return 10.0 ** (math.floor(math.log10(low)) - 1), 10.0 ** math.ceil(math.log10(top))

