"""Operations: one service call run off the UI thread, with progress and cancel (after Anki's CollectionOp/QueryOp).

The work opens its own session inside the worker thread (SQLite connections never cross threads). A progress
dialog appears only when the work takes longer than PROGRESS_DELAY_MS; its 取消 calls job.cancel(), the service's
next job.report() raises Cancelled and the transaction rolls back. Tests wait on `Op.done` or `active_ops()`.
"""
from __future__ import annotations

import gc
import logging
from typing import Any, Callable, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import CallbackJob, JobContext
from adultschool.ui.common import MessageLabel, report_failure, show_error, show_info

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_DELAY_MS = 500

_pool: QThreadPool | None = None
_running: list["Op"] = []


def thread_pool() -> QThreadPool:
    """One worker, as in Anki: operations on the database run one after another, never side by side."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
    return _pool


def active_ops() -> list["Op"]:
    """Operations started and not yet delivered to the screen (for tests and for a clean exit)."""
    return list(_running)


def blocking_ops() -> list["Op"]:
    """The active operations that must end before the program may: all but reads a page refreshes itself with."""
    return [op for op in _running if op.blocks_exit]


def wait_for_workers(timeout_ms: int = 30_000) -> bool:
    """Blocks until the worker thread is idle; results still arrive through the event loop afterwards."""
    return thread_pool().waitForDone(timeout_ms)


class MainThreadCollector(QObject):
    """Python's cycle collector runs in whichever thread happens to allocate; if that is the worker thread and the
    garbage holds Qt objects, Qt deletes widgets off the UI thread and the program crashes (seen as a segfault
    inside a query). So automatic collection is off while the application runs, and this timer collects on the UI
    thread, generation by generation when the counts pass the usual thresholds (the Qt programs' known remedy)."""

    INTERVAL_MS = 1000

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(self.INTERVAL_MS)

    def check(self) -> None:
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self._threshold[generation]:
                break
            gc.collect(generation)


def collect_garbage_on_ui_thread(app: QObject) -> None:
    """Once per application: garbage is collected on the UI thread only (MainThreadCollector)."""
    if app.findChild(MainThreadCollector) is None:
        MainThreadCollector(app)


class _Bridge(QObject):
    """Carries a worker thread's news to the UI thread (queued, because the bridge lives in the UI thread)."""

    progress = Signal(int, object, str)
    finished = Signal(object, object)  # result, exception


class _Runner(QRunnable):
    def __init__(self, work: Callable[[JobContext], Any], job: CallbackJob, bridge: _Bridge):
        super().__init__()
        self.setAutoDelete(False)
        self._work = work
        self._job = job
        self._bridge = bridge

    def run(self) -> None:  # worker thread
        try:
            result = self._work(self._job)
        except BaseException as exc:  # noqa: BLE001 - delivered to the UI thread, which decides
            self._bridge.finished.emit(None, exc)
        else:
            self._bridge.finished.emit(result, None)


class ProgressDialog(QDialog):
    """What the clerk sees while long work runs: what is happening, how far, and 取消."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None, title: str, label: str, *, cancellable: bool = True):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.label = QLabel(label)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first report with a total
        layout.addWidget(self.bar)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setEnabled(cancellable)
        self.cancel_button.clicked.connect(self.request_cancel)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self._finished = False

    def set_progress(self, done: int, total: int | None, text: str) -> None:
        if text:
            self.label.setText(text)
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        else:
            self.bar.setRange(0, 0)

    def request_cancel(self) -> None:
        if not self.cancel_button.isEnabled():
            return
        self.cancel_button.setEnabled(False)
        self.label.setText("正在取消，请稍候……")
        self.cancel_requested.emit()

    def reject(self) -> None:  # Esc and the window's close button mean 取消; the dialog closes when the work stops
        if self._finished:
            super().reject()
        else:
            self.request_cancel()

    def finish(self) -> None:
        self._finished = True
        self.done(QDialog.DialogCode.Accepted)


class Op(QObject):
    """One background operation. Signals arrive in the UI thread; `done` always comes last."""

    progress = Signal(int, object, str)
    succeeded = Signal(object)
    failed = Signal(object)
    done = Signal()

    def __init__(self, parent: QWidget | None, work: Callable[[JobContext], Any], *, label: str,
                 title: str = "请稍候", cancellable: bool = True, delay_ms: int | None = None,
                 blocks_exit: bool = True):
        super().__init__()
        self.blocks_exit = blocks_exit
        self._parent_widget = parent
        self._work = work
        self.label = label
        self.title = title
        self.cancellable = cancellable
        self.delay_ms = delay_ms
        self.job = CallbackJob(self._report_from_worker)
        self.result: Any = None
        self.error: BaseException | None = None
        self.running = False
        self.finished = False
        self.progress_dialog: ProgressDialog | None = None
        self._bridge = _Bridge()
        self._bridge.progress.connect(self._on_progress)
        self._bridge.finished.connect(self._on_finished)
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._show_progress)
        self._runner = _Runner(work, self.job, self._bridge)
        self._last_progress: tuple[int, int | None, str] | None = None

    def start(self) -> "Op":
        self.running = True
        _running.append(self)
        delay = PROGRESS_DELAY_MS if self.delay_ms is None else self.delay_ms
        self._timer.start(max(delay, 0))
        thread_pool().start(self._runner)
        return self

    def cancel(self) -> None:
        """Asks the work to stop at its next progress report; the transaction then rolls back."""
        self.job.cancel()

    # --- worker thread -------------------------------------------------------------------------------------

    def _report_from_worker(self, done: int, total: int | None, text: str) -> None:
        self._bridge.progress.emit(done, total, text)

    # --- UI thread -----------------------------------------------------------------------------------------

    def _parent(self) -> QWidget | None:
        parent = self._parent_widget
        return parent if parent is not None and shiboken6.isValid(parent) else None

    def _show_progress(self) -> None:
        if not self.running or self.progress_dialog is not None:
            return
        dialog = ProgressDialog(self._parent(), self.title, self.label, cancellable=self.cancellable)
        dialog.cancel_requested.connect(self.cancel)
        if self._last_progress is not None:
            dialog.set_progress(*self._last_progress)
        if self.job.cancelled:
            dialog.request_cancel()
        self.progress_dialog = dialog
        dialog.show()

    def _on_progress(self, done: int, total: object, text: str) -> None:
        total_value = total if isinstance(total, int) else None
        self._last_progress = (done, total_value, text)
        if self.progress_dialog is not None and shiboken6.isValid(self.progress_dialog) and not self.job.cancelled:
            self.progress_dialog.set_progress(done, total_value, text)
        self.progress.emit(done, total_value, text)

    def _on_finished(self, result: object, error: object) -> None:
        self._timer.stop()
        self.running = False
        self.finished = True
        if self.progress_dialog is not None and shiboken6.isValid(self.progress_dialog):
            self.progress_dialog.finish()
            self.progress_dialog.deleteLater()
        self.progress_dialog = None
        try:
            if isinstance(error, BaseException):
                self.error = error
                self.failed.emit(error)
            else:
                self.result = result
                self.succeeded.emit(result)
        finally:
            if self in _running:
                _running.remove(self)
            self.done.emit()


def show_failure(parent: QWidget | None, exc: BaseException, *,
                 line: MessageLabel | Callable[[str, str], object] | None = None,
                 problem: str = "{}", cancelled: str | None = None, box: str | None = None,
                 at_field: Callable[[str | None, str], None] | None = None) -> QWidget | None:
    """Where a failed operation is told, for every page and dialog (the failure router):
    - cancelled (取消 while it ran): `cancelled`, or the error's own words, as a hint in `line` (a box without one);
    - a problem the clerk can fix (an AdultSchoolError): on a form, by `at_field(exc.field, message)` (the form shows
      it at the field, or in its own line when the field is not on it); else in `line` as `problem` with the message
      (and where it is: sheet, row, column) put in at {}; also in a box titled `box` when given, and in a box when
      there is no line;
    - anything else: `report_failure` (a file's problem in a box, a bug in the report dialog).
    `line` is a MessageLabel, or a function given the text and its kind ("hint", "error") for a page that shows
    problems its own way. Returns the box it opened, if any."""
    show = line.show_message if isinstance(line, MessageLabel) else line
    if isinstance(exc, Cancelled):
        text = cancelled or exc.message
        if show is None:
            return show_info(parent, "已取消", text)
        show(text, "hint")
        return None
    if isinstance(exc, AdultSchoolError):
        if at_field is not None:
            at_field(exc.field, exc.message)
            return None
        if show is not None:
            show(problem.format(str(exc)), "error")
        if box is not None or line is None:
            return show_error(parent, box or "操作没有完成", str(exc))
        return None
    return report_failure(parent, exc)


def run_op(parent: QWidget | None, work: Callable[[JobContext], T], *, label: str, title: str = "请稍候",
           on_success: Callable[[T], None] | None = None,
           on_failure: Callable[[BaseException], None] | None = None,
           cancellable: bool = True, delay_ms: int | None = None, blocks_exit: bool = True) -> Op:
    """Starts `work(job)` in the worker; failures go to `on_failure`, or to the standard message/bug dialog.
    `blocks_exit=False` for a read a page refreshes itself with: closing the window waits for it instead of refusing."""
    op = Op(parent, work, label=label, title=title, cancellable=cancellable, delay_ms=delay_ms, blocks_exit=blocks_exit)
    if on_success is not None:
        op.succeeded.connect(on_success)
    op.failed.connect(on_failure if on_failure is not None else (lambda exc: show_failure(op._parent(), exc)))
    return op.start()


def run_write(parent: QWidget | None, engine: Engine, fn: Callable[[Session, JobContext], T], **kwargs: Any) -> Op:
    """`fn(session, job)` inside one write transaction opened in the worker thread: all or nothing."""

    def work(job: JobContext) -> T:
        with unit_of_work(engine) as session:
            return fn(session, job)

    return run_op(parent, work, **kwargs)


def run_read(parent: QWidget | None, engine: Engine, fn: Callable[[Session, JobContext], T], **kwargs: Any) -> Op:
    """`fn(session, job)` in a read-only snapshot opened in the worker thread (exports, long queries)."""

    def work(job: JobContext) -> T:
        with read_session(engine) as session:
            return fn(session, job)

    return run_op(parent, work, **kwargs)
