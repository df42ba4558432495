"""LibreOffice headless as the reference engine: recalculate a workbook and convert it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# Recalculate every formula on load, whatever program saved the file (0 = always).
_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
# LibreOffice 7.4's threaded calculation of formula groups, on such a recalculation, leaves a few
# cells of a batch sheet whose data sheet changed in the file with their old values (CN8, F9,
# BC9, ... of tests/test_batch.py's edited XOR; the same file recalculates right without it).
_NO_THREADS = ('<item oor:path="/org.openoffice.Office.Calc/Formula/Calculation"><prop '
               'oor:name="UseThreadedCalculationForFormulaGroups" oor:op="fuse"><value>false</value></prop></item>\n')


def soffice() -> str:
    """The soffice binary; a missing one is an error, never a reason to skip."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise RuntimeError("LibreOffice (soffice) is not installed; run scripts/test.sh, which installs it")
    return found


def convert(src: Path, outdir: Path, to: str, recalc: bool = True, timeout: int = 300, threads: bool = True) -> Path:
    """Open src in LibreOffice headless (recalculating every formula when recalc, on several
    threads unless threads is False) and save it in outdir as format `to` ('ods', 'xlsx', 'xls',
    'pdf', ...). Returns the new file's path."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        if recalc:
            user = Path(profile, "user")
            user.mkdir()
            settings = _RECALC_ALWAYS.replace("</oor:items>", ("" if threads else _NO_THREADS) + "</oor:items>")
            (user / "registrymodifications.xcu").write_text(settings)
        env = dict(os.environ, HOME=profile)
        result = subprocess.run(
            [soffice(), "--headless", "--norestore", "--nolockcheck",
             f"-env:UserInstallation=file://{profile}", "--convert-to", to, "--outdir", str(outdir), str(src)],
            capture_output=True, text=True, timeout=timeout, env=env)
    out = outdir / (src.stem + "." + to.split(":")[0])
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"LibreOffice failed to convert {src} to {to}: {result.stdout} {result.stderr}")
    return out
