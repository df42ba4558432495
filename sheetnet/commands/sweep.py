"""`sheetnet sweep`: one network trained at several learning rates, the cost curves compared.

Each γ's training is scanned first, every iteration's cost, which is cheap beside writing: the
scan finds where the cost first falls below each fraction of its start, and where the numbers
leave float64, so that such a γ's sheet holds the iterations before that and the workbook still
opens. On a dataset each iteration's cost is its own sample's, and samples differ: there the
sweep compares the epoch cost (Epoch C, the mean cost of the last m iterations), from the first
written row that holds a whole epoch. Then `output.write` writes one network sheet per γ, as
`train` does, after the comparison sheet (:mod:`sheetnet.layout.comparison`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import formats
from ..grid import fresh_name
from ..layout import Layout, comparison
from ..math.network import Network, Problem, count_logged, histories, logged
from .output import CHUNK_ROWS, Run, check_rows, overflow, write

FRACTIONS = (1e-3, 1e-6)  # of the first cost: the comparison says when the cost first falls below each


@dataclass
class Curve:
    """What the cost did at one learning rate over the iterations the scan trained."""

    lr: float
    n: int  # iterations written: those asked, or those before the numbers overflow
    start: int = 1  # the iteration whose cost is `first` (see start)
    epoch: bool = False  # the costs are epoch costs (a network on a dataset)
    sheet: str = ""  # its network sheet
    first: float = math.nan
    final: float = math.nan
    lowest: float = math.inf  # the lowest cost above 0 (a logarithmic axis shows no 0)
    below: list = field(default_factory=list)  # per fraction, the first iteration below it, or None
    overflow: int | None = None  # the iteration whose numbers leave float64
    rows: int = 0  # the data rows of its sheet

    @property
    def name(self) -> str:
        return f"γ={self.lr:g}"

    @property
    def outcome(self) -> str:
        if self.overflow:
            return f"overflows at iteration {self.overflow:,}: the sheet stops at {self.n:,}"
        if self.final > self.first:
            return "diverges: the cost grows"
        return "learns" if self.final < self.first else "stays: the cost does not change"


def start(problem: Problem, n: int, every: int) -> int:
    """The iteration whose cost a sweep of n iterations, every `every`-th written, starts from: the
    first; on a dataset the first written from the m-th on, whose epoch cost is a whole epoch's (the
    rows before average fewer samples), or the last when none is."""
    if problem.data is None:
        return 1
    return next((k for k in logged(n, every) if k >= problem.data.m), n)


def scan(problem: Problem, n: int, layout: Layout, every: int = 1, size: int = CHUNK_ROWS) -> Curve:
    """Train problem n iterations, `size` at a time, keeping only what the comparison needs of each
    one's cost (its epoch cost on a dataset), the first being that of iteration start(...)."""
    curve = Curve(problem.network.lr, n, start(problem, n, every), epoch=problem.data is not None)
    curve.below = [None] * len(FRACTIONS)
    done = 0
    try:
        for h in histories(problem, n, 1, size):
            finite = np.isfinite(layout.matrix(h)).all(axis=1)
            good = len(h.C) if finite.all() else int(np.argmin(finite))
            if good:
                _take(curve, (h.epoch if curve.epoch else h.C)[:good], done)
            done += good
            if good < len(h.C):
                curve.overflow = done + 1
                break
    except OverflowError:  # in the float code, somewhere in a chunk: found one iteration at a time
        if size > 1:
            return scan(problem, n, layout, every, 1)
        curve.overflow = done + 1
    if curve.overflow:
        curve.n = curve.overflow - 1
        if curve.n < curve.start:  # stopped before its start: the last cost it has is the first too
            curve.start, curve.first = curve.n, curve.final
    return curve


def _take(curve: Curve, C: np.ndarray, done: int) -> None:
    """Take the costs of iterations done + 1, done + 2, ... into curve."""
    if done < curve.start <= done + len(C):
        curve.first = float(C[curve.start - done - 1])
    curve.final = float(C[-1])
    if (C > 0).any():
        curve.lowest = min(curve.lowest, float(C[C > 0].min()))
    if done + len(C) < curve.start:  # the thresholds count from the first cost on
        return
    skip = max(curve.start - done - 1, 0)
    for k, fraction in enumerate(FRACTIONS):
        if curve.below[k] is None:
            hits = np.flatnonzero(C[skip:] < fraction * curve.first)
            curve.below[k] = done + skip + int(hits[0]) + 1 if len(hits) else None


def sweep(out, name: str, layout: Layout, problem: Problem, rates: list, n: int, every: int, note: str,
          progress: bool = False) -> tuple[list, str]:
    """Write the sweep of the network on sheet `name` to out: the Curve of each rate, and the
    comparison sheet's name."""
    asked = Run(name, layout, problem, n, every=every)
    check_rows(out, formats.writer(out), asked)  # before any training
    problems = [Problem(Network(problem.network.W, lr), problem.inputs, problem.T, problem.data) for lr in rates]
    curves = [scan(rated, n, layout, every) for rated in problems]
    taken = [name]
    runs = []
    for curve, rated in zip(curves, problems):
        if curve.n == 0:  # not even the first iteration: its sheet would have no row
            raise overflow(asked, 1)
        curve.sheet = fresh_name(f"{name} {curve.name}", taken)
        taken.append(curve.sheet)
        runs.append(Run(curve.sheet, layout, rated, curve.n, note=f"{note} Learning rate γ = {curve.lr!r}.",
                        every=every))
        curve.rows = count_logged(curve.n, every)
    sheet = fresh_name(name, taken, comparison.SUFFIX)
    write(out, runs, progress, before=(sheet, lambda w: comparison.write(w, sheet, name, curves, runs, n, FRACTIONS)))
    return curves, sheet


def table(curves: list) -> str:
    """The comparison as the terminal shows it."""
    cost = "epoch cost" if curves[0].epoch else "cost"
    head = ["γ", f"first {cost}", f"final {cost}"] + [f"< {f:g}×first at" for f in FRACTIONS] + ["outcome"]
    rows = [[f"{c.lr:g}", f"{c.first:.6g}", f"{c.final:.6g}"] + [f"{at:,}" if at else "never" for at in c.below]
            + [c.outcome] for c in curves]
    widths = [max(len(r[k]) for r in [head] + rows) for k in range(len(head) - 1)]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(r, widths)) + "  " + r[-1]
                     for r in [head] + rows)


def document(curves: list, out, source: str, sheet: str) -> dict:
    """The comparison as data (--json)."""
    return {"file": str(out), "network": source, "comparison": sheet,
            "cost": "epoch cost (the mean cost of the last m iterations)" if curves[0].epoch else "cost",
            "rates": [{"lr": c.lr, "sheet": c.sheet, "rows": c.rows, "iterations": c.n, "first_iteration": c.start,
                       "first_cost": c.first,
                       "final_cost": c.final, "lowest_cost": c.lowest,
                       "below": {f"{f:g}": at for f, at in zip(FRACTIONS, c.below)},
                       "overflow_at": c.overflow, "outcome": c.outcome} for c in curves]}
