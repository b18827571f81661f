"""Study from the command line: importing the online study records (`study import`), their running totals (`totals
rebuild`) and who may sit the final exam (`readiness`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adultschool import clock
from adultschool.cli.common import (
    EXIT_OK, EXIT_SOME_REJECTED, Adder, actor, add_list_file_options, add_list_output, date_arg, emit,
    is_list_file, level_arg, need, open_db, write_list_file,
)
from adultschool.cli.sheet_input import add_mapping_options, mapping_for, run_import
from adultschool.db import read_session, unit_of_work
from adultschool.models import Level
from adultschool.services import classes, lists, readiness, study
from adultschool.services.permissions import Permission


def cmd_study_import(args: argparse.Namespace) -> int:
    return run_import(args, lambda session, job: study.import_study(
        session, args.file, actor=actor(args), dry_run=args.dry_run, job=job,
        mapping=mapping_for(session, args, "study", study.STUDY_COLUMNS), mapping_name=args.save_mapping))


def cmd_readiness(args: argparse.Namespace) -> int:
    as_of = args.as_of or clock.today()
    if is_list_file(args.out):
        return write_list_file(args, lambda session: lists.ReadinessList(
            as_of, level=args.level, class_id=classes.find_class(session, args.class_name).id if args.class_name else None,
            state=lists.READY if args.ready_only else lists.ALL))
    db = open_db(args)
    need(args, Permission.VIEW_LEARNERS)
    with (unit_of_work if args.unmasked else read_session)(db.engine) as session:  # unmasking is audited
        class_id = classes.find_class(session, args.class_name).id if args.class_name else None
        rows = readiness.readiness(session, as_of, level=args.level, class_id=class_id, unmasked=args.unmasked,
                                   actor=actor(args))
    if args.ready_only:
        rows = [r for r in rows if r.ready]
    if args.format == "json":
        emit("json", [], [], [r.as_json() for r in rows], out=args.out)
        return EXIT_OK
    records = []
    for r in rows:
        record = r.as_json()
        if args.format == "table":
            record.update(level=Level(r.level).label, ready="是" if r.ready else "否", missing="；".join(r.missing))
        else:
            record.update(missing="；".join(r.missing))
        records.append(record)
    keys = ["student_number", "name", "id_number", "level", "registered_on", "months_done", "video_hours", "class_hours",
            "ready", "ready_on", "missing"]
    emit(args.format, ["学籍号", "姓名", "身份证号码", "层次", "注册日期", "已学月数", "视频学时", "面授课时", "可报考", "可报考日期",
                        "还差"], keys, records, out=args.out)
    if args.format == "table" and args.out is None:
        print(f"{as_of}：共 {len(rows)} 个学籍，可报考 {sum(r.ready for r in rows)} 个")
    return EXIT_OK


def cmd_totals_rebuild(args: argparse.Namespace) -> int:
    db = open_db(args)
    if args.check:
        with read_session(db.engine) as session:
            kept, computed = study.kept_totals(session), study.computed_totals(session)
        differing = sorted(e for e in computed if kept.get(e) != computed[e])
        if differing:
            print(f"{len(differing)} 个学籍的累计学时与原始记录不符（例如学籍内部编号 {differing[:5]}）："
                  "请运行 adultschool totals rebuild。", file=sys.stderr)
            return EXIT_SOME_REJECTED
        print(f"{len(computed)} 个学籍的累计学时与原始记录一致。")
        print(f"totals match the records for {len(computed)} enrolments")
        return EXIT_OK
    with unit_of_work(db.engine) as session:
        count = study.rebuild_totals(session, actor=actor(args))
    print(f"已按原始记录重算 {count} 个学籍的累计学时。")
    print(f"rebuilt totals for {count} enrolments")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's commands to the top-level parser."""
    group = commands.add_parser("study", help="线上学习记录").add_subparsers(dest="study_command", metavar="COMMAND", required=True)
    p = add(group, "import", cmd_study_import, "导入线上学习记录（xlsx 或 csv）")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--errors", type=Path)
    p.add_argument("--dry-run", action="store_true")

    p = add(commands, "readiness", cmd_readiness, "结业考试报考条件（R3）")
    p.add_argument("--as-of", type=date_arg)
    add_list_output(p)
    p.add_argument("--level", type=level_arg)
    p.add_argument("--class", dest="class_name", help="只看这个班")
    p.add_argument("--ready-only", action="store_true")
    p.add_argument("--unmasked", action="store_true")
    add_list_file_options(p)

    group = commands.add_parser("totals", help="累计学时").add_subparsers(dest="totals_command", metavar="COMMAND", required=True)
    p = add(group, "rebuild", cmd_totals_rebuild, "按原始记录重算每个学籍的累计学时")
    p.add_argument("--check", action="store_true", help="只比对，不重算")
