"""Exams (R4), results, retakes, graduation and certificate numbers (R11), and the outside world's lists (R6, R12)."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool import cli
from adultschool.models import AuditEntry, Enrolment, EnrolmentStatus, ExamApplication
from adultschool.services import certificates, exam_applications, exam_reports, exam_results, graduation, registration, rules, study
from adultschool.services.disclosure import Protection
from adultschool.services.registration import RegistrationInput
from adultschool.services.sync_tables import update_travelling
from factories import make_id

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)

SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]


def ready_learner(db, tmp_path, name, serial, *, applied=False):
    """A senior learner registered on 31 January with 20 video hours: ready from 30 April (and applied for the exam on
    1 May, when asked)."""
    id_number = make_id(date(1988, 6, 1), serial=serial)
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(township="大碶街道",
            name=name, id_number=id_number, level="高中", registered_on=date(2026, 1, 31)), rules.load_rules(session), actor="t")
    wb = openpyxl.Workbook()
    wb.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for i in range(20):
        wb.active.append([id_number, "成人高中数学", f"第{i}讲", 60])
    wb.save(tmp_path / f"study-{serial}.xlsx")
    with unit_of_work(db.engine) as session:
        study.import_study(session, tmp_path / f"study-{serial}.xlsx", actor="t")
        if applied:
            exam_applications.apply_for_exam(session, date(2026, 5, 1), round_name="2026年5月结业考试", actor="t",
                                             student_numbers=[registered.student_number])
    return id_number, registered.student_number


def results_file(path, rows):
    wb = openpyxl.Workbook()
    wb.active.append(["学籍号", "姓名", "课程", "成绩", "考试日期"])
    for row in rows:
        wb.active.append(list(row))
    wb.save(path)
    return path


def import_results(db, path):
    with unit_of_work(db.engine) as session:
        return exam_results.import_results(session, path, actor="t")


def status_of(db, number):
    with read_session(db.engine) as session:
        return session.execute(select(Enrolment.status).where(Enrolment.student_number == number)).scalar_one()


def test_application_list_has_the_district_columns_and_marks_enrolments_applied(school_db, tmp_path):
    id_number, number = ready_learner(school_db, tmp_path, "陈堃", 1)
    ready_learner(school_db, tmp_path, "林喆", 2)
    with unit_of_work(school_db.engine) as session:
        rows = exam_applications.apply_for_exam(session, date(2026, 4, 30), round_name="2026年5月结业考试", actor="t",
                                                student_numbers=[number])
        exam_applications.write_application_list(session, tmp_path / "apply.xlsx", rows, school_name="大碶成校",
                                                 round_name="2026年5月结业考试", protection=Protection.PLAIN)
    ws = openpyxl.load_workbook(tmp_path / "apply.xlsx").active
    assert [c.value for c in ws[2]] == list(exam_applications.APPLICATION_HEADERS)
    assert [c.value for c in ws[3]][:9] == [1, number, "陈堃", "男", id_number, "高中", "2026-01-31", 3, 20]
    assert ws["E3"].data_type == "s" and ws["E3"].number_format == "@"
    assert ws["J3"].value == "、".join(SENIOR)
    assert status_of(school_db, number) is EnrolmentStatus.EXAM_APPLIED



def applied_anything(db) -> bool:
    with read_session(db.engine) as session:
        return bool(session.execute(select(ExamApplication.id)).first()
                    or session.execute(select(AuditEntry.id).where(AuditEntry.action.in_(("exam.apply", "id.reveal"))))
                    .first())


def test_the_command_line_refuses_an_empty_application_list_and_writes_nothing(capsys, school_db, db_arg, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "陈堃", 1)
    out = tmp_path / "apply.xlsx"
    # 29 April: nobody is ready yet (the learner is from 30 April on).
    code = cli.main(["exam", "apply", "--as-of", "2026-04-29", "--out", str(out), "--db", db_arg])
    assert code == 2
    assert "没有可申请考试的学员" in capsys.readouterr().err
    assert not out.exists() and not applied_anything(school_db)
    assert status_of(school_db, number) is EnrolmentStatus.ACTIVE


def test_ready_learners_whose_courses_are_all_passed_are_refused_with_the_reason(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "陈堃", 1, applied=True)
    import_results(school_db, results_file(tmp_path / "r.xlsx", [(number, "", c, 80, "2026-05-20") for c in SENIOR]))
    with unit_of_work(school_db.engine) as session:
        # Studying again with every course passed (as after a status put back by hand): nothing left to apply for.
        session.execute(update_travelling(Enrolment).values(status=EnrolmentStatus.ACTIVE))
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="课程都已考试通过"):
        exam_applications.apply_and_write_list(session, date(2026, 6, 1), tmp_path / "apply.xlsx", actor="t")
    assert not (tmp_path / "apply.xlsx").exists()


def test_a_list_that_cannot_be_written_records_no_application(capsys, school_db, db_arg, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "陈堃", 1)
    out = tmp_path / "no such folder" / "apply.xlsx"
    code = cli.main(["exam", "apply", "--as-of", "2026-04-30", "--out", str(out), "--db", db_arg])
    assert code == 2 and capsys.readouterr().err
    assert not out.exists() and not applied_anything(school_db)
    assert status_of(school_db, number) is EnrolmentStatus.ACTIVE


def test_the_command_line_applies_every_ready_learner_under_the_default_round(capsys, school_db, db_arg, tmp_path):
    _, first = ready_learner(school_db, tmp_path, "陈堃", 1)
    _, second = ready_learner(school_db, tmp_path, "林喆", 2)
    out = tmp_path / "apply.xlsx"
    code = cli.main(["exam", "apply", "--as-of", "2026-04-30", "--out", str(out), "--protect", "plain", "--db", db_arg])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[0] == f"已申请 2 人，名单已保存：{out}" and lines[1] == "考试批次：2026年4月结业考试"
    assert lines[-1] == "applied 2"
    assert [c.value for c in openpyxl.load_workbook(out).active["B"][2:]] == sorted([first, second])
    assert status_of(school_db, first) is status_of(school_db, second) is EnrolmentStatus.EXAM_APPLIED

def test_a_learner_who_is_not_ready_cannot_apply_and_is_told_why(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "陈堃", 1)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="学习时限不足"):
        exam_applications.apply_for_exam(session, date(2026, 4, 29), round_name="四月", actor="t", student_numbers=[number])


def test_all_passed_graduates_in_order_with_numbers_that_never_change(school_db, tmp_path):
    numbers = [ready_learner(school_db, tmp_path, name, i)[1] for i, name in enumerate(["甲", "乙", "丙"], start=1)]
    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, date(2026, 5, 1), round_name="五月", actor="t")
    rows = [(n, "", course, 75, "2026-05-20") for n in numbers for course in SENIOR]
    rows[0] = (numbers[0], "", SENIOR[0], 59.5, "2026-05-20")  # the first learner fails one course
    report = import_results(school_db, results_file(tmp_path / "r.xlsx", rows))
    assert report.rejected == []
    assert status_of(school_db, numbers[0]) is EnrolmentStatus.ACTIVE  # free to retake
    assert status_of(school_db, numbers[1]) is EnrolmentStatus.PASSED
    with unit_of_work(school_db.engine) as session:  # the preview the window shows before it asks: writes nothing
        preview = graduation.graduate(session, date(2026, 6, 1), actor="t", dry_run=True)
    assert [(g[0], g[2]) for g in preview.graduated] == [
        (numbers[1], "330206-01-BY2026-0001"), (numbers[2], "330206-01-BY2026-0002")]
    assert status_of(school_db, numbers[1]) is EnrolmentStatus.PASSED
    with unit_of_work(school_db.engine) as session:  # `only`: exactly whom the preview showed
        first = graduation.graduate(session, date(2026, 6, 1), actor="t", only=[g[0] for g in preview.graduated])
    assert [(g[0], g[2]) for g in first.graduated] == [
        (numbers[1], "330206-01-BY2026-0001"), (numbers[2], "330206-01-BY2026-0002")]
    with unit_of_work(school_db.engine) as session:
        again = graduation.graduate(session, date(2026, 6, 2), actor="t")
    assert again.graduated == []

    # The retake: applies again for the failed course only, passes, and takes the next number.
    with unit_of_work(school_db.engine) as session:
        [retake] = exam_applications.apply_for_exam(session, date(2026, 7, 1), round_name="七月补考", actor="t")
    assert retake.courses == (SENIOR[0],)
    import_results(school_db, results_file(tmp_path / "r2.xlsx", [(numbers[0], "", SENIOR[0], 60, "2026-07-15")]))
    with unit_of_work(school_db.engine) as session:
        late = graduation.graduate(session, date(2026, 8, 1), actor="t")
    assert [g[2] for g in late.graduated] == ["330206-01-BY2026-0003"]


def test_absent_and_cheating_are_kept_as_such_and_bad_rows_reported(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "吴垚", 1, applied=True)
    report = import_results(school_db, results_file(tmp_path / "r.xlsx", [
        (number, "吴垚", SENIOR[0], "缺考", "2026-05-20"),
        (number, "吴垚", SENIOR[1], "作弊", "2026-05-20"),
        (number, "吴垚", SENIOR[2], 101, "2026-05-20"),            # row 4: out of range
        (number, "张三", SENIOR[3], 80, "2026-05-20"),             # row 5: wrong name
        ("330206-01-2026-99999", "", SENIOR[3], 80, "2026-05-20"),  # row 6: unknown number
        (number, "吴垚", "成人初中文化学习辅导", 80, "2026-05-20"),   # row 7: other level's course
    ]))
    assert [(p.row, p.column) for p in report.rejected] == [(4, "成绩"), (5, "姓名"), (6, "学籍号"), (7, "课程")]
    with read_session(school_db.engine) as session:
        rows = exam_reports.credit_bank_rows(session)
    assert sorted((r[1], r[2], r[3], r[4]) for r in rows) == sorted([
        ("吴垚", SENIOR[0], "缺考", "2026-05-20"), ("吴垚", SENIOR[1], "作弊", "2026-05-20")])
    assert status_of(school_db, number) is EnrolmentStatus.ACTIVE


def test_reimporting_the_same_results_changes_nothing(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "吴垚", 1, applied=True)
    path = results_file(tmp_path / "r.xlsx", [(number, "", course, 80, "2026-05-20") for course in SENIOR])
    assert import_results(school_db, path).updated == 5
    assert import_results(school_db, path).updated == 0


def test_skill_certificate_is_needed_only_when_the_district_says_so(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "郑鑫", 1, applied=True)
    import_results(school_db, results_file(tmp_path / "r.xlsx", [(number, "", c, 90, "2026-05-20") for c in SENIOR]))
    with unit_of_work(school_db.engine) as session:
        rules.set_rule(session, "graduation_requires_skill", True, actor="admin")
        held = graduation.graduate(session, date(2026, 6, 1), actor="t")
    assert held.graduated == [] and "职业技能证书" in held.held_back[0][2]
    with unit_of_work(school_db.engine) as session:
        graduation.record_skill_certificate(session, student_number=number, name="叉车司机（五级）", number="S-2026-001",
                                            issued_on=date(2026, 5, 1), actor="t")
        done = graduation.graduate(session, date(2026, 6, 1), actor="t")
        [cert] = certificates.certificates_to_print(session, actor="t")
    assert len(done.graduated) == 1
    assert cert.skill_certificate.startswith("叉车司机（五级）（编号 S-2026-001")


def test_second_printing_is_a_recorded_reprint_with_reason_and_the_same_number(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "钱赟", 1, applied=True)
    import_results(school_db, results_file(tmp_path / "r.xlsx", [(number, "", c, 90, "2026-05-20") for c in SENIOR]))
    with unit_of_work(school_db.engine) as session:
        graduation.graduate(session, date(2026, 6, 1), actor="t")
        [first] = certificates.certificates_to_print(session, actor="clerk")
    with unit_of_work(school_db.engine) as session:
        assert certificates.certificates_to_print(session, actor="clerk") == []  # nothing new to print
        with pytest.raises(AdultSchoolError, match="补发"):
            certificates.certificates_to_print(session, actor="clerk", student_numbers=[number])
        with pytest.raises(AdultSchoolError, match="原因"):
            certificates.certificates_to_print(session, actor="clerk", student_numbers=[number], reprint=True)
        [again] = certificates.certificates_to_print(session, actor="clerk", student_numbers=[number], reprint=True, reason="原证书遗失")
    assert again.reprint and again.certificate_number == first.certificate_number
    assert again.check_code == first.check_code and len(first.check_code) == 8


def test_household_list_has_graduates_with_new_education_level(school_db, tmp_path):
    id_number, number = ready_learner(school_db, tmp_path, "孙犇", 1, applied=True)
    import_results(school_db, results_file(tmp_path / "r.xlsx", [(number, "", c, 90, "2026-05-20") for c in SENIOR]))
    with unit_of_work(school_db.engine) as session:
        graduation.graduate(session, date(2026, 6, 1), actor="t")
    with unit_of_work(school_db.engine) as session:
        count = exam_reports.write_household(session, tmp_path / "h.xlsx", protection=Protection.PLAIN).count
    ws = openpyxl.load_workbook(tmp_path / "h.xlsx").active
    assert count == 1
    assert [c.value for c in ws[3]] == ["孙犇", id_number, "高中", "330206-01-BY2026-0001", "2026-06-01", "大碶街道成人文化技术学校"]
    assert ws["B3"].number_format == "@"


def test_certificate_list_counts_printings(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "钱赟", 1, applied=True)
    import_results(school_db, results_file(tmp_path / "r.xlsx", [(number, "", c, 90, "2026-05-20") for c in SENIOR]))
    with unit_of_work(school_db.engine) as session:
        graduation.graduate(session, date(2026, 6, 1), actor="t")
        assert [(c.number, c.prints) for c in certificates.list_certificates(session)] == [("330206-01-BY2026-0001", 0)]
        certificates.certificates_to_print(session, actor="t")
        certificates.certificates_to_print(session, actor="t", student_numbers=[number], reprint=True, reason="遗失")
        assert certificates.list_certificates(session)[0].prints == 2


def test_a_certificate_never_printed_cannot_be_reprinted(school_db, tmp_path):
    _, number = ready_learner(school_db, tmp_path, "钱赟", 1, applied=True)
    import_results(school_db, results_file(tmp_path / "r.xlsx", [(number, "", c, 90, "2026-05-20") for c in SENIOR]))
    with unit_of_work(school_db.engine) as session:
        graduation.graduate(session, date(2026, 6, 1), actor="t")
        with pytest.raises(AdultSchoolError, match="还没有打印过"):
            certificates.certificates_to_print(session, actor="t", student_numbers=[number], reprint=True, reason="遗失")
