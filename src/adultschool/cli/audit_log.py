"""`audit list`: the audit log, filtered, as a table, CSV or JSON (a subcommand of cli/school.py's `audit` group)."""
from __future__ import annotations

import argparse

from adultschool.cli.common import EXIT_OK, Adder, actor, add_list_output, date_arg, emit, open_db
from adultschool.db import read_session
from adultschool.services import audit_log


def cmd_audit_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    flt = audit_log.AuditFilter(actor=args.actor, action=args.action, since=args.since, until=args.until,
                                text=args.search)
    with read_session(db.engine) as session:
        rows = audit_log.list_entries(session, flt, actor=actor(args), limit=args.limit)
    if args.format == "json":
        emit("json", [], [], [r.as_json() for r in rows], out=args.out)
        return EXIT_OK
    records = [{"id": r.id, "at": r.local_time, "actor": r.actor, "action": r.action, "action_label": r.action_label,
                "summary": r.summary, "before": r.before or "", "after": r.after or ""} for r in rows]
    if args.format == "csv":
        emit("csv", [], ["id", "at", "actor", "action", "summary", "before", "after"], records, out=args.out)
        return EXIT_OK

    def short(text: str) -> str:
        return text if len(text) <= 60 else text[:57] + "…"

    for record, row in zip(records, rows):  # the table in Chinese words; CSV and JSON keep the entry as written
        record["before"], record["after"] = short(row.before_text), short(row.after_text)
    emit("table", ["序号", "时间", "账户", "操作", "内容", "改动前", "改动后"],
         ["id", "at", "actor", "action_label", "summary", "before", "after"], records, out=args.out)
    return EXIT_OK


def add_audit_list(group: argparse._SubParsersAction, add: Adder) -> None:  # the `audit` group of cli/school.py
    p = add(group, "list", cmd_audit_list, "列出审计记录（新的在前；管理员）")
    p.add_argument("--actor", help="只看这个账户的")
    p.add_argument("--action", help="只看这种操作，如 learner.register；以“.”结尾表示一类，如 account.")
    p.add_argument("--since", type=date_arg, help="从这天起（含）")
    p.add_argument("--until", type=date_arg, help="到这天止（含）")
    p.add_argument("--search", help="内容或改动里含有的文字")
    p.add_argument("--limit", type=int, default=500, help="最多列出多少条（默认 500）")
    add_list_output(p)
