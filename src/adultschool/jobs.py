"""Progress and cancellation for long work, free of Qt so a service runs the same in a test, the CLI or a worker thread.

A service takes a JobContext, calls report() now and then and check_cancelled() between steps.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Callable, Protocol, TextIO

from adultschool.errors import Cancelled


class JobContext(Protocol):
    def report(self, done: int, total: int | None, text: str = "") -> None: ...

    def check_cancelled(self) -> None: ...


class NullJob:
    """For callers that need neither progress nor cancel."""

    def report(self, done: int, total: int | None, text: str = "") -> None:
        pass

    def check_cancelled(self) -> None:
        pass


class CallbackJob:
    """Forwards progress to a callback (thread-safe cancel flag); the GUI's worker uses this."""

    def __init__(self, on_progress: Callable[[int, int | None, str], None] | None = None):
        self._on_progress = on_progress
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, done: int, total: int | None, text: str = "") -> None:
        if self._on_progress is not None:
            self._on_progress(done, total, text)
        self.check_cancelled()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()


class RecordingJob(CallbackJob):
    """Keeps every report; cancels itself after `cancel_after` reports (for tests)."""

    def __init__(self, cancel_after: int | None = None):
        super().__init__()
        self.reports: list[tuple[int, int | None, str]] = []
        self._cancel_after = cancel_after

    def report(self, done: int, total: int | None, text: str = "") -> None:
        self.reports.append((done, total, text))
        if self._cancel_after is not None and len(self.reports) >= self._cancel_after:
            self.cancel()
        super().report(done, total, text)


class ConsoleJob:
    """A one-line progress display on stderr when it is a terminal; silent otherwise."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.2):
        self._stream = stream or sys.stderr
        self._enabled = hasattr(self._stream, "isatty") and self._stream.isatty()
        self._min_interval = min_interval
        self._last = 0.0
        self._shown = False

    def report(self, done: int, total: int | None, text: str = "") -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last < self._min_interval and (total is None or done < total):
            return
        self._last = now
        if total:
            width = 30
            filled = int(width * min(done, total) / total)
            line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {text}"
        else:
            line = f"\r{done} {text}"
        self._stream.write(line[:100].ljust(60))
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False

    def check_cancelled(self) -> None:
        pass  # Ctrl+C raises KeyboardInterrupt, which rolls back the same way
