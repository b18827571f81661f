"""考试: 考前申请 of the ticked ready learners (one write: list and marks together), results through the import dialog,
毕业 with its lists, the skill certificate form and the two lists for the outside world."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from adultschool import cli
from adultschool.db import read_session, unit_of_work
from adultschool.models import Certificate, Enrolment, EnrolmentStatus, ExamApplication, SkillCertificate
from adultschool.services import disclosure, exam_applications, exam_results, graduation
from adultschool.ui.exam_dialogs import GraduationDialog, SkillCertificateDialog
from adultschool.ui.exams_page import ExamsPage
from adultschool.ui.import_dialog import ImportDialog
from conftest import SENIOR_COURSES, write_results
from testclock import TODAY
from factories import open_protected, password_in

pytestmark = pytest.mark.gui


@pytest.fixture
def graduates_pending(school_db, ready_school, tmp_path):
    """The three ready learners applied and passed every course; not graduated yet."""
    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, TODAY, round_name="测试批次", actor="test")
    write_results(tmp_path / "passed.xlsx", [(n, name, c, 80, TODAY.isoformat()) for n, name in ready_school.items()
                                             for c in SENIOR_COURSES])
    with unit_of_work(school_db.engine) as session:
        exam_results.import_results(session, tmp_path / "passed.xlsx", actor="test")
    return ready_school


@pytest.fixture
def page(qtbot, school_db, ready_school, tmp_path):
    widget = ExamsPage(school_db.engine, folder=tmp_path)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    with qtbot.waitSignal(widget.computed, timeout=30_000):
        widget.show()
    return widget


def statuses(database) -> dict[str, EnrolmentStatus]:
    with read_session(database.engine) as session:
        return dict(session.execute(select(Enrolment.student_number, Enrolment.status)).all())


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_ready_learners_are_listed_ticked_with_the_round_named_after_this_month(page, ready_school):
    assert page.model.rowCount() == 3
    assert page.model.checked_numbers() == sorted(ready_school)
    assert page.round_edit.text() == f"{TODAY.year}年{TODAY.month}月结业考试"  # no district round known here
    assert page.count_label.text() == "可报考 3 人，已勾选 3 人"
    first = page.model.index(0, 0)
    assert page.model.data(first, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert "********" in page.model.index(0, 2).data()  # the ID number stays masked on screen
    page.select_none_button.click()
    assert page.model.checked_numbers() == [] and not page.apply_button.isEnabled()
    page.select_all_button.click()
    assert len(page.model.checked_numbers()) == 3 and page.apply_button.isEnabled()


def test_applying_the_ticked_learners_writes_their_list_and_marks_only_them(qtbot, page, school_db, ready_school,
                                                                            tmp_path, monkeypatch, wait_ops):
    first, second, third = sorted(ready_school)
    page.model.set_checked(second, False)
    assert page.count_label.text() == "可报考 3 人，已勾选 2 人"
    page.round_edit.clear()
    page.round_edit.setText("2026年11月结业考试")
    asked = {}

    def save_as(parent, title, suggested, file_filter):
        asked.update(title=title, suggested=suggested)
        return str(tmp_path / "申请名单"), file_filter  # typed without .xlsx

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    click(qtbot, page.apply_button)
    # First the question: how many, who, which round; Enter (the default, 取消) applies nobody.
    question = page.dialog
    assert "“2026年11月结业考试”：2 人" in question.text() and ready_school[first] in question.text()
    assert ready_school[second] not in question.text()
    qtbot.keyClick(question, Qt.Key.Key_Return)
    assert asked == {} and set(statuses(school_db).values()) == {EnrolmentStatus.ACTIVE}
    click(qtbot, page.apply_button)
    [yes] = [b for b in page.dialog.buttons() if b.text() == "申请 2 人并保存名单…"]
    yes.click()
    wait_ops()

    assert asked["title"] == "保存考前申请名单"
    assert Path(asked["suggested"]).name == "考前申请名单-2026年11月结业考试.xlsx"
    assert page.result_box.text().startswith("已申请 2 人，名单已保存")
    assert "文件已加密，打开密码：" in page.result_box.text()  # the list goes by e-mail: protected by default
    sheet = open_protected(tmp_path / "申请名单.xlsx", password_in(page.result_box.text())).active
    assert [cell.value for cell in sheet[2]] == list(exam_applications.APPLICATION_HEADERS)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert [(row[0], row[1], row[2]) for row in rows] == [(1, first, ready_school[first]), (2, third, ready_school[third])]
    assert rows[0][9] == "、".join(SENIOR_COURSES)
    found = statuses(school_db)
    assert found[first] is EnrolmentStatus.EXAM_APPLIED and found[third] is EnrolmentStatus.EXAM_APPLIED
    assert found[second] is EnrolmentStatus.ACTIVE
    assert [row.student_number for row in page.model.rows] == [second]  # the applied ones have moved on


def test_a_list_that_cannot_be_written_marks_nobody_applied(qtbot, page, school_db, tmp_path, wait_ops):
    question = page.apply_checked(tmp_path / "没有这个文件夹" / "名单.xlsx")
    [yes] = [b for b in question.buttons() if b.text().startswith("申请")]
    yes.click()
    wait_ops()
    assert "没有学员被记为已申请" in page.apply_message.text() and page.apply_message.isVisible()
    assert set(statuses(school_db).values()) == {EnrolmentStatus.ACTIVE}
    assert page.apply_button.isEnabled()



def test_the_window_and_the_command_line_report_an_application_in_the_same_words(qtbot, page, db_arg, ready_school,
                                                                                   tmp_path, monkeypatch, capsys,
                                                                                   wait_ops):
    first, second, third = sorted(ready_school)
    monkeypatch.setattr(disclosure, "new_password", lambda: "Pa55-word-fixed")
    twin = tmp_path / "twin.sqlite3"  # the same school, for the command line
    with closing(sqlite3.connect(db_arg)) as source, closing(sqlite3.connect(twin)) as target:
        source.backup(target)
    out = tmp_path / "名单.xlsx"
    code = cli.main(["exam", "apply", "--as-of", TODAY.isoformat(), "--out", str(out), "--round", "2026年11月结业考试",
                     "--student-number", first, "--student-number", third, "--db", str(twin)])
    printed = capsys.readouterr().out.splitlines()
    assert code == 0 and printed[-1] == "applied 2"
    out.rename(tmp_path / "cli.xlsx")

    page.model.set_checked(second, False)
    page.round_edit.setText("2026年11月结业考试")
    [yes] = [b for b in page.apply_checked(out).buttons() if b.text().startswith("申请")]
    yes.click()
    wait_ops()
    assert page.result_box.text() == "\n".join(printed[:-1])
    assert page.result_box.text().startswith(f"已申请 2 人，名单已保存：{out}")
    assert "打开密码：Pa55-word-fixed" in page.result_box.text()

def test_results_are_checked_then_imported_through_the_import_dialog(qtbot, page, school_db, ready_school, tmp_path,
                                                                     wait_ops):
    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, TODAY, round_name="测试批次", actor="test")
    first, second, _third = sorted(ready_school)
    path = write_results(tmp_path / "成绩.xlsx", [
        *[(first, ready_school[first], course, 80, TODAY.isoformat()) for course in SENIOR_COURSES],
        (second, ready_school[second], SENIOR_COURSES[0], 59.5, TODAY.isoformat()),
        (second, "张三", SENIOR_COURSES[1], 80, TODAY.isoformat()),  # row 8: wrong name
        (second, ready_school[second], SENIOR_COURSES[2], 101, TODAY.isoformat()),  # row 9: out of range
    ])
    dialog = page.open_results_import()
    qtbot.waitExposed(dialog)
    assert isinstance(dialog, ImportDialog) and dialog.windowTitle() == "导入成绩"
    assert dialog.date_edit.isHidden()
    dialog.set_file(path)
    click(qtbot, dialog.check_button)
    wait_ops()
    assert "将导入成绩 6 行（其中新记或改动 6 条），未通过 2 行" in dialog.summary_label.text()
    assert [dialog.rejected_table.item(r, 0).text() for r in range(dialog.rejected_table.rowCount())] == ["8", "9"]
    assert statuses(school_db)[first] is EnrolmentStatus.EXAM_APPLIED  # the check wrote nothing
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        click(qtbot, dialog.confirm_button)
    wait_ops()
    assert "已导入成绩 6 行" in dialog.summary_label.text()
    found = statuses(school_db)
    assert found[first] is EnrolmentStatus.PASSED
    assert found[second] is EnrolmentStatus.ACTIVE  # failed one course: studies on for the retake


def test_the_results_import_judges_exam_dates_by_the_windows_day(qtbot, school_db, ready_school, tmp_path, wait_ops):
    """The window's day (tests set it; a clerk's PC gives it) is the one the import checks "not after today" against,
    as for every other import, not the clock's."""
    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, TODAY, round_name="测试批次", actor="test")
    window_day, exam_day = TODAY + timedelta(days=7), TODAY + timedelta(days=3)
    first = sorted(ready_school)[0]
    path = write_results(tmp_path / "成绩.xlsx", [(first, ready_school[first], course, 80, exam_day.isoformat())
                                                 for course in SENIOR_COURSES])
    page = ExamsPage(school_db.engine, folder=tmp_path, today=lambda: window_day)
    qtbot.addWidget(page)
    dialog = page.open_results_import()
    dialog.set_file(path)
    click(qtbot, dialog.check_button)
    wait_ops()
    assert dialog.rejected_table.rowCount() == 0, dialog.rejected_table.item(0, 2).text()
    assert f"将导入成绩 {len(SENIOR_COURSES)} 行" in dialog.summary_label.text()


def test_an_application_on_the_windows_day_is_made_and_dated_on_it(qtbot, school_db, ready_school, tmp_path,
                                                                   wait_ops):
    """A window whose day is after the clock's (a session past midnight) applies on its own day, which the service
    checks "not after today" against."""
    window_day = TODAY + timedelta(days=7)
    page = ExamsPage(school_db.engine, folder=tmp_path, today=lambda: window_day)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.show()
    assert page.date_edit.date().toPython() == window_day
    question = page.apply_checked(tmp_path / "申请名单.xlsx")
    [yes] = [b for b in question.buttons() if b.text().startswith("申请")]
    yes.click()
    wait_ops()
    assert not page.apply_message.isVisible(), page.apply_message.text()
    assert page.result_box.text().startswith("已申请 3 人，名单已保存")
    with read_session(school_db.engine) as session:
        assert set(session.execute(select(ExamApplication.applied_on)).scalars()) == {window_day}


def confirm(qtbot, dialog: GraduationDialog, wait_ops) -> None:
    """The preview has loaded: 确认 N 人毕业… then the yes button of the question."""
    wait_ops()
    click(qtbot, dialog.graduate_button)
    [yes] = [b for b in dialog.dialog.buttons() if b.text().startswith("办理")]
    yes.click()
    wait_ops()


def test_graduation_shows_who_graduated_with_the_certificate_number(qtbot, page, school_db, ready_school, tmp_path,
                                                                    wait_ops):
    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, TODAY, round_name="测试批次", actor="test")
    first, second, _third = sorted(ready_school)
    write_results(tmp_path / "r.xlsx", [(n, ready_school[n], c, 75, TODAY.isoformat()) for n in (first, second)
                                        for c in SENIOR_COURSES])
    with unit_of_work(school_db.engine) as session:
        exam_results.import_results(session, tmp_path / "r.xlsx", actor="test")

    dialog = page.open_graduation()
    assert isinstance(dialog, GraduationDialog)
    qtbot.waitExposed(dialog)
    wait_ops()
    # First the preview: who, with the numbers they would get; nothing is written yet.
    year = TODAY.year
    assert dialog.graduated_box.title() == "将毕业（2 人）"
    assert dialog.graduated_table.item(1, 2).text() == f"330206-01-BY{year}-0002"
    assert dialog.graduate_button.text() == "确认 2 人毕业…"
    assert statuses(school_db)[first] is EnrolmentStatus.PASSED
    click(qtbot, dialog.graduate_button)
    question = dialog.dialog
    assert "毕业 2 人" in question.text() and ready_school[first] in question.text()
    assert question.defaultButton().text() == "取消"
    qtbot.keyClick(question, Qt.Key.Key_Return)  # Enter takes 取消: nobody graduates
    assert statuses(school_db)[first] is EnrolmentStatus.PASSED and dialog.report is None
    with qtbot.waitSignal(dialog.graduated, timeout=30_000):
        confirm(qtbot, dialog, wait_ops)
    assert dialog.summary_label.text() == "已毕业 2 人。"
    table = dialog.graduated_table
    assert [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())] == [
        [first, ready_school[first], f"330206-01-BY{year}-0001"],
        [second, ready_school[second], f"330206-01-BY{year}-0002"]]
    assert dialog.graduated_box.isVisible() and not dialog.held_back_box.isVisible()
    assert not dialog.graduate_button.isEnabled()  # one graduation per opening
    assert statuses(school_db)[first] is EnrolmentStatus.GRADUATED


def test_where_the_district_requires_a_skill_certificate_graduation_holds_back_those_without(
        qtbot, school_db, graduates_pending, wait_ops):
    from adultschool.services import rules

    with unit_of_work(school_db.engine) as session:
        rules.set_rule(session, "graduation_requires_skill", True, actor="test")
    with_skill, *without = sorted(graduates_pending)
    with unit_of_work(school_db.engine) as session:
        graduation.record_skill_certificate(session, student_number=with_skill, name="电工（五级）", number="D-1",
                                            issued_on=date(2026, 3, 1), actor="test")
    dialog = GraduationDialog(school_db.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    confirm(qtbot, dialog, wait_ops)
    assert dialog.summary_label.text() == "已毕业 1 人，暂不能毕业 2 人。"
    assert dialog.graduated_table.item(0, 0).text() == with_skill
    held = dialog.held_back_table
    assert [held.item(r, 0).text() for r in range(held.rowCount())] == without
    assert held.item(0, 2).text() == "还没有登记职业技能证书（本区规定毕业须有）"
    assert dialog.held_back_box.title() == "暂不能毕业（2 人）" and dialog.held_back_box.isVisible()


def test_graduation_on_the_windows_day_is_made_and_dated_on_it(qtbot, school_db, graduates_pending, wait_ops):
    window_day = TODAY + timedelta(days=7)
    dialog = GraduationDialog(school_db.engine, today=lambda: window_day)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.date_edit.date().toPython() == window_day
    wait_ops()
    assert dialog.graduate_button.text() == "确认 3 人毕业…", dialog.error_label.text()
    confirm(qtbot, dialog, wait_ops)
    assert dialog.summary_label.text() == "已毕业 3 人。", dialog.error_label.text()
    with read_session(school_db.engine) as session:
        assert set(session.execute(select(Certificate.issued_on)).scalars()) == {window_day}


def test_graduation_with_nobody_to_graduate_says_why(qtbot, school_db, wait_ops):
    dialog = GraduationDialog(school_db.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_ops()
    assert dialog.summary_label.text() == "没有可以毕业的学员：学员须全部课程考试通过才能毕业。"
    assert not dialog.graduate_button.isEnabled()


def test_the_skill_certificate_form_names_the_learner_and_records_the_certificate(qtbot, school_db, ready_school,
                                                                                 wait_ops):
    number = sorted(ready_school)[0]
    dialog = SkillCertificateDialog(school_db.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    click(qtbot, dialog.ok_button)
    assert dialog.field_message("student_number") == "请填写学籍号。"
    assert dialog.field_message("name") == "请填写证书名称。" and dialog.field_message("number") == "请填写证书编号。"

    dialog.number_edit.setText("330206-01-2026-99999")
    dialog.look_up()
    assert dialog.learner_label.text() == "没有这个学籍号"
    dialog.name_edit.setText("中式烹调师（五级）")
    dialog.certificate_edit.setText("S2026-001")
    click(qtbot, dialog.ok_button)
    wait_ops()
    assert "找不到学籍号" in dialog.general_message.text() and dialog.isVisible()

    dialog.number_edit.setText(number)
    dialog.look_up()
    assert dialog.learner_label.text() == f"{ready_school[number]}（高中，在读）"
    dialog.date_edit.setDate(dialog.date_edit.date().addDays(-10))
    with qtbot.waitSignal(dialog.recorded, timeout=30_000) as signal:
        click(qtbot, dialog.ok_button)
    wait_ops()
    assert signal.args == [number, "中式烹调师（五级）"]
    assert not dialog.isVisible()
    with read_session(school_db.engine) as session:
        [(name, cert_number)] = session.execute(select(SkillCertificate.name, SkillCertificate.number)).all()
    assert (name, cert_number) == ("中式烹调师（五级）", "S2026-001")


def test_the_credit_bank_and_household_lists_are_exported_in_the_background(qtbot, page, graduates, tmp_path,
                                                                           wait_ops):
    page.export_credit_bank(tmp_path / "学分银行.xlsx")
    wait_ops()
    assert page.result_box.text().startswith("已导出学分银行成绩清单，共 15 条成绩")
    sheet = open_protected(tmp_path / "学分银行.xlsx", password_in(page.result_box.text())).active
    assert sheet.max_row == 2 + 15
    page.export_household(tmp_path / "户籍.xlsx")
    wait_ops()
    assert page.result_box.text().startswith("已导出户籍学历变更名单，共 3 人")
    book = open_protected(tmp_path / "户籍.xlsx", password_in(page.result_box.text()))
    names = [row[0].value for row in book.active.iter_rows(min_row=3)]
    assert sorted(names) == sorted(graduates.values())
