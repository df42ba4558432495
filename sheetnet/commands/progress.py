"""A progress bar for long runs, tqdm's: a widget in a notebook, a line on a terminal, nothing elsewhere.

tqdm.auto picks the notebook widget inside Jupyter and a text bar on stderr otherwise; on a
pipe, a file or in a test harness nothing is printed at all, so that logs and captured output
stay clean (and tqdm is not even imported: it costs a command a few hundredths of a second to
start). The bar shows itself only once a run has taken a moment (short runs finish before it
would appear), redraws a few times a second, and is cleared when the run ends, for the report
that follows.
"""

from __future__ import annotations

import sys

DELAY = 0.5  # seconds before the bar appears: quick runs never show one
REDRAW = 0.2  # seconds between redraws


class Progress:
    """``with Progress(total, label) as p: ... p.update(done)``, done counting up to total.

    Silent unless enabled and the output is interactive: a notebook, or a terminal's stderr (or stream).
    """

    def __init__(self, total: int, label: str = "", stream=None, enabled: bool = True):
        self.bar = None
        if enabled and _interactive(sys.stderr if stream is None else stream):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=max(int(total), 1), desc=label, file=stream, delay=DELAY, mininterval=REDRAW,
                            leave=False, unit="it", unit_scale=True, dynamic_ncols=True)

    def __enter__(self) -> Progress:
        return self

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def __exit__(self, *_):
        if self.bar is not None:
            self.bar.close()


def _interactive(stream) -> bool:
    """Whether a bar can be seen: in a Jupyter kernel (tqdm.auto draws a widget there), or on a terminal."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
