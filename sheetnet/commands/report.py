"""What the commands print: short, readable reports of trained runs and of a workbook's networks."""

from __future__ import annotations

import numpy as np

from ..grid import Sheet, address, counted
from ..layout import Kind, Layout
from ..layout.batch import BatchLayout
from ..math.network import Problem, forward, shape


def number(x) -> str:
    """A cell's value as the reports print it: 6 significant digits; '-' for an empty cell."""
    return "-" if x is None else f"{x:.6g}" if isinstance(x, float) else str(x)


def numbers(xs, most: int = 8) -> str:
    """Numbers side by side; of more than `most`, the first ones, '…' and the last, and how many."""
    shown = [number(float(x)) for x in xs]
    if len(shown) > most:
        shown = shown[:most - 2] + ["…"] + shown[-1:] + [f"({len(shown)} values)"]
    return " ".join(shown)


def matrix(W: np.ndarray, indent: str = "    ") -> list:
    """W as in the note: row j for neuron j, column i for neuron i of the layer below, the bias last."""
    n_in = W.shape[1] - 1
    head = [f"i={i}" for i in range(n_in)] + ["bias"]
    cells = [[number(float(w)) for w in row] for row in W]
    width = max(len(t) for t in head + [c for row in cells for c in row])
    label = len(f"j={W.shape[0] - 1}")
    lines = [indent + " " * label + "".join(f"  {t:>{width}}" for t in head)]
    lines += [indent + f"{f'j={j}':<{label}}" + "".join(f"  {c:>{width}}" for c in row) for j, row in enumerate(cells)]
    return lines


def trained(written) -> str:
    """A trained run in three lines: the network, its cost before and after, its outputs against the
    targets; of a run on samples, its epoch cost and the truth table instead (see samples)."""
    run, last = written.run, written.last
    problem = run.problem
    L = run.layout.L
    batch = isinstance(run.layout, BatchLayout)  # a row per epoch
    unit = "epoch" if batch else "iteration"
    iterations = counted(run.n, unit) if run.first == 1 else f"{unit}s {run.first:,} to {run.first + run.n - 1:,}"
    head = f"{run.name}: {shape(run.layout.sizes)} network, {iterations}, learning rate {number(problem.network.lr)}"
    if run.layout.data is not None:
        data = run.layout.data
        head += f", on the {counted(data.data.m, 'sample')} of sheet '{data.name}'" + (", all of them in every epoch" * batch)
        cost = f"  epoch cost  {number(written.first_cost)} -> {number(written.last_cost)}" if batch else \
            (f"  cost     {number(written.first_cost)} -> {number(written.last_cost)} "
             f"(epoch cost, the mean of the last {data.data.m:,}: {number(float(last.epoch))})")
        return "\n".join([head, cost, *samples(data.data, last.W)])
    first_outputs = forward(problem.network.W, problem.inputs)[-1]
    lines = [head, f"  cost     {number(written.first_cost)} -> {number(written.last_cost)}"]
    if len(problem.T) <= FEW:
        lines.append(f"  outputs  {numbers(first_outputs)} -> {numbers(last.a[L])}  (targets {numbers(problem.T)})")
        return "\n".join(lines)
    lines.append("  outputs  first -> final  (target)")  # one line each, rather than one line of many numbers
    for j in _cut(len(problem.T), MOST_LINES):
        lines.append(f"  … {len(problem.T) - MOST_LINES:,} more (all of them on the summary sheet)" if j is None else
                     f"  {f'a{j}':>6}  {number(float(first_outputs[j]))} -> {number(float(last.a[L][j]))}  "
                     f"({number(float(problem.T[j]))})")
    return "\n".join(lines)


FEW = 4  # outputs shown side by side on one line; more get a line each
MOST_LINES = 20  # lines of outputs or samples printed: the first ones and the last


def _cut(count: int, most: int) -> list:
    """The indices of `count` lines to print: all of them, or the first most − 1, None for '…', and the last."""
    return list(range(count)) if count <= most else list(range(most - 1)) + [None, count - 1]


def samples(data, W: list) -> list:
    """The truth table: per sample its inputs, the outputs on the weights W and the targets, one
    line each (at most MOST_LINES, the first ones and the last), long vectors cut (see numbers)."""
    lines = ["  sample  inputs -> outputs  (targets)"]
    for s in _cut(data.m, MOST_LINES):
        if s is None:
            lines.append(f"  … {data.m - MOST_LINES:,} more (all of them on the summary sheet)")
            continue
        outputs = forward(W, data.X[s])[-1]
        lines.append(f"  {s + 1:>6}  {numbers(data.X[s])} -> {numbers(outputs)}  ({numbers(data.T[s])})")
    return lines


class Shown:
    """What `sheetnet show` says of one network, gathered as its rows stream in (see sheets.each_network):
    shape, rows, learning rate, first weights, and the first and last cost as the file caches them."""

    def __init__(self, head: Sheet, layout: Layout, problem: Problem):
        self.name, self.layout, self.problem = head.name, layout, problem
        self.cost_col = layout.at(Kind.COST, layout.L).col
        self.rows = 0  # the data rows that follow the first one without a gap (counted in the cost column)
        self.first = self.last = None

    def feed(self, r: int, cells) -> None:
        if r != self.layout.first_row + self.rows:
            return
        cell = cells.get(self.cost_col)
        if cell is not None and (cell.value is not None or cell.formula is not None):
            self.rows += 1
            self.first = self.first or cell
            self.last = cell

    def finish(self) -> str:
        layout, problem = self.layout, self.problem
        first, last = layout.first_row, layout.first_row + max(self.rows, 1) - 1
        if isinstance(layout, BatchLayout):
            samples = f"  batch of {counted(layout.m, 'sample')} on sheet {layout.data.name!r}, one row per epoch"
        else:
            samples = f"  inputs {numbers(problem.inputs)}, targets {numbers(problem.T)}" + (
                "" if problem.data is None else
                f" (sample {problem.data.samples(1) + 1} of the {problem.data.m:,} on sheet '{layout.data.name}')")
        lines = [f"{self.name}: {shape(layout.sizes)} network, {self.rows:,} row{'s' * (self.rows != 1)} "
                 f"({first} to {last}), learning rate {number(problem.network.lr)} ({layout.lr_address})",
                 samples]
        for l in range(1, layout.L + 1):
            lines.append(f"  W({l}) in row {first}:")
            lines += matrix(problem.network.W[l])

        def cost(cell, r):
            shown = "not calculated" if cell is not None and cell.value is None and cell.formula else \
                number(cell.value if cell is not None else None)
            return f"{shown} ({address(r, self.cost_col)})"

        what = "epoch cost" if isinstance(layout, BatchLayout) else "cost"
        lines.append(f"  {what}, as cached: {cost(self.first, first)} -> {cost(self.last, last)}")
        return "\n".join(lines)
