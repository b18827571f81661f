"""`adultschool privacy …`: PIPL duties (services.privacy): a person's own data (`export`), consent from the signed
registration form (`consent`), anonymising past the retention rule (`purge [--dry-run]`) and on request (`erase`)."""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool.cli.choices import PROTECTION_WORDS, PROTECTIONS, choice_arg, choice_metavar
from adultschool.cli.common import EXIT_OK, Adder, actor, date_arg, open_db
from adultschool.db import unit_of_work
from adultschool.services import disclosure, privacy


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in ("yes", "y", "是", "同意"):
        return True
    if value in ("no", "n", "否", "不同意"):
        return False
    raise argparse.ArgumentTypeError(f"“{text}”：请写 yes（同意）或 no（不同意）")


def cmd_privacy_export(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        exported = privacy.export_person(session, args.student_number, args.out, actor=actor(args),
                                         protection=disclosure.parse_protection(args.protect))
    for line in exported.lines():
        print(line)
    print(f"exported the data of {args.student_number} to {args.out}")
    return EXIT_OK


def cmd_privacy_consent(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        consent = privacy.record_consent(session, args.student_number, id_number=args.id_number, photo=args.photo,
                                         on=args.on, notice=args.notice or privacy.NOTICE_VERSION, actor=actor(args))
    print(f"已登记 {consent.student_number} 的个人信息同意（告知书 {consent.notice}，{consent.on}）。")
    print(f"consent of {consent.student_number}: notice {consent.notice}, {consent.on}, "
          f"id number {'yes' if consent.id_number else 'no'}, photo {'yes' if consent.photo else 'no'}")
    return EXIT_OK


def cmd_privacy_purge(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        report = privacy.purge(session, as_of=args.as_of, dry_run=args.dry_run, actor=actor(args))
    for learner in report.learners:
        print(f"{'、'.join(learner.student_numbers)} {learner.masked_name}：{learner.closed_on} 结束，"
              f"{learner.expires_on} 保留期满")
    print(report.summary())
    return EXIT_OK


def cmd_privacy_erase(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        erased = privacy.erase(session, args.student_number, reason=args.reason, actor=actor(args))
    print(f"已删除 {'、'.join(erased.student_numbers)} 的个人信息，统计数字保留。")
    print(f"erased the personal data of {'、'.join(erased.student_numbers)} ({erased.masked_name})")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    group = commands.add_parser("privacy", help="个人信息保护").add_subparsers(dest="privacy_command", metavar="COMMAND",
                                                                         required=True)
    p = add(group, "export", cmd_privacy_export, "本人的全部个人信息副本（本人查阅、复制的请求）")
    p.add_argument("student_number")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--protect", type=choice_arg(PROTECTIONS, PROTECTION_WORDS), metavar=choice_metavar(PROTECTIONS), default="password",
                   help="默认 password：加密，程序给出密码")
    p = add(group, "consent", cmd_privacy_consent, "登记报名登记表上签字的个人信息同意")
    p.add_argument("student_number")
    p.add_argument("--id-number", type=_yes_no, required=True, help="同意使用身份证号码：yes 或 no")
    p.add_argument("--photo", type=_yes_no, required=True, help="同意使用照片：yes 或 no（no 会删除照片）")
    p.add_argument("--on", type=date_arg, help="签字日期（默认今天）")
    p.add_argument("--notice", help=f"告知书版本（默认 {privacy.NOTICE_VERSION}）")
    p = add(group, "purge", cmd_privacy_purge, "保留期满的学员个人信息匿名化（规则 retention_years）")
    p.add_argument("--dry-run", action="store_true", help="只列出，不改动")
    p.add_argument("--as-of", type=date_arg, help="按这一天计算（默认今天）")
    p = add(group, "erase", cmd_privacy_erase, "应本人要求删除个人信息（匿名化，须写原因）")
    p.add_argument("student_number")
    p.add_argument("--reason", required=True)
