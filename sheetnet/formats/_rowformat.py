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
