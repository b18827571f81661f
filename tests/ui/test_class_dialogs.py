"""新建班级 / 加入学员 / 新增课次: what is missing or refused shows beside its field; what is accepted is written once."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from PySide6.QtCore import Qt

from adultschool.db import read_session
from adultschool.services import classes
from adultschool.ui.class_dialogs import AddMembersDialog, NewClassDialog, NewSessionDialog, split_numbers
from testclock import TODAY

pytestmark = pytest.mark.gui


def show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def class_names(database) -> list[str]:
    with read_session(database.engine) as session:
        return [c.name for c in classes.list_classes(session)]


def test_new_class_says_what_is_missing_beside_each_field_then_creates_it(qtbot, type_text, school_db):
    dialog = show(qtbot, NewClassDialog(school_db.engine))
    assert dialog.date_edit.date().toPython() == TODAY
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.field_message("class_type") == "请选择班级类型：村班、厂班、夜校班或重修班。"
    assert dialog.field_message("level") == "请选择层次：初中或高中。"
    assert [dialog.type_combo.itemText(i) for i in range(dialog.type_combo.count())] == ["村班", "厂班", "夜校班", "重修班"]

    dialog.type_combo.setCurrentIndex(dialog.type_combo.findText("厂班"))
    dialog.level_combo.setCurrentIndex(dialog.level_combo.findText("初中"))
    assert dialog.field_message("class_type") == "" and dialog.field_message("level") == ""
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.field_message("name") != "", timeout=10_000)
    assert dialog.field_message("name") == "班级名称不能为空。"  # the service's own words
    assert dialog.isVisible()

    type_text(dialog.name_edit, "北仑模具厂厂班")
    assert dialog.field_message("name") == ""
    type_text(dialog.site_edit, "模具厂职工之家")
    with qtbot.waitSignal(dialog.created, timeout=10_000) as blocker:
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # Enter means 确定
    info = blocker.args[0]
    assert (info.name, info.class_type, info.level, info.teaching_site) == ("北仑模具厂厂班", "factory", "junior", "模具厂职工之家")
    assert not dialog.isVisible()
    assert class_names(school_db) == ["北仑模具厂厂班"]


def test_a_second_class_of_the_same_name_is_refused_beside_the_name(qtbot, type_text, school_db, night_class):
    dialog = show(qtbot, NewClassDialog(school_db.engine))
    type_text(dialog.name_edit, night_class["class"].name)
    dialog.type_combo.setCurrentIndex(0)
    dialog.level_combo.setCurrentIndex(0)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.field_message("name") != "", timeout=10_000)
    assert dialog.field_message("name") == f"已经有名为“{night_class['class'].name}”的班级。"
    assert class_names(school_db) == [night_class["class"].name]


def test_escape_closes_the_new_class_form_without_writing(qtbot, type_text, school_db):
    dialog = show(qtbot, NewClassDialog(school_db.engine))
    type_text(dialog.name_edit, "不要的班")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert class_names(school_db) == []


def test_add_members_lists_learners_of_the_class_level_and_adds_the_ticked_and_pasted(qtbot, type_text, school_db, night_class,
                                                                                       enrol):
    extra = [enrol(school_db, name, serial=20 + i) for i, name in enumerate(["钱一", "孙二"])]
    dialog = show(qtbot, AddMembersDialog(school_db.engine, night_class["class"]))
    shown = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert night_class["junior"] not in shown  # a junior learner cannot join a senior class
    assert set(extra) <= set(shown)
    assert dialog.count_label.text() == "列出高中学员 6 人"
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(4)] == ["学籍号", "姓名", "身份证号码", "状态"]
    assert "********" in dialog.table.item(0, 2).text()  # ID numbers masked

    type_text(dialog.search_edit, "钱")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    dialog.check_number(extra[0])
    dialog.paste_edit.setPlainText(f"{extra[1]}\n{night_class['numbers'][0]}")
    assert dialog.selected_label.text() == "已选 3 人"
    with qtbot.waitSignal(dialog.added, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [2, 3]  # one of the three was in the class already
    with read_session(school_db.engine) as session:
        assert classes.class_info(session, night_class["class"].id).members == 6


def test_add_members_filters_by_township_and_no_class_yet_and_ticks_all_listed(qtbot, school_db, night_class, enrol):
    extra = [enrol(school_db, name, serial=20 + i) for i, name in enumerate(["钱一", "孙二"])]
    dialog = show(qtbot, AddMembersDialog(school_db.engine, night_class["class"]))
    dialog.no_class_check.setChecked(True)  # the four of the night class are on a roster already
    assert sorted(dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())) == sorted(extra)
    qtbot.mouseClick(dialog.select_all_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen_numbers() == extra and dialog.selected_label.text() == "已选 2 人"
    dialog.township_combo.setCurrentIndex(dialog.township_combo.findText("新碶街道"))
    assert dialog.table.rowCount() == 0 and dialog.count_label.text() == "没有符合条件的学员"
    assert dialog.selected_label.text() == "已选 2 人"  # ticks hidden by a filter are kept
    dialog.township_combo.setCurrentIndex(0)
    qtbot.mouseClick(dialog.select_none_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen_numbers() == []


def test_add_members_refuses_a_learner_of_another_level_and_adds_none(qtbot, school_db, night_class, enrol):
    extra = enrol(school_db, "钱一", serial=20)
    dialog = show(qtbot, AddMembersDialog(school_db.engine, night_class["class"]))
    dialog.check_number(extra)
    dialog.paste_edit.setPlainText(night_class["junior"])
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.field_message("student_numbers") != "", timeout=10_000)
    assert dialog.field_message("student_numbers") == (
        f"学籍号 {night_class['junior']} 是初中学籍，不能加入高中班“{night_class['class'].name}”。")
    assert dialog.isVisible()
    with read_session(school_db.engine) as session:
        assert classes.class_info(session, night_class["class"].id).members == 4


def test_add_members_with_nothing_chosen_asks_for_a_choice(qtbot, school_db, night_class):
    dialog = show(qtbot, AddMembersDialog(school_db.engine, night_class["class"]))
    assert dialog.selected_label.text() == "还没有选学员"
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.field_message("student_numbers") == "请勾选学员，或粘贴学籍号。"


def test_pasted_student_numbers_may_be_separated_any_way_a_clerk_pastes_them():
    assert split_numbers("330206-01-2026-00001、330206-01-2026-00002\n 330206-01-2026-00003，\t330206-01-2026-00004") == [
        "330206-01-2026-00001", "330206-01-2026-00002", "330206-01-2026-00003", "330206-01-2026-00004"]


def test_new_session_takes_decimal_hours_and_a_course_of_the_class_level(qtbot, school_db, night_class):
    dialog = show(qtbot, NewSessionDialog(school_db.engine, night_class["class"], held_on=TODAY - timedelta(days=30)))
    courses = [dialog.course_combo.itemText(i) for i in range(dialog.course_combo.count())]
    assert courses == ["（不填）", "成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]
    assert dialog.course_combo.currentText() == "成人高中语文"  # as the last session
    assert dialog.hours_edit.text() == "2"

    dialog.hours_edit.clear()
    qtbot.keyClicks(dialog.hours_edit, "13")
    assert dialog.field_message("hours") == "课时 13 不合理：应大于 0、不超过 12。"
    assert not dialog.ok_button.isEnabled()
    dialog.hours_edit.clear()
    qtbot.keyClicks(dialog.hours_edit, "1.5")
    assert dialog.field_message("hours") == ""
    assert dialog.ok_button.isEnabled()

    dialog.time_check.setChecked(True)
    dialog.time_edit.setTime(dialog.time_edit.time().fromString("19:00", "HH:mm"))
    dialog.course_combo.setCurrentIndex(dialog.course_combo.findText("成人高中数学"))
    qtbot.keyClicks(dialog.topic_edit, "day3")
    with qtbot.waitSignal(dialog.created, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    lesson = blocker.args[0]
    assert (lesson.held_on, lesson.starts_at, lesson.hours, lesson.course, lesson.topic) == (
        TODAY - timedelta(days=30), time(19, 0), 1.5, "成人高中数学", "day3")


def test_a_second_session_at_the_same_day_and_time_is_refused(qtbot, school_db, night_class):
    dialog = show(qtbot, NewSessionDialog(school_db.engine, night_class["class"]))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.general_message.isVisible(), timeout=10_000)
    assert dialog.general_message.text() == f"“{night_class['class'].name}”在 {TODAY} 已经有一节课。"
    with read_session(school_db.engine) as session:
        assert len(classes.list_sessions(session, night_class["class"].id)) == 1


def test_add_members_finds_learners_by_pinyin_initials(qtbot, school_db, night_class, enrol):
    extra = [enrol(school_db, name, serial=30 + i) for i, name in enumerate(["钱一", "孙二"])]
    dialog = show(qtbot, AddMembersDialog(school_db.engine, night_class["class"]))
    assert "拼音" in dialog.search_edit.placeholderText()
    qtbot.keyClicks(dialog.search_edit, "QY")  # 钱一: qian yi
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    assert dialog.table.item(0, 0).text() == extra[0] and dialog.table.item(0, 1).text() == "钱一"
    dialog.search_edit.setText("sunr")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=5000)
    assert dialog.count_label.text() == "没有符合条件的学员"
    dialog.search_edit.setText("suner")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    assert dialog.table.item(0, 1).text() == "孙二"
