"""Fresh networks for `sheetnet template`: the original's 2-2-2, or seeded random ones."""

from __future__ import annotations

import numpy as np

from .data import seeded
from .network import Network, Problem

# The first data row of the original workbook's Sheet1 (LAYOUT.md).
ORIGINAL_2_2_2 = Problem(
    Network([None, np.array([[0.5, -0.2, 0.3], [0.2, -0.6, 0.6]]), np.array([[0.1, 0.5, -0.3], [0.2, 0.3, 0.5]])],
            lr=0.5),
    inputs=np.array([0.1, 0.9]),
    T=np.array([0.3, 0.4]),
)

# The first data row of the original workbook's Ark2 (its bias cells hold 0.1 and 0.3).
ORIGINAL_1_1_1 = Problem(
    Network([None, np.array([[0.1, 0.1]]), np.array([[0.3, 0.3]])], lr=0.5),
    inputs=np.array([0.3]),
    T=np.array([0.7]),
)


def random_problem(sizes, seed: int | None = None, lr: float = 0.5) -> Problem:
    """Inputs in [0, 1), targets in [0.1, 0.9), weights in [-1, 1): a network sigmoids can learn."""
    rng = seeded(seed)
    W = [None] + [rng.uniform(-1, 1, size=(sizes[l], sizes[l - 1] + 1)) for l in range(1, len(sizes))]
    return Problem(Network(W, lr), inputs=rng.uniform(0, 1, sizes[0]), T=rng.uniform(0.1, 0.9, sizes[-1]))


def problem_for(sizes, seed: int | None = None) -> Problem:
    """The original's network for 2-2-2 without a seed, a random one otherwise."""
    if tuple(sizes) == (2, 2, 2) and seed is None:
        return ORIGINAL_2_2_2
    return random_problem(sizes, seed)
