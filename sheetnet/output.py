"""Writing trained networks: each iteration laid out by the layout, streamed to a format."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import formats
from .errors import SheetnetError
from .layout import Layout
from .network import Problem, train


@dataclass
class Run:
    """One network to write: its sheet name, layout, initial state and number of iterations."""

    name: str
    layout: Layout
    problem: Problem
    n: int
    note: str = ""
    first_cost: float = math.nan
    last_cost: float = math.nan


def write(path, runs: list) -> None:
    """Write every run to path (format from its extension); the file appears only when complete."""
    Writer = formats.writer(path)
    with formats.atomic(path) as f, Writer(f) as w:
        for run in runs:
            w.sheet(run.name)
            write_network(w, run)


def write_network(w, run: Run) -> None:
    """The header rows, then one row per iteration, each a live formula with its value."""
    layout = run.layout
    header = layout.header()
    if run.note:
        header[(1, 1)] = run.note
    for r in sorted({r for r, _ in header}):
        cols = [c for rr, c in header if rr == r]
        w.row(r, [header.get((r, c)) for c in range(1, max(cols) + 1)])
    first, later = layout.templates(first=True), layout.templates(first=False)
    lr = run.problem.network.lr
    for k, it in enumerate(train(run.problem, run.n)):
        values = layout.values(it, run.problem.inputs)
        if not math.isfinite(it.C) or not all(map(math.isfinite, values[layout.first_col - 1:])):
            raise SheetnetError(f"the numbers overflow in iteration {k + 1}: this network cannot be trained "
                                "in float64 (make the inputs, weights or learning rate smaller)", sheet=run.name)
        if k == 0:
            values[layout.lr_col - 1] = lr
            run.first_cost = it.C
        run.last_cost = it.C
        w.row(layout.first_row + k, values, first if k == 0 else later)
