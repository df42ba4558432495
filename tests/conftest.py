"""Shared fixtures: the original workbook and LibreOffice's exports of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from libreoffice import convert  # tests/ is on the path (pyproject.toml)

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL = ROOT.parent / "shared" / "seed" / "Simple_Neural_Net.ods"
if not ORIGINAL.exists():  # CI lays shared/ beside the checkout; a developer's tree may sit elsewhere
    ORIGINAL = Path("/work/shared/seed/Simple_Neural_Net.ods")

TOL = 1e-12


def close(a: float, b: float, tol: float = TOL) -> bool:
    """LAYOUT.md's comparison: |a - b| <= tol * max(1, |a|, |b|)."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@pytest.fixture(scope="session")
def original() -> Path:
    assert ORIGINAL.exists(), f"the original workbook is missing: {ORIGINAL}"
    return ORIGINAL


@pytest.fixture(scope="session")
def original_exports(original, tmp_path_factory) -> dict:
    """{'ods': the original, 'xlsx': and 'xls': LibreOffice's exports of it, as saved (no recalculation)}."""
    out = tmp_path_factory.mktemp("exports")
    return {"ods": original, "xlsx": convert(original, out, "xlsx", recalc=False),
            "xls": convert(original, out, "xls", recalc=False)}
