"""The `sheetnet` command: train, template, verify, show."""

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

from .. import formats, verify
from ..errors import SheetnetError
from ..grid import fresh_name, sheet_name_problem
from ..layout import Layout, networks
from ..layout.sheets import each_network
from ..math.network import shape
from ..math.template import problem_for
from . import report, sweep
from .output import Run, write


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


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def _check_output(out: Path, inputs: list, force: bool) -> None:
    for source in inputs:
        if source.exists() and out.exists() and os.path.samefile(out, source):
            raise SheetnetError("is the input file; sheetnet never overwrites its input", file=out)
    if out.is_dir():
        raise SheetnetError("is a folder; give a file name", file=out)
    if out.exists() and not force:
        raise SheetnetError("exists; use --force to replace it", file=out)
    formats.suffix_of(out, formats.WRITABLE)
    # Found out now rather than after the training.
    if not out.parent.is_dir():
        raise SheetnetError("the output folder does not exist", file=out)
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise SheetnetError("the output folder cannot be written", file=out)


def _default_output(path: Path, ending: str = "_trained") -> Path:
    suffix = path.suffix.lower() if path.suffix.lower() in formats.WRITABLE else ".xlsx"
    return path.with_name(f"{path.stem}{ending}{suffix}")


def cmd_train(args) -> Outcome:
    source = Path(args.input)
    out = Path(args.output) if args.output else _default_output(source)
    _check_output(out, [source], args.force)
    book = formats.read(source, head=True)  # a network's first data row is all that training needs
    found = _networks(book, source, args.sheet)
    copy_of, left_out = _copied(source, out, book, args.results_only)
    names = _new_names(found, copy_of)
    runs = [Run(names[sheet.name], Layout(layout.sizes), problem, args.iterations, every=args.log_every,
                note=f"Trained by sheetnet from {source.name}, sheet {sheet.name}: {args.iterations} iterations, "
                     + _rows_note(args.iterations, args.log_every)
                     + ", from the first row's inputs, weights and targets.")
            for sheet, layout, problem in found]
    try:
        written, notes = write(out, runs, progress=True, copy_of=copy_of)
    except SheetnetError as e:
        # A trained sheet's trouble comes from IN's sheet; anything else is about OUT.
        source_sheet = {new: old for old, new in names.items()}.get(e.sheet)
        if source_sheet is not None:
            e.sheet = source_sheet
        raise e.located(file=source if source_sheet is not None else out) from None
    summaries = ", ".join(f"'{w.summary}'" for w in written if w.summary)
    lines = [report.trained(w) for w in written]
    lines.append(f"wrote {out}" + (f" (weights, outputs and cost charts on {summaries})" if summaries else ""))
    return Outcome(0, "\n".join(lines), tuple([left_out] * bool(left_out) + notes))


def _networks(book, source: Path, sheet: str | None) -> list:
    """(sheet, layout, problem) of every network in book, or of the one on sheet."""
    try:
        return networks(book, sheet)
    except SheetnetError as e:
        raise e.located(file=source, sheet=sheet) from None


def cmd_show(args) -> Outcome:
    source = Path(args.file)
    shown, names = each_network(source, args.sheet, report.Shown)
    lines = [f"{source}: {len(shown)} network{'s' * (len(shown) != 1)} (sheets: {', '.join(names)})", *shown]
    return Outcome(0, "\n".join(lines))


def _copied(source: Path, out: Path, book, results_only: bool):
    """(the book whose workbook OUT is to copy or None, a note on what OUT leaves out of IN)."""
    kind = out.suffix.lower()
    if results_only:
        return None, None
    if kind == source.suffix.lower() and kind in (".ods", ".xlsx"):
        return book, None
    sheets = f"{source.name}'s own sheets ({', '.join(s.name for s in book.sheets)})"
    if kind == ".csv":
        why = "a .csv file holds only the trained numbers"
    elif source.suffix.lower() == ".xls":
        why = "sheetnet cannot write .xls, and copies a workbook only into its own format"
    else:
        why = f"sheetnet copies a workbook only into its own format (-o NAME{source.suffix.lower()} keeps them)"
    return None, f"{sheets}, with their formatting and charts, are not copied into {out.name}: {why}; " \
                 "--results-only writes just the new sheets without this note"


def _new_names(found: list, copy_of) -> dict:
    """{sheet name: the name of its trained sheet}: its own, or, beside the copied sheets, 'NAME trained'."""
    if copy_of is None:
        return {sheet.name: sheet.name for sheet, *_ in found}
    taken, names = [s.name for s in copy_of.sheets], {}
    for sheet, *_ in found:
        names[sheet.name] = fresh_name(sheet.name, taken, " trained")
        taken.append(names[sheet.name])
    return names


def _rows_note(n: int, every: int) -> str:
    if every == 1:
        return "one per row"
    return (f"one row for every {every:,}th (iterations 1, {1 + every:,}, {1 + 2 * every:,}, ... and {n:,}), "
            "numbers only since formulas would chain rows that are not neighbours")


def cmd_verify(args) -> Outcome:
    source = Path(args.file)
    reports = verify.verify_file(source, args.sheet, verify.Tolerance(args.rtol, args.atol))
    if args.json:
        text = json.dumps(verify.document(source, reports), indent=1, ensure_ascii=False)
    else:
        text = verify.text(source, reports)
    return Outcome(0 if all(r.ok for r in reports) else 1, text)


def _tolerance(text: str) -> float:
    """A tolerance from the command line: a finite number of at least 0."""
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not (t >= 0 and math.isfinite(t)):
        raise argparse.ArgumentTypeError(f"must be a finite number of at least 0, not {text}")
    return t


def cmd_template(args) -> Outcome:
    out = Path(args.output)
    _check_output(out, [], args.force)
    sizes = tuple(args.layers)
    run = Run(args.name, Layout(sizes), problem_for(sizes, args.seed), args.iterations,
              note="Change the inputs, targets, weights or learning rate in the first data row, "
                   "then run: sheetnet train THIS_FILE -n 1000 -o trained.ods")
    [written], _ = write(out, [run])
    return Outcome(0, f"wrote {out}: a {shape(sizes)} network, {run.n} iteration(s), cost {written.first_cost:.6g}")


def cmd_sweep(args) -> Outcome:
    source = Path(args.input)
    out = Path(args.output) if args.output else _default_output(source, "_sweep")
    if out.suffix.lower() == ".csv":
        raise SheetnetError("a sweep is several sheets and a chart: write .ods or .xlsx", file=out)
    _check_output(out, [source], args.force)
    rates = list(dict.fromkeys(args.lr))  # each γ once, in the order given
    found = _networks(formats.read(source, head=True), source, args.sheet)
    if len(found) > 1:
        raise SheetnetError(f"holds {len(found)} networks (sheets {', '.join(repr(s.name) for s, *_ in found)}); "
                            "choose one with --sheet", file=source)
    [(sheet, layout, problem)] = found
    note = (f"Trained by sheetnet sweep from {source.name}, sheet {sheet.name}: {args.iterations} iterations, "
            + _rows_note(args.iterations, args.log_every) + ".")
    try:
        curves, compared = sweep.sweep(out, sheet.name, Layout(layout.sizes), problem, rates, args.iterations,
                                       args.log_every, note, progress=True)
    except SheetnetError as e:
        raise e.located(file=out) from None
    if args.json:
        return Outcome(0, json.dumps(sweep.document(curves, out, sheet.name, compared), indent=1, ensure_ascii=False))
    return Outcome(0, f"{sheet.name}: {shape(layout.sizes)} network, {args.iterations:,} iterations at "
                      f"{len(rates)} learning rates\n{sweep.table(curves)}\nwrote {out} (the comparison and "
                      f"its chart on '{compared}')")


def _learning_rate(text: str) -> float:
    """A learning rate from the command line: a finite number above 0."""
    try:
        lr = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not (lr > 0 and math.isfinite(lr)):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, not {text}")
    return lr


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
    t.add_argument("--results-only", action="store_true",
                   help="write only the new sheets; by default OUT, when in IN's format, is a copy of IN with "
                        "every sheet, chart and style kept and the trained sheets added as 'NAME trained'")
    t.add_argument("--force", action="store_true", help="replace OUT if it exists (never IN itself)")
    t.set_defaults(run=cmd_train)

    m = sub.add_parser("template", help="write a fresh workbook that train accepts",
                       description="Write a workbook holding one network in the classic layout: the original "
                                   "2-2-2 network by default, seeded random weights, inputs and targets otherwise.")
    m.add_argument("output", metavar="OUT", help="the file to write: .ods, .xlsx or .csv")
    m.add_argument("--layers", type=_positive_int, nargs="+", default=[2, 2, 2], metavar="N",
                   help="neurons per layer, inputs first (default: 2 2 2)")
    m.add_argument("--seed", type=int, help="random seed for the weights, inputs and targets")
    m.add_argument("-n", "--iterations", type=_positive_int, default=1, metavar="N",
                   help="iterations to lay out as rows (default 1: just the initial state)")
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

