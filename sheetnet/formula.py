"""Spreadsheet formulas in the package's neutral syntax (Excel A1 without '='), read as functions.

:func:`parse` reads a formula as it stands in a given cell and returns its :class:`Form`: the
formula in relative (R1C1-like) form, so that ``E8-$A$8*M8*C8`` in row 9 and
``E9-$A$8*M9*C9`` in row 10 are the same Form. A Form is made once into a Python function
of the cells it refers to, which evaluates numbers or whole numpy columns at once, and knows the
text the formula has in any other row (:meth:`Form.text`).

Formulas are read with explicit stacks, not by recursion, and only shallow ones are compiled to
Python (deeper ones run on a stack machine), so that a formula nested to any depth is read and
evaluated, never ends in a RecursionError.

Supported: numbers, cell references with ``$``, ranges (``C8:D9``), references to other
sheets (``Sheet1!C8``, ``'My sheet'!C8``), ``+ - * / ^ %``, unary minus, comparisons,
parentheses, and the functions in :data:`FUNCTIONS`. Empty cells count as 0, as in arithmetic
in a spreadsheet.
"""

from __future__ import annotations

import functools
import math
import operator
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

# Excel's precedence: comparison < & < + - < * / < ^ < unary minus; % binds to the operand before it.
_PRECEDENCE = {"=": 0, "<>": 0, "<": 0, ">": 0, "<=": 0, ">=": 0, "&": 1, "+": 2, "-": 2, "*": 3, "/": 3, "^": 4}
_NEG = ("neg",)  # unary minus, pending on the operator stack: above every binary operator


def _postfix(tokens: list) -> list:
    """The formula in postfix order, read with explicit stacks (shunting-yard) so that no depth of
    nesting can exhaust Python's recursion limit.

    Items: ("num", x), ("ref", Ref), ("range", Ref, Ref), ("neg",), ("pct",), ("bin", op) and
    ("call", NAME, number of arguments). Operands keep their order of appearance.
    """
    out: list = []
    ops: list = []  # _NEG, ("bin", op), and open brackets: ["(", 0] or [NAME, arguments so far]
    operand, i, n = True, 0, len(tokens)  # operand: an operand (or a prefix sign) is due
    while i < n:
        t = tokens[i]
        i += 1
        if operand:
            if t.kind == "op" and t.text in ("-", "+"):
                if t.text == "-":
                    ops.append(_NEG)
            elif t.kind == "number":
                if not math.isfinite(value := float(t.text)):
                    raise FormulaError(f"the number {t.text} is too large")
                out.append(("num", value))
                operand = False
            elif t.kind == "ref":
                if i < n and tokens[i].kind == "op" and tokens[i].text == ":":
                    if i + 1 >= n or tokens[i + 1].kind != "ref":
                        raise FormulaError("a range needs a cell after ':'"
                                           + (f", not {tokens[i + 1].text!r}" if i + 1 < n else ""))
                    end = tokens[i + 1].ref
                    out.append(("range", t.ref, end if end.sheet is not None else end._replace(sheet=t.ref.sheet)))
                    i += 2
                else:
                    out.append(("ref", t.ref))
                operand = False
            elif t.kind == "func":
                if t.text not in FUNCTIONS:
                    raise FormulaError(f"unknown function {t.text}")
                i += 1  # the "(" the tokenizer saw after the name
                if i < n and tokens[i].kind == "op" and tokens[i].text == ")":
                    i += 1
                    out.append(_call(t.text, 0))
                    operand = False
                else:
                    ops.append([t.text, 0])
            elif t.kind == "op" and t.text == "(":
                ops.append(["(", 0])
            elif t.kind == "string":
                raise FormulaError("text in a formula cannot give a number")
            else:
                raise FormulaError(f"unexpected {t.text!r}")
        elif t.kind == "op" and t.text == "%":
            out.append(("pct",))
        elif t.kind == "op" and t.text in _PRECEDENCE:
            level = _PRECEDENCE[t.text]
            # Left to right within a level: 2^3^2 is (2^3)^2, as in Excel.
            while ops and (ops[-1] is _NEG or (ops[-1][0] == "bin" and _PRECEDENCE[ops[-1][1]] >= level)):
                out.append(ops.pop())
            ops.append(("bin", t.text))
            operand = True
        elif t.kind == "op" and t.text in (",", ";", ")"):
            while ops and (ops[-1] is _NEG or ops[-1][0] == "bin"):
                out.append(ops.pop())
            if not ops:
                raise FormulaError(f"unexpected {t.text!r}")
            bracket = ops[-1]
            if t.text == ")":
                ops.pop()
                if bracket[0] != "(":
                    out.append(_call(bracket[0], bracket[1] + 1))
            elif bracket[0] == "(":
                raise FormulaError(f"expected ')' where {t.text!r} stands")
            else:
                bracket[1] += 1
                operand = True
        else:
            raise FormulaError(f"unexpected {t.text!r}")
    if operand:
        raise FormulaError("the formula ends too early")
    while ops:
        if ops[-1] is not _NEG and ops[-1][0] != "bin":
            raise FormulaError("the formula ends too early: a ')' is missing")
        out.append(ops.pop())
    return out


def _call(name: str, count: int) -> tuple:
    low, high = _ARITY.get(name, (1, 255))
    if not low <= count <= high:
        raise FormulaError(f"{name} takes {low}" + (f" to {high}" if high != low else "")
                           + f" argument(s), not {count}")
    return ("call", name, count)


# -- the relative form and its evaluation ----------------------------------------------------

@dataclass(eq=False)
class Form:
    """One formula in relative form: its R1C1-like key, the cells it refers to and its function."""

    key: str  # the formula in postfix order, references in R1C1-like form: equal for equal formulas
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


_CACHE: dict = {}  # key -> Form: each distinct relative formula is made into a function once per process


def parse(text: str, row: int, col: int) -> Form:
    """The Form of a formula standing in cell (row, col); raises FormulaError when unreadable."""
    tokens = _tokens(text, row, col)
    if not tokens:
        raise FormulaError("the formula is empty")
    postfix = _postfix(tokens)
    key = " ".join(_item_key(item) for item in postfix)
    form = _CACHE.get(key)
    if form is None:
        refs, code, depth = _program(postfix)
        form = Form(key, tuple(refs), _function(code, len(refs), depth))
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


def _item_key(item: tuple) -> str:
    kind = item[0]
    if kind == "num":
        return repr(item[1])
    if kind == "ref":
        return item[1].key()
    if kind == "range":
        return item[1].key() + ":" + item[2].key()
    if kind == "neg":
        return "~"  # not "-", which takes two operands
    if kind == "pct":
        return "%"
    if kind == "bin":
        return item[1]
    return f"{item[1]}/{item[2]}"  # a call and its number of arguments


def _range(first: Ref, last: Ref) -> list:
    if first.row_abs != last.row_abs or first.col_abs != last.col_abs:
        # Mixed ranges (A$1:A5) change shape from row to row; they have no place in a network.
        raise FormulaError("a range mixing relative and absolute ends is not supported")
    rows = range(min(first.row, last.row), max(first.row, last.row) + 1)
    cols = range(min(first.col, last.col), max(first.col, last.col) + 1)
    if len(rows) * len(cols) > MAX_RANGE:
        raise FormulaError(f"a range of more than {MAX_RANGE:,} cells")
    return [Ref(r, c, first.row_abs, first.col_abs, first.sheet) for r in rows for c in cols]


def _divide(a, b):
    try:
        return a / b
    except ZeroDivisionError:  # two Python floats; numpy gives infinity or NaN as for whole columns
        return np.float64(a) / b


def _comparison(compare):
    return lambda a, b: np.asarray(compare(a, b), dtype=float)


def _percent(a):
    return a / 100.0


# Every operation: its function, for the stack machine, and its Python source, for compilation.
_BINARY = {"+": (operator.add, "({} + {})"), "-": (operator.sub, "({} - {})"), "*": (operator.mul, "({} * {})"),
           "/": (_divide, "_divide({}, {})"), "^": (np.power, "_np.power({}, {})"),
           **{op: (_comparison(compare), f"_np.asarray(({{}} {python} {{}}), dtype=float)")
              for op, compare, python in (("=", operator.eq, "=="), ("<>", operator.ne, "!="),
                                          ("<", operator.lt, "<"), (">", operator.gt, ">"),
                                          ("<=", operator.le, "<="), (">=", operator.ge, ">="))}}
_UNARY = {"neg": (operator.neg, "(-{})"), "pct": (_percent, "({} / 100.0)")}
_NAMESPACE = {"_np": np, "_divide": _divide, **{f"_{name}": f for name, f in FUNCTIONS.items()}}
_PUSH_NUMBER, _PUSH_ARGUMENT, _APPLY_1, _APPLY_2, _APPLY_N = range(5)

# Formulas nested at most this deep are compiled to Python, which evaluates them about five times
# faster than the stack machine on plain numbers and nearly twice as fast on long columns (numpy
# reuses the temporaries of an expression); Python's parser refuses about 200 nested brackets,
# and an operation here writes at most two.
COMPILED_DEPTH = 50


def _program(postfix: list) -> tuple:
    """(refs, code, depth): the Refs the formula's function takes, ranges expanded; its code for a
    stack machine, a list of (instruction, operand, source template); the depth of its nesting."""
    refs: list = []
    code: list = []
    pending: list = []  # per pending operand: (None, or the number of cells of a range; its depth)
    for item in postfix:
        kind = item[0]
        if kind == "num":
            code.append((_PUSH_NUMBER, item[1], repr(item[1])))
            pending.append((None, 1))
        elif kind == "ref":
            code.append((_PUSH_ARGUMENT, len(refs), f"x{len(refs)}"))
            refs.append(item[1])
            pending.append((None, 1))
        elif kind == "range":
            cells = _range(item[1], item[2])
            code += [(_PUSH_ARGUMENT, k, f"x{k}") for k in range(len(refs), len(refs) + len(cells))]
            refs += cells
            pending.append((len(cells), 1))
        else:
            count = item[2] if kind == "call" else 1 if kind in _UNARY else 2
            operands = pending[len(pending) - count:]
            del pending[len(pending) - count:]
            if kind == "call":
                f = FUNCTIONS[item[1]]
                code.append((_APPLY_N, (f, sum(1 if cells is None else cells for cells, _ in operands)),
                             f"_{item[1]}({{}})"))
            elif any(cells is not None for cells, _ in operands):
                raise FormulaError("a range can only stand inside a function such as SUM")
            elif kind in _UNARY:
                code.append((_APPLY_1, *_UNARY[kind]))
            elif item[1] == "&":
                raise FormulaError("text joined with & cannot give a number")
            else:
                code.append((_APPLY_2, *_BINARY[item[1]]))
            pending.append((None, 1 + max((depth for _, depth in operands), default=0)))
    [(cells, depth)] = pending
    if cells is not None:
        raise FormulaError("a range can only stand inside a function such as SUM")
    return refs, code, depth


def _function(code: list, arguments: int, depth: int):
    """fn(*values), compiled to Python when the formula is shallow enough, else a stack machine."""
    if depth <= COMPILED_DEPTH:
        names = ", ".join(f"x{k}" for k in range(arguments))
        return eval(compile(f"lambda {names}: {_source(code)}", "<formula>", "eval"), _NAMESPACE)

    def fn(*values):
        stack: list = []
        push = stack.append
        for instruction, x, _ in code:
            if instruction == _PUSH_ARGUMENT:
                push(values[x])
            elif instruction == _PUSH_NUMBER:
                push(x)
            elif instruction == _APPLY_2:
                b = stack.pop()
                stack[-1] = x(stack[-1], b)
            elif instruction == _APPLY_1:
                stack[-1] = x(stack[-1])
            else:
                f, count = x
                args = stack[len(stack) - count:]
                del stack[len(stack) - count:]
                push(f(*args))
        return stack[0]
    return fn


def _source(code: list) -> str:
    """The Python expression of the code: built only from numbers by repr, arguments x<k> and
    the fixed templates above, never from the formula's text."""
    stack: list = []
    for instruction, x, template in code:
        if instruction in (_PUSH_NUMBER, _PUSH_ARGUMENT):
            stack.append(template)
        elif instruction == _APPLY_1:
            stack[-1] = template.format(stack[-1])
        elif instruction == _APPLY_2:
            b = stack.pop()
            stack[-1] = template.format(stack[-1], b)
        else:
            args = ", ".join(stack[len(stack) - x[1]:])
            del stack[len(stack) - x[1]:]
            stack.append(template.format(args))
    return stack[0]


def describe_ref(sheet: str | None, row: int, col: int) -> str:
    """'A8', or "'Other'!A8" for a cell of another sheet."""
    return (_quote(sheet) + "!" if sheet is not None else "") + address(row, col)
