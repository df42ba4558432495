"""The note's equation for each kind of cell, in the note's symbols, bound to the cells of a
sheet's rows; with the note's matrix form, and its corrections where the spreadsheet is right
and the note is not (README, "What the note gets wrong")."""

from __future__ import annotations

from dataclasses import dataclass

from ..layout import Column, Kind, Layout
from .notation import (
    HALF,
    Call,
    Equation,
    Negative,
    Number,
    Partial,
    Quotient,
    Relation,
    Square,
    Symbol,
    Term,
    Transpose,
    equation,
    product,
    sigma,
    total,
)

COST = Symbol("C")
ONE = Number(1.0)


class Cells:
    """The note's symbols of a network's cells in one row of the sheet (symbol(...)), and in the
    row above (above(...))."""

    def __init__(self, layout: Layout, row: int):
        self.layout, self.row = layout, row
        self.gamma = Symbol("γ", cell=(layout.first_row, layout.lr_col))

    def symbol(self, kind: Kind, layer: int, j: int = 0, i: int = 0, row: int | None = None) -> Term:
        """The symbol of a column's cell in this row, or in `row` (a₀⁽¹⁾, w₀₁⁽¹⁾, ∂C/∂w₀₁⁽¹⁾)."""
        return of(self.layout.at(kind, layer, j, i), self.row if row is None else row)

    def above(self, kind: Kind, layer: int, j: int = 0, i: int = 0) -> Term:
        return self.symbol(kind, layer, j, i, self.row - 1)

    def source(self, layer: int, i: int, row: int | None = None) -> Term:
        """a_i^(layer-1): an input below layer 1, an activation above; 1 for the bias neuron."""
        if i == self.layout.sizes[layer - 1]:
            return ONE
        return self.symbol(Kind.INPUT if layer == 1 else Kind.ACTIVATION, layer - 1, i, row=row)


def of(c: Column, row: int | None = None) -> Term:
    """The note's symbol of column c, bound to its cell in `row` (None: in no particular row)."""
    cell = None if row is None else (row, c.col)
    sub = c.label[1:]  # 'w12,3' -> '12,3', 'a0' -> '0'
    if c.kind == Kind.CHANGE:
        return Partial(COST, Symbol("w", sub, c.layer), cell)
    if c.kind in (Kind.SAMPLE, Kind.EPOCH):  # an online sheet's: the row's sample s, the epoch cost C_epoch
        return Symbol("s" if c.kind == Kind.SAMPLE else "C", "" if c.kind == Kind.SAMPLE else "epoch", None, cell)
    base = {Kind.INPUT: "a", Kind.ACTIVATION: "a", Kind.WEIGHT: "w", Kind.DELTA: "δ", Kind.TARGET: "T",
            Kind.COST: "C"}[c.kind]
    return Symbol(base, sub, None if c.kind in (Kind.TARGET, Kind.COST) else c.layer, cell)


def vector(base: str, layer: int | None = None) -> Symbol:
    """A layer's vector or matrix, as the note's matrix equations name them: a⁽¹⁾, W⁽²⁾, δ⁽²⁾."""
    return Symbol(base, "", layer)


@dataclass(frozen=True)
class Law:
    """The note's equation of a cell: left = forms (sign '←': an update or a copy, from the row
    above), the note's matrix form of it, and remarks: phrases, tuples of words and Terms."""

    left: Term
    forms: tuple
    sign: str = "="
    matrix: tuple = ()
    remarks: tuple = ()

    def worked(self, value_of) -> Equation:
        return equation(self.left, self.forms, value_of, self.sign)


def law(layout: Layout, c: Column, row: int) -> Law | None:
    """The note's equation of column c's cell in `row`; None where the cell holds a typed number
    (the first row's inputs, weights and targets)."""
    if layout.formula(c, row == layout.first_row) is None:
        return None
    return _LAWS[c.kind](Cells(layout, row), c)


# What the note gets wrong, where the spreadsheet is right, in the note's own symbols (its layers 1 and 2).
_x = Symbol("x")
SIGMA = ("the note prints ", Relation(sigma(_x), Quotient(ONE, ONE - Call("exp", Negative(_x)))),
         ", a minus where the spreadsheet, rightly, has a plus: ",
         Relation(sigma(_x), Quotient(ONE, ONE + Call("exp", Negative(_x)))), "; and its derivative is ",
         Relation(Call("σ′", _x), product(sigma(_x), ONE - sigma(_x))), ", which the note prints as ", sigma(_x))
TRANSPOSE = ("the note writes ", Relation(vector("δ", 1), product(vector("D", 1), vector("w", 2), vector("δ", 2))),
             " without the transpose, which its own sum over ", product(Symbol("δ", "i", 2), Symbol("w", "i0", 2)),
             " needs; and the second entry of its ", vector("D", 1), " is ",
             product(Symbol("a", "1", 1), ONE - Symbol("a", "1", 1)), ", not ",
             product(Symbol("a", "0", 1), ONE - Symbol("a", "0", 1)))
BIAS_ENTRY = ("the note's ", Partial(COST, vector("W", 1)), " prints ", product(Symbol("δ", "1", 2), ONE),
              " as its last entry; it is ", product(Symbol("δ", "1", 1), ONE),
              ": each bias entry is the layer's own δ times the bias neuron's 1")
_IS_PARTIAL = ("δ is ", Partial(COST, Symbol("z")), ", how the cost changes with a neuron's weighted input z: "
               "see the chain rule")


def _copy(s: Cells, c: Column) -> Law:
    return Law(s.symbol(c.kind, c.layer, c.j), (s.above(c.kind, c.layer, c.j),), "←",
               remarks=(("every iteration trains on the same sample: each row copies the row above's",),))


def _update(s: Cells, c: Column) -> Law:
    l, j, i = c.layer, c.j, c.i
    w, delta = s.above(Kind.WEIGHT, l, j, i), s.above(Kind.DELTA, l, j)
    gradient = delta if c.bias else product(delta, s.source(l, i, s.row - 1))
    W = vector("W", l)
    return Law(s.symbol(Kind.WEIGHT, l, j, i),
               (w - product(s.gamma, Partial(COST, of(c))), w - product(s.gamma, gradient)), "←",
               matrix=("in the note's matrices: ", Relation(W, W - product(s.gamma, Partial(COST, W)), "←")),
               remarks=(("the right side holds the row above's numbers: every derivative of an iteration is "
                         "taken before any weight changes",),))


def _activation(s: Cells, c: Column) -> Law:
    l, j, n = c.layer, c.j, s.layout.sizes[c.layer - 1]
    z = total([product(s.symbol(Kind.WEIGHT, l, j, i), s.source(l, i)) for i in range(n)]
              + [s.symbol(Kind.WEIGHT, l, j, n)])
    A = vector("A", l - 1)
    return Law(s.symbol(Kind.ACTIVATION, l, j), (sigma(z),),
               matrix=("in the note's matrices: ", Relation(vector("a", l), sigma(product(A, vector("W", l)))),
                       ", where ", A, " is ", vector("a", l - 1), " with the bias neuron's 1 appended, and the "
                       "note's W holds ", Symbol("w", "ji"), " in row i, column j"),
               remarks=(SIGMA,))


def _delta(s: Cells, c: Column) -> Law:
    l, j = c.layer, c.j
    a = s.symbol(Kind.ACTIVATION, l, j)
    D, delta = vector("D", l), vector("δ", l)
    if l == s.layout.L:
        cost_change, ak = vector("c"), Symbol("a", "k", l)
        return Law(s.symbol(Kind.DELTA, l, j), (product(a - s.symbol(Kind.TARGET, l, j), a, ONE - a),),
                   matrix=("in the note's matrices: ", Relation(delta, product(D, cost_change)), ", where ",
                           Relation(cost_change, vector("a", l) - vector("T")), " and ", D,
                           " is the diagonal matrix of the ", product(ak, ONE - ak)),
                   remarks=(_IS_PARTIAL,))
    back = [product(s.symbol(Kind.DELTA, l + 1, k), s.symbol(Kind.WEIGHT, l + 1, k, j))
            for k in range(s.layout.sizes[l + 1])]
    w = vector("w", l + 1)
    return Law(s.symbol(Kind.DELTA, l, j), (product(a, ONE - a, total(back)),),
               matrix=("in the note's matrices: ", Relation(delta, product(D, Transpose(w), vector("δ", l + 1))),
                       ", where ", w, " is ", vector("W", l + 1), " without its bias column"),
               remarks=(_IS_PARTIAL, TRANSPOSE))


def _cost(s: Cells, c: Column) -> Law:
    L = s.layout.L
    terms = [product(HALF, Square(s.symbol(Kind.ACTIVATION, L, j) - s.symbol(Kind.TARGET, L, j)))
             for j in range(s.layout.sizes[L])]
    return Law(s.symbol(Kind.COST, L), (total(terms),), remarks=(("the note's (5)",),))


def _change(s: Cells, c: Column) -> Law:
    l, j, i = c.layer, c.j, c.i
    change = Relation(Partial(COST, vector("W", l)), product(vector("δ", l), vector("A", l - 1)))
    return Law(s.symbol(Kind.CHANGE, l, j, i), (product(s.symbol(Kind.DELTA, l, j), s.source(l, i)),),
               matrix=("in the note's matrices: ", change, ", the change matrix"),
               remarks=(BIAS_ENTRY,) if c.bias and l < s.layout.L else ())


_LAWS = {Kind.INPUT: _copy, Kind.TARGET: _copy, Kind.WEIGHT: _update, Kind.ACTIVATION: _activation,
         Kind.DELTA: _delta, Kind.COST: _cost, Kind.CHANGE: _change}
