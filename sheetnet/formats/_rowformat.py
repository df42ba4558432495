"""Compiled rows: a writer's row, given as pieces, turned into one fast %-format.

A writer lays a row out as pieces: literal texts, ints (a row offset: the row's own number
plus it, as formula trees leave relative rows open, see :meth:`sheetnet.expression.Node.pieces`)
and :class:`Value` (a number of the row). A row of captions is filled in once (:func:`fill`);
a shape of data row is compiled once (:func:`compile_row`) and then filled for every row. Every
literal has its '%' doubled in the compiled format, so no text of a workbook is interpreted.
"""

from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

import orjson

from ..expression import fill
from ._xml import escape


class Value(NamedTuple):
    """Where value k of a compiled row's values stands."""

    k: int


def escaped(pieces) -> list:
    """The pieces with each literal escaped for XML."""
    return [escape(p) if isinstance(p, str) else p for p in pieces]


def compile_row(pieces, count: int):
    """A function of (values, r) giving the row text of row r from its count values; it raises
    NotFinite when a number is not finite.

    Numbers are written with the fewest digits that read back as the same float64 (the digits
    Python's repr picks; an exponent as orjson writes it, 1e16 or 1e+16 by its version), row
    numbers as integers: orjson writes a row's numbers and row numbers in one call, 3 times
    faster than '%.17g' (the fastest of Python's own), and the row is one %-format of the texts,
    split at the commas. A row of formulas alone (verify renders a row's expected formulas so)
    takes its row numbers by '%d'.
    """
    numbers = any(isinstance(p, Value) for p in pieces)
    text, fields = [], []
    offsets = sorted({p for p in pieces if type(p) is int} - {0, -1})
    slot = {0: count, -1: count + 1, **{o: count + 2 + n for n, o in enumerate(offsets)}}
    for p in pieces:
        if isinstance(p, str):
            text.append(p.replace("%", "%%"))
        else:
            text.append("%s" if numbers else "%d")
            fields.append(p.k if isinstance(p, Value) else slot[p])
    form = "".join(text)
    if not fields:
        return lambda values, r: form
    pick, dumps = itemgetter(*fields), orjson.dumps
    if not numbers:  # one field or many, %d takes an int as it is, or a tuple of them
        return lambda values, r: form % pick((*values, r, r - 1, *[r + o for o in offsets]))
    if len(fields) == 1:
        def row(values, r):
            return form % _texts(dumps((pick((*values, r, r - 1, *[r + o for o in offsets])),)))
    elif not offsets:  # the rows of a network: this row and the one above
        def row(values, r):
            return form % _texts(dumps(pick((*values, r, r - 1))))
    elif len(offsets) == 1:  # of an online network: and the first of the rows its epoch cost averages
        [o] = offsets

        def row(values, r):
            return form % _texts(dumps(pick((*values, r, r - 1, r + o))))
    else:
        def row(values, r):
            return form % _texts(dumps(pick((*values, r, r - 1, *[r + o for o in offsets]))))
    return row


class NotFinite(ValueError):
    """A compiled row met a NaN or an infinity, which orjson writes as null."""


def _texts(dumped: bytes) -> tuple:
    if b"null" in dumped:
        raise NotFinite
    return tuple(dumped[1:-1].decode().split(","))


_NUMBERS = {float, type(None)}


class RowCompiler:
    """A writer's rows as text. row_pieces(values, formulas, styles, compiled) lays a row out as
    pieces, its numbers as Value(k) when compiled; each shape of data row (numbers, empty cells,
    the same formulas) is compiled once into a fast function, and any other row, such as a row
    of captions or one with styles, is filled in directly."""

    def __init__(self, row_pieces):
        self.row_pieces = row_pieces
        self.compiled = {}

    def __call__(self, values: list, formulas: list | None, r: int, styles: list | None = None) -> str:
        if styles is not None:  # header rows and the first data row: few, never compiled
            return fill(self.row_pieces(values, formulas, styles, False), r)
        key = (id(formulas), tuple(map(type, values)))
        compiled = self.compiled.get(key)
        if compiled is None and _NUMBERS.issuperset(key[1]):
            # The formulas are kept alive with their function, so that their id stays theirs.
            compiled = self.compiled[key] = (compile_row(self.row_pieces(values, formulas, None, True), len(values)),
                                             formulas)
        if compiled is not None:
            try:
                return compiled[0](values, r)
            except NotFinite:  # written as Python writes it, as any row that is not compiled
                pass
        return fill(self.row_pieces(values, formulas, None, False), r)
