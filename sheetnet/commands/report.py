"""What the commands print: short, readable reports of trained runs and of a workbook's networks."""

from __future__ import annotations

import numpy as np

from ..grid import Sheet, address
from ..layout import Kind, Layout
from ..layout.batch import BatchLayout
from ..math.network import Problem, forward, shape


def number(x) -> str:
    """A cell's value as the reports print it: 6 significant digits; '-' for an empty cell."""
    return "-" if x is None else f"{x:.6g}" if isinstance(x, float) else str(x)


def numbers(xs) -> str:
    """Numbers side by side."""
    return " ".join(number(float(x)) for x in xs)


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
    """A trained run in three lines: the network, its cost before and after, its outputs against the targets."""
    run, last = written.run, written.last
    problem = run.problem
    L = run.layout.L
    if isinstance(run.layout, BatchLayout):
        return batch_trained(written)
    first_outputs = forward(problem.network.W, problem.inputs)[-1]
    return "\n".join([
        f"{run.name}: {shape(run.layout.sizes)} network, {run.n:,} iterations, learning rate "
        f"{number(problem.network.lr)}",
        f"  cost     {number(written.first_cost)} -> {number(written.last_cost)}",
        f"  outputs  {numbers(first_outputs)} -> {numbers(last.a[L])}  (targets {numbers(problem.T)})",
    ])


def batch_trained(written, most: int = 8) -> str:
    """A run of a batch sheet: the network, its epoch cost before and after, and its final outputs
    against the targets, a line per sample (the first `most` of them)."""
    run, last = written.run, written.last
    L, m = run.layout.L, run.layout.m
    lines = [f"{run.name}: {shape(run.layout.sizes)} network, batch of {m:,} samples, {run.n:,} epochs, "
             f"learning rate {number(run.problem.network.lr)}",
             f"  epoch cost  {number(written.first_cost)} -> {number(written.last_cost)}"]
    for s in range(min(m, most)):
        lines.append(f"  sample {s + 1}: inputs {numbers(last.a[0][s])} -> outputs {numbers(last.a[L][s])}  "
                     f"(targets {numbers(last.T[s])})")
    if m > most:
        lines.append(f"  ... and {m - most:,} more samples (every one on the summary sheet)")
    return "\n".join(lines)


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
        samples = f"  inputs {numbers(problem.inputs)}, targets {numbers(problem.T)}"
        if isinstance(layout, BatchLayout):
            samples = f"  batch of {layout.m:,} samples on sheet {layout.data.name!r}, one row per epoch"
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
