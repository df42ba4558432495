"""Formula trees and their renderings in the neutral syntax and in OpenFormula."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.expression import NEUTRAL, OPENFORMULA, Binary, Call, Negate, Number, Range, Ref, Text, call, total
from sheetnet.formats.ods import from_openformula
from sheetnet.formula import parse
from sheetnet.grid import sheet_name_problem
from sheetnet.layout import Layout

a, b, c = (Ref(k, 0, relative=True) for k in (1, 2, 3))  # A, B, C of the formula's own row


@pytest.mark.parametrize("tree, neutral, openformula", [
    (Ref(3, 8), "C8", "of:=[.C8]"),
    (Ref(3, -1, relative=True), "C9", "of:=[.C9]"),
    (Ref(1, 8, fixed_col=True, fixed_row=True), "$A$8", "of:=[.$A$8]"),
    (Ref(1, 8, fixed_col=True), "$A8", "of:=[.$A8]"),
    (Ref(28, 1, sheet="My sheet"), "'My sheet'!AB1", "of:=[$'My sheet'.AB1]"),
    (Ref(1, 1, sheet="it's"), "'it''s'!A1", "of:=[$'it''s'.A1]"),
    (Range(Ref(3, 0, relative=True), Ref(39, 0, relative=True)), "C10:AM10", "of:=[.C10:.AM10]"),
    (Range(Ref(3, 8, sheet="a.b"), Ref(4, 9)), "'a.b'!C8:D9", "of:=[$'a.b'.C8:.D9]"),
    (Number(1), "1", "of:=1"),
    (Number(0.5), "0.5", "of:=0.5"),
    (Number(1e-5), "1e-05", "of:=1e-05"),
    (Text('say "OK"'), '"say ""OK"""', 'of:="say ""OK"""'),
    (call("IF", Binary("<=", a, b), Text("OK"), Text("no")), 'IF(A10<=B10,"OK","no")', 'of:=IF([.A10]<=[.B10];"OK";"no")'),
    (Call("PI"), "PI()", "of:=PI()"),
    (-a, "-A10", "of:=-[.A10]"),
    (a ** 2, "A10^2", "of:=[.A10]^2"),
    (a / b, "A10/B10", "of:=[.A10]/[.B10]"),
])
def test_every_node_renders_in_both_syntaxes(tree, neutral, openformula):
    assert tree.text(10) == neutral
    assert tree.text(10, OPENFORMULA) == openformula


@pytest.mark.parametrize("tree, text", [
    (a - (b - c), "A1-(B1-C1)"),
    ((a - b) - c, "A1-B1-C1"),
    (a / (b * c), "A1/(B1*C1)"),
    (a * b / c, "A1*B1/C1"),
    (a + b * c, "A1+B1*C1"),
    ((a + b) * c, "(A1+B1)*C1"),
    (-(a ** 2), "-(A1^2)"),  # Excel and LibreOffice bind the minus sign tighter than ^
    ((-a) ** 2, "(-A1)^2"),
    (a ** -b, "A1^(-B1)"),
    (a ** b ** c, "A1^(B1^C1)"),
    (-(a + b), "-(A1+B1)"),
    (-call("EXP", a), "-EXP(A1)"),
    (-Negate(a), "--A1"),
    (a - Number(-2), "A1--2"),
    (Number(-2) ** 2, "(-2)^2"),
    (1 / (1 + call("EXP", -(a * b + c))), "1/(1+EXP(-(A1*B1+C1)))"),
    (Binary(">", a + b, c) * 2, "(A1+B1>C1)*2"),
    (total([a, b, c]), "A1+B1+C1"),
])
def test_parentheses_stand_where_precedence_needs_them(tree, text):
    assert tree.text(1) == text
    # The parser of formulas read from files agrees on what the text means.
    assert parse(text, 1, 5).key == parse(tree.text(1), 1, 5).key


def test_pieces_leave_relative_rows_open():
    tree = Ref(3, -1, relative=True) - Ref(1, 8, fixed_col=True, fixed_row=True) * Ref(13, 0, relative=True)
    assert tree.pieces() == ("C", -1, "-$A$8*M", 0)
    assert tree.pieces(OPENFORMULA) == ("of:=[.C", -1, "]-[.$A$8]*[.M", 0, "]")


def test_the_layout_writes_the_originals_formulas():
    layout = Layout((2, 2, 2), changes=False)
    text = {c.letter: layout.formula(c, first=False).text(9) for c in layout.columns}
    assert text["K"] == "1/(1+EXP(-(C9*E9+D9*F9+G9)))"
    assert text["W"] == "(U9-Y9)*U9*(1-U9)"
    assert text["M"] == "K9*(1-K9)*(W9*O9+X9*R9)"
    assert text["AA"] == "0.5*(U9-Y9)^2+0.5*(V9-Z9)^2"
    assert text["E"] == "E8-$A$8*M8*C8" and text["G"] == "G8-$A$8*M8" and text["C"] == "C8"
    assert layout.formula(layout.at("input", 0), first=True) is None
    assert Layout((2, 2, 2)).update_from_change(layout.at("weight", 1)).text(9) == "E8-$A$8*AB8"
    assert layout.lr_ref("S").text(9, OPENFORMULA) == "of:=[$'S'.$A$8]"


def test_bad_trees_are_refused():
    with pytest.raises(ValueError):
        Number(float("inf"))
    with pytest.raises(ValueError):
        Ref(0, 1)
    with pytest.raises(ValueError):
        Range(Ref(1, 1, sheet="a"), Ref(2, 2, sheet="b"))
    with pytest.raises(TypeError):
        a + "1"


# Any character a sheet name may hold, the troublesome ones often.
NAME_CHARS = st.one_of(st.sampled_from(list("'\"{}%!.,;=()$- #&<>~@^|`+") + ["Ω", "μ", "é", "汉", "\t"]),
                       st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="[]:*?/\\"))
sheet_names = st.text(NAME_CHARS, min_size=1, max_size=31).filter(lambda n: sheet_name_problem(n) is None)


@settings(max_examples=300, deadline=None)
@given(name=sheet_names, col=st.integers(1, 16384), row=st.integers(1, 1 << 20))
def test_any_sheet_name_reads_back_as_the_same_reference(name, col, row):
    largest = call("MAX", Ref(col, row, sheet=name), Range(Ref(3, -1, relative=True, sheet=name), Ref(5, 0, relative=True)),
                   Ref(1, 8, fixed_col=True, fixed_row=True, sheet=name))
    tree = largest - call("LEN", Text(name + ";"))  # a ';' in a string is no separator
    assert from_openformula(tree.text(9, OPENFORMULA)) == tree.text(9)
    # The distinct cells, in order: (row, col) may be one of the others (hypothesis found row 8, col 1).
    assert parse(largest.text(9), 9, 2).cells(9, 2) == list(dict.fromkeys([
        (name, row, col), (name, 8, 3), (name, 8, 4), (name, 8, 5), (name, 9, 3), (name, 9, 4), (name, 9, 5),
        (name, 8, 1)]))
    assert NEUTRAL.sheet(name).count("'") == 2 + 2 * name.count("'")
