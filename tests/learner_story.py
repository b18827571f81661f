"""A learner's story for the 学员档案 and 考试记录 tests, built through the services as a school lives it (dates
relative to the test clock's today):

陈堃 and 王喆 register (senior) 200 days ago, join a night class and attend its two sessions (王喆 misses one), watch
20 hours of video, apply for 第一批 (exam 50 days ago): 陈堃 fails 数学 (50), 王喆 is absent from 自然科学. 陈堃 applies
again for 第二批 (exam 10 days ago), passes 数学, graduates 5 days ago and has the certificate printed; 陈堃's phone is
corrected. 王喆 must still retake 自然科学.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import openpyxl

from adultschool.db import Database, unit_of_work
from adultschool.models import AttendanceStatus, ClassType, Level
from adultschool.services import (
    certificates,
    classes,
    enrolments,
    exam_applications,
    exam_results,
    exam_rounds,
    graduation,
    learner_edit,
    registration,
    study,
)
from adultschool.services.exam_rounds import RoundInfo
from adultschool.services.learner_edit import LearnerChanges
from adultschool.services.registration import RegistrationInput
from adultschool.services.rules import load_rules
from factories import make_id
from testclock import TODAY

SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]
CLASS_NAME = "大碶夜校班（高中）"
FIRST, SECOND = "第一批结业考试", "第二批结业考试（补考）"


@dataclass(frozen=True)
class Story:
    chen: str  # student numbers
    wang: str
    certificate: str
    first_exam: date
    second_exam: date


def _results(path: Path, rows: list[tuple[object, ...]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(["学籍号", "姓名", "课程", "成绩", "考试日期"])
    for row in rows:
        workbook.active.append(list(row))
    workbook.save(path)
    return path


def build_story(db: Database, folder: Path, *, actor: str = "tester") -> Story:
    folder.mkdir(parents=True, exist_ok=True)
    registered_on = TODAY - timedelta(days=200)
    people = {"陈堃": make_id(date(1986, 3, 9), serial=31), "王喆": make_id(date(1990, 7, 1), serial=32, male=False)}
    numbers = {}
    with unit_of_work(db.engine) as session:
        for name, id_number in people.items():
            done, _ = registration.register_one(session, RegistrationInput(
                township="大碶街道", name=name, id_number=id_number, level="高中", registered_on=registered_on,
                phone="13857412345"), load_rules(session), actor=actor, today=registered_on)
            numbers[name] = done.student_number
    chen, wang = numbers["陈堃"], numbers["王喆"]
    with unit_of_work(db.engine) as session:
        night = classes.create_class(session, name=CLASS_NAME, class_type=ClassType.NIGHT, level=Level.SENIOR,
                                     starts_on=registered_on + timedelta(days=5), teaching_site="大碶社区学校",
                                     teacher="王老师", actor=actor)
        classes.add_members(session, night.id, [chen, wang], joined_on=registered_on + timedelta(days=5), actor=actor)
        ids = {n: enrolments.find_enrolment(session, n).id for n in (chen, wang)}
        for days_ago, wang_status in ((100, AttendanceStatus.PRESENT), (93, AttendanceStatus.ABSENT)):
            lesson = classes.create_session(session, night.id, held_on=TODAY - timedelta(days=days_ago), hours=2.0,
                                            course="成人高中语文", topic=f"第{days_ago}讲", actor=actor)
            classes.save_roll_call(session, lesson.id, [classes.Mark(ids[chen], AttendanceStatus.PRESENT),
                                                        classes.Mark(ids[wang], wang_status)], actor=actor)
    workbook = openpyxl.Workbook()
    workbook.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for id_number in people.values():
        for lesson in range(20):
            workbook.active.append([id_number, "成人高中数学", f"第{lesson + 1}讲", 60])
    workbook.save(folder / "study.xlsx")
    with unit_of_work(db.engine) as session:
        study.import_study(session, folder / "study.xlsx", actor=actor)

    first_exam, second_exam = TODAY - timedelta(days=50), TODAY - timedelta(days=10)
    with unit_of_work(db.engine) as session:  # the district's rounds, as its package brings them
        exam_rounds.replace_from_district(session, [RoundInfo(FIRST, first_exam, "大碶中学", Level.SENIOR, ()),
                                                    RoundInfo(SECOND, second_exam, "大碶中学", Level.SENIOR, ())])
    with unit_of_work(db.engine) as session:
        exam_applications.apply_for_exam(session, first_exam - timedelta(days=10), round_name=FIRST, actor=actor,
                                         student_numbers=[chen, wang], today=TODAY)
    rows = [(chen, "陈堃", c, 50 if c == "成人高中数学" else 80, first_exam.isoformat()) for c in SENIOR]
    rows += [(wang, "王喆", c, "缺考" if c == "成人高中自然科学" else 70, first_exam.isoformat()) for c in SENIOR]
    with unit_of_work(db.engine) as session:
        exam_results.import_results(session, _results(folder / "results-1.xlsx", rows), actor=actor, today=TODAY)
    with unit_of_work(db.engine) as session:
        exam_applications.apply_for_exam(session, second_exam - timedelta(days=10), round_name=SECOND, actor=actor,
                                         student_numbers=[chen], today=TODAY)
    with unit_of_work(db.engine) as session:
        exam_results.import_results(session, _results(folder / "results-2.xlsx",
                                                      [(chen, "陈堃", "成人高中数学", 75, second_exam.isoformat())]),
                             actor=actor, today=TODAY)
    with unit_of_work(db.engine) as session:
        graduated = graduation.graduate(session, TODAY - timedelta(days=5), actor=actor, today=TODAY)
        certificates.certificates_to_print(session, actor=actor, student_numbers=[chen])
        learner_id = learner_edit.find_learner_id(session, chen)
        version = learner_edit.load_for_edit(session, learner_id, actor=actor).version
        learner_edit.update_learner(session, learner_id, version, LearnerChanges(phone="13900001111"), actor)
    return Story(chen, wang, graduated.graduated[0][2], first_exam, second_exam)
