"""Reading a sheet from the command line, shared by the import commands: the report of what was imported, the file of
rejected rows, saved and given column mappings, and the help shown when columns are not found.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session

from adultschool.cli.common import EXIT_OK, EXIT_SOME_REJECTED, EXIT_UNUSABLE, open_db
from adultschool.db import unit_of_work
from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.jobs import ConsoleJob
from adultschool.services import mappings
from adultschool.services.sheet_import import ColumnsNotFound, ImportReport, save_rejected


def print_import_report(report: ImportReport) -> None:
    print(f"文件：{report.file}  工作表：{report.sheet}  表头在第 {report.header_row} 行，数据 {report.rows_read} 行")
    for problem in report.warnings:
        column = f"[{problem.column}] " if problem.column else ""
        print(f"提醒 第 {problem.row} 行 {column}{problem.reason}")
    for problem in report.rejected:
        column = f"[{problem.column}] " if problem.column else ""
        print(f"未导入 第 {problem.row} 行 {column}{problem.reason}")


def finish_import(report: ImportReport, errors_out: Path | None) -> int:
    print_import_report(report)
    if errors_out is not None and report.rejected:
        print(f"未导入的行已写入 {errors_out}")
    if report.batch_id is not None:
        print(f"这次导入的编号是 {report.batch_id}：导错了可以用 adultschool imports undo {report.batch_id} --reason 原因 撤销。")
    print(report.summary_line())
    return EXIT_SOME_REJECTED if report.rejected else EXIT_OK


def run_import(args: argparse.Namespace, run: Callable[[Session, ConsoleJob], ImportReport]) -> int:
    """One transaction for the whole file; the report, the errors file and the exit status as DESIGN.md says.

    The errors workbook is written before the commit: if it cannot be written, nothing is imported (and the clerk is
    told so), never a committed import reported as failed."""
    db = open_db(args)
    job = ConsoleJob()
    try:
        with unit_of_work(db.engine) as session:
            report = run(session, job)
            if args.errors is not None and report.rejected:
                try:
                    save_rejected(report, args.errors)
                except AdultSchoolError as exc:
                    raise AdultSchoolError(f"{exc.message} 因此这次什么也没有导入：请换一个能写入的位置（--errors）再导入。") from None
                except OSError as exc:
                    raise AdultSchoolError(f"未导入行的文件 {args.errors} 写不进去（{os_error_text(exc)}）。"
                                           "因此这次什么也没有导入：请换一个能写入的位置（--errors）再导入。") from None
    except ColumnsNotFound as exc:  # the header lacks columns: show it, and what --map would say
        job.finish()
        print(f"错误：{exc}", file=sys.stderr)
        print(columns_help(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    job.finish()
    return finish_import(report, args.errors)


def mapping_for(session: Session, args: argparse.Namespace, kind: str, columns) -> dict[str, str] | None:  # noqa: ANN001
    """--mapping NAME and --map 身份证号码=证件号码 … as field → header (None: the names, or a kept mapping, decide)."""
    if not args.map and not args.mapping:
        return None
    return mappings.resolve(session, kind, columns, pairs=args.map or (), name=args.mapping)


def columns_help(exc: ColumnsNotFound) -> str:
    """The sheet's header row and, for each column the import needs, the best guess: what --map would say."""
    proposal = exc.proposal
    lines = [f"工作表“{exc.sheet_name}”第 {proposal.row} 行的表头：" + "、".join(
        f"{chr(65 + i) if i < 26 else i + 1}“{h}”" for i, h in enumerate(proposal.headers) if h)]
    wanted = [c for c in exc.columns if c.required]
    pairs = [f"{c.label}={proposal.headers[index]}" for c in wanted
             if (index := proposal.guesses.get(c.field)) is not None]
    missing = [c.label for c in wanted if proposal.guesses.get(c.field) is None]
    if pairs:
        lines.append("可以这样指定（请核对）：" + " ".join(f"--map {p}" for p in pairs))
    if missing:
        lines.append("找不到像" + "、".join(f"“{m}”" for m in missing) + "的列：请用 --map 列名=表里的列名 指定。")
    return "\n".join(lines)


def add_mapping_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--map", action="append", metavar="本软件列名=表里列名",
                   help="表头认不出时指定对应关系，如 --map 身份证号码=证件号码（可重复）")
    p.add_argument("--mapping", metavar="NAME", help="使用以前保存的列对应")
    p.add_argument("--save-mapping", metavar="NAME", help="这次用 --map 的对应关系保存成这个名字（默认用文件名）")
