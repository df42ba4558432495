"""A progress bar for long runs, drawn on a terminal's stderr and nowhere else.

On a pipe, a file or in a test harness it prints nothing at all, so that logs and captured
output stay clean. It shows itself only once a run has taken a moment (short runs finish
before it would appear) and redraws at most a few times a second, so that ``update`` costs
one integer comparison per call in a tight loop.
"""

from __future__ import annotations

import math
import sys
import time

DELAY = 0.5  # seconds before the bar appears: quick runs never show one
REDRAW = 0.2  # seconds between redraws
WIDTH = 30  # characters of the bar itself


class Progress:
    """``with Progress(total, label) as p: ... p.update(done)``, done counting up to total.

    Silent unless enabled and the stream (stderr by default) is a terminal.
    """

    def __init__(self, total: int, label: str = "", stream=None, enabled: bool = True):
        self.total, self.label = max(int(total), 1), label
        self.stream = sys.stderr if stream is None else stream
        self.start = time.monotonic()
        self.shown = False
        # update() only looks at the clock once done reaches `check`: a step sized to take
        # about REDRAW seconds, guessed from the pace so far; never when the bar is off.
        self.check = 1 if enabled and _is_terminal(self.stream) else math.inf
        self.full, self.empty = ("█", "░") if _can_encode(self.stream, "█░") else ("#", "-")
        self.last_done = 0
        self.last_time = self.start

    def __enter__(self) -> "Progress":
        return self

    def update(self, done: int) -> None:
        if done < self.check:
            return
        now = time.monotonic()
        pace = (done - self.last_done) / max(now - self.last_time, 1e-9)
        self.check = done + max(1, int(pace * REDRAW))
        self.last_done, self.last_time = done, now
        if now - self.start >= DELAY:
            self._draw(done, now)

    def _draw(self, done: int, now: float) -> None:
        fraction = min(done / self.total, 1.0)
        filled = int(fraction * WIDTH)
        elapsed = now - self.start
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
        bar = self.full * filled + self.empty * (WIDTH - filled)
        text = (f"{self.label} {bar} {fraction:4.0%} {done:,}/{self.total:,} "
                f"{_duration(elapsed)} elapsed, {_duration(left)} left")
        self.stream.write("\r" + text + "\x1b[K")  # \x1b[K clears what a longer line left behind
        self.stream.flush()
        self.shown = True

    def __exit__(self, *_):
        if self.shown:
            self.stream.write("\r\x1b[K")  # leave the terminal as it was: the summary follows
            self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _can_encode(stream, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
