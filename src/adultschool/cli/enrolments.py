"""The ways back for a registration from the command line: `learners withdraw|void|reinstate|correct`.

Added to the `learners` group of cli/school.py by `add_subcommands`; each command calls one service of
services.enrolments and prints its Chinese sentence, then a stable English summary line for scripts.
"""
from __future__ import annotations

import argparse

from adultschool.cli.common import EXIT_OK, Adder, actor, date_arg, level_arg, open_db
from adultschool.db import unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Gender
from adultschool.services import enrolments
from adultschool.services.enrolments import Correction, EnrolmentChanged
from adultschool.services.registration import parse_gender


def gender_arg(text: str) -> Gender:
    gender = parse_gender(text)
    if gender is None:
        raise argparse.ArgumentTypeError(f"性别“{text}”无法识别：请填写 男 或 女")
    return gender


def _print(result: EnrolmentChanged, verb: str) -> int:
    print(result.message)
    for label, (before, after) in result.changed.items():
        print(f"  {label}：{before or '（空）'} → {after or '（空）'}")
    for warning in result.warnings:
        print(f"提醒：{warning}")
    print(f"{verb} {result.student_number}: {result.status.value}")
    return EXIT_OK


def cmd_withdraw(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        result = enrolments.withdraw(session, args.student_number, reason=args.reason, on=args.on,
                                     transfer_to=args.transfer_to, actor=actor(args))
    return _print(result, "withdrawn")


def cmd_void(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        result = enrolments.void(session, args.student_number, reason=args.reason, actor=actor(args))
    return _print(result, "voided")


def cmd_reinstate(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        result = enrolments.reinstate(session, args.student_number, reason=args.reason, actor=actor(args))
    return _print(result, "reinstated")


def cmd_correct(args: argparse.Namespace) -> int:
    correction = Correction(level=args.level, registered_on=args.registered_on, gender=args.gender,
                            township=args.township, id_number=args.id_number)
    if not correction.given():
        raise AdultSchoolError("没有要更正的内容：请给出 --level、--registered-on、--gender、--township 或 --id-number。")
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        result = enrolments.correct(session, args.student_number, correction, reason=args.reason, actor=actor(args))
    return _print(result, "corrected")


def add_subcommands(group: argparse._SubParsersAction, add: Adder) -> None:
    reason = "原因（必填，记入审计记录并报给分中心）"
    p = add(group, "withdraw", cmd_withdraw, "退学（或转学）：学籍保留，不再计入在读")
    p.add_argument("student_number", metavar="STUDENT_NUMBER")
    p.add_argument("--reason", required=True, help=reason + "；转学写“转学”")
    p.add_argument("--on", type=date_arg, help="退学日期（默认今天）")
    p.add_argument("--transfer-to", metavar="SCHOOL", help="转学时转入的学校（名称或代码），分中心可见")
    p = add(group, "void", cmd_void, "作废误登记的学籍（学籍号不再使用；已申请考试的不能作废）")
    p.add_argument("student_number", metavar="STUDENT_NUMBER")
    p.add_argument("--reason", required=True, help=reason)
    p = add(group, "reinstate", cmd_reinstate, "恢复误办退学或误作废的学籍")
    p.add_argument("student_number", metavar="STUDENT_NUMBER")
    p.add_argument("--reason", required=True, help=reason)
    p = add(group, "correct", cmd_correct, "更正学籍的层次、报名日期、性别、街道/镇或身份证号码（已考试的不能改）")
    p.add_argument("student_number", metavar="STUDENT_NUMBER")
    p.add_argument("--level", type=level_arg, help="初中 或 高中")
    p.add_argument("--registered-on", type=date_arg, help="报名日期 YYYY-MM-DD")
    p.add_argument("--gender", type=gender_arg, help="男 或 女")
    p.add_argument("--township", help="计入任务数的街道/镇")
    p.add_argument("--id-number", help="正确的身份证号码（出生日期随之更正）")
    p.add_argument("--reason", required=True, help=reason)
