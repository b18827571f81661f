"""Sync packages: the school makes them and reads receipts; the district makes its keys, merges packages, settles
conflicts, writes receipts and the quota report."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from adultschool import clock
from adultschool.cli.common import EXIT_OK, EXIT_SOME_REJECTED, EXIT_UNUSABLE, Adder, actor, open_db, print_table
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.jobs import ConsoleJob
from adultschool.models import CountKind
from adultschool.services import district, quotas, sync

PASSPHRASE_ENV = "ADULTSCHOOL_PASSPHRASE"


def passphrase(prompt: str, *, confirm: bool = False) -> str:
    """From ADULTSCHOOL_PASSPHRASE, else asked at the terminal (twice when making a key)."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        raise AdultSchoolError(f"需要分中心密钥的口令：请在终端运行，或用环境变量 {PASSPHRASE_ENV} 给出。")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("再输入一次：") != first:
        raise AdultSchoolError("两次输入的口令不一致，没有生成密钥。")
    return first


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AdultSchoolError(f"无法读取{what} {path}：{exc.strerror or exc}") from None


def _keys(args: argparse.Namespace, db) -> object:
    key_file = _read(args.key, "密钥文件") if getattr(args, "key", None) else None
    with read_session(db.engine) as session:
        return district.district_keys(session, passphrase("分中心密钥口令："), key_file=key_file)


# --- school ------------------------------------------------------------------------------------------------------


def cmd_district_key(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        key = sync.set_district_key(session, _read(args.file, "公钥文件"), actor=actor(args))
    print(f"已登记分中心 {key.code} 的公钥，指纹 {key.fingerprint}")
    print(f"district key {key.code} {key.fingerprint}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    db = open_db(args)
    job = ConsoleJob()
    key_file = _read(args.to, "公钥文件") if args.to else None
    with unit_of_work(db.engine) as session:
        summary = sync.export_package(session, args.out, district_key_file=key_file, full=args.full,
                                      actor=actor(args), job=job)
    job.finish()
    for table, count in summary.counts.items():
        if count:
            print(f"  {table}: {count}")
    print(f"本校签名密钥指纹：{summary.fingerprint}")
    print(f"已生成第 {summary.sequence} 号数据包（{'完整' if summary.full else '增量'}）：{summary.path}")
    print(f"exported package {summary.sequence}, rows {summary.rows}{' (full)' if summary.full else ''}")
    return EXIT_OK


def cmd_confirm(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        result = sync.confirm_receipt(session, _read(args.file, "回执文件"), actor=actor(args))
    print(f"分中心 {result.district} 的回执（{result.made_at[:16].replace('T', ' ')}）")
    if result.missing:
        print(f"分中心尚缺第 {'、'.join(map(str, result.missing))} 号数据包：请重新发送，或生成完整数据包（--full）。")
    for conflict in result.conflicts:
        print(f"冲突：{conflict.get('name')} {conflict.get('id_number')} 也在学校 {conflict.get('other_school')} 登记"
              f"（{'待分中心处理' if conflict.get('status') == 'open' else '已处理'}）")
    if result.unconfirmed:
        print(f"尚未确认：第 {'、'.join(map(str, result.unconfirmed))} 号")
    print(f"confirmed {len(result.confirmed)}, unconfirmed {len(result.unconfirmed)}")
    return EXIT_OK


def cmd_rekey(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        fingerprint = sync.rekey(session, actor=actor(args))
    print(f"已生成新的签名密钥，指纹 {fingerprint}。请把这个指纹告诉分中心，分中心确认后才会接收新的数据包。")
    print(f"rekeyed {fingerprint}")
    return EXIT_OK


# --- district ----------------------------------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        district.require_district(session)
    secret = passphrase("为分中心私钥设一个口令（至少 8 个字符）：", confirm=True)
    with unit_of_work(db.engine) as session:
        result = district.keygen(session, args.out, secret, actor=actor(args), replace=args.replace)
    print(f"公钥（发给各学校）：{result.public_path}")
    print(f"私钥（口令保护，请另存一份到安全的地方）：{result.private_path}")
    print(f"keygen {result.fingerprint}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    db = open_db(args)
    keys = _keys(args, db)
    failed = 0
    for path in args.packages:
        try:
            data = _read(path, "数据包")
            job = ConsoleJob()
            with unit_of_work(db.engine) as session:
                report = district.import_package(session, data, file_name=Path(path).name, keys=keys,
                                                 actor=actor(args), job=job)
            job.finish()
        except AdultSchoolError as exc:
            failed += 1
            print(f"未导入 {path}：{exc}", file=sys.stderr)
            continue
        print(f"{path}：学校 {report.school_name}（{report.school_code}）第 {report.sequence} 号")
        if report.first_contact:
            print(f"  首次收到该校数据包，已记下其密钥指纹 {report.first_contact}。请与学校核对。")
        if report.already:
            print("  这个数据包以前已经导入过，没有任何改动。")
        for warning in report.warnings:
            print(f"  提醒：{warning}")
        if report.new_conflicts:
            print(f"  新冲突 {report.new_conflicts} 个（同一人在两所学校登记），请用 “adultschool sync conflicts” 查看。")
        if report.missing:
            print(f"  缺少学校 {report.school_code} 的第 {'、'.join(map(str, report.missing))} 号数据包。")
        print(report.summary_line())
    if failed:
        print(f"imported {len(args.packages) - failed}, rejected {failed}")
        return EXIT_UNUSABLE if failed == len(args.packages) else EXIT_SOME_REJECTED
    return EXIT_OK


def cmd_trust(args: argparse.Namespace) -> int:
    db = open_db(args)
    keys = _keys(args, db)
    with unit_of_work(db.engine) as session:
        fingerprint = district.trust_school(session, _read(args.package, "数据包"), school_code=args.school,
                                            fingerprint=args.fingerprint, keys=keys, actor=actor(args))
    print(f"trusted {args.school} {fingerprint}")
    return EXIT_OK


def cmd_receipt(args: argparse.Namespace) -> int:
    db = open_db(args)
    keys = _keys(args, db)
    with read_session(db.engine) as session:
        data, body = district.make_receipt(session, args.school, keys)
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        raise AdultSchoolError(f"无法保存回执 {args.out}：{exc.strerror or exc}") from None
    print(f"receipt {args.school}: packages {len(body['packages'])}, missing {len(body['missing'])}, "
          f"conflicts {len(body['conflicts'])}")
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    db = open_db(args)
    # Showing full ID numbers writes an audit entry, so that listing needs a write transaction.
    with (unit_of_work if args.unmasked else read_session)(db.engine) as session:
        conflicts = district.list_conflicts(session, include_settled=args.all, unmasked=args.unmasked, actor=actor(args))
    print_table(("编号", "身份证号码", "姓名", "先登记的学校", "后登记的学校", "状态", "待合并行数"),
                [(c.id, c.id_number, c.name, c.existing_school, c.incoming_school, c.status.label, c.held_rows)
                 for c in conflicts])
    return EXIT_OK


def cmd_settle(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        merged = district.settle_conflict(session, args.conflict, actor=actor(args), note=args.note)
    print(f"settled conflict {args.conflict}, merged {merged}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        if district.is_district(session):
            statuses = district.school_statuses(session, args.month or clock.today())
            print_table(("学校代码", "学校", "本月已报送", "数据包数", "最近序号", "最近收到", "缺少", "待处理冲突"),
                        [(s.code, s.name, "是" if s.sent_this_month else "否", s.packages, s.last_sequence or "",
                          s.last_received_at.strftime("%Y-%m-%d %H:%M") if s.last_received_at else "从未",
                          "、".join(map(str, s.missing)), s.open_conflicts) for s in statuses])
            return EXIT_OK
        history = sync.export_history(session)
        key = sync.district_key(session)
        own = sync.own_fingerprint(session)
    print(f"本校签名密钥指纹：{own or '（尚未生成）'}")
    print(f"分中心公钥：{f'{key.code}，指纹 {key.fingerprint}' if key else '（尚未登记）'}")
    print_table(("序号", "生成时间", "类型", "行数", "文件", "分中心确认"),
                [(e.sequence, e.created_at.strftime("%Y-%m-%d %H:%M"), "完整" if e.full else "增量", e.rows, e.file_name,
                  e.confirmed_at.strftime("%Y-%m-%d %H:%M") if e.confirmed_at else "未确认") for e in history])
    return EXIT_OK


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"月份“{text}”格式不对，应为 YYYY-MM") from None


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
    print(f"recorded {args.township} {args.month:%Y-%m} {args.kind} {args.count}")
    return EXIT_OK


def add_quota_report(group, add: Adder) -> None:
    """`report quotas`, added to the report group the school's module makes."""
    p = add(group, "quotas", cmd_report_quotas, "各街道/镇任务完成情况（R8、R14、排摸进度；分中心另附各校报送情况）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--month", type=_month, help="YYYY-MM（默认本月）")


def add_township_count(group, add: Adder) -> None:
    p = add(group, "count", cmd_township_count, "登记某月推荐大专及以上人数或职业技能培训人次（R14）")
    p.add_argument("township")
    p.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    p.add_argument("--kind", choices=[k.value for k in CountKind], required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--note")


def register(commands, add: Adder) -> None:
    group = commands.add_parser("sync", help="数据包（学校 → 分中心）").add_subparsers(
        dest="sync_command", metavar="COMMAND", required=True)
    p = add(group, "keygen", cmd_keygen, "（分中心）生成密钥：DIR/district.pub 发给学校，DIR/district.key 口令保护")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--replace", action="store_true", help="更换已有密钥（各学校需重新登记公钥）")
    p = add(group, "district-key", cmd_district_key, "（学校）登记分中心公钥文件 district.pub")
    p.add_argument("file", type=Path)
    p = add(group, "export", cmd_export, "（学校）生成下一个数据包")
    p.add_argument("--to", type=Path, help="分中心公钥文件（第一次必须给出，之后可省略）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--full", action="store_true", help="包含全部数据（补发丢失的数据包）")
    p = add(group, "import", cmd_import, "（分中心）校验并合并数据包，每个数据包一个事务")
    p.add_argument("packages", type=Path, nargs="+")
    p.add_argument("--key", type=Path, help="分中心私钥文件 district.key（默认用 keygen 时存入数据库的那份）")
    p = add(group, "receipt", cmd_receipt, "（分中心）为学校生成签名回执")
    p.add_argument("--school", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--key", type=Path)
    p = add(group, "confirm", cmd_confirm, "（学校）导入分中心回执")
    p.add_argument("file", type=Path)
    p = add(group, "status", cmd_status, "学校：已生成的数据包及确认情况；分中心：各校报送情况")
    p.add_argument("--month", type=_month, help="（分中心）看哪个月是否报送，YYYY-MM")
    p = add(group, "conflicts", cmd_conflicts, "（分中心）同一人在两所学校登记的冲突")
    p.add_argument("--all", action="store_true", help="包括已处理的")
    p.add_argument("--unmasked", action="store_true")
    p = add(group, "settle", cmd_settle, "（分中心）确认冲突双方为同一人，合并后登记学校的数据")
    p.add_argument("conflict", type=int)
    p.add_argument("--note")
    p = add(group, "trust", cmd_trust, "（分中心）电话核对后，接受学校更换的签名密钥")
    p.add_argument("--school", required=True)
    p.add_argument("--fingerprint", required=True)
    p.add_argument("package", type=Path)
    p.add_argument("--key", type=Path)
    add(group, "rekey", cmd_rekey, "（学校）签名密钥丢失时生成新密钥")
