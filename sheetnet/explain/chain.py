"""The chain rule behind a delta, a change-matrix entry or a weight's update, on the numbers of one
row of the sheet, and a finite difference of the cost that checks it.

∂C/∂w_ji^(l) = ∂C/∂a_j^(l) · ∂a_j^(l)/∂z_j^(l) · ∂z_j^(l)/∂w_ji^(l), where z_j^(l) is the neuron's
weighted input, a_j^(l) = σ(z_j^(l)), and ∂C/∂a_j^(l) comes back through the layers above: from
∂C/∂a_k^(L) = a_k^(L) − T_k at the output, each layer's ∂C/∂a is the sum over the layer above of
∂C/∂a · ∂a/∂z · ∂z/∂a. δ_j^(l) is the first two factors, ∂C/∂z_j^(l).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..layout import Column, Kind, Layout
from ..math.network import cost, forward
from .notation import Partial, Symbol, Term, equation, product, total
from .note import COST, ONE, Cells

STEP = 1e-6  # the finite difference's h, relative to the weight where it exceeds 1


@dataclass(frozen=True)
class FiniteDifference:
    """(C(w + h) − C(w − h)) / 2h: the cost with one weight of the row moved either way, the rest
    of the row's weights, inputs and targets as the sheet holds them."""

    weight: Symbol  # the weight moved, bound to its cell
    h: float
    plus: float  # C(w + h)
    minus: float  # C(w − h)
    span: float  # (w + h) − (w − h) as floating point has it

    @property
    def value(self) -> float:
        return (self.plus - self.minus) / self.span


@dataclass(frozen=True)
class Chain:
    """The chain rule of target (∂C/∂w, or ∂C/∂z for a δ) in one row: rule, its factors as
    partials; back, ∂C/∂a of every neuron of the layers above, from the output back; factors, each
    factor of rule worked out; entry, the sheet's number that their product equals."""

    row: int
    target: Term
    rule: Term
    back: tuple  # of notation.Equation
    factors: tuple  # of notation.Equation
    entry: object  # a notation.Equation: the sheet's cell, or δ_j a_i from its cells
    finite: FiniteDifference

    @property
    def product(self) -> float:
        return math.prod(f.value for f in self.factors)


def chain(layout: Layout, c: Column, row: int, value) -> Chain:
    """The chain rule of column c's quantity (a delta, a weight or a change-matrix entry) on the
    numbers of `row`; value(cell) is the sheet's number in a cell (row, column)."""
    s = Cells(layout, row)
    l, j = c.layer, c.j
    known: dict = {}  # ∂C/∂a of the neurons worked out so far

    def value_of(t: Term) -> float:
        return known[t] if t.cell is None else value(t.cell)

    a = lambda m, k: s.symbol(Kind.ACTIVATION, m, k)  # noqa: E731
    z = lambda m, k: Symbol("z", str(k), m)  # noqa: E731
    dC_da = lambda m, k: Partial(COST, a(m, k).named())  # noqa: E731
    back = []
    for m in range(layout.L, l - 1, -1):
        for k in range(layout.sizes[m]) if m > l else [j]:
            if m == layout.L:
                forms = [a(m, k) - s.symbol(Kind.TARGET, m, k)]
            else:
                above = range(layout.sizes[m + 1])
                forms = [total([product(dC_da(m + 1, q), Partial(a(m + 1, q).named(), z(m + 1, q)),
                                        Partial(z(m + 1, q), a(m, k).named())) for q in above]),
                         total([product(dC_da(m + 1, q), a(m + 1, q), ONE - a(m + 1, q),
                                        s.symbol(Kind.WEIGHT, m + 1, q, k)) for q in above])]
            back.append(equation(dC_da(m, k), forms, value_of))
            known[dC_da(m, k)] = back[-1].value
    aj = a(l, j)
    factors = [back.pop(), equation(Partial(aj.named(), z(l, j)), [product(aj, ONE - aj)], value_of)]
    delta = s.symbol(Kind.DELTA, l, j)
    if c.kind == Kind.DELTA:
        target, entry, moved = Partial(COST, z(l, j)), delta, layout.sizes[l - 1]  # the bias: ∂z/∂w is 1
    else:
        w = s.symbol(Kind.WEIGHT, l, j, c.i)
        factors.append(equation(Partial(z(l, j), w.named()), [s.source(l, c.i)], value_of))
        target, moved = Partial(COST, w.named()), c.i
        # The sheet's own ∂C/∂w: its change matrix's entry, or where it has none, δ_j a_i.
        entry = s.symbol(Kind.CHANGE, l, j, c.i) if layout.changes else product(delta, s.source(l, c.i))
    rule = product(*(f.left for f in factors))
    return Chain(row, target, rule, tuple(back), tuple(factors), equation(entry, [entry], value_of),
                 finite_difference(layout, row, value, l, j, moved))


def finite_difference(layout: Layout, row: int, value, l: int, j: int, i: int) -> FiniteDifference:
    """The finite difference of the cost for w_ji^(l), from the weights, inputs and targets of `row`."""
    numbers = lambda kind, m: np.array([value((row, col.col)) for col in layout.columns  # noqa: E731
                                        if (col.kind, col.layer) == (kind, m)])
    W = [None] + [numbers(Kind.WEIGHT, m).reshape(layout.sizes[m], -1) for m in range(1, layout.L + 1)]
    inputs, T = numbers(Kind.INPUT, 0), numbers(Kind.TARGET, layout.L)
    w = W[l][j, i]
    h = STEP * max(1.0, abs(w))

    def cost_at(x: float) -> float:
        moved = [m if m is None else m.copy() for m in W]
        moved[l][j, i] = x
        return cost(forward(moved, inputs)[-1], T)

    weight = Cells(layout, row).symbol(Kind.WEIGHT, l, j, i)
    return FiniteDifference(weight, h, cost_at(w + h), cost_at(w - h), (w + h) - (w - h))
