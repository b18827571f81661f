"""首页: the day's work, each line opening the page that acts on it."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from adultschool.ui.home_page import LINE_ROLE
from adultschool.ui.main_window import MainWindow
from conftest import CLASS_NAME
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, school_db, night_class):
    win = MainWindow(school_db)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    assert win.show_home()
    qtbot.waitUntil(lambda: bool(win.home_page.lines) and not win.home_page.busy, timeout=30_000)  # gathered in the worker
    return win


def row_with(window: MainWindow, text: str) -> int:
    page = window.home_page
    return next(i for i in range(page.list.count()) if text in page.list.item(i).text())


def test_the_home_page_lists_todays_sessions_the_package_the_deadline_quotas_and_the_backup(window):
    page = window.home_page
    assert page.isVisible() and page.title.text() == f"今天是 {TODAY.year}年{TODAY.month}月{TODAY.day}日"
    texts = page.texts()
    for section in ("今天上课", "即将可报考", "数据上报", "截止日期", "任务进度", "备份"):
        assert section in texts
    assert any(CLASS_NAME in t and "成人高中语文 2 课时：还没有点名" in t for t in texts)
    assert any(f"{TODAY.month} 月的数据包还没有报送" in t for t in texts)
    assert any(t.strip().startswith("大碶街道：报名 ") for t in texts)
    assert any("立即备份" in t and "U 盘" in t for t in texts)
    header = page.list.item(texts.index("今天上课"))
    assert header.data(LINE_ROLE) is None and not header.flags() & Qt.ItemFlag.ItemIsSelectable


def test_a_session_line_opens_its_roll_call_with_the_keyboard_in_the_list(qtbot, window, night_class):
    page = window.home_page
    page.list.setFocus()
    page.list.setCurrentRow(row_with(window, CLASS_NAME))
    qtbot.keyClick(page.list, Qt.Key.Key_Return)
    assert window.rollcall_page.isVisible()
    assert window.rollcall_page.session_combo.currentData() == night_class["session"].id
    assert QApplication.focusWidget() is window.rollcall_page.table


def test_the_package_line_opens_the_sync_page(qtbot, window):
    page = window.home_page
    item = page.list.item(row_with(window, "数据包还没有报送"))
    page.list.itemActivated.emit(item)
    assert window.sync_page.isVisible()


def test_f1_opens_the_manual_at_the_section_of_the_page_in_view(qtbot, window):
    from adultschool.ui.help_dialog import HelpDialog

    window.show_page("考勤")
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.dialog
    assert isinstance(dialog, HelpDialog) and dialog.isVisible() and dialog.section == "考勤"
    text = dialog.browser.toPlainText()
    assert "1 出勤、2 迟到" in text and "按 F2 或双击姓名" in text
    assert dialog.browser.verticalScrollBar().value() > 0  # scrolled down to 考勤, past the first sections
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "帮助(&H)")
    assert [a.text() for a in help_menu.actions()] == ["使用说明", "关于"]
    dialog.reject()


def test_the_day_is_gathered_in_the_background_when_the_page_is_first_shown(qtbot, school_db, night_class):
    from adultschool.ui.home_page import HomePage

    page = HomePage(school_db.engine, school_db.path)
    qtbot.addWidget(page)
    page.refresh()  # never shown (a district window keeps it hidden): nothing is gathered
    assert page.op is None and page.texts() == ["正在整理今天的事项……"]
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.show()
    assert "今天上课" in page.texts() and page.op.finished


def test_closing_at_once_waits_for_the_day_instead_of_refusing(qtbot, school_db, night_class):
    win = MainWindow(school_db)
    qtbot.addWidget(win)
    win.show()
    assert win.show_home() and win.home_page.busy  # gathering in the worker
    assert win.close()  # not refused: the window waits for the read, then closes
    assert not win.isVisible()
