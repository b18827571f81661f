"""学员档案 and 考试记录: one learner's whole story in one read, and each exam round's applicants, results per course
and who must retake, through the services and the command line."""
from __future__ import annotations

import json

import pytest

from adultschool.cli import main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.services import enrolments, exam_history, learner_record
from learner_story import CLASS_NAME, FIRST, SECOND, build_story
from testclock import TODAY

SENIOR_MATHS = "成人高中数学"
SCIENCE = "成人高中自然科学"


@pytest.fixture
def story(school_db, tmp_path):
    return build_story(school_db, tmp_path / "inputs")


def record_of(db, number, actor="tester"):
    with read_session(db.engine) as session:
        return learner_record.learner_record(session, student_number=number, actor=actor)


def test_the_record_holds_registration_classes_study_exams_certificate_and_audit(school_db, story):
    record = record_of(school_db, story.chen)
    person = record.person
    assert (person.name, person.gender, person.township) == ("陈堃", "男", "大碶街道")
    assert "*" in person.id_number and len(person.id_number) == 18  # masked
    assert person.phone == "139****1111"  # the corrected phone, masked
    (enrolment,) = record.enrolments
    assert enrolment.student_number == story.chen and enrolment.status.label == "已毕业"
    assert enrolment.video_hours == 20 and enrolment.class_hours == 4
    assert enrolment.source == "手工登记" and enrolment.standing is None  # graduated: not in the readiness count

    (joined,) = record.classes
    assert (joined.class_name, joined.sessions, joined.present, joined.absent, joined.hours) == (CLASS_NAME, 2, 2, 0, 4)
    assert [s.status for s in record.recent_sessions] == ["出勤", "出勤"]
    assert record.recent_sessions[0].held_on > record.recent_sessions[1].held_on  # newest first
    assert len(record.videos) == 20 and sum(v.counted_minutes for v in record.videos) == 1200

    assert [(a.round_name, a.held_on) for a in record.applications] == [(FIRST, story.first_exam),
                                                                         (SECOND, story.second_exam)]
    maths = [(r.round_name, r.mark, r.passed) for r in record.results if r.course == SENIOR_MATHS]
    assert maths == [(FIRST, "50", False), (SECOND, "75", True)]
    assert record.pass_mark == 60
    by_course = {c.course: c for c in record.courses}
    assert by_course[SENIOR_MATHS].passed and by_course[SENIOR_MATHS].attempts == 2
    assert by_course[SENIOR_MATHS].text == "合格（75）" and record.must_retake == ()

    (certificate,) = record.certificates
    assert certificate.number == story.certificate and certificate.printings == 1
    assert certificate.state.startswith("已打印") and certificate.revoked_on is None

    actions = [a.action for a in record.audit]
    for expected in ("修改学员信息", "打印证书", "毕业", "导入成绩", "考前申请", "考勤", "班级加入学员", "登记学员"):
        assert expected in actions, expected
    edit = record.audit[actions.index("修改学员信息")]
    assert edit.changes == ("联系电话：138****2345 → 139****1111",)
    graduation = record.audit[actions.index("毕业")]
    assert "状态：考试通过 → 已毕业" in graduation.changes and f"证书编号：{story.certificate}" in graduation.changes
    roll_calls = [a for a in record.audit if a.action == "考勤"]
    assert len(roll_calls) == 2 and all(a.changes == ("考勤：出勤 2 学时",) for a in roll_calls)
    # Nothing in the trail is English keys or a full ID number.
    text = json.dumps([a.as_json() for a in record.audit], ensure_ascii=False)
    assert "student_numbers" not in text and "statuses" not in text


def test_the_record_of_a_learner_still_studying_shows_readiness_and_the_course_to_retake(school_db, story):
    record = record_of(school_db, story.wang)
    (enrolment,) = record.enrolments
    assert enrolment.standing is not None and enrolment.standing.ready  # studies on, ready to apply again
    (joined,) = record.classes
    assert (joined.present, joined.absent, joined.hours) == (1, 1, 2)
    assert [c.course for c in record.must_retake] == [SCIENCE]
    assert {c.course: c.text for c in record.courses}[SCIENCE] == "未合格（最好 缺考，考了 1 次），需补考"
    assert record.certificates == ()
    # Another learner's entries stay out of this one's trail.
    assert not any("修改学员信息" == a.action for a in record.audit)


def test_the_audit_trail_follows_a_way_back(school_db, story):
    with unit_of_work(school_db.engine) as session:
        enrolments.withdraw(session, story.wang, reason="外出务工", actor="tester", today=TODAY)
    record = record_of(school_db, story.wang)
    newest = record.audit[0]
    assert newest.action == "退学/转学" and "外出务工" in newest.summary
    assert "状态：在读 → 已退学" in newest.changes
    assert record.enrolments[0].status_text.startswith("已退学（")
    assert record.must_retake  # the record still shows what was failed; the exam history no longer counts it
    with read_session(school_db.engine) as session:
        first = next(r for r in exam_history.exam_history(session, actor="tester").rounds if r.name == FIRST)
    assert first.retake_count == 0


def test_an_unknown_student_number_is_refused_in_words(school_db, story):
    with read_session(school_db.engine) as session, pytest.raises(AdultSchoolError, match="找不到学籍号"):
        learner_record.learner_record(session, student_number="330206-01-1999-99999", actor="tester")


def test_exam_history_counts_each_course_and_lists_who_must_retake(school_db, story):
    with read_session(school_db.engine) as session:
        history = exam_history.exam_history(session, actor="tester")
    assert [r.name for r in history.rounds] == [SECOND, FIRST]  # newest first
    second, first = history.rounds
    assert second.held_on == story.second_exam and len(second.applicants) == 1 and second.retake_count == 0
    assert [(c.course, c.applied, c.sat, c.passed) for c in second.courses] == [(SENIOR_MATHS, 1, 1, 1)]
    assert first.held_on == story.first_exam and first.site == "大碶中学" and len(first.applicants) == 2
    tally = {c.course: c for c in first.courses}
    assert (tally[SENIOR_MATHS].sat, tally[SENIOR_MATHS].passed, tally[SENIOR_MATHS].failed) == (2, 1, 1)
    assert (tally[SCIENCE].sat, tally[SCIENCE].passed, tally[SCIENCE].absent) == (1, 1, 1)
    # 陈堃 failed maths in the first round but passed it in the second: only 王喆 must retake (the science he missed).
    retakes = {a.name: a.must_retake for a in first.applicants if a.must_retake}
    assert retakes == {"王喆": (SCIENCE,)}
    chen = next(a for a in first.applicants if a.name == "陈堃")
    assert {r.course: r.text for r in chen.results}[SENIOR_MATHS] == "50 不合格"


def test_exam_history_of_an_unknown_round_names_the_known_ones(school_db, story):
    with read_session(school_db.engine) as session, pytest.raises(AdultSchoolError) as raised:
        exam_history.exam_history(session, actor="tester", round_name="没有这批")
    assert FIRST in raised.value.message and SECOND in raised.value.message


def test_learners_show_prints_the_record_in_chinese_sections(db_arg, school_db, story, capsys):
    assert main(["learners", "show", story.chen, "--db", db_arg]) == 0
    out = capsys.readouterr().out
    for section in ("【基本信息】", "【学籍】", "【班级与考勤】", "【学习记录】", "【考试与成绩】", "【证书】", "【操作记录】"):
        assert section in out, section
    assert "陈堃" in out and CLASS_NAME in out and story.certificate in out and FIRST in out
    assert "联系电话：138****2345 → 139****1111" in out
    assert "330206********" in out  # masked


def test_learners_show_as_json(db_arg, school_db, story, capsys):
    assert main(["learners", "show", story.wang, "--db", db_arg, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["person"]["name"] == "王喆" and "*" in data["person"]["id_number"]
    assert data["enrolments"][0]["student_number"] == story.wang and data["enrolments"][0]["ready"] is True
    assert [c["course"] for c in data["courses"] if c["attempts"] and not c["passed"]] == [SCIENCE]
    assert data["classes"][0]["absent"] == 1 and data["audit"]


def test_learners_show_of_an_unknown_number_exits_2(db_arg, school_db, story, capsys):
    assert main(["learners", "show", "nobody", "--db", db_arg]) == 2
    assert "找不到学籍号" in capsys.readouterr().err


def test_exam_history_on_the_command_line(db_arg, school_db, story, capsys):
    assert main(["exam", "history", "--db", db_arg]) == 0
    out = capsys.readouterr().out
    assert out.index(SECOND) < out.index(FIRST)
    assert f"需补考：王喆（{story.wang}）{SCIENCE}" in out
    assert "rounds 2, applicants 3, must retake 1" in out

    assert main(["exam", "history", "--db", db_arg, "--round", FIRST, "--format", "json"]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    assert found["name"] == FIRST and found["applied"] == 2 and found["must_retake"] == 1
    maths = next(c for c in found["courses"] if c["course"] == SENIOR_MATHS)
    assert (maths["sat"], maths["passed"], maths["failed"]) == (2, 1, 1)
    wang = next(a for a in found["applicants"] if a["student_number"] == story.wang)
    assert wang["must_retake"] == [SCIENCE]

    assert main(["exam", "history", "--db", db_arg, "--round", FIRST]) == 0
    out = capsys.readouterr().out
    assert "缺考" in out and "50 不合格" in out


def test_a_learner_imported_from_a_roster_names_the_import_and_a_reveal_is_in_the_trail(school_db, tmp_path):
    from adultschool.services import learners, roster
    from factories import born_years_before, make_id, r13_row, write_roster

    id_number = make_id(born_years_before(TODAY, 35), serial=41)
    path = write_roster(tmp_path / "大碶报名表.xlsx", [r13_row(1, "李赟", id_number)])
    with unit_of_work(school_db.engine) as session:
        roster.import_roster(session, path, registered_on=TODAY, township="大碶街道", actor="tester")
    with read_session(school_db.engine) as session:
        number = learners.list_learners(session)[0].student_number
    with unit_of_work(school_db.engine) as session:
        enrolment_id = enrolments.find_enrolment(session, number).id
        learners.reveal_ids(session, [enrolment_id], actor="tester", what="学员档案")
    record = record_of(school_db, number)
    (enrolment,) = record.enrolments
    assert "大碶报名表.xlsx" in enrolment.import_batch and enrolment.import_batch.startswith("第 ")
    assert enrolment.standing is not None and not enrolment.standing.ready
    assert any("学习时限不足" in m for m in enrolment.standing.missing)  # services.readiness's own words
    assert record.audit[0].action == "显示完整身份证号码" and record.audit[1].action == "登记学员"
    assert id_number not in json.dumps(record.as_json(), ensure_ascii=False)  # masked everywhere
