"""Batch training: each epoch takes the note's steps for every sample, then one update by their mean.

For each sample s of a dataset, from the same weights W: the forward pass a[l][s], the cost
C[s], the deltas delta[l][s] and the change matrices change[l][s], exactly as the note computes
them for one sample (:mod:`sheetnet.math.network`); then the update uses the mean change
matrix, W^(l) ← W^(l) − γ · mean_s dC/dW^(l)[s], and the epoch's cost is the mean of the C[s].
The samples run along a first axis of every array, so that one numpy operation takes them all.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .data import Dataset
from .network import Problem, logged, sigmoid


def A(a: np.ndarray) -> np.ndarray:
    """The activations of a layer, one row per sample, with the bias neuron's value 1 appended to each."""
    return np.concatenate((a, np.ones(a.shape[:-1] + (1,))), axis=-1)


@dataclass
class Epoch:
    """Everything one row of a batch sheet shows: the weights the epoch starts from; per sample
    (first axis) its a, δ, dC/dW and C; the mean change matrices and the epoch's cost. Stacked
    epochs (histories) have the epochs along a further first axis."""

    W: list  # W[1] .. W[L]
    a: list  # a[0] .. a[L], each (m, n_l)
    delta: list  # delta[1] .. delta[L], each (m, n_l)
    change: list  # dC/dW[1] .. dC/dW[L], each (m, n_l, n_{l-1} + 1)
    costs: np.ndarray  # C of each sample, (m,)
    T: np.ndarray  # (m, nL)
    mean: list  # the mean change matrices, mean[1] .. mean[L]
    C: float | np.ndarray  # the epoch's cost: the mean of the samples' costs
    sample = None  # as network.Iteration's: no one sample, each epoch takes them all

    @property
    def epoch(self) -> float | np.ndarray:
        """The epoch cost, as network.Iteration names it: C."""
        return self.C

    def at(self, k: int) -> Epoch:
        """The k-th of epochs stacked along a first axis (histories)."""
        pick = lambda xs: [None if x is None else x[k] for x in xs]  # noqa: E731
        return Epoch(W=pick(self.W), a=pick(self.a), delta=pick(self.delta), change=pick(self.change),
                     costs=self.costs[k], T=self.T[k], mean=pick(self.mean), C=float(self.C[k]))


def epoch(W: list, data: Dataset) -> Epoch:
    """One row: every sample's forward pass, cost, deltas and change matrices from the same
    weights, in the note's order; then their mean."""
    L = len(W) - 1
    # forward: a^(l) = σ(W^(l) A^(l-1)), for every sample (a row of a) at once
    a = [np.asarray(data.X, dtype=float)]
    for l in range(1, L + 1):
        a.append(sigmoid(A(a[l - 1]) @ W[l].T))
    T = np.asarray(data.T, dtype=float)
    costs = 0.5 * np.sum((a[L] - T) ** 2, axis=1)  # C = ½ Σ (a^(L) − T)²
    # backprop: δ^(L) = (a^(L) − T) ⊙ a^(L)(1 − a^(L)), δ^(l) = a^(l)(1 − a^(l)) ⊙ (w^(l+1))ᵀ δ^(l+1)
    delta = [None] * (L + 1)
    delta[L] = (a[L] - T) * a[L] * (1 - a[L])
    for l in range(L - 1, 0, -1):
        delta[l] = a[l] * (1 - a[l]) * (delta[l + 1] @ W[l + 1][:, :-1])
    # dC/dW^(l) = δ^(l) A^(l-1), an outer product per sample
    change = [None] + [delta[l][:, :, None] * A(a[l - 1])[:, None, :] for l in range(1, L + 1)]
    mean = [None] + [c.mean(axis=0) for c in change[1:]]
    return Epoch(W=W, a=a, delta=delta, change=change, costs=costs, T=T, mean=mean, C=float(costs.mean()))


def update(W: list, mean: list, lr: float) -> list:
    """W^(l) ← W^(l) − γ · mean dC/dW^(l), for every layer at once."""
    return [None] + [W[l] - lr * mean[l] for l in range(1, len(W))]


def train(problem: Problem, n: int, every: int = 1):
    """Yield epochs 1, 1 + every, ... and always the last one, n (network.logged), the first from
    the problem's initial weights, on the problem's dataset; the epochs in between are trained
    but not yielded."""
    W, lr = problem.network.W, problem.network.lr
    for k, after in itertools.pairwise(itertools.chain(logged(n, every), [None])):
        e = epoch(W, problem.data)
        yield e
        if after is not None:
            W = update(W, e.mean, lr)
            for _ in range(after - k - 1):
                W = update(W, epoch(W, problem.data).mean, lr)


def histories(problem: Problem, n: int, every: int = 1, size: int = 1000):
    """The epochs train(problem, n, every) yields, stacked `size` at a time: each an Epoch whose
    every field has the epochs along a first axis."""
    epochs = train(problem, n, every)
    while chunk := list(itertools.islice(epochs, size)):
        stacked = lambda xs: [None if x[0] is None else np.stack(x) for x in zip(*xs)]  # noqa: E731
        yield Epoch(W=stacked(e.W for e in chunk), a=stacked(e.a for e in chunk),
                    delta=stacked(e.delta for e in chunk), change=stacked(e.change for e in chunk),
                    costs=np.stack([e.costs for e in chunk]), T=np.stack([e.T for e in chunk]),
                    mean=stacked(e.mean for e in chunk), C=np.array([e.C for e in chunk]))
