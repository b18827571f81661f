"""`report`: the lists and statistics that leave the school or the district — credit bank, household office, statistics
and quota progress.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from adultschool import clock
from adultschool.cli.common import EXIT_OK, Adder, actor, open_db, print_exported
from adultschool.cli.choices import PROTECTION_WORDS, PROTECTIONS, choice_arg, choice_metavar
from adultschool.cli import quotas as quota_commands
from adultschool.db import read_session, unit_of_work
from adultschool.jobs import ConsoleJob
from adultschool.services import disclosure, exam_reports, statistics
from adultschool.services.disclosure import Exported


def _protected_list(args: argparse.Namespace, write: Callable[..., Exported], what: str) -> int:
    """A list that leaves the school with ID numbers in it (credit bank, household office): protected as --protect says."""
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        exported = write(session, args.out, actor=actor(args),
                         protection=disclosure.parse_protection(args.protect or "password"))
    print_exported(exported)
    print(f"exported {exported.count} {what} to {args.out}")
    return EXIT_OK


def cmd_report_credit_bank(args: argparse.Namespace) -> int:
    return _protected_list(args, exam_reports.write_credit_bank, "results")


def cmd_report_household(args: argparse.Namespace) -> int:
    return _protected_list(args, exam_reports.write_household, "graduates")


def cmd_report_statistics(args: argparse.Namespace) -> int:
    db = open_db(args)
    year = args.year or clock.today().year
    job = ConsoleJob()
    with read_session(db.engine) as session:
        stats = statistics.write_statistics(session, args.out, year=year, actor=actor(args), job=job)
    job.finish()
    print(f"{year}年统计已写入 {args.out}：报名 {stats.total_registered} 人，毕业 {sum(stats.graduated.values())} 人")
    print(f"statistics {year}: registered {stats.total_registered}, graduated {sum(stats.graduated.values())}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's commands to the top-level parser."""
    group = commands.add_parser("report", help="报表").add_subparsers(dest="report_command", metavar="COMMAND", required=True)
    for name, command, text in (("credit-bank", cmd_report_credit_bank, "学分银行成绩清单（R12）"),
                                ("household", cmd_report_household, "毕业学员名单，供户籍学历变更（R11）")):
        p = add(group, name, command, text)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--protect", type=choice_arg(PROTECTIONS, PROTECTION_WORDS), metavar=choice_metavar(PROTECTIONS),
                       help="password：加密（程序给出密码）；plain：不加密；masked：身份证号码只显示前 6 位和后 4 位（默认 password）")
    quota_commands.add_quota_report(group, add)
    p = add(group, "statistics", cmd_report_statistics, "年度统计：按层次、性别、年龄段、流动人口、街道/镇，历年毕业人数，附图表")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--year", type=int, help="年份（默认今年）")
