"""Correcting classes from the command line: `class edit|delete|remove-learners|session-edit|session-delete`, and a
class's roster (`class roster NAME [--out F.xlsx|F.pdf]`).

Added to the `class` group of cli/school.py by `add_subcommands`; each command calls one service of services.classes.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool import clock
from adultschool.cli.common import (
    EXIT_OK, Adder, actor, date_arg, is_list_file, level_arg, open_db, print_table, time_arg, write_list_file,
)
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.services import classes, permissions
from adultschool.services.classes import ClassChanges, SessionChanges


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
    from adultschool.services import lists, readiness

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
