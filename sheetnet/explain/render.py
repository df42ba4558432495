"""An Explanation rendered: as text for a terminal (the note's symbols in Unicode), as Markdown
with the equations in LaTeX math ($...$) for teaching notes, and as JSON-ready data.

Text and Markdown are two writings of the same sections, each a heading and lines, each line a
phrase of words, Terms (math) and Code (a formula). Text from the workbook (the file's and
sheet's names, labels, formulas, verify's findings, which quote cells) is data here: joined to
the words around it, never used as a template; in Markdown its markup characters are escaped
and formulas stand in code spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..grid import address
from ..verify.report import _finite, number
from .cell import Explanation
from .chain import Chain
from .notation import LATEX, TEXT, Call, Difference, Equation, Number, Quotient, Symbol, Term, chained, product, write


@dataclass(frozen=True)
class Code:
    """A formula as the file holds it, in a phrase."""

    text: str


# -- the sections, common to text and Markdown ------------------------------------------------------

def _sides(e: Equation) -> list:
    """The right sides of an equation to show: its forms, then its worked steps, each once."""
    out, seen = [], {write(e.left)}
    for t in (*e.forms, *e.steps):
        if write(t) not in seen:
            out.append(t)
            seen.add(write(t))
    return out


LONGEST = 100  # characters of text an equation may take on one line; a longer one goes on several


def _equation(e: Equation, before: str = "", sides=None) -> list:
    """The equation as lines: left = form = ... = the number on one, or where that is long, each
    side after the first on a line of its own: '= side'. before: words in front of it."""
    sides = _sides(e) if sides is None else sides
    whole = chained(e.left, sides, e.sign)
    if len(before) + len(write(whole)) <= LONGEST or len(sides) < 2:
        return [(before, whole)]
    return [(before, chained(e.left, sides[:1], e.sign))] + [(before + "  = ", t) for t in sides[1:]]


def sections(e: Explanation) -> list:
    """[(heading or None, [phrase, ...])]: what explain says of the cell, in order."""
    out = [(None, [e.about, _holds(e)])]
    if e.law is not None:
        lines = [(chained(e.law.left, e.law.forms, e.law.sign),)]
        if e.law.matrix:
            lines.append(e.law.matrix)
        out.append(("the note", lines + list(e.remarks)))
    elif e.remarks:
        out.append(("the note", list(e.remarks)))
    if e.equation is not None:
        out.append(("with the sheet's numbers", _equation(e.equation, sides=list(e.equation.steps))))
    if e.recomputed is not None:
        out.append(("the numbers", _numbers(e)))
    if e.chain is not None:
        out.append(("the chain rule " + e.chain_about, _chain(e.chain)))
    if e.feeds:
        out.append(("feeds", [(f.cell + (f" ({f.what})" if f.what else "") + ": ", Code("=" + f.formula))
                              for f in e.feeds]))
    if e.kind not in ("label", "caption"):
        out.append(("verify", _verdict(e)))
    return out


def _holds(e: Explanation) -> tuple:
    if e.formula is not None:
        return ("formula: ", Code("=" + e.formula)) + (() if e.holds is not None else (
            ", with no cached value (the file was saved without calculating)",))
    if isinstance(e.holds, str):
        return ("holds the text " + repr(e.holds),)
    if e.law is not None:  # a number where the sheet computes one: a values-only file
        return (f"holds the number {number(e.holds)}, without its formula (the file holds numbers only)",)
    return (f"holds the number {number(e.holds)}, typed (no formula)",)


def _numbers(e: Explanation) -> list:
    n = e.numbers()
    lines = []
    if n["equation"] is not None:
        lines.append((f"the note's equation on the sheet's numbers: {number(n['equation'])}",))
    lines.append(("cached in the file: " + ("none" if n["cached"] is None else number(n["cached"])),))
    lines.append((f"recomputed from the first data row: {number(n['recomputed'])}"
                  + (f" (iteration {e.iteration:,})" if e.iteration else ""),))
    if n["cached_minus_recomputed"] is not None:
        relative = "" if n["relative"] is None else f" (relative {n['relative']:.3g})"
        lines.append((f"cached − recomputed: {n['cached_minus_recomputed']:.3g}{relative}",))
    if n["equation_minus_cached"] is not None:
        lines.append((f"equation − cached: {n['equation_minus_cached']:.3g}",))
    return lines


def _chain(c: Chain) -> list:
    lines = [(chained(c.target, [c.rule]),)]
    if c.back:
        lines.append(("back through the layers, from the output:",))
        for b in c.back:
            lines += _equation(b, "  ")
    lines.append(("its factors:",))
    for f in c.factors:
        lines += _equation(f, "  ")
    factors = product(*(Number(f.value) for f in c.factors))
    lines.append(("their product: ", chained(c.rule, [factors, Number(c.product)])))
    lines.append(("the sheet's ", *_equation(c.entry)[0][1:],
                  f": the product differs from it by {c.product - c.entry.value:.3g}"))
    fd, h = c.finite, Symbol("h")
    w = fd.weight.named()
    rule = Quotient(Difference(Call("C", w + h), Call("C", w - h)), product(Number(2.0, ("2", "2")), h))
    lines.append((f"finite difference, {address(*fd.weight.cell)} moved by h = {fd.h:.3g}: ",
                  chained(rule, [Number(fd.value)]), f" from C(w + h) = {number(fd.plus)} and C(w − h) = "
                  f"{number(fd.minus)}; the product differs from it by {c.product - fd.value:.3g}"))
    return lines


def _verdict(e: Explanation) -> list:
    """verify's finding in the cell."""
    f = e.fault
    if f is None:
        return [("no fault in " + e.cell,)]
    lines = [(e.cell + " fails: " + f.problem,)]
    if f.expected_formula and f.expected_formula != f.formula:
        lines.append(("the note's formula here: ", Code("=" + f.expected_formula)))
    if f.refers_to:
        lines.append(("it refers to " + ", ".join(r["cell"] + " = " + number(r["value"])
                                                  + (" (" + r["what"] + ")" if r["what"] else "")
                                                  for r in f.refers_to),))
    if e.first_fault is not None:
        lines.append((f"the sheet's first failing cell is {e.first_fault.cell}, {e.first_fault.what}: "
                      + e.first_fault.problem,))
    return lines


# -- writings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Writing:
    """How one rendering writes a phrase's words, math and code."""

    words: object  # str -> str
    math: object  # Term -> str
    code: object  # str -> str

    def phrase(self, parts) -> str:
        return "".join(self.code(p.text) if isinstance(p, Code) else self.math(p) if isinstance(p, Term)
                       else self.words(p) for p in parts)


_TEXT = _Writing(words=lambda s: s, math=lambda t: write(t, TEXT), code=lambda s: s)


def text(e: Explanation) -> str:
    """The explanation for a terminal."""
    (_, first), *rest = sections(e)
    lines = [f"{e.file}, sheet {e.sheet!r}, cell {e.cell}: {e.what}"] + ["  " + _TEXT.phrase(p) for p in first]
    for heading, phrases in rest:
        lines.append(f"  {heading}:")
        lines += ["    " + _TEXT.phrase(p) for p in phrases]
    return "\n".join(lines)


_MARKUP = re.compile(r"([\\`*_\[\]<>&$|~])")


def _escaped(s: str) -> str:
    """Text as Markdown shows it literally, on one line: its markup characters backslash-escaped."""
    return _MARKUP.sub(r"\\\1", s.replace("\r", " ").replace("\n", " "))


def _code(s: str) -> str:
    """A code span holding s literally, whatever backticks it holds."""
    s = s.replace("\r", " ").replace("\n", " ")
    fence = "`" * (1 + max((len(run) for run in re.findall("`+", s)), default=0))
    pad = " " if s.startswith("`") or s.endswith("`") else ""  # else the fence would run on into s
    return fence + pad + s + pad + fence


_MARKDOWN = _Writing(words=_escaped, math=lambda t: "$" + write(t, LATEX) + "$", code=_code)


def markdown(e: Explanation) -> str:
    """The explanation as Markdown, the equations in LaTeX math, for teaching notes."""
    (_, first), *rest = sections(e)
    out = [f"### Cell {e.cell} of sheet {_escaped(e.sheet)} in {_escaped(e.file)}", "",
           f"**{_escaped(e.what)}**", ""] + ["- " + _MARKDOWN.phrase(p) for p in first]
    for heading, phrases in rest:
        out += ["", f"#### {heading[0].upper()}{heading[1:]}", ""]
        for p in phrases:  # a phrase that text indents is an item of the list above it
            depth = (len(_TEXT.phrase(p)) - len(_TEXT.phrase(p).lstrip(" "))) // 2
            out.append("  " * depth + "- " + _MARKDOWN.phrase(p).strip())
    return "\n".join(out) + "\n"


# -- data -------------------------------------------------------------------------------------------

def data(e: Explanation) -> dict:
    """The explanation as JSON-ready data, the same content: each Term as text and LaTeX, each
    phrase as text and Markdown, each number in full (None where it is not finite)."""
    term = lambda t: None if t is None else {"text": write(t, TEXT), "latex": write(t, LATEX)}  # noqa: E731
    phrase = lambda p: {"text": _TEXT.phrase(p), "markdown": _MARKDOWN.phrase(p)}  # noqa: E731

    def equation(q: Equation | None):
        return None if q is None else {"left": term(q.left), "sign": q.sign, "forms": [term(f) for f in q.forms],
                                       "steps": [term(s) for s in q.steps], "value": q.value}

    c, law = e.chain, e.law
    chain = None if c is None else {
        "about": e.chain_about, "row": c.row, "target": term(c.target), "rule": term(c.rule),
        "back": [equation(b) for b in c.back], "factors": [equation(f) for f in c.factors], "product": c.product,
        "entry": equation(c.entry),
        "finite_difference": {"weight": term(c.finite.weight), "cell": address(*c.finite.weight.cell), "h": c.finite.h,
                              "cost_plus": c.finite.plus, "cost_minus": c.finite.minus, "value": c.finite.value}}
    return _finite({
        "file": e.file, "sheet": e.sheet, "cell": e.cell, "kind": e.kind, "what": e.what, "about": phrase(e.about),
        "holds": e.holds, "formula": e.formula, "symbol": term(e.symbol), "iteration": e.iteration,
        "note": None if law is None else {"equation": term(chained(law.left, law.forms, law.sign)),
                                          "matrix": phrase(law.matrix) if law.matrix else None},
        "remarks": [phrase(r) for r in e.remarks], "equation": equation(e.equation), "numbers": e.numbers(),
        "chain": chain, "feeds": [{"cell": f.cell, "what": f.what, "formula": f.formula} for f in e.feeds],
        "fault": None if e.fault is None else e.fault.as_dict(),
        "first_failing_cell": None if e.first_fault is None else e.first_fault.as_dict(),
    })
