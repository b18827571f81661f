"""Every registration has a way back: withdraw (退学, 转学), void (作废), reinstate, and an audited correction of its
facts — refused, naming why, once exams or graduation rest on the fact. Readiness and quotas follow at once."""
from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AuditEntry, ClassType, Enrolment, EnrolmentStatus, Gender, Learner, Level
from adultschool.services import (
    classes,
    enrolments,
    exam_applications,
    exam_results,
    graduation,
    learners,
    quotas,
    readiness,
    registration,
    rules,
    study,
)
from adultschool.services.enrolments import Correction
from adultschool.services.registration import RegistrationInput
from factories import make_id

pytestmark = pytest.mark.server_db

SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]
TODAY = date(2026, 12, 2)


def enrol(db, name="陈堃", *, serial=1, level="高中", registered_on=date(2026, 1, 31), township="大碶街道", born=date(1988, 6, 1)):
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name=name, id_number=make_id(born, serial=serial), level=level, registered_on=registered_on,
            township=township), rules.load_rules(session), actor="clerk", today=TODAY)
    return registered.student_number


def enrolment(db, number) -> Enrolment:
    with read_session(db.engine) as session:
        found = session.execute(select(Enrolment).where(Enrolment.student_number == number)).scalar_one()
        session.expunge(found)
        return found


def last_audit(db, action):
    with read_session(db.engine) as session:
        return session.execute(select(AuditEntry.summary, AuditEntry.before, AuditEntry.after)
                               .where(AuditEntry.action == action).order_by(AuditEntry.id.desc())).first()


def graduated(db, tmp_path, number) -> None:
    """Twenty video hours, an application, five passing results and graduation, all before TODAY."""
    with read_session(db.engine) as session:
        id_number = session.execute(select(Learner.id_number).join(Enrolment).where(
            Enrolment.student_number == number)).scalar_one()
    book = openpyxl.Workbook()
    book.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for i in range(20):
        book.active.append([id_number, "成人高中数学", f"第{i}讲", 60])
    book.save(tmp_path / "study.xlsx")
    results = openpyxl.Workbook()
    results.active.append(["学籍号", "课程", "成绩", "考试日期"])
    for course in SENIOR:
        results.active.append([number, course, 80, "2026-06-20"])
    results.save(tmp_path / "results.xlsx")
    with unit_of_work(db.engine) as session:
        study.import_study(session, tmp_path / "study.xlsx", actor="clerk")
        exam_applications.apply_for_exam(session, date(2026, 5, 10), round_name="2026年6月", actor="clerk", student_numbers=[number])
        exam_results.import_results(session, tmp_path / "results.xlsx", actor="clerk", today=TODAY)
        graduation.graduate(session, date(2026, 7, 1), actor="clerk")


def test_withdrawal_closes_the_enrolment_and_is_audited(school_db):
    number = enrol(school_db)
    with unit_of_work(school_db.engine) as session:
        result = enrolments.withdraw(session, number, reason="外出务工，无法继续学习", on=date(2026, 11, 30),
                                     actor="clerk", today=TODAY)
    assert result.status is EnrolmentStatus.WITHDRAWN and "办理退学" in result.message
    row = enrolment(school_db, number)
    assert (row.status, row.status_changed_on, row.status_reason, row.version) == (
        EnrolmentStatus.WITHDRAWN, date(2026, 11, 30), "外出务工，无法继续学习", 2)
    summary, before, after = last_audit(school_db, "enrolment.withdraw")
    assert "外出务工" in summary and "在读" in before and "已退学" in after
    with read_session(school_db.engine) as session:
        assert number not in {r.student_number for r in readiness.readiness(session, TODAY)}
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已退学.*先恢复学籍"):
        enrolments.withdraw(session, number, reason="再退一次", actor="clerk", today=TODAY)


def test_a_transfer_names_the_receiving_school_and_needs_it(school_db):
    number = enrol(school_db)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="转入的学校"):
        enrolments.withdraw(session, number, reason="转学", actor="clerk", today=TODAY)
    with unit_of_work(school_db.engine) as session:
        result = enrolments.withdraw(session, number, reason="随家人迁居", transfer_to="330205-01 庄桥街道成人文化技术学校",
                                     actor="clerk", today=TODAY)
    assert "转学" in result.message
    row = enrolment(school_db, number)
    assert row.status_reason == "转学：随家人迁居" and row.transfer_to == "330205-01 庄桥街道成人文化技术学校"


def test_a_withdrawal_cannot_be_dated_in_the_future_or_before_registration(school_db):
    number = enrol(school_db)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="晚于今天"):
        enrolments.withdraw(session, number, reason="x", on=date(2026, 12, 3), actor="clerk", today=TODAY)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="早于报名日期"):
        enrolments.withdraw(session, number, reason="x", on=date(2026, 1, 1), actor="clerk", today=TODAY)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="请写明原因"):
        enrolments.withdraw(session, number, reason="  ", actor="clerk", today=TODAY)


def test_a_voided_registration_leaves_lists_quotas_and_readiness_and_its_number_is_not_reused(school_db):
    mistaken = enrol(school_db, "陈堃", serial=1)
    kept = enrol(school_db, "林喆", serial=2)
    with unit_of_work(school_db.engine) as session:
        enrolments.void(session, mistaken, reason="重复登记", actor="clerk", today=TODAY)
    with read_session(school_db.engine) as session:
        assert [r.student_number for r in learners.list_learners(session)] == [kept]
        voided = learners.list_learners(session, learners.LearnerFilter(status=EnrolmentStatus.VOIDED))
        assert [r.student_number for r in voided] == [mistaken]
        report = quotas.quota_progress(session, year=2026, month=12, today=TODAY)
        assert next(t for t in report.townships if t.township == "大碶街道").registered == 1
        assert [r.student_number for r in readiness.readiness(session, TODAY)] == [kept]
    again = enrol(school_db, "陈堃", serial=1)  # the person can be registered again, under a new number
    assert again not in (mistaken, kept) and again.endswith("00003")


def test_void_is_refused_once_the_learner_applied_for_the_exam(school_db, tmp_path):
    number = enrol(school_db)
    graduated(school_db, tmp_path, number)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已毕业.*不能作废"):
        enrolments.void(session, number, reason="误登记", actor="clerk", today=TODAY)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已毕业，不能退学"):
        enrolments.withdraw(session, number, reason="x", actor="clerk", today=TODAY)


def test_a_mistaken_withdrawal_is_reinstated_unless_the_person_enrolled_again(school_db):
    number = enrol(school_db)
    with unit_of_work(school_db.engine) as session:
        enrolments.withdraw(session, number, reason="误操作", actor="clerk", today=TODAY)
    with unit_of_work(school_db.engine) as session:
        result = enrolments.reinstate(session, number, reason="点错了学员", actor="clerk")
    assert result.status is EnrolmentStatus.ACTIVE
    row = enrolment(school_db, number)
    assert (row.status_reason, row.status_changed_on) == (None, None)
    with unit_of_work(school_db.engine) as session:
        enrolments.void(session, number, reason="重复", actor="clerk", today=TODAY)
    newer = enrol(school_db)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match=f"另一个在读的高中学籍（{newer}）"):
        enrolments.reinstate(session, number, reason="x", actor="clerk")


def test_the_registration_date_is_corrected_and_readiness_and_quota_year_follow(school_db):
    with unit_of_work(school_db.engine) as session:
        rules.set_rule(session, "late_registrations_count_next_year", True, actor="admin")
    number = enrol(school_db, registered_on=date(2026, 11, 1))  # should have been 31 January
    assert enrolment(school_db, number).quota_year == 2027
    with unit_of_work(school_db.engine) as session:
        result = enrolments.correct(session, number, Correction(registered_on=date(2026, 1, 31)),
                                    reason="按报名表更正日期", actor="clerk", today=TODAY)
    assert result.changed["报名日期"] == ("2026-11-01", "2026-01-31") and result.changed["计入任务年份"] == (2027, 2026)
    with read_session(school_db.engine) as session:
        row = next(r for r in readiness.readiness(session, TODAY) if r.student_number == number)
    assert row.months_done == 10
    summary, before, after = last_audit(school_db, "enrolment.correct")
    assert "报名日期" in summary and "2026-11-01" in before and "按报名表更正日期" in after


def test_level_gender_township_and_id_number_are_corrected(school_db):
    number = enrol(school_db, level="初中", township="大碶街道")
    right_id = make_id(date(1990, 3, 4), serial=7, male=False)
    with unit_of_work(school_db.engine) as session:
        result = enrolments.correct(session, number, Correction(level=Level.SENIOR, township="新碶街道", id_number=right_id),
                                    reason="报名表抄错", actor="clerk", today=TODAY)
    assert set(result.changed) == {"学历提升层次", "街道/镇", "身份证号码", "出生日期", "性别"}
    assert right_id not in json.dumps(result.changed, ensure_ascii=False)  # masked in what is shown and audited
    with read_session(school_db.engine) as session:
        row = session.execute(select(Enrolment.level, Learner.id_number, Learner.birth_date, Learner.gender)
                              .join(Learner).where(Enrolment.student_number == number)).one()
    assert tuple(row) == (Level.SENIOR, right_id, date(1990, 3, 4), Gender.FEMALE)
    with unit_of_work(school_db.engine) as session:
        result = enrolments.correct(session, number, Correction(gender=Gender.MALE), reason="本人说明", actor="clerk",
                                    today=TODAY)
    assert result.warnings == ("身份证号码显示为女，已按您的更正登记为男。",)


def test_corrections_that_exams_rest_on_are_refused_with_the_reason(school_db, tmp_path):
    number = enrol(school_db)
    other = enrol(school_db, "林喆", serial=2)
    graduated(school_db, tmp_path, number)
    for correction, expected in [
        (Correction(level=Level.JUNIOR), "已毕业.*层次不能再更正"),
        (Correction(registered_on=date(2026, 2, 1)), "已毕业.*报名日期不能再更正"),
        (Correction(gender=Gender.FEMALE), "证书上印有性别"),
        (Correction(id_number=make_id(date(1988, 6, 1), serial=9)), "证书查验码"),
    ]:
        with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match=expected):
            enrolments.correct(session, number, correction, reason="x", actor="clerk", today=TODAY)
    with unit_of_work(school_db.engine) as session:  # the township of the quota can always be mended
        assert enrolments.correct(session, number, Correction(township="新碶街道"), reason="x", actor="clerk",
                                  today=TODAY).changed
    taken = make_id(date(1988, 6, 1), serial=2)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已登记在另一位学员名下"):
        enrolments.correct(session, other, Correction(id_number=make_id(date(1988, 6, 1), serial=1)), reason="x",
                           actor="clerk", today=TODAY)
    assert taken  # the other learner's own number stays theirs


def test_a_level_correction_waits_until_the_learner_left_the_class_of_that_level(school_db):
    number = enrol(school_db)
    with unit_of_work(school_db.engine) as session:
        info = classes.create_class(session, name="高中夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 2, 1), actor="clerk")
        classes.add_members(session, info.id, [number], joined_on=date(2026, 2, 1), actor="clerk")
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="请先移出班级"):
        enrolments.correct(session, number, Correction(level=Level.JUNIOR), reason="x", actor="clerk", today=TODAY)


def test_registration_age_is_checked_again_at_the_corrected_date(school_db):
    number = enrol(school_db, born=date(2007, 12, 1), registered_on=date(2026, 1, 31))  # 18 since 1 December 2025
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="年龄 17 周岁"):
        enrolments.correct(session, number, Correction(registered_on=date(2025, 11, 1)), reason="x", actor="clerk",
                           today=TODAY)


def test_command_line_ways_back(school_db, capsys):
    number = enrol(school_db)
    db = school_db.url
    assert cli_main(["learners", "correct", number, "--township", "新碶街道", "--reason", "更正", "--db", db]) == 0
    assert cli_main(["learners", "withdraw", number, "--reason", "外出务工", "--db", db]) == 0
    assert cli_main(["learners", "reinstate", number, "--reason", "误操作", "--db", db]) == 0
    assert cli_main(["learners", "void", number, "--reason", "重复登记", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "街道/镇：大碶街道 → 新碶街道" in out
    assert f"withdrawn {number}: withdrawn" in out and f"reinstated {number}: active" in out
    assert f"voided {number}: voided" in out
    assert cli_main(["learners", "correct", number, "--reason", "x", "--db", db]) == 2
    assert "没有要更正的内容" in capsys.readouterr().err


def test_registrations_without_a_township_show_on_their_own_line_until_corrected(school_db):
    number = enrol(school_db)
    with unit_of_work(school_db.engine) as session:  # as an older version left them: no township at all
        session.execute(select(Enrolment).where(Enrolment.student_number == number)).scalar_one().township_id = None
    with read_session(school_db.engine) as session:
        report = quotas.quota_progress(session, year=2026, month=12, today=TODAY)
    assert {t.township: t.registered for t in report.townships}["（未填街道/镇）"] == 1
    assert report.totals().registered == 1
    with unit_of_work(school_db.engine) as session:
        enrolments.correct(session, number, Correction(township="大碶街道"), reason="补填街道", actor="clerk", today=TODAY)
    with read_session(school_db.engine) as session:
        report = quotas.quota_progress(session, year=2026, month=12, today=TODAY)
    assert "（未填街道/镇）" not in {t.township for t in report.townships}
    assert {t.township: t.registered for t in report.townships}["大碶街道"] == 1


def test_the_facts_a_way_back_shows_first_mask_the_id_number_and_name_the_townships(school_db):
    number = enrol(school_db, born=date(1990, 3, 4), serial=7)
    with read_session(school_db.engine) as session:
        facts = enrolments.enrolment_facts(session, number)
        with pytest.raises(AdultSchoolError, match="找不到学籍号为“X999”的学籍"):
            enrolments.enrolment_facts(session, "X999")
    full = make_id(date(1990, 3, 4), serial=7)
    assert (facts.name, facts.student_number, facts.status, facts.level) == ("陈堃", number, EnrolmentStatus.ACTIVE,
                                                                             Level.SENIOR)
    assert facts.registered_on == date(2026, 1, 31) and facts.township == "大碶街道" and "大碶街道" in facts.townships
    assert facts.masked_id == full[:6] + "********" + full[-4:]
