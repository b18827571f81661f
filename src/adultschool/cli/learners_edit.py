"""`adultschool learners edit STUDENT_NUMBER --phone … --address …`: corrects a learner's details (the ID number, level,
registration date and gender are corrected with `learners correct`, cli/enrolments.py).

Added to the `learners` group of cli/school.py by `add_subcommand`. With --if-version N the save is refused when
someone changed the learner since version N was read (what the window does); without it, the current version is read
and saved in one transaction.
"""
from __future__ import annotations

import argparse

from adultschool.cli.common import EXIT_OK, Adder, actor, open_db
from adultschool.services.audit_text import field_label
from adultschool.db import unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.services import learner_edit
from adultschool.services.learner_edit import KEEP, LearnerChanges

YES = ("是", "y", "yes", "true", "1")
NO = ("否", "n", "no", "false", "0")
UNKNOWN = ("", "不详", "unknown")


def migrant_arg(text: str) -> bool | None:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    if value in UNKNOWN:
        return None
    raise argparse.ArgumentTypeError(f"“{text}”无法识别：请填写 是、否 或 不详")


def cmd_learners_edit(args: argparse.Namespace) -> int:
    changes = LearnerChanges(**{field: getattr(args, field) for field in FIELDS if getattr(args, field) is not KEEP})
    if not changes.given():
        raise AdultSchoolError("没有要修改的内容：请至少给出一项，例如 --phone 13857412345。")
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        learner_id = learner_edit.find_learner_id(session, args.student_number)
        if args.if_version is not None:
            expected = args.if_version
        else:
            expected = learner_edit.load_for_edit(session, learner_id, actor=actor(args)).version
        edited = learner_edit.update_learner(session, learner_id, expected, changes, actor(args))
    if edited.changed:
        print(f"已保存学员 {args.student_number} 的修改：{'、'.join(field_label(f, 'learners') for f in edited.changed)}。")
        print(f"learner {args.student_number} updated: {', '.join(edited.changed)} (version {edited.version})")
    else:
        print(f"学员 {args.student_number} 没有改动。")
        print(f"learner {args.student_number} unchanged (version {edited.version})")
    return EXIT_OK


FIELDS = ("name", "phone", "address", "employer", "job", "education", "household_location", "township", "is_migrant")


def add_subcommand(group: argparse._SubParsersAction, add: Adder) -> None:
    p = add(group, "edit", cmd_learners_edit, "修改学员的联系方式等登记信息（身份证号码、层次、报名日期、性别用 learners correct 更正）")
    p.add_argument("student_number", metavar="STUDENT_NUMBER", help="学员的任一学籍号")
    blank = "（给空字符串 \"\" 则清空）"
    p.add_argument("--name", default=KEEP, help="姓名")
    p.add_argument("--phone", default=KEEP, help="联系电话" + blank)
    p.add_argument("--address", default=KEEP, help="家庭地址" + blank)
    p.add_argument("--employer", default=KEEP, help="工作单位" + blank)
    p.add_argument("--job", default=KEEP, help="岗位" + blank)
    p.add_argument("--education", default=KEEP, help="文化程度" + blank)
    p.add_argument("--household", dest="household_location", default=KEEP, help="户籍所在地" + blank)
    p.add_argument("--township", default=KEEP, help="街道/镇" + blank)
    p.add_argument("--migrant", dest="is_migrant", type=migrant_arg, default=KEEP, metavar="是|否|不详",
                   help="流动人口")
    p.add_argument("--if-version", type=int, metavar="N",
                   help="只在学员信息仍是第 N 版时保存（别人改过则拒绝，什么也不写）")
