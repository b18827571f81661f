"""Classes from the command line: `class create|list|add-learners|session`, their corrections (`class edit|delete|
remove-learners|session-edit|session-delete`), a class's roster (`class roster NAME [--out F.xlsx|F.pdf]`) and
`attendance import`. Each command calls one service of services.classes.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool import clock
from adultschool.cli.common import (
    EXIT_OK, Adder, actor, date_arg, is_list_file, level_arg, open_db, print_table, time_arg, write_list_file,
)
from adultschool.cli.sheet_input import add_mapping_options, mapping_for, run_import
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import ClassType, Level
from adultschool.services import classes, lists, permissions, readiness
from adultschool.services.classes import ClassChanges, SessionChanges


def cmd_class_create(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = classes.create_class(session, name=args.name, class_type=classes.parse_class_type(args.type), level=args.level,
                                    starts_on=args.starts_on or clock.today(), teaching_site=args.site, teacher=args.teacher,
                                    actor=actor(args))
    print(f"已建立班级“{info.name}”。")
    print(f"created class {info.name}")
    return EXIT_OK


def cmd_class_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        rows = classes.list_classes(session)
    print_table(["班级", "类型", "层次", "教学点", "任课教师", "开班日期", "学员", "课次"], [
        [c.name, ClassType(c.class_type).label, Level(c.level).label, c.teaching_site, c.teacher, c.starts_on, c.members, c.sessions]
        for c in rows
    ])
    return EXIT_OK


def cmd_class_add_learners(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        school_class = classes.find_class(session, args.name)
        added = classes.add_members(session, school_class.id, args.student_numbers, joined_on=args.joined_on or clock.today(),
                                    actor=actor(args))
    print(f"已把 {added} 名学员加入“{args.name}”。")
    print(f"added {added} to {args.name}")
    return EXIT_OK


def cmd_class_session(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        school_class = classes.find_class(session, args.name)
        info = classes.create_session(session, school_class.id, held_on=args.date, hours=args.hours, course=args.course,
                                      topic=args.topic, starts_at=args.start, actor=actor(args))
    print(f"已添加“{args.name}” {info.held_on} 的课（{info.hours:g} 课时）。")
    print(f"created session {args.name} {info.held_on} {info.hours:g} h")
    return EXIT_OK


def cmd_attendance_import(args: argparse.Namespace) -> int:
    return run_import(args, lambda session, job: classes.import_attendance(
        session, args.file, actor=actor(args), dry_run=args.dry_run, job=job, class_name=args.class_name,
        hours=args.hours, mapping=mapping_for(session, args, "attendance", classes.ATTENDANCE_COLUMNS),
        mapping_name=args.save_mapping))


def cmd_class_edit(args: argparse.Namespace) -> int:
    db = open_db(args)
    changes = ClassChanges(name=args.new_name, class_type=classes.parse_class_type(args.type) if args.type else None,
                           level=args.level, starts_on=args.starts_on, teaching_site=args.site, teacher=args.teacher)
    with unit_of_work(db.engine) as session:
        info = classes.update_class(session, classes.find_class(session, args.name).id, changes, actor=actor(args))
    print(f"已保存班级“{info.name}”。")
    print(f"class {info.name} saved")
    return EXIT_OK


def cmd_class_delete(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        name = classes.delete_class(session, classes.find_class(session, args.name).id, actor=actor(args))
    print(f"已删除班级“{name}”。")
    print(f"class {name} deleted")
    return EXIT_OK


def cmd_class_remove_learners(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        removed = classes.remove_members(session, classes.find_class(session, args.name).id, args.student_numbers,
                                         actor=actor(args))
    print(f"已从“{args.name}”移出 {removed} 名学员。")
    print(f"removed {removed} from {args.name}")
    return EXIT_OK


def cmd_session_edit(args: argparse.Namespace) -> int:
    db = open_db(args)
    changes = SessionChanges(held_on=args.new_date, starts_at=args.new_start, clear_start=args.no_start,
                             hours=args.hours, course=args.course, topic=args.topic)
    with unit_of_work(db.engine) as session:
        lesson = classes.find_session(session, classes.find_class(session, args.name).id, args.date, args.start)
        info = classes.update_session(session, lesson.id, changes, actor=actor(args))
    print(f"已保存 {args.name} {info.held_on} 的课（{info.hours:g} 课时）。")
    print(f"session {args.name} {info.held_on} saved")
    return EXIT_OK


def cmd_session_delete(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        lesson = classes.find_session(session, classes.find_class(session, args.name).id, args.date, args.start)
        info = classes.delete_session(session, lesson.id, actor=actor(args))
    print(f"已删除 {args.name} {info.held_on} 的课。")
    print(f"session {args.name} {info.held_on} deleted")
    return EXIT_OK


def cmd_class_roster(args: argparse.Namespace) -> int:
    """A class's roster as the 班级 page shows it: on screen, or with --out as .xlsx or .pdf."""

    as_of = args.as_of or clock.today()
    if is_list_file(args.out):
        return write_list_file(args, lambda session: lists.RosterList(classes.find_class(session, args.name).id, as_of))
    if args.out is not None:
        raise AdultSchoolError(f"“{args.out.name}”：班级名单只能保存为 Excel（.xlsx）或 PDF（.pdf）文件。")
    db = open_db(args)
    with read_session(db.engine) as session:
        school_class = classes.find_class(session, args.name)
        permissions.require_class(session, actor(args), school_class.id)
        rows = readiness.readiness(session, as_of, class_id=school_class.id)
    print_table(["学籍号", "姓名", "已学月数", "视频学时", "面授课时", "可报考"],
                [[r.student_number, r.name, r.months_done, f"{r.video_hours:g}", f"{r.class_hours:g}",
                  "是" if r.ready else "否"] for r in rows])
    print(f"roster {args.name}: {len(rows)} learners")
    print(f"班级“{args.name}”在读学员 {len(rows)} 人（{as_of}）。")
    return EXIT_OK


def add_subcommands(group: argparse._SubParsersAction, add: Adder) -> None:
    p = add(group, "roster", cmd_class_roster, "班级学员名单（在读学员和学时；--out 写 .xlsx 或 .pdf）")
    p.add_argument("name")
    p.add_argument("--as-of", type=date_arg, help="学时和可报考算到哪一天（默认今天）")
    p.add_argument("--out", type=Path, metavar="FILE", help="写入 .xlsx 或 .pdf 文件")
    p = add(group, "edit", cmd_class_edit, "修改班级（名称、类型、层次、开班日期、教学点、任课教师）")
    p.add_argument("name")
    p.add_argument("--name", dest="new_name", metavar="NEW_NAME", help="新名称")
    p.add_argument("--type", help="村班、厂班、夜校班或重修班")
    p.add_argument("--level", type=level_arg, help="层次（班里已有学员时不能改）")
    p.add_argument("--starts-on", type=date_arg, help="开班日期（不能晚于第一节课）")
    p.add_argument("--site", help="教学点（\"\" 清空）")
    p.add_argument("--teacher", help="任课教师（\"\" 清空）")
    p = add(group, "delete", cmd_class_delete, "删除建错的班级（已有考勤的不能删）")
    p.add_argument("name")
    p = add(group, "remove-learners", cmd_class_remove_learners, "把学员移出班级（在本班已有考勤的不能移出）")
    p.add_argument("name")
    p.add_argument("student_numbers", nargs="+")
    p = add(group, "session-edit", cmd_session_edit, "修改一节课（已有考勤后只能改课程和内容）")
    p.add_argument("name")
    p.add_argument("--date", type=date_arg, required=True, help="这节课现在的日期")
    p.add_argument("--start", type=time_arg, help="这节课现在的开始时间（当天有几节课时）")
    p.add_argument("--new-date", type=date_arg)
    p.add_argument("--new-start", type=time_arg)
    p.add_argument("--no-start", action="store_true", help="去掉开始时间")
    p.add_argument("--hours", type=float)
    p.add_argument("--course", help="课程（\"\" 清空）")
    p.add_argument("--topic", help="内容（\"\" 清空）")
    p = add(group, "session-delete", cmd_session_delete, "删除记错的一节课（已有考勤的不能删）")
    p.add_argument("name")
    p.add_argument("--date", type=date_arg, required=True)
    p.add_argument("--start", type=time_arg)


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's commands to the top-level parser."""
    group = commands.add_parser("class", help="班级（村班、厂班、夜校班、重修班）").add_subparsers(
        dest="class_command", metavar="COMMAND", required=True)
    p = add(group, "create", cmd_class_create, "新建班级")
    p.add_argument("name")
    p.add_argument("--type", required=True, help="村班、厂班、夜校班或重修班")
    p.add_argument("--level", type=level_arg, required=True)
    p.add_argument("--starts-on", type=date_arg)
    p.add_argument("--site", help="教学点")
    p.add_argument("--teacher")
    add(group, "list", cmd_class_list, "班级列表")
    p = add(group, "add-learners", cmd_class_add_learners, "按学籍号把学员加入班级")
    p.add_argument("name")
    p.add_argument("student_numbers", nargs="+")
    p.add_argument("--joined-on", type=date_arg)
    p = add(group, "session", cmd_class_session, "登记一节课")
    p.add_argument("name")
    p.add_argument("--date", type=date_arg, required=True)
    p.add_argument("--hours", type=float, required=True)
    p.add_argument("--course")
    p.add_argument("--topic")
    p.add_argument("--start", type=time_arg, help="开始时间 HH:MM")
    add_subcommands(group, add)

    group = commands.add_parser("attendance", help="考勤").add_subparsers(dest="attendance_command", metavar="COMMAND", required=True)
    p = add(group, "import", cmd_attendance_import,
            "导入考勤表：逐行（班级、日期、课时、身份证号码或学籍号、考勤），或按日期排列（每行一人、每列一次课）")
    p.add_argument("--class", dest="class_name", help="按日期排列的考勤表属于哪个班（表里没写时）")
    p.add_argument("--hours", type=float, help="按日期排列的考勤表里新出现的课，每节的课时（表里没有“课时”行时）")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--errors", type=Path)
    p.add_argument("--dry-run", action="store_true")
