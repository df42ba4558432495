"""The note's backpropagation for any n0-n1-...-nL sigmoid network, one training sample.

Names follow the note: ``a[l]`` are the activations of layer l (``a[0]`` the inputs),
``A(a)`` appends the bias neuron's 1, ``W[l]`` is W^(l) with shape (n_l, n_{l-1}+1) and
the bias weights in its last column, ``delta[l]`` is δ^(l), ``change[l]`` is dC/dW^(l),
``T`` the targets, ``C`` the cost and ``lr`` the learning rate γ. Index 0 of ``W``,
``delta`` and ``change`` is unused (None) so that indices match the layer numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^-z), without overflow or warnings for any finite z."""
    # e^-|z| never overflows; the two branches are the same function rearranged.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def A(a: np.ndarray) -> np.ndarray:
    """The activations of a layer with the bias neuron's value 1 appended."""
    return np.append(a, 1.0)


@dataclass
class Network:
    """A network's trainable state: its weight matrices and learning rate."""

    W: list  # W[0] is None; W[l] has shape (n_l, n_{l-1} + 1)
    lr: float

    @property
    def sizes(self) -> tuple[int, ...]:
        """The layer sizes n0, n1, ..., nL."""
        return (self.W[1].shape[1] - 1,) + tuple(w.shape[0] for w in self.W[1:])

    @property
    def L(self) -> int:
        """The number of the output layer."""
        return len(self.W) - 1


@dataclass
class Problem:
    """A network with the one sample it is trained on: the first data row of a sheet."""

    network: Network
    inputs: np.ndarray  # a^(0)
    T: np.ndarray  # targets

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.network.sizes


@dataclass
class Iteration:
    """Everything one row of the sheet shows: the state before the update and its derivatives."""

    W: list  # the weights this iteration starts from
    a: list  # a[0] .. a[L]
    delta: list  # delta[1] .. delta[L]
    change: list  # dC/dW[1] .. dC/dW[L]
    C: float
    T: np.ndarray = field(repr=False)


def forward(W: list, inputs: np.ndarray) -> list:
    """The forward pass: a^(l) = σ(W^(l) A^(l-1)) for l = 1..L."""
    a = [np.asarray(inputs, dtype=float)]
    for l in range(1, len(W)):
        a.append(sigmoid(W[l] @ A(a[l - 1])))
    return a


def cost(a_L: np.ndarray, T: np.ndarray) -> float:
    """C = ½ Σ (a^(L) − T)²."""
    return float(0.5 * np.sum((a_L - T) ** 2))


def backprop(W: list, a: list, T: np.ndarray) -> list:
    """The deltas: δ^(L) = (a^(L) − T) ⊙ a^(L)(1 − a^(L)), then
    δ^(l) = a^(l)(1 − a^(l)) ⊙ (w^(l+1))ᵀ δ^(l+1), where w^(l+1) is W^(l+1) without its bias column."""
    L = len(W) - 1
    delta = [None] * (L + 1)
    delta[L] = (a[L] - T) * a[L] * (1 - a[L])
    for l in range(L - 1, 0, -1):
        delta[l] = a[l] * (1 - a[l]) * (W[l + 1][:, :-1].T @ delta[l + 1])
    return delta


def changes(delta: list, a: list) -> list:
    """The change matrices dC/dW^(l) = δ^(l) A^(l-1) (an outer product)."""
    return [None] + [np.outer(delta[l], A(a[l - 1])) for l in range(1, len(delta))]


def iterate(W: list, inputs: np.ndarray, T: np.ndarray) -> Iteration:
    """One row: forward pass, cost, deltas and change matrices, all from the same weights."""
    a = forward(W, inputs)
    delta = backprop(W, a, T)
    return Iteration(W=W, a=a, delta=delta, change=changes(delta, a), C=cost(a[-1], T), T=T)


def update(W: list, change: list, lr: float) -> list:
    """W^(l) ← W^(l) − γ dC/dW^(l), for every layer at once, after all derivatives are known."""
    return [None] + [W[l] - lr * change[l] for l in range(1, len(W))]


def train(problem: Problem, n: int):
    """Yield n iterations, the first one computed from the problem's initial weights."""
    W, lr = problem.network.W, problem.network.lr
    for _ in range(n):
        it = iterate(W, problem.inputs, problem.T)
        yield it
        W = update(W, it.change, lr)
