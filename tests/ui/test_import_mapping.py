"""导入 with a township's own column names: the dialog shows the header row, the clerk maps the fields (best guesses
preselected), the import runs, and the mapping is kept for the next file with the same header; grid attendance."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from adultschool.db import read_session, unit_of_work
from adultschool.models import Attendance, ClassType, Level
from adultschool.services import classes, learners, mappings
from adultschool.ui.import_dialog import NOT_MAPPED, ImportDialog
from sqlalchemy import func, select

pytestmark = pytest.mark.gui


def show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def run(qtbot, dialog, button) -> None:
    button.click()
    qtbot.waitUntil(lambda: dialog.op is not None and not dialog.op.running, timeout=60_000)


def township_roster(path, make_id):
    """Headers no program knows: 名 称 for the name, 身份号 for the ID, 学历提升 for the level."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "大碶"
    ws.append(["序号", "名 称", "身份号", "学历提升", "手机"])
    ws.append([1, "陈堃", make_id(date(1985, 3, 1), serial=1), "高中", "13805740001"])
    ws.append([2, "林喆", make_id(date(1990, 6, 6), male=False, serial=2), "初中", "13805740002"])
    for cell in ws["C"]:
        cell.number_format = "@"
    wb.save(path)
    return path


def test_a_missing_column_shows_the_header_row_and_the_clerk_maps_it(qtbot, school_db, tmp_path, make_id):
    path = township_roster(tmp_path / "大碶街道.xlsx", make_id)
    dialog = show(qtbot, ImportDialog(school_db.engine, "roster"))
    dialog.township_combo.setCurrentIndex(dialog.township_combo.findText("大碶街道"))
    dialog.set_file(path)
    run(qtbot, dialog, dialog.check_button)

    assert dialog.mapping_box.isVisible()
    assert "第 1 行的表头" in dialog.mapping_header_label.text() and "C“身份号”" in dialog.mapping_header_label.text()
    combos = dialog.mapping_combos
    assert combos["id_number"].currentData() == "身份号"  # best guesses preselected
    assert combos["level"].currentData() == "学历提升"
    assert combos["phone"].currentData() == "手机"  # found by its name
    assert combos["name"].currentText() == NOT_MAPPED  # nothing like 姓名: the clerk chooses
    combos["name"].setCurrentIndex(combos["name"].findData("名 称"))
    assert dialog.mapping_name_edit.text() == "大碶街道"

    run(qtbot, dialog, dialog.check_button)
    assert "将登记 2 人" in dialog.summary_label.text()
    run(qtbot, dialog, dialog.confirm_button)
    assert "已登记 2 人" in dialog.summary_label.text()
    with read_session(school_db.engine) as session:
        assert learners.count_learners(session) == 2
        [kept] = mappings.list_mappings(session, "roster")
    assert kept.name == "大碶街道" and kept.fields["name"] == "名 称" and kept.fields["id_number"] == "身份号"

    # The next file from the same township, same header: read with the kept mapping, no questions asked.
    again = township_roster(tmp_path / "大碶街道-第二批.xlsx", lambda birth, **kw: make_id(birth, serial=kw["serial"] + 10))
    second = show(qtbot, ImportDialog(school_db.engine, "roster"))
    second.township_combo.setCurrentIndex(second.township_combo.findText("大碶街道"))
    second.set_file(again)
    run(qtbot, second, second.check_button)
    assert not second.mapping_box.isVisible()
    assert "将登记 2 人" in second.summary_label.text()
    assert any("按保存的列对应“大碶街道”" in second.warning_table.item(r, 2).text()
               for r in range(second.warning_table.rowCount()))


def test_choosing_another_file_forgets_the_mapping_shown(qtbot, school_db, tmp_path, make_id):
    path = township_roster(tmp_path / "a.xlsx", make_id)
    dialog = show(qtbot, ImportDialog(school_db.engine, "roster"))
    dialog.set_file(path)
    run(qtbot, dialog, dialog.check_button)
    assert dialog.mapping_box.isVisible()
    dialog.set_file(tmp_path / "b.xlsx")
    assert not dialog.mapping_box.isVisible() and dialog.mapping() is None


def test_a_grid_attendance_sheet_becomes_sessions_and_marks_in_the_window(qtbot, school_db, tmp_path, make_id):
    from adultschool.services import registration
    from adultschool.rule_defaults import Rules

    with unit_of_work(school_db.engine) as session:
        numbers = []
        for serial, name in ((1, "陈堃"), (2, "林喆")):
            data = registration.RegistrationInput(name=name, id_number=make_id(date(1985, 1, serial), serial=serial),
                                                  level="高中", registered_on=date(2026, 9, 1), township="大碶街道")
            numbers.append(registration.register_one(session, data, Rules.defaults(), actor="tester")[0].student_number)
        info = classes.create_class(session, name="大碶夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 9, 1), actor="tester")
        classes.add_members(session, info.id, numbers, joined_on=date(2026, 9, 1), actor="tester")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["大碶夜校班考勤表"])
    ws.append(["姓名", "2026-11-03", "11月10日", "备注"])
    ws.append(["陈堃", "√", "假"])
    ws.append(["林喆", "×", 1.5])
    path = tmp_path / "考勤.xlsx"
    wb.save(path)

    dialog = show(qtbot, ImportDialog(school_db.engine, "attendance"))
    assert dialog.class_combo.isVisible()
    dialog.set_file(path)
    dialog.class_combo.setCurrentIndex(dialog.class_combo.findText("大碶夜校班"))
    dialog.hours_spin.setValue(2)
    run(qtbot, dialog, dialog.check_button)
    assert "将记录考勤 4 行" in dialog.summary_label.text(), dialog.summary_label.text() + dialog.error_label.text()
    run(qtbot, dialog, dialog.confirm_button)
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count()).select_from(Attendance)).scalar_one() == 4
        hours = dict(session.execute(select(Attendance.status, func.sum(Attendance.hours)).group_by(Attendance.status)).all())
    # √ is present (the 2 hours), 假 excused and × absent (none), 1.5 of 2 hours a partial attendance.
    assert {k.value: v for k, v in hours.items()} == {"present": 2.0, "excused": 0.0, "absent": 0.0, "late": 1.5}
