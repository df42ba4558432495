"""A progress bar for long runs, tqdm's: a widget in a notebook, a line on a terminal, nothing elsewhere.

tqdm.auto picks the notebook widget inside Jupyter and a text bar on stderr otherwise; on a
pipe, a file or in a test harness it prints nothing at all (tqdm's ``disable=None``), so that
logs and captured output stay clean. It shows itself only once a run has taken a moment (short
runs finish before it would appear), redraws a few times a second, and is cleared when the run
ends, for the report that follows.
"""

from __future__ import annotations

from tqdm.auto import tqdm

DELAY = 0.5  # seconds before the bar appears: quick runs never show one
REDRAW = 0.2  # seconds between redraws


class Progress:
    """``with Progress(total, label) as p: ... p.update(done)``, done counting up to total.

    Silent unless enabled and the output is interactive: a terminal's stderr (or stream) or a notebook.
    """

    def __init__(self, total: int, label: str = "", stream=None, enabled: bool = True):
        self.bar = tqdm(total=max(int(total), 1), desc=label, file=stream, disable=None if enabled else True,
                        delay=DELAY, mininterval=REDRAW, leave=False, unit="it", unit_scale=True, dynamic_ncols=True)

    def __enter__(self) -> Progress:
        return self

    def update(self, done: int) -> None:
        self.bar.update(done - self.bar.n)

    def __exit__(self, *_):
        self.bar.close()
