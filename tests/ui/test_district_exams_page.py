"""考试与成绩 at a district: rounds added and removed, centrally scored results imported and taken back."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from sqlalchemy import select

from adultschool.db import read_session
from adultschool.models import Enrolment
from adultschool.services import district_results, exam_rounds
from adultschool.ui.district_exams_page import DistrictExamsPage
from adultschool.ui.main_window import MainWindow
from test_district_pages import merged_office, merged_template  # noqa: F401 - fixtures
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture
def page(qtbot, merged_office, tmp_path):
    widget = DistrictExamsPage(merged_office.engine, folder=tmp_path)
    qtbot.addWidget(widget)
    widget.resize(1100, 640)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _button(box, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def test_a_round_is_added_and_removed_from_the_page(page, merged_office, wait_ops):
    dialog = page.open_add_round()
    dialog.name_edit.setText("2027年5月结业考试")
    dialog.date_edit.setDate(date(2027, 5, 20))
    dialog.site_edit.setText("北仑区成人学校考点")
    dialog.level_combo.setCurrentIndex(dialog.level_combo.findText("高中"))
    dialog.submit()
    wait_ops()
    assert [page.rounds_table.item(0, c).text() for c in range(3)] == ["2027年5月结业考试", "2027-05-20", "北仑区成人学校考点"]
    assert "已新增考试批次" in page.message.text()
    again = page.open_add_round()
    again.name_edit.setText("2027年5月结业考试")
    again.site_edit.setText("x")
    again.submit()
    wait_ops()
    assert "已经有名为“2027年5月结业考试”的考试批次" in again.field_message("name")
    again.reject()
    page.rounds_table.selectRow(0)
    page.remove_round()
    _button(page.dialog, "删除").click()
    wait_ops()
    with read_session(merged_office.engine) as session:
        assert exam_rounds.list_rounds(session) == []
    assert page.rounds_table.rowCount() == 0


def test_results_are_imported_for_the_schools_and_a_wrong_file_taken_back(page, merged_office, tmp_path, wait_ops):
    with read_session(merged_office.engine) as session:
        numbers = list(session.execute(select(Enrolment.student_number).where(Enrolment.level == "senior")
                                       .order_by(Enrolment.student_number).limit(2)).scalars())
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "课程", "成绩", "考试日期"])
    for number in numbers:
        book.active.append([number, "成人高中数学", 81, "2026-11-15"])
    book.active.append(["330206-99-2026-00001", "成人高中数学", 70, "2026-11-15"])
    book.save(tmp_path / "阅卷成绩.xlsx")
    page.import_results(tmp_path / "阅卷成绩.xlsx")
    wait_ops()
    assert f"{len(numbers)} 条成绩" in page.message.text() and "未导入 1 行" in page.message.text()
    assert "第 4 行" in page.result_box.text()
    assert [page.sources_table.item(0, c).text() for c in range(2)] == ["阅卷成绩.xlsx", str(len(numbers))]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", page.sources_table.item(0, 3).text())  # when, local time
    page.sources_table.selectRow(0)
    dialog = page.open_withdraw()
    dialog.submit()  # no reason: refused
    assert "请写明撤回这些成绩的原因" in dialog.field_message("reason")
    dialog.reason_edit.setText("导错了文件")
    dialog.submit()
    wait_ops()
    with read_session(merged_office.engine) as session:
        assert district_results.sources(session) == []
    assert page.sources_table.rowCount() == 0 and "已撤回" in page.message.text()


def test_a_results_file_shows_when_it_was_imported_on_the_clerks_clock(page, merged_office, tmp_path, wait_ops):
    with read_session(merged_office.engine) as session:
        number = session.execute(select(Enrolment.student_number).where(Enrolment.level == "senior")
                                 .order_by(Enrolment.student_number).limit(1)).scalar_one()
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "课程", "成绩", "考试日期"])
    book.active.append([number, "成人高中数学", 81, "2026-11-15"])
    book.save(tmp_path / "阅卷成绩.xlsx")
    beijing = datetime(2026, 11, 20, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # the PC's clock is in China too
    with time_machine.travel(beijing, tick=True):
        page.import_results(tmp_path / "阅卷成绩.xlsx")
        wait_ops()
        imported_at = page.sources_table.item(0, 3).text()
    assert imported_at.startswith("2026-11-20 10:3"), imported_at  # not the time as stored, in UTC (02:30)


def test_the_results_import_judges_exam_dates_by_the_windows_day(qtbot, merged_office, tmp_path, wait_ops):
    with read_session(merged_office.engine) as session:
        number = session.execute(select(Enrolment.student_number).where(Enrolment.level == "senior")
                                 .order_by(Enrolment.student_number).limit(1)).scalar_one()
    window_day, exam_day = TODAY + timedelta(days=7), TODAY + timedelta(days=3)
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "课程", "成绩", "考试日期"])
    book.active.append([number, "成人高中数学", 81, exam_day.isoformat()])
    book.save(tmp_path / "阅卷成绩.xlsx")
    page = DistrictExamsPage(merged_office.engine, folder=tmp_path, today=lambda: window_day)
    qtbot.addWidget(page)
    page.import_results(tmp_path / "阅卷成绩.xlsx")
    wait_ops()
    assert "1 条成绩" in page.message.text() and "未导入 0 行" in page.message.text(), page.message.text()


def test_the_district_window_lists_the_page(qtbot, merged_office, wait_ops):
    window = MainWindow(merged_office)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    visible = [window.nav.item(i).text() for i in range(window.nav.count()) if not window.nav.item(i).isHidden()]
    assert visible[:4] == ["数据包汇总", "冲突", "任务进度", "考试与成绩"]
    window.show_page("考试与成绩")
    wait_ops()
    assert window.district_exams_page.isVisible()
