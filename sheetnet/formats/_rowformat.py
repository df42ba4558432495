"""Compiled rows: a str.format row template turned into a faster %-format and its arguments."""

from __future__ import annotations

import string
from operator import itemgetter

NUMBER = "%.17g"  # 17 significant digits: every float64 reads back exactly (LAYOUT.md)


def compile_row(template: str, count: int):
    """A function of (values, r) giving the row text, from a str.format template whose fields are
    {k!r} (value k of count values), {r} (this row) and {p} (the previous row).

    '%' with '%.17g' formats numbers about twice as fast as str.format with repr.
    """
    text, fields = [], []
    for literal, field, _, _ in string.Formatter().parse(template):
        text.append(literal.replace("%", "%%"))
        if field is None:
            continue
        if field in ("r", "p"):
            text.append("%d")
            fields.append(count if field == "r" else count + 1)
        else:
            text.append(NUMBER)
            fields.append(int(field))
    form = "".join(text)
    if not fields:
        return lambda values, r: form
    pick = itemgetter(*fields)
    if len(fields) == 1:
        return lambda values, r: form % (pick((*values, r, r - 1)),)
    return lambda values, r: form % pick((*values, r, r - 1))


_NUMBERS = {float, type(None)}


class RowCompiler:
    """A writer's rows as text: each shape of data row (numbers, empty cells, the same formula
    templates) is compiled once by compile_template into a fast function; any other row, such as
    a row of captions or one with styles, goes through plain_row(values, templates, r, styles)."""

    def __init__(self, compile_template, plain_row):
        self.compile_template, self.plain_row = compile_template, plain_row
        self.compiled = {}

    def __call__(self, values: list, templates: list | None, r: int, styles: list | None = None) -> str:
        if styles is not None:  # header rows and the first data row: few, never compiled
            return self.plain_row(values, templates, r, styles)
        key = (id(templates), tuple(map(type, values)))
        compiled = self.compiled.get(key)
        if compiled is None and _NUMBERS.issuperset(key[1]):
            # The templates are kept alive with their function, so that their id stays theirs.
            compiled = self.compiled[key] = (compile_row(self.compile_template(values, templates), len(values)),
                                             templates)
        return compiled[0](values, r) if compiled is not None else self.plain_row(values, templates, r)
