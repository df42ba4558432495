#!/usr/bin/env python3
"""sheetnet against LibreOffice, pyexcel-ods3, openpyxl, a plain-Python loop and PyTorch, from one run.

    python scripts/bench.py            # every figure, the round trip at a full sheet too (about 10 minutes on 2 cores)
    python scripts/bench.py --quick    # small sizes, to check that the benchmark itself works
    python scripts/bench.py --only long api    # some sections only

Every contender runs as its own process (process start included), timed by wall clock, its
peak memory read from the kernel (os.wait4's ru_maxrss). LibreOffice recalculates with a
profile that forces recalculation on load (tests/libreoffice.py), converting ods to ods and
xlsx to xlsx. pyexcel-ods3, openpyxl and torch are optional: each is skipped, with a note,
when it is not installed (`pip install -e .[bench]`, and torch by hand); none of them is a
dependency of sheetnet.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from libreoffice import convert  # noqa: E402  (tests/libreoffice.py: recalculation forced on load)

TARGET_SPEED = 0.2  # sheetnet's time / LibreOffice's recalculation time, at most
TARGET_MEMORY_MB = 200
TARGET_VERIFY_MB = 250  # verify's peak at 100,000 rows and at the largest sheet alike
TARGET_BATCH_SECONDS = 5.0  # a batch of XOR for 10,000 epochs, written
LARGEST = 1 << 20  # rows in a sheet: the header's 7 and one per iteration

# The same math as sheetnet's (the note's), written as anyone would with plain floats: the
# original workbook's 2-2-2 network, one sample, every iteration's cost computed as the sheet does.
PLAIN_LOOP = """
import math, sys

def plain(n):
    lr = 0.5
    x0, x1 = 0.1, 0.9
    T0, T1 = 0.3, 0.4
    w100, w101, w102, w110, w111, w112 = 0.5, -0.2, 0.3, 0.2, -0.6, 0.6
    w200, w201, w202, w210, w211, w212 = 0.1, 0.5, -0.3, 0.2, 0.3, 0.5
    exp = math.exp
    for _ in range(n):
        h0 = 1 / (1 + exp(-(w100 * x0 + w101 * x1 + w102)))
        h1 = 1 / (1 + exp(-(w110 * x0 + w111 * x1 + w112)))
        o0 = 1 / (1 + exp(-(w200 * h0 + w201 * h1 + w202)))
        o1 = 1 / (1 + exp(-(w210 * h0 + w211 * h1 + w212)))
        C = 0.5 * (o0 - T0) ** 2 + 0.5 * (o1 - T1) ** 2
        d20 = (o0 - T0) * o0 * (1 - o0)
        d21 = (o1 - T1) * o1 * (1 - o1)
        d10 = h0 * (1 - h0) * (w200 * d20 + w210 * d21)
        d11 = h1 * (1 - h1) * (w201 * d20 + w211 * d21)
        w100 -= lr * d10 * x0; w101 -= lr * d10 * x1; w102 -= lr * d10
        w110 -= lr * d11 * x0; w111 -= lr * d11 * x1; w112 -= lr * d11
        w200 -= lr * d20 * h0; w201 -= lr * d20 * h1; w202 -= lr * d20
        w210 -= lr * d21 * h0; w211 -= lr * d21 * h1; w212 -= lr * d21
    return C, (w100, w101, w102, w110, w111, w112, w200, w201, w202, w210, w211, w212)

if __name__ == "__main__":
    C, W = plain(int(sys.argv[1]))
    print(C, *W)
"""

# The same numbers sheetnet writes (the data rows of the 2-2-2 network, 37 per row), written by
# another library. The rows are computed first and not timed; the child prints the writing time
# and its memory before writing, so that the library's own share of the peak is known.
OTHER_WRITER = """
import json, resource, sys, time
from sheetnet.layout import Layout
from sheetnet.math.network import train
from sheetnet.math.template import ORIGINAL_2_2_2 as P

library, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
layout = Layout(P.sizes)
rows = [layout.values(it)[layout.first_col - 1:] for it in train(P, n)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
if library == "openpyxl":
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    for row in rows:
        sheet.append(row)
    book.save(path)
else:
    from pyexcel_ods3 import save_data
    save_data(path, {"Sheet1": rows})
print(json.dumps({"seconds": time.perf_counter() - start, "rows_mb": before}))
"""


# The Python API training into a Trace, in a process of its own as the command is timed: the
# network of `sheetnet template`, n iterations keeping every K-th. The child reports the trace's
# size, so that its share of the peak is known.
API_TRAINING = """
import json, sys
import sheetnet

n, every = int(sys.argv[1]), int(sys.argv[2])
trace = sheetnet.Network.fresh().train(n, every, progress=False)
print(json.dumps({"rows": len(trace), "mb": trace.numbers.nbytes / 2**20, "last": float(trace.C[-1])}))
"""


# -- running things ------------------------------------------------------------------------------


class Result:
    def __init__(self, seconds: float, peak_mb: float | None, out: str = "", err: str = "", code: int = 0):
        self.seconds, self.peak_mb, self.out, self.err, self.code = seconds, peak_mb, out, err, code


# Python as installed anywhere keeps its modules compiled (.pyc, written by pip or at the first
# import); a machine set with PYTHONDONTWRITEBYTECODE compiles sheetnet's every module in every
# process instead, a tenth of a second that no user pays and the one-file plain loop hardly does.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list, cwd=None, check: bool = True) -> Result:
    """Run a process to its end: wall time, its own peak memory (MB), output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err, cwd=cwd, env=CHILD_ENV)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Result(seconds, usage.ru_maxrss / 1024, out.read().decode(), err.read().decode(), process.returncode)
    if check and result.code != 0:
        raise SystemExit(f"failed ({result.code}): {' '.join(map(str, cmd))}\n{result.out}{result.err}")
    return result


def sheetnet(*args, cwd=None, check=True) -> Result:
    return run([sys.executable, "-m", "sheetnet", *args], cwd=cwd, check=check)


def installed(module: str) -> bool:
    return run([sys.executable, "-c", f"import {module}"], check=False).code == 0


def libreoffice(path: Path, outdir: Path) -> float:
    """Seconds LibreOffice headless takes to load path, recalculate every formula and save it again."""
    start = time.perf_counter()
    convert(path, outdir, path.suffix.lstrip("."), recalc=True, timeout=3600)
    return time.perf_counter() - start


# -- printing -----------------------------------------------------------------------------------


class Table:
    def __init__(self):
        self.rows = []

    def add(self, what: str, n, seconds=None, peak=None, against: str = "", ok=None, note: str = ""):
        self.rows.append((what, "" if n is None else f"{n:,}", "" if seconds is None else f"{seconds:.2f} s",
                          "" if peak is None else f"{peak:.0f} MB", against, {None: "", True: "yes", False: "NO"}[ok],
                          note))
        print(f"  {what}: {self.rows[-1][2]} {self.rows[-1][3]} {against} {note}".rstrip(), flush=True)

    def print(self, markdown: bool = False):
        head = ("what", "N", "time", "peak memory", "ratio / target", "met", "note")
        print()
        if markdown:  # for the README
            for r in [head, ["---"] * len(head), *self.rows]:
                print("| " + " | ".join(str(c) for c in r) + " |")
            return
        widths = [max(len(str(r[k])) for r in self.rows + [head]) for k in range(len(head))]
        line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
        print(line(head))
        print(line(["-" * w for w in widths]))
        for r in self.rows:
            print(line(r))


def ratio(mine: float, theirs: float, target: float) -> tuple[str, bool]:
    r = mine / theirs
    return f"{r:.3f} x (<= {target:g})", r <= target


# -- the benchmark ------------------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000, help="iterations of the written workbooks (default 100,000)")
    p.add_argument("--small-n", type=int, default=10_000, help="a smaller N, to show memory flat (default 10,000)")
    p.add_argument("--long-n", type=int, default=1_000_000, help="iterations of the --log-every run (1,000,000)")
    p.add_argument("--every", type=int, default=100_000, help="its --log-every (default 100,000)")
    p.add_argument("--pyexcel-n", type=int, default=10_000,
                   help="rows for pyexcel-ods3, which needs minutes and gigabytes at 100,000 (default 10,000)")
    p.add_argument("--wide-n", type=int, default=2_000, help="iterations of the 64-64-64 comparison (default 2,000)")
    p.add_argument("--largest-n", type=int, default=LARGEST - 7,
                   help=f"iterations of the round trip at the largest size (default {LARGEST - 7:,}: a full sheet)")
    p.add_argument("--batch-n", type=int, default=10_000, help="epochs of the --batch workbook (default 10,000)")
    p.add_argument("--quick", action="store_true", help="small sizes everywhere: a smoke test of the benchmark")
    p.add_argument("--only", nargs="+", choices=list(SECTIONS), metavar="SECTION",
                   help=f"run only these sections, in their order ({', '.join(SECTIONS)}; verify needs writing, "
                        "round-trip needs verify, api needs long)")
    p.add_argument("--keep", metavar="DIR", help="write the files into DIR and keep them")
    p.add_argument("--markdown", action="store_true", help="also print the table in Markdown, for the README")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.small_n, args.long_n, args.every, args.pyexcel_n, args.wide_n = 3_000, 300, 50_000, 5_000, 300, 50
        args.largest_n, args.batch_n = 20_000, 1_000

    print(f"sheetnet benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"N = {args.n:,} (and {args.small_n:,}); log-every run {args.long_n:,} / {args.every:,}; "
          f"pyexcel-ods3 {args.pyexcel_n:,} rows; 64-64-64: {args.wide_n:,} iterations", flush=True)
    with tempfile.TemporaryDirectory(prefix="sheetnet-bench-") as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        table = Table()
        if args.only:
            sheetnet("template", folder / "net.ods", "--force")
        for name, section in SECTIONS.items():
            if not args.only or name in args.only:
                section(folder, args, table)
        table.print()
        if args.markdown:
            table.print(markdown=True)
    return 0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def bench_writing(folder: Path, args, table: Table) -> None:
    print("\n[1] train + write with formulas and cached values, against LibreOffice recalculating the same file")
    sheetnet("template", folder / "net.ods", "--force")
    folder.joinpath("libreoffice").mkdir(exist_ok=True)
    for suffix in (".ods", ".xlsx"):
        peaks = {}
        for n in (args.small_n, args.n):
            out = folder / f"trained_{n}{suffix}"
            r = sheetnet("train", folder / "net.ods", "-n", n, "-o", out, "--force")
            peaks[n] = r.peak_mb
            if n == args.n:
                lo = libreoffice(out, folder / "libreoffice")
                against, met = ratio(r.seconds, lo, TARGET_SPEED)
                table.add(f"sheetnet train+write {suffix}", n, r.seconds, r.peak_mb, against + " of LibreOffice", met)
                table.add(f"LibreOffice recalculate {suffix}->{suffix}", n, lo)
            else:
                table.add(f"sheetnet train+write {suffix}", n, r.seconds, r.peak_mb)
        small, large = peaks[args.small_n], peaks[args.n]
        table.add(f"sheetnet peak memory {suffix}", None, None, large,
                  f"{large:.0f} MB at {args.n:,} vs {small:.0f} MB at {args.small_n:,} (<= {TARGET_MEMORY_MB} MB, flat)",
                  large <= TARGET_MEMORY_MB and large <= small * 1.2 + 5)

    for library, n, suffix in (("openpyxl", args.n, ".xlsx"), ("pyexcel_ods3", args.pyexcel_n, ".ods")):
        if not installed(library):
            table.add(f"{library} write (values only)", n, note=f"skipped: {library} is not installed "
                                                                 f"(pip install {library.replace('_', '-')})")
            continue
        r = run([sys.executable, "-c", OTHER_WRITER, library, n, folder / f"{library}_{n}{suffix}"])
        child = json.loads(r.out)
        table.add(f"{library} write (values only)", n, child["seconds"], r.peak_mb,
                  note=f"writing alone; {child['rows_mb']:.0f} MB of the peak is the process with the rows in memory")


def bench_verify(folder: Path, args, table: Table) -> None:
    print("\n[2] sheetnet verify, against LibreOffice recalculating the same file")
    for suffix in (".ods", ".xlsx"):
        path = folder / f"trained_{args.n}{suffix}"
        lo = next(float(r[2].split()[0]) for r in table.rows if r[0] == f"LibreOffice recalculate {suffix}->{suffix}")
        r = sheetnet("verify", path, check=False)
        against, met = ratio(r.seconds, lo, TARGET_SPEED)
        table.add(f"sheetnet verify {suffix}", args.n, r.seconds, r.peak_mb, against + " of LibreOffice",
                  met and r.code == 0 and r.peak_mb <= TARGET_VERIFY_MB, _failed(r))
    # The same .xlsx as people spell it (issue 12): activations by SUMPRODUCT, the cost by SUMXMY2,
    # which the formulas package evaluates; against LibreOffice recalculating that file.
    path = spelled(folder / f"trained_{args.n}.xlsx", folder / f"spelled_{args.n}.xlsx")
    lo = libreoffice(path, folder / "libreoffice")
    r = sheetnet("verify", path, check=False)
    against, met = ratio(r.seconds, lo, TARGET_SPEED)
    table.add("sheetnet verify .xlsx, SUMPRODUCT spelling", args.n, r.seconds, r.peak_mb,
              against + " of LibreOffice", met and r.code == 0 and r.peak_mb <= TARGET_VERIFY_MB, _failed(r))
    table.add("LibreOffice recalculate .xlsx->.xlsx, SUMPRODUCT spelling", args.n, lo)


# A 2-2-2 sheet's layer-1 activations and cost, as sheetnet writes them in .xlsx, and respelled.
SPELLINGS = [
    (re.compile(rb"<f>1/\(1\+EXP\(-\(C(\d+)\*([EH])\1\+D\1\*([FI])\1\+([GJ])\1\)\)\)</f>"),
     lambda m: b"<f>1/(1+EXP(-SUMPRODUCT(C%s:D%s,%s%s:%s%s)-%s%s))</f>" % (
         m[1], m[1], m[2], m[1], m[3], m[1], m[4], m[1])),
    (re.compile(rb"<f>0\.5\*\(U(\d+)-Y\1\)\^2\+0\.5\*\(V\1-Z\1\)\^2</f>"),
     lambda m: b"<f>SUMXMY2(U%s:V%s,Y%s:Z%s)/2</f>" % (m[1], m[1], m[1], m[1])),
]


def spelled(source: Path, out: Path) -> Path:
    """A copy of a 2-2-2 .xlsx sheetnet wrote, its first sheet's activations of layer 1 written
    with SUMPRODUCT and its cost with SUMXMY2, the cached values kept. The sheet streams through
    a few megabytes at a time: this process's memory is where each child's peak starts (Linux
    keeps a process's high-water mark across fork and exec)."""
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            with z.open(info) as part, w.open(info.filename, "w", force_zip64=True) as copy:
                left, found = b"", 0
                while chunk := part.read(1 << 22):
                    text = left + chunk
                    cut = text.rfind(b"</c>") + 4 if info.filename == "xl/worksheets/sheet1.xml" else len(text)
                    text, left = text[:cut], text[cut:]
                    if info.filename == "xl/worksheets/sheet1.xml":
                        for pattern, spelling in SPELLINGS:
                            text, count = pattern.subn(spelling, text)
                            found += count
                    copy.write(text)
                copy.write(left)
                assert found or info.filename != "xl/worksheets/sheet1.xml", f"no formula to respell in {source}"
    return out


def _failed(r: Result) -> str:
    return "" if r.code == 0 else f"exit {r.code}: {(r.out + r.err).strip()[-200:]}"


def bench_round_trip(folder: Path, args, table: Table) -> None:
    """The largest sheet sheetnet writes, read back: verify with memory as flat as at 100,000
    rows, and train on it (which needs only its first rows)."""
    n = args.largest_n
    print(f"\n[5] round trip at the largest size: {n:,} iterations ({n + 7:,} rows) written, verified, trained on")
    small = {suffix: next(float(r[3].split()[0]) for r in table.rows if r[0] == f"sheetnet verify {suffix}")
             for suffix in (".ods", ".xlsx")}
    for suffix in (".ods", ".xlsx"):
        path = folder / f"largest{suffix}"
        r = sheetnet("train", folder / "net.ods", "-n", n, "-o", path, "--force", "--results-only")
        table.add(f"sheetnet train+write {suffix}", n, r.seconds, r.peak_mb,
                  note=f"{path.stat().st_size / 1e9:.2f} GB file, {_part_size(path) / 1e9:.1f} GB of XML in its sheet")
        r = sheetnet("verify", path, check=False)
        table.add(f"sheetnet verify {suffix}", n, r.seconds, r.peak_mb,
                  f"{r.peak_mb:.0f} MB vs {small[suffix]:.0f} MB at {args.n:,} (<= {TARGET_VERIFY_MB} MB)",
                  r.code == 0 and r.peak_mb <= TARGET_VERIFY_MB, _failed(r))
        r = sheetnet("train", path, "-n", 10, "-o", folder / f"again{suffix}", "--force", "--results-only", check=False)
        table.add(f"sheetnet train from it {suffix}", 10, r.seconds, r.peak_mb, ok=r.code == 0, note=_failed(r))
        path.unlink()


def _part_size(path: Path) -> int:
    """The inflated size of a workbook's largest part (its network sheet)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        return max(info.file_size for info in z.infolist())


def bench_long(folder: Path, args, table: Table) -> None:
    print(f"\n[3] {args.long_n:,} iterations with --log-every {args.every:,}, against a plain-Python loop "
          "(each a process of its own, start included)")
    r = sheetnet("train", folder / "net.ods", "-n", args.long_n, "--log-every", args.every,
                 "-o", folder / "long.ods", "--force")
    plain = run([sys.executable, "-c", PLAIN_LOOP, args.long_n])
    against, met = ratio(r.seconds, plain.seconds, 1.0)
    table.add(f"sheetnet train --log-every {args.every:,}", args.long_n, r.seconds, r.peak_mb,
              against + " of the plain loop", met)
    table.add("plain-Python float loop", args.long_n, plain.seconds, plain.peak_mb)

    # Per iteration, inside one process: the compiled float path against the plain loop.
    from sheetnet.math.network import FloatPath
    from sheetnet.math.template import ORIGINAL_2_2_2

    namespace = {"__name__": "bench"}
    exec(PLAIN_LOOP, namespace)
    m = max(args.long_n // 4, 1000)
    start = time.perf_counter()
    namespace["plain"](m)
    plain_us = (time.perf_counter() - start) / m * 1e6
    path = FloatPath(ORIGINAL_2_2_2)  # compiles the float code; the plain loop's compilation is not timed either
    start = time.perf_counter()
    path.advance(ORIGINAL_2_2_2.network.W, m)
    mine_us = (time.perf_counter() - start) / m * 1e6
    against, met = ratio(mine_us, plain_us, 1.0)
    table.add("2-2-2 per iteration, sheetnet", m, note=f"{mine_us:.2f} us vs plain loop {plain_us:.2f} us",
              against=against, ok=met)


def bench_api(folder: Path, args, table: Table) -> None:
    """The API's training into a Trace: a long one keeping every 1,000th iteration against the
    command's --log-every run above, and a full trace of N iterations, whose memory is its arrays'."""
    print("\n[6] the Python API: Network.train into a Trace (each a process of its own, start included)")
    every = 1000
    command = next(r for r in table.rows if r[0] == f"sheetnet train --log-every {args.every:,}")
    r = run([sys.executable, "-c", API_TRAINING, args.long_n, every])
    against, met = ratio(r.seconds, float(command[2].split()[0]), 1.0)
    table.add(f"API train, every={every:,}", args.long_n, r.seconds, r.peak_mb,
              against + f" of train --log-every {args.every:,}", met,
              f"{json.loads(r.out)['rows']:,} rows kept")
    base = run([sys.executable, "-c", "import sheetnet"])
    r = run([sys.executable, "-c", API_TRAINING, args.n, 1])
    trace_mb = json.loads(r.out)["mb"]
    grown = r.peak_mb - base.peak_mb
    table.add("API train, full trace", args.n, r.seconds, r.peak_mb,
              f"{grown:.0f} MB over importing sheetnet (<= 1.5 x the trace's {trace_mb:.0f} MB of arrays)",
              grown <= 1.5 * trace_mb, f"import sheetnet alone: {base.peak_mb:.0f} MB")


def bench_wide(folder: Path, args, table: Table) -> None:
    print("\n[4] a 64-64-64 network, float64: sheetnet (numpy) against a PyTorch loop of the same math")
    import numpy as np

    from sheetnet.math.network import train
    from sheetnet.math.template import random_problem

    problem = random_problem((64, 64, 64), seed=1)
    m = args.wide_n
    start = time.perf_counter()
    *_, last = train(problem, m + 1, every=m)  # m updates, only the first and last iteration kept
    mine = (time.perf_counter() - start) / m * 1e6
    table.add("64-64-64 per iteration, sheetnet (numpy)", m, note=f"{mine:.1f} us")
    try:
        import torch
    except ImportError:
        table.add("64-64-64 per iteration, PyTorch", m, note="skipped: torch is not installed (pip install torch)")
        return
    W1, W2 = (torch.tensor(w, dtype=torch.float64) for w in problem.network.W[1:])
    x, T = torch.tensor(problem.inputs, dtype=torch.float64), torch.tensor(problem.T, dtype=torch.float64)
    one, lr = torch.ones(1, dtype=torch.float64), problem.network.lr
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(m):
            A0 = torch.cat((x, one))
            a1 = torch.sigmoid(W1 @ A0)
            A1 = torch.cat((a1, one))
            a2 = torch.sigmoid(W2 @ A1)
            d2 = (a2 - T) * a2 * (1 - a2)
            d1 = a1 * (1 - a1) * (W2[:, :-1].T @ d2)
            W1 = W1 - lr * torch.outer(d1, A0)
            W2 = W2 - lr * torch.outer(d2, A1)
    theirs = (time.perf_counter() - start) / m * 1e6
    gap = max(float(np.max(np.abs(W.numpy() - w))) for W, w in zip((W1, W2), last.W[1:]))
    against, met = ratio(mine, theirs, 1.0)
    table.add("64-64-64 per iteration, PyTorch (float64)", m, against=f"sheetnet/torch {against}", ok=met,
              note=f"{theirs:.1f} us, torch {torch.__version__}, {torch.get_num_threads()} threads; "
                   f"weights agree to {gap:.1e}")


# A single-sample 2-2-1 network whose numbers keep changing in every digit, as XOR's do: the
# template's, at a learning rate too small for it to converge within the rows written.
SLOW_SINGLE = """
import sys
import sheetnet
one = sheetnet.Network.fresh((2, 2, 1), seed=1)
sheetnet.write(sys.argv[1], sheetnet.Network(one.W, one.inputs, one.T, lr=1e-4), 1, progress=False)
"""


def bench_online(folder: Path, args, table: Table) -> None:
    """Online training on XOR's four samples, one per row (the Sample and Epoch C columns, inputs
    and targets referring to the data sheet), against the same 2-2-1 network on one sample: the
    template's, which converges within a few thousand rows (its rows then repeat the same digits,
    which deflate several times faster), and one at γ = 0.0001, whose numbers keep changing as
    XOR's do (a file of the same size). Each time is the fastest of ONLINE_RUNS runs."""
    print("\n[7] online training on a dataset: a 2-2-1 network on XOR, against the same network on one sample")
    sheetnet("template", folder / "xor.ods", "--data", "xor", "--layers", "2", "2", "1", "--force")
    sheetnet("template", folder / "one.ods", "--layers", "2", "2", "1", "--seed", "1", "--force")
    run([sys.executable, "-c", SLOW_SINGLE, folder / "slow.ods"])
    for suffix in (".ods", ".xlsx"):
        timed = {}
        # A ratio of two times of a few seconds: each the fastest of ONLINE_RUNS, taken in turn, so
        # that another program's moment on the machine does not decide it.
        for _ in range(ONLINE_RUNS):
            for name in ("one", "slow", "xor"):
                out = folder / f"{name}_trained{suffix}"
                result = sheetnet("train", folder / f"{name}.ods", "-n", args.n, "-o", out, "--force")
                if name not in timed or result.seconds < timed[name].seconds:
                    timed[name] = result
                timed[name].mb = out.stat().st_size / 1e6
        single, slow, online = timed["one"], timed["slow"], timed["xor"]
        table.add(f"sheetnet train+write {suffix}, one sample", args.n, single.seconds, single.peak_mb,
                  note=f"{single.mb:.0f} MB file")
        table.add(f"sheetnet train+write {suffix}, one sample, γ 0.0001", args.n, slow.seconds, slow.peak_mb,
                  note=f"{slow.mb:.0f} MB file")
        against, met = ratio(online.seconds, single.seconds, TARGET_ONLINE)
        against_slow, _ = ratio(online.seconds, slow.seconds, TARGET_ONLINE)
        table.add(f"sheetnet train+write {suffix}, XOR online", args.n, online.seconds, online.peak_mb,
                  against + " of one sample", met, f"{online.mb:.0f} MB file; {against_slow.split(' (')[0]} of one "
                                                   "sample at γ 0.0001")


TARGET_ONLINE = 1.2  # online training's time / the same network's on one sample, at most
ONLINE_RUNS = 3

def bench_batch(folder: Path, args, table: Table) -> None:
    """A batch sheet of XOR (2-2-1, four samples, 95 columns): written, verified, and recalculated
    by LibreOffice; its writing is to take a few seconds."""
    print("\n[8] --batch: a 2-2-1 network on XOR, one row per epoch (95 columns)")
    n = args.batch_n
    for suffix in (".ods", ".xlsx"):
        out = folder / f"batch_{n}{suffix}"
        r = sheetnet("template", out, "--data", "xor", "--batch", "--seed", "1", "-n", n, "--force")
        table.add(f"sheetnet template --batch {suffix}", n, r.seconds, r.peak_mb,
                  f"<= {TARGET_BATCH_SECONDS:g} s", r.seconds <= TARGET_BATCH_SECONDS)
        lo = libreoffice(out, folder / "libreoffice")
        verified = sheetnet("verify", out, check=False)
        against, met = ratio(verified.seconds, lo, 1.0)
        table.add(f"sheetnet verify --batch {suffix}", n, verified.seconds, verified.peak_mb,
                  against + " of LibreOffice", met and verified.code == 0, _failed(verified))
        table.add(f"LibreOffice recalculate --batch {suffix}->{suffix}", n, lo)


SECTIONS = {"writing": bench_writing, "verify": bench_verify, "long": bench_long, "wide": bench_wide,
            "round-trip": bench_round_trip, "api": bench_api, "online": bench_online, "batch": bench_batch}

if __name__ == "__main__":
    if not shutil.which("soffice") and not shutil.which("libreoffice"):
        raise SystemExit("LibreOffice (soffice) is needed: apt-get install -y libreoffice-calc-nogui")
    sys.exit(main())
