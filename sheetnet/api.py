"""sheetnet in Python: open a workbook, train its networks, read and write traces, verify.

    import sheetnet

    book = sheetnet.open("Simple_Neural_Net.ods")
    net = book["Sheet1"]                  # W, inputs, T and lr as the sheet's first data row holds them
    trace = net.train(995)                # every iteration's a, δ, W, dC/dW and C, stacked by iteration
    trace.C[-1], trace.W[1][-1]           # the last cost; W(1) as the last iteration starts from
    sheetnet.write("trained.ods", trace)  # as `sheetnet train` writes it
    sheetnet.check("trained.ods").ok      # True: what `sheetnet verify` says

Names follow the note, as in :mod:`sheetnet.math.network`: ``W[l]`` is W^(l), row j for neuron
j of layer l and column i for neuron i of layer l-1, the bias last; ``a[l]`` the activations
(``a[0]`` the inputs), ``delta[l]`` δ^(l), ``change[l]`` dC/dW^(l), ``T`` the targets, ``C``
the cost and ``lr`` the learning rate γ. Index 0 of W, delta and change is None, so that
indices are the layer numbers. Every error is a :class:`SheetnetError` that names the file,
sheet and cell where it can, as the command's messages do; the command is built on this module.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import formats
from . import verify as checking
from .commands import sweep as sweeping
from .commands.output import Run, Written, chunks
from .commands.output import write as write_runs
from .commands.progress import Progress
from .errors import SheetnetError
from .grid import Cell, Columns, Row, Sheet, address, counted, fresh_name, ordinal, sheet_name_problem
from .layout import Kind, Layout, find, networks
from .layout.batch import BatchLayout, check_samples
from .layout.data import NAME as DATA_NAME
from .layout.data import DataSheet
from .layout.numbering import first_iteration
from .layout.online import UNORDERED, is_data_sheet
from .layout.sheets import each_network
from .math.data import Dataset
from .math.network import Iteration, Problem, count_logged, logged, shape
from .math.network import Network as Weights
from .math.template import problem_for
from .verify.report import ATOL, RTOL, Report, Tolerance
from .verify.stream import Check

PathLike = str | os.PathLike


class Network:
    """A network as a sheet's first data row holds it: the weights W(1)..W(L), the inputs a(0),
    the targets T and the learning rate lr; and the name of its sheet.

    ``Network(W=[W1, W2], inputs=[0.1, 0.9], T=[0.3, 0.4], lr=0.5)``: W(l) of shape
    (n_l, n_{l-1} + 1), the bias last (a leading None, as ``net.W`` has it, is allowed).
    ``source`` is the workbook it was read from, if any (:func:`open` sets it).

    ``Network(W, data=sheetnet.Dataset.from_csv("xor.csv"))`` trains on a dataset's samples, one
    per iteration (online): iteration k on sample ``data.samples(k)``; inputs and T are then the
    first iteration's sample. With ``batch=True`` each row is one epoch instead, every sample's
    pass side by side and one update by the mean of their change matrices (a batch sheet).
    ``first`` is the number of the first iteration (a network resumed from a sheet's last row,
    see :meth:`Workbook.resume`, numbers its iterations on).
    """

    def __init__(self, W: Sequence, inputs=None, T=None, lr: float = 0.5, name: str = "Sheet1", *,
                 source: PathLike | None = None, data: Dataset | None = None, batch: bool = False, first: int = 1):
        matrices = [np.array(w, dtype=float) for w in (W[1:] if len(W) and W[0] is None else W)]
        if not matrices or any(w.ndim != 2 for w in matrices):
            raise SheetnetError("W is W(1), ..., W(L): one matrix (rows j, columns i and the bias) per layer")
        sizes = (matrices[0].shape[1] - 1, *(w.shape[0] for w in matrices))
        Layout(sizes)  # says what is wrong with the sizes
        for l, w in enumerate(matrices, 1):
            if w.shape != (sizes[l], sizes[l - 1] + 1):
                raise SheetnetError(f"W({l}) has shape {w.shape}: a layer of {sizes[l]} after one of "
                                    f"{sizes[l - 1]} needs {(sizes[l], sizes[l - 1] + 1)} (the bias last)")
        if data is not None:
            if (data.n0, data.nL) != (sizes[0], sizes[-1]):
                raise SheetnetError(f"the layers {shape(sizes)} take {sizes[0]} input(s) and {sizes[-1]} target(s), "
                                    f"but the data's samples hold {data.n0} input(s) and {data.nL} target(s)")
            inputs, T = data.X[data.samples(1)], data.T[data.samples(1)]
        elif inputs is None or T is None:
            raise SheetnetError("a network trains on inputs and targets T, or on a dataset (data=)")
        inputs, T = _vector(inputs, sizes[0], "the inputs a(0)"), _vector(T, sizes[-1], "the targets T")
        if not all(np.isfinite(x).all() for x in [*matrices, inputs, T]):
            raise SheetnetError("the weights, inputs and targets must be finite numbers")
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise SheetnetError(f"the learning rate must be a positive number, not {lr!r}")
        problem = sheet_name_problem(name, longest=None)
        if problem:
            raise SheetnetError(problem)
        _positive(first, "first")
        if batch and data is None:
            raise SheetnetError("a batch network trains on a dataset: give data")
        if batch and not np.array_equal(data.order, np.arange(data.m)):  # as a batch sheet is read back
            raise SheetnetError("a batch network takes every sample in each row: its data takes no shuffled order")
        self.problem = Problem(Weights([None, *matrices], float(lr)), inputs, T, data)
        self.name, self.first, self.batch = name, first, batch
        self.source = None if source is None else Path(source)
        self.datasheet: DataSheet | None = None  # where its data sits in the workbook it was read from
        if batch:
            self.layout()  # says whether the samples fit in a sheet, before any work

    @classmethod
    def fresh(cls, sizes: Sequence[int] | None = None, seed: int | None = None, name: str = "Sheet1", *,
              data: Dataset | None = None, batch: bool = False) -> Network:
        """The original's 2-2-2 network (sizes (2, 2, 2) without a seed), or a random one of these
        sizes: weights in [-1, 1), inputs in [0, 1), targets in [0.1, 0.9); what `sheetnet template` writes.
        With data, it trains on the dataset's samples (batch: see Network); sizes default to n0-2-nL
        of its samples."""
        if sizes is None:
            sizes = (2, 2, 2) if data is None else (data.n0, 2, data.nL)
        Layout(tuple(sizes))  # says what is wrong with the sizes
        p = problem_for(tuple(sizes), seed)
        return cls(p.network.W, p.inputs, p.T, p.network.lr, name, data=data, batch=batch)

    @property
    def data(self) -> Dataset | None:
        """The samples it trains on (one per iteration, or all of them in each epoch of a batch
        network); None: the one sample inputs, T."""
        return self.problem.data

    def layout(self, changes: bool = True, first: int | None = None) -> Layout | BatchLayout:
        """Where it sits in a sheet sheetnet writes: online or in batches with its dataset (on a
        data sheet 'Data', or where it was read from). first: the iteration its sheet's first row
        is numbered (the network's own by default)."""
        data = None
        if self.data is not None:  # its data sheet holds its samples in its order (the Order column),
            # the order of the iterations as its sheet numbers them, from `first` (see layout.numbering);
            # a batch sheet's every row takes every sample, in turn
            numbered = self.data if self.batch else self.data.numbered_on(self.first if first is None else first)
            data = DataSheet(DATA_NAME, numbered) if self.datasheet is None else \
                dataclasses.replace(self.datasheet, data=numbered)
        if not self.batch:
            return Layout(self.sizes, changes=changes, data=data)
        try:
            return BatchLayout(self.sizes, data)
        except SheetnetError as e:
            raise e.located(sheet=self.name, file=self.source) from None

    @property
    def W(self) -> list:
        """[None, W(1), ..., W(L)]."""
        return self.problem.network.W

    @property
    def inputs(self) -> np.ndarray:
        return self.problem.inputs

    @property
    def T(self) -> np.ndarray:
        return self.problem.T

    @property
    def lr(self) -> float:
        return self.problem.network.lr

    @property
    def sizes(self) -> tuple[int, ...]:
        """(n0, n1, ..., nL)."""
        return self.problem.sizes

    @property
    def shape(self) -> str:
        """'2-2-2'."""
        return shape(self.sizes)

    def train(self, n: int, every: int = 1, progress: bool = True) -> Trace:
        """Iterations 1..n, the first from these weights, as a Trace; with every > 1 only iterations
        1, 1 + every, 1 + 2·every, ... and n are kept (the others are trained, not kept), as
        `sheetnet train --log-every` writes them. progress: show a progress bar where the output is
        interactive (a notebook, a terminal)."""
        _positive(n, "n")
        _positive(every, "every")
        run = Run(self.name, self.layout(), self.problem, n, every=every)
        numbers = np.empty((count_logged(n, every), len(run.layout.columns)))
        row = 0
        try:
            with Progress(n, self.name, enabled=progress) as bar:
                for ks, _, rows in chunks(run):
                    numbers[row:row + len(rows)] = rows
                    row += len(rows)
                    bar.update(ks[-1])
        except SheetnetError as e:
            raise e.located(file=self.source) from None
        return Trace(self, numbers, n, every)

    def __repr__(self) -> str:
        where = f" from {self.source.name}" if self.source else ""
        samples = "" if self.data is None else f", on {counted(self.data.m, 'sample')}" + (", all in every row" * self.batch)
        return f"<Network {self.name!r}{where}: {self.shape}, learning rate {self.lr:g}{samples}>"


class Trace:
    """A training's iterations as the rows of its sheet: one row per iteration kept (1, 1 + every,
    ... and n; ``iterations`` numbers them from the network's first, which a resumed network
    numbers on), each quantity a numpy array stacked by iteration along its first axis:

    - ``C``: (rows,), the cost; ``iterations``: (rows,), the iteration each row shows;
    - ``a[l]``: (rows, n_l), ``a[0]`` the inputs; ``delta[l]``: (rows, n_l); ``T``: (rows, n_L);
    - ``W[l]`` and ``change[l]`` (dC/dW(l)): (rows, n_l, n_{l-1} + 1), W as the iteration starts from it.

    ``numbers`` holds them all, (rows, columns) in the sheet's column order (``to_frame`` labels
    them); the others are views into it. ``network`` is the initial state, and names the sheet.
    A sheet without change matrices (the original's) gives a trace whose ``change`` is all None.
    """

    def __init__(self, network: Network, numbers: np.ndarray, n: int | None = None, every: int = 1,
                 changes: bool = True):
        if not len(numbers):
            raise SheetnetError("a trace holds at least one iteration", sheet=network.name, file=network.source)
        self.network, self.numbers, self.every, self.changes = network, numbers, every, changes
        self.n = 1 + (len(numbers) - 1) * every if n is None else n
        if count_logged(self.n, every) != len(numbers):
            raise SheetnetError(f"{len(numbers):,} rows cannot show iterations 1, {1 + every:,}, ... and {self.n:,} "
                                f"({count_logged(self.n, every):,} rows)", sheet=network.name, file=network.source)
        self.layout = network.layout(changes)  # where each quantity sits in the sheet written
        it = self.layout.unpack(numbers)
        self.W, self.a, self.delta, self.change, self.C, self.T = it.W, it.a, it.delta, it.change, it.C, it.T
        self.sample, self.epoch = it.sample, it.epoch  # of a dataset: each row's sample (from 1), the epoch cost

    @classmethod
    def of(cls, network: Network, *, W: Sequence, a: Sequence, delta: Sequence, C, change: Sequence | None = None,
           n: int | None = None, every: int = 1) -> Trace:
        """A Trace of quantities computed elsewhere (your own backpropagation, say), stacked by
        iteration as a Trace has them: W, delta and change with W(1) first (a leading None
        allowed), a with a(0) first (one row of inputs for all, or one per iteration)."""
        if network.data is not None:
            raise SheetnetError("Trace.of takes the numbers of a network on one sample (inputs, T), not on a dataset")
        C = np.asarray(C, dtype=float)
        rows, L, sizes = len(C), len(network.sizes) - 1, network.sizes
        matrices = lambda xs, what: [None] + [  # noqa: E731
            _stacked(x, (rows, sizes[l], sizes[l - 1] + 1), f"{what}({l})")
            for l, x in enumerate(_layers(xs, L, what), 1)]
        if len(a) != L + 1:
            raise SheetnetError(f"a holds a(0), ..., a({L}): {L + 1} arrays, not {len(a)}")
        it = Iteration(W=matrices(W, "W"), a=[_stacked(x, (rows, sizes[l]), f"a({l})") for l, x in enumerate(a)],
                       delta=[None] + [_stacked(x, (rows, sizes[l]), f"δ({l})")
                                       for l, x in enumerate(_layers(delta, L, "δ"), 1)],
                       change=[None] * (L + 1) if change is None else matrices(change, "dC/dW"),
                       C=C, T=np.broadcast_to(network.T, (rows, sizes[-1])))
        layout = Layout(sizes, changes=change is not None)
        return cls(network, layout.matrix(it), n, every, changes=layout.changes)

    @property
    def iterations(self) -> np.ndarray:
        """The iteration each row shows, numbered from the network's first (a resumed network's go on)."""
        return self.network.first - 1 + np.fromiter(logged(self.n, self.every), dtype=np.int64, count=len(self.numbers))

    def __len__(self) -> int:
        return len(self.numbers)

    def to_frame(self):
        """A pandas DataFrame of the rows: one column per sheet column, labelled (quantity, the
        sheet's label), e.g. ('W(1)', 'w01'), ('δ(2)', 'δ0'), ('C', 'C'); indexed by iteration.
        Needs pandas: pip install 'sheetnet[pandas]'."""
        try:
            import pandas as pd
        except ImportError:
            raise SheetnetError("Trace.to_frame needs pandas: pip install 'sheetnet[pandas]'") from None
        columns = pd.MultiIndex.from_tuples([(c.quantity, c.label) for c in self.layout.columns],
                                            names=["quantity", "label"])
        return pd.DataFrame(self.numbers, index=pd.Index(self.iterations, name="iteration"), columns=columns)

    def __repr__(self) -> str:
        rows = "" if self.every == 1 else f" in {counted(len(self), 'row')} (every {ordinal(self.every)})"
        return (f"<Trace {self.network.name!r}: {self.network.shape}, {counted(self.n, 'iteration')}{rows}, "
                f"cost {self.C[0]:.6g} -> {self.C[-1]:.6g}>")


class Workbook:
    """A workbook's networks, as its sheets' first rows hold them (see :func:`open`)."""

    def __init__(self, path: Path, book, found: list):
        self.path, self._book = path, book
        self.sheets: list[str] = list(book.names)  # every sheet's name, in order
        self.networks: list[Network] = []
        for sheet, layout, p in found:
            net = Network(p.network.W, p.inputs, p.T, p.network.lr, sheet.name, source=path, data=p.data,
                          batch=isinstance(layout, BatchLayout), first=first_iteration(sheet))
            net.datasheet = layout.data
            self.networks.append(net)

    def __getitem__(self, sheet: str) -> Network:
        for net in self.networks:
            if net.name == sheet:
                return net
        names = ", ".join(repr(net.name) for net in self.networks)
        raise SheetnetError(f"no network on sheet {sheet!r} (networks: {names})", file=self.path)

    def __iter__(self):
        return iter(self.networks)

    def __len__(self) -> int:
        return len(self.networks)

    def trace(self, sheet: str | None = None, every: int = 1, n: int | None = None) -> Trace:
        """The data rows sheet holds, its cached numbers, as a Trace (the one network's when sheet
        is None): the rows from the first data row down to the first without a cell in the network's
        columns. A cell without a number (empty, text, a formula never calculated) reads as NaN.
        The rows are taken as consecutive iterations from the sheet's first (1, or the one a resumed
        sheet's note names: the trace's `iterations`); for a sheet of every K-th iteration (`train
        --log-every K`, whose verify report tells K and how many iterations) give every=K and n."""
        if sheet is None:
            if len(self.networks) != 1:
                raise SheetnetError(f"holds {len(self.networks)} networks: name the sheet", file=self.path)
            sheet = self.networks[0].name
        net = self[sheet]
        _positive(every, "every")
        [rows], _ = each_network(self.path, sheet, _Cached)
        layout = rows.layout
        try:
            return Trace(net, rows.array(), n, every, changes=layout.changes)
        except SheetnetError as e:
            raise e.located(cell=address(layout.first_row, layout.first_col)) from None

    def resume(self, sheet: str | None = None) -> Network:
        """The network of sheet (the one network's when None) as it stands after its last data
        row's update, its iterations numbered on from there (`sheetnet train --resume`): the sheet
        is read to its last row, which is taken as iteration first + rows - 1 (the sheet's first row
        being iteration `first`: 1, or of a sheet itself resumed, the one its note in A1 names), or of
        a values-only sheet, which may show every K-th iteration, the one verify finds. A network on
        samples goes on in the order of its epochs."""
        if sheet is None:
            if len(self.networks) != 1:
                raise SheetnetError(f"holds {len(self.networks)} networks: name the sheet", file=self.path)
            sheet = self.networks[0].name
        net = self[sheet]
        [rows], _ = each_network(self.path, sheet, lambda *found: _Cached(*found, last_only=True))
        layout, last = rows.layout, rows.array()[0]
        # The last row's iteration, counted from the sheet's first row (its number is net.first + iteration - 1).
        if not rows.formulas and rows.count > 1:  # values only: maybe every K-th iteration
            if net.data is not None and not net.batch and not net.datasheet.ordered:
                raise SheetnetError(f"holds numbers only, and {UNORDERED}", file=self.path, sheet=sheet)
            iteration = check(self.path, sheet).reports[0].iterations  # verify finds K
        else:
            iteration = rows.count
        W = layout.unpack(last[None, :]).W
        W = [None] + [w[0] for w in W[1:]]
        if not all(np.isfinite(w).all() for w in W[1:]):
            raise SheetnetError("the last data row's weights are not all numbers (a formula never calculated?)",
                                file=self.path, sheet=sheet, cell=address(layout.first_row + rows.count - 1,
                                                                          layout.at(Kind.WEIGHT, 1).col))
        # The samples from iteration k on: an online network's go on in its order (a batch's are all in every row).
        on = lambda k: net.data if net.data is None or net.batch else net.data.from_iteration(k)  # noqa: E731
        # The second iteration of a training from the last row starts from the weights after its update.
        *_, after = layout.train(Problem(Weights(W, net.lr), net.inputs, net.T, on(iteration)), 2)
        # net.first: of a sheet itself resumed, the first iteration its note names (layout.numbering)
        resumed = Network(after.W, net.inputs, net.T, net.lr, net.name, source=self.path, data=on(iteration + 1),
                          batch=net.batch, first=net.first + iteration)
        resumed.datasheet = net.datasheet
        return resumed

    def __repr__(self) -> str:
        shown = ", ".join(f"{net.name!r} {net.shape}" for net in self.networks)
        return f"<Workbook {self.path.name}: {len(self.networks)} network{'s' * (len(self.networks) != 1)} ({shown})>"


class _Cached:
    """A network's data rows as the sheet caches them, gathered as the file streams (see
    layout.sheets.each_network): numbers in an array, not a Python object per cell; of the last
    row only, with last_only."""

    def __init__(self, head: Sheet, layout: Layout, problem: Problem, last_only: bool = False):
        self.layout, self.last_only = layout, last_only
        self.cols = tuple(c.col for c in layout.columns)
        self.network = frozenset(self.cols)
        self.numbers, self.count, self.ended = array("d"), 0, False
        self.formulas = False  # whether a row holds a formula

    def feed(self, r: int, cells) -> None:
        # The rows run on from the first data row without a gap, as verify reads them.
        if self.ended or r != self.layout.first_row + self.count or self.network.isdisjoint(cells):
            self.ended = True
            return
        if self.last_only:
            self.numbers = array("d")
            self.formulas = self.formulas or any(cell.formula for cell in cells.values())
        if isinstance(cells, Row) and cells.columns.numbers == self.cols:
            self.numbers.extend(cells.numbers)
        else:
            self.numbers.extend(_number(cells.get(c)) for c in self.cols)
        self.count += 1

    def finish(self) -> _Cached:
        return self

    def array(self) -> np.ndarray:
        """The rows' numbers, one row per data row (the last one alone with last_only)."""
        return np.frombuffer(self.numbers).reshape(-1, len(self.cols))


def _number(cell: Cell | None) -> float:
    value = None if cell is None else cell.value
    return float(value) if isinstance(value, (int, float)) else math.nan


def open(path: PathLike, sheet: str | None = None) -> Workbook:  # noqa: A001 (sheetnet.open, as tarfile.open)
    """Open a workbook (.ods, .xlsx, .xls) and find its networks, or the one on sheet. Only the
    first rows of each sheet are read (a network's first data row is all it needs)."""
    path = Path(path)
    book = formats.read(path, head=True, whole=is_data_sheet)
    try:
        found = networks(book, sheet)
        for shown, layout, _ in found:
            if isinstance(layout, BatchLayout) and layout.data.name in book.names:
                check_samples(book.sheet(layout.data.name), layout, shown, formats.HEAD_ROWS)
    except SheetnetError as e:
        raise e.located(file=path, sheet=sheet) from None
    return Workbook(path, book, found)


@dataclass
class Saved:
    """What :func:`write` wrote: the file; per network or trace, its sheet (``written[k].run.name``),
    its summary sheet, its first cost and last iteration; and notes on what of the new sheets a
    copied workbook could not take."""

    path: Path
    written: list[Written]
    notes: list[str]

    @property
    def sheets(self) -> list[str]:
        """The names of the network sheets written."""
        return [w.run.name for w in self.written]


def write(path: PathLike, items: Network | Trace | Iterable[Network | Trace], n: int | None = None,
          every: int = 1, *, copy_of: Workbook | None = None, note: str | None = None,
          progress: bool = True) -> Saved:
    """Write networks or traces to path (.ods, .xlsx, or .csv for one), as `sheetnet train` writes
    them: one sheet per item, every row a live formula carrying its value (values only for a sheet
    of every K-th iteration), with a summary and a check sheet beside it in a workbook.

    A Trace is written as it is. A Network is trained n iterations (every: keep every K-th) as it
    is written, a chunk of rows at a time, so that memory does not grow with n.
    copy_of: a Workbook of path's format, which the file is a copy of, every sheet, style and chart
    kept, the new sheets added after its own as 'NAME trained'. note: the text of each sheet's A1
    (by default what trained it, from which file). The file appears only when complete; an
    existing one is replaced, never a workbook the items were read from.
    """
    path = Path(path)
    items = [items] if isinstance(items, (Network, Trace)) else list(items)
    sources = ([copy_of.path] if copy_of else []) + [_network(item).source for item in items]
    check_output(path, [s for s in sources if s is not None], replace=True)
    if copy_of is not None and formats.suffix_of(copy_of.path, formats.READABLE) != path.suffix.lower():
        raise SheetnetError(f"a workbook is copied only into its own format ({copy_of.path.suffix})", file=path)
    runs = [_run(item, name, n, every, note, copy_of) for item, name in zip(items, _names(items, copy_of))]
    try:
        written, notes = write_runs(path, runs, progress=progress, copy_of=copy_of and copy_of._book)
    except SheetnetError as e:
        # A sheet's trouble comes from the item written there: where it was read from, if it was.
        item = dict(zip((run.name for run in runs), items)).get(e.sheet)
        if item is None:
            raise e.located(file=path) from None
        if _network(item).source is not None:
            e.sheet = _network(item).name
            raise e.located(file=_network(item).source) from None
        raise
    return Saved(path, written, notes)


@dataclass
class Swept:
    """What :func:`sweep` wrote: the file, each learning rate's Curve and the comparison sheet."""

    path: Path
    curves: list  # commands.sweep.Curve: γ, its sheet, first and final cost, when it fell below ..., outcome
    sheet: str


def sweep(path: PathLike, network: Network, rates: Sequence[float], n: int, every: int = 1, *,
          progress: bool = True) -> Swept:
    """Train network n iterations at each learning rate γ of rates (each once, in order) and write
    path (.ods or .xlsx) as `sheetnet sweep` does: a comparison sheet of the cost curves, with
    their chart, then one network sheet per γ as :func:`write` writes it, every K-th iteration
    with every > 1. An existing file is replaced, never the workbook network was read from."""
    path = Path(path)
    if network.batch:
        raise SheetnetError("sweep does not take batch sheets yet: train one per learning rate",
                            file=network.source, sheet=network.name)
    check_output(path, [network.source] if network.source else [], replace=True)
    _positive(n, "n")
    _positive(every, "every")
    rates = list(dict.fromkeys(float(lr) for lr in rates))
    if not rates or not all(math.isfinite(lr) and lr > 0 for lr in rates):
        raise SheetnetError(f"the learning rates must be positive numbers, not {rates!r}")
    origin = f" from {network.source.name}, sheet {network.name}" if network.source else ""
    note = f"Trained by sheetnet sweep{origin}: {counted(n, 'iteration')}, " + _rows_note(n, every) + "."
    try:
        # A sweep's sheets number their iterations from 1, whatever the network's first.
        curves, sheet = sweeping.sweep(path, network.name, network.layout(first=1), network.problem, rates, n, every,
                                       note, progress)
    except SheetnetError as e:
        raise e.located(file=path) from None
    return Swept(path, curves, sheet)


def _names(items: list, copy_of: Workbook | None) -> list[str]:
    """The sheet each item is written to: its network's name, or beside a copied workbook's sheets
    'NAME trained'; numbered where a name is taken ('NAME 2')."""
    taken: list[str] = list(copy_of.sheets) if copy_of else []
    for item in items:
        name = _network(item).name
        if copy_of is not None or name.casefold() in {t.casefold() for t in taken}:
            name = fresh_name(name, taken, " trained" if copy_of else "")
        taken.append(name)
    return taken[len(taken) - len(items):]


def _network(item: Network | Trace) -> Network:
    return item.network if isinstance(item, Trace) else item


def _run(item: Network | Trace, name: str, n: int | None, every: int, note: str | None,
         copy_of: Workbook | None = None) -> Run:
    """The run that writes item as sheet name."""
    if isinstance(item, Trace):
        bad = ~np.isfinite(item.numbers)
        if bad.any():
            k, j = np.argwhere(bad)[0]
            column = item.layout.columns[j]
            raise SheetnetError(f"the trace's {column.describe()} in iteration {item.iterations[k]:,} is "
                                f"{item.numbers[k, j]}, not a number a sheet can hold", sheet=item.network.name,
                                file=item.network.source)
        net, n, every, numbers = item.network, item.n, item.every, item.numbers
    else:
        if n is None:
            raise SheetnetError("a Network is written trained: give n, the iterations to write")
        _positive(n, "n")
        _positive(every, "every")
        net, numbers = item, None
    if note is None:
        origin = f" from {net.source.name}, sheet {net.name}" if net.source else ""
        start = "the first row's inputs, weights and targets" if net.first == 1 else \
            f"the weights after the update of iteration {net.first - 1:,}"
        if net.data is not None:
            start = start.replace("inputs, weights and targets", "weights") + ", on the data sheet's samples"
        note = f"Trained by sheetnet{origin}: {_iterations_note(net.first, n)}, " + _rows_note(n, every, net.first) \
            + f", from {start}."
    changes = item.changes if isinstance(item, Trace) else True
    # Into a copy of the workbook it was read from, its data sheet is the copy's own.
    own = copy_of is not None and net.datasheet is not None and net.source == copy_of.path
    return Run(name, net.layout(changes), net.problem, n, note, every, numbers, writes_data=not own, first=net.first)


def _iterations_note(first: int, n: int) -> str:
    return counted(n, "iteration") if first == 1 else f"iterations {first:,} to {first + n - 1:,}"


def _rows_note(n: int, every: int, first: int = 1) -> str:
    if every == 1:
        return "one per row"
    return (f"one row for every {ordinal(every)} (iterations {first:,}, {first + every:,}, {first + 2 * every:,}, ... "
            f"and {first + n - 1:,}), numbers only since formulas would chain rows that are not neighbours")


def check_output(out: Path, sources: list, replace: bool) -> None:
    """Refuse, before any work, to write out where it cannot or must not be written: onto one of
    the sources (sheetnet never overwrites its input), a folder, an existing file unless replace,
    a format it cannot write, a missing or read-only folder."""
    for source in sources:
        if Path(source).exists() and out.exists() and os.path.samefile(out, source):
            raise SheetnetError("is the input file; sheetnet never overwrites its input", file=out)
    if out.is_dir():
        raise SheetnetError("is a folder; give a file name", file=out)
    if out.exists() and not replace:
        raise SheetnetError("exists; use --force to replace it", file=out)
    formats.suffix_of(out, formats.WRITABLE)
    # Found out now rather than after the training.
    if not out.parent.is_dir():
        raise SheetnetError("the output folder does not exist", file=out)
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise SheetnetError("the output folder cannot be written", file=out)


@dataclass
class Verification:
    """What :func:`check` found: a Report per network (``ok``, per-quantity deviations in
    ``quantities``, the first failing cell in ``first`` and every fault, each with its cell,
    what was expected, what was found and why, in ``faults``), as text or JSON too."""

    source: str  # the file verified, or which trace
    reports: list[Report]
    of_file: bool = True  # a trace's text names no explain command: there is no file to explain

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    def __getitem__(self, sheet: str) -> Report:
        for r in self.reports:
            if r.sheet == sheet:
                return r
        raise KeyError(sheet)

    def text(self) -> str:
        """The report as `sheetnet verify` prints it."""
        return checking.text(self.source, self.reports, explain=self.of_file)

    def as_dict(self) -> dict:
        """The report as `sheetnet verify --json` prints it, before it is JSON."""
        return checking.document(self.source, self.reports)

    def json(self) -> str:
        return json.dumps(self.as_dict(), indent=1, ensure_ascii=False)

    def __str__(self) -> str:
        return self.text()


def check(target: PathLike | Trace, sheet: str | None = None, rtol: float = RTOL, atol: float = ATOL) -> Verification:
    """Whether every number (and formula) of a workbook's networks, or the one on sheet, follows
    from its first data row by the note's backpropagation, as `sheetnet verify` says; or every
    number of a trace, laid out as its sheet would be (cells named as there). The tolerance is
    numpy.isclose's: |a − b| ≤ atol + rtol·|b|. (Not `verify`: that is the package sheetnet.verify.)"""
    tolerance = Tolerance(rtol, atol)
    if isinstance(target, Trace):
        return Verification(f"trace of {target.network.name!r}", [_verify_trace(target, tolerance)], of_file=False)
    return Verification(str(target), checking.verify_file(Path(target), sheet, tolerance))


def _verify_trace(trace: Trace, tolerance: Tolerance) -> Report:
    """Check a trace's numbers as verify checks a values-only sheet, its rows fed as they would be read."""
    layout, name = trace.layout, trace.network.name
    head = Sheet(name)
    for (r, c), text in layout.header().items():
        head.set(r, c, Cell(text))
    first = dict(zip((c.col for c in layout.columns), map(Cell, trace.numbers[0].tolist())))
    head.rows[layout.first_row] = first | {layout.lr_col: Cell(trace.network.lr)}
    try:
        # The first row read as a sheet's, as a file's would be; the rows are the trace's iterations.
        check = Check(head, *find(head), tolerance, every=trace.every, first=trace.network.first)
    except SheetnetError as e:
        raise e.located(file=trace.network.source) from None
    check.feed(layout.first_row, head.rows[layout.first_row])
    columns, formulas = Columns.of(first), Row.SEPARATOR * (len(first) - 1)
    for k, numbers in enumerate(trace.numbers[1:], layout.first_row + 1):
        check.feed(k, Row(columns, array("d", numbers.tobytes()), formulas))
    return check.finish()


def _positive(k, what: str) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SheetnetError(f"{what} must be a whole number of at least 1, not {k!r}")


def _vector(x, size: int, what: str) -> np.ndarray:
    v = np.array(x, dtype=float)
    if v.shape != (size,):
        raise SheetnetError(f"{what} has shape {v.shape}, where the network needs ({size},)")
    return v


def _layers(xs: Sequence, L: int, what: str) -> list:
    """The arrays of layers 1..L of a per-layer list, given with or without index 0's None."""
    xs = list(xs[1:] if len(xs) and xs[0] is None else xs)
    if len(xs) != L:
        raise SheetnetError(f"{what} holds layers 1..{L}: {L} arrays, not {len(xs)}")
    return xs


def _stacked(x, rows_shape: tuple, what: str) -> np.ndarray:
    """x as an array of rows_shape: one row per iteration, or one for all (broadcast)."""
    x = np.asarray(x, dtype=float)
    try:
        return np.broadcast_to(x, rows_shape)
    except ValueError:
        raise SheetnetError(f"{what} has shape {x.shape}, where the trace needs {rows_shape} "
                            f"({rows_shape[0]} iterations)") from None
