"""The main window: title, navigation, actions, status bar, and the export of the registration summary form."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from adultschool.ui.class_dialogs import NewClassDialog
from adultschool.ui.export_dialog import ExportDialog, default_file_name
from adultschool.ui.import_dialog import ImportDialog
from adultschool.ui.main_window import MainWindow
from adultschool.ui.registration_dialog import RegistrationDialog
from conftest import register_in_window
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, demo_db):
    win = MainWindow(demo_db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_the_window_names_the_school_and_the_database(window, demo_db, demo_size):
    assert window.windowTitle().startswith("演示成人文化技术学校（虚构数据）")
    assert window.db_label.text() == f"数据库：{demo_db.path}"
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == ["首页", "学员", "排摸", "班级", "考勤", "可报考", "考试",
                                                                                 "证书", "证书查验", "数据上报"]
    assert [a.text() for a in window.toolbar.actions()] == ["登记学员", "导入名单", "导出报名汇总表", "导入排摸表",
                                                            "导入考勤表", "导入学习记录"]
    assert [a.text() for a in window.menuBar().actions()] == ["文件(&F)", "学员(&L)", "排摸(&S)", "教学(&T)", "考试(&E)",
                                                              "打印(&P)", "设置(&O)", "帮助(&H)"]
    teaching = window.menuBar().actions()[3].menu()
    assert [a.text() for a in teaching.actions() if not a.isSeparator()] == ["新建班级…", "导入考勤表", "导入学习记录",
                                                                             "重算累计学时"]
    assert window.learners_page.isVisible()
    assert window.learners_page.count_label.text() == f"共 {demo_size} 人"


def test_the_navigation_switches_pages(qtbot, window):
    window.nav.setCurrentRow(2)
    assert window.survey_page.isVisible()
    assert not window.learners_page.isVisible()
    assert window.survey_page.count_label.text().startswith("共 ")


def test_the_actions_open_their_dialogs(window):
    window.register_action.trigger()
    assert isinstance(window.dialog, RegistrationDialog) and window.dialog.isVisible()
    window.dialog.reject()
    window.import_roster_action.trigger()
    assert isinstance(window.dialog, ImportDialog) and window.dialog.windowTitle() == "导入名单"
    window.dialog.reject()
    window.import_survey_action.trigger()
    assert window.dialog.windowTitle() == "导入排摸表"
    window.dialog.reject()
    window.export_action.trigger()
    assert isinstance(window.dialog, ExportDialog)
    window.dialog.reject()
    window.import_attendance_action.trigger()
    assert isinstance(window.dialog, ImportDialog) and window.dialog.windowTitle() == "导入考勤表"
    window.dialog.reject()
    window.import_study_action.trigger()
    assert isinstance(window.dialog, ImportDialog) and window.dialog.windowTitle() == "导入学习记录"
    window.dialog.reject()
    window.new_class_action.trigger()
    assert isinstance(window.dialog, NewClassDialog) and window.classes_page.isVisible()


def test_the_teaching_pages_show_classes_roll_call_and_readiness(qtbot, window, wait_ops):
    window.show_page("班级")
    wait_ops()
    assert window.classes_page.isVisible()
    assert window.classes_page.count_label.text().startswith("共 ") and window.classes_page.members_table.rowCount() > 0
    window.show_page("考勤")
    page = window.rollcall_page
    assert page.class_combo.count() == len(window.classes_page.classes)
    with_sessions = next(c for c in window.classes_page.classes if c.sessions)
    page.select_class(with_sessions.id)
    assert page.model.rowCount() > 0 and page.summary_label.text().startswith(f"共 {page.model.rowCount()} 人：")
    with qtbot.waitSignal(window.readiness_page.computed, timeout=30_000):
        window.show_page("可报考")
    assert window.readiness_page.shown_summary().startswith("共 ")


def test_rebuilding_the_totals_changes_nothing_and_says_how_many(qtbot, window, demo_db, wait_ops):
    from adultschool.db import read_session
    from adultschool.services import study

    with read_session(demo_db.engine) as session:
        before = study.kept_totals(session)
    with qtbot.waitSignal(window.data_changed, timeout=30_000):
        window.rebuild_totals_action.trigger()
    assert window.statusBar().currentMessage().startswith("已重算 ")
    assert window.statusBar().currentMessage().endswith(" 个学籍的累计学时")
    with read_session(demo_db.engine) as session:
        assert study.kept_totals(session) == before


def test_a_registration_shows_up_in_the_learners_page_at_once(qtbot, window, make_id, demo_size):
    registered = register_in_window(qtbot, window, make_id(date(1987, 10, 1), county="330203"))

    assert window.learners_page.count_label.text() == f"共 {demo_size + 1} 人"
    assert registered.student_number in window.statusBar().currentMessage()


def test_export_writes_the_summary_form_of_the_chosen_level(qtbot, window, tmp_path):
    window.export_action.trigger()
    dialog = window.dialog
    assert dialog.path_edit.text().endswith(default_file_name("演示成人文化技术学校（虚构数据）", TODAY))
    assert dialog.path_edit.text().endswith(f"报名汇总表-演示成人文化技术学校（虚构数据）-{TODAY.isoformat()}.xlsx")
    target = tmp_path / "汇总表.xlsx"
    dialog.path_edit.setText(str(target))
    dialog.level_combo.setCurrentIndex(dialog.level_combo.findText("初中"))
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    count = blocker.args[0]
    assert count > 0
    assert f"已导出 {count} 人" in dialog.result_box.text()
    workbook = openpyxl.load_workbook(target, read_only=True)
    values = [v for row in workbook.active.iter_rows(values_only=True) for v in row if v is not None]
    workbook.close()
    assert "初中" in values and "高中" not in values


def test_a_demo_school_says_so_in_the_title_and_a_banner_and_a_real_school_does_not(qtbot, window, school_db):
    assert "【演示，不能上报】" in window.windowTitle()
    assert window.demo_banner.isVisible() and "学员都是虚构的" in window.demo_banner.text()
    real = MainWindow(school_db)
    qtbot.addWidget(real)
    real.show()
    assert not real.demo_banner.isVisible() and "演示" not in real.windowTitle()


def test_new_database_closes_the_window_and_leaves_the_new_file_for_the_program(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "本校"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(target), ""))
    window.new_database_action.trigger()
    assert window.next_database == tmp_path / "本校.sqlite3" and not window.isVisible()


def test_new_database_refuses_a_file_that_exists(qtbot, window, tmp_path, monkeypatch):
    existing = tmp_path / "旧.sqlite3"
    existing.write_bytes(b"")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(existing), ""))
    window.new_database_action.trigger()
    assert window.next_database is None and window.isVisible()
    assert window.dialog.windowTitle() == "不能新建" and "已经存在" in window.dialog.text()
