"""Sheet names of every kind a spreadsheet allows, through template, train, verify and LibreOffice."""

import pytest
from conftest import close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libreoffice import convert

from sheetnet import formats
from sheetnet.commands.cli import main
from sheetnet.commands.output import Run, write
from sheetnet.formats.xlsx import shift
from sheetnet.grid import SHEET_NAME_LIMIT, sheet_name_problem
from sheetnet.layout import Layout
from sheetnet.math.template import random_problem

NAMES = ["{}", "n{2}", "net{x}", "{r}{p}", "it's", "a ''quoted'' one", 'say "hi"', "wow!", "a.b", "two  words",
         "100%", "%s%d%%", "a;b,c", "C8", "TRUE", "R1C1", "Ωμέγα", "x" * SHEET_NAME_LIMIT,
         "A name whose check is too long", "ends in a quote'x"]


def _run(*args) -> None:
    assert main([str(a) for a in args]) == 0, args


def _kinds(book) -> tuple[list, list]:
    """The names of the check sheets and of the summary sheets of a book sheetnet wrote."""
    checks = [s.name for s in book.sheets if s.value(2, 1) == "Largest relative difference"]
    summaries = [s.name for s in book.sheets if str(s.value(1, 1)).startswith("Summary of sheet")]
    return checks, summaries


def _recalculated_agree(path, folder) -> None:
    """LibreOffice, recalculating every formula, finds each check sheet OK and each summary number
    where sheetnet put it: every cross-sheet reference points at the sheet it should."""
    ours = formats.read(path)
    checks, summaries = _kinds(ours)
    assert checks and summaries
    theirs = formats.read(convert(path, folder, path.suffix[1:]))
    assert theirs.names == ours.names
    for name in checks:
        assert theirs.sheet(name).value(4, 2) == "OK", name
    for name in summaries:
        mine, other = ours.sheet(name), theirs.sheet(name)
        numbers = 0
        for r, cells in mine.rows.items():
            for c, cell in cells.items():
                if cell.formula and isinstance(cell.value, float):
                    assert close(other.value(r, c), cell.value), (name, r, c, other.value(r, c), cell.value)
                    numbers += 1
        assert numbers > 10


@pytest.mark.parametrize("name", ["a\ufffe", "a\x01", "\U00010000" + "x" * 30])
def test_names_xml_or_excel_cannot_hold_are_refused(name):
    assert sheet_name_problem(name) is not None


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
@pytest.mark.parametrize("name", NAMES)
def test_a_sheet_of_any_name_trains_and_verifies(tmp_path, name, suffix):
    assert sheet_name_problem(name) is None
    template, copy, results = (tmp_path / f"{stem}{suffix}" for stem in ("t", "copy", "results"))
    _run("template", template, "--name", name)
    _run("train", template, "-n", 30, "-o", copy)
    _run("train", template, "-n", 30, "-o", results, "--results-only")
    for path in (template, copy, results):
        _run("verify", path)
    book = formats.read(copy)
    assert book.names[0] == name and all(len(n) <= SHEET_NAME_LIMIT for n in book.names)
    assert len({n.casefold() for n in book.names}) == len(book.names) == 6
    checks, summaries = _kinds(book)
    assert len(checks) == len(summaries) == 2
    for check in checks:  # each check sheet compares the sheet it names, and no other
        assert any(f"'{n.replace(chr(39), chr(39) * 2)}'!" in book.sheet(check).cell(8, 41).formula
                   for n in book.names if n not in checks + summaries)


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_libreoffice_follows_every_reference_to_a_sheet_of_any_name(tmp_path, suffix):
    """All the names in one workbook, trained in copy mode: one recalculation checks them all."""
    template = tmp_path / f"names{suffix}"
    write(template, [Run(name, Layout((2, 2, 2)), random_problem((2, 2, 2), seed=k), 1)
                     for k, name in enumerate(NAMES)])
    out = tmp_path / f"trained{suffix}"
    _run("train", template, "-n", 30, "-o", out)
    _run("verify", out)
    _recalculated_agree(out, tmp_path / "lo")


NAME_CHARS = st.one_of(st.sampled_from(list("'\"{}%!.,;=()$- #&<>~@^|`+") + ["Ω", "μ", "é", "汉"]),
                       st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="[]:*?/\\"))
sheet_names = st.text(NAME_CHARS, min_size=1, max_size=SHEET_NAME_LIMIT).filter(
    lambda n: sheet_name_problem(n) is None and n.strip() == n)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(sheet_names, min_size=1, max_size=3, unique_by=str.casefold),
       suffix=st.sampled_from([".ods", ".xlsx"]))
def test_libreoffice_agrees_on_random_sheet_names(tmp_path_factory, names, suffix):
    folder = tmp_path_factory.mktemp("names")
    path = folder / f"random{suffix}"
    write(path, [Run(name, Layout((1, 2, 1)), random_problem((1, 2, 1), seed=k), 20) for k, name in enumerate(names)])
    _recalculated_agree(path, folder / "lo")


def test_a_shared_formula_moves_its_references_but_not_sheet_names_or_strings():
    assert shift("'Q1 B2'!B2+A1*\"C3\"+Sheet2!$A$1+Sheet2!C5+SUM(A1:B$2)", 2, 1) == \
        "'Q1 B2'!C4+B3*\"C3\"+Sheet2!$A$1+Sheet2!D7+SUM(B3:C$2)"
