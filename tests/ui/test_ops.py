"""Background operations: off the UI thread, a progress dialog only for slow work, 取消 that rolls back, bug reports."""
from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.services import site
from adultschool.ui import ops
from adultschool.ui.common import BugReportDialog
from adultschool.ui.ops import ProgressDialog

pytestmark = pytest.mark.gui


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def visible(kind):
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_work_runs_off_the_ui_thread_with_its_own_session(qtbot, parent, school_db):
    seen = {}

    def work(session, job):
        seen["thread"] = threading.get_ident()
        return site.get_site(session).name

    op = ops.run_read(parent, school_db.engine, work, label="读取")
    with qtbot.waitSignal(op.done, timeout=5000):
        pass
    assert op.result == "北仑区测试成人文化技术学校"
    assert seen["thread"] != threading.get_ident()
    assert op.progress_dialog is None  # quick work shows no progress dialog


def test_slow_work_shows_progress_and_cancel_stops_it(qtbot, parent):
    def work(job):
        for step in range(1, 400):
            time.sleep(0.01)
            job.report(step, 400, f"第 {step} 步")
        return "done"

    op = ops.run_op(parent, work, label="慢慢做", title="测试", delay_ms=50, on_failure=lambda exc: None)
    qtbot.waitUntil(lambda: op.progress_dialog is not None and op.progress_dialog.isVisible(), timeout=3000)
    dialog = op.progress_dialog
    qtbot.waitUntil(lambda: dialog.label.text().startswith("第 "), timeout=3000)
    assert dialog.bar.maximum() == 400

    with qtbot.waitSignal(op.failed, timeout=5000) as blocker:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert isinstance(blocker.args[0], Cancelled)
    qtbot.waitUntil(lambda: not op.running)
    assert visible(ProgressDialog) == []


def test_escape_in_the_progress_dialog_means_cancel(qtbot, parent):
    def work(job):
        while True:
            time.sleep(0.01)
            job.report(0, None, "")

    op = ops.run_op(parent, work, label="无尽", delay_ms=0, on_failure=lambda exc: None)
    qtbot.waitUntil(lambda: op.progress_dialog is not None and op.progress_dialog.isVisible(), timeout=3000)
    with qtbot.waitSignal(op.done, timeout=5000):
        qtbot.keyClick(op.progress_dialog, Qt.Key.Key_Escape)
    assert isinstance(op.error, Cancelled)


def test_a_problem_for_the_clerk_is_shown_as_its_chinese_message(qtbot, parent):
    def work(job):
        raise AdultSchoolError("街道/镇名称不能为空。")

    op = ops.run_op(parent, work, label="x")
    with qtbot.waitSignal(op.done, timeout=5000):
        pass
    boxes = [b for b in parent.findChildren(QMessageBox) if b.isVisible()]
    assert [b.text() for b in boxes] == ["街道/镇名称不能为空。"]
    assert boxes[0].buttons()[0].text() == "确定"  # Qt's own texts are Chinese (qtbase_zh_CN)


def test_a_bug_gets_a_copyable_report_without_full_id_numbers(qtbot, parent, make_id):
    from datetime import date

    number = make_id(date(1990, 1, 1))

    def work(job):
        raise ValueError(f"unexpected value {number}")

    op = ops.run_op(parent, work, label="x")
    with qtbot.waitSignal(op.done, timeout=5000):
        pass
    (dialog,) = [d for d in parent.findChildren(BugReportDialog) if d.isVisible()]
    report = dialog.report_view.toPlainText()
    assert "ValueError" in report
    assert number not in report
    assert number[:6] + "********" + number[-4:] in report
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == report
    assert dialog.copy_button.text() == "已复制"


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_garbage_is_collected_on_the_ui_thread_only(qtbot):
    """Automatic collection is off (a worker thread must never delete Qt objects); the UI thread's timer collects."""
    import gc
    import weakref

    assert not gc.isenabled()
    garbage = _Cycle()
    gone = weakref.ref(garbage)
    del garbage
    kept = [[] for _ in range(gc.get_threshold()[0] + 100)]  # tracked containers: past the first generation's threshold
    assert gone() is not None  # nothing collected it on allocation
    qtbot.waitUntil(lambda: gone() is None, timeout=5000)
    assert kept
