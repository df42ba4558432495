"""Every workbook sheetnet writes reads the same, cell for cell, in every common reader.

The workbooks are made by sheetnet's own command line (template, then train, in the default
mode that copies the input workbook and with --results-only, with formulas and with
--log-every's plain numbers). The reference for each is sheetnet's own reader, itself held
to the numbers sheetnet's Python computes (test_the_reference_is_pythons_numbers). Then:

- readers of cached values: openpyxl (data_only), pandas.read_excel with its openpyxl,
  calamine and odf engines, pyexcel-ods3, and Gnumeric's ssconvert without recalculation:
  every number within 1e-12 relative, and in fact exactly (each reader parses the 17 digits
  written to the very float: none rounds), text exactly, empty as empty;
- readers of formulas: openpyxl gives every formula as sheetnet wrote it;
- engines that recalculate: LibreOffice and Gnumeric (ssconvert --recalc): every number
  within LAYOUT.md's tolerance of Python's, and each check sheet's B4 says "OK".

No reader may be missing: scripts/test.sh installs them all.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import TOL, close
from libreoffice import _RECALC_ALWAYS, soffice

from sheetnet import formats
from sheetnet.commands import cli
from sheetnet.layout import check, networks

INSTALL = "; run scripts/test.sh, which installs every reader the tests use"
N = 300

# name: (template arguments, train arguments); each made as .ods and as .xlsx
WORKBOOKS = {
    "copy": (["--layers", "3", "5", "4", "2", "--seed", "7"], ["-n", str(N)]),
    "results": (["--layers", "3", "5", "4", "2", "--seed", "7"], ["-n", str(N), "--results-only"]),
    "small": (["--seed", "3"], ["-n", "120", "--results-only"]),
    "logged": (["--layers", "3", "5", "4", "2", "--seed", "11"], ["-n", "5000", "--log-every", "100"]),
    "online": (["--data", "xor", "--shuffle", "2", "--layers", "2", "3", "1", "--seed", "5"], ["-n", str(N)]),
    "batch": (["--data", "xor", "--batch", "--seed", "5"], ["-n", str(N)]),  # its data sheet copied with it
    "batch_results": (["--data", "xor", "--layers", "2", "3", "1", "--batch", "--seed", "6"],
                      ["-n", "150", "--results-only"]),  # its data sheet written anew
}
FILES = [(name, suffix) for name in WORKBOOKS for suffix in (".ods", ".xlsx")]


def _need(module: str):
    try:
        return __import__(module)
    except ImportError:
        pytest.fail(f"the Python package {module!r} is missing{INSTALL}")


def _program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed{INSTALL}")
    return found


# -- the workbooks --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Every workbook, made once for the module by sheetnet's command line."""
    out = tmp_path_factory.mktemp("readers")
    for name, (template, train) in WORKBOOKS.items():
        for suffix in (".ods", ".xlsx"):
            source, target = out / f"{name}_in{suffix}", out / f"{name}{suffix}"
            assert cli.main(["template", str(source), *template]) == 0
            assert cli.main(["train", str(source), *train, "-o", str(target)]) == 0
    return out


@pytest.fixture(scope="module")
def reference(folder) -> dict:
    """(name, suffix) -> sheetnet's reading of the workbook: {sheet: {(row, col): (value, formula)}}."""
    found = {}
    for name, suffix in FILES:
        book = formats.read(folder / f"{name}{suffix}")
        found[name, suffix] = {s.name: {(r, c): cell for r, row in s.rows.items() for c, cell in row.items()
                                        if cell.value is not None and cell.value != ""}
                               for s in book.sheets}
    return found


def test_the_reference_is_pythons_numbers(folder, reference):
    """sheetnet's reader, the reference below, gives the numbers sheetnet's Python computes,
    on every network sheet and its check sheet; and the workbooks hold what the tests need."""
    for name, suffix in FILES:
        book = formats.read(folder / f"{name}_in{suffix}")
        sheets = reference[name, suffix]
        copied = "--results-only" not in WORKBOOKS[name][1]
        for source, layout, problem in networks(book):  # an online one's with its data sheet
            n, every = int(WORKBOOKS[name][1][1]), 1
            if "--log-every" in WORKBOOKS[name][1]:
                every = int(WORKBOOKS[name][1][WORKBOOKS[name][1].index("--log-every") + 1])
            numbers = layout.matrix(next(layout.histories(problem, n, every, size=n)))
            trained = source.name + " trained" if copied else source.name
            expected = [trained, trained + " summary", trained + " check"]
            assert set(expected) <= set(sheets), (name, suffix, list(sheets))
            for sheet in (trained, trained + " check"):
                cells = sheets[sheet]
                for k, row in enumerate(numbers):
                    for j, x in enumerate(row):
                        got = cells[layout.first_row + k, layout.first_col + j].value
                        assert got == x, f"{name}{suffix} {sheet}!R{layout.first_row + k}C{layout.first_col + j}"
                assert (layout.first_row + len(numbers), layout.first_col) not in cells
            status = sheets[trained + " check"][check.STATUS]
            assert status.value == "OK" and status.formula.startswith("IF(")
        if copied:  # the input's own sheets come first, as they were
            assert list(sheets)[:len(book.sheets)] == [s.name for s in book.sheets]


# -- readers: each gives {sheet: {(row, col): value}} of the non-empty cells ------------------


def _cells(rows) -> dict:
    """The non-empty cells of rows (lists of values from A1) as {(row, col): value}; NaN is empty."""
    found = {}
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row, 1):
            if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
                continue
            found[r, c] = v
    return found


def read_openpyxl(path: Path, formulas: bool = False) -> dict:
    openpyxl = _need("openpyxl")
    book = openpyxl.load_workbook(path, data_only=not formulas)
    return {ws.title: {(cell.row, cell.column): cell.value for row in ws.iter_rows() for cell in row
                       if cell.value is not None} for ws in book.worksheets}


def read_pandas(path: Path, engine: str) -> dict:
    pandas = _need("pandas")
    _need({"calamine": "python_calamine", "odf": "odf", "openpyxl": "openpyxl"}[engine])
    frames = pandas.read_excel(path, sheet_name=None, header=None, engine=engine)
    return {name: _cells(frame.itertuples(index=False)) for name, frame in frames.items()}


def read_pyexcel_ods3(path: Path) -> dict:
    pyexcel_ods3 = _need("pyexcel_ods3")
    return {name: _cells(rows) for name, rows in pyexcel_ods3.get_data(str(path)).items()}


def _csv_value(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def read_gnumeric(path: Path, recalc: bool = False) -> dict:
    """ssconvert's raw text export, one file per sheet: every number in full precision."""
    ssconvert = _program("ssconvert")
    names = formats.read(path).names  # ssconvert numbers the files; the sheets' names come in this order
    with tempfile.TemporaryDirectory(prefix="gnumeric-") as out:
        result = subprocess.run(
            [ssconvert, *(["--recalc"] if recalc else []), "-S", "--export-type=Gnumeric_stf:stf_assistant",
             "-O", "separator=, format=raw quoting-mode=auto", str(path), f"{out}/sheet_%n.csv"],
            capture_output=True, text=True, timeout=120, env=dict(os.environ, HOME=out))
        assert result.returncode == 0, f"ssconvert failed on {path}: {result.stderr}"
        found = {}
        for k, name in enumerate(names):
            with open(Path(out, f"sheet_{k}.csv"), newline="", encoding="utf-8") as f:
                found[name] = _cells([[_csv_value(t) for t in row] for row in csv.reader(f)])
        assert not Path(out, f"sheet_{len(names)}.csv").exists()
    return found


def read_libreoffice(paths: list, out: Path) -> dict:
    """LibreOffice recalculates every workbook (one soffice for them all) and saves it as .xlsx,
    which openpyxl reads: path -> its sheets."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile, "user")
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS)
        result = subprocess.run(
            [soffice(), "--headless", "--norestore", "--nolockcheck", f"-env:UserInstallation=file://{profile}",
             "--convert-to", "xlsx", "--outdir", str(out), *map(str, paths)],
            capture_output=True, text=True, timeout=300, env=dict(os.environ, HOME=profile))
    found = {}
    for path in paths:
        converted = out / (path.stem + ".xlsx")
        assert converted.exists(), f"LibreOffice did not convert {path}: {result.stdout} {result.stderr}"
        found[path] = read_openpyxl(converted)
    return found


# -- comparing ------------------------------------------------------------------------------


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def compare(reader: str, ours: dict, theirs: dict, same=close, limit: int = 8) -> int:
    """Fail with the first `limit` differences between sheetnet's reading and another reader's;
    return the number of cells compared. same(ours, theirs) decides for numbers."""
    assert list(theirs) == list(ours), f"{reader}: sheets {list(theirs)} instead of {list(ours)}"
    wrong, count = [], 0
    for name, cells in ours.items():
        other = theirs[name]
        for (r, c), cell in cells.items():
            mine, got = cell.value, other.get((r, c))
            count += 1
            if isinstance(mine, str):
                ok = got == mine
            else:
                ok = _is_number(got) and same(float(mine), float(got))
            if not ok:
                wrong.append(f"{name}!R{r}C{c}: {mine!r} read as {got!r}")
        wrong += [f"{name}!R{r}C{c}: empty read as {got!r}" for (r, c), got in other.items() if (r, c) not in cells]
    assert not wrong, f"{reader}: {len(wrong)} cells differ, the first: " + "; ".join(wrong[:limit])
    return count


def exact(a: float, b: float) -> bool:
    return a == b


# Readers of cached values: name -> (the suffixes it reads, the reading function).
CACHED = {
    "openpyxl": ((".xlsx",), lambda p: read_openpyxl(p)),
    "pandas-openpyxl": ((".xlsx",), lambda p: read_pandas(p, "openpyxl")),
    "pandas-calamine": ((".ods", ".xlsx"), lambda p: read_pandas(p, "calamine")),
    "pandas-odf": ((".ods",), lambda p: read_pandas(p, "odf")),
    "pyexcel-ods3": ((".ods",), read_pyexcel_ods3),
    # Gnumeric recalculates every .ods it opens (LibreOffice's own too: a stale cached value
    # comes out recomputed), so its reading of an .ods is test_gnumeric_recalculates_...'s.
    "gnumeric": ((".xlsx",), read_gnumeric),
}
CASES = [(reader, name, suffix) for reader, (suffixes, _) in CACHED.items() for name, suffix in FILES
         if suffix in suffixes]


@pytest.mark.parametrize("reader,name,suffix", CASES, ids=[f"{r}-{n}{s}" for r, n, s in CASES])
def test_cached_values_read_the_same(folder, reference, reader, name, suffix):
    theirs = CACHED[reader][1](folder / f"{name}{suffix}")
    ours = reference[name, suffix]
    # First within 1e-12 relative (a failure here is a misreading), then exactly (one here: a reader that rounds).
    assert compare(reader, ours, theirs, same=lambda a, b: abs(a - b) <= TOL * max(abs(a), abs(b))) > 1000
    compare(reader, ours, theirs, same=exact)


@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_openpyxl_reads_every_formula_sheetnet_wrote(folder, reference, name):
    theirs = read_openpyxl(folder / f"{name}.xlsx", formulas=True)
    ours = reference[name, ".xlsx"]
    formulas = {sheet: {k: cell._replace(value="=" + cell.formula) if cell.formula else cell
                        for k, cell in cells.items()} for sheet, cells in ours.items()}
    compare("openpyxl (formulas)", formulas, theirs, same=exact)
    total = sum(cell.formula is not None for cells in ours.values() for cell in cells.values())
    assert (total > 1000) == ("--log-every" not in WORKBOOKS[name][1])


def _recalculated(reader: str, ours: dict, theirs: dict) -> None:
    """Compare an engine's recalculation with Python's numbers, within LAYOUT.md's tolerance (the
    engines' arithmetic differs in the last bits), and require "OK" in every check sheet's B4."""
    compare(reader, ours, theirs)
    for sheet in ours:
        if sheet.endswith(check.SUFFIX):
            assert theirs[sheet].get(check.STATUS) == "OK", f"{reader}: {sheet}!B4 reads {theirs[sheet].get(check.STATUS)!r}"


@pytest.fixture(scope="module")
def libreoffice(folder, tmp_path_factory) -> dict:
    """LibreOffice's recalculation of every workbook: one soffice per suffix, for the .ods and
    the .xlsx of a name would both be saved as NAME.xlsx."""
    found = {}
    for suffix in (".ods", ".xlsx"):
        paths = [folder / f"{name}{suffix}" for name in WORKBOOKS]
        found.update(read_libreoffice(paths, tmp_path_factory.mktemp("libreoffice" + suffix)))
    return found


@pytest.mark.parametrize("name,suffix", FILES, ids=[n + s for n, s in FILES])
def test_libreoffice_recalculates_to_the_same_numbers(folder, reference, libreoffice, name, suffix):
    _recalculated("LibreOffice", reference[name, suffix], libreoffice[folder / f"{name}{suffix}"])


@pytest.mark.parametrize("name,suffix", FILES, ids=[n + s for n, s in FILES])
def test_gnumeric_recalculates_to_the_same_numbers(folder, reference, name, suffix):
    """Gnumeric, an engine of its own, gives every number, the check sheets' differences too."""
    _recalculated("Gnumeric --recalc", reference[name, suffix], read_gnumeric(folder / f"{name}{suffix}", recalc=True))
