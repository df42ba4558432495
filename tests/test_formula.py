"""The formula reader: random formulas against a direct evaluation, formulas nested to any depth,
garbage, and deep formulas in workbooks given to the command."""

import functools
import shutil
import subprocess
import sys

import corpus as C
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.formula import COMPILED_DEPTH, FormulaError, parse

# -- random formulas ------------------------------------------------------------------------------

ROW, COL = 9, 3  # the cell that holds the formulas
CELLS = {"C8": (None, 8, 3), "$A$8": (None, 8, 1), "D$9": (None, 9, 4), "$E10": (None, 10, 5),
         "Sheet2!E8": ("Sheet2", 8, 5), "'My sheet'!F8": ("My sheet", 8, 6), "'it''s'!$B$2": ("it's", 2, 2)}
LEVEL = {"=": 0, "<>": 0, "<": 0, ">": 0, "<=": 0, ">=": 0, "+": 2, "-": 2, "*": 3, "/": 3, "^": 4}
COMPARE = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal,
           ">=": np.greater_equal}
ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}
FUNCTIONS = {"EXP": (1, np.exp), "LN": (1, np.log), "SQRT": (1, np.sqrt), "ABS": (1, np.abs), "TANH": (1, np.tanh),
             "POWER": (2, np.power), "SUM": (None, np.add), "MAX": (None, np.maximum), "MIN": (None, np.minimum),
             "PRODUCT": (None, np.multiply)}

numbers = st.floats(0, 1e6, allow_nan=False) | st.integers(0, 1000).map(float)
leaves = numbers.map(lambda x: ("num", x)) | st.sampled_from(sorted(CELLS)).map(lambda name: ("ref", name))


def _extend(children):
    calls = st.sampled_from(sorted(FUNCTIONS)).flatmap(
        lambda name: st.lists(children, min_size=FUNCTIONS[name][0] or 1, max_size=FUNCTIONS[name][0] or 4)
        .map(lambda args: ("call", name, args)))
    return (st.tuples(st.just("bin"), st.sampled_from(sorted(LEVEL)), children, children)
            | st.tuples(st.just("neg"), children) | st.tuples(st.just("pct"), children)
            | st.tuples(st.just("paren"), children) | calls)


trees = st.recursive(leaves, _extend, max_leaves=25)


def level(tree) -> int:
    """How loosely the printed tree binds: a binary operator's level, 9 for what binds tightest."""
    return LEVEL[tree[1]] if tree[0] == "bin" else 5 if tree[0] == "neg" else 9


def show(tree, separator: str) -> str:
    """The tree as formula text, with the brackets precedence needs (and those of "paren" nodes)."""
    kind = tree[0]
    if kind == "num":
        return repr(tree[1])
    if kind == "ref":
        return tree[1]
    if kind == "paren":
        return "(" + show(tree[1], separator) + ")"
    if kind == "call":
        return tree[1] + "(" + separator.join(show(a, separator) for a in tree[2]) + ")"
    bracket = lambda text, needed: f"({text})" if needed else text  # noqa: E731
    if kind == "neg":
        return "-" + bracket(show(tree[1], separator), level(tree[1]) < 5)
    if kind == "pct":
        return bracket(show(tree[1], separator), level(tree[1]) < 9) + "%"
    op, a, b = tree[1:]
    # Left to right within a level: a right operand of the same level needs brackets.
    return (bracket(show(a, separator), level(a) < LEVEL[op]) + op
            + bracket(show(b, separator), level(b) <= LEVEL[op]))


def direct(tree, values: dict):
    """The tree's value computed straight from it, with numpy's arithmetic."""
    kind = tree[0]
    if kind == "num":
        return np.float64(tree[1])
    if kind == "ref":
        return np.float64(values[CELLS[tree[1]]])
    if kind == "paren":
        return direct(tree[1], values)
    if kind == "neg":
        return -direct(tree[1], values)
    if kind == "pct":
        return direct(tree[1], values) / 100.0
    if kind == "call":
        f = FUNCTIONS[tree[1]][1]
        args = [direct(a, values) for a in tree[2]]
        return functools.reduce(f, args) if FUNCTIONS[tree[1]][0] is None else f(*args)
    op, a, b = tree[1], direct(tree[2], values), direct(tree[3], values)
    return np.float64(COMPARE[op](a, b)) if op in COMPARE else ARITHMETIC[op](a, b)


def same(a, b) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == b


def values_of(form, values: dict) -> list:
    return [values[(ref.sheet, *ref.at(ROW, COL))] for ref in form.refs]


@settings(max_examples=300, deadline=None)
@given(trees, st.sampled_from([",", ";"]), st.lists(st.floats(-10, 10), min_size=len(CELLS), max_size=len(CELLS)))
def test_random_formulas_evaluate_as_their_trees(tree, separator, numbers):
    values = dict(zip(CELLS.values(), numbers))
    text = show(tree, separator)
    with np.errstate(all="ignore"):
        expected = direct(tree, values)
    form = parse(text, ROW, COL)
    assert same(float(form.evaluate(values_of(form, values))), float(expected)), text
    # Deeper than Python is given to compile: the stack machine gives the same.
    deep = parse("-(" * (COMPILED_DEPTH + 1) + "-" + "(" + text + ")" + ")" * (COMPILED_DEPTH + 1), ROW, COL)
    assert same(float(deep.evaluate(values_of(deep, values))), float(expected)), text
    # Whole columns, as verify evaluates them.
    column = form.evaluate([np.full(3, v) for v in values_of(form, values)])
    assert all(same(float(x), float(expected)) for x in np.broadcast_to(column, 3)), text


# -- any depth ---------------------------------------------------------------------------------------

NESTED = {  # (text nested n deep, its value where C8 holds 2)
    "brackets": (lambda n: "(" * n + "1" + ")" * n + "+C8", lambda n: 3.0),
    "sums": (lambda n: "1+(" * n + "C8" + ")" * n, lambda n: n + 2.0),
    "minus signs": (lambda n: "-(" * n + "C8" + ")" * n, lambda n: 2.0 * (-1) ** n),
    "bare minus signs": (lambda n: "-" * n + "C8", lambda n: 2.0 * (-1) ** n),
    "functions": (lambda n: "ABS(" * n + "-C8" + ")" * n, lambda n: 2.0),
    "a long chain": (lambda n: "C8" + "+1" * n, lambda n: n + 2.0),
}


@pytest.mark.parametrize("depth", [1, 10, COMPILED_DEPTH, COMPILED_DEPTH + 1, 150, 1_000, 10_000, 100_000])
@pytest.mark.parametrize("kind", sorted(NESTED))
def test_formulas_of_any_depth_evaluate(kind, depth):
    text, value = NESTED[kind][0](depth), NESTED[kind][1](depth)
    form = parse(text, ROW, COL)
    assert form.cells(ROW, COL) == [(None, 8, 3)]
    assert form.evaluate([2.0] * len(form.refs)) == value
    assert form.evaluate([np.array([2.0, 2.0])] * len(form.refs)).tolist() == [value, value]
    assert form.text(ROW) == text and parse(text.replace("C8", "C9"), ROW + 1, COL).key == form.key


@pytest.mark.parametrize("text", ["(" * 100_000 + "1", "1" + ")" * 100_000, "SUM(" * 100_000 + "1",
                                  "-" * 100_000, "1+(" * 100_000 + ")" * 100_000])
def test_unbalanced_deep_formulas_are_refused(text):
    with pytest.raises(FormulaError):
        parse(text, ROW, COL)


@pytest.mark.parametrize("text, value", [
    ("-5%", -0.05), ("2^3%", 2 ** 0.03), ("(1+1)%", 0.02), ("1/0", np.inf), ("0/0", np.nan), ("-1/0", -np.inf),
    ("SUM(1;2,3)", 6.0), ("PI()", np.pi), ("1<2=1", 1.0), ("2*-3+1", -5.0), ("+-+1", -1.0),
])
def test_spreadsheet_arithmetic_on_plain_numbers(text, value):
    assert same(float(parse(text, ROW, COL).evaluate([])), value)


@pytest.mark.parametrize("text", ["SUM(1,)", "(1,2)", "1,2", "PI(", "SUM()", "()", "1 2", "A1:", "A1:3", ")(",
                                  "EXP(1)(2)"])
def test_malformed_formulas_raise_formula_errors(text):
    with pytest.raises(FormulaError):
        parse(text, ROW, COL)


@pytest.mark.parametrize("text, value", [
    ("SUM(A1:B2+1)", 14.0), ("-SUM(-A1:B2)", 10.0), ("SUM(A1:B2%)", 0.1), ("SUMPRODUCT(A1:B1,A2:B2)", 11.0),
    ("SUMXMY2(A1:B1,A2:B2)/2", 4.0), ("SUMSQ(A1:B2)", 30.0), ("SUMX2MY2(A2:B2,A1:B1)", 20.0),
    ("INDEX(MMULT(A1:B1,TRANSPOSE(A2:B2)),1,1)", 11.0), ("INDEX(TRANSPOSE(A1:B1),2,1)", 2.0),
    ("IF(A1<B1,LN(EXP(A2)),0)", 3.0), ("LOG(100)+POWER(A1,2)+SQRT(B2)+ABS(-A1)", 6.0),
    ("MIN(A1:B2)+MAX(A1:B2)+AVERAGE(A1:B2)", 7.5), ("-A1^2", 1.0), ("NOT(A1>B1)*1", 1.0),
    ("A1:A1", 1.0), ("_xlfn.SUMPRODUCT(A1:B1,A2:B2)", 11.0), ("TRUE+A1", 2.0),
])
def test_the_formulas_package_evaluates_what_numpy_does_not_compile(text, value):
    form = parse(text, 5, 5)
    cells = {(None, 1, 1): 1.0, (None, 1, 2): 2.0, (None, 2, 1): 3.0, (None, 2, 2): 4.0}
    args = [cells[(ref.sheet, *ref.at(5, 5))] for ref in form.refs]
    assert form.reason is None
    assert float(form.evaluate(args)) == pytest.approx(value)
    column = form.evaluate([np.array([v, v]) for v in args])
    assert column.tolist() == pytest.approx([value, value])


# The formulas of the spellings, which the formulas package evaluates, and what they give
# on A1..B2 = 1, 2, 3, 4 (from a cell in row 5, column 5).
_PACKAGE_ONLY = """
import sys
from sheetnet.formula import parse
cells = {(None, 1, 1): 1.0, (None, 1, 2): 2.0, (None, 2, 1): 3.0, (None, 2, 2): 4.0}
def value(text):
    form = parse(text, 5, 5)
    return float(form.evaluate([cells[(ref.sheet, *ref.at(5, 5))] for ref in form.refs]))
print(value("SUMPRODUCT(A1:B1,A2:B2)+SUMXMY2(A1:B1,A2:B2)+INDEX(MMULT(A1:B1,TRANSPOSE(A2:B2)),1,1)+IF(A1<B1,1,0)"))
print("scipy.stats" in sys.modules, "formulas.functions.stat" in sys.modules)
print(value("MAX(A1:B2)+SUMSQ(A1:B1)"))
print("formulas.functions.stat" in sys.modules)
"""


def test_the_formulas_package_loads_only_the_function_modules_a_formula_needs():
    """SUMPRODUCT, SUMXMY2, MMULT, INDEX and IF take neither scipy nor the package's statistics
    (half a second to load); MAX, which is among those, takes them when a formula needs it."""
    result = subprocess.run([sys.executable, "-c", _PACKAGE_ONLY], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n") == ["31.0", "False False", "9.0", "True", ""]


def test_functions_are_looked_up_as_the_package_has_them():
    """Every function of the formulas package is the package's own, each looked up from a fresh
    table (its modules imported as names need them); a name it lacks is None."""
    import formulas
    from formulas import functions as package

    from sheetnet.formula import _Functions

    table = formulas.get_functions()
    assert len(table) > 600
    for name, function in table.items():
        assert _Functions(package).get(name) is function, name
    assert _Functions(package).get("SERIESSUM") is None


def test_the_process_keeps_a_bounded_number_of_the_packages_formulas(monkeypatch):
    """Each distinct formula is made once and kept, up to a number, fewer of the formulas package's
    (about 35 KB each); one parse is asked not to make for the package is made later, when asked."""
    from sheetnet import formula

    monkeypatch.setattr(formula, "_CACHE", {False: {}, True: {}})
    monkeypatch.setattr(formula, "_KEPT", {False: 100_000, True: 10})
    for k in range(20):
        assert parse(f"SUMSQ(A1:B1)+{k}", 5, 5).fn is not None
        parse(f"A1*B1+{k}", 5, 5)
    assert (len(formula._CACHE[False]), len(formula._CACHE[True])) == (20, 10)
    formula._CACHE[True].clear()
    put_off = parse("SUMSQ(A1:B1)+99", 5, 5, library=False)
    assert put_off.slow and put_off.fn is None and put_off.reason is None and not formula._CACHE[True]
    made = parse("SUMSQ(A1:B1)+99", 5, 5)
    assert made.evaluate([1.0, 2.0]) == 104.0 and list(formula._CACHE[True]) == [made.key]


def test_names_are_resolved_and_unknown_functions_are_not_evaluated():
    names = {"LR": "Sheet1!$A$8", "W": "$E$8:$F$8"}
    form = parse("E8-lr*SUM(w)", 9, 5, names, sheet="Sheet1")
    assert [ref.key() for ref in form.refs] == ["R[-1]C[0]", "R8C1", "R8C5", "R8C6"]
    assert form.text(10) == "E9-lr*SUM(w)"
    assert parse("E8-$A$8*SUM($E$8:$F$8)", 9, 5).key == form.key
    for text, reason in [("FOOBAR(C8)", "unknown function FOOBAR"), ("C8*nope", "the name NOPE is not"),
                         ("INDIRECT(\"C8\")", "it uses INDIRECT")]:
        form = parse(text, 9, 5, names)
        assert form.fn is None and reason in form.reason
        assert np.isnan(form.evaluate([1.0] * len(form.refs)))


ALPHABET = "()+-*/^%,;:=<>&$!'\" .0123456789ABCEPSUMXQRTNL8"


@settings(max_examples=2000, deadline=None)
@given(st.text() | st.text(alphabet=ALPHABET, max_size=40))
def test_garbage_raises_only_formula_errors(text):
    try:
        form = parse(text, ROW, COL)
    except FormulaError:
        return
    form.evaluate([1.0] * len(form.refs))
    form.evaluate([np.ones(2)] * len(form.refs))


# -- deep formulas in workbooks ----------------------------------------------------------------------

def sheetnet(*args):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("suffix", ["ods", "xlsx"])
@pytest.mark.parametrize("text", [NESTED["brackets"][0](150), NESTED["brackets"][0](5_000), NESTED["sums"][0](5_000)],
                         ids=["150 brackets", "5000 brackets", "5000 sums"])
def test_verify_and_train_take_deep_formulas(tmp_path, suffix, text):
    grid, layout = C.network()
    cell = (C.FIRST, layout.at("cost", 2).col)  # a computed cell of the first data row
    grid[cell] = C.Formula(text.replace("C8", f"C{C.FIRST}"), 1.0)
    path = getattr(C, suffix)(tmp_path / f"deep.{suffix}", {"Sheet1": grid})
    result = sheetnet("verify", path)
    assert result.returncode in (1, 2) and result.stderr.count("\n") <= 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    trained = sheetnet("train", path, "-n", 3, "-o", tmp_path / f"out.{suffix}", "--results-only")
    assert trained.returncode == 0 and "Traceback" not in trained.stderr, trained.stderr


@pytest.mark.parametrize("text", ["1E400*C7", "C7-1e999", "-1E309"])
def test_a_number_beyond_float64_is_refused(text):
    with pytest.raises(FormulaError, match="too large"):
        parse(text, 8, 3)
