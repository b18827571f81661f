"""导入学习记录 / 导入考勤表: the same check-then-confirm dialog as the roster, for xlsx or csv, and readiness follows."""
from __future__ import annotations

import csv
from datetime import date, timedelta

import openpyxl
import pytest
from PySide6.QtCore import Qt

from adultschool.ui.import_dialog import ImportDialog
from adultschool.ui.readiness_page import ReadinessPage
from adultschool.ui.rollcall_page import RollCallPage
from testclock import TODAY

pytestmark = pytest.mark.gui

COURSE = "成人高中语文"


def show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def run(qtbot, dialog, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.op is not None and not dialog.op.running, timeout=30_000)


def table_column(table, column: int) -> list[str]:
    return [table.item(row, column).text() for row in range(table.rowCount())]


@pytest.fixture
def learner(school_db, enrol, make_id):
    """A senior learner registered four months ago, with no study yet."""
    id_number = make_id(date(1988, 6, 1), serial=31)
    enrol(school_db, "陈堃", id_number=id_number, registered_on=TODAY - timedelta(days=130))
    return id_number


@pytest.fixture
def readiness_page(qtbot, school_db):
    page = ReadinessPage(school_db.engine)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.show()
    return page


def test_study_records_from_a_workbook_are_checked_then_imported_and_readiness_follows(
        qtbot, tmp_path, school_db, learner, make_id, readiness_page):
    assert readiness_page.shown_summary() == "共 1 个学籍：可报考 0，30 天内可报考 0"
    assert "课程视频不足：还差 20 学时" in readiness_page.model.index(0, 10).data()

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "学习记录"
    sheet.append(["身份证号码", "姓名", "课程", "视频", "已学时长(分钟)"])
    for lesson in range(1, 21):
        sheet.append([learner, "陈堃", COURSE, f"第{lesson:02d}讲", "60"])
    sheet.append([make_id(date(1990, 1, 1), serial=77), "路人", COURSE, "第01讲", "45"])  # row 22: nobody registered
    sheet.append([learner, "陈堃", COURSE, "第21讲", "很久"])  # row 23: not minutes
    path = tmp_path / "学习记录.xlsx"
    workbook.save(path)

    dialog = show(qtbot, ImportDialog(school_db.engine, "study"))
    assert dialog.windowTitle() == "导入学习记录"
    assert dialog.date_edit.isHidden() and dialog.township_combo.isHidden()  # nothing to choose for study records
    assert dialog.file_edit.placeholderText() == "选择学习记录（.xlsx、.xls、.et、.ods 或 .csv）"
    dialog.set_file(path)
    run(qtbot, dialog, dialog.check_button)
    assert "将导入学习记录 20 行（1 名学员的学时有变化），未通过 2 行" in dialog.summary_label.text()
    assert "工作表“学习记录”，22 行数据" in dialog.summary_label.text()
    assert table_column(dialog.rejected_table, 0) == ["22", "23"]
    assert "找不到这个身份证号码的学员" in table_column(dialog.rejected_table, 2)[0]
    assert table_column(dialog.rejected_table, 1)[1] == "已学时长(分钟)"
    assert dialog.save_rejected_button.isEnabled() and dialog.confirm_button.isEnabled()
    with qtbot.waitSignal(readiness_page.computed, timeout=30_000):
        readiness_page.refresh()
    assert readiness_page.shown_summary() == "共 1 个学籍：可报考 0，30 天内可报考 0"  # the check wrote nothing

    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert "已导入学习记录 20 行" in dialog.summary_label.text()
    assert not dialog.confirm_button.isEnabled()

    with qtbot.waitSignal(readiness_page.computed, timeout=30_000):
        readiness_page.refresh()
    assert readiness_page.shown_summary() == "共 1 个学籍：可报考 1，30 天内可报考 0"
    assert readiness_page.model.index(0, 6).data() == "20"
    assert readiness_page.model.index(0, 8).data() == "是"


def test_an_attendance_sheet_in_csv_marks_the_roll_call(qtbot, tmp_path, school_db, night_class):
    path = tmp_path / "考勤表.csv"
    first, second = night_class["numbers"][:2]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["班级", "日期", "课时", "学籍号", "考勤", "实到课时"])
        writer.writerow([night_class["class"].name, TODAY.isoformat(), "2", first, "迟到", "1.5"])
        writer.writerow([night_class["class"].name, TODAY.isoformat(), "2", second, "出勤", ""])
        writer.writerow([night_class["class"].name, TODAY.isoformat(), "2", night_class["junior"], "出勤", ""])

    dialog = show(qtbot, ImportDialog(school_db.engine, "attendance"))
    assert dialog.windowTitle() == "导入考勤表"
    dialog.set_file(path)
    run(qtbot, dialog, dialog.check_button)
    assert "将记录考勤 2 行（其中新记或改动 2 人次），未通过 1 行" in dialog.summary_label.text()
    assert "工作表" not in dialog.summary_label.text()  # a CSV file has no sheets to name
    assert table_column(dialog.rejected_table, 0) == ["4"]
    assert "不是这个班的学员" in table_column(dialog.rejected_table, 2)[0]

    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert "已记录考勤 2 行" in dialog.summary_label.text()

    page = RollCallPage(school_db.engine)
    qtbot.addWidget(page)
    marks = {page.model.index(r, 1).data(): (page.model.index(r, 2).data(), page.model.index(r, 8).data())
             for r in range(page.model.rowCount())}
    assert marks["陈堃"] == ("迟到", "1.5") and marks["王喆"] == ("出勤", "2") and marks["李赟"] == ("未点名", "")
