"""The window's 立即备份 / 从备份恢复, and start-up: one window per database, a backup on every clean exit, and the
offer of the newest good backup when the database is damaged."""
from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from adultschool import system
from adultschool.db import backup as backups
from adultschool.db import lock as db_lock
from adultschool.db import open_database, read_session, unit_of_work
from adultschool.models.enums import SiteKind
from adultschool.services import demo, maintenance, site
from adultschool.ui import app as gui_app
from adultschool.ui import backup_dialogs
from adultschool.ui.backup_dialogs import RestoreDialog
from adultschool.ui.main_window import MainWindow

from test_backup import corrupt_a_page

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, school_db):
    win = MainWindow(school_db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def township_names(database) -> list[str]:
    with read_session(database.engine) as session:
        return [t.name for t in site.list_townships(session)]


def test_the_file_menu_offers_backup_and_restore(window):
    file_menu = window.menuBar().actions()[0].menu()
    assert [a.text() for a in file_menu.actions() if not a.isSeparator()] == ["数据上报…", "立即备份…", "从备份恢复…",
                                                                              "新建数据库…", "打开数据库…", "退出"]


def test_back_up_now_writes_the_file_to_the_chosen_folder_and_says_where(window, tmp_path, monkeypatch, wait_ops):
    usb = tmp_path / "U盘"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args: str(usb))
    window.backup_action.trigger()
    asked = window.dialog
    assert isinstance(asked, backup_dialogs.BackupPassphraseDialog)
    asked.plain_check.setChecked(True)  # a copy that stays here
    asked.ok_button.click()
    wait_ops()
    written = list(usb.glob("330206-01-*.sqlite3"))
    assert len(written) == 1 and backups.quick_check(written[0]) is None
    assert isinstance(window.dialog, QMessageBox) and window.dialog.windowTitle() == "备份完成"
    assert str(written[0]) in window.dialog.text() and "学校：北仑区测试成人文化技术学校" in window.dialog.text()
    assert window.statusBar().currentMessage() == f"已备份到：{written[0]}"


def test_a_backup_to_a_usb_stick_is_sealed_and_restores_with_its_passphrase(qtbot, window, tmp_path, monkeypatch,
                                                                             wait_ops):
    usb = tmp_path / "U盘"
    dialog = backup_dialogs.back_up_now(window, usb)
    dialog.passphrase_edit.setText("北仑成校备份2026")
    dialog.again_edit.setText("北仑成校备份2026x")
    dialog.ok_button.click()
    assert "不一致" in dialog.message.text() and dialog.isVisible() and not usb.exists()
    dialog.again_edit.setText("北仑成校备份2026")
    dialog.ok_button.click()
    wait_ops()
    [written] = list(usb.glob("330206-01-*.asbackup"))
    assert "备份已加密" in window.dialog.text()

    restore = backup_dialogs.open_restore(window, written)
    assert restore.passphrase_row.isVisible() and not restore.restore_button.isEnabled()
    restore.passphrase_edit.setText("wrong-passphrase")
    restore.open_button.click()
    wait_ops()
    assert "备份密码不对" in restore.message.text() and not restore.restore_button.isEnabled()
    restore.passphrase_edit.setText("北仑成校备份2026")
    restore.open_button.click()
    wait_ops()
    assert "北仑区测试成人文化技术学校（330206-01）" in restore.preview_label.text() and restore.restore_button.isEnabled()
    qtbot.mouseClick(restore.restore_button, Qt.MouseButton.LeftButton)
    wait_ops()
    assert restore.result_value is not None and window.dialog.windowTitle() == "恢复完成"


def test_choosing_no_folder_backs_up_nothing(window, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args: "")
    assert backup_dialogs.back_up_now(window) is None


def test_the_restore_dialog_shows_what_the_backup_holds_and_restores_it(qtbot, window, school_db, tmp_path,
                                                                       monkeypatch, wait_ops, private_data_dir):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")  # an empty school
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=20, actor="test")
    window.refresh_pages()
    wait_ops()
    assert window.learners_page.count_label.text() == "共 20 人"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(made.path), ""))
    window.restore_action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, RestoreDialog)
    wait_ops()
    text = dialog.preview_label.text()
    assert "北仑区测试成人文化技术学校（330206-01）" in text and "学员 0 人" in text and "学籍 0 个" in text
    assert str(made.path) in text and not dialog.warning_label.isVisible()
    assert dialog.restore_button.isEnabled()

    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    wait_ops()
    assert not dialog.isVisible() and dialog.result_value is not None
    assert window.learners_page.count_label.text() == "共 0 人"  # the window reloaded its pages
    assert sorted(township_names(school_db)) == sorted(["大碶街道", "新碶街道"])  # the demo's townships are gone
    assert window.dialog.windowTitle() == "恢复完成" and "恢复前的数据库已另存为" in window.dialog.text()
    assert list((private_data_dir / "backups").glob("school-before-restore-*.sqlite3"))


def test_a_file_that_is_not_a_backup_is_explained_and_cannot_be_restored(window, tmp_path, wait_ops):
    junk = tmp_path / "照片.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 JFIF" * 100)
    dialog = backup_dialogs.open_restore(window, junk)
    wait_ops()
    assert "不是本程序的数据库或备份文件" in dialog.message.text() and dialog.message.isVisible()
    assert not dialog.restore_button.isEnabled()
    dialog.restore()  # nothing happens
    assert dialog.restore_op is None


def test_a_backup_of_another_school_is_flagged_before_restoring(qtbot, window, school_db, tmp_path, wait_ops):
    other = tmp_path / "other.sqlite3"
    database = open_database(other, create=True)
    with unit_of_work(database.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code="330206-05", name="霞浦街道成人文化技术学校", actor="test")
    database.close()
    dialog = backup_dialogs.open_restore(window, other)
    wait_ops()
    assert dialog.warning_label.isVisible() and "请确认没有拿错备份" in dialog.warning_label.text()
    assert "“霞浦街道成人文化技术学校”（330206-05）" in dialog.warning_label.text()
    # 恢复 waits for a tick, is never the default button, and Enter in the dialog does not restore
    assert dialog.confirm_check.isVisible() and "霞浦街道成人文化技术学校" in dialog.confirm_check.text()
    assert not dialog.restore_button.isEnabled() and not dialog.restore_button.isDefault()
    assert dialog.cancel_button.isDefault() and dialog.cancel_button.hasFocus()
    dialog.restore()
    assert dialog.restore_op is None
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.restore_op is None and not dialog.isVisible()  # Enter took 取消
    dialog.open()
    dialog.confirm_check.setChecked(True)
    assert dialog.restore_button.isEnabled() and not dialog.restore_button.isDefault()
    dialog.reject()


def test_a_backup_of_the_same_school_asks_for_no_tick_but_enter_still_cancels(qtbot, window, school_db, tmp_path,
                                                                           wait_ops):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    dialog = backup_dialogs.open_restore(window, made.path)
    wait_ops()
    assert not dialog.confirm_check.isVisible() and dialog.restore_button.isEnabled()
    assert dialog.cancel_button.isDefault() and not dialog.restore_button.isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.restore_op is None and dialog.result() == 0


# --- start-up and exit --------------------------------------------------------------------------------------------

class FakeApplication:
    """Stands in for the event loop of `run`: the window is up, the clerk closes it at once."""

    def __init__(self, during=None):
        self.during = during
        self.seen = None

    def exec(self) -> int:
        self.seen = self.during() if self.during else None
        return 0


@pytest.fixture
def quiet_run(monkeypatch):
    """`run` without a real event loop, log file or global excepthook."""
    monkeypatch.setattr(gui_app, "set_up_logging", lambda: None)
    monkeypatch.setattr(gui_app, "install_excepthook", lambda: None)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(gui_app.QMessageBox, "critical", lambda _parent, title, text: shown.append((title, text)))
    return shown


def test_the_log_says_which_windows_the_window_started_on_how_soon_it_appeared_and_what_it_listed(
        qtbot, school_db, monkeypatch, quiet_run, caplog):
    monkeypatch.setattr(gui_app, "create_application", lambda: FakeApplication())
    with caplog.at_level(logging.INFO, logger=gui_app.log.name):
        assert gui_app.run(str(school_db.path)) == 0
    assert f"GUI started on {school_db.path} ({system.os_description()})" in caplog.text
    shown = [r.getMessage() for r in caplog.records if r.getMessage().startswith("window shown ")]
    assert len(shown) == 1 and shown[0].endswith("— 成人“双证制”学历提升教务; 学员：共 0 人")
    assert " s after the program started: " in shown[0]


def test_the_window_holds_the_lock_and_a_clean_exit_leaves_a_rotated_backup(qtbot, school_db, monkeypatch, quiet_run,
                                                                            private_data_dir):
    fake = FakeApplication(during=lambda: db_lock.holder(school_db.path))
    monkeypatch.setattr(gui_app, "create_application", lambda: fake)
    assert gui_app.run(str(school_db.path)) == 0
    assert fake.seen is not None and fake.seen.program == "adultschool gui"  # held while the window was open
    assert db_lock.holder(school_db.path) is None  # and released after
    exits = backups.list_backups(private_data_dir / "backups", "school", reasons=[backups.REASON_EXIT])
    assert len(exits) == 1 and backups.quick_check(exits[0].path) is None
    assert quiet_run == []


def test_open_database_in_the_file_menu_runs_the_program_again_on_the_chosen_school(
        qtbot, school_db, tmp_path, monkeypatch, quiet_run):
    other = tmp_path / "other.sqlite3"
    database = open_database(other, create=True)
    with unit_of_work(database.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code="330206-05", name="霞浦街道成人文化技术学校", actor="test")
    database.close()
    titles: list[str] = []

    def during() -> None:
        window = next(w for w in gui_app.QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        titles.append(window.windowTitle())
        if len(titles) == 1:
            monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(other), ""))
            window.open_database_action.trigger()
        else:
            window.close()

    monkeypatch.setattr(gui_app, "create_application", lambda: FakeApplication(during=during))
    assert gui_app.run(str(school_db.path)) == 0
    assert titles[0].startswith("北仑区测试成人文化技术学校") and titles[1].startswith("霞浦街道成人文化技术学校")
    assert db_lock.holder(other) is None and db_lock.holder(school_db.path) is None
    assert quiet_run == []


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from adultschool.db.lock import DatabaseLock
    lock = DatabaseLock.acquire(Path(sys.argv[1]), program="adultschool gui")
    print("locked", flush=True)
    time.sleep(120)
""")


def test_a_second_window_on_the_same_database_is_refused_naming_the_first(school_db, monkeypatch, quiet_run):
    monkeypatch.setattr(gui_app, "create_application", lambda: FakeApplication())
    process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(school_db.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "locked"
        assert gui_app.run(str(school_db.path)) == 2
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
    assert len(quiet_run) == 1
    title, text = quiet_run[0]
    assert title == "无法打开数据库" and f"进程号 {process.pid}" in text and "不能同时打开" in text


@pytest.fixture
def damaged_school(school_db):
    """A school whose file went bad after its last exit backup (one township was added after that backup)."""
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=40, actor="test")
    good = backups.backup_on_exit(school_db.path, now=datetime(2026, 5, 11, 17, 5))
    with unit_of_work(school_db.engine) as session:
        site.add_township(session, "柴桥街道", school_code="330206-01", actor="test")
    school_db.close()
    corrupt_a_page(school_db.path)
    return school_db, good


def test_a_damaged_database_at_start_is_restored_from_the_newest_good_backup(damaged_school, monkeypatch, quiet_run):
    database, good = damaged_school
    boxes: list[QMessageBox] = []

    def answer(box: QMessageBox) -> int:
        boxes.append(box)
        return QMessageBox.StandardButton.Yes if len(boxes) == 1 else QMessageBox.StandardButton.Ok

    monkeypatch.setattr(backup_dialogs, "exec_box", answer)
    monkeypatch.setattr(gui_app, "create_application", lambda: FakeApplication())
    assert gui_app.run(str(database.path)) == 0

    offer, done = boxes
    assert offer.windowTitle() == "数据库已损坏"
    assert "最近一份完好的备份（2026-05-11 17:05）" in offer.text() and "学籍 40 个" in offer.text()
    assert offer.button(QMessageBox.StandardButton.Yes).text() == "用备份恢复"
    assert done.windowTitle() == "恢复完成" and "恢复前的数据库已另存为" in done.text()
    assert backups.quick_check(database.path) is None
    assert backups.list_backups(good.parent, "school", reasons=[backups.REASON_DAMAGED])
    connection = sqlite3.connect(database.path)
    assert connection.execute("SELECT count(*) FROM townships WHERE name = '柴桥街道'").fetchone() == (0,)
    connection.close()


def test_declining_the_offer_leaves_the_damaged_file_alone(damaged_school, monkeypatch, quiet_run):
    database, _good = damaged_school
    monkeypatch.setattr(backup_dialogs, "exec_box", lambda _box: QMessageBox.StandardButton.No)
    monkeypatch.setattr(gui_app, "create_application", lambda: FakeApplication())
    before = database.path.read_bytes()
    assert gui_app.run(str(database.path)) == 2
    assert database.path.read_bytes() == before
