"""`adultschool learners show STUDENT_NUMBER` (学员档案) and `adultschool exam history [--round NAME]` (考试记录).

Added to the `learners` group of cli/school.py and the `exam` group of cli/exams.py. Both only read; ID numbers and phones are masked.
`--format json` prints the record (one object) or the rounds (one array) with English keys.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from adultschool.cli.common import EXIT_OK, Adder, actor, open_db, print_table
from adultschool.db import read_session

if TYPE_CHECKING:  # the services are imported by the commands that run them: `learners list` loads this module too
    from adultschool.services.learner_record import LearnerRecord


def _section(title: str) -> None:
    print()
    print(f"【{title}】")


def _none(text: str) -> None:
    print(f"  {text}")


def print_record(record: LearnerRecord) -> None:
    person = record.person
    print(f"学员档案：{person.name}（{'、'.join(record.student_numbers)}），截至 {record.as_of}")
    _section("基本信息")
    for label, value in person.lines():
        print(f"  {label}：{value}")
    _section("学籍")
    print_table(["学籍号", "层次", "报名日期", "状态", "街道/镇", "任务年份", "来源", "已学月数", "视频学时", "面授学时"],
                [[e.student_number, e.level.label, e.registered_on, e.status_text, e.township or "", e.quota_year,
                  e.import_batch or e.source or "", e.months_done, f"{e.video_hours:g}", f"{e.class_hours:g}"]
                 for e in record.enrolments])
    for e in record.enrolments:
        print(f"  {e.student_number} 报考条件：{e.readiness_text}")
    _section("班级与考勤")
    if record.classes:
        print_table(["学籍号", "班级", "类型", "教学点", "任课教师", "加入日期", "考勤"],
                    [[c.student_number, c.class_name, c.class_type, c.teaching_site or "", c.teacher or "", c.joined_on,
                      c.attendance_text] for c in record.classes])
    else:
        _none("没有加入班级。")
    if record.recent_sessions:
        print("  最近的课：")
        print_table(["日期", "班级", "课程", "内容", "考勤", "计入学时"],
                    [[s.held_on, s.class_name, s.course or "", s.topic or "", s.status, f"{s.hours:g}"]
                     for s in record.recent_sessions])
    _section("学习记录")
    if record.videos:
        total = sum(v.counted_minutes for v in record.videos)
        print(f"  课程视频 {len(record.videos)} 个，计入 {round(total / 60, 2):g} 学时")
        print_table(["学籍号", "课程", "视频", "已学(分钟)", "计入(分钟)"],
                    [[v.student_number, v.course, v.video, f"{v.minutes:g}", f"{v.counted_minutes:g}"] for v in record.videos])
    else:
        _none("没有线上学习记录。")
    _section("考试与成绩")
    print(f"  及格分数：{record.pass_mark:g}")
    if record.applications:
        print_table(["学籍号", "考试批次", "申请日期", "考试日期", "科目"],
                    [[a.student_number, a.round_name, a.applied_on, a.held_on or "", "、".join(a.courses)]
                     for a in record.applications])
    else:
        _none("没有考前申请。")
    if record.results:
        print_table(["学籍号", "考试批次", "课程", "成绩", "考试日期", "结果"],
                    [[r.student_number, r.round_name or "", r.course, r.mark, r.exam_date, "合格" if r.passed else "不合格"]
                     for r in record.results])
    if record.courses:
        print("  各科：")
        print_table(["学籍号", "课程", "情况"], [[c.student_number, c.course, c.text] for c in record.courses])
    _section("证书")
    if record.certificates or record.skill_certificates:
        for c in record.certificates:
            print(f"  毕业证书 {c.number}（{c.student_number}），{c.issued_on} 发证，{c.state}")
        for s in record.skill_certificates:
            print(f"  职业技能证书 {s.name} {s.number}，{s.issued_on} 发证")
    else:
        _none("还没有证书。")
    _section("操作记录")
    if record.audit:
        for a in record.audit:
            print(f"  {a.at}  {a.actor}  {a.action}：{a.summary}")
            for change in a.changes:
                print(f"      {change}")
        if record.audit_more:
            from adultschool.services.learner_record import AUDIT_LIMIT

            _none(f"（只列出最近 {AUDIT_LIMIT} 条）")
    else:
        _none("没有操作记录。")


def cmd_learners_show(args: argparse.Namespace) -> int:
    from adultschool.services import learner_record

    db = open_db(args)
    with read_session(db.engine) as session:
        record = learner_record.learner_record(session, student_number=args.student_number, actor=actor(args))
    if args.format == "json":
        json.dump(record.as_json(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_record(record)
    return EXIT_OK


def cmd_exam_history(args: argparse.Namespace) -> int:
    from adultschool.services import exam_history

    db = open_db(args)
    with read_session(db.engine) as session:
        history = exam_history.exam_history(session, actor=actor(args), round_name=args.round)
    if args.format == "json":
        json.dump([r.as_json() for r in history.rounds], sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    if not history.rounds:
        print("还没有考前申请，也就没有考试记录。")
    for found in history.rounds:
        print(f"【{found.name}】考试日期 {found.held_on or '未知'}{('，' + found.site) if found.site else ''}；"
              f"申请 {len(found.applicants)} 人，需补考 {found.retake_count} 人（及格分数 {history.pass_mark:g}）")
        print_table(["课程", "申请", "参考", "合格", "不合格", "缺考", "未出成绩"],
                    [[c.course, c.applied, c.sat, c.passed, c.failed, c.absent, c.pending] for c in found.courses])
        if args.round is not None:
            print_table(["学籍号", "姓名", "申请日期", "成绩", "需补考"],
                        [[a.student_number, a.name, a.applied_on, "；".join(f"{r.course} {r.text}" for r in a.results),
                          "、".join(a.must_retake)] for a in found.applicants])
        else:
            for applicant in found.applicants:
                if applicant.must_retake:
                    print(f"  需补考：{applicant.name}（{applicant.student_number}）{'、'.join(applicant.must_retake)}")
        print()
    applicants = sum(len(r.applicants) for r in history.rounds)
    retakes = sum(r.retake_count for r in history.rounds)
    print(f"rounds {len(history.rounds)}, applicants {applicants}, must retake {retakes}")
    print(f"共 {len(history.rounds)} 个考试批次，申请 {applicants} 人次，需补考 {retakes} 人次。")
    return EXIT_OK


def add_show(group: argparse._SubParsersAction, add: Adder) -> None:
    p = add(group, "show", cmd_learners_show, "学员档案：登记信息、班级与考勤、学习记录、考试与成绩、证书、操作记录")
    p.add_argument("student_number", metavar="STUDENT_NUMBER", help="学员的任一学籍号")
    p.add_argument("--format", choices=("table", "json"), default="table")


def add_history(group: argparse._SubParsersAction, add: Adder) -> None:
    p = add(group, "history", cmd_exam_history, "考试记录：各批次的申请人数、各科成绩和需补考的学员")
    p.add_argument("--round", metavar="NAME", help="只看这个考试批次（并列出每位申请人的成绩）")
    p.add_argument("--format", choices=("table", "json"), default="table")
