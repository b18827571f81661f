"""A file error that reaches the window is a Chinese sentence naming the file, not a bug report."""
from __future__ import annotations

import errno

import pytest
from PySide6.QtWidgets import QMessageBox

from adultschool.ui.common import BugReportDialog, report_failure

pytestmark = pytest.mark.gui


def test_a_file_error_is_explained_not_reported_as_a_bug(qtbot):
    shown = report_failure(None, PermissionError(errno.EACCES, "Permission denied", "D:/报表/名单.xlsx"), title="导出没有完成")
    qtbot.addWidget(shown)
    assert isinstance(shown, QMessageBox) and not isinstance(shown, BugReportDialog)
    assert "“D:/报表/名单.xlsx”" in shown.text() and "没有权限" in shown.text() and "Permission" not in shown.text()


def test_any_other_exception_is_still_a_bug_report(qtbot):
    shown = report_failure(None, KeyError("x"))
    qtbot.addWidget(shown)
    assert isinstance(shown, BugReportDialog)
