"""`print`: certificates and forms as PDF files.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool import clock
from adultschool.cli.common import EXIT_OK, Adder, actor, date_arg, level_arg, open_db
from adultschool.cli.choices import FORM_KINDS, add_choice
from adultschool.cli import certificate_config as certificate_commands
from adultschool.db import unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.jobs import ConsoleJob
from adultschool.services import disclosure


def cmd_print_certificates(args: argparse.Namespace) -> int:
    from adultschool.services import documents  # reportlab and the QR encoder: only for the commands that print

    if args.reason and not args.reprint:
        raise AdultSchoolError("--reason 只用于补发（--reprint）。")
    db = open_db(args)
    job = ConsoleJob()
    with unit_of_work(db.engine) as session:
        layout = certificate_commands.layout_from(args)
        write = documents.preview_certificates if args.preview else documents.print_certificates
        printed = write(session, args.out, actor=actor(args), student_numbers=args.student_number or None,
                        reprint=args.reprint, reason=args.reason, font=args.font, layout=layout, job=job)
    job.finish()
    if args.preview:
        print(f"previewed {printed.pages} certificates to {args.out}")
        print(f"预览 {printed.pages} 张证书，没有记为已打印")
        return EXIT_OK
    print(f"{'reprinted' if args.reprint else 'printed'} {printed.pages} certificates to {args.out}")
    return EXIT_OK


def cmd_print_forms(args: argparse.Namespace) -> int:
    from adultschool.services import documents

    db = open_db(args)
    job = ConsoleJob()
    with unit_of_work(db.engine) as session:  # full ID numbers on paper are audited
        if args.kind == "registration":
            printed = documents.print_registration_forms(session, args.out, student_numbers=args.student_number or None,
                                                         font=args.font, job=job, actor=actor(args))
        elif args.kind == "summary":
            printed = documents.print_summary_form(
                session, args.out, level=args.level, font=args.font, job=job, actor=actor(args),
                protection=disclosure.Protection.MASKED if args.masked else disclosure.Protection.PLAIN)
        else:
            if not args.class_name:
                raise AdultSchoolError("签到表请用 --class 指定班级（可用 --date 指定日期，默认今天）。")
            printed = documents.print_signin_sheet(session, args.out, class_name=args.class_name,
                                                   held_on=args.date or clock.today(), font=args.font, job=job,
                                                   actor=actor(args))
    job.finish()
    print(f"已生成{FORM_KINDS[args.kind]}：{printed.pages} 页，{len(printed.names)} 名学员，文件 {args.out}。")
    print(f"printed {args.kind} form: {printed.pages} pages, {len(printed.names)} learners, to {args.out}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's commands to the top-level parser."""
    group = commands.add_parser("print", help="打印（PDF）").add_subparsers(dest="print_command", metavar="COMMAND", required=True)
    p = add(group, "certificates", cmd_print_certificates, "毕业证书：未打印过的（或指定学籍号的）；再次打印为补发")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--student-number", nargs="+")
    p.add_argument("--reprint", action="store_true", help="补发（需要 --reason）")
    p.add_argument("--reason")
    p.add_argument("--preview", action="store_true", help="只生成预览，不记为已打印")
    p.add_argument("--font", help="这次用的字体文件（.ttf/.ttc）")
    certificate_commands.add_layout_arguments(p)
    certificate_commands.add_print_subcommands(group, add)
    p = add(group, "forms", cmd_print_forms, "报名登记表、报名汇总表或签到表")
    p.add_argument("--out", type=Path, required=True)
    add_choice(p, "--kind", FORM_KINDS, default="summary")
    p.add_argument("--student-number", nargs="+", help="登记表：只打这些学籍号")
    p.add_argument("--level", type=level_arg, help="汇总表：只打这一层次")
    p.add_argument("--class", dest="class_name", help="签到表：班级")
    p.add_argument("--date", type=date_arg, help="签到表：日期（默认今天）")
    p.add_argument("--masked", action="store_true", help="汇总表：身份证号码和电话遮挡")
    p.add_argument("--font")
