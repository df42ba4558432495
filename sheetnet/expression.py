"""Formulas as data: a small immutable tree that each workbook syntax renders its own way.

The layout, the check sheet and the summary build the formulas they write as trees of
:class:`Ref` (a cell, maybe on another sheet), :class:`Range`, :class:`Number`, :class:`Text`,
:class:`Binary`, :class:`Negate` and :class:`Call` nodes. Python's arithmetic operators build
them (``1 - a``, ``a * b``, ``x ** 2`` for ``x^2``, ``-z``), plain numbers becoming Numbers.

A row of a Ref is either a row number or, with ``relative=True``, an offset from the row of the
cell that holds the formula, so one tree serves every data row. A tree renders as

- :meth:`Node.text`: the formula in a given row, in the package's neutral syntax (Excel A1
  without '=', what :mod:`sheetnet.formula` parses and what an .xlsx ``<f>`` holds) or in
  OpenFormula (``of:=[.C8]*[.E8]``, what an .ods ``table:formula`` holds);
- :meth:`Node.pieces`: the same text with each relative row left open, as literal texts and
  row offsets, for the writers that compile a row shape once and fill in the row numbers.

Sheet names and strings are quoted by the renderers, never passed through a format string.
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass

from .grid import column_letters

# Binding strength: comparisons bind loosest, then & ... ^, then the prefix minus (Excel's order,
# and OpenFormula's); what binds tighter than any operator (a cell, a call, a number) is ATOM.
_PRECEDENCE = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
_NEGATE, _ATOM = 6, 7


@dataclass(frozen=True)
class Syntax:
    """How one workbook syntax writes formulas."""

    name: str
    prefix: str  # before the formula: 'of:=' in OpenFormula
    separator: str  # between a function's arguments

    def sheet(self, name: str) -> str:
        """A sheet name as a reference writes it: quoted ('it''s'), and in OpenFormula absolute."""
        return "$" + quoted(name) if self is OPENFORMULA else quoted(name)


def quoted(name: str) -> str:
    """A sheet name quoted as formulas and chart ranges of either format write it: 'it''s'."""
    return "'" + name.replace("'", "''") + "'"


NEUTRAL = Syntax("neutral", "", ",")  # Excel A1 without '=': also the text of an .xlsx <f>
OPENFORMULA = Syntax("OpenFormula", "of:=", ";")


class Node:
    """A formula or a part of one."""

    precedence = _ATOM

    def text(self, row: int, syntax: Syntax = NEUTRAL) -> str:
        """The formula as it stands in a cell of row `row`."""
        return fill(self.pieces(syntax), row)

    def pieces(self, syntax: Syntax = NEUTRAL) -> tuple:
        """The formula's text as literal strings and, where a relative row stands, its offset (an
        int) from the formula's row; adjacent literals are joined."""
        out = [syntax.prefix]
        self._render(syntax, out)
        joined = []
        for p in out:
            if isinstance(p, str) and joined and isinstance(joined[-1], str):
                joined[-1] += p
            elif p != "":
                joined.append(p)
        return tuple(joined)

    def _render(self, syntax: Syntax, out: list) -> None:
        raise NotImplementedError

    # -- building trees with Python's operators -------------------------------------------

    def __add__(self, other):
        return Binary("+", self, _node(other))

    def __radd__(self, other):
        return Binary("+", _node(other), self)

    def __sub__(self, other):
        return Binary("-", self, _node(other))

    def __rsub__(self, other):
        return Binary("-", _node(other), self)

    def __mul__(self, other):
        return Binary("*", self, _node(other))

    def __rmul__(self, other):
        return Binary("*", _node(other), self)

    def __truediv__(self, other):
        return Binary("/", self, _node(other))

    def __rtruediv__(self, other):
        return Binary("/", _node(other), self)

    def __pow__(self, other):
        return Binary("^", self, _node(other))

    def __rpow__(self, other):
        return Binary("^", _node(other), self)

    def __neg__(self):
        return Negate(self)


def _node(x) -> Node:
    if isinstance(x, Node):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Number(x)
    raise TypeError(f"not a formula: {x!r}")


@dataclass(frozen=True, eq=True)
class Ref(Node):
    """A cell: column number col; row a row number or, when relative, an offset from the
    formula's row; fixed_col and fixed_row write '$'; sheet: another sheet's name."""

    col: int
    row: int
    relative: bool = False
    fixed_col: bool = False
    fixed_row: bool = False
    sheet: str | None = None

    def __post_init__(self):
        if self.col < 1 or (not self.relative and self.row < 1):
            raise ValueError(f"no cell at column {self.col}, row {self.row}")

    def _render(self, syntax, out):
        if syntax is OPENFORMULA:
            out.append("[" + (syntax.sheet(self.sheet) if self.sheet is not None else ""))
            self._cell(out, ".")
            out.append("]")
        else:
            self._cell(out, "" if self.sheet is None else syntax.sheet(self.sheet) + "!")

    def _cell(self, out, before: str) -> None:
        """The column and row, after `before` (the sheet and its separator)."""
        out.append(f"{before}{'$' * self.fixed_col}{column_letters(self.col)}{'$' * self.fixed_row}")
        out.append(self.row if self.relative else str(self.row))


@dataclass(frozen=True, eq=True)
class Range(Node):
    """The cells from first to last, on first's sheet (last names none, or the same)."""

    first: Ref
    last: Ref

    def __post_init__(self):
        if self.last.sheet not in (None, self.first.sheet):
            raise ValueError("a range lies on one sheet")

    def _render(self, syntax, out):
        if syntax is OPENFORMULA:
            out.append("[" + (syntax.sheet(self.first.sheet) if self.first.sheet is not None else ""))
            self.first._cell(out, ".")
            self.last._cell(out, ":.")
            out.append("]")
        else:
            self.first._render(syntax, out)
            self.last._cell(out, ":")


@dataclass(frozen=True, eq=True)
class Number(Node):
    """A finite number; written without a fraction when it is a whole one (1, 0.5, 1e-05)."""

    value: float

    def __post_init__(self):
        if not math.isfinite(self.value):
            raise ValueError(f"a formula holds finite numbers, not {self.value}")

    @property
    def precedence(self):
        return _NEGATE if self.value < 0 else _ATOM

    def _render(self, syntax, out):
        v = float(self.value)
        out.append(str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v))


@dataclass(frozen=True, eq=True)
class Text(Node):
    """A string, such as "OK"."""

    value: str

    def _render(self, syntax, out):
        out.append('"' + self.value.replace('"', '""') + '"')


@dataclass(frozen=True, eq=True)
class Binary(Node):
    """left op right, op one of + - * / ^ & = <> < > <= >=."""

    op: str
    left: Node
    right: Node

    def __post_init__(self):
        if self.op not in _PRECEDENCE:
            raise ValueError(f"unknown operator {self.op!r}")

    @property
    def precedence(self):
        return _PRECEDENCE[self.op]

    def _render(self, syntax, out):
        mine = self.precedence
        # Operators group from the left: a right operand of the same strength needs parentheses
        # (a-(b-c)). A minus sign next to ^ is bracketed whichever way an engine ranks the two.
        _operand(self.left, syntax, out, self.left.precedence < mine or (mine == 5 and self.left.precedence == _NEGATE))
        out.append(self.op)
        _operand(self.right, syntax, out, self.right.precedence <= mine or (mine == 5 and self.right.precedence == _NEGATE))


@dataclass(frozen=True, eq=True)
class Negate(Node):
    """-operand."""

    operand: Node
    precedence = _NEGATE

    def _render(self, syntax, out):
        out.append("-")
        # Every operator binds looser than the minus sign: -(x^2), -(a+b).
        _operand(self.operand, syntax, out, self.operand.precedence < _NEGATE)


@dataclass(frozen=True, eq=True)
class Call(Node):
    """A function call NAME(arg, ...)."""

    name: str
    args: tuple = ()

    def _render(self, syntax, out):
        out.append(self.name + "(")
        for k, arg in enumerate(self.args):
            if k:
                out.append(syntax.separator)
            arg._render(syntax, out)
        out.append(")")


def _operand(node: Node, syntax: Syntax, out: list, bracket: bool) -> None:
    if bracket:
        out.append("(")
    node._render(syntax, out)
    if bracket:
        out.append(")")


def fill(pieces, row: int) -> str:
    """The text of pieces (see :meth:`Node.pieces`) in row `row`."""
    return "".join(p if isinstance(p, str) else str(row + p) for p in pieces)


def call(name: str, *args) -> Call:
    """NAME(args), numbers among args made Numbers."""
    return Call(name, tuple(_node(a) for a in args))


def total(terms) -> Node:
    """terms[0] + terms[1] + ..., grouped from the left as a spreadsheet reads it."""
    return functools.reduce(operator.add, terms)
