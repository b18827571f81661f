"""考勤: a teacher marks by keys or by mouse, saves with Ctrl+S, and finds the marks again; nothing unsaved is lost silently."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from adultschool.db import read_session, unit_of_work
from adultschool.models.enums import AttendanceStatus
from adultschool.services import classes
from adultschool.ui.class_dialogs import NewSessionDialog
from adultschool.ui.common import HINT_COLOUR
from adultschool.ui.main_window import MainWindow
from adultschool.ui.rollcall_model import HEADERS, HOURS_COLUMN
from adultschool.ui.rollcall_page import RollCallPage
from testclock import TODAY

pytestmark = pytest.mark.gui


def make_page(qtbot, database) -> RollCallPage:
    page = RollCallPage(database.engine)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    qtbot.waitExposed(page)
    return page


def cell(page: RollCallPage, row: int, header: str) -> str:
    return page.model.index(row, HEADERS.index(header)).data()


def statuses(page: RollCallPage) -> dict[str, str]:
    return {cell(page, row, "姓名"): cell(page, row, "考勤") for row in range(page.model.rowCount())}


def row_of(page: RollCallPage, name: str) -> int:
    return next(row for row in range(page.model.rowCount()) if cell(page, row, "姓名") == name)


def click_cell(qtbot, page: RollCallPage, row: int, header: str) -> None:
    rect = page.table.visualRect(page.model.index(row, HEADERS.index(header)))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def saved_marks(database, session_id: int) -> dict[str, tuple[str | None, float]]:
    with read_session(database.engine) as session:
        return {line.name: (line.status, line.hours) for line in classes.roll_call(session, session_id).lines}


def add_session(database, class_id: int, held_on: date, hours: float = 2.0):
    with unit_of_work(database.engine) as session:
        return classes.create_session(session, class_id, held_on=held_on, hours=hours, actor="test")


def button(box: QMessageBox, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def test_todays_session_opens_with_every_learner_unmarked(qtbot, school_db, night_class):
    add_session(school_db, night_class["class"].id, TODAY - timedelta(days=60))
    page = make_page(qtbot, school_db)
    assert page.class_combo.currentText() == night_class["class"].name
    assert page.session_combo.currentData() == night_class["session"].id
    assert page.session_combo.currentText().startswith(f"{TODAY.isoformat()} 成人高中语文 2 课时")
    assert statuses(page) == {"陈堃": "未点名", "王喆": "未点名", "李赟": "未点名", "张犇": "未点名"}
    assert page.summary_label.text() == "共 4 人：出勤 0，迟到 0，早退 0，缺勤 0，请假 0，未点名 4"
    assert page.model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None  # unmarked rows are tinted
    assert not page.save_button.isEnabled()


def test_keys_mark_and_move_down_then_ctrl_s_saves_and_a_new_page_shows_the_marks(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    page.table.setFocus()
    page.table.selectRow(0)
    for key in (Qt.Key.Key_1, Qt.Key.Key_4, Qt.Key.Key_5, Qt.Key.Key_1):
        qtbot.keyClick(page.table, key)
    assert statuses(page) == {"陈堃": "出勤*", "王喆": "缺勤*", "李赟": "请假*", "张犇": "出勤*"}
    assert page.unsaved_label.text() == "有 4 人的考勤未保存"

    page.activateWindow()  # a shortcut reaches the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    with qtbot.waitSignal(page.saved, timeout=10_000) as blocker:
        qtbot.keyClick(page.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [4]
    assert page.message_label.text() == "已保存 4 人"
    assert statuses(page) == {"陈堃": "出勤", "王喆": "缺勤", "李赟": "请假", "张犇": "出勤"}
    assert page.unsaved_label.isHidden()
    assert "已点名 4 人" in page.session_combo.currentText()

    again = make_page(qtbot, school_db)
    assert statuses(again) == {"陈堃": "出勤", "王喆": "缺勤", "李赟": "请假", "张犇": "出勤"}
    assert [cell(again, row, "计入课时") for row in range(4)] == ["2", "0", "0", "2"]
    assert saved_marks(school_db, night_class["session"].id)["王喆"] == ("absent", 0.0)


def test_several_selected_rows_take_one_key_at_once(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    page.table.setFocus()
    page.table.selectAll()
    qtbot.keyClick(page.table, Qt.Key.Key_2)
    assert set(statuses(page).values()) == {"迟到*"}


def test_the_mouse_marks_with_the_radio_buttons_and_the_context_menu(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    click_cell(qtbot, page, row_of(page, "王喆"), "早退")
    assert statuses(page)["王喆"] == "早退*"
    assert page.model.index(row_of(page, "王喆"), HEADERS.index("早退")).data(page.model.ChoiceRole) is True
    click_cell(qtbot, page, row_of(page, "王喆"), "出勤")
    assert statuses(page)["王喆"] == "出勤*"

    row = row_of(page, "李赟")
    page.show_context_menu(page.table.visualRect(page.model.index(row, 1)).center())
    menu = page.context_menu
    assert [a.text() for a in menu.actions()] == ["出勤（1）", "迟到（2）", "早退（3）", "缺勤（4）", "请假（5）"]
    next(a for a in menu.actions() if a.text() == "请假（5）").trigger()
    menu.close()
    assert statuses(page)["李赟"] == "请假*"

    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.message_label.text() == "已保存 2 人。还有 2 人未点名", timeout=10_000)
    page.select_session(night_class["session"].id)  # re-selecting the same session reads it again
    assert statuses(page) == {"陈堃": "未点名", "王喆": "出勤", "李赟": "请假", "张犇": "未点名"}


def test_all_present_marks_everyone(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    qtbot.mouseClick(page.all_present_button, Qt.MouseButton.LeftButton)
    assert set(statuses(page).values()) == {"出勤*"}
    assert page.summary_label.text() == "共 4 人：出勤 4，迟到 0，早退 0，缺勤 0，请假 0，未点名 0"


def test_a_late_learner_gets_the_rules_share_greyed_until_the_teacher_types_the_hours(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    row = row_of(page, "陈堃")
    present = row_of(page, "王喆")
    page.mark_rows([present], AttendanceStatus.PRESENT)
    page.table.setFocus()
    page.table.selectRow(row)
    qtbot.keyClick(page.table, Qt.Key.Key_2)
    hours = page.model.index(row, HOURS_COLUMN)
    assert hours.data() == "1"  # half of the 2-hour session, the rules' default share
    assert hours.data(Qt.ItemDataRole.ForegroundRole).color().name() == HINT_COLOUR
    assert not page.model.flags(page.model.index(present, HOURS_COLUMN)) & Qt.ItemFlag.ItemIsEditable

    page.table.setCurrentIndex(hours)
    page.table.edit(hours)
    editor = page.table.indexWidget(hours)
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "1.5")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.table.indexWidget(hours) is None)  # the editor commits and closes
    assert hours.data() == "1.5"
    assert hours.data(Qt.ItemDataRole.ForegroundRole) is None

    with qtbot.waitSignal(page.saved, timeout=10_000):
        page.save()
    assert saved_marks(school_db, night_class["session"].id)["陈堃"] == ("late", 1.5)
    again = make_page(qtbot, school_db)
    assert cell(again, row_of(again, "陈堃"), "考勤") == "迟到"
    assert cell(again, row_of(again, "陈堃"), "计入课时") == "1.5"
    assert again.model.index(row_of(again, "陈堃"), HOURS_COLUMN).data(Qt.ItemDataRole.EditRole) == "1.5"


def test_hours_beyond_the_session_are_refused_with_the_learners_name(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    row = row_of(page, "李赟")
    page.table.setFocus()
    page.table.selectRow(row)
    qtbot.keyClick(page.table, Qt.Key.Key_3)
    hours = page.model.index(row, HOURS_COLUMN)
    page.table.setCurrentIndex(hours)
    page.table.edit(hours)
    editor = page.table.indexWidget(hours)
    qtbot.keyClicks(editor, "3")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.table.indexWidget(hours) is None)
    assert page.message_label.isVisible()
    assert page.message_label.text().startswith("李赟：实到课时 3 应在 0 到本节课时 2 之间")
    assert hours.data() == "1"  # the refused value was not taken


def test_switching_session_with_unsaved_marks_asks_save_discard_or_cancel(qtbot, school_db, night_class):
    earlier = add_session(school_db, night_class["class"].id, TODAY - timedelta(days=60))
    page = make_page(qtbot, school_db)
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_4)

    page.select_session(earlier.id)
    box = page.prompt
    assert box.isVisible() and box.text() == "有 1 人的考勤还没有保存。要先保存吗？"
    assert sorted(b.text() for b in box.buttons()) == sorted(["保存", "放弃", "取消"])
    qtbot.mouseClick(button(box, "取消"), Qt.MouseButton.LeftButton)
    assert page.session_combo.currentData() == night_class["session"].id
    assert statuses(page)["陈堃"] == "缺勤*"

    page.select_session(earlier.id)
    qtbot.mouseClick(button(page.prompt, "放弃"), Qt.MouseButton.LeftButton)
    assert page.session_combo.currentData() == earlier.id
    assert set(statuses(page).values()) == {"未点名"}
    assert saved_marks(school_db, night_class["session"].id)["陈堃"] == (None, 0.0)

    page.table.selectRow(1)
    qtbot.keyClick(page.table, Qt.Key.Key_1)
    page.select_session(night_class["session"].id)
    with qtbot.waitSignal(page.saved, timeout=10_000):
        qtbot.mouseClick(button(page.prompt, "保存"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.session_combo.currentData() == night_class["session"].id, timeout=10_000)
    assert saved_marks(school_db, earlier.id)["王喆"] == ("present", 2.0)
    assert set(statuses(page).values()) == {"未点名"}


def test_switching_class_with_unsaved_marks_asks_too(qtbot, school_db, night_class):
    from adultschool.models.enums import ClassType, Level

    with unit_of_work(school_db.engine) as session:
        other = classes.create_class(session, name="新碶厂班", class_type=ClassType.FACTORY, level=Level.SENIOR,
                                     starts_on=TODAY, actor="test")
    page = make_page(qtbot, school_db)
    page.select_class(night_class["class"].id)
    page.mark_all_present()
    page.select_class(other.id)
    assert page.prompt.isVisible()
    qtbot.mouseClick(button(page.prompt, "取消"), Qt.MouseButton.LeftButton)
    assert page.class_combo.currentData() == night_class["class"].id


def test_closing_the_window_with_unsaved_marks_asks_and_saves(qtbot, school_db, night_class, wait_ops):
    window = MainWindow(school_db)
    qtbot.addWidget(window)
    window.show()
    window.show_page("考勤")
    wait_ops()
    page = window.rollcall_page
    page.mark_all_present()

    window.close()
    assert window.isVisible()
    assert page.prompt.isVisible()
    qtbot.mouseClick(button(page.prompt, "保存"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert set(saved_marks(school_db, night_class["session"].id).values()) == {("present", 2.0)}


def test_today_button_makes_todays_session_through_the_new_session_form(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    qtbot.mouseClick(page.today_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, NewSessionDialog) and dialog.isVisible()
    assert dialog.date_edit.date().toPython() == TODAY
    dialog.time_check.setChecked(True)
    dialog.time_edit.setTime(dialog.time_edit.time().fromString("08:30", "HH:mm"))
    dialog.hours_edit.setText("1.5")
    with qtbot.waitSignal(dialog.created, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    lesson = blocker.args[0]
    assert page.session_combo.currentData() == lesson.id
    assert page.session_combo.currentText().startswith(f"{TODAY.isoformat()} 08:30 成人高中语文 1.5 课时")
    assert set(statuses(page).values()) == {"未点名"}


def test_f2_or_a_double_click_anywhere_on_a_late_row_edits_its_hours(qtbot, school_db, night_class):
    page = make_page(qtbot, school_db)
    row = row_of(page, "陈堃")
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(row, HEADERS.index("姓名")))
    qtbot.keyClick(page.table, Qt.Key.Key_F2)  # not late yet: nothing to type
    assert page.table.indexWidget(page.model.index(row, HOURS_COLUMN)) is None
    page.table.selectRow(row)
    qtbot.keyClick(page.table, Qt.Key.Key_2)  # 迟到; the cursor moved to the next learner
    page.table.setCurrentIndex(page.model.index(row, HEADERS.index("学籍号")))
    qtbot.keyClick(page.table, Qt.Key.Key_F2)
    editor = page.table.indexWidget(page.model.index(row, HOURS_COLUMN))
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "0.5")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.table.indexWidget(page.model.index(row, HOURS_COLUMN)) is None)
    assert cell(page, row, "计入课时") == "0.5"

    rect = page.table.visualRect(page.model.index(row, HEADERS.index("姓名")))
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert isinstance(page.table.indexWidget(page.model.index(row, HOURS_COLUMN)), QLineEdit)
