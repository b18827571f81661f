"""帮助 → 关于: version, database, data, log and backup folders, Python and Qt; copy and open; errors reach the log."""
from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from adultschool import __version__, logs, paths, system
from adultschool.db import open_database, unit_of_work
from adultschool.models import SiteKind
from adultschool.services import site
from adultschool.ui.about_dialog import AboutDialog
from adultschool.ui.common import show_bug_report
from adultschool.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, school_db):
    win = MainWindow(school_db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_the_about_box_shows_version_and_every_folder(window, school_db, private_data_dir):
    window.about_action.trigger()
    about = window.dialog
    assert isinstance(about, AboutDialog) and about.isVisible()
    values = {what: label.text() for what, label in about.value_labels.items()}
    assert values["版本"] == __version__
    assert values["数据库"] == str(school_db.path)
    assert values["数据文件夹"] == str(private_data_dir)
    assert values["日志文件夹"] == str(paths.log_dir())
    assert values["备份文件夹"] == str(private_data_dir / "backups")
    assert values["学校"] == "北仑区测试成人文化技术学校（330206-01）"
    assert values["Python"] and values["Qt"].count(".") >= 2
    assert values["操作系统"] == system.os_description() != ""  # on Windows as Windows names itself (tests/test_system.py)
    assert set(about.open_buttons) == {"数据库", "数据文件夹", "日志文件夹", "备份文件夹"}


def test_copy_puts_the_facts_on_the_clipboard(window, school_db):
    about = window.show_about()
    about.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert f"版本：{__version__}" in copied and f"数据库：{school_db.path}" in copied
    assert about.copy_button.text() == "已复制(&C)"


def test_the_folder_buttons_open_the_folders(window, private_data_dir, monkeypatch):
    opened = []
    monkeypatch.setattr("adultschool.ui.about_dialog.QDesktopServices.openUrl", lambda url: opened.append(url) or True)
    about = window.show_about()
    about.open_buttons["日志文件夹"].click()
    about.open_buttons["备份文件夹"].click()
    assert [url.toLocalFile() for url in opened] == [str(paths.log_dir()), str(private_data_dir / "backups")]
    assert (private_data_dir / "backups").is_dir()  # made so that it can be shown


def test_esc_closes_the_about_box(qtbot, window):
    about = window.show_about()
    with qtbot.waitSignal(about.rejected, timeout=5000):
        qtbot.keyClick(about, Qt.Key.Key_Escape)
    assert about.close_button.isDefault()


def test_at_a_district_it_says_district(qtbot, tmp_path):
    database = open_database(tmp_path / "district.sqlite3", create=True)
    with unit_of_work(database.engine) as session:
        info = site.initialise(session, kind=SiteKind.DISTRICT, code="330206", name="北仑区成人教育分中心", actor="test")
    try:
        about = AboutDialog("教务", database, info)
        qtbot.addWidget(about)
        assert about.value_labels["分中心"].text() == "北仑区成人教育分中心（330206）"
        assert "学校" not in about.value_labels
    finally:
        database.close()


def test_an_unexpected_error_is_written_to_the_rotating_log(qtbot, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if not isinstance(h, RotatingFileHandler)])
    level = root.level
    logs.set_up_logging()
    handler = next(h for h in root.handlers if isinstance(h, RotatingFileHandler))
    try:
        assert handler.maxBytes > 0 and handler.backupCount > 0  # the log rotates
        try:
            raise RuntimeError("没想到的错误")
        except RuntimeError as exc:
            dialog = show_bug_report(None, exc)
        handler.flush()
        text = (paths.log_dir() / "adultschool.log").read_text(encoding="utf-8")
        assert "RuntimeError: 没想到的错误" in text and "unexpected error" in text
        assert dialog.copy_button.text() == "复制报告"
        dialog.close()
    finally:
        handler.close()
        root.removeHandler(handler)
        root.setLevel(level)
