"""The `sheetnet` command: train, template, verify, show, sweep, explain."""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import api, explain, formats, verify
from ..errors import SheetnetError
from ..grid import counted, sheet_name_problem
from ..layout.sheets import each_network
from ..math.data import BUILT_IN, from_csv
from . import report, sweep


class Outcome(NamedTuple):
    """What a command has to say once its work is done: its exit code (its verdict), its report
    for stdout and its notes for stderr."""

    code: int
    text: str
    notes: tuple = ()
    error: str | None = None  # for stderr instead of the report: why the command could not do its work


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, exit 2, as for every other bad input.
        raise SheetnetError(message)


def _sheet_name(text: str) -> str:
    problem = sheet_name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _whole_number(text: str, least: int) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if n < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, not {n}")
    return n


def _positive_int(text: str) -> int:
    return _whole_number(text, 1)


def _seed(text: str) -> int:
    """A random seed: numpy takes none below 0."""
    return _whole_number(text, 0)


def _default_output(path: Path, ending: str = "_trained") -> Path:
    suffix = path.suffix.lower() if path.suffix.lower() in formats.WRITABLE else ".xlsx"
    return path.with_name(f"{path.stem}{ending}{suffix}")


def cmd_train(args) -> Outcome:
    source = Path(args.input)
    out = Path(args.output) if args.output else _default_output(source)
    api.check_output(out, [source], args.force)
    book = api.open(source, args.sheet)  # a network's first data row is all that training needs
    copy_of, left_out = _copied(source, out, book, args.results_only)
    nets = [book.resume(net.name) for net in book.networks] if args.resume else book.networks
    saved = api.write(out, nets, args.iterations, args.log_every, copy_of=copy_of)
    summaries = ", ".join(f"'{w.summary}'" for w in saved.written if w.summary)
    lines = [report.trained(w) for w in saved.written]
    lines.append(f"wrote {out}" + (f" (weights, outputs and cost charts on {summaries})" if summaries else ""))
    return Outcome(0, "\n".join(lines), tuple([left_out] * bool(left_out) + saved.notes))


def cmd_show(args) -> Outcome:
    source = Path(args.file)
    shown, names = each_network(source, args.sheet, report.Shown)
    lines = [f"{source}: {len(shown)} network{'s' * (len(shown) != 1)} (sheets: {', '.join(names)})", *shown]
    return Outcome(0, "\n".join(lines))


def _copied(source: Path, out: Path, book: api.Workbook, results_only: bool):
    """(the workbook OUT is to copy or None, a note on what OUT leaves out of IN)."""
    kind = out.suffix.lower()
    if results_only:
        return None, None
    if kind == source.suffix.lower() and kind in (".ods", ".xlsx"):
        return book, None
    sheets = f"{source.name}'s own sheets ({', '.join(book.sheets)})"
    if kind == ".csv":
        why = "a .csv file holds only the trained numbers"
    elif source.suffix.lower() == ".xls":
        why = "sheetnet cannot write .xls, and copies a workbook only into its own format"
    else:
        why = f"sheetnet copies a workbook only into its own format (-o NAME{source.suffix.lower()} keeps them)"
    return None, f"{sheets}, with their formatting and charts, are not copied into {out.name}: {why}; " \
                 "--results-only writes just the new sheets without this note"


def cmd_verify(args) -> Outcome:
    found = api.check(args.file, args.sheet, args.rtol, args.atol)
    return Outcome(0 if found.ok else 1, found.json() if args.json else found.text())


def cmd_explain(args) -> Outcome:
    found = explain.explain(Path(args.file), args.cell, args.sheet)
    if args.json:
        return Outcome(0, json.dumps(explain.data(found), indent=1, ensure_ascii=False))
    return Outcome(0, explain.markdown(found) if args.markdown else explain.text(found))


def _finite(above_zero: bool):
    """An argparse type: a finite number above 0, or of at least 0."""
    wanted = "a finite number " + ("above 0" if above_zero else "of at least 0")

    def number(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
        if not (math.isfinite(x) and (x > 0 if above_zero else x >= 0)):
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}")
        return x

    return number


_tolerance, _learning_rate = _finite(above_zero=False), _finite(above_zero=True)


def cmd_template(args) -> Outcome:
    out = Path(args.output)
    if args.batch and args.data is None:
        raise SheetnetError("--batch trains on a dataset: give --data FILE.csv or --data xor")
    if args.batch and args.shuffle is not None:
        raise SheetnetError("--batch takes every sample in each row: the order of the samples does not matter, "
                            "so it takes no --shuffle")
    api.check_output(out, [], args.force)
    if args.shuffle is not None and args.data is None:
        raise SheetnetError("--shuffle orders the samples of --data")
    data = None if args.data is None else _dataset(args.data, args.shuffle)
    net = api.Network.fresh(args.layers, args.seed, args.name, data=data, batch=args.batch)
    # An online template shows one epoch, so that its order is in the sheet; a batch row is an epoch.
    n = args.iterations or (1 if data is None or args.batch else data.m)
    change = "the inputs, targets" if data is None else "the samples on the data sheet, the"
    saved = api.write(out, net, n, progress=False,
                      note=f"Change {change} weights or learning rate in the first data row, "
                           "then run: sheetnet train THIS_FILE -n 1000 -o trained.ods")
    [written] = saved.written
    on = "" if data is None else f" on {counted(data.m, 'sample')}"
    what = f"{counted(n, 'epoch')}, epoch cost" if args.batch else f"{counted(n, 'iteration')}, cost"
    return Outcome(0, f"wrote {out}: a {net.shape} network{on}, {what} {written.first_cost:.6g}")


def _dataset(name: str, shuffle: int | None) -> api.Dataset:
    """The samples --data names: a built-in dataset (xor) or a .csv file, in the order --shuffle fixes."""
    data = BUILT_IN.get(name.casefold()) if not Path(name).suffix else None
    if data is None:
        data = from_csv(name)
    return api.Dataset.shuffled(data.X, data.T, shuffle)


def cmd_sweep(args) -> Outcome:
    source = Path(args.input)
    out = Path(args.output) if args.output else _default_output(source, "_sweep")
    if out.suffix.lower() == ".csv":
        raise SheetnetError("a sweep is several sheets and a chart: write .ods or .xlsx", file=out)
    api.check_output(out, [source], args.force)
    book = api.open(source, args.sheet)
    if len(book) > 1:
        raise SheetnetError(f"holds {len(book)} networks (sheets {', '.join(repr(n.name) for n in book.networks)}); "
                            "choose one with --sheet", file=source)
    [net] = book.networks
    swept = api.sweep(out, net, args.lr, args.iterations, args.log_every)
    if args.json:
        return Outcome(0, json.dumps(sweep.document(swept.curves, out, net.name, swept.sheet), indent=1,
                                     ensure_ascii=False))
    return Outcome(0, f"{net.name}: {net.shape} network, {counted(args.iterations, 'iteration')} at "
                      f"{counted(len(swept.curves), 'learning rate')}\n{sweep.table(swept.curves)}\nwrote {out} (the "
                      f"comparison and its chart on '{swept.sheet}')")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sheetnet", description="Train, log and check the neural networks of Simple_Neural_Net-style "
                                             "spreadsheets, one row per iteration.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a workbook's networks and write every iteration",
                       description="Read each network's first data row (inputs, weights, targets, learning rate) "
                                   "from IN, train it for N iterations and write one row per iteration, every "
                                   "computed cell a live formula carrying Python's value.")
    t.add_argument("input", metavar="IN", help="a workbook in the classic layout (.ods, .xlsx or .xls)")
    t.add_argument("-n", "--iterations", type=_positive_int, default=1000, metavar="N",
                   help="iterations, i.e. data rows, to write; the first is the initial state (default 1000)")
    t.add_argument("-o", "--output", metavar="OUT",
                   help="the file to write: .ods, .xlsx or .csv (default: IN's name with _trained)")
    t.add_argument("--log-every", type=_positive_int, default=1, metavar="K",
                   help="write only iterations 1, 1+K, 1+2K, ... and the last, as numbers without formulas (for "
                        "long trainings: a sheet holds at most 1,048,576 rows); default 1: every iteration, with "
                        "formulas")
    t.add_argument("--sheet", metavar="NAME", help="train only the network on this sheet (default: every one)")
    t.add_argument("--resume", action="store_true",
                   help="start from the state after the last data row's update (the sheet is read to its end) "
                        "rather than from the first row, numbering the iterations on")
    t.add_argument("--results-only", action="store_true",
                   help="write only the new sheets; by default OUT, when in IN's format, is a copy of IN with "
                        "every sheet, chart and style kept and the trained sheets added as 'NAME trained'")
    t.add_argument("--force", action="store_true", help="replace OUT if it exists (never IN itself)")
    t.set_defaults(run=cmd_train)

    m = sub.add_parser("template", help="write a fresh workbook that train accepts",
                       description="Write a workbook holding one network in the classic layout: the original "
                                   "2-2-2 network by default, seeded random weights, inputs and targets otherwise.")
    m.add_argument("output", metavar="OUT", help="the file to write: .ods, .xlsx or .csv")
    m.add_argument("--layers", type=_positive_int, nargs="+", metavar="N",
                   help="neurons per layer, inputs first (default: 2 2 2; with --data n0 2 nL of its samples)")
    m.add_argument("--data", metavar="FILE.csv|xor",
                   help="train on samples, one per row: a .csv file (a header line a0 a1 ... T0 T1 ..., then one "
                        "sample per line) or the built-in xor; they go on a data sheet that the rows refer to")
    m.add_argument("--shuffle", type=_seed, metavar="SEED",
                   help="take the samples in an order shuffled by SEED, the same every epoch (default: in turn)")
    m.add_argument("--batch", action="store_true",
                   help="with --data: one row per epoch, every sample's pass side by side, the update by the mean "
                        "of their change matrices (no --shuffle: the order does not matter)")
    m.add_argument("--seed", type=_seed, help="random seed for the weights, inputs and targets")
    m.add_argument("-n", "--iterations", type=_positive_int, metavar="N",
                   help="iterations to lay out as rows (default 1: just the initial state; with --data one epoch, "
                        "a row with --batch)")
    m.add_argument("--name", default="Sheet1", type=_sheet_name, help="the sheet's name (default Sheet1)")
    m.add_argument("--force", action="store_true", help="replace OUT if it exists")
    m.set_defaults(run=cmd_template)

    v = _reading(sub, "verify", "check that a workbook's numbers and formulas follow by backpropagation",
                 "Recompute every network of FILE from its first data row and compare every cached value; "
                 "compare every formula with the note's. Exit 0 when everything agrees, 1 when something does "
                 "not, 2 when FILE cannot be read as a network.")
    v.add_argument("--rtol", type=_tolerance, default=verify.RTOL, metavar="R",
                   help="relative tolerance, as numpy.isclose's: a cell agrees with the recomputation b when "
                        f"|a-b| <= atol + rtol*|b| (default {verify.RTOL:g}: LibreOffice stores 15 digits)")
    v.add_argument("--atol", type=_tolerance, default=verify.ATOL, metavar="A",
                   help=f"absolute tolerance (default {verify.ATOL:g}: LibreOffice snaps the difference of two "
                        "numbers that agree to 15 digits to 0, where IEEE arithmetic leaves about 1e-17)")
    v.add_argument("--json", action="store_true", help="print the report as one JSON document")
    v.set_defaults(run=cmd_verify)

    w = sub.add_parser("sweep", help="train a network at several learning rates and compare the cost curves",
                       description="Train the network of IN's sheet once per learning rate γ and write one network "
                                   "sheet per γ (live formulas, as train writes them), and a comparison sheet: per "
                                   "γ the first and final cost, when the cost first falls below 1e-3 and 1e-6 of "
                                   "its start, and a chart of every cost curve on one logarithmic axis.")
    w.add_argument("input", metavar="IN", help="a workbook in the classic layout (.ods, .xlsx or .xls)")
    w.add_argument("--lr", type=_learning_rate, nargs="+", required=True, metavar="γ",
                   help="the learning rates, e.g. --lr 0.1 0.5 1 2 5 10")
    w.add_argument("-n", "--iterations", type=_positive_int, default=1000, metavar="N",
                   help="iterations per learning rate (default 1000)")
    w.add_argument("--log-every", type=_positive_int, default=1, metavar="K",
                   help="write only iterations 1, 1+K, 1+2K, ... and the last, as numbers (as train does)")
    w.add_argument("--sheet", metavar="NAME", help="the network's sheet (needed when IN holds several)")
    w.add_argument("-o", "--output", metavar="OUT",
                   help="the workbook to write: .ods or .xlsx (default: IN's name with _sweep); it holds only "
                        "the sweep's sheets")
    w.add_argument("--json", action="store_true", help="print the comparison as one JSON document")
    w.add_argument("--force", action="store_true", help="replace OUT if it exists (never IN itself)")
    w.set_defaults(run=cmd_sweep)

    s = _reading(sub, "show", "print the networks a workbook holds",
                 "For every network of FILE: its sheet, shape, data rows and learning rate, the weights of its "
                 "first row as matrices (row j, column i, bias last), and the first and last cost as the file "
                 "caches them.")
    s.set_defaults(run=cmd_show)

    e = sub.add_parser("explain", help="explain one cell of a network sheet with the note's chain rule and its numbers",
                       description="Say what a cell of a network sheet is (quantity, neurons, layer, iteration), its "
                                   "formula and the note's equation for it, that equation worked out with the sheet's "
                                   "numbers against the cached value and the recomputation, for deltas, change "
                                   "matrices and weights the chain rule behind them with a finite-difference check, "
                                   "the cells it feeds, and verify's fault in it. Exit 0 when it explains, 2 when FILE "
                                   "cannot be read or the cell is not one of a network's.")
    e.add_argument("file", metavar="FILE", help="a workbook in the classic layout (.ods, .xlsx or .xls)")
    e.add_argument("cell", metavar="CELL", help="the cell's address, such as M9")
    e.add_argument("--sheet", metavar="NAME", help="the network's sheet (default: the first sheet holding a network)")
    shown = e.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the explanation as one JSON document")
    shown.add_argument("--markdown", action="store_true",
                       help="print the explanation as Markdown, the equations in LaTeX math ($...$)")
    e.set_defaults(run=cmd_explain)
    return p


def _reading(sub, name: str, brief: str, description: str):
    """A subcommand that reads FILE, all its networks or the one on --sheet."""
    c = sub.add_parser(name, help=brief, description=description)
    c.add_argument("file", metavar="FILE", help="a workbook in the classic layout (.ods, .xlsx or .xls)")
    c.add_argument("--sheet", metavar="NAME", help=f"{name} only the network on this sheet (default: every one)")
    return c


def main(argv=None) -> int:
    # kill (SIGTERM) ends sheetnet as Ctrl-C does: the file being written is removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        args = parser().parse_args(argv)
        # Overflow is found where it matters, by value (a trained row that is not finite is refused):
        # numpy need not warn about it on the way.
        with np.errstate(over="ignore", invalid="ignore"):
            outcome = args.run(args)
        return _tell(outcome)
    except SheetnetError as e:
        return _tell(Outcome(2, "", error=f"sheetnet: error: {e}"))
    except KeyboardInterrupt:
        return _tell(Outcome(130, "", error="sheetnet: interrupted; nothing was written"))


def _tell(outcome: Outcome) -> int:
    """Print a command's notes and report; its exit code, whether or not they were read to the end."""
    try:
        for note in outcome.notes:
            print(f"sheetnet: note: {note}", file=sys.stderr)
        if outcome.error is not None:
            print(outcome.error, file=sys.stderr, flush=True)
        else:
            print(outcome.text, flush=True)
    except BrokenPipeError:
        # The reader stopped early (`sheetnet verify FILE | head -1`): the verdict stands, and a file
        # written stays written. Python flushes both streams once more at exit; into devnull, so that
        # it does not complain of the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            os.dup2(devnull, stream.fileno())
        os.close(devnull)
    return outcome.code

