"""The summary sheet of a trained network: what it is, where it started, where it ended.

``NAME summary`` holds the shape, the iterations and the learning rate; W(1)..W(L) at the start
and at the end as matrices in the note's form (row j for neuron j of layer l, column i for
neuron i of layer l-1, the bias last); the outputs against the targets; the first and final
cost; and the two cost charts of the original (over all iterations, and over the first ones).
Every number is a live formula on the network sheet carrying Python's value, so the summary
follows when a reader changes the first data row. The sheet has no 'Learning rate' label, so
no reader takes it for a network.
"""

from __future__ import annotations

import math

import numpy as np

from ..expression import Ref
from ..formats.styles import Chart, Series
from ..grid import address
from ..math.batch import epoch
from ..math.network import count_logged, iterate, shape
from . import Kind
from .batch import BatchLayout
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
    first = epoch(problem.network.W, problem.data) if isinstance(layout, BatchLayout) else \
        iterate(problem.network.W, problem.inputs, problem.T)
    last = written.last
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
    if run.every > 1:
        put(5, 3, f"(one row for every {run.every:,}th)")

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
    if isinstance(layout, BatchLayout):
        r = samples(put, r, written, first)
    else:
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

    table = 1 + layout.sizes[0] + 4 * layout.sizes[L] if isinstance(layout, BatchLayout) else 5  # its columns
    content_cols = max(end_col + widest - 1, table)
    w.sheet(name, charts=charts(written, rows, content_cols + 2), fit_page=True,
            widths=[LABEL_WIDTH] + [NUMBER_WIDTH] * (content_cols - 1))
    for r in sorted({r for r, _ in cells}):
        row = [cells.get((r, c), (None, None, None)) for c in range(1, max(c for rr, c in cells if rr == r) + 1)]
        w.row(r, [v for v, _, _ in row], [f for _, f, _ in row], [s for _, _, s in row])


def charts(written, rows: int, col: int) -> list:
    """The cost over every row, on a logarithmic axis, and below it the cost over the first FIRST
    rows (when there are more), both with their top left corner in column col; none for one row."""
    if rows < 2:
        return []
    run = written.run
    layout = run.layout
    every = run.every
    x_title = "Iteration" if every == 1 else f"Row (iterations 1, {1 + every:,}, {1 + 2 * every:,}, ...)"
    # The cost falls as the network learns: the lower of the first and final cost is the lowest.
    T = run.problem.T if run.problem.data is None else run.problem.data.T
    bounds = log_bounds(min(written.first_cost, written.last_cost), T)
    found = [Chart(f"Cost over all {run.n:,} iterations", (Series(run.name, cost_range(layout, rows)),), address(1, col),
                   x_title=x_title, y_title="Cost C (log scale)" if bounds else "Cost C", log=bool(bounds),
                   bounds=bounds, width=CHART_WIDTH, height=CHART_HEIGHT)]
    if rows > FIRST:
        first = "iterations" if every == 1 else "rows"
        found.append(Chart(f"Cost over the first {FIRST} {first}", (Series(run.name, cost_range(layout, FIRST)),),
                           address(1 + CHART_ROWS, col), x_title=x_title, y_title="Cost C",
                           width=CHART_WIDTH, height=CHART_HEIGHT))
    return found


def log_bounds(low: float, T) -> tuple[float, float] | None:
    """Decades that hold every cost of a training whose lowest cost is low, for a logarithmic axis;
    None when a cost is 0. T: the targets, or a row of them per sample.

    Above: the largest cost outputs in (0, 1) allow, ½ Σ max(T², (1 − T)²), of the sample where
    it is largest (a mean of samples' costs is no larger). Below: a decade under low.
    """
    if not (low > 0 and math.isfinite(low)):  # no cost above 0
        return None
    top = 0.5 * max(sum(max(t * t, (1 - t) ** 2) for t in row) for row in np.atleast_2d(T).tolist())
    return 10.0 ** (math.floor(math.log10(low)) - 1), 10.0 ** math.ceil(math.log10(top))


def samples(put, r: int, written, first) -> int:
    """Of a batch sheet: every sample's inputs, targets and outputs in the first and final rows
    (the truth table of the final weights), each a reference to the network sheet's cell; the
    row after the table."""
    run = written.run
    layout, last, L = run.layout, written.last, run.layout.L
    rows = {"first": layout.first_row, "final": layout.first_row + count_logged(run.n, run.every) - 1}
    n0, nL = layout.sizes[0], layout.sizes[L]
    put(r, 1, f"Every sample's outputs a({L}) in the first and final rows", style="caption")
    r += 1
    labels = [f"a{i}" for i in range(n0)] + [f"T{j}" for j in range(nL)] + \
        [f"{when} a{j}" for when in rows for j in range(nL)] + [f"final - T{j}" for j in range(nL)]
    for c, label in enumerate(labels, 2):
        put(r, c, label, style="label")
    for s in range(layout.m):
        r += 1
        put(r, 1, f"Sample {s + 1}", style="caption")
        cells = [(Kind.INPUT, 0, i, "input", rows["first"], first.a[0][s, i]) for i in range(n0)]
        cells += [(Kind.TARGET, L, j, "target", rows["first"], first.T[s, j]) for j in range(nL)]
        cells += [(Kind.ACTIVATION, L, j, "output", rows[when], it.a[L][s, j])
                  for when, it in (("first", first), ("final", last)) for j in range(nL)]
        for c, (kind, layer, j, style, row, value) in enumerate(cells, 2):
            put(r, c, value, Ref(layout.at(kind, layer, j, sample=s).col, row, sheet=run.name), style)
        for j in range(nL):
            final, target = Ref(2 + n0 + 2 * nL + j, r), Ref(2 + n0 + j, r)
            put(r, 2 + n0 + 3 * nL + j, last.a[L][s, j] - first.T[s, j], final - target, "scientific")
    return r
