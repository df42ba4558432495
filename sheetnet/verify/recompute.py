"""The recomputation: the network trained from the sheet's first data row, its numbers laid out
as the sheet's columns, and the K of a sheet that shows every K-th iteration."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import formats, verify
from ..layout import Kind, Layout
from ..layout.batch import BatchLayout
from ..math.network import Network, Problem
from .report import Tolerance

AHEAD = 1_000_000  # iterations the recomputation may train past the rows read


class Trace:
    """The recomputation's numbers of the network's columns, one row per logged iteration (1,
    1 + every, ...), taken a chunk at a time as the check goes down the sheet."""

    def __init__(self, problem: Problem, layout: Layout, tol: Tolerance):
        self.problem, self.layout, self.tol = problem, layout, tol
        self.weights = [j for j, c in enumerate(layout.columns) if c.kind == Kind.WEIGHT]
        self.restart(1)

    def restart(self, every: int) -> None:
        """Start again from iteration 1, one row for every every-th iteration."""
        self.every = every
        most = 1 + formats.MAX_ROWS * every  # no sheet holds more rows
        # Trained a chunk ahead of the rows read: of a sheet of every K-th iteration, a chunk of
        # about a million iterations, however few rows that is (a sheet may end after 11).
        # An epoch of a batch sheet takes numpy some 50 µs, a hundred times an iteration of the float code.
        ahead = AHEAD // 100 if isinstance(self.layout, BatchLayout) else AHEAD
        size = min(verify.CHUNK, ahead // every, verify.CELLS // len(self.layout.columns))
        self.chunks = self.layout.histories(self.problem, most, every, max(1, size))
        self.left = np.zeros((0, len(self.layout.columns)))

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

    def logged(self, second: np.ndarray, most: int = 100_000) -> int:
        """The K of rows that show iterations 1, 1 + K, 1 + 2K, ... (sheetnet train --log-every K),
        found from the second row's weights: of the iterations up to `most` whose weights it
        shows, the one it shows most exactly (a network that has converged shows the same weights,
        within the tolerance, for many iterations); 1 when none fits."""
        w = second[self.weights]
        flat = lambda it: np.concatenate([m.ravel() for m in it.W[1:]])  # noqa: E731
        found, least = 1, np.inf
        for k, it in enumerate(self.layout.train(self.problem, most + 1)):
            # One weight first: a scalar test rules out almost every iteration cheaply.
            if k and self.tol.close(it.W[1][0, 0], w[0])[0] and self.tol.close(flat(it), w).all():
                miss = np.abs(flat(it) - w).sum()
                if miss < least:
                    found, least = k, miss
                if miss == 0:
                    break
            elif least < np.inf:  # past the iterations whose weights the row shows
                break
        return found

    def last_logged(self, found: np.ndarray, guess: int) -> tuple:
        """(iteration, its numbers in the network's columns) of the last row of a sheet of every
        K-th iteration: the one after the row above, at most K later, whose weights the row
        shows; the guess on the grid of K when none does."""
        start = guess - self.every
        # Of an online sheet, from the m − 1 iterations before `start` on: an epoch cost is the mean
        # of the last m costs, so the rows after `start` take costs from before it.
        first = max(1, start - self.problem.data.m + 1) if self.layout.online else start
        W = next(self.layout.histories(self.problem, first, max(first - 1, 1), 2)).at(-1).W
        # An online sheet's iteration `first` is the first of `after`: its samples go on from there.
        data = None if self.problem.data is None else self.problem.data.from_iteration(first)
        after = replace(self.problem, network=Network(W, self.problem.network.lr), data=data)
        k = first  # the iteration of the chunk's first row
        for h in self.layout.histories(after, guess - first + 1, 1, verify.CHUNK):  # iterations first .. guess
            numbers = self.layout.matrix(h)
            match = np.flatnonzero(self.tol.close(numbers[:, self.weights], found[self.weights]).all(axis=1))
            match = match[match + k > start]
            if len(match):
                return k + int(match[0]), numbers[match[0]]
            k += len(numbers)
        return guess, numbers[-1]
