"""学员档案 in the window: Enter or a double click on a learner opens it, the list's right-click menu has the actions, a
way back started from the page updates it; 考试记录 on the 考试 page lists rounds, applicants and who must retake."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt
from PySide6.QtWidgets import QMessageBox

from adultschool.models import Gender
from adultschool.ui.exam_history_dialog import RETAKE_MARK
from adultschool.ui.exams_page import ExamsPage
from adultschool.ui.learner_record_dialog import TAB_TITLES, LearnerRecordDialog
from adultschool.ui.learners_page import LearnersPage
from learner_story import FIRST, SECOND, build_story
from conftest import open_window
from testclock import TODAY

pytestmark = pytest.mark.gui

SHOTS = Path("/tmp/shots-record")


@pytest.fixture
def story(school_db, tmp_path):
    return build_story(school_db, tmp_path / "inputs")


@pytest.fixture
def page(qtbot, school_db, story):
    widget = LearnersPage(school_db.engine)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2)
    return widget


def row_of(page: LearnersPage, number: str) -> int:
    return next(r for r in range(page.model.rowCount()) if page.model.row_at(r).student_number == number)


def loaded(qtbot, dialog: LearnerRecordDialog | None) -> LearnerRecordDialog:
    """The page reads the learner in the background: wait for it."""
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=20_000)
    return dialog


def close(dialog) -> None:
    if shiboken6.isValid(dialog):
        dialog.close()


def test_enter_on_a_learner_opens_the_record_with_its_sections(qtbot, page, story):
    row = row_of(page, story.chen)
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(row, 1))
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    dialog = loaded(qtbot, page.record_dialog)
    assert isinstance(dialog, LearnerRecordDialog) and dialog.isVisible() and not dialog.isModal()
    assert "陈堃" in dialog.windowTitle() and "陈堃" in dialog.title_label.text()
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == list(TAB_TITLES)
    assert "*" in dialog.person_labels["身份证号码"].text()
    assert dialog.classes_model.rowCount() == 1 and dialog.videos_model.rowCount() == 20
    assert dialog.applications_model.rowCount() == 2 and dialog.certificates_model.rowCount() == 1
    assert dialog.certificates_model.text(0, 1) == story.certificate
    assert any(dialog.audit_model.text(r, 2) == "修改学员信息" for r in range(dialog.audit_model.rowCount()))
    assert "毕业证书" in dialog.overview_label.text()
    close(dialog)


def test_a_double_click_opens_the_record_and_its_edit_button_opens_the_form(qtbot, page, story):
    index = page.model.index(row_of(page, story.wang), 1)
    rect = page.table.visualRect(index)
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.record_dialog is not None and page.record_dialog.isVisible())
    dialog = loaded(qtbot, page.record_dialog)
    assert dialog.record.person.name == "王喆"
    assert "需补考：成人高中自然科学" in dialog.exam_label.text()
    edit = dialog.open_edit()
    assert edit.isVisible() and edit.name_edit.text() == "王喆"
    edit.reject()
    close(dialog)


def test_the_right_click_menu_opens_the_record_edits_and_has_the_ways_back(qtbot, page, story):
    row = row_of(page, story.wang)
    point = page.table.visualRect(page.model.index(row, 1)).center()
    menu = page.show_context_menu(point)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:2] == ["打开档案", "修改…"]
    for expected in ("退学 / 转学…", "作废（登记错了）…", "恢复学籍…", "显示完整身份证号"):
        assert expected in texts
    assert any(t.startswith("更正学籍") for t in texts)
    assert page.current_row() == row  # the row under the mouse is the one acted on
    menu.close()
    page.open_record_action.trigger()
    assert loaded(qtbot, page.record_dialog).record.student_numbers == (story.wang,)
    close(page.record_dialog)
    below = page.table.viewport().rect().bottomLeft() + QPoint(5, -5)  # under the last row: no learner there
    page.table.clearSelection()
    page.table.setCurrentIndex(QModelIndex())
    page.show_context_menu(below).close()
    assert not page.open_record_action.isEnabled()
    assert page.withdraw_action.isEnabled()  # shared with the 学籍处理 button, whose menu must keep working


def test_a_correction_started_from_the_record_updates_it_and_the_list(qtbot, type_text, page, story, wait_ops):
    dialog = loaded(qtbot, page.open_record(row_of(page, story.wang)))
    assert dialog.record.person.gender == "女"
    correction = dialog.open_way_back("correct")
    correction.gender_combo.setCurrentIndex(correction.gender_combo.findData(Gender.MALE))
    type_text(correction.reason_edit, "按身份证原件更正")
    with qtbot.waitSignal(dialog.refreshed, timeout=20_000):
        qtbot.mouseClick(correction.ok_button, Qt.MouseButton.LeftButton)
        wait_ops()
    assert dialog.record.person.gender == "男" and dialog.person_labels["性别"].text() == "男"
    newest = dialog.record.audit[0]
    assert newest.action == "更正学籍" and "性别：女 → 男" in newest.changes
    assert dialog.audit_model.text(0, 2) == "更正学籍"
    assert "已更正" in dialog.last_result
    qtbot.waitUntil(lambda: page.model.row_at(row_of(page, story.wang)).gender == "male")
    close(dialog)


def test_a_withdrawal_from_the_record_switches_its_menu_to_reinstate(qtbot, type_text, page, story, wait_ops):
    dialog = loaded(qtbot, page.open_record(row_of(page, story.wang)))
    assert dialog.withdraw_action.isEnabled() and not dialog.reinstate_action.isEnabled()
    withdrawal = dialog.open_way_back("withdraw")
    type_text(withdrawal.reason_edit, "外出务工")
    with qtbot.waitSignal(dialog.refreshed, timeout=20_000):
        qtbot.mouseClick(withdrawal.ok_button, Qt.MouseButton.LeftButton)
        wait_ops()
    assert dialog.record.enrolments[0].status.label == "已退学"
    assert dialog.reinstate_action.isEnabled() and not dialog.withdraw_action.isEnabled()
    close(dialog)


def test_the_record_opened_in_the_window_is_read_on_the_windows_day(qtbot, school_db, story):
    """Ages, months studied and readiness in the record are counted on the window's day, not the clock's."""
    window_day = TODAY + timedelta(days=7)
    window = open_window(qtbot, school_db, day=window_day)
    window.show_page("学员")
    page = window.learners_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    dialog = loaded(qtbot, page.open_record(row_of(page, story.chen)))
    assert dialog.status_label.text() == f"截至 {window_day}"
    close(dialog)


def test_an_unknown_student_number_says_so_and_opens_nothing(qtbot, page):
    from adultschool.ui.learner_record_dialog import open_record

    assert open_record(page._engine, "330206-01-1999-99999", page) is None
    box = next(w for w in page.findChildren(QMessageBox) if w.isVisible())
    assert "找不到学籍号" in box.text()
    box.close()


def test_the_record_fits_a_1366_by_768_screen(qtbot, school_db, story):
    dialog = LearnerRecordDialog(school_db.engine, story.chen)
    qtbot.addWidget(dialog)
    loaded(qtbot, dialog)
    dialog.resize(1366, 708)  # the screen less the taskbar and the title bar
    dialog.show()
    qtbot.waitExposed(dialog)
    inside = QRect(0, 0, dialog.width(), dialog.height())
    for button in (dialog.edit_button, dialog.records_button, dialog.reveal_button, dialog.refresh_button,
                   dialog.close_button):
        corner = button.mapTo(dialog, button.rect().bottomRight())
        assert inside.contains(corner) and button.width() >= button.sizeHint().width(), button.text()
    tab_bar = dialog.tabs.tabBar()
    assert tab_bar.tabRect(tab_bar.count() - 1).right() <= tab_bar.width()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        assert dialog.grab().save(str(SHOTS / f"record-1366-{index}-{TAB_TITLES[index]}.png"))


@pytest.fixture
def exams_page(qtbot, school_db, story):
    widget = ExamsPage(school_db.engine)
    qtbot.addWidget(widget)
    return widget


def test_exam_history_lists_rounds_and_applicants_and_opens_a_learner(qtbot, exams_page, story):
    dialog = exams_page.open_history()
    qtbot.waitUntil(lambda: dialog.history is not None, timeout=20_000)
    assert not dialog.isModal()
    assert [dialog.rounds_model.text(r, 0) for r in range(dialog.rounds_model.rowCount())] == [SECOND, FIRST]
    assert dialog.select_round(FIRST)
    model = dialog.applicants_model
    headers = model.headers
    assert headers[-1] == RETAKE_MARK and "成人高中自然科学" in headers
    rows = {model.text(r, 1): r for r in range(model.rowCount())}
    assert set(rows) == {"陈堃", "王喆"}
    assert model.text(rows["王喆"], len(headers) - 1) == "成人高中自然科学"
    assert model.text(rows["王喆"], headers.index("成人高中自然科学")) == "缺考（需补考）"
    assert model.text(rows["陈堃"], headers.index("成人高中数学")) == "50 不合格"
    assert model.text(rows["陈堃"], len(headers) - 1) == ""
    maths = next(r for r in range(dialog.courses_model.rowCount()) if dialog.courses_model.text(r, 0) == "成人高中数学")
    assert [dialog.courses_model.text(maths, c) for c in range(1, 7)] == ["2", "2", "1", "1", "0", "0"]
    dialog.retake_only.setChecked(True)
    assert model.rowCount() == 1 and model.text(0, 1) == "王喆"
    index = model.index(0, 1)
    rect = dialog.applicants_table.visualRect(index)
    qtbot.mouseClick(dialog.applicants_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.applicants_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: dialog.record_dialog is not None and dialog.record_dialog.isVisible())
    assert loaded(qtbot, dialog.record_dialog).record.student_numbers == (story.wang,)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.resize(1366, 708)
    assert dialog.grab().save(str(SHOTS / "history-1366.png"))
    close(dialog.record_dialog)
    close(dialog)


def test_a_learner_opened_from_the_exam_history_is_read_on_the_pages_day(qtbot, school_db, story):
    window_day = TODAY + timedelta(days=7)
    page = ExamsPage(school_db.engine, today=lambda: window_day)
    qtbot.addWidget(page)
    dialog = page.open_history()
    qtbot.waitUntil(lambda: dialog.history is not None, timeout=20_000)
    assert dialog.select_round(FIRST)
    record = loaded(qtbot, dialog.open_applicant(0))
    assert record.status_label.text() == f"截至 {window_day}"
    close(record)
    close(dialog)


def test_the_exam_menu_opens_the_exam_history(qtbot, school_db, story):
    from adultschool.ui.main_window import MainWindow

    window = MainWindow(school_db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    exam_menu = next(a.menu() for a in window.menuBar().actions() if a.text().startswith("考试"))
    assert window.exam_history_action in exam_menu.actions() and window.exam_history_action.isEnabled()
    window.exam_history_action.trigger()
    dialog = window.exams_page.history_dialog
    qtbot.waitUntil(lambda: dialog.history is not None, timeout=20_000)
    assert dialog.rounds_model.rowCount() == 2
    close(dialog)
