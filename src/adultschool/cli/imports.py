"""`adultschool imports list [--format table|json]` and `imports undo ID --reason TEXT`: every import is a batch that
can be undone while nothing depends on it (services.imports)."""
from __future__ import annotations

import argparse

from adultschool.cli.common import EXIT_OK, Adder, actor, add_list_output, emit, open_db
from adultschool.db import read_session, unit_of_work
from adultschool.services import imports, mappings


def cmd_imports_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        batches = imports.list_batches(session, actor=actor(args))
    if args.format == "json":
        emit("json", [], [], [b.as_json() for b in batches], out=args.out)
        return EXIT_OK
    records = [{"id": b.id, "kind": b.kind_label, "file": b.file, "rows": b.rows,
                "at": b.at.astimezone().strftime("%Y-%m-%d %H:%M"), "actor": b.actor,
                "state": f"已撤销（{b.undone_by}：{b.undo_reason}）" if b.undone_at else b.summary} for b in batches]
    emit("table", ["编号", "类别", "文件", "记录", "导入时间", "操作人", "情况"],
         ["id", "kind", "file", "rows", "at", "actor", "state"], records, out=args.out)
    return EXIT_OK


def cmd_imports_undo(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        report = imports.undo(session, args.id, reason=args.reason, actor=actor(args))
    for line in report.lines():
        print(line)
    print(report.summary_line())
    return EXIT_OK


def cmd_imports_mappings(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        found = mappings.list_mappings(session)
    records = [{"name": m.name, "kind": imports.KIND_LABELS.get(m.kind, m.kind), "signature": m.signature,
                "fields": "、".join(f"{field}={header}" for field, header in m.fields.items())} for m in found]
    emit(args.format, ["名称", "类别", "表头签名", "对应"], ["name", "kind", "signature", "fields"], records)
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    group = commands.add_parser("imports", help="导入记录（可撤销）").add_subparsers(
        dest="imports_command", metavar="COMMAND", required=True)
    p = add(group, "list", cmd_imports_list, "每次导入的记录：编号、类别、文件、条数、时间")
    add_list_output(p, ("table", "json"))
    p = add(group, "undo", cmd_imports_undo, "撤销一次导入：删去它新增的、恢复它改动的（之后有依赖的会拒绝并说明原因）")
    p.add_argument("id", type=int, metavar="ID", help="导入编号（imports list 里的编号）")
    p.add_argument("--reason", required=True, help="原因（记入审计记录）")
    p = add(group, "mappings", cmd_imports_mappings, "保存过的列对应（导入时用 --mapping 名称）")
    p.add_argument("--format", choices=("table", "json"), default="table")
