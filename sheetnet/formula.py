"""Spreadsheet formulas in the package's neutral syntax (Excel A1 without '='), read as functions.

:func:`parse` reads a formula as it stands in a given cell and returns its :class:`Form`: the
formula in relative (R1C1-like) form, so that ``E8-$A$8*M8*C8`` in row 9 and
``E9-$A$8*M9*C9`` in row 10 are the same Form. A Form is compiled once into a Python
function of the cells it refers to, which evaluates numbers or whole numpy columns at once,
and knows the text the formula has in any other row (:meth:`Form.text`).

Supported: numbers, cell references with ``$``, ranges (``C8:D9``), references to other
sheets (``Sheet1!C8``, ``'My sheet'!C8``), ``+ - * / ^ %``, unary minus, comparisons,
parentheses, and the functions in :data:`FUNCTIONS`. Empty cells count as 0, as in arithmetic
in a spreadsheet.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .grid import address, column_number

MAX_RANGE = 10_000  # cells one range may span; a formula of a network needs a handful


class FormulaError(ValueError):
    """A formula this module cannot read or evaluate."""


class Ref(NamedTuple):
    """A reference relative to the cell that holds the formula (R1C1-like).

    A relative row or column is an offset (``R[-1]``), an absolute one a number (``R8``).
    """

    row: int
    col: int
    row_abs: bool
    col_abs: bool
    sheet: str | None = None

    def at(self, row: int, col: int) -> tuple[int, int]:
        """The (row, column) this reference points to from cell (row, col)."""
        return (self.row if self.row_abs else row + self.row), (self.col if self.col_abs else col + self.col)

    def key(self) -> str:
        r = f"R{self.row}" if self.row_abs else f"R[{self.row}]"
        c = f"C{self.col}" if self.col_abs else f"C[{self.col}]"
        return (f"'{self.sheet}'!" if self.sheet is not None else "") + r + c


def _quote(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_]\w*", sheet) else "'" + sheet.replace("'", "''") + "'"


# -- functions ---------------------------------------------------------------------------------

def _reduce(op):
    return lambda *xs: functools.reduce(op, xs)


def _log(x, base=10.0):
    return np.log(x) / np.log(base)


FUNCTIONS = {
    "EXP": np.exp, "LN": np.log, "LOG10": np.log10, "LOG": _log, "SQRT": np.sqrt, "ABS": np.abs,
    "POWER": np.power, "SUM": _reduce(np.add), "PRODUCT": _reduce(np.multiply),
    "MIN": _reduce(np.minimum), "MAX": _reduce(np.maximum), "AVERAGE": lambda *xs: _reduce(np.add)(*xs) / len(xs),
    "PI": lambda: math.pi, "TANH": np.tanh,
}
_ARITY = {"EXP": (1, 1), "LN": (1, 1), "LOG10": (1, 1), "LOG": (1, 2), "SQRT": (1, 1), "ABS": (1, 1),
          "POWER": (2, 2), "PI": (0, 0), "TANH": (1, 1)}

# -- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<func>[A-Za-z_][A-Za-z0-9_.]*(?=\s*\())
  | (?P<ref>(?:(?P<sheet>'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?
        (?P<c1>\$?)(?P<col>[A-Za-z]{1,3})(?P<r1>\$?)(?P<row>[0-9]+)(?![\w(]))
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<op><>|<=|>=|[-+*/^%=<>(),;:&])
  | (?P<string>"(?:[^"]|"")*")
""", re.VERBOSE)


class _Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int
    ref: Ref | None = None
    row_text: tuple = (0, 0)  # where the row number of a reference stands in the formula's text


def _tokens(text: str, row: int, col: int) -> list:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise FormulaError(f"cannot read {text[pos:pos + 10]!r}")
        kind = m.lastgroup if m.lastgroup not in ("sheet", "c1", "col", "r1", "row") else "ref"
        if kind == "ref":
            sheet = m.group("sheet")
            if sheet is not None and sheet.startswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
            r_abs, c_abs = bool(m.group("r1")), bool(m.group("c1"))
            r, c = int(m.group("row")), column_number(m.group("col"))
            if r < 1:
                raise FormulaError(f"no row 0 in {m.group(0)!r}")
            ref = Ref(r if r_abs else r - row, c if c_abs else c - col, r_abs, c_abs, sheet)
            out.append(_Token("ref", m.group(0), m.start(), m.end(), ref, m.span("row")))
        elif kind == "func":
            out.append(_Token("func", m.group(0).upper(), m.start(), m.end()))
        elif kind != "space":
            out.append(_Token(kind, m.group(0), m.start(), m.end()))
        pos = m.end()
    return out


# -- parsing -----------------------------------------------------------------------------------

class _Parser:
    """Recursive descent with Excel's precedence: comparison < & < + - < * / < ^ < % < unary minus."""

    def __init__(self, tokens):
        self.tokens, self.pos = tokens, 0

    def peek(self, *texts):
        t = self.tokens[self.pos] if self.pos < len(self.tokens) else None
        return t if t is not None and t.kind == "op" and t.text in texts else None

    def take(self):
        if self.pos >= len(self.tokens):
            raise FormulaError("the formula ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, text):
        t = self.take()
        if t.kind != "op" or t.text != text:
            raise FormulaError(f"expected {text!r} where {t.text!r} stands")

    def parse(self):
        node = self.binary(0)
        if self.pos < len(self.tokens):
            raise FormulaError(f"unexpected {self.tokens[self.pos].text!r}")
        return node

    LEVELS = (("=", "<>", "<", ">", "<=", ">="), ("&",), ("+", "-"), ("*", "/"), ("^",))

    def binary(self, level):
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while (t := self.peek(*self.LEVELS[level])) is not None:
            self.pos += 1
            node = ("bin", t.text, node, self.binary(level + 1))
        return node

    def unary(self):
        if self.peek("-", "+"):
            sign = self.take().text
            operand = self.unary()
            return ("neg", operand) if sign == "-" else operand
        node = self.primary()
        while self.peek("%"):
            self.pos += 1
            node = ("pct", node)
        return node

    def primary(self):
        t = self.take()
        if t.kind == "number":
            return ("num", float(t.text))
        if t.kind == "ref":
            if self.peek(":"):
                self.pos += 1
                end = self.take()
                if end.kind != "ref":
                    raise FormulaError(f"a range needs a cell after ':', not {end.text!r}")
                return ("range", t.ref, end.ref if end.ref.sheet is not None else end.ref._replace(sheet=t.ref.sheet))
            return ("ref", t.ref)
        if t.kind == "func":
            if t.text not in FUNCTIONS:
                raise FormulaError(f"unknown function {t.text}")
            self.expect("(")
            args = []
            if not self.peek(")"):
                args.append(self.binary(0))
                while self.peek(",", ";"):
                    self.pos += 1
                    args.append(self.binary(0))
            self.expect(")")
            low, high = _ARITY.get(t.text, (1, 255))
            if not low <= len(args) <= high:
                raise FormulaError(f"{t.text} takes {low}" + (f" to {high}" if high != low else "")
                                   + f" argument(s), not {len(args)}")
            return ("call", t.text, args)
        if t.kind == "op" and t.text == "(":
            node = self.binary(0)
            self.expect(")")
            return node
        if t.kind == "string":
            raise FormulaError("text in a formula cannot give a number")
        raise FormulaError(f"unexpected {t.text!r}")


# -- the relative form and its compilation ---------------------------------------------------

@dataclass(eq=False)
class Form:
    """One formula in relative form: its R1C1-like key, the cells it refers to and its function."""

    key: str
    refs: tuple  # Ref of every argument of fn, ranges expanded, in order of appearance
    fn: object = field(repr=False)  # fn(*values of refs) -> number or numpy array
    pieces: tuple = field(repr=False, default=())  # the text, split around its relative row numbers

    def cells(self, row: int, col: int) -> list:
        """The distinct cells (sheet, row, col) the formula refers to from cell (row, col), in order."""
        return list(dict.fromkeys((ref.sheet, *ref.at(row, col)) for ref in self.refs))

    def evaluate(self, values: list):
        """The formula's result from the values of its refs (numbers or equally long arrays)."""
        with np.errstate(all="ignore"):
            return self.fn(*values)

    def text(self, row: int) -> str:
        """The formula as written, moved to another row of the same column."""
        return "".join(p if isinstance(p, str) else str(row + p[0]) for p in self.pieces)


_CACHE: dict = {}  # key -> Form: each distinct relative formula is compiled once per process


def parse(text: str, row: int, col: int) -> Form:
    """The Form of a formula standing in cell (row, col); raises FormulaError when unreadable."""
    tokens = _tokens(text, row, col)
    if not tokens:
        raise FormulaError("the formula is empty")
    tree = _Parser(tokens).parse()
    refs: list = []
    key = _key(tree)
    form = _CACHE.get(key)
    if form is None:
        source = _source(tree, refs)
        names = ", ".join(f"x{k}" for k in range(len(refs)))
        code = f"lambda {names}: {source}"
        fn = eval(compile(code, f"<formula {key}>", "eval"), {"_np": np, **{f"_{n}": f for n, f in FUNCTIONS.items()}})
        form = Form(key, tuple(refs), fn)
        if len(_CACHE) < 100_000:
            _CACHE[key] = form
    # The text of the same formula in another row: only relative row numbers change.
    pieces, pos = [], 0
    for t in tokens:
        if t.kind == "ref" and not t.ref.row_abs:
            pieces += [text[pos:t.row_text[0]], (t.ref.row,)]
            pos = t.row_text[1]
    pieces.append(text[pos:])
    return Form(form.key, form.refs, form.fn, tuple(pieces))


def _key(node) -> str:
    kind = node[0]
    if kind == "num":
        return repr(node[1])
    if kind == "ref":
        return node[1].key()
    if kind == "range":
        return node[1].key() + ":" + node[2].key()
    if kind == "neg":
        return f"(-{_key(node[1])})"
    if kind == "pct":
        return f"({_key(node[1])}%)"
    if kind == "bin":
        return f"({_key(node[2])}{node[1]}{_key(node[3])})"
    return f"{node[1]}(" + ",".join(_key(a) for a in node[2]) + ")"


def _range(first: Ref, last: Ref) -> list:
    if first.row_abs != last.row_abs or first.col_abs != last.col_abs:
        # Mixed ranges (A$1:A5) change shape from row to row; they have no place in a network.
        raise FormulaError("a range mixing relative and absolute ends is not supported")
    rows = range(min(first.row, last.row), max(first.row, last.row) + 1)
    cols = range(min(first.col, last.col), max(first.col, last.col) + 1)
    if len(rows) * len(cols) > MAX_RANGE:
        raise FormulaError(f"a range of more than {MAX_RANGE:,} cells")
    return [Ref(r, c, first.row_abs, first.col_abs, first.sheet) for r in rows for c in cols]


_BINARY = {"+": "+", "-": "-", "*": "*", "/": "/", "=": "==", "<>": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}


def _source(node, refs: list) -> str:
    """Python source for a parse tree; each referenced cell becomes an argument x<k>."""
    kind = node[0]
    if kind == "num":
        return repr(node[1])
    if kind == "ref":
        refs.append(node[1])
        return f"x{len(refs) - 1}"
    if kind == "range":
        raise FormulaError("a range can only stand inside a function such as SUM")
    if kind == "neg":
        return f"(-{_source(node[1], refs)})"
    if kind == "pct":
        return f"({_source(node[1], refs)}/100.0)"
    if kind == "bin":
        op, a, b = node[1], _source(node[2], refs), _source(node[3], refs)
        if op == "^":
            return f"_np.power({a}, {b})"
        if op == "&":
            raise FormulaError("text joined with & cannot give a number")
        if op in ("+", "-", "*", "/"):
            return f"({a} {op} {b})"
        return f"_np.asarray({a} {_BINARY[op]} {b}, dtype=float)"
    args = []
    for a in node[2]:
        if a[0] == "range":
            cells = _range(a[1], a[2])
            refs.extend(cells)
            args += [f"x{k}" for k in range(len(refs) - len(cells), len(refs))]
        else:
            args.append(_source(a, refs))
    return f"_{node[1]}({', '.join(args)})"


def describe_ref(sheet: str | None, row: int, col: int) -> str:
    """'A8', or "'Other'!A8" for a cell of another sheet."""
    return (_quote(sheet) + "!" if sheet is not None else "") + address(row, col)
