"""Datasets: the samples a network trains on, and the order in which it meets them.

A :class:`Dataset` holds m samples, ``X[s]`` the inputs a^(0) and ``T[s]`` the targets of sample
s + 1 (samples are numbered from 1, as the rows of a data sheet are). Online training takes one
sample per iteration: iteration k (from 1) uses sample ``order[(k − 1) mod m] + 1``, where the
order is 0, 1, ..., m − 1, or one permutation fixed by a seed and kept for every epoch, so that
any iteration's sample follows from its number alone (verify and --resume rely on it).
"""

from __future__ import annotations

import csv
import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SheetnetError

MAX_SAMPLES = 1_000_000  # a data sheet's rows; a sheet holds 1,048,576


def seeded(seed: int | None) -> np.random.Generator:
    """The random numbers a seed fixes (fresh ones for None); numpy takes no negative seed."""
    if seed is not None and seed < 0:
        raise SheetnetError(f"a seed is a whole number from 0, not {seed}")
    return np.random.default_rng(seed)


@dataclass(frozen=True, eq=False)
class Dataset:
    """m samples: X has shape (m, n0), T shape (m, nL); order is the epoch's order of the samples,
    0-based (a permutation of range(m))."""

    X: np.ndarray
    T: np.ndarray
    order: np.ndarray | None = None
    seed: int | None = None  # the seed of a shuffled order, None: the samples in turn

    def __post_init__(self):
        X, T = np.array(self.X, dtype=float, ndmin=2), np.array(self.T, dtype=float, ndmin=2)
        if len(X) != len(T):
            raise SheetnetError(f"{len(X)} samples of inputs but {len(T)} of targets")
        if not len(X):
            raise SheetnetError("the dataset holds no sample")
        if not (np.isfinite(X).all() and np.isfinite(T).all()):
            raise SheetnetError("every input and target of a dataset must be a finite number")
        order = np.arange(len(X)) if self.order is None else np.asarray(self.order, dtype=np.intp)
        if sorted(order.tolist()) != list(range(len(X))):
            raise SheetnetError(f"the order of the samples must name each of the {len(X)} samples once")
        for name, value in (("X", X), ("T", T), ("order", order)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @classmethod
    def shuffled(cls, X, T, seed: int | None) -> Dataset:
        """The samples in the order a seed fixes (in turn for seed None)."""
        if seed is None:
            return cls(X, T)
        return cls(X, T, seeded(seed).permutation(len(np.atleast_2d(X))), seed)

    @classmethod
    def from_csv(cls, path) -> Dataset:
        """The samples of a .csv file: a header line a0 a1 ... T0 T1 ..., then one sample per line."""
        return from_csv(path)

    @property
    def m(self) -> int:
        """The number of samples."""
        return len(self.X)

    @property
    def n0(self) -> int:
        return self.X.shape[1]

    @property
    def nL(self) -> int:
        return self.T.shape[1]

    def from_iteration(self, k: int) -> Dataset:
        """The same samples, in the order that makes iteration 1 this order's iteration k (a
        training resumed there)."""
        return Dataset(self.X, self.T, np.roll(self.order, -((k - 1) % self.m)))

    def numbered_on(self, first: int) -> Dataset:
        """The same samples, in the order whose iteration `first` is this order's iteration 1 (the
        inverse of from_iteration): the order of the epochs as a sheet whose rows number on from
        `first` (a resumed sheet) names it, which its data sheet's Order column holds."""
        return Dataset(self.X, self.T, np.roll(self.order, (first - 1) % self.m))

    def samples(self, k: np.ndarray | int) -> np.ndarray | int:
        """The 0-based sample of iteration k (from 1): order[(k − 1) mod m]."""
        picked = self.order[(np.asarray(k) - 1) % self.m]
        return int(picked) if np.ndim(picked) == 0 else picked


class Epoch:
    """The epoch cost as training goes: the mean cost of the last m iterations (of the iterations
    so far, before the m-th), as the sheet's AVERAGE over the cost column computes it."""

    def __init__(self, data: Dataset | None):
        self.costs = deque(maxlen=1 if data is None else data.m)

    def add(self, C: float) -> None:
        self.costs.append(C)

    @property
    def cost(self) -> float:
        return math.fsum(self.costs) / len(self.costs)


XOR = Dataset(X=[[0, 0], [0, 1], [1, 0], [1, 1]], T=[[0], [1], [1], [0]])
BUILT_IN = {"xor": XOR}


def labels(n0: int, nL: int) -> list[str]:
    """The labels of a data sheet's columns, and of a data file's header: a0 .. a(n0-1), T0 .. T(nL-1)."""
    return [f"a{i}" for i in range(n0)] + [f"T{j}" for j in range(nL)]


def split_labels(header: list, where) -> tuple[int, int]:
    """(n0, nL) of a header a0 a1 ... T0 T1 ...; where(k) locates the k-th label in errors."""
    texts = [h.strip() if isinstance(h, str) else h for h in header]
    n0 = next((k for k, t in enumerate(texts) if t != f"a{k}"), len(texts))
    nL = next((j for j, t in enumerate(texts[n0:]) if t != f"T{j}"), len(texts) - n0)
    if n0 + nL < len(texts):
        k = n0 + nL
        raise SheetnetError(f"expected the label {'a' if not nL else 'T'}{k if not nL else nL} or the end of the "
                            f"labels here, not {texts[k]!r}", **where(k))
    if not n0:
        raise SheetnetError("the labels must start with the inputs a0, a1, ...", **where(0))
    if not nL:
        raise SheetnetError("the labels hold no target: a0 ... must be followed by T0, T1, ...", **where(n0))
    return n0, nL


def from_csv(path) -> Dataset:
    """The samples of a .csv file: a header line a0 a1 ... T0 T1 ..., then one sample per line."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            lines = list(csv.reader(_limited(f, path)))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise SheetnetError(f"cannot read the samples: {getattr(e, 'strerror', None) or e}", file=path) from None
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise SheetnetError("holds no header line (a0, a1, ..., T0, T1, ...)", file=path)
    header = lines[0]
    n0, nL = split_labels(header, lambda k: {"file": path, "at": f"line 1, column {k + 1}"})
    rows = []
    for number, line in enumerate(lines[1:], 2):
        if len(line) != n0 + nL:
            raise SheetnetError(f"holds {len(line)} values where the header names {n0 + nL}", file=path,
                                at=f"line {number}")
        rows.append([_number(text, lambda k=k: {"file": path, "at": f"line {number}, column {k + 1}"})
                     for k, text in enumerate(line)])
    if not rows:
        raise SheetnetError("holds no sample below its header line", file=path)
    if len(rows) > MAX_SAMPLES:
        raise SheetnetError(f"holds {len(rows):,} samples, more than the {MAX_SAMPLES:,} a data sheet takes", file=path)
    data = np.array(rows)
    return Dataset(data[:, :n0], data[:, n0:])


def _limited(lines, path, most: int = 64 << 20):
    """The lines of a text file, refusing one of more than `most` characters in all."""
    seen = 0
    for line in lines:
        seen += len(line)
        if seen > most:
            raise SheetnetError(f"is larger than the {most >> 20} MB a file of samples may be", file=path)
        yield line


def _number(text: str, where) -> float:
    """A finite number from a data file's field."""
    try:
        x = float(text)
    except ValueError:
        raise SheetnetError(f"a sample must hold numbers, not {text.strip()[:40]!r}", **where()) from None
    if not math.isfinite(x):
        raise SheetnetError(f"a sample must hold finite numbers, not {text.strip()}", **where())
    return x
