"""Shared fixtures: the original workbook, and LibreOffice's exports of it.

The original is the replica that tests/original.py builds and LibreOffice computes, and, where
the real file lies beside the checkout in ../shared/seed/ (as in CI), that file too: every test
of the original runs against each source there is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from libreoffice import convert  # tests/ is on the path (pyproject.toml)
from original import computed

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "Simple_Neural_Net.ods"
SOURCES = ["replica", "seed"] if SEED.exists() else ["replica"]

# The `sheetnet` command the tests run in subprocesses is this checkout's code, whatever copy
# pip installed (a second checkout, a worktree).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

TOL = 1e-12


def close(a: float, b: float, tol: float = TOL) -> bool:
    """LAYOUT.md's comparison: |a - b| <= tol * max(1, |a|, |b|)."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@pytest.fixture(scope="session")
def replica(tmp_path_factory) -> Path:
    """The replica of the original, as LibreOffice computed it."""
    return computed(tmp_path_factory.mktemp("replica"))


@pytest.fixture(scope="session", params=SOURCES)
def original(request) -> Path:
    """The original workbook: the replica, or the real file where it is present."""
    return request.getfixturevalue("replica") if request.param == "replica" else SEED


@pytest.fixture(scope="session")
def original_exports(original, tmp_path_factory) -> dict:
    """{'ods': the original, 'xlsx': and 'xls': LibreOffice's exports of it, as saved (no recalculation)}."""
    out = tmp_path_factory.mktemp("exports")
    return {"ods": original, "xlsx": convert(original, out, "xlsx", recalc=False),
            "xls": convert(original, out, "xls", recalc=False)}
