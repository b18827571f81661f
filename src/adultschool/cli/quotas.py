"""The quota report and the township counts of R14 (`report quotas`, `township count`): subcommands of the `report`
and `township` groups that cli/reports.py and cli/school.py make."""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool import clock
from adultschool.cli.choices import add_choice
from adultschool.cli.common import EXIT_OK, Adder, actor, month_arg, open_db
from adultschool.db import read_session, unit_of_work
from adultschool.jobs import ConsoleJob
from adultschool.models import CountKind
from adultschool.services import quotas


def cmd_report_quotas(args: argparse.Namespace) -> int:
    db = open_db(args)
    month = args.month or clock.today().replace(day=1)
    job = ConsoleJob()
    with read_session(db.engine) as session:
        report = quotas.write_quota_report(session, args.out, year=month.year, month=month.month, job=job)
    job.finish()
    total = report.totals()
    print(f"已写入 {args.out}（截至 {report.as_of.isoformat()}）")
    print(f"quotas {month.year}-{month.month:02d}: townships {len(report.townships)}, registered {total.registered}, "
          f"quota {total.quota if total.quota is not None else '-'}")
    return EXIT_OK


def cmd_township_count(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        quotas.record_count(session, township=args.township, year=args.month.year, month=args.month.month,
                            kind=CountKind(args.kind), count=args.count, note=args.note, actor=actor(args))
    print(f"已登记 {args.township} {args.month.year}年{args.month.month}月 {CountKind(args.kind).label} {args.count}。")
    print(f"recorded {args.township} {args.month:%Y-%m} {args.kind} {args.count}")
    return EXIT_OK


def add_quota_report(group: argparse._SubParsersAction, add: Adder) -> None:
    """`report quotas`, in the `report` group of cli/reports.py."""
    p = add(group, "quotas", cmd_report_quotas, "各街道/镇任务完成情况（R8、R14、排摸进度；分中心另附各校报送情况）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--month", type=month_arg, help="YYYY-MM（默认本月）")


def add_township_count(group: argparse._SubParsersAction, add: Adder) -> None:
    p = add(group, "count", cmd_township_count, "登记某月推荐大专及以上人数或职业技能培训人次（R14）")
    p.add_argument("township")
    p.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    add_choice(p, "--kind", CountKind, required=True,
               other_words={"skills_training": ("技能培训", "培训人次"), "college_referral": ("推荐大专", "大专")})
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--note")
