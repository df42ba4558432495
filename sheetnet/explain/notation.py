"""The note's notation: equations as small trees of symbols, numbers and operations.

A tree is written as text in the note's symbols, in Unicode (``δ₀⁽¹⁾ = a₀⁽¹⁾(1 − a₀⁽¹⁾)…``),
or as LaTeX (``\\delta_{0}^{(1)} = …``), and it is worked out as by hand (:func:`worked`): first its
symbols become the sheet's numbers, then each step turns every operation whose operands are all
numbers into its result, innermost first, until one number is left; σ, once its argument is a
number, is first written out as 1/(1 + e^−z).

Sums and products take any number of operands, so that a tree's depth does not grow with the
size of a layer. Numbers are computed in the order a spreadsheet computes the same formula:
sums and products from the left.
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass

import numpy as np

# Binding strength, for brackets: a sum binds loosest, a symbol or a call tightest.
_SUM, _PRODUCT, _POWER, _ATOM = 1, 2, 3, 4


class Term:
    """A part of an equation."""

    precedence = _ATOM

    def __add__(self, other: Term) -> Term:
        return Sum((self, other))

    def __sub__(self, other: Term) -> Term:
        return Difference(self, other)


@dataclass(frozen=True)
class Symbol(Term):
    """A quantity of the note: base 'a', 'w', 'δ', 'T', 'C', 'γ', 'z', ... with its indices and
    layer; cell (row, column): where the sheet holds its number (None: no cell holds it)."""

    base: str
    sub: str = ""
    layer: int | None = None
    cell: tuple | None = None

    def named(self) -> Symbol:
        """The same quantity, in no particular row."""
        return Symbol(self.base, self.sub, self.layer)


@dataclass(frozen=True)
class Partial(Term):
    """∂of/∂by; cell: where the sheet holds its number, if it does (a change matrix's entry)."""

    of: Symbol
    by: Symbol
    cell: tuple | None = None


@dataclass(frozen=True)
class Number(Term):
    """A number; shown: how a constant is written instead of its digits ('½')."""

    value: float
    shown: tuple | None = None  # (text, LaTeX)

    @property
    def precedence(self):
        # A negative number is bracketed wherever a sum would be: 0.5 · (-0.2), 1 − (-0.3).
        return _SUM if math.copysign(1.0, self.value) < 0 else _ATOM


HALF = Number(0.5, ("½", r"\frac{1}{2}"))


@dataclass(frozen=True)
class Sum(Term):
    terms: tuple
    precedence = _SUM


@dataclass(frozen=True)
class Difference(Term):
    left: Term
    right: Term
    precedence = _SUM


@dataclass(frozen=True)
class Product(Term):
    factors: tuple
    precedence = _PRODUCT


@dataclass(frozen=True)
class Quotient(Term):
    numerator: Term
    denominator: Term
    precedence = _PRODUCT


@dataclass(frozen=True)
class Square(Term):
    base: Term
    precedence = _POWER


@dataclass(frozen=True)
class Negative(Term):
    """−operand."""

    operand: Term
    precedence = _SUM


@dataclass(frozen=True)
class Call(Term):
    """A function of one argument: σ, its derivative σ′, or exp (written e^x)."""

    name: str
    argument: Term


@dataclass(frozen=True)
class Transpose(Term):
    """A matrix transposed: (w⁽²⁾)ᵀ."""

    matrix: Term


@dataclass(frozen=True)
class Relation(Term):
    """left = right, or left ← right (an update, a copy); right may be a Relation in turn: a = b = c."""

    left: Term
    right: Term
    sign: str = "="


def chained(left: Term, rights, sign: str = "=") -> Term:
    """left sign rights[0] = rights[1] = ..., as one Term; left alone where there are no rights."""
    out = None
    for t in reversed(tuple(rights)):
        out = t if out is None else Relation(t, out)
    return left if out is None else Relation(left, out, sign)


def total(terms) -> Term:
    """terms[0] + terms[1] + ...; one term is itself."""
    terms = tuple(terms)
    return terms[0] if len(terms) == 1 else Sum(terms)


def product(*factors) -> Term:
    """factors[0] · factors[1] · ..., products among them flattened into one."""
    flat = []
    for f in factors:
        flat += f.factors if isinstance(f, Product) else [f]
    return flat[0] if len(flat) == 1 else Product(tuple(flat))


def sigma(z: Term) -> Call:
    return Call("σ", z)


# -- evaluating and working out ------------------------------------------------------------------

def _children(t: Term) -> tuple:
    if isinstance(t, Sum):
        return t.terms
    if isinstance(t, Product):
        return t.factors
    if isinstance(t, Difference):
        return t.left, t.right
    if isinstance(t, Quotient):
        return t.numerator, t.denominator
    if isinstance(t, Square):
        return (t.base,)
    if isinstance(t, Call):
        return (t.argument,)
    if isinstance(t, Negative):
        return (t.operand,)
    return ()


def _rebuilt(t: Term, children: list) -> Term:
    """t with other children, in the same places."""
    if isinstance(t, (Sum, Product)):
        return type(t)(tuple(children))
    if isinstance(t, Call):
        return Call(t.name, children[0])
    return type(t)(*children)


def put_in(t: Term, value_of) -> Term:
    """t with every symbol (and partial) replaced by its number, value_of(symbol)."""
    if isinstance(t, (Symbol, Partial)):
        return Number(float(value_of(t)))
    children = _children(t)
    return _rebuilt(t, [put_in(c, value_of) for c in children]) if children else t


def _step(t: Term) -> Term:
    """One step of working out a tree of numbers: each operation whose operands are numbers
    becomes its result (σ is first written out as 1/(1 + e^−z)); the others take a step inside."""
    children = _children(t)
    if not children:
        return t
    if not all(isinstance(c, Number) for c in children):
        return _rebuilt(t, [_step(c) for c in children])
    if isinstance(t, Call) and t.name == "σ":
        return Quotient(Number(1.0), Sum((Number(1.0), Call("exp", Number(-children[0].value)))))
    with np.errstate(all="ignore"):  # numpy's numbers: a division by 0 or an overflow gives inf, as in a sheet
        return Number(float(_result(t, [np.float64(c.value) for c in children])))


def _result(t: Term, xs: list):
    """The result of operation t on its operands' numbers, in a spreadsheet's order."""
    if isinstance(t, Sum):
        return functools.reduce(operator.add, xs)
    if isinstance(t, Product):
        return functools.reduce(operator.mul, xs)
    if isinstance(t, Difference):
        return xs[0] - xs[1]
    if isinstance(t, Quotient):
        return xs[0] / xs[1]
    if isinstance(t, Square):
        return xs[0] ** 2
    if isinstance(t, Negative):
        return -xs[0]
    return np.exp(xs[0])  # the only call a worked equation holds once σ is written out


def worked(t: Term, value_of) -> tuple:
    """t with its symbols' numbers put in, then every step of working it out; the last is a Number."""
    steps = [put_in(t, value_of)]
    while not isinstance(steps[-1], Number):
        steps.append(_step(steps[-1]))
    return tuple(steps)


@dataclass(frozen=True)
class Equation:
    """left = forms[0] = forms[1] = ..., equal forms of the right side (sign '←': an update or a
    copy, whose right side holds the row above's numbers), and the last form worked out with the
    sheet's numbers: steps, the last of them a Number."""

    left: Term
    forms: tuple
    steps: tuple
    sign: str = "="

    @property
    def value(self) -> float:
        return self.steps[-1].value


def equation(left: Term, forms, value_of, sign: str = "=") -> Equation:
    """The Equation left = forms..., its last form worked out by value_of(symbol)."""
    forms = tuple(forms)
    return Equation(left, forms, worked(forms[-1], value_of), sign)


# -- writing ------------------------------------------------------------------------------------

_SUBSCRIPT = str.maketrans("0123456789,ijk", "₀₁₂₃₄₅₆₇₈₉,ᵢⱼₖ")
_SUPERSCRIPT = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_LATEX_BASE = {"δ": r"\delta", "γ": r"\gamma"}
_LATEX_NAME = {"σ": r"\sigma", "σ′": r"\sigma'"}


@dataclass(frozen=True)
class Style:
    """How one notation writes the parts of a tree."""

    minus: str
    plus: str
    dot: str  # between factors where juxtaposing them would mislead (numbers, partials)
    juxtapose: str  # between factors written side by side
    arrow: str
    equals: str

    def bracket(self, inner: str) -> str:
        return "(" + inner + ")" if self is TEXT else r"\left(" + inner + r"\right)"


TEXT = Style(" − ", " + ", " · ", "", " ← ", " = ")
LATEX = Style(" - ", " + ", r" \cdot ", " ", r" \leftarrow ", " = ")


def write(t: Term, style: Style = TEXT, digits: int = 8) -> str:
    """t in the note's notation: Unicode text or LaTeX; numbers to `digits` significant digits."""
    w = functools.partial(_operand, style=style, digits=digits)
    if isinstance(t, Symbol):
        return _symbol(t, style)
    if isinstance(t, Partial):
        if style is TEXT:
            return f"∂{_symbol(t.of, style)}/∂{_symbol(t.by, style)}"
        return r"\frac{\partial " + _symbol(t.of, style) + r"}{\partial " + _symbol(t.by, style) + "}"
    if isinstance(t, Number):
        return _number(t, style, digits)
    if isinstance(t, Sum):
        return style.plus.join(w(x, below=_SUM if k else 0) for k, x in enumerate(t.terms))
    if isinstance(t, Difference):
        return w(t.left, below=0) + style.minus + w(t.right, below=_SUM)
    if isinstance(t, Product):
        # A factor goes in brackets unless it binds tighter than a product.
        factors = [w(f, below=_PRODUCT) for f in t.factors]
        # Side by side only where that cannot mislead: no partial (a fraction in text), no two numbers.
        apart = any(isinstance(f, Partial) or (isinstance(f, Number) and f.shown is None) for f in t.factors) \
            or any(f[0] in "0123456789.-" for f in factors[1:])
        return (style.dot if apart else style.juxtapose).join(factors)
    if isinstance(t, Quotient):
        if style is TEXT:
            return w(t.numerator, below=_POWER) + "/" + w(t.denominator, below=_POWER)
        return r"\frac{" + write(t.numerator, style, digits) + "}{" + write(t.denominator, style, digits) + "}"
    if isinstance(t, Square):
        return w(t.base, below=_POWER) + ("²" if style is TEXT else "^{2}")
    if isinstance(t, Negative):
        return style.minus.strip() + w(t.operand, below=_SUM)
    if isinstance(t, Call):
        inner = write(t.argument, style, digits)
        if t.name == "exp":
            return f"exp({inner})" if style is TEXT else "e^{" + inner + "}"
        return (t.name if style is TEXT else _LATEX_NAME.get(t.name, t.name)) + style.bracket(inner)
    if isinstance(t, Transpose):
        return w(t.matrix, below=_ATOM) + ("ᵀ" if style is TEXT else "^{T}")
    if isinstance(t, Relation):
        return write(t.left, style, digits) + (style.arrow if t.sign == "←" else style.equals) + \
            write(t.right, style, digits)
    raise TypeError(f"not a term: {t!r}")


def _operand(t: Term, below: int, style: Style, digits: int) -> str:
    """t as an operand, bracketed where it binds no tighter than `below`."""
    inner = write(t, style, digits)
    return style.bracket(inner) if t.precedence <= below else inner


def _symbol(s: Symbol, style: Style) -> str:
    if style is TEXT:
        layer = "" if s.layer is None else f"({s.layer})".translate(_SUPERSCRIPT)
        return s.base + s.sub.translate(_SUBSCRIPT) + layer
    out = _LATEX_BASE.get(s.base, s.base)
    if s.sub:
        out += "_{" + s.sub + "}"
    if s.layer is not None:
        out += "^{(" + str(s.layer) + ")}"
    return out


def _number(n: Number, style: Style, digits: int) -> str:
    if n.shown is not None:
        return n.shown[0] if style is TEXT else n.shown[1]
    text = f"{n.value:.{digits}g}"
    if style is TEXT or "e" not in text or not math.isfinite(n.value):
        return text if math.isfinite(n.value) or style is TEXT else r"\mathrm{" + text + "}"
    mantissa, exponent = text.split("e")
    return mantissa + r" \times 10^{" + str(int(exponent)) + "}"
