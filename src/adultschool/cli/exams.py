"""The final exam from the command line: `exam apply` (services.exam_applications), its results and rounds, `graduate` and
the vocational `skill` certificate.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool import clock
from adultschool.cli.common import EXIT_OK, Adder, actor, date_arg, open_db, print_table
from adultschool.cli.sheet_input import add_mapping_options, mapping_for, run_import
from adultschool.cli.choices import PROTECTION_WORDS, PROTECTIONS, add_choice, choice_arg, choice_metavar
from adultschool.cli import learner_record as record_commands
from adultschool.db import read_session, unit_of_work
from adultschool.models import Level
from adultschool.services import disclosure, district_results, exam_applications, exam_results, exam_rounds, graduation


def cmd_exam_rounds_add(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = exam_rounds.add_round(session, args.name, held_on=args.date, site_name=args.site,
                                     level=Level(args.level) if args.level else None, courses=args.course,
                                     apply_by=args.apply_by, note=args.note, actor=actor(args))
    print(f"已新增考试批次 {info.line()}。随下一个分中心数据包发给各学校。")
    print(f"added round {info.name}")
    return EXIT_OK


def cmd_exam_rounds_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        found = exam_rounds.list_rounds(session)
    print_table(["考试批次", "日期", "考点", "层次", "科目", "申请截止"],
                [[r.name, r.held_on, r.site, r.level_text, r.courses_text, r.apply_by or ""] for r in found])
    print(f"rounds {len(found)}")
    return EXIT_OK


def cmd_exam_rounds_remove(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = exam_rounds.remove_round(session, args.name, actor=actor(args))
    print(f"已删除考试批次“{info.name}”。各学校导入下一个分中心数据包后随之删除。")
    print(f"removed round {info.name}")
    return EXIT_OK


def cmd_exam_results_remove(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        removed = district_results.remove_source(session, args.file, reason=args.reason, actor=actor(args))
    print(f"已撤回来自“{args.file}”的成绩 {removed} 条。已经导入这些成绩的学校请在 学员 → 导入记录与撤销 中撤销那次导入；"
          "之后的分中心数据包不再带这些成绩。")
    print(f"removed results {removed}")
    return EXIT_OK


def cmd_exam_apply(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        done = exam_applications.apply_and_write_list(session, args.as_of, args.out, actor=actor(args), round_name=args.round,
                                                      student_numbers=args.student_number or None,
                                                      protection=disclosure.parse_protection(args.protect or "password"))
    for line in done.lines():
        print(line)
    print(f"applied {len(done.rows)}")
    return EXIT_OK


def cmd_exam_results_import(args: argparse.Namespace) -> int:
    return run_import(args, lambda session, job: exam_results.import_results(
        session, args.file, actor=actor(args), dry_run=args.dry_run, allow_unapplied=args.allow_unapplied, job=job,
        mapping=mapping_for(session, args, "results", exam_results.RESULT_COLUMNS), mapping_name=args.save_mapping))


def cmd_graduate(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        report = graduation.graduate(session, args.as_of or clock.today(), actor=actor(args), dry_run=args.dry_run)
    verb = "将毕业" if args.dry_run else "毕业"
    for number, name, certificate in report.graduated:
        print(f"{verb} {number} {name} 证书编号 {certificate}")
    for number, name, reason in report.held_back:
        print(f"暂不毕业 {number} {name}：{reason}")
    if args.dry_run:
        print(f"would graduate {len(report.graduated)}, held back {len(report.held_back)}")
        print("（预览：没有办理毕业）")
        return EXIT_OK
    print(f"graduated {len(report.graduated)}, held back {len(report.held_back)}")
    return EXIT_OK


def cmd_skill_add(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        graduation.record_skill_certificate(session, student_number=args.student_number, name=args.name, number=args.number,
                                            issued_on=args.issued_on, actor=actor(args))
    print(f"已登记职业技能证书 {args.number}。")
    print(f"recorded skill certificate {args.number}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's commands to the top-level parser."""
    group = commands.add_parser("exam", help="结业考试").add_subparsers(dest="exam_command", metavar="COMMAND", required=True)
    p = add(group, "apply", cmd_exam_apply, "考前申请：可报考的学员申请考试，写出报区里的名单")
    p.add_argument("--as-of", type=date_arg, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--round", help="考试批次名称（默认“YYYY年M月结业考试”）")
    p.add_argument("--student-number", action="append", help="只为这些学籍号申请（可重复）；不写则为全部可报考的学员")
    p.add_argument("--protect", type=choice_arg(PROTECTIONS, PROTECTION_WORDS), metavar=choice_metavar(PROTECTIONS),
                   help="password：加密（程序给出密码）；plain：不加密；masked：身份证号码只显示前 6 位和后 4 位（默认 password）")
    results = group.add_parser("results", help="考试成绩").add_subparsers(dest="results_command", metavar="COMMAND", required=True)
    record_commands.add_history(group, add)
    p = add(results, "import", cmd_exam_results_import, "导入区里返回的成绩")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--errors", type=Path)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--allow-unapplied", action="store_true", help="也接受没有办理考前申请的学员的成绩（每行提醒）")
    p = add(results, "remove", cmd_exam_results_remove, "（分中心）撤回某个文件导入的全部成绩（导错了文件）")
    p.add_argument("--file", required=True, help="当初导入的文件名")
    p.add_argument("--reason", required=True)
    rounds_group = group.add_parser("rounds", help="考试批次（分中心设定，随数据包发给学校）").add_subparsers(
        dest="rounds_command", metavar="COMMAND", required=True)
    p = add(rounds_group, "add", cmd_exam_rounds_add, "（分中心）新增考试批次")
    p.add_argument("name", help="如“2027年5月结业考试”")
    p.add_argument("--date", type=date_arg, required=True, help="考试日期")
    p.add_argument("--site", required=True, help="考点")
    add_choice(p, "--level", Level)
    p.add_argument("--course", action="append", help="考试科目（可重复；不写为该层次全部课程）")
    p.add_argument("--apply-by", type=date_arg, help="考前申请截止日")
    p.add_argument("--note")
    add(rounds_group, "list", cmd_exam_rounds_list, "考试批次（学校：分中心最近的数据包带来的）")
    p = add(rounds_group, "remove", cmd_exam_rounds_remove, "（分中心）删除考试批次")
    p.add_argument("name")

    p = add(commands, "graduate", cmd_graduate, "全部课程合格的学员毕业，发放证书编号")
    p.add_argument("--as-of", type=date_arg)
    p.add_argument("--dry-run", action="store_true", help="只列出谁将毕业、取得哪个证书编号，不办理")

    group = commands.add_parser("skill", help="职业技能证书").add_subparsers(dest="skill_command", metavar="COMMAND", required=True)
    p = add(group, "add", cmd_skill_add, "登记学员的职业技能证书（双证之一）")
    p.add_argument("student_number")
    p.add_argument("--name", required=True, help="证书名称，如“叉车司机（五级）”")
    p.add_argument("--number", required=True)
    p.add_argument("--issued-on", type=date_arg, required=True)
