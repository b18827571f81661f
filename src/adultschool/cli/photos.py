"""`adultschool photos import FOLDER_OR_ZIP`: learners' photos named by ID number or student number (services.photos)."""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool.cli.common import EXIT_OK, EXIT_SOME_REJECTED, Adder, actor, open_db
from adultschool.db import unit_of_work
from adultschool.jobs import ConsoleJob
from adultschool.services import photos


def cmd_photos_import(args: argparse.Namespace) -> int:
    db = open_db(args)
    job = ConsoleJob()
    with unit_of_work(db.engine) as session:
        report = photos.import_photos(session, args.source, actor=actor(args), job=job)
    job.finish()
    for kind, problems in (("未匹配", report.unmatched), ("有问题", report.bad), ("重复", report.duplicates)):
        for problem in problems:
            print(f"{kind} {problem.file}：{problem.reason}")
    print(f"共 {report.files} 个文件：新增照片 {len(report.added)} 张，替换 {len(report.replaced)} 张。")
    if report.batch_id is not None:
        print(f"这次导入的编号是 {report.batch_id}：导错了可以用 adultschool imports undo {report.batch_id} --reason 原因 撤销。")
    print(report.summary_line())
    return EXIT_SOME_REJECTED if report.unmatched or report.bad or report.duplicates else EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    group = commands.add_parser("photos", help="学员照片").add_subparsers(dest="photos_command", metavar="COMMAND",
                                                                       required=True)
    p = add(group, "import", cmd_photos_import, "导入照片：文件夹或 zip 里按身份证号码或学籍号命名的 jpg/png/bmp")
    p.add_argument("source", type=Path, metavar="FOLDER_OR_ZIP")
