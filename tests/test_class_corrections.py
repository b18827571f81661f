"""Classes can be mended: members removed, a class or a session corrected or deleted — refused, with the reason, once
attendance depends on it; what the district already has is removed there too (tombstones)."""
from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AttendanceStatus, AuditEntry, ClassMember, ClassSession, ClassType, DeletedRow, Level, SchoolClass
from adultschool.services import classes, registration, rules
from adultschool.services.classes import ClassChanges, SessionChanges
from adultschool.services.registration import RegistrationInput
from adultschool.services.sync import _mark_sent
from factories import make_id

pytestmark = pytest.mark.server_db


def enrol(db, name, serial, level="高中"):
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name=name, id_number=make_id(date(1985, 3, 1), serial=serial), level=level, registered_on=date(2026, 9, 1),
            township="大碶街道"), rules.load_rules(session), actor="t")
    return registered.student_number


@pytest.fixture
def night_class(school_db):
    numbers = [enrol(school_db, n, i) for i, n in enumerate(["甲", "乙", "丙"], start=1)]
    with unit_of_work(school_db.engine) as session:
        info = classes.create_class(session, name="大碶夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 9, 1), actor="t")
        classes.add_members(session, info.id, numbers, joined_on=date(2026, 9, 1), actor="t")
        first = classes.create_session(session, info.id, held_on=date(2026, 9, 3), hours=2, actor="t")
        second = classes.create_session(session, info.id, held_on=date(2026, 9, 10), hours=2, actor="t")
    return {"class": info, "numbers": numbers, "first": first, "second": second}


def mark(db, session_id, student_number):
    with unit_of_work(db.engine) as session:
        line = next(mark for mark in classes.roll_call(session, session_id).lines
                    if mark.student_number == student_number)
        classes.save_roll_call(session, session_id, [classes.Mark(line.enrolment_id, AttendanceStatus.PRESENT)], actor="t")


def count(db, model) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_session_before_the_class_starts_is_refused(school_db, night_class):
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="早于.*开班日期 2026-09-01"):
        classes.create_session(session, night_class["class"].id, held_on=date(2026, 8, 31), hours=2, actor="t")


def test_a_member_without_attendance_is_removed_and_one_with_attendance_is_refused(school_db, night_class):
    first, second, _ = night_class["numbers"]
    mark(school_db, night_class["first"].id, first)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match=f"{first}.*已有考勤记录.*退学"):
        classes.remove_members(session, night_class["class"].id, [first, second], actor="t")
    assert count(school_db, ClassMember) == 3  # all or nothing
    with unit_of_work(school_db.engine) as session:
        assert classes.remove_members(session, night_class["class"].id, [second], actor="t") == 1
    with read_session(school_db.engine) as session:
        assert second not in {mark.student_number
                              for mark in classes.roll_call(session, night_class["second"].id).lines}
        before = session.execute(select(AuditEntry.before).where(AuditEntry.action == "class.remove_members")).scalar_one()
    assert second in before


def test_a_class_is_corrected_but_its_level_stays_while_it_has_members(school_db, night_class):
    class_id = night_class["class"].id
    with unit_of_work(school_db.engine) as session:
        info = classes.update_class(session, class_id, ClassChanges(name="大碶夜校高中班", teacher="李老师",
                                                                    class_type=ClassType.FACTORY), actor="t")
    assert (info.name, info.teacher, info.class_type) == ("大碶夜校高中班", "李老师", "factory")
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已有 3 名高中学员"):
        classes.update_class(session, class_id, ClassChanges(level=Level.JUNIOR), actor="t")
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="第一节课在 2026-09-03"):
        classes.update_class(session, class_id, ClassChanges(starts_on=date(2026, 9, 5)), actor="t")
    with read_session(school_db.engine) as session:
        version = session.get(SchoolClass, class_id).version
        before, after = session.execute(select(AuditEntry.before, AuditEntry.after)
                                        .where(AuditEntry.action == "class.edit")).one()
    assert version == 2 and "大碶夜校班" in before and "李老师" in after


def test_a_session_keeps_its_day_and_hours_once_attendance_is_recorded(school_db, night_class):
    lesson = night_class["first"]
    with unit_of_work(school_db.engine) as session:
        info = classes.update_session(session, lesson.id, SessionChanges(hours=3, starts_at=time(19, 0)), actor="t")
    assert (info.hours, info.starts_at) == (3.0, time(19, 0))
    mark(school_db, lesson.id, night_class["numbers"][0])
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已有 1 人的考勤记录"):
        classes.update_session(session, lesson.id, SessionChanges(hours=2), actor="t")
    with unit_of_work(school_db.engine) as session:
        info = classes.update_session(session, lesson.id, SessionChanges(topic="第一单元"), actor="t")
    assert info.topic == "第一单元" and info.hours == 3.0
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="不能删除"):
        classes.delete_session(session, lesson.id, actor="t")


def test_a_sent_session_deleted_leaves_a_tombstone_and_an_unsent_one_does_not(school_db, night_class):
    with unit_of_work(school_db.engine) as session:
        _mark_sent(session)  # as if a package had carried everything so far
        late = classes.create_session(session, night_class["class"].id, held_on=date(2026, 9, 17), hours=2, actor="t")
    with unit_of_work(school_db.engine) as session:
        classes.delete_session(session, night_class["second"].id, actor="t")
        classes.delete_session(session, late.id, actor="t")
    with read_session(school_db.engine) as session:
        tombstones = session.execute(select(DeletedRow.table_name, DeletedRow.reason)).all()
        assert session.execute(select(func.count()).select_from(ClassSession)).scalar_one() == 1
    assert tombstones == [("class_sessions", "删除“大碶夜校班” 2026-09-10 的课")]


def test_a_class_with_attendance_cannot_be_deleted_and_one_without_goes_with_its_roster(school_db, night_class):
    mark(school_db, night_class["first"].id, night_class["numbers"][0])
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已有 1 条考勤记录，不能删除"):
        classes.delete_class(session, night_class["class"].id, actor="t")
    with unit_of_work(school_db.engine) as session:
        spare = classes.create_class(session, name="备用班", class_type=ClassType.VILLAGE, level=Level.SENIOR,
                                     starts_on=date(2026, 9, 1), actor="t")
        classes.add_members(session, spare.id, night_class["numbers"][:2], joined_on=date(2026, 9, 1), actor="t")
        classes.create_session(session, spare.id, held_on=date(2026, 9, 2), hours=1, actor="t")
    with unit_of_work(school_db.engine) as session:
        assert classes.delete_class(session, spare.id, actor="t") == "备用班"
    with read_session(school_db.engine) as session:
        assert [c.name for c in classes.list_classes(session)] == ["大碶夜校班"]
    assert (count(school_db, ClassMember), count(school_db, ClassSession)) == (3, 2)


def test_command_line_corrections(school_db, night_class, capsys):
    db = school_db.url
    second = night_class["numbers"][1]
    assert cli_main(["class", "edit", "大碶夜校班", "--teacher", "王老师", "--db", db]) == 0
    assert cli_main(["class", "remove-learners", "大碶夜校班", second, "--db", db]) == 0
    assert cli_main(["class", "session-edit", "大碶夜校班", "--date", "2026-09-10", "--new-date", "2026-09-11",
                     "--db", db]) == 0
    assert cli_main(["class", "session-delete", "大碶夜校班", "--date", "2026-09-11", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "removed 1 from 大碶夜校班" in out and "session 大碶夜校班 2026-09-11 deleted" in out
    assert cli_main(["class", "session-delete", "大碶夜校班", "--date", "2026-09-11", "--db", db]) == 2
    assert "没有课" in capsys.readouterr().err
