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
sheets (``Sheet1!C8``, ``'My sheet'!C8``), named cells and ranges (resolved by the ``names``
given to :func:`parse`), ``+ - * / ^ %``, unary minus, comparisons, parentheses, TRUE and FALSE,
text, and any function. Empty cells count as 0, as in arithmetic in a spreadsheet.

Two evaluators. A formula of the functions in :data:`FUNCTIONS` whose ranges stand only inside
them (the note's formulas, and whatever sheetnet writes) is compiled to numpy and evaluates whole
columns at once. Any other (SUMPRODUCT, SUMXMY2, MMULT, IF, ranges in arithmetic as array
formulas have them, ...) is evaluated by the ``formulas`` package, a maintained implementation
of some 600 spreadsheet functions, one point at a time: it costs about 0.05 s to load (once per
process, and only when such a formula is met: its parser and the modules of the functions used;
another 0.5 s for scipy's statistics, which only its statistical functions such as MAX or
AVERAGE take), 1.6 ms to compile a formula and 0.3 ms per evaluation, where numpy evaluates a
column of 8,192 rows in about 0.1 ms. So verify runs it on random probes and on sampled rows
of the sheet, once per distinct formula, never on every row (see :mod:`sheetnet.verify.formulas`). A formula of a function neither implements has a Form
all the same, without a function: its :attr:`Form.reason` says why it cannot be evaluated.
"""

from __future__ import annotations

import functools
import importlib
import math
import operator
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .grid import address, column_letters, column_number

MAX_RANGE = 10_000  # cells one range may span; a formula of a network needs a handful


class FormulaError(ValueError):
    """A formula this module cannot read."""


class _Library(Exception):
    """A formula the numpy compiler does not take: the formulas package evaluates it."""


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
  | (?P<name>[A-Za-z_\\][\w.]*)
  | (?P<op><>|<=|>=|[-+*/^%=<>(),;:&])
  | (?P<string>"(?:[^"]|"")*")
""", re.VERBOSE)
# What Excel writes before the names of functions newer than its file format (_xlfn.STDEV.S).
_FUNCTION_PREFIX = re.compile(r"^(?:_XLFN\.|_XLWS\.|COM\.MICROSOFT\.)+")


class _Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int
    ref: Ref | None = None
    row_text: tuple = (0, 0)  # where the row number of a reference stands in the formula's text


def _tokens(text: str, row: int, col: int, own: str | None = None) -> list:
    """The formula's tokens; a reference to the sheet `own` (the formula's own) has no sheet."""
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
            if sheet is not None and own is not None and sheet == own:
                sheet = None
            r_abs, c_abs = bool(m.group("r1")), bool(m.group("c1"))
            r, c = int(m.group("row")), column_number(m.group("col"))
            if r < 1:
                raise FormulaError(f"no row 0 in {m.group(0)!r}")
            ref = Ref(r if r_abs else r - row, c if c_abs else c - col, r_abs, c_abs, sheet)
            out.append(_Token("ref", m.group(0), m.start(), m.end(), ref, m.span("row")))
        elif kind == "func":
            out.append(_Token("func", _FUNCTION_PREFIX.sub("", m.group(0).upper()), m.start(), m.end()))
        elif kind == "name":
            out.append(_Token("name", m.group(0).upper(), m.start(), m.end()))
        elif kind != "space":
            out.append(_Token(kind, m.group(0), m.start(), m.end()))
        pos = m.end()
    return out


# -- parsing -----------------------------------------------------------------------------------

# Excel's precedence: comparison < & < + - < * / < ^ < unary minus; % binds to the operand before it.
_PRECEDENCE = {"=": 0, "<>": 0, "<": 0, ">": 0, "<=": 0, ">=": 0, "&": 1, "+": 2, "-": 2, "*": 3, "/": 3, "^": 4}
_NEG = ("neg",)  # unary minus, pending on the operator stack: above every binary operator


def _postfix(tokens: list, names=None) -> list:
    """The formula in postfix order, read with explicit stacks (shunting-yard) so that no depth of
    nesting can exhaust Python's recursion limit. names: NAME -> a list of the tokens it stands
    for (a reference or a range), for the named cells and ranges of the workbook.

    Items: ("num", x), ("str", text), ("ref", Ref), ("range", Ref, Ref), ("name", NAME) for a
    name not defined, ("neg",), ("pct",), ("bin", op) and ("call", NAME, number of arguments).
    Operands keep their order of appearance.
    """
    out: list = []
    ops: list = []  # _NEG, ("bin", op), and open brackets: ["(", 0] or [NAME, arguments so far]
    operand, i, n = True, 0, len(tokens)  # operand: an operand (or a prefix sign) is due
    while i < n:
        t = tokens[i]
        i += 1
        if t.kind == "name" and operand:
            if t.text in ("TRUE", "FALSE"):
                t = t._replace(kind="number", text="1" if t.text == "TRUE" else "0")
            elif names is not None and names.get(t.text):
                tokens = tokens[:i - 1] + names.get(t.text) + tokens[i:]
                n = len(tokens)
                t = tokens[i - 1]
            else:
                out.append(("name", t.text))
                operand = False
                continue
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
                out.append(("str", t.text))
                operand = False
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
    low, high = _ARITY.get(name, (1, 255) if name in FUNCTIONS else (0, 255))
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
    # fn(*values of refs) -> number or numpy array; None: see reason, or, reason None too, a
    # formula of the formulas package that parse was asked not to make (its library=False)
    fn: object = field(repr=False)
    pieces: tuple = field(repr=False, default=())  # the text, split around its relative row numbers
    slow: bool = False  # evaluated by the formulas package, a point at a time (see the module)
    reason: str | None = None  # why the formula cannot be evaluated, where fn is None

    def cells(self, row: int, col: int) -> list:
        """The distinct cells (sheet, row, col) the formula refers to from cell (row, col), in order."""
        return list(dict.fromkeys((ref.sheet, *ref.at(row, col)) for ref in self.refs))

    def evaluate(self, values: list):
        """The formula's result from the values of its refs (numbers or equally long arrays); NaN
        for a formula that cannot be evaluated."""
        if self.fn is None:
            shapes = [np.shape(v) for v in values if np.ndim(v)]
            return np.full(shapes[0], np.nan) if shapes else np.nan
        with np.errstate(all="ignore"):
            return self.fn(*values)

    def text(self, row: int) -> str:
        """The formula as written, moved to another row of the same column."""
        return "".join(p if isinstance(p, str) else str(row + p[0]) for p in self.pieces)


# key -> Form, by whether the formulas package made it: each distinct relative formula is made
# into a function once per process, and kept up to a number (the package's cost about 35 KB each).
_CACHE: dict = {False: {}, True: {}}
_KEPT = {False: 100_000, True: 1_000}


def parse(text: str, row: int, col: int, names=None, sheet: str | None = None, library: bool = True) -> Form:
    """The Form of a formula standing in cell (row, col) of the sheet named `sheet`; raises
    FormulaError when unreadable. names: the workbook's named cells and ranges, NAME (upper
    case) -> the neutral text of an absolute reference or range ('Sheet1!$A$8'), or a mapping
    that gives None for the names it does not know. library: False leaves a formula that only the
    formulas package evaluates without its function (see Form.fn), unless the process has it made."""
    tokens = _tokens(text, row, col, sheet)
    if not tokens:
        raise FormulaError("the formula is empty")
    postfix = _postfix(tokens, _resolver(names, row, col, sheet))
    key = " ".join(_item_key(item) for item in postfix)
    form = _CACHE[False].get(key) or _CACHE[True].get(key)
    if form is None:
        form = _make(key, postfix, library)
        kept = _CACHE[form.slow]
        if len(kept) < _KEPT[form.slow] and (form.fn is not None or form.reason is not None):
            kept[key] = form
    # The text of the same formula in another row: only relative row numbers change.
    pieces, pos = [], 0
    for t in tokens:
        if t.kind == "ref" and not t.ref.row_abs:
            pieces += [text[pos:t.row_text[0]], (t.ref.row,)]
            pos = t.row_text[1]
    pieces.append(text[pos:])
    return Form(form.key, form.refs, form.fn, tuple(pieces), form.slow, form.reason)


def _resolver(names, row: int, col: int, sheet: str | None):
    """NAME -> the tokens of the reference or range it names, or None: only names of fixed cells
    and ranges ($A$8), which mean the same cells from every cell."""
    if not names:
        return None
    tokens: dict = {}

    def resolve(name: str):
        if name not in tokens:
            found, target = None, names.get(name)
            if target:
                try:
                    found = _tokens(target, row, col, sheet)
                except FormulaError:
                    found = None
                refs = [t for t in found or () if t.kind == "ref"]
                shape = [t.kind for t in found or ()]
                if not refs or not all(t.ref.row_abs and t.ref.col_abs for t in refs) or \
                        shape not in (["ref"], ["ref", "op", "ref"]):
                    found = None
            tokens[name] = found
        return tokens[name]

    return _Names(resolve)


class _Names:
    def __init__(self, resolve):
        self.get = resolve


def _make(key: str, postfix: list, library: bool) -> Form:
    """The Form of a formula read, its function compiled by numpy or made by the formulas package
    (if library)."""
    try:
        refs, code, depth = _program(postfix)
        return Form(key, tuple(refs), _function(code, len(refs), depth))
    except _Library:
        pass
    refs, source, operands = _library_source(postfix)
    reason = _unsupported(postfix)
    fn = None
    if reason is None and library:
        try:
            fn = _library_function(source, operands)
        except FormulaError as e:
            reason = str(e)
    return Form(key, tuple(refs), fn, slow=True, reason=reason)


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
    if kind in ("str", "name"):
        return f"{kind}:{item[1]}"
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
        if kind in ("str", "name"):
            raise _Library
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
                if item[1] not in FUNCTIONS:
                    raise _Library
                f = FUNCTIONS[item[1]]
                code.append((_APPLY_N, (f, sum(1 if cells is None else cells for cells, _ in operands)),
                             f"_{item[1]}({{}})"))
            elif any(cells is not None for cells, _ in operands) or (kind == "bin" and item[1] == "&"):
                raise _Library  # arithmetic on ranges (an array formula's), or text
            elif kind in _UNARY:
                code.append((_APPLY_1, *_UNARY[kind]))
            else:
                code.append((_APPLY_2, *_BINARY[item[1]]))
            pending.append((None, 1 + max((depth for _, depth in operands), default=0)))
    [(cells, depth)] = pending
    if cells is not None:
        raise _Library  # a formula that is a range: its top-left cell, or the one in its row or column
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


# -- the formulas package: what numpy does not compile -----------------------------------------

# Functions whose result depends on where a cell stands, or that build references from text:
# their references cannot be known from the formula, so verify cannot compare what they compute.
_POSITIONAL = {"INDIRECT": "it builds its references from text", "OFFSET": "it moves its references by numbers",
               "ROW": "it depends on where the cell stands", "COLUMN": "it depends on where the cell stands",
               "CELL": "it depends on where the cell stands", "ADDRESS": "it depends on where the cell stands"}
_MAX_LIBRARY_COLUMNS = 16384  # operands are laid side by side on the package's own grid


# The formulas package's function modules that import scipy's statistics as they load (about 0.45 s
# of the package's 0.5 s): looked in last, only for a function the others lack.
_HEAVY = (".stat", ".comp")


class _Functions:
    """The formulas package's functions by name, as its get_functions() gives them, each of its
    function modules imported at the first name that the modules imported so far lack (the
    package's own table imports them all, scipy's statistics among them, at the first formula)."""

    def __init__(self, package):
        self.package = package  # formulas.functions
        self.waiting = sorted(package.SUBMODULES, key=lambda m: m in _HEAVY)  # stable: the package's order
        self.loaded: dict = {}
        self.table = dict(package.FUNCTIONS)

    def get(self, name: str):
        """The function named (upper case), or None if the package has none."""
        while name not in self.table and self.waiting:
            module = self.waiting.pop(0)
            self.loaded[module] = importlib.import_module(module, self.package.__name__).FUNCTIONS
            # As get_functions merges them: a later module's name over an earlier one's, its own last.
            self.table = {}
            for m in self.package.SUBMODULES:
                self.table.update(self.loaded.get(m, {}))
            self.table.update(self.package.FUNCTIONS)
        return self.table.get(name)


@functools.cache
def _library():
    """(a formulas package Parser whose formulas take their functions from a _Functions, that
    _Functions), or None without the package."""
    try:
        import formulas.functions
        from formulas.parser import Parser
        from formulas.tokens.function import Function
    except ImportError:
        return None
    functions = _Functions(formulas.functions)

    class Call(Function):
        def compile(self):  # Function.compile looks the name up in get_functions(): every module
            return functions.get(self.name.upper())

    class Lazy(Parser):
        filters = [Call if f is Function else f for f in Parser.filters]

    return Lazy, functions


def _unsupported(postfix: list) -> str | None:
    """Why a formula the numpy compiler does not take cannot be evaluated at all, or None."""
    for item in postfix:
        if item[0] == "name":
            return f"the name {item[1]} is not a cell or range the workbook defines"
        if item[0] == "call" and item[1] in _POSITIONAL:
            return f"it uses {item[1]}: {_POSITIONAL[item[1]]}"
    calls = sorted({item[1] for item in postfix if item[0] == "call"} - set(FUNCTIONS))
    library = _library() if calls else None
    if calls and library is None:
        return f"it uses {calls[0]}, which needs the formulas package (pip install formulas)"
    unknown = [name for name in calls if library[1].get(name) is None]
    if unknown:
        return f"unknown function {unknown[0]}: neither sheetnet nor the formulas package implements it"
    return None


def _library_source(postfix: list) -> tuple:
    """(refs, source, operands): the Refs of the formula, ranges expanded; its text for the
    formulas package, every operation bracketed as it was read here, each reference or range
    standing as a place of its own on the package's grid (A1, B1:C1, ...), so that each of the
    compiled function's inputs is one operand; operands: (its place's text, its first ref,
    rows, columns, whether a single cell)."""
    refs: list = []
    operands: list = []
    stack: list = []
    column = 1
    for item in postfix:
        kind = item[0]
        if kind in ("ref", "range"):
            cells = [item[1]] if kind == "ref" else _range(item[1], item[2])
            h = 1 if kind == "ref" else abs(item[1].row - item[2].row) + 1
            w = len(cells) // h
            place = f"{column_letters(column)}1" + ("" if h * w == 1 else f":{column_letters(column + w - 1)}{h}")
            operands.append((place, len(refs), h, w, kind == "ref"))
            refs += cells
            column += w
            stack.append(place)
        elif kind == "num":
            stack.append(repr(item[1]).upper())
        elif kind in ("str", "name"):
            stack.append(item[1])
        elif kind == "neg":
            stack[-1] = f"(-{stack[-1]})"
        elif kind == "pct":
            stack[-1] = f"({stack[-1]}/100)"
        elif kind == "bin":
            b = stack.pop()
            stack[-1] = f"({stack[-1]}{item[1]}{b})"
        else:
            args = stack[len(stack) - item[2]:]
            del stack[len(stack) - item[2]:]
            stack.append(f"{item[1]}({','.join(args)})")
    if column > _MAX_LIBRARY_COLUMNS:
        operands = None  # more cells than the package's grid holds side by side
    return refs, stack[0], operands


def _library_function(source: str, operands: list | None):
    """fn(*values of refs) for the formulas package's compiled formula; numbers or equal arrays
    in, a number or an array out (NaN where it gives an error or text)."""
    parser, _ = _library()
    if operands is None:
        raise FormulaError("it refers to more cells than the formulas package can be given")
    try:
        compiled = parser().ast("=" + source)[1].compile()
        where = {place: k for k, (place, *_) in enumerate(operands)}
        order = [operands[where[name]][1:] for name in compiled.inputs]
    except Exception as e:  # the package's own errors: anything it cannot read
        raise FormulaError(f"the formulas package cannot read it ({type(e).__name__}: {e})") from None

    def point(values) -> float:
        args = [values[first] if single else np.array(values[first:first + h * w], dtype=float).reshape(h, w)
                for first, h, w, single in order]
        try:
            return _scalar(compiled(*args))
        except Exception:  # an error inside a spreadsheet function: no number, as #VALUE! gives none
            return math.nan

    def fn(*values):
        arrays = [np.asarray(v, dtype=float) for v in values]
        sizes = [a.shape[0] for a in arrays if a.ndim]
        if not sizes:
            return point([float(a) for a in arrays])
        n = max(sizes)
        columns = [np.broadcast_to(a, (n,)).tolist() for a in arrays]
        return np.array([point(row) for row in zip(*columns)] if columns else [point([])] * n, dtype=float)

    return fn


def _scalar(x) -> float:
    """A result of the formulas package as a number: an array's top-left element (what a cell
    that is no array formula shows), TRUE as 1; NaN for an error, text or nothing."""
    while isinstance(x, np.ndarray):
        if not x.size:
            return math.nan
        x = x.flat[0]
    if isinstance(x, (bool, np.bool_, int, float, np.number)):
        return float(x)
    return math.nan


def describe_ref(sheet: str | None, row: int, col: int) -> str:
    """'A8', or "'Other'!A8" for a cell of another sheet."""
    return (_quote(sheet) + "!" if sheet is not None else "") + address(row, col)
