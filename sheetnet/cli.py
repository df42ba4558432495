"""The `sheetnet` command: train, template."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import formats
from .errors import SheetnetError
from .layout import Layout, networks
from .output import Run, write
from .template import problem_for


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, exit 2, as for every other bad input.
        raise SheetnetError(message)


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def _shape(n: int) -> str:
    return "-".join(map(str, n))


def _check_output(out: Path, inputs: list, force: bool) -> None:
    for source in inputs:
        if source.exists() and out.exists() and os.path.samefile(out, source):
            raise SheetnetError("is the input file; sheetnet never overwrites its input", file=out)
    if out.is_dir():
        raise SheetnetError("is a folder; give a file name", file=out)
    if out.exists() and not force:
        raise SheetnetError("exists; use --force to replace it", file=out)
    formats.suffix_of(out, formats.WRITABLE)


def _default_output(path: Path) -> Path:
    suffix = path.suffix.lower() if path.suffix.lower() in formats.WRITABLE else ".xlsx"
    return path.with_name(f"{path.stem}_trained{suffix}")


def cmd_train(args) -> int:
    source = Path(args.input)
    out = Path(args.output) if args.output else _default_output(source)
    _check_output(out, [source], args.force)
    book = formats.read(source)
    try:
        found = [(s, *rest) for s, *rest in networks(book) if args.sheet is None or s.name == args.sheet]
        if args.sheet is not None and not found:
            book.sheet(args.sheet)  # says whether the sheet is missing
            raise SheetnetError("holds no network (no 'Learning rate' label)", sheet=args.sheet)
    except SheetnetError as e:
        raise e.located(file=source) from None
    runs = [Run(sheet.name, Layout(layout.sizes), problem, args.iterations,
                note=f"Trained by sheetnet from {source.name}, sheet {sheet.name}: {args.iterations} iterations, "
                     "one per row, from the first row's inputs, weights and targets.")
            for sheet, layout, problem in found]
    write(out, runs)
    for run in runs:
        print(f"{run.name}: {_shape(run.layout.sizes)} network, {run.n} iterations, learning rate "
              f"{run.problem.network.lr:g}, cost {run.first_cost:.6g} -> {run.last_cost:.6g}")
    print(f"wrote {out}")
    return 0


def cmd_template(args) -> int:
    out = Path(args.output)
    _check_output(out, [], args.force)
    sizes = tuple(args.layers)
    run = Run(args.name, Layout(sizes), problem_for(sizes, args.seed), args.iterations,
              note="Change the inputs, targets, weights or learning rate in the first data row, "
                   "then run: sheetnet train THIS_FILE -n 1000 -o trained.ods")
    write(out, [run])
    print(f"wrote {out}: a {_shape(sizes)} network, {run.n} iteration(s), cost {run.first_cost:.6g}")
    return 0


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
    t.add_argument("--sheet", metavar="NAME", help="train only the network on this sheet (default: every one)")
    t.add_argument("--force", action="store_true", help="replace OUT if it exists")
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
    m.add_argument("--name", default="Sheet1", help="the sheet's name (default Sheet1)")
    m.add_argument("--force", action="store_true", help="replace OUT if it exists")
    m.set_defaults(run=cmd_template)
    return p


def main(argv=None) -> int:
    try:
        args = parser().parse_args(argv)
        return args.run(args)
    except SheetnetError as e:
        print(f"sheetnet: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sheetnet: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
