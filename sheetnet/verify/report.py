"""What verifying a network found: the tolerance, the faults, the report as text and as JSON."""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field

import numpy as np

from ..grid import counted, ordinal
from ..math.network import shape

# numpy.isclose's test, |found − expected| ≤ atol + rtol·|expected|. LibreOffice stores 15
# significant digits (rtol) and snaps a difference of two numbers that agree to about 15
# digits to 0, where IEEE arithmetic leaves some 1e-17 (atol): LAYOUT.md.
RTOL = 1e-12
ATOL = 1e-15


def deviation(found, expected):
    """|a − b| / max(1, |a|, |b|), elementwise; inf where either is not a finite number."""
    found, expected = np.broadcast_arrays(np.asarray(found, dtype=float), np.asarray(expected, dtype=float))
    with np.errstate(all="ignore"):
        d = np.abs(found - expected) / np.maximum(np.maximum(np.abs(found), np.abs(expected)), 1.0)
    d[~(np.isfinite(found) & np.isfinite(expected))] = np.inf
    return d


@dataclass(frozen=True)
class Tolerance:
    """numpy.isclose's tolerance: found agrees with expected when |found − expected| ≤ atol + rtol·|expected|."""

    rtol: float = RTOL
    atol: float = ATOL

    def excess(self, found, expected) -> np.ndarray:
        """|found − expected| / (atol + rtol·|expected|), elementwise: at most 1 where they agree;
        0 where they are equal, inf where either is not a finite number (and they differ)."""
        found, expected = np.atleast_1d(np.asarray(found, dtype=float), np.asarray(expected, dtype=float))
        found, expected = np.broadcast_arrays(found, expected)
        with np.errstate(all="ignore"):
            out = np.abs(found - expected) / (self.atol + self.rtol * np.abs(expected))
        out[~(np.isfinite(found) & np.isfinite(expected))] = np.inf
        out[(found == expected) | (np.isnan(found) & np.isnan(expected))] = 0.0
        return out

    def close(self, found, expected) -> np.ndarray:
        return self.excess(found, expected) <= 1.0

    def describe(self) -> str:
        return f"rtol {self.rtol:g}, atol {self.atol:g}: |a − b| ≤ atol + rtol·|b|"


@dataclass
class Fault:
    """One failing cell, or a run of cells down one column failing the same way."""

    cell: str  # 'D9', or 'D10:D200' for a run
    what: str  # 'w00 of layer 1, iteration 2'
    problem: str
    expected: float | None = None  # the recomputation's value (first cell of a run)
    found: object = None  # the cached value
    formula: str | None = None
    expected_formula: str | None = None
    refers_to: list = field(default_factory=list)  # [{'cell', 'value', 'what'}] of the formula's cells
    count: int = 1

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Note:
    """Cells down one column that pass with something to say: a formula not checked (and why),
    or one right in its own row that would not be right filled down."""

    cell: str  # 'K8', or 'K8:K1002' for the cells from the first to the last
    what: str
    formula: str | None
    message: str
    count: int = 1  # the cells, when they are not all of cell's range

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Quantity:
    name: str  # 'a(1)', 'δ(2)', 'W(1)', 'C', ...
    largest: float  # |found − expected| at the cell that comes nearest to failing (or fails most)
    relative: float  # the same difference relative to |expected|
    cell: str | None  # where it is
    excess: float = field(default=0.0, repr=False)  # its difference over the tolerance there


@dataclass
class Report:
    """What verifying one network found."""

    sheet: str
    sizes: tuple
    iterations: int  # how many: the sheet shows iterations first_iteration to first_iteration + iterations - 1
    every: int  # rows show iterations first, first + every, ... and the last (sheetnet train --log-every)
    first_row: int
    last_row: int
    learning_rate: float
    learning_rate_cell: str
    tolerance: Tolerance
    formulas: int  # formula cells in the network's columns
    uncached: int  # of those, the ones the file held without a cached value: computed here
    not_checked: int  # of those, the ones whose formula cannot be evaluated (their numbers are compared)
    quantities: list
    failing: int  # cells that fail in any way
    value_faults: int  # cells whose number differs from the recomputation
    formula_faults: int  # cells whose formula is wrong or missing
    first: Fault | None
    faults: list  # formula faults and local number faults, in runs
    unchecked: list = field(default_factory=list)  # Notes of the cells whose formula is not checked, in runs
    warnings: list = field(default_factory=list)  # Notes of formulas right in their row, wrong filled down
    first_iteration: int = 1  # the first row's, as the sheet numbers them (a resumed sheet's go on)

    @property
    def last_iteration(self) -> int:
        return self.first_iteration + self.iterations - 1

    @property
    def ok(self) -> bool:
        return self.failing == 0

    @property
    def shape(self) -> str:
        return shape(self.sizes)

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet, "ok": self.ok, "shape": self.shape, "sizes": list(self.sizes),
            "iterations": self.iterations, "first_iteration": self.first_iteration,
            "last_iteration": self.last_iteration, "every": self.every, "rows": [self.first_row, self.last_row],
            "learning_rate": {"cell": self.learning_rate_cell, "value": self.learning_rate},
            "tolerance": {"rtol": self.tolerance.rtol, "atol": self.tolerance.atol},
            "formulas": self.formulas, "holds_formulas": self.formulas > 0,
            "uncached_formulas": self.uncached, "cached_values": self.uncached == 0,
            "not_checked": self.not_checked, "not_checked_cells": [n.as_dict() for n in self.unchecked],
            "warnings": [n.as_dict() for n in self.warnings],
            "quantities": [{"name": q.name, "largest": q.largest, "relative": q.relative, "cell": q.cell}
                           for q in self.quantities],
            "failing_cells": self.failing, "value_faults": self.value_faults, "formula_faults": self.formula_faults,
            "first_failure": self.first.as_dict() if self.first else None,
            "faults": [f.as_dict() for f in self.faults],
        }

    def text(self, most: int = 12) -> str:
        rows = "" if self.every == 1 else f", one row for every {ordinal(self.every)} and the last one"
        iterations = counted(self.iterations, "iteration") if self.first_iteration == 1 else \
            f"iterations {self.first_iteration:,} to {self.last_iteration:,}"
        lines = [f"sheet {self.sheet!r}: {self.shape} network, {iterations} (rows "
                 f"{self.first_row}-{self.last_row}{rows}), learning rate {self.learning_rate:g} in "
                 f"{self.learning_rate_cell}: " + ("OK" if self.ok else "FAILS")]
        if not self.formulas:
            lines.append("  the sheet holds no formulas (a values-only file): checked by its numbers only")
        if self.uncached:
            lines.append(f"  the file carried no cached values for {self.uncached:,} of its {self.formulas:,} formulas "
                         "(saved without calculating): sheetnet computed them from the first row on")
        if self.not_checked:
            lines.append(f"  {self.not_checked:,} of its {self.formulas:,} formulas not checked (verify cannot evaluate "
                         "them; their numbers are compared with the recomputation):")
            lines += [f"    {_cells(n)}, {n.what}: {n.formula}: {n.message}" for n in self.unchecked[:most]]
            if len(self.unchecked) > most:
                lines.append(f"    ... and {len(self.unchecked) - most:,} more (see --json)")
        lines.append(f"  largest deviation from the recomputation (tolerance {self.tolerance.describe()}):")
        for q in self.quantities:
            where = f" (relative {q.relative:.3g}) at {q.cell}" if q.cell and q.largest > 0 else ""
            lines.append(f"    {q.name:<9} {q.largest:.3g}{where}")
        if self.first is not None:
            f = self.first
            lines.append(f"  first failing cell: {f.cell}, {f.what}")
            expected, found = numbers(f.expected, f.found)
            if expected == found and isinstance(f.found, float):
                lines.append(f"    expected {expected} (the recomputation), found the same number: it is the formula "
                             "that differs")
            else:
                lines.append(f"    expected {expected} (the recomputation), found {found}")
            if f.formula is not None:
                lines.append(f"    formula: {f.formula}")
            lines.append(f"    {f.problem}")
            if f.expected_formula and f.expected_formula != f.formula:
                lines.append(f"    the note's formula here: {f.expected_formula}")
            if f.refers_to:
                lines.append("    it refers to " + ", ".join(f"{r['cell']} = {number(r['value'])}"
                                                         + (f" ({r['what']})" if r["what"] else "")
                                                         for r in f.refers_to))
        if self.faults:
            lines.append("  faults, down each column:")
            for f in self.faults[:most]:
                formula = f": {f.formula}" if f.formula else ""
                cells = f"{f.cell} ({f.count:,} cells)" if f.count > 1 else f.cell
                lines.append(f"    {cells}, {f.what}{formula}: {f.problem}")
            if len(self.faults) > most:
                lines.append(f"    ... and {len(self.faults) - most:,} more (see --json)")
        if self.warnings:
            lines.append("  warnings (these cells pass):")
            lines += [f"    {_cells(n)}, {n.what}: {n.formula}: {n.message}" for n in self.warnings[:most]]
            if len(self.warnings) > most:
                lines.append(f"    ... and {len(self.warnings) - most:,} more (see --json)")
        if not self.ok:
            fail = "fails" if self.failing == 1 else "fail"
            lines.append(f"  {counted(self.failing, 'cell')} {fail}: {self.formula_faults:,} with a wrong or missing "
                         f"formula, {self.value_faults:,} whose number differs from the recomputation")
        return "\n".join(lines)


def number(x) -> str:
    """A number as a report prints it: 15 significant digits, 'empty' for None, text quoted."""
    if x is None:
        return "empty"
    if isinstance(x, str):
        return repr(x)
    return "inf" if x == math.inf else f"{x:.15g}"


def _cells(note: Note) -> str:
    if note.count == 1:
        return note.cell
    return f"{note.cell} ({note.count:,} cells)" if ":" in note.cell else f"{note.cell} and {note.count - 1:,} more"


def numbers(expected, found) -> tuple[str, str]:
    """Two numbers as text with as many digits as it takes to tell them apart (up to 17)."""
    if not isinstance(expected, float) or not isinstance(found, float) or expected == found:
        return number(expected), number(found)
    for digits in range(15, 18):
        a, b = f"{expected:.{digits}g}", f"{found:.{digits}g}"
        if a != b:
            return a, b
    return repr(expected), repr(found)


def document(path, reports: list) -> dict:
    """The reports of a workbook as one JSON-ready document (non-finite numbers become null)."""
    return _finite({"file": str(path), "ok": all(r.ok for r in reports),
                    "not_checked": sum(r.not_checked for r in reports), "networks": [r.as_dict() for r in reports]})


def text(path, reports: list, explain: bool = True) -> str:
    """The reports of a workbook as text, one block per network; with explain, the command that
    explains a failing network's first failing cell."""
    failing = [r.sheet for r in reports if not r.ok]
    verdict = "every network verifies" if not failing else "fails: " + ", ".join(map(repr, failing))
    unchecked = sum(r.not_checked for r in reports)
    if unchecked:
        verdict += f" ({unchecked:,} formula{'s' if unchecked > 1 else ''} not checked)"
    return "\n".join([f"{path}: {verdict}"] + [r.text() + (_explain(path, r) if explain else "") for r in reports])


def _explain(path, report: Report) -> str:
    """For a network that fails, a line with the command that explains its first failing cell."""
    command = ["sheetnet", "explain", str(path), report.first.cell, "--sheet", report.sheet] if not report.ok else []
    return "\n  explain the first failing cell: " + shlex.join(command) if command else ""


def _finite(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x
