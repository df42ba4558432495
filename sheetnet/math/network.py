"""The note's backpropagation for any n0-n1-...-nL sigmoid network.

Names follow the note: ``a[l]`` are the activations of layer l (``a[0]`` the inputs),
``A(a)`` appends the bias neuron's 1, ``W[l]`` is W^(l) with shape (n_l, n_{l-1}+1) and
the bias weights in its last column, ``delta[l]`` is δ^(l), ``change[l]`` is dC/dW^(l),
``T`` the targets, ``C`` the cost and ``lr`` the learning rate γ. Index 0 of ``W``,
``delta`` and ``change`` is unused (None) so that indices match the layer numbers.
"""

from __future__ import annotations

import itertools
import math
from array import array
from dataclasses import dataclass, field

import numpy as np

from .data import Dataset, Epoch


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^-z), without overflow or warnings for any finite z."""
    # e^-|z| never overflows; the two branches are the same function rearranged.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def A(a: np.ndarray) -> np.ndarray:
    """The activations of a layer with the bias neuron's value 1 appended."""
    return np.concatenate((a, _BIAS))  # np.append would cost several times more in the training loop


_BIAS = np.ones(1)


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
    """A network with what it is trained on: the one sample of the first data row (inputs, T),
    or a dataset (data), whose sample of the first iteration inputs and T then are."""

    network: Network
    inputs: np.ndarray  # a^(0)
    T: np.ndarray  # targets
    data: Dataset | None = None

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
    sample: float | None = None  # of a dataset: the sample's number (from 1)
    epoch: float | None = None  # of a dataset: the epoch cost, the mean cost of the last m iterations

    def at(self, k: int) -> Iteration:
        """The k-th of iterations stacked along a first axis (histories)."""
        pick = lambda xs: [None if x is None else x[k] for x in xs]  # noqa: E731
        [sample, epoch] = pick([self.sample, self.epoch])
        return Iteration(W=pick(self.W), a=pick(self.a), delta=pick(self.delta), change=pick(self.change),
                         C=float(self.C[k]), T=self.T[k], sample=sample, epoch=epoch)


def shape(sizes) -> str:
    """(2, 2, 2) -> '2-2-2'."""
    return "-".join(map(str, sizes))


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
    return [None] + [delta[l][:, None] * A(a[l - 1]) for l in range(1, len(delta))]  # np.outer, without its overhead


def iterate(W: list, inputs: np.ndarray, T: np.ndarray) -> Iteration:
    """One row: forward pass, cost, deltas and change matrices, all from the same weights."""
    a = forward(W, inputs)
    delta = backprop(W, a, T)
    return Iteration(W=W, a=a, delta=delta, change=changes(delta, a), C=cost(a[-1], T), T=T)


def update(W: list, change: list, lr: float) -> list:
    """W^(l) ← W^(l) − γ dC/dW^(l), for every layer at once, after all derivatives are known."""
    return [None] + [W[l] - lr * change[l] for l in range(1, len(W))]


def train(problem: Problem, n: int, every: int = 1):
    """Yield iterations 1, 1 + every, 1 + 2·every, ... and always the last one, n (see logged()),
    the first one computed from the problem's initial weights. The iterations in between are
    trained but not yielded. With a dataset, iteration k trains on sample data.samples(k), and
    each iteration yielded carries its sample's number and the epoch cost."""
    W, lr = problem.network.W, problem.network.lr
    path = FloatPath(problem) if FloatPath.fits(problem.sizes) else NumpyPath(problem)
    epoch = Epoch(problem.data)
    for k, after in itertools.pairwise(itertools.chain(logged(n, every), [None])):
        it = path.iterate(W, k)
        if problem.data is not None:
            epoch.add(it.C)
            it.sample, it.epoch = problem.data.samples(k) + 1, epoch.cost
        yield it
        if after is not None:
            W = path.advance(update(W, it.change, lr), after - k - 1, k + 1, epoch)


def histories(problem: Problem, n: int, every: int = 1, size: int = 1000):
    """Yield the iterations train(problem, n, every) yields, stacked `size` at a time: each an
    Iteration whose every field has the iterations along a first axis (C is an array; a[0]
    and T repeat). Small networks take the float code a whole row at a time, much faster
    than one Iteration after another."""
    if FloatPath.fits(problem.sizes):
        yield from FloatPath(problem).histories(problem.network.W, n, every, size)
        return
    its = train(problem, n, every)
    data = problem.data is not None
    while chunk := list(itertools.islice(its, size)):
        yield Iteration(W=_stacked(it.W for it in chunk), a=_stacked(it.a for it in chunk),
                        delta=_stacked(it.delta for it in chunk), change=_stacked(it.change for it in chunk),
                        C=np.array([it.C for it in chunk]), T=np.stack([it.T for it in chunk]),
                        sample=np.array([it.sample for it in chunk], dtype=float) if data else None,
                        epoch=np.array([it.epoch for it in chunk]) if data else None)


def history(problem: Problem, n: int, every: int = 1) -> Iteration:
    """All the iterations train(problem, n, every) yields, stacked (see histories)."""
    return next(histories(problem, n, every, count_logged(n, every)))


def _stacked(lists) -> list:
    """[x_0, x_1, ...] of each list stacked into [stack of x_0s, ...]; None stays None."""
    return [None if xs[0] is None else np.stack(xs) for xs in zip(*lists)]


def logged(n: int, every: int):
    """The iterations train(problem, n, every) yields, in order: 1, 1 + every, ... and n."""
    return itertools.chain(range(1, n + 1, every), [n] if (n - 1) % every else [])


def count_logged(n: int, every: int) -> int:
    """How many iterations train(problem, n, every) yields."""
    return len(range(1, n + 1, every)) + (1 if (n - 1) % every else 0)


def sample_of(problem: Problem, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, T) of iteration k: the problem's own, or its dataset's sample of iteration k."""
    if problem.data is None:
        return problem.inputs, problem.T
    s = problem.data.samples(k)
    return problem.data.X[s], problem.data.T[s]


class NumpyPath:
    """Training with the functions above, one numpy operation per step."""

    def __init__(self, problem: Problem):
        self.problem = problem

    def iterate(self, W: list, k: int = 1) -> Iteration:
        """Iteration k from the weights W."""
        return iterate(W, *sample_of(self.problem, k))

    def advance(self, W: list, m: int, k: int = 1, epoch: Epoch | None = None) -> list:
        """The weights after m more iterations from W, the first of them iteration k; the cost
        computed only for a dataset's epoch cost (the last iterations' go to epoch)."""
        lr, data = self.problem.network.lr, self.problem.data is not None
        for k in range(k, k + m):
            inputs, T = sample_of(self.problem, k)
            a = forward(W, inputs)
            if data and epoch is not None:
                epoch.add(cost(a[-1], T))
            W = update(W, changes(backprop(W, a, T), a), lr)
        return W


# -- the fast path for small networks ---------------------------------------------------------
#
# numpy spends about a microsecond on every operation whatever the size, so a 2-2-2 network
# trains twenty times slower with arrays than with plain floats. For small networks the same
# steps are written out as straight-line float code, one line per neuron or weight, compiled
# once per shape (see float_source). It computes what forward, cost, backprop, changes and
# update compute, in the same order and with the same overflow-safe sigmoid; tests hold it to
# the numpy path.

class FloatPath:
    """Training with float code compiled for the network's shape; the same interface as NumpyPath."""

    MAX_WEIGHTS = 150  # above this many weights numpy's vector operations win (8-8-8 has 144)

    @classmethod
    def fits(cls, sizes: tuple) -> bool:
        return sum(sizes[l] * (sizes[l - 1] + 1) for l in range(1, len(sizes))) <= cls.MAX_WEIGHTS

    def __init__(self, problem: Problem):
        self.problem, data = problem, problem.data
        self.shapes = [(m, n + 1) for n, m in zip(problem.sizes, problem.sizes[1:])]
        self.weights = sum(m * k for m, k in self.shapes)
        # A row of histories(): the weights, then row()'s a and δ of every layer, changes and C,
        # and of a dataset the sample's number and the epoch cost.
        self.width = 2 * self.weights + 2 * sum(problem.sizes[1:]) + 1 + 2 * (data is not None)
        self.row, self.steps, self.cycle = _compiled(tuple(problem.sizes))
        lr = float(problem.network.lr)
        # The arguments (inputs..., T..., lr) of each iteration of an epoch, in the order it meets them.
        self.samples = [(*problem.inputs.tolist(), *problem.T.tolist(), lr)] if data is None else \
            [(*data.X[s].tolist(), *data.T[s].tolist(), lr) for s in data.order.tolist()]

    def constants(self, k: int) -> tuple:
        """The arguments (inputs..., T..., lr) of iteration k."""
        return self.samples[(k - 1) % len(self.samples)]

    def iterate(self, W: list, k: int = 1) -> Iteration:
        inputs, T = sample_of(self.problem, k)
        it = self._unpack(np.array(self.row(*self.constants(k), *_flat(W))), W, inputs, T)
        it.C = float(it.C)
        return it

    def advance(self, W: list, m: int, k: int = 1, epoch: Epoch | None = None) -> list:
        if m == 0:
            return W
        return self._matrices(np.array(self._through(tuple(_flat(W)), m, k, epoch)))

    def _through(self, w: tuple, m: int, k: int, epoch: Epoch | None) -> tuple:
        """The weights w after iterations k .. k + m − 1; of a dataset, the costs of the last of
        them (as many as an epoch cost takes) go to epoch."""
        if self.problem.data is None:
            return self.steps(m, *self.samples[0], *w)
        tail = 0 if epoch is None else min(m, len(self.samples) - 1)
        if m > tail:
            w = self.cycle(m - tail, (k - 1) % len(self.samples), self.samples, *w)
        for k in range(k + m - tail, k + m):  # the costs are computed only here
            epoch.add(self.row(*self.constants(k), *w)[-1])
            w = self.steps(1, *self.constants(k), *w)
        return w

    def histories(self, W: list, n: int, every: int, size: int):
        """histories(problem, n, every, size), each row's numbers from the float code as one tuple."""
        numbers, w = array("d"), tuple(_flat(W))  # an array, not Python floats: a tenth of the memory
        data, epoch, m = self.problem.data, Epoch(self.problem.data), len(self.samples)
        # The sample numbers (from 1) in the epoch's order, beside self.samples: plain lists, which
        # a row takes faster than numpy's indexing.
        shown = [1.0] if data is None else [s + 1.0 for s in data.order.tolist()]
        for k, after in itertools.pairwise(itertools.chain(logged(n, every), [None])):
            constants = self.samples[(k - 1) % m]
            numbers.extend(w)
            row = self.row(*constants, *w)
            numbers.extend(row)
            if data is not None:
                epoch.add(row[-1])
                numbers.extend((shown[(k - 1) % m], epoch.cost))
            if after is not None:
                if data is None:
                    w = self.steps(after - k, *constants, *w)
                else:  # iteration k's update, then those of the iterations not shown
                    w = self.steps(1, *constants, *w)
                    if after > k + 1:
                        w = self._through(w, after - k - 1, k + 1, epoch)
            if len(numbers) == size * self.width or after is None:
                yield self._stack(np.frombuffer(numbers).reshape(-1, self.width))
                numbers = array("d")

    def _stack(self, flat: np.ndarray) -> Iteration:
        """The Iteration of rows of weights and row()'s numbers, one row per iteration."""
        data = self.problem.data
        if data is None:
            repeated = lambda x: np.broadcast_to(x, (len(flat), len(x)))  # noqa: E731
            inputs, T = repeated(self.problem.inputs), repeated(self.problem.T)
        else:
            picked = flat[:, -2].astype(np.intp) - 1
            inputs, T = data.X[picked], data.T[picked]
        return self._unpack(flat[:, self.weights:], self._matrices(flat[:, :self.weights]), inputs, T)

    def _unpack(self, out: np.ndarray, W: list, inputs: np.ndarray, T: np.ndarray) -> Iteration:
        """The Iteration of row()'s numbers, out[..., :] (and a dataset's sample and epoch cost after
        them): one iteration, or many along a first axis."""
        a, delta, k = [inputs], [None], 0
        for n, _ in self.shapes:
            a.append(out[..., k:k + n])
            delta.append(out[..., k + n:k + 2 * n])
            k += 2 * n
        end = k + self.weights
        it = Iteration(W=W, a=a, delta=delta, change=self._matrices(out[..., k:end]), C=out[..., end], T=T)
        if out.shape[-1] > end + 1:
            it.sample, it.epoch = out[..., end + 1], out[..., end + 2]
        return it

    def _matrices(self, flat: np.ndarray) -> list:
        """[None, W^(1), ..., W^(L)] (or change matrices) from their numbers in a row, flat[..., :]."""
        out, k = [None], 0
        for shape in self.shapes:
            out.append(flat[..., k:k + shape[0] * shape[1]].reshape(flat.shape[:-1] + shape))
            k += shape[0] * shape[1]
        return out


def _flat(W: list) -> list:
    return [w for Wl in W[1:] for w in Wl.ravel().tolist()]


_compiled_shapes: dict = {}


def _compiled(sizes: tuple):
    """(row, steps, cycle) for a network shape, compiled once: see float_source."""
    if sizes not in _compiled_shapes:
        namespace = {"exp": math.exp}
        exec(compile(float_source(sizes), f"<sheetnet float code {'-'.join(map(str, sizes))}>", "exec"), namespace)
        _compiled_shapes[sizes] = namespace["row"], namespace["steps"], namespace["cycle"]
    return _compiled_shapes[sizes]


def float_source(sizes: tuple) -> str:
    """The Python source of two functions for a network of these sizes, arguments
    (inputs..., T..., lr, weights...) after m for steps:

    - row(...) -> (a^(1), δ^(1), ..., a^(L), δ^(L), dC/dW^(1), ..., dC/dW^(L), C), flattened;
    - steps(m, ...) -> the weights after m iterations, flattened;
    - cycle(m, p, samples, weights...) -> the weights after m iterations that take their
      (inputs..., T..., lr) from samples in turn, from samples[p] on, around again after the last.

    Names as in the note: a1_0 is a_0^(1), W2_1_0 is w_10^(2), delta2_1 is δ_1^(2).
    """
    L = len(sizes) - 1
    A = lambda l, i: "1.0" if i == sizes[l] else f"a{l}_{i}"  # A^(l): the bias neuron's 1 last
    indices = [(l, j, i) for l in range(1, L + 1) for j in range(sizes[l]) for i in range(sizes[l - 1] + 1)]
    weights = [f"W{l}_{j}_{i}" for l, j, i in indices]
    change = {(l, j, i): f"delta{l}_{j}" if i == sizes[l - 1] else f"(delta{l}_{j} * {A(l - 1, i)})"
              for l, j, i in indices}  # dC/dw_ji = δ_j a_i, and δ_j for the bias
    constants = ", ".join([f"a0_{i}" for i in range(sizes[0])] + [f"T_{j}" for j in range(sizes[L])] + ["lr"])
    args = ", ".join([constants] + weights)

    body = ["# forward: a^(l) = σ(W^(l) A^(l-1)), σ as in sigmoid()"]
    for l in range(1, L + 1):
        for j in range(sizes[l]):
            z = " + ".join(f"W{l}_{j}_{i} * {A(l - 1, i)}" if i < sizes[l - 1] else f"W{l}_{j}_{i}"
                           for i in range(sizes[l - 1] + 1))
            body += [f"z = {z}", f"a{l}_{j} = 1.0 / (1.0 + exp(-z)) if z >= 0.0 else (e := exp(z)) / (1.0 + e)"]
    body.append("# backprop: δ^(L) = (a^(L) − T) ⊙ a^(L)(1 − a^(L)), δ^(l) = a^(l)(1 − a^(l)) ⊙ (w^(l+1))ᵀ δ^(l+1)")
    for j in range(sizes[L]):
        body.append(f"delta{L}_{j} = (a{L}_{j} - T_{j}) * a{L}_{j} * (1.0 - a{L}_{j})")
    for l in range(L - 1, 0, -1):
        for j in range(sizes[l]):
            total = " + ".join(f"W{l + 1}_{k}_{j} * delta{l + 1}_{k}" for k in range(sizes[l + 1]))
            body.append(f"delta{l}_{j} = a{l}_{j} * (1.0 - a{l}_{j}) * ({total})")

    cost = " + ".join(f"(a{L}_{j} - T_{j}) ** 2" for j in range(sizes[L]))
    shown = [f"{x}{l}_{j}" for l in range(1, L + 1) for x in ("a", "delta") for j in range(sizes[l])]
    row = ["# cost C = ½ Σ (a^(L) − T)², change matrices dC/dW^(l) = δ^(l) A^(l-1)",
           f"return ({', '.join(shown + [change[x] for x in indices])}, 0.5 * ({cost}))"]
    update = ["# update: W^(l) ← W^(l) − γ dC/dW^(l)"]
    update += [f"W{l}_{j}_{i} -= lr * {change[l, j, i]}" for l, j, i in indices]
    turn = [f"{constants} = samples[p]", "p = p + 1 if p + 1 < len(samples) else 0"]
    return (f"def row({args}):\n" + "".join(f"    {line}\n" for line in body + row) +
            f"\n\ndef steps(m, {args}):\n    for _ in range(m):\n" +
            "".join(f"        {line}\n" for line in body + update) + f"    return ({', '.join(weights)},)\n" +
            f"\n\ndef cycle(m, p, samples, {', '.join(weights)}):\n    for _ in range(m):\n" +
            "".join(f"        {line}\n" for line in turn + body + update) + f"    return ({', '.join(weights)},)\n")
