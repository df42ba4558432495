"""Zip members deflated in background threads.

The writers produce XML one row at a time; handing the zip stream one small write per row
makes deflating and crc32 the bottleneck. Here rows are collected into chunks of about a
megabyte and a thread writes them into the member, so that formatting (in the calling
thread) and deflating (which, with crc32, releases the GIL) overlap on two cores.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import zipfile

CHUNK = 1 << 20  # characters collected before a chunk goes to the thread
DEPTH = 4  # chunks waiting at most: memory stays flat however long the member grows
_END = None
# Python lets a thread waiting for the GIL take it only after the switch interval (5 ms by
# default) when another thread keeps it busy; a thread that deflates needs it several times a
# chunk (crc32, deflate, the file's write), so it would wait longer than it works. While any
# such thread runs the interval is 0.5 ms (measured: XOR's 100,000 rows written 8% faster).
SWITCH_INTERVAL = 0.0005


class _Switching:
    """A context in which the switch interval is at most SWITCH_INTERVAL; nestable, across threads."""

    lock = threading.Lock()
    depth = 0
    saved = 0.0

    def __enter__(self):
        with self.lock:
            if _Switching.depth == 0:
                _Switching.saved = sys.getswitchinterval()
                sys.setswitchinterval(min(_Switching.saved, SWITCH_INTERVAL))
            _Switching.depth += 1

    def __exit__(self, *_):
        with self.lock:
            _Switching.depth -= 1
            if _Switching.depth == 0:
                sys.setswitchinterval(_Switching.saved)


class Member:
    """An open zip member that takes text (``write``; bytes spliced in by ``write_bytes``), then
    ``close()`` on success or ``abort()`` on failure (both wait for the thread and close the
    member; abort() after close() does nothing more)."""

    def __init__(self, zip: zipfile.ZipFile, name):
        self.stream = zip.open(name, "w", force_zip64=True)
        self.parts, self.size = [], 0
        self.queue = queue.Queue(DEPTH)
        self.error = None
        self.stopped = self.ended = False
        self.thread = threading.Thread(target=self._deflate, name=f"deflate {name}", daemon=True)
        self.thread.start()
        self.switching = _Switching()
        self.switching.__enter__()

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= CHUNK:
            self._hand_over()

    def write_bytes(self, data: bytes) -> None:
        """Bytes into a text member, after the text written before them (a copied part's XML)."""
        if self.parts:
            self._hand_over()
        elif self.error is not None:
            raise self.error
        self.queue.put(data)

    def _hand_over(self) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put("".join(self.parts).encode())
        self.parts, self.size = [], 0

    def _deflate(self) -> None:
        # After an error or an abort the thread keeps taking chunks, unwritten, so that the
        # writing thread never blocks on a full queue; it learns of the error on its next chunk.
        while (chunk := self.queue.get()) is not _END:
            if self.error is None and not self.stopped:
                try:
                    self.stream.write(chunk)
                except BaseException as e:  # noqa: BLE001 - raised again in the writing thread
                    self.error = e

    def close(self) -> None:
        """Write what is left, wait for the thread, close the member; raise the thread's error."""
        if self.error is None:
            self.queue.put("".join(self.parts).encode())
        self._stop()
        try:
            self.stream.close()  # after an error too: the zip cannot be closed with a member open
        finally:
            if self.error is not None:
                raise self.error  # the first failure, rather than closing's consequence of it

    def abort(self) -> None:
        """Stop writing (the file is being given up): wait for the thread, close the member."""
        self.stopped = True
        self._stop()
        # The error that stopped the write is the one to report, not a full disk found on closing.
        with contextlib.suppress(OSError):
            self.stream.close()

    def _stop(self) -> None:
        if self.ended:  # abort() after close(), as a writer's clean-up may call it
            return
        self.ended = True
        self.queue.put(_END)
        self.thread.join()
        self.switching.__exit__()
