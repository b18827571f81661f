"""排摸: progress per township, the residents not yet registered, and 登记报名 from a prospect."""
from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest
from PySide6.QtCore import Qt

from adultschool.db import read_session, unit_of_work
from adultschool.services import learners, survey
from adultschool.ui.main_window import MainWindow
from adultschool.ui.registration_dialog import RegistrationDialog
from adultschool.ui.survey_page import PROSPECT_COLUMNS, SurveyPage
from conftest import open_window
from testclock import TODAY

pytestmark = pytest.mark.gui

HEADERS = [title for title, _ in PROSPECT_COLUMNS]


@pytest.fixture
def surveyed_db(school_db, tmp_path, make_id):
    """Three residents surveyed in 大碶街道 and one in 新碶街道."""
    path = tmp_path / "排摸表.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号码", "是否愿意提升学历", "文化程度", "工作单位", "联系电话", "街道/镇", "户籍所在地"])
    sheet.append(["刘一", make_id(date(1980, 4, 4), serial=11), "愿意", "初中", "海天塑机集团有限公司", "13905740011",
                  "大碶街道", "安徽省阜阳市"])
    sheet.append(["陈二", make_id(date(1982, 5, 5), male=False, serial=12), "待定", "小学", "新碶超市", "", "大碶街道", ""])
    sheet.append(["杨三", make_id(date(1984, 6, 6), serial=13), "不愿意", "初中", "", "", "大碶街道", ""])
    sheet.append(["黄四", make_id(date(1986, 7, 7), serial=14), "愿意", "职高", "", "", "新碶街道", ""])
    workbook.save(path)
    with unit_of_work(school_db.engine) as session:
        survey.import_survey(session, path, actor="test", surveyed_on=TODAY)
    return school_db


def cell(view, row: int, header: str) -> str:
    return view.model().index(row, HEADERS.index(header)).data()


def shown_names(page: SurveyPage) -> list[str]:
    return sorted(cell(page.table, r, "姓名") for r in range(page.model.rowCount()))


def progress_rows(page: SurveyPage) -> list[list[str]]:
    table = page.progress_table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_the_page_lists_prospects_and_progress_per_township(qtbot, surveyed_db):
    page = SurveyPage(surveyed_db.engine)
    qtbot.addWidget(page)
    page.show()

    assert shown_names(page) == ["刘一", "杨三", "陈二", "黄四"]
    assert page.count_label.text() == "共 4 人，未报名 4 人"
    assert progress_rows(page) == [
        ["大碶街道", "3", "1", "0", "3"],
        ["新碶街道", "1", "1", "0", "1"],
        ["合计", "4", "2", "0", "4"],
    ]
    row = next(r for r in range(page.model.rowCount()) if cell(page.table, r, "姓名") == "刘一")
    assert cell(page.table, row, "意愿") == "愿意"
    assert cell(page.table, row, "身份证号码").startswith("330206********")
    assert not page.register_button.isEnabled()  # nobody selected yet


def test_the_township_filter_narrows_the_list(qtbot, surveyed_db):
    page = SurveyPage(surveyed_db.engine)
    qtbot.addWidget(page)
    page.township_combo.setCurrentIndex(page.township_combo.findText("新碶街道"))
    assert shown_names(page) == ["黄四"]
    assert page.count_label.text() == "共 1 人，未报名 1 人"


def test_register_from_a_prospect_prefills_the_form_and_the_prospect_leaves_the_list(qtbot, surveyed_db, make_id):
    window = MainWindow(surveyed_db)
    qtbot.addWidget(window)
    window.show()
    window.show_page("排摸")
    page = window.survey_page
    row = next(r for r in range(page.model.rowCount()) if cell(page.table, r, "姓名") == "刘一")
    page.select_row(row)
    assert page.register_button.isEnabled()

    qtbot.mouseClick(page.register_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert isinstance(dialog, RegistrationDialog)
    assert dialog.isVisible()
    assert dialog.name_edit.text() == "刘一"
    assert dialog.id_edit.text() == make_id(date(1980, 4, 4), serial=11)
    assert dialog.birth_label.text() == "1980-04-04"
    assert dialog.gender_label.text() == "男"
    assert dialog.phone_edit.text() == "13905740011"
    assert dialog.township_combo.currentText() == "大碶街道"
    assert dialog.education_combo.currentText() == "初中"
    assert dialog.employer_edit.text() == "海天塑机集团有限公司"
    assert dialog.household_edit.text() == "安徽省阜阳市"
    assert dialog.level_combo.currentIndex() == -1  # the level is the clerk's choice
    assert dialog.pending_label.text() == "还需填写：学历提升层次"
    assert not dialog.ok_button.isEnabled()

    dialog.level_combo.setCurrentIndex(dialog.level_combo.findText("高中"))
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.registered, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert shown_names(page) == ["杨三", "陈二", "黄四"]
    assert progress_rows(page)[0] == ["大碶街道", "3", "1", "1", "2"]
    window.show_page("学员")
    assert window.learners_page.count_label.text() == "共 1 人"
    with read_session(surveyed_db.engine) as session:
        (learner,) = learners.list_learners(session)
    assert (learner.name, learner.level, learner.township) == ("刘一", "senior", "大碶街道")


def test_names_sort_by_pinyin_and_townships_follow_pinyin(qtbot, surveyed_db):
    page = SurveyPage(surveyed_db.engine)
    qtbot.addWidget(page)
    page.model.sort(HEADERS.index("姓名"), Qt.SortOrder.AscendingOrder)
    # chen, huang, liu, yang (as code points: 刘 杨 陈 黄)
    assert [cell(page.table, r, "姓名") for r in range(page.model.rowCount())] == ["陈二", "黄四", "刘一", "杨三"]
    with read_session(surveyed_db.engine) as session:
        assert [p.name for p in survey.list_prospects(session)] == ["陈二", "刘一", "杨三", "黄四"]  # 大碶 first, then 新碶


def test_the_prospects_ages_are_counted_on_the_windows_day(qtbot, surveyed_db):
    """A window whose day is a year after the clock's shows everyone a year older than the clock would."""
    window_day = TODAY + timedelta(days=366)
    window = open_window(qtbot, surveyed_db, day=window_day)
    window.show_page("排摸")
    page = window.survey_page
    row = next(r for r in range(page.model.rowCount()) if cell(page.table, r, "姓名") == "刘一")
    born = date(1980, 4, 4)
    age = window_day.year - born.year - ((window_day.month, window_day.day) < (born.month, born.day))
    assert str(cell(page.table, row, "年龄")) == str(age)
