"""docs/api.md's code runs, block after block, as a reader runs it from the checkout's root: the docs cannot go stale."""

import re
import shutil

from conftest import ROOT

DOC = ROOT / "docs" / "api.md"


def blocks(text: str) -> list:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_api_docs_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "spreadsheets").mkdir()
    shutil.copy(ROOT / "spreadsheets" / "Simple_Neural_Net.ods", tmp_path / "spreadsheets")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    code = blocks(DOC.read_text(encoding="utf-8"))
    assert len(code) >= 8
    namespace = {"__name__": "api_md"}
    for k, block in enumerate(code, 1):
        exec(compile(block, f"{DOC.name}, code block {k}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "<Workbook Simple_Neural_Net.ods: 2 networks ('Sheet1' 2-2-2, 'Ark2' 1-1-1)>" in printed
    assert "trained.ods: every network verifies" in printed
    assert (tmp_path / "cost.png").read_bytes().startswith(b"\x89PNG")
