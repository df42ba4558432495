"""sheetnet: the Python twin of the Simple_Neural_Net workbook. See :mod:`sheetnet.api` and docs/api.md.

    import sheetnet
    trace = sheetnet.open("Simple_Neural_Net.ods")["Sheet1"].train(995)
"""

from .api import Network, Saved, Swept, Trace, Verification, Workbook, check, open, sweep, write  # noqa: F401 (open: see __all__)
from .errors import SheetnetError
from .math.data import Dataset
from .verify.report import Fault, Report

# `open` is left out: `from sheetnet import *` must not hide the built-in open.
__all__ = ["Dataset", "Fault", "Network", "Report", "Saved", "SheetnetError", "Swept", "Trace", "Verification", "Workbook",
           "check", "sweep", "write"]
