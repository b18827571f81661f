"""Exam readiness (R3) from classes, attendance and online study records, with kept totals that match the raw rows."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AttendanceStatus, ClassType, Enrolment, EnrolmentStatus, Level
from adultschool.services import classes, readiness, registration, rules, study
from adultschool.services.registration import RegistrationInput
from factories import make_id

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)

SENIOR_COURSE = "成人高中语文"


def enrol(db, name, *, level="高中", registered_on=date(2026, 1, 31), serial=1):
    id_number = make_id(date(1988, 6, 1), serial=serial)
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(township="大碶街道",
            name=name, id_number=id_number, level=level, registered_on=registered_on), rules.load_rules(session), actor="t")
    return id_number, registered.student_number


def study_file(path, rows, headers=("身份证号码", "姓名", "课程", "视频", "已学时长(分钟)")):
    wb = openpyxl.Workbook()
    wb.active.append(list(headers))
    for row in rows:
        wb.active.append(list(row))
    wb.save(path)
    return path


def import_study(db, path):
    with unit_of_work(db.engine) as session:
        return study.import_study(session, path, actor="t", today=date(2026, 11, 23))


def row_of(db, as_of, student_number):
    with read_session(db.engine) as session:
        return next(r for r in readiness.readiness(session, as_of) if r.student_number == student_number)


def totals_match(db) -> bool:
    with read_session(db.engine) as session:
        return study.kept_totals(session) == study.computed_totals(session)


def test_exactly_20_video_hours_and_three_months_on_30_april_is_ready(school_db, tmp_path):
    id_number, number = enrol(school_db, "陈堃")
    import_study(school_db, study_file(tmp_path / "s.xlsx", [(id_number, "陈堃", SENIOR_COURSE, f"第{i}讲", 60) for i in range(20)]))
    assert not row_of(school_db, date(2026, 4, 29), number).ready
    row = row_of(school_db, date(2026, 4, 30), number)
    assert (row.ready, row.video_hours, row.months_done, row.ready_on, row.missing) == (True, 20.0, 3, date(2026, 4, 30), ())


def test_missing_time_and_hours_are_said_in_days_and_hours(school_db, tmp_path):
    id_number, number = enrol(school_db, "林喆")
    import_study(school_db, study_file(tmp_path / "s.xlsx", [(id_number, "林喆", SENIOR_COURSE, "第1讲", 990)]))
    row = row_of(school_db, date(2026, 4, 18), number)
    assert not row.ready and row.ready_on is None
    assert row.missing[0].startswith("学习时限不足：还差 12 天")
    assert row.missing[1].startswith("课程视频不足：还差 3.5 学时")


def test_ready_on_is_the_time_alone_date_when_hours_already_suffice(school_db, tmp_path):
    id_number, number = enrol(school_db, "周淼", level="初中", registered_on=date(2025, 12, 31))
    import_study(school_db, study_file(tmp_path / "s.xlsx", [(id_number, "", "成人初中文化学习辅导", f"v{i}", 120) for i in range(10)]))
    row = row_of(school_db, date(2026, 1, 15), number)
    assert not row.ready and row.ready_on == date(2026, 2, 28)  # junior: 2 months; 31 Dec + 2 months


def test_rewatched_video_counts_once_at_its_largest_value_and_reimport_changes_nothing(school_db, tmp_path):
    id_number, number = enrol(school_db, "吴垚")
    path = study_file(tmp_path / "s.xlsx", [
        (id_number, "吴垚", SENIOR_COURSE, "第1讲", 30), (id_number, "吴垚", SENIOR_COURSE, "第1讲", 50),
        (id_number, "吴垚", "语文", "第1讲", 40),  # a short course name matching one course only
    ])
    import_study(school_db, path)
    assert row_of(school_db, date(2026, 11, 23), number).video_hours == round(50 / 60, 2)
    again = import_study(school_db, path)
    assert again.updated == 0
    assert row_of(school_db, date(2026, 11, 23), number).video_hours == round(50 / 60, 2)
    assert totals_match(school_db)


def test_minutes_beyond_a_known_video_length_are_capped(school_db, tmp_path):
    id_number, number = enrol(school_db, "郑鑫")
    study_file(tmp_path / "s.xlsx", [(id_number, "郑鑫", SENIOR_COURSE, "第1讲", 90, 45)],
               headers=("身份证号码", "姓名", "课程", "视频", "已学时长(分钟)", "视频时长(分钟)"))
    import_study(school_db, tmp_path / "s.xlsx")
    assert row_of(school_db, date(2026, 11, 23), number).video_hours == 0.75
    with read_session(school_db.engine) as session:
        enrolment_id = session.execute(select(Enrolment.id)).scalar_one()
        [video] = readiness.study_detail(session, enrolment_id).videos
    assert (video.minutes, video.counted_minutes) == (90, 45)


def test_unknown_ids_wrong_names_and_bad_minutes_are_reported_row_by_row(school_db, tmp_path):
    id_number, _ = enrol(school_db, "孙犇")
    report = import_study(school_db, study_file(tmp_path / "s.xlsx", [
        (make_id(date(1990, 1, 1), serial=9), "", SENIOR_COURSE, "第1讲", 30),  # row 2: not registered
        (id_number, "张三", SENIOR_COURSE, "第1讲", 30),                        # row 3: wrong name
        (id_number, "孙犇", SENIOR_COURSE, "第1讲", "半小时"),                   # row 4: minutes
        (id_number, "孙犇", "成人初中文化学习辅导", "第1讲", 30),               # row 5: no junior enrolment
        (id_number, "孙犇", "烹饪", "第1讲", 30),                               # row 6: unknown course
        (id_number, "孙犇", SENIOR_COURSE, "第2讲", "0:45:00"),                # row 7: fine
    ]))
    assert [(p.row, p.column) for p in report.rejected] == [
        (2, "身份证号码"), (3, "姓名"), (4, "已学时长(分钟)"), (5, "课程"), (6, "课程")]
    assert "请先登记报名" in report.rejected[0].reason and report.imported == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding_windows_writes_is_read_right(school_db, tmp_path, encoding):
    id_number, number = enrol(school_db, "钱赟")
    path = tmp_path / "s.csv"
    path.write_bytes(("身份证号码,姓名,课程,视频,已学时长(分钟)\n"
                      f"{id_number},钱赟,{SENIOR_COURSE},第一讲 导论,60\n").encode(encoding))
    report = import_study(school_db, path)
    assert (report.imported, report.rejected) == (1, [])
    assert row_of(school_db, date(2026, 11, 23), number).video_hours == 1.0


def test_withdrawn_enrolments_are_left_out_and_two_levels_are_two_rows(school_db, tmp_path):
    id_number, senior = enrol(school_db, "赵六")
    _, junior = enrol(school_db, "赵六", level="初中")
    with read_session(school_db.engine) as session:
        numbers = {r.student_number for r in readiness.readiness(session, date(2026, 11, 23))}
    assert numbers == {senior, junior}
    with unit_of_work(school_db.engine) as session:
        session.execute(select(Enrolment).where(Enrolment.student_number == junior)).scalar_one().status = EnrolmentStatus.WITHDRAWN
    with read_session(school_db.engine) as session:
        assert [r.student_number for r in readiness.readiness(session, date(2026, 11, 23))] == [senior]


def make_class_with_session(db, student_numbers, *, hours=2.0):
    with unit_of_work(db.engine) as session:
        info = classes.create_class(session, name="大碶夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 2, 1), actor="t")
        classes.add_members(session, info.id, student_numbers, joined_on=date(2026, 2, 1), actor="t")
        lesson = classes.create_session(session, info.id, held_on=date(2026, 2, 3), hours=hours, course="数学", actor="t")
    return info, lesson


def test_class_hours_count_toward_the_minimum_only_when_the_setting_says_so(school_db, tmp_path):
    id_number, number = enrol(school_db, "王五")
    import_study(school_db, study_file(tmp_path / "s.xlsx", [(id_number, "王五", SENIOR_COURSE, f"v{i}", 60) for i in range(19)]))
    _, lesson = make_class_with_session(school_db, [number], hours=2.0)
    with unit_of_work(school_db.engine) as session:
        enrolment_id = session.execute(select(Enrolment.id)).scalar_one()
        classes.save_roll_call(session, lesson.id, [classes.Mark(enrolment_id, AttendanceStatus.PRESENT)], actor="t")
    row = row_of(school_db, date(2026, 6, 1), number)
    assert (row.ready, row.class_hours) == (False, 2.0)
    with unit_of_work(school_db.engine) as session:
        rules.set_rule(session, "class_hours_count", True, actor="admin")
    assert row_of(school_db, date(2026, 6, 1), number).ready


def test_roll_call_credits_hours_by_status_and_an_edit_is_audited(school_db):
    numbers = [enrol(school_db, name, serial=i)[1] for i, name in enumerate(["甲", "乙", "丙", "丁"], start=1)]
    _, lesson = make_class_with_session(school_db, numbers, hours=2.0)
    with unit_of_work(school_db.engine) as session:
        lines = classes.roll_call(session, lesson.id).lines
        ids = [line.enrolment_id for line in lines]
        classes.save_roll_call(session, lesson.id, [
            classes.Mark(ids[0], AttendanceStatus.PRESENT), classes.Mark(ids[1], AttendanceStatus.LATE, 1.5),
            classes.Mark(ids[2], AttendanceStatus.LEFT_EARLY), classes.Mark(ids[3], AttendanceStatus.EXCUSED),
        ], actor="teacher")
    with read_session(school_db.engine) as session:
        assert [(mark.status, mark.hours) for mark in classes.roll_call(session, lesson.id).lines] == [
            ("present", 2.0), ("late", 1.5), ("left_early", 1.0), ("excused", 0.0)]
    with unit_of_work(school_db.engine) as session:
        changed = classes.save_roll_call(session, lesson.id, [classes.Mark(ids[3], AttendanceStatus.PRESENT)], actor="teacher")
    assert changed == 1 and totals_match(school_db)
    from adultschool.models import AuditEntry

    with read_session(school_db.engine) as session:
        summary, before, after = session.execute(
            select(AuditEntry.summary, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.action == "attendance.save").order_by(AuditEntry.id.desc())).first()
    assert "修改 1 人" in summary and "excused" in before and "present" in after


def test_late_hours_beyond_the_session_are_refused(school_db):
    _, number = enrol(school_db, "甲")
    _, lesson = make_class_with_session(school_db, [number], hours=2.0)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="实到课时"):
        enrolment_id = session.execute(select(Enrolment.id)).scalar_one()
        classes.save_roll_call(session, lesson.id, [classes.Mark(enrolment_id, AttendanceStatus.LATE, 3.0)], actor="t")


def test_attendance_sheet_import_creates_the_session_and_reports_bad_rows(school_db, tmp_path):
    id_number, number = enrol(school_db, "甲", serial=1)
    _, outsider = enrol(school_db, "乙", serial=2)
    with unit_of_work(school_db.engine) as session:
        info = classes.create_class(session, name="新碶厂班", class_type=ClassType.FACTORY, level=Level.SENIOR,
                                    starts_on=date(2026, 2, 1), actor="t")
        classes.add_members(session, info.id, [number], joined_on=date(2026, 2, 1), actor="t")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["班级", "日期", "课时", "身份证号码", "学籍号", "考勤", "实到课时"])
    ws.append(["新碶厂班", "2026-03-05", 2, id_number, None, "迟到", 1.5])
    ws.append(["新碶厂班", "2026-03-05", 2, None, outsider, "出勤", None])
    ws.append(["新碶厂班", "2026-03-05", 2, None, number, "睡觉", None])
    ws.append(["不存在班", "2026-03-05", 2, None, number, "出勤", None])
    wb.save(tmp_path / "考勤.xlsx")
    with unit_of_work(school_db.engine) as session:
        report = classes.import_attendance(session, tmp_path / "考勤.xlsx", actor="teacher")
    assert report.imported == 1
    assert [(p.row, p.column) for p in report.rejected] == [(3, "学籍号"), (4, "考勤"), (5, "班级")]
    assert row_of(school_db, date(2026, 6, 1), number).class_hours == 1.5


def test_rebuilt_totals_equal_kept_totals_on_a_demo_school(tmp_path):
    from adultschool.db import open_database
    from adultschool.services import demo

    db = open_database(tmp_path / "demo.sqlite3", create=True)
    with unit_of_work(db.engine) as session:
        summary = demo.fill_demo(session, learners=150, actor="t", today=date(2026, 11, 23))
    assert summary.attendance > 0 and summary.study_records > 0
    with read_session(db.engine) as session:
        before = study.kept_totals(session)
    with unit_of_work(db.engine) as session:
        study.rebuild_totals(session)
        assert study.kept_totals(session) == before == study.computed_totals(session)
    db.close()
