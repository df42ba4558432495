"""The recomputation: the network trained from the sheet's first data row, its numbers laid out
as the sheet's columns, and the K of a sheet that shows every K-th iteration."""

from __future__ import annotations

import numpy as np

from .. import formats, verify
from ..layout import Kind, Layout
from ..network import Network, Problem, histories, history, train
from .report import Tolerance


class Trace:
    """The recomputation's numbers of the network's columns, one row per logged iteration (1,
    1 + every, ...), taken a chunk at a time as the check goes down the sheet."""

    def __init__(self, problem: Problem, layout: Layout, every: int):
        self.layout = layout
        most = 1 + formats.MAX_ROWS * every  # no sheet holds more rows
        self.chunks = histories(problem, most, every, verify.CHUNK)
        self.left = np.zeros((0, len(layout.columns)))

    def take(self, n: int) -> np.ndarray:
        """The numbers of the next n logged iterations, one row each."""
        parts, have = [self.left], len(self.left)
        while have < n:
            numbers = self.layout.matrix(next(self.chunks))
            parts.append(numbers)
            have += len(numbers)
        rows = np.concatenate(parts) if len(parts) > 1 else self.left
        self.left = rows[n:]
        return rows[:n].copy()


def _weights(layout: Layout) -> list:
    return [j for j, c in enumerate(layout.columns) if c.kind == Kind.WEIGHT]


def logged(problem: Problem, layout: Layout, tol: Tolerance, second: np.ndarray, most: int = 100_000) -> int:
    """The K of rows that show iterations 1, 1 + K, 1 + 2K, ... (sheetnet train --log-every K),
    found from the second row's weights; 1 when none up to `most` fits."""
    w = second[_weights(layout)]
    flat = lambda it: np.concatenate([m.ravel() for m in it.W[1:]])  # noqa: E731
    for k, it in enumerate(train(problem, most + 1)):
        # One weight first: a scalar test rules out almost every iteration cheaply.
        if k and tol.close(it.W[1][0, 0], w[0])[0] and tol.close(flat(it), w).all():
            return k
    return 1


def last_logged(problem: Problem, layout: Layout, tol: Tolerance, every: int, found: np.ndarray,
                guess: int) -> tuple:
    """(iteration, its numbers in the network's columns) of the last row of a sheet of every
    K-th iteration: the one after the row above, at most K later, whose weights the row
    shows; the guess on the grid of K when none does."""
    weights = _weights(layout)
    start = guess - every
    W = history(problem, start, max(start - 1, 1)).at(-1).W
    after = Problem(Network(W, problem.network.lr), problem.inputs, problem.T)
    k = start  # the iteration of the chunk's first row
    for h in histories(after, every + 1, 1, verify.CHUNK):  # iterations start .. guess
        numbers = layout.matrix(h)
        match = np.flatnonzero(tol.close(numbers[:, weights], found[weights]).all(axis=1))
        match = match[match + k > start]
        if len(match):
            return k + int(match[0]), numbers[match[0]]
        k += len(numbers)
    return guess, numbers[-1]
