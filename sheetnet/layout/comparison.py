"""The comparison sheet of a learning-rate sweep: one row per γ, and every cost curve in one chart.

``NAME sweep`` lists, for each learning rate, its network sheet, the iterations written, the
first and final cost (live formulas on that sheet), the iteration at which the cost first falls
below each fraction of its start, and what the training did; below the table a chart draws
every network sheet's cost column on one logarithmic axis, a line per γ named in the legend.
A network on a dataset is compared by its epoch cost (commands.sweep): its Epoch C column, from
the first row that averages a whole epoch.
"""

from __future__ import annotations

from ..expression import Ref
from ..formats.styles import Chart, Series
from ..grid import ordinal
from ..math.network import count_logged
from . import Kind
from .look import cost_range
from .summary import CHART_HEIGHT, log_bounds

SUFFIX = " sweep"
# No 'Learning rate' label: a reader would take the sheet for a network (as the summary's has none).
HEAD = ("Curve", "γ (the learning rate)", "Sheet", "Iterations")
COSTS = {False: ("Cost, first iteration", "Cost, final iteration", "cost"),
         True: ("Epoch cost, first whole epoch", "Epoch cost, final iteration", "epoch cost")}
TABLE_ROW = 4  # the table's labels; a row per γ below them
WIDTHS = (14, 10, 22, 11, 20, 20)
CHART_WIDTH = 220.0  # millimetres: room for the legend beside the curves


def write(w, name: str, source: str, curves: list, runs: list, n: int, fractions: tuple) -> None:
    """Write the comparison of the sweep of sheet `source`, n iterations at each rate, as sheet
    `name` of writer w: curves are the Curves of the runs (commands.sweep), in the same order."""
    epoch = curves[0].epoch  # one network: all its curves alike
    first, final, cost_name = COSTS[epoch]
    kind, column = (Kind.EPOCH, "Epoch C column (the mean cost of the last m iterations)") if epoch \
        else (Kind.COST, "cost column")
    head = HEAD + (first, final) + tuple(f"Below {f:g} of the first {cost_name} at iteration" for f in fractions) \
        + ("Outcome",)
    rows = [([f"Learning-rate sweep of sheet '{source}'"], ["title"]),
            ([f"One network sheet per learning rate γ, each trained from {source}'s first row. The costs are "
              f"live formulas on those sheets; the chart draws each sheet's {column}."], ["note"]),
            ([], []),
            (list(head), ["label"] * len(head))]
    series = []
    for k, (curve, run) in enumerate(zip(curves, runs)):
        layout, r = run.layout, TABLE_ROW + 1 + k
        cost = lambda row: Ref(layout.at(kind, layout.L).col, row, sheet=curve.sheet)
        first_row = layout.first_row + count_logged(curve.start, run.every) - 1  # the row of iteration start
        last_row = layout.first_row + curve.rows - 1
        values = [curve.name, curve.lr, curve.sheet, float(curve.n), curve.first, curve.final]
        values += [float(at) if at else "never" for at in curve.below] + [curve.outcome]
        formulas = [None, layout.lr_ref(curve.sheet), None, None, cost(first_row), cost(last_row)]
        rows.append((values, [None] * 4 + ["scientific"] * 2, formulas))
        series.append(Series(curve.sheet, cost_range(layout, curve.rows, kind), curve.name, (name, f"A{r}")))
    x_title = "Iteration" if runs[0].every == 1 else f"Row (one for every {ordinal(runs[0].every)} iteration)"
    layout = runs[0].layout
    # A dataset's epoch cost is a mean of its samples' costs: the bounds take every sample's targets.
    bounds = log_bounds(min(c.lowest for c in curves), layout.data.data.T if epoch else runs[0].problem.T)
    y_title = "Epoch cost (the mean cost of the last m iterations)" if epoch else "Cost C"
    chart = Chart(f"{cost_name.capitalize()} at each learning rate, {n:,} iterations", tuple(series),
                  f"A{TABLE_ROW + len(curves) + 3}", x_title=x_title,
                  y_title=f"{y_title} (log scale)" if bounds else y_title, log=bool(bounds), bounds=bounds,
                  width=CHART_WIDTH, height=CHART_HEIGHT)
    w.sheet(name, charts=[chart] if max(c.rows for c in curves) > 1 else [], fit_page=True,
            widths=list(WIDTHS) + [18] * (len(head) - len(WIDTHS)))
    for r, (values, styles, *formulas) in enumerate(rows, 1):
        if values:
            pad = lambda items: items + [None] * (len(values) - len(items))
            w.row(r, values, pad(formulas[0] if formulas else []), pad(styles))
