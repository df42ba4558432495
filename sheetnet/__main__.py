"""`python -m sheetnet`: the `sheetnet` command."""

import sys

from .commands.cli import main

sys.exit(main())
