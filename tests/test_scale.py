"""Long trainings: --log-every, the row limit, bounded memory, the fast float path, the progress bar.

No timings here: speed is measured by scripts/bench.py.
"""

import io
import shutil
import subprocess
import tracemalloc
import zipfile

import numpy as np
import pytest
from conftest import close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libreoffice import convert

from sheetnet import formats
from sheetnet.commands import progress
from sheetnet.commands.output import CHUNK_ROWS, LOG_ROWS, Run, check_rows, write
from sheetnet.errors import SheetnetError
from sheetnet.formats import _xml, fastrows, ods, xlsx
from sheetnet.formats import csv as csv_format
from sheetnet.layout import Layout, networks
from sheetnet.math.network import FloatPath, NumpyPath, count_logged, histories, history, logged, train
from sheetnet.math.template import ORIGINAL_2_2_2, random_problem

N = 250  # iterations of the runs compared below; 249 is not a multiple of EVERY, so the last row is extra
EVERY = 7


def sheetnet(*args, cwd=None):
    exe = shutil.which("sheetnet")
    assert exe, "the sheetnet command is not installed (pip install -e .)"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A full run of the original 2-2-2 network and --log-every runs of it, written by the command."""
    folder = tmp_path_factory.mktemp("scale")
    assert sheetnet("template", folder / "net.ods").returncode == 0
    written = {}
    for name, extra in [("full.ods", []), ("every.ods", ["--log-every", EVERY]), ("every.xlsx", ["--log-every", EVERY])]:
        result = sheetnet("train", folder / "net.ods", "-n", N, "-o", folder / name, "--results-only", *extra)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""  # no progress bar on a pipe
        written[name] = formats.read(folder / name).sheet("Sheet1")
    written["folder"] = folder
    return written


def data_rows(sheet):
    return {r: cells for r, cells in sheet.rows.items() if r >= 8}


def test_logged_iterations():
    assert list(logged(10, 3)) == [1, 4, 7, 10]
    assert list(logged(11, 5)) == [1, 6, 11]  # the last is not repeated
    assert list(logged(10, 4)) == [1, 5, 9, 10]  # the final state is always there
    assert list(logged(1, 5)) == [1]
    assert list(logged(5, 1)) == [1, 2, 3, 4, 5]
    for n, k in [(10, 3), (11, 5), (1, 1), (1_000_000, 100_000), (999_999, 7)]:
        assert count_logged(n, k) == sum(1 for _ in logged(n, k))


@pytest.mark.parametrize("name", ["every.ods", "every.xlsx"])
def test_log_every_rows_are_the_full_runs_rows(runs, name):
    full, every = data_rows(runs["full.ods"]), data_rows(runs[name])
    shown = list(logged(N, EVERY))
    assert shown[-1] == N and len(shown) == N // EVERY + 2
    assert sorted(every) == [8 + row for row in range(len(shown))]  # one row per logged iteration, no gaps
    layout = Layout((2, 2, 2))
    for row, k in enumerate(shown):
        mine, theirs = every[8 + row], full[8 + k - 1]
        for c in range(layout.first_col, layout.last_col + 1):
            assert close(mine[c].value, theirs[c].value, 1e-14), (name, k, c)
    # The last row is the final state of the full run: its last row, cell for cell.
    assert every[8 + len(shown) - 1][layout.last_col].value == pytest.approx(full[8 + N - 1][layout.last_col].value,
                                                                               rel=1e-14, abs=1e-300)
    assert every[8][1].value == 0.5  # the learning rate, where the layout wants it


@pytest.mark.parametrize("name", ["every.ods", "every.xlsx"])
def test_formulas_only_when_every_row_is_written(runs, name):
    full = data_rows(runs["full.ods"])
    assert sum(cell.formula is not None for cells in full.values() for cell in cells.values()) == 37 * N - 16  # all but the first row's inputs, weights and targets
    assert full[9][5].formula == "E8-$A$8*M8*C8"
    assert all(cell.formula is None for cells in data_rows(runs[name]).values() for cell in cells.values())


def test_log_every_output_trains_again(runs):
    """A --log-every workbook is still a workbook in the classic layout, starting from the same state."""
    [(_, layout, problem)] = networks(formats.Book("every.ods", [runs["every.ods"]]))
    assert layout.sizes == (2, 2, 2) and problem.network.lr == 0.5
    np.testing.assert_array_equal(problem.network.W[1], ORIGINAL_2_2_2.network.W[1])


def test_last_row_when_every_divides(tmp_path):
    run = Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, 15, every=7)
    write(tmp_path / "o.xlsx", [run])
    assert sorted(data_rows(formats.read(tmp_path / "o.xlsx").sheet("S"))) == [8, 9, 10]  # iterations 1, 8, 15


# -- the row limit ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_too_many_rows_is_an_error_before_any_work(tmp_path, suffix):
    assert sheetnet("template", tmp_path / "net.ods").returncode == 0
    out = tmp_path / f"big{suffix}"
    result = sheetnet("train", tmp_path / "net.ods", "-n", 1_048_570, "-o", out)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "1,048,576" in result.stderr and "--log-every K, K of at least 2" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.ods"]  # nothing written, not even a temporary file


@pytest.mark.parametrize("Writer", [ods.Writer, xlsx.Writer])
def test_row_limit_boundary(Writer):
    layout = Layout((2, 2, 2))  # 7 rows above the first data row
    check_rows("x", Writer, Run("S", layout, ORIGINAL_2_2_2, 1_048_576 - 7))
    with pytest.raises(SheetnetError, match="K of at least 2"):
        check_rows("x", Writer, Run("S", layout, ORIGINAL_2_2_2, 1_048_576 - 6))
    check_rows("x", Writer, Run("S", layout, ORIGINAL_2_2_2, 10**9, every=1000))
    with pytest.raises(SheetnetError, match="K of at least 954"):
        check_rows("x", Writer, Run("S", layout, ORIGINAL_2_2_2, 10**9, every=100))
    check_rows("x", Writer, Run("S", layout, ORIGINAL_2_2_2, 10**9, every=954))
    with pytest.raises(SheetnetError):
        check_rows("x", Writer, Run("S", layout, ORIGINAL_2_2_2, 10**9, every=953))


def test_csv_has_no_row_limit():
    check_rows("x.csv", csv_format.Writer, Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, 10**9))


# -- memory --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_memory_does_not_grow_with_iterations(tmp_path, suffix):
    """Python's peak allocation for 10x the rows stays put: rows stream out, nothing accumulates.
    (Holding the rows would add about 3 kB each: 50 MB for the larger run.) Both runs are longer
    than a check sheet keeps (LOG_ROWS) and than a chunk of training (CHUNK_ROWS)."""
    assert 2000 > max(LOG_ROWS, CHUNK_ROWS)
    peaks = []
    for n in (2000, 20000):
        tracemalloc.start()
        write(tmp_path / f"o{n}{suffix}", [Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, n)])
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.25 + 200_000, peaks


# -- the fast float path against numpy -------------------------------------------------------------------------


def relative_gap(x, y) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y))))


@pytest.mark.parametrize("sizes, seed, scale", [((2, 2, 2), None, 1), ((2, 2, 2), 4, 1), ((1, 1, 1), 0, 1),
                                                ((3, 5, 4, 2), 1, 1), ((2, 6, 6, 6, 3), 2, 1), ((8, 8, 8), 3, 1),
                                                ((2, 3, 2), 5, 1000)])
def test_float_path_equals_numpy_path(sizes, seed, scale):
    p = ORIGINAL_2_2_2 if seed is None else random_problem(sizes, seed)
    p.network.W = [None] + [w * scale for w in p.network.W[1:]]  # scale 1000: sigmoids saturate both ways
    assert FloatPath.fits(sizes)
    fast, slow = FloatPath(p), NumpyPath(p)
    W = p.network.W
    for _ in range(200):
        mine, theirs = fast.iterate(W), slow.iterate(W)
        for l in range(1, len(sizes)):
            assert relative_gap(mine.a[l], theirs.a[l]) <= 1e-15
            assert relative_gap(mine.delta[l], theirs.delta[l]) <= 1e-15
            assert mine.change[l].shape == theirs.change[l].shape
            assert relative_gap(mine.change[l], theirs.change[l]) <= 1e-15
        assert relative_gap(mine.C, theirs.C) <= 1e-15
        W = slow.advance(W, 1)
    for l, (mine, theirs) in enumerate(zip(fast.advance(p.network.W, 500)[1:], slow.advance(p.network.W, 500)[1:])):
        assert mine.shape == theirs.shape
        assert relative_gap(mine, theirs) <= 1e-15, l
    assert all(np.isfinite(w).all() for w in W[1:])


def test_wide_networks_take_the_numpy_path_and_log_the_same_rows():
    p = random_problem((64, 64, 64), 7)
    assert not FloatPath.fits(p.sizes)
    full = list(train(p, 30))
    for k, it in zip(logged(30, 4), train(p, 30, every=4)):
        for l in (1, 2):
            np.testing.assert_array_equal(it.W[l], full[k - 1].W[l])
        assert it.C == full[k - 1].C


@pytest.mark.parametrize("sizes, every", [((2, 2, 2), 1), ((2, 2, 2), 7), ((3, 5, 4, 2), 3), ((12, 13, 2), 4)])
def test_history_stacks_what_train_yields(sizes, every):
    """history: the float code's rows (2-2-2, 3-5-4-2) or numpy's (12-13-2) stacked, equal to
    train's iterations one by one, and laid out as layout.values lays out each one."""
    p = random_problem(sizes, 11)
    assert FloatPath.fits(sizes) == (sizes != (12, 13, 2))
    n = 40
    stacked, its = history(p, n, every), list(train(p, n, every))
    assert len(stacked.C) == len(its) == count_logged(n, every)
    for k, it in enumerate(its):
        for l in range(1, len(sizes)):
            for field in ("W", "delta", "change"):
                np.testing.assert_array_equal(getattr(stacked, field)[l][k], getattr(it, field)[l])
            np.testing.assert_array_equal(stacked.a[l][k], it.a[l])
        np.testing.assert_array_equal(stacked.a[0][k], it.a[0])
        np.testing.assert_array_equal(stacked.T[k], it.T)
        assert stacked.C[k] == it.C
    layout = Layout(sizes)
    rows = [layout.values(it)[layout.first_col - 1:] for it in its]
    np.testing.assert_array_equal(layout.matrix(stacked), np.array(rows))
    chunks = list(histories(p, n, every, size=4))
    assert [len(h.C) for h in chunks[:-1]] == [4] * (len(chunks) - 1) and 1 <= len(chunks[-1].C) <= 4
    np.testing.assert_array_equal(np.concatenate([layout.matrix(h) for h in chunks]), np.array(rows))
    last = chunks[-1].at(-1)
    np.testing.assert_array_equal(layout.values(last), layout.values(its[-1]))


# -- the progress bar ----------------------------------------------------------------------------------------------


class Stream(io.StringIO):
    def __init__(self, terminal: bool):
        super().__init__()
        self.terminal = terminal

    def isatty(self):
        return self.terminal


@pytest.fixture
def eager_bar(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "REDRAW", 0.0)


def test_progress_bar_draws_on_a_terminal(eager_bar):
    stream = Stream(terminal=True)
    with progress.Progress(200, "Sheet1", stream=stream) as bar:
        for k in range(1, 201):
            bar.update(k)
    text = stream.getvalue()
    assert "Sheet1" in text and "200/200" in text and "100%" in text
    assert text.endswith("\r") and text.rsplit("\r", 2)[-2].strip() == ""  # cleared for the report that follows


@pytest.mark.parametrize("enabled, terminal", [(True, False), (False, True)])
def test_progress_bar_is_silent_off_a_terminal_or_when_off(eager_bar, enabled, terminal):
    stream = Stream(terminal=terminal)
    with progress.Progress(200, "Sheet1", stream=stream, enabled=enabled) as bar:
        for k in range(1, 201):
            bar.update(k)
    assert stream.getvalue() == ""


def test_write_prints_nothing_on_stderr_when_it_is_a_pipe(eager_bar, tmp_path, capsys):
    write(tmp_path / "o.ods", [Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, 300)], progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# -- the readers' fast lane: the same Book as expat alone ----------------------------------------------------------


def read_both(path, monkeypatch):
    """(the Book with the fast lane, the Book with expat alone), or the errors they raise."""

    def expat_only(stream, reader, rows, member):
        _xml.parse(stream, reader.start, reader.end, reader.text, member=member)
        yield

    results = []
    for scan in (fastrows.scan, expat_only):
        with monkeypatch.context() as m:
            m.setattr(fastrows, "scan", scan)
            try:
                book = formats.read(path)
                results.append([(s.name, s.rows) for s in book.sheets])
            except SheetnetError as e:
                results.append(("error", str(e).split(" (")[0]))
    return results


@pytest.mark.parametrize("chunk", [1 << 20, 997])  # 997 bytes: rows cut by chunk ends everywhere
def test_fast_lane_reads_written_workbooks_exactly(runs, original, original_exports, monkeypatch, chunk):
    monkeypatch.setattr(fastrows, "CHUNK", chunk)
    folder = runs["folder"]
    paths = [original, original_exports["xlsx"], *folder.glob("*.ods"), *folder.glob("*.xlsx")]
    assert len(paths) == 6
    for path in paths:
        fast, slow = read_both(path, monkeypatch)
        assert fast == slow, path


ODS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
            'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0">'
            '<office:body><office:spreadsheet><table:table table:name="S">')
ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"
ROW = ('<table:table-row><table:table-cell table:number-columns-repeated="2"/>'
       '<table:table-cell table:formula="of:=[.C8]*[.$A$8]" office:value-type="float" office:value="0.25"/>'
       '<table:table-cell office:value-type="float" office:value="1e-300"/></table:table-row>')

TRICKY_ROWS = {
    "plain": ROW,
    "entities": ROW.replace("[.C8]*[.$A$8]", "IF([.C8]&lt;0;&quot;a&amp;b&quot;;[.D8])"),
    "other sheet": ROW.replace("[.C8]", "[$Other.C8]"),
    "range": ROW.replace("[.C8]*[.$A$8]", "SUM([.C8:.D9])"),
    "stray bracket": ROW.replace("[.C8]*[.$A$8]", "[.C8]&amp;&quot;]&quot;"),
    "not openformula": ROW.replace("of:=", "oooc:="),
    "empty formula": ROW.replace('table:formula="of:=[.C8]*[.$A$8]"', 'table:formula=""'),
    "text": ROW.replace('office:value-type="float" office:value="1e-300"/>',
                        'office:value-type="string"><text:p>a &amp; b</text:p></table:table-cell>'),
    "empty paragraph": ROW.replace('office:value-type="float" office:value="1e-300"/>',
                                   "><text:p></text:p></table:table-cell>"),
    "bad number": ROW.replace('office:value="0.25"/>', 'office:value="x"><text:p>shown</text:p></table:table-cell>'),
    "percentage": ROW.replace('office:value-type="float" office:value="1e-300"', 'office:value-type="percentage" '
                                                                                  'office:value="0.5"'),
    "boolean": ROW.replace('office:value-type="float" office:value="1e-300"/>', 'office:value-type="boolean" '
                           'office:boolean-value="true"/>'),
    "covered": ROW.replace('<table:table-cell office:value-type="float" office:value="1e-300"/>',
                           '<table:covered-table-cell office:value-type="float" office:value="2"/>'),
    "repeated value": ROW.replace('<table:table-cell office:value-type', '<table:table-cell '
                                  'table:number-columns-repeated="3" office:value-type'),
    "repeated rows": ROW.replace("<table:table-row>", '<table:table-row table:number-rows-repeated="3">'),
    "comment hides a row": "<!--" + ROW + "-->" + ROW,
    "cdata": ROW.replace("<table:table-cell table:number", "<![CDATA[x]]><table:table-cell table:number"),
    "annotation": ROW.replace('office:value="1e-300"/>', 'office:value="1e-300"><office:annotation><text:p>note'
                              "</text:p></office:annotation><text:p>1</text:p></table:table-cell>"),
    "whitespace": ROW.replace("/><table", "/>\n<table"),
    "too many columns": ROW.replace('number-columns-repeated="2"', 'number-columns-repeated="16384"'),
    "bad repeat": ROW.replace('number-columns-repeated="2"', 'number-columns-repeated="two"'),
    "control character": ROW.replace('office:value="0.25"', 'office:value="0.2\x015"'),
    # Rows whose markup is the plain rows' (their Shape) but for a field, or nearly so.
    "unit separator": ROW.replace('office:value="0.25"', 'office:value="0.2\x1f5"'),
    "tab in a value": ROW.replace('office:value="0.25"', 'office:value="0.25\t"'),
    "bare formula": ROW.replace("of:=[.C8]*[.$A$8]", "of:="),
    "bad entity": ROW.replace("[.C8]*[.$A$8]", "[.C8]&amp[.D8]"),
    "unknown entity": ROW.replace("[.C8]*[.$A$8]", "[.C8]&nbsp;[.D8]"),
    "less-than in a field": ROW.replace("[.C8]*[.$A$8]", "[.C8]<[.D8]"),
    "quote in a field": ROW.replace("[.C8]*[.$A$8]", '[.C8]"[.D8]'),
    "not ascii": ROW.replace("[.C8]*[.$A$8]", "[$'Blatt Ä'.C8]*[.$A$8]"),
    "a number as text": ROW.replace('office:value="0.25"', 'office:value="0.25x"'),
    "duplicate attribute": ROW.replace('office:value="0.25"/>', 'office:value="0.25" office:value="0.5"/>'),
    "attributes swapped": ROW.replace('table:formula="of:=[.C8]*[.$A$8]" office:value-type="float" '
                                      'office:value="0.25"', 'office:value-type="float" office:value="0.25" '
                                      'table:formula="of:=[.C8]*[.$A$8]"'),
    "separator in a formula": ROW.replace("[.C8]*[.$A$8]", '[.C8]" office:value-type="float" office:value="1'),
    "one cell more": ROW.replace("</table:table-row>", '<table:table-cell office:value-type="float" '
                                 'office:value="3"/></table:table-row>'),
    # The plain rows' texts between fields, in another order: as many fields, none holding markup,
    # but a cell without its number and one with two (only rebuilding the row tells).
    "separators reordered": ROW.replace('" office:value-type="float" office:value="0.25"/><table:table-cell '
                                        'office:value-type="float" office:value="1e-300',
                                        '"/><table:table-cell office:value-type="float" office:value="0.25" '
                                        'office:value-type="float" office:value="1e-300'),
    "rebound prefix": ROW.replace("<table:table-row>", '<table:table-row xmlns:table="urn:x">'),
}


# As LibreOffice saves a row: each number also as the text it shows.
SHOWN_ROW = ('<table:table-row table:style-name="ro2"><table:table-cell table:number-columns-repeated="2"/>'
             '<table:table-cell table:formula="of:=[.C8]*[.$A$8]" office:value-type="float" office:value="0.25" '
             'calcext:value-type="float"><text:p>0.25</text:p></table:table-cell><table:table-cell '
             'office:value-type="float" office:value="1e-300" calcext:value-type="float"><text:p>1E-300</text:p>'
             "</table:table-cell></table:table-row>")
TRICKY_SHOWN_ROWS = {
    "shown plain": SHOWN_ROW.replace("0.25", "0.5"),
    "shown quote": SHOWN_ROW.replace("<text:p>0.25", '<text:p>"0.25"'),
    "shown entity": SHOWN_ROW.replace("<text:p>0.25", "<text:p>&lt;0.25&gt;"),
    "shown cdata end": SHOWN_ROW.replace("<text:p>0.25", "<text:p>]]>0.25"),
    "shown markup": SHOWN_ROW.replace("<text:p>0.25", "<text:p><text:span>0.25</text:span>"),
}
TRICKY = {**{name: (ROW, row) for name, row in TRICKY_ROWS.items()},
          **{name: (SHOWN_ROW, row) for name, row in TRICKY_SHOWN_ROWS.items()}}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_fast_lane_agrees_with_expat_on_tricky_rows(tmp_path, monkeypatch, name):
    plain, tricky = TRICKY[name]
    body = ODS_HEAD + plain * 3 + tricky + plain * 3 + ODS_TAIL
    path = tmp_path / "t.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", body.encode())
    cut = []
    quick = fastrows.OdsRows.quick
    monkeypatch.setattr(fastrows.OdsRows, "quick", lambda self, *args: cut.append(quick(self, *args)) or cut[-1])
    fast, slow = read_both(path, monkeypatch)
    assert fast == slow
    if name in ("plain", "shown plain"):
        assert fast[0][1][4] == {3: (0.5 if name == "shown plain" else 0.25, "C8*$A$8"), 4: (1e-300, None)}
        assert cut.count(True) == 6  # all rows but the first, which teaches the Shape


# Edits that make a data row malformed, or well-formed in another way than its neighbours.
FRAGMENTS = ['"', "<", ">", "&", "&amp;", "&lt;", "&#31;", "\x1f", "\x01", "\t", "\n", " ", "]]>", "0", "9", ".", "e",
             "[", "]", ";", "=", "of:=", "Ä", "'", "", "<text:p>1</text:p>", '" office:value="1',
             '"/><table:table-cell office:value-type="float" office:value="', "</table:table-row><table:table-row>"]


@pytest.fixture(scope="module")
def small_workbooks(tmp_path_factory):
    """The content.xml of a 12-row training as sheetnet writes it and as LibreOffice saves it."""
    folder = tmp_path_factory.mktemp("edits")
    write(folder / "mine.ods", [Run("S", Layout((2, 2, 2)), ORIGINAL_2_2_2, 12)])
    saved = convert(folder / "mine.ods", folder / "lo", "ods")
    return [zipfile.ZipFile(path).read("content.xml").decode() for path in (folder / "mine.ods", saved)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from([0, 1]), rnd=st.randoms(use_true_random=False))
def test_fast_lane_agrees_with_expat_on_edited_data_rows(small_workbooks, tmp_path, monkeypatch, which, rnd):
    content = small_workbooks[which]
    start = content.index('table:formula="of:=[.C8]')  # the data rows, read by Shapes once one is learned
    for _ in range(rnd.randint(1, 3)):  # anywhere in them, evenly
        at, cut = rnd.randrange(start, len(content) - 200), rnd.randint(0, 3)
        content = content[:at] + rnd.choice(FRAGMENTS) + content[at + cut:]
    fast, slow = read_both(ods_file(tmp_path / "t.ods", content), monkeypatch)
    assert fast == slow


def ods_file(path, body: str):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", body.encode())
    return path


def test_rows_of_a_sheet_left_out_are_passed_over_but_a_table_they_hide_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "HEAD_ROWS", 2)  # keep decides on S after its first 2 rows
    second = '</table:table><table:table table:name="K">'
    keep = lambda sheet: sheet.name == "K"  # noqa: E731
    plain = ods_file(tmp_path / "plain.ods", ODS_HEAD + ROW * 3 + second + ROW * 2 + ODS_TAIL)
    book = formats.read(plain, keep)
    assert [s.name for s in book.sheets] == ["K"] and sorted(book.sheets[0].rows) == [1, 2]
    # A row of S that ends S and starts X before it ends: X is not silently lost.
    hiding = ROW.replace("</table:table-row>", '</table:table><table:table table:name="X"><table:table-row>'
                         "</table:table-row>")
    broken = ods_file(tmp_path / "broken.ods", ODS_HEAD + ROW * 3 + hiding + ROW + second + ROW + ODS_TAIL)
    with pytest.raises(SheetnetError, match="not well-formed"):
        formats.read(broken, keep)


XLSX_ROW = '<row r="{r}"><c r="C{r}"><f>C7*$A$8</f><v>0.25</v></c><c r="D{r}" s="1" t="n"><v>1e-300</v></c></row>'
TRICKY_XLSX = {
    "plain": XLSX_ROW,
    "entities": XLSX_ROW.replace("C7*$A$8", "IF(C7&lt;0,&quot;a&amp;b&quot;,D7)"),
    "string": XLSX_ROW.replace('t="n"><v>1e-300', 't="str"><v>text'),
    "shared string": XLSX_ROW.replace('t="n"><v>1e-300', 't="s"><v>0'),
    "missing shared string": XLSX_ROW.replace('t="n"><v>1e-300', 't="s"><v>7'),
    "boolean": XLSX_ROW.replace('t="n"><v>1e-300', 't="b"><v>1'),
    "empty value": XLSX_ROW.replace("<v>1e-300</v>", "<v></v>"),
    "empty formula": XLSX_ROW.replace("<f>C7*$A$8</f><v>0.25</v>", "<f></f>"),
    "shared formula": XLSX_ROW.replace("<f>C7*$A$8</f>", '<f t="shared" ref="C{r}:C9" si="0">C7*$A$8</f>'),
    "other row": XLSX_ROW.replace('r="D{r}"', 'r="D99"'),
    "beyond the sheet": XLSX_ROW.replace('r="D{r}"', 'r="XFE{r}"'),
    "inline string": XLSX_ROW.replace('<c r="D{r}" s="1" t="n"><v>1e-300</v></c>',
                                      '<c r="D{r}" t="inlineStr"><is><t>hi</t></is></c>'),
    "comment": "<!-- " + XLSX_ROW + " -->",
    "row numbered in other digits": XLSX_ROW.replace('<row r="{r}">', '<row r="\u00b2">'),  # '²'.isdigit()
}


@pytest.mark.parametrize("name", sorted(TRICKY_XLSX))
def test_fast_lane_agrees_with_expat_on_tricky_xlsx_rows(tmp_path, monkeypatch, name):
    rows = "".join(XLSX_ROW.format(r=r) for r in (1, 2)) + TRICKY_XLSX[name].format(r=3) + XLSX_ROW.format(r=4)
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                   '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
                   '2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   "<si><t>shared</t></si></sst>")
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-8"?><worksheet '
                   'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + rows +
                   "</sheetData></worksheet>")
    fast, slow = read_both(path, monkeypatch)
    assert fast == slow
    if name == "plain":
        assert fast[0][1][1] == {3: (0.25, "C7*$A$8"), 4: (1e-300, None)}


@pytest.mark.parametrize("name, Rows", [("full.ods", fastrows.OdsRows), ("every.xlsx", fastrows.XlsxRows)])
def test_fast_lane_takes_the_data_rows(runs, monkeypatch, name, Rows):
    """Not a vacuous equality: the data rows of a written workbook do go through the fast lane,
    and those of an .ods nearly all by their Shape (the first ones teach it)."""
    taken = {"row": 0, "quick": 0}
    row, quick = Rows.row, Rows.quick

    def counted(kind, method):
        def call(self, *args):
            done = method(self, *args)
            taken[kind] += kind == "row" or done
            return done
        return call

    monkeypatch.setattr(Rows, "row", counted("row", row))
    monkeypatch.setattr(Rows, "quick", counted("quick", quick))
    formats.read(runs["folder"] / name)
    if name == "full.ods":  # the data rows of the network sheet and of its check sheet
        assert taken["quick"] >= 2 * N - 10
    else:
        assert taken["row"] >= len(list(logged(N, EVERY))) - 2
