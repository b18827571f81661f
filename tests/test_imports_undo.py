"""Every import is a batch: listed, and undone exactly — what it added goes, what it changed comes back — unless later
work depends on it, which the refusal names. What the district already has is undone there by the next package."""
from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Attendance,
    AuditEntry,
    ClassSession,
    ClassType,
    DeletedRow,
    Enrolment,
    EnrolmentStatus,
    ExamResult,
    Learner,
    Level,
    StudyRecord,
)
from adultschool.services import classes, exam_applications, exam_results, graduation, imports, roster, study, survey
from adultschool.services.sync import _mark_sent
from factories import make_id, r13_row, write_roster

pytestmark = pytest.mark.server_db

TODAY = date(2026, 12, 2)
SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]
IDS = [make_id(date(1980 + i, 3, 4), serial=i) for i in range(1, 4)]


def count(db, model) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def import_roster(db, tmp_path, ids=IDS, name="名单.xlsx", registered_on=date(2026, 1, 31)):
    path = write_roster(tmp_path / name, [r13_row(i, f"学员{i}", n) for i, n in enumerate(ids, start=1)])
    with unit_of_work(db.engine) as session:
        return roster.import_roster(session, path, registered_on=registered_on, township="大碶街道", actor="clerk",
                                    today=TODAY)


def undo(db, batch_id, reason="导错了文件"):
    with unit_of_work(db.engine) as session:
        return imports.undo(session, batch_id, reason=reason, actor="clerk", today=TODAY)


def study_sheet(path, rows):
    book = openpyxl.Workbook()
    book.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return path


def import_study(db, path):
    with unit_of_work(db.engine) as session:
        return study.import_study(session, path, actor="clerk", today=TODAY)


def test_imports_are_listed_with_their_numbers(school_db, tmp_path):
    report = import_roster(school_db, tmp_path)
    assert report.batch_id is not None
    with read_session(school_db.engine) as session:
        [batch] = imports.list_batches(session, actor="clerk")
    assert (batch.id, batch.kind, batch.file, batch.rows) == (report.batch_id, "roster", "名单.xlsx", 6)
    assert set(batch.as_json()) >= {"id", "kind", "file", "rows", "at"}


def test_a_roster_import_never_sent_is_undone_completely(school_db, tmp_path):
    report = import_roster(school_db, tmp_path)
    result = undo(school_db, report.batch_id)
    assert (count(school_db, Enrolment), count(school_db, Learner)) == (0, 0)
    assert result.removed["删除学籍"] == 3 and result.removed["删除学员"] == 3
    assert "已撤销第 1 次导入" in result.lines()[0]
    with read_session(school_db.engine) as session:
        before, after = session.execute(select(AuditEntry.before, AuditEntry.after)
                                        .where(AuditEntry.action == "import.undo")).one()
    assert "名单.xlsx" in before and "导错了文件" in after
    with pytest.raises(AdultSchoolError, match="已于 .* 撤销过了"):
        undo(school_db, report.batch_id)
    # The file can be imported again, under new numbers (numbers are never reused).
    again = import_roster(school_db, tmp_path)
    assert [r.student_number[-5:] for r in again.registered] == ["00004", "00005", "00006"]


def test_a_roster_import_the_district_has_is_undone_as_voids_that_travel(school_db, tmp_path):
    report = import_roster(school_db, tmp_path)
    with unit_of_work(school_db.engine) as session:
        _mark_sent(session)
    undo(school_db, report.batch_id)
    with read_session(school_db.engine) as session:
        rows = session.execute(select(Enrolment.status, Enrolment.status_reason, Enrolment.version)).all()
    assert len(rows) == 3 and all(status is EnrolmentStatus.VOIDED and version == 2 for status, _, version in rows)
    assert "撤销第 1 次导入（名单.xlsx）：导错了文件" == rows[0][1]
    assert count(school_db, Learner) == 3  # the people the district knows stay as records


def test_a_roster_undo_is_refused_once_study_records_hang_on_it_and_removes_class_memberships(school_db, tmp_path):
    report = import_roster(school_db, tmp_path)
    numbers = [r.student_number for r in report.registered]
    with unit_of_work(school_db.engine) as session:
        info = classes.create_class(session, name="夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 2, 1), actor="clerk")
        classes.add_members(session, info.id, numbers, joined_on=date(2026, 2, 1), actor="clerk")
    studied = import_study(school_db, study_sheet(tmp_path / "s.xlsx", [(IDS[0], "成人高中数学", "第1讲", 40)]))
    with pytest.raises(AdultSchoolError, match=f"{numbers[0]} 已有线上学习记录"):
        undo(school_db, report.batch_id)
    undo(school_db, studied.batch_id, reason="学习记录导错")
    result = undo(school_db, report.batch_id)
    assert result.removed["移出班级"] == 3 and count(school_db, Enrolment) == 0


def test_a_later_import_of_the_same_rows_must_be_undone_first(school_db, tmp_path):
    import_roster(school_db, tmp_path)
    first = import_study(school_db, study_sheet(tmp_path / "s1.xlsx", [(IDS[0], "成人高中数学", "第1讲", 30)]))
    second = import_study(school_db, study_sheet(tmp_path / "s2.xlsx", [(IDS[0], "成人高中数学", "第1讲", 50)]))
    with pytest.raises(AdultSchoolError, match=f"第 {second.batch_id} 次导入改动过同样的记录"):
        undo(school_db, first.batch_id)
    result = undo(school_db, second.batch_id)
    assert result.restored == 1
    with read_session(school_db.engine) as session:
        assert session.execute(select(StudyRecord.minutes)).scalar_one() == 30
        assert study.kept_totals(session) == study.computed_totals(session)
    undo(school_db, first.batch_id)
    assert count(school_db, StudyRecord) == 0


def test_an_attendance_import_is_undone_with_the_sessions_it_made(school_db, tmp_path):
    report = import_roster(school_db, tmp_path)
    numbers = [r.student_number for r in report.registered]
    with unit_of_work(school_db.engine) as session:
        info = classes.create_class(session, name="夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 2, 1), actor="clerk")
        classes.add_members(session, info.id, numbers, joined_on=date(2026, 2, 1), actor="clerk")
    book = openpyxl.Workbook()
    book.active.append(["班级", "日期", "课时", "学籍号", "考勤"])
    for number in numbers:
        book.active.append(["夜校班", "2026-03-01", 2, number, "出勤"])
    book.save(tmp_path / "a.xlsx")
    with unit_of_work(school_db.engine) as session:
        marked = classes.import_attendance(session, tmp_path / "a.xlsx", actor="clerk")
    assert (count(school_db, ClassSession), count(school_db, Attendance)) == (1, 3)
    undo(school_db, marked.batch_id)
    assert (count(school_db, ClassSession), count(school_db, Attendance)) == (0, 0)
    with read_session(school_db.engine) as session:
        assert study.kept_totals(session) == study.computed_totals(session)


def test_a_survey_import_is_refused_once_a_prospect_registered_and_undone_otherwise(school_db, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["姓名", "身份证号码", "是否愿意提升学历", "街道/镇"])
    book.active.append(["学员1", IDS[0], "愿意", "大碶街道"])
    book.active.append(["学员2", IDS[1], "待定", "大碶街道"])
    book.save(tmp_path / "排摸.xlsx")
    with unit_of_work(school_db.engine) as session:
        surveyed = survey.import_survey(session, tmp_path / "排摸.xlsx", actor="clerk", surveyed_on=date(2026, 3, 1))
    registered = import_roster(school_db, tmp_path, ids=IDS[:1])
    with pytest.raises(AdultSchoolError, match="之后的第 2 次导入改动过同样的记录"):
        undo(school_db, surveyed.batch_id)
    undo(school_db, registered.batch_id)
    result = undo(school_db, surveyed.batch_id)
    assert result.removed["删除排摸对象"] == 2 and count(school_db, Learner) == 0


def test_a_results_import_is_undone_and_statuses_follow_unless_graduation_rests_on_it(school_db, tmp_path):
    report = import_roster(school_db, tmp_path, ids=IDS[:1])
    [number] = [r.student_number for r in report.registered]
    import_study(school_db, study_sheet(tmp_path / "s.xlsx", [(IDS[0], "成人高中数学", f"第{i}讲", 60) for i in range(20)]))
    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, date(2026, 5, 1), round_name="五月", actor="clerk", today=TODAY)
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "课程", "成绩", "考试日期"])
    for course in SENIOR:
        book.active.append([number, course, 80, "2026-05-20"])
    book.save(tmp_path / "r.xlsx")
    with unit_of_work(school_db.engine) as session:
        results = exam_results.import_results(session, tmp_path / "r.xlsx", actor="clerk", today=TODAY)
    undo(school_db, results.batch_id, reason="成绩表发错")
    with read_session(school_db.engine) as session:
        status = session.execute(select(Enrolment.status)).scalar_one()
    assert count(school_db, ExamResult) == 0 and status is EnrolmentStatus.ACTIVE
    with unit_of_work(school_db.engine) as session:
        results = exam_results.import_results(session, tmp_path / "r.xlsx", actor="clerk", today=TODAY)
        graduation.graduate(session, date(2026, 6, 1), actor="clerk", today=TODAY)
    with pytest.raises(AdultSchoolError, match="毕业或被撤销了证书"):
        undo(school_db, results.batch_id)


def test_a_sent_row_removed_by_an_undo_leaves_a_tombstone(school_db, tmp_path):
    import_roster(school_db, tmp_path, ids=IDS[:1])
    studied = import_study(school_db, study_sheet(tmp_path / "s.xlsx", [(IDS[0], "成人高中数学", "第1讲", 40)]))
    with unit_of_work(school_db.engine) as session:
        _mark_sent(session)
    undo(school_db, studied.batch_id)
    with read_session(school_db.engine) as session:
        tables = sorted(session.execute(select(DeletedRow.table_name)).scalars())
    assert tables == ["study_records", "videos"]


def test_command_line_list_and_undo(school_db, tmp_path, capsys):
    path = write_roster(tmp_path / "r.xlsx", [r13_row(1, "甲", IDS[0])])
    db = school_db.url
    assert cli_main(["roster", "import", str(path), "--township", "大碶街道", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "imports undo 1 --reason" in out
    assert cli_main(["imports", "list", "--format", "json", "--db", db]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["id"], listed["kind"], listed["file"], listed["rows"]) == (1, "roster", "r.xlsx", 2)
    assert cli_main(["imports", "undo", "1", "--reason", "导错", "--db", db]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "undone import 1: removed 2, restored 0, kept 0"
    assert cli_main(["imports", "undo", "1", "--reason", "再来", "--db", db]) == 2


def test_an_errors_file_that_cannot_be_written_imports_nothing(school_db, tmp_path, capsys):
    path = write_roster(tmp_path / "r.xlsx", [r13_row(1, "甲", IDS[0]), r13_row(2, "错号", "12")])
    code = cli_main(["roster", "import", str(path), "--township", "大碶街道", "--errors", str(tmp_path / "nodir" / "e.xlsx"),
                     "--db", school_db.url])
    assert code == 2 and "什么也没有导入" in capsys.readouterr().err
    assert count(school_db, Enrolment) == 0
