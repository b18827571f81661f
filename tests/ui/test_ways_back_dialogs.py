"""The ways back in the window: each says what will happen, needs a reason, never confirms on Enter, and writes through
the same service as the command line."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.models import AuditEntry, Enrolment, EnrolmentStatus
from adultschool.services import classes, enrolments, roster
from adultschool.ui.certificates_page import CertificatesPage
from adultschool.ui.classes_page import ClassesPage
from adultschool.ui.learners_page import LearnersPage
from adultschool.ui.ways_back_dialogs import CorrectionDialog, EnrolmentActionDialog, ImportsDialog
from conftest import open_window
from testclock import TODAY

pytestmark = pytest.mark.gui


def status_of(database, number) -> EnrolmentStatus:
    with read_session(database.engine) as session:
        return session.execute(select(Enrolment.status).where(Enrolment.student_number == number)).scalar_one()


@pytest.fixture
def learners_page(qtbot, school_db, enrol):
    numbers = [enrol(school_db, "陈堃", serial=1), enrol(school_db, "林喆", serial=2)]
    page = LearnersPage(school_db.engine)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.table.selectRow(0)
    page.numbers = numbers
    return page


def test_a_withdrawal_says_what_happens_needs_a_reason_and_enter_does_not_confirm(qtbot, type_text, learners_page, school_db,
                                                                                   wait_ops):
    dialog = learners_page.open_way_back("withdraw")
    assert isinstance(dialog, EnrolmentActionDialog)
    assert "退学后" in dialog.explanation.text() and dialog.ok_button.text() == "确认退学(&Y)"
    assert not dialog.ok_button.isDefault() and not dialog.ok_button.autoDefault()
    type_text(dialog.reason_edit, "外出务工")
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    wait_ops()
    assert dialog.isVisible() and status_of(school_db, learners_page.numbers[0]) is EnrolmentStatus.ACTIVE
    dialog.reason_edit.clear()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "请写明原因" in dialog.field_message("reason")
    type_text(dialog.reason_edit, "外出务工")
    with qtbot.waitSignal(dialog.completed, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert status_of(school_db, learners_page.numbers[0]) is EnrolmentStatus.WITHDRAWN
    assert "办理退学" in learners_page.last_result
    with read_session(school_db.engine) as session:
        assert session.execute(select(AuditEntry.summary).where(AuditEntry.action == "enrolment.withdraw")).scalar_one()


def test_a_withdrawal_from_the_windows_learner_list_is_dated_by_the_windows_day(qtbot, type_text, school_db, enrol):
    """The day the withdrawal form offers (and the latest it allows) is the window's, here a week after the clock's."""
    number = enrol(school_db, "陈堃", serial=1)
    window_day = TODAY + timedelta(days=7)
    window = open_window(qtbot, school_db, day=window_day)
    window.show_page("学员")
    page = window.learners_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.table.selectRow(0)
    dialog = page.open_way_back("withdraw")
    assert dialog.date_edit.date().toPython() == window_day
    type_text(dialog.reason_edit, "外出务工")
    with qtbot.waitSignal(dialog.completed, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    with read_session(school_db.engine) as session:
        assert session.execute(select(Enrolment.status_changed_on).where(
            Enrolment.student_number == number)).scalar_one() == window_day


def test_a_transfer_needs_the_receiving_school(qtbot, type_text, learners_page, school_db):
    dialog = learners_page.open_way_back("withdraw")
    dialog.transfer_check.setChecked(True)
    type_text(dialog.reason_edit, "随家人迁居")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.field_message("transfer_to") == "转学请写明转入的学校。"
    type_text(dialog.transfer_edit, "庄桥街道成人文化技术学校")
    with qtbot.waitSignal(dialog.completed, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    with read_session(school_db.engine) as session:
        transfer = session.execute(select(Enrolment.transfer_to).where(
            Enrolment.student_number == learners_page.numbers[0])).scalar_one()
    assert transfer == "庄桥街道成人文化技术学校"


def test_a_refused_void_is_shown_in_the_dialog_and_changes_nothing(qtbot, type_text, learners_page, school_db, wait_ops):
    dialog = learners_page.open_way_back("void")
    with unit_of_work(school_db.engine) as session:  # meanwhile, on another PC
        enrolments.withdraw(session, learners_page.numbers[0], reason="外出务工", actor="test", today=TODAY)
    type_text(dialog.reason_edit, "重复登记")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_ops()
    assert "已退学" in dialog.general_message.text() and dialog.isVisible()
    assert status_of(school_db, learners_page.numbers[0]) is EnrolmentStatus.WITHDRAWN


def test_the_correction_lists_what_will_change_before_it_saves(qtbot, type_text, learners_page, school_db):
    dialog = learners_page.open_way_back("correct")
    assert isinstance(dialog, CorrectionDialog)
    assert dialog.preview.text() == "还没有改动：请改要更正的项。" and not dialog.ok_button.isEnabled()
    dialog.date_edit.setDate(dialog.date_edit.date().addDays(-30))
    dialog.township_combo.setCurrentIndex(dialog.township_combo.findText("新碶街道"))
    day = TODAY - timedelta(days=30)
    assert dialog.preview.text().splitlines() == [
        "将更正：", f"报名日期：{TODAY} → {day}（学习时限和任务年份随之改变）", "街道/镇：大碶街道 → 新碶街道"]
    type_text(dialog.reason_edit, "按报名表原件更正")
    with qtbot.waitSignal(dialog.completed, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    changed = set(blocker.args[0].changed)
    assert changed - {"计入任务年份"} == {"报名日期", "街道/镇"}  # the quota year follows when the date crossed a year
    assert ("计入任务年份" in changed) == (day.year != TODAY.year)
    with read_session(school_db.engine) as session:
        assert session.execute(select(Enrolment.registered_on).where(
            Enrolment.student_number == learners_page.numbers[0])).scalar_one() == day


def test_an_import_is_undone_from_the_import_records(qtbot, type_text, school_db, tmp_path, make_id, write_roster):
    path = write_roster(tmp_path / "名单.xlsx", [["陈堃", "男", "初中", make_id(date(1988, 6, 1)), "", "", "高中"]])
    with unit_of_work(school_db.engine) as session:
        roster.import_roster(session, path, registered_on=TODAY, township="大碶街道", actor="test", today=TODAY)
    records = ImportsDialog(school_db.engine)
    qtbot.addWidget(records)
    records.show()
    assert records.table.item(0, 2).text() == "名单.xlsx" and records.undo_button.isEnabled()
    dialog = records.open_undo()
    assert not dialog.ok_button.isDefault()
    type_text(dialog.reason_edit, "导错了文件")
    with qtbot.waitSignal(records.undone, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "已撤销第 1 次导入" in records.result_label.text()
    assert records.table.item(0, 6).text() == "已撤销：导错了文件" and not records.undo_button.isEnabled()
    with read_session(school_db.engine) as session:
        assert session.execute(select(Enrolment.id)).first() is None


def test_an_undo_from_the_windows_import_records_voids_on_the_windows_day(qtbot, type_text, school_db, tmp_path,
                                                                         make_id, write_roster):
    """The district has the imported enrolments, so undoing voids them; the void is dated by the window's day (here a
    week after the clock's), as every other way back the window offers."""
    from adultschool.services.sync import _mark_sent
    from adultschool.ui.main_window import MainWindow

    path = write_roster(tmp_path / "名单.xlsx", [["陈堃", "男", "初中", make_id(date(1988, 6, 1)), "", "", "高中"]])
    with unit_of_work(school_db.engine) as session:
        roster.import_roster(session, path, registered_on=TODAY, township="大碶街道", actor="test", today=TODAY)
    with unit_of_work(school_db.engine) as session:
        _mark_sent(session)
    window_day = TODAY + timedelta(days=7)
    window = MainWindow(school_db, today=lambda: window_day)
    qtbot.addWidget(window)
    records = window.open_imports()
    dialog = records.open_undo()
    type_text(dialog.reason_edit, "导错了文件")
    with qtbot.waitSignal(records.undone, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    with read_session(school_db.engine) as session:
        [(status, changed_on)] = session.execute(select(Enrolment.status, Enrolment.status_changed_on)).all()
    assert (status, changed_on) == (EnrolmentStatus.VOIDED, window_day)


def test_deleting_a_session_asks_first_with_cancel_as_the_default(qtbot, school_db, night_class, wait_ops):
    page = ClassesPage(school_db.engine, today=lambda: TODAY)
    qtbot.addWidget(page)
    page.show()
    wait_ops()
    page.sessions_table.selectRow(0)
    box = page.confirm_delete_session()
    assert isinstance(box, QMessageBox) and box.defaultButton().text() == "取消"
    assert "已有考勤记录的课不能删除" in box.text()
    box.defaultButton().click()  # 取消
    wait_ops()
    with read_session(school_db.engine) as session:
        assert len(classes.list_sessions(session, night_class["class"].id)) == 1
    box = page.confirm_delete_session()
    next(b for b in box.buttons() if b.text().startswith("删除课次")).click()
    wait_ops()
    with read_session(school_db.engine) as session:
        assert classes.list_sessions(session, night_class["class"].id) == []


def test_a_class_is_corrected_from_the_classes_page(qtbot, school_db, night_class, wait_ops):
    page = ClassesPage(school_db.engine, today=lambda: TODAY)
    qtbot.addWidget(page)
    page.show()
    wait_ops()
    dialog = page.open_edit_class()
    assert dialog.name_edit.text() == night_class["class"].name and not dialog.level_combo.isEnabled()
    dialog.teacher_edit.setText("李老师")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert page.selected_class().teacher == "李老师"


def revoke_the_first(qtbot, type_text, wait_ops, page: CertificatesPage) -> list[str]:
    """撤销… on the page's first certificate, for a reason; the states of the certificates no longer 有效."""
    page.show()
    page.table.selectRow(0)
    dialog = page.open_revoke()
    type_text(dialog.reason_edit, "成绩登记有误")
    with qtbot.waitSignal(dialog.completed, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_ops()
    return [page.table.item(r, 6).text() for r in range(page.table.rowCount()) if page.table.item(r, 6).text() != "有效"]


def test_a_certificate_is_revoked_from_the_certificates_page(qtbot, type_text, school_db, graduates, tmp_path, wait_ops):
    page = CertificatesPage(school_db.engine, folder=tmp_path)
    qtbot.addWidget(page)
    assert revoke_the_first(qtbot, type_text, wait_ops, page) == [f"已撤销（{TODAY}）"]
    assert page.count_label.text() == "共 3 张，未打印 2 张"


def test_a_certificate_revoked_in_a_window_whose_day_differs_from_the_clock_is_void_from_the_windows_day(
        qtbot, type_text, school_db, graduates, tmp_path, wait_ops):
    window_day = TODAY + timedelta(days=7)
    page = CertificatesPage(school_db.engine, folder=tmp_path, today=lambda: window_day)
    qtbot.addWidget(page)
    assert revoke_the_first(qtbot, type_text, wait_ops, page) == [f"已撤销（{window_day}）"]
