"""Writing trained networks: each iteration laid out by the layout, streamed to a format."""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import formats
from ..errors import SheetnetError
from ..formats.merge import into_copy
from ..grid import fresh_name
from ..layout import Kind, Layout, check, look, summary
from ..layout import data as datasheet
from ..math.network import Iteration, Problem, count_logged, logged
from .progress import Progress


@dataclass(frozen=True)
class Run:
    """One network to write, as asked: its sheet's name, layout, initial state, iterations and note;
    and its rows, where they are computed already."""

    name: str
    layout: Layout
    problem: Problem
    n: int
    note: str = ""
    every: int = 1  # write iterations 1, 1 + every, ... and n; values only when every > 1
    numbers: np.ndarray | None = None  # the rows, already computed (a Trace's): written as they are, not trained
    writes_data: bool = True  # an online run's data sheet is written with it (False: the copied workbook's own)
    first: int = 1  # the number of its first iteration (a resumed run numbers them on)


def chunks(run: Run):
    """A run's rows, a chunk of iterations at a time: (their iteration numbers, the stacked
    Iteration, its rows' numbers from the network's first column on), trained as they are asked
    for, or cut from run.numbers. A chunk covers at most CHUNK_ITERATIONS iterations (and
    CHUNK_ROWS rows), so that a progress bar moves however sparse the rows."""
    size = max(1, min(CHUNK_ROWS, CHUNK_ITERATIONS // run.every))
    numbers = logged(run.n, run.every)
    if run.numbers is not None:
        for start in range(0, len(run.numbers), size):
            rows = run.numbers[start:start + size]
            yield list(itertools.islice(numbers, len(rows))), run.layout.unpack(rows), rows
        return
    k = 0  # the last iteration yielded
    try:
        for h in run.layout.histories(run.problem, run.n, run.every, size):
            ks, rows = list(itertools.islice(numbers, len(h.C))), run.layout.matrix(h)
            finite = np.isfinite(rows).all(axis=1)
            if not finite.all():
                raise overflow(run, ks[int(np.argmin(finite))])
            yield ks, h, rows
            k = ks[-1]
    except OverflowError:  # the float code's exp
        raise overflow(run, k + 1) from None


@dataclass
class Written:
    """What writing one run produced: its summary sheet's name (None where the format has no room
    for one), and its training's first cost and last iteration."""

    run: Run
    summary: str | None = None
    first_cost: float = math.nan
    last: Iteration | None = None
    lowest: float = math.inf  # the lowest cost of the rows written

    @property
    def last_cost(self) -> float:
        return float(self.last.C)


class _Rows:
    """A run's rows to write, a chunk of iterations at a time: (their iteration numbers, the
    stacked Iteration, its rows' numbers from the network's first column on). A workbook shows a
    training twice, on its formula sheet and its check sheet: a short one is kept for the second
    time rather than trained again; a long one is trained again (see chunks), so that memory does
    not grow with the iterations."""

    def __init__(self, run: Run):
        self.run = run
        self.kept = None

    def __iter__(self):
        if self.kept is not None:
            yield from self.kept
            return
        run = self.run
        keep = [] if count_logged(run.n, run.every) <= LOG_ROWS else None
        for chunk in chunks(run):
            if keep is not None:
                keep.append(chunk)
            yield chunk
        self.kept = keep


LOG_ROWS = 1000  # the most rows of a training kept for its second time (see _Rows)
CHUNK_ROWS = 1000  # rows trained at a time (network.histories)
CHUNK_ITERATIONS = 100_000  # iterations trained at a time, at most (a tenth of a second for 2-2-2)


def write(path, runs: list, progress: bool = False, copy_of=None, before=None) -> tuple[list, list]:
    """Write every run to path (format from its extension); the file appears only when complete.

    progress: show a progress bar while training, in a notebook or on a terminal (see progress.py).
    copy_of: a Book read from a workbook of path's format: the file is a copy of that workbook,
    every sheet and part kept, with the new sheets after its own (their names must be free).
    before: (name, function of a writer) of a sheet the function writes before the runs' sheets.
    Returns what was written of each run (Written), and notes for the user on what of the new
    sheets the copied workbook could not take.
    """
    Writer = formats.writer(path)
    for run in runs:
        check_rows(path, Writer, run)
    workbook = formats.suffix_of(path, formats.WRITABLE) != ".csv"  # a .csv holds one sheet: no summary, no check
    taken = [run.name for run in runs] + [s.name for s in (copy_of.sheets if copy_of else [])]
    taken += [before[0]] if before else []
    written = [Written(run) for run in runs]
    if workbook:
        for result in written:  # named first: each network sheet's note points at its summary
            result.summary = fresh_name(result.run.name, taken, summary.SUFFIX)
            taken.append(result.summary)
    runs, data_sheets = _named_data(runs, taken) if workbook else (runs, [])
    for result, run in zip(written, runs):
        result.run = run
    rows = [_Rows(run) for run in runs]
    notes = []
    with formats.atomic(path) as f, into_copy(f, copy_of and copy_of.path, notes, Path(path).parent) as target, \
            Writer(target) as w:
        for data in data_sheets:  # first, so that a reader streaming the file meets it before its networks
            datasheet.write(w, data)
        if before:
            before[1](w)
        for result, its_rows in zip(written, rows):
            w.sheet(result.run.name, **look.sheet(result.run.layout))
            write_network(w, result, its_rows, progress)
            if result.summary:
                summary.write(w, result, result.summary)
        if workbook:
            for run, its_rows in zip(runs, rows):
                taken.append(fresh_name(run.name, taken, check.SUFFIX))
                w.sheet(taken[-1])
                check.write_check(w, run, its_rows, taken[-1])
    return written, notes


def _named_data(runs: list, taken: list) -> tuple[list, list]:
    """The runs with the data sheets they write named (their own name, 'Data' for a new one, or a
    fresh name where it is taken), and those data sheets, each once."""
    named: dict = {}  # what makes a data sheet (where it stands, its samples and order) -> the one written
    out = []
    for run in runs:
        data = run.layout.data
        if data is not None and run.writes_data:
            key = (data.name, data.label_row, data.sample_col, data.data.X.tobytes(), data.data.T.tobytes(),
                   data.data.order.tobytes())
            if key not in named:
                free = data.name.casefold() not in {t.casefold() for t in taken}  # as it is: fresh_name trims
                named[key] = dataclasses.replace(data, name=data.name if free else fresh_name(data.name, taken))
                taken.append(named[key].name)
            run = dataclasses.replace(run, layout=dataclasses.replace(run.layout, data=named[key]))
        out.append(run)
    return out, list(named.values())


def check_rows(path, Writer, run: Run) -> None:
    """Refuse, before any work, a run whose rows would not fit in one sheet of the format."""
    limit = getattr(Writer, "max_rows", None)
    header = run.layout.first_row - 1
    rows = header + count_logged(run.n, run.every)
    if limit is None or rows <= limit:
        return
    fewer = -(-run.n // (limit - header))  # the smallest --log-every that fits: this, or a little more
    while header + count_logged(run.n, fewer) > limit:
        fewer += 1
    raise SheetnetError(f"{run.n:,} iterations need {rows:,} rows, more than the {limit:,} a sheet of this format "
                        f"holds; write every K-th iteration with --log-every K, K of at least {fewer:,}",
                        file=path, sheet=run.name)


def write_network(w, result: Written, rows: _Rows, progress: bool = False) -> None:
    """The header rows, then one row per iteration, each a live formula with its value; or, with
    run.every > 1, a row of values for every every-th iteration and the last one.

    The note (row 1) and how to use the sheet (row 2) head it; result gets the training's first
    cost and last iteration."""
    run = result.run
    layout = run.layout
    header = layout.header()
    if run.note:
        header[(1, 1)] = run.note
    if layout.caption_row > 2:
        header[(2, 1)] = look.usage(layout, result.summary)
    for r in sorted({r for r, _ in header}):
        cols = [c for rr, c in header if rr == r]
        values = [header.get((r, c)) for c in range(1, max(cols) + 1)]
        w.row(r, values, styles=look.header_styles(layout, r, values))
    first_styles = look.first_row_styles(layout)
    # Formulas chain each row to the one above, so rows with gaps between them hold values only.
    formulas = _Formulas(layout) if run.every == 1 else None
    empty = [None] * (layout.first_col - 1)
    sample = layout.at(Kind.SAMPLE, 0).col - layout.first_col if layout.online else None
    row = 0
    with Progress(run.n, run.name, enabled=progress) as bar:
        for ks, h, numbers in rows:
            if row == 0:
                result.first_cost = float(h.C[0])
            result.last = h.at(-1)
            result.lowest = min(result.lowest, float(np.min(h.C)))
            for numbers_k in numbers:
                values = empty + numbers_k.tolist()
                these = formulas and formulas.of(row, None if sample is None else int(numbers_k[sample]) - 1)
                if row == 0:
                    values[layout.lr_col - 1] = run.problem.network.lr
                    w.row(layout.first_row, values, these, first_styles)
                else:
                    w.row(layout.first_row + row, values, these)
                row += 1
            bar.update(ks[-1])


class _Formulas:
    """The formulas of a network sheet's data rows: one list for the first row and one for every
    row after it; of an online sheet, one per sample for the rows from the m-th on and one for each
    row before (whose epoch cost averages fewer rows), each made once, so that a writer compiles
    each once (it keys them by id)."""

    def __init__(self, layout: Layout):
        self.layout, self.made = layout, {}
        self.m = layout.data.data.m if layout.online else None

    def of(self, row: int, sample: int | None) -> list:
        """The formulas of the data row `row` rows below the first, which trains on sample (0-based)."""
        # The epoch cost averages the rows from the first down to the m-th, then the last m.
        key = (row == 0,) if self.m is None else (row == 0, sample, min(row, self.m - 1))
        if key not in self.made:
            self.made[key] = self.layout.templates(row == 0) if self.m is None else \
                self.layout.row_templates(row == 0, sample, row)
        return self.made[key]


def overflow(run: Run, k: int) -> SheetnetError:
    return SheetnetError(f"the numbers overflow {'in' if run.every == 1 else 'by'} iteration {k}: this network "
                         "cannot be trained in float64 (make the inputs, weights or learning rate smaller)",
                         sheet=run.name)
