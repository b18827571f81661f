"""Sync packages: the school makes them and reads receipts; the district makes its keys, merges packages, settles
conflicts, writes receipts (the quota report and the township counts are cli/quotas.py's)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from adultschool import clock
from adultschool.cli.common import (
    EXIT_OK, EXIT_SOME_REJECTED, EXIT_UNUSABLE, Adder, actor, emit, month_arg, open_db, print_table,
)
from adultschool.db import Database, read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.jobs import ConsoleJob
from adultschool.services import (
    district,
    district_conflicts,
    district_inbox,
    district_keypair,
    district_outbox,
    district_schools,
    district_status,
    package_imports,
    site,
    sync,
)

if TYPE_CHECKING:
    from adultschool.aspkg import DistrictKeyPair

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


_read = package_imports.read_file  # one reader of key, receipt and package files for the window and the command line


def _keys(args: argparse.Namespace, db: Database) -> DistrictKeyPair:
    key_file = _read(args.key, "密钥文件") if getattr(args, "key", None) else None
    with read_session(db.engine) as session:
        return district_keypair.district_keys(session, passphrase("分中心密钥口令："), key_file=key_file)


# --- school ------------------------------------------------------------------------------------------------------


def cmd_district_key(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        key = sync.set_district_key(session, _read(args.file, "公钥文件"), actor=actor(args), replace=args.replace)
    if key.changed:
        print(f"已更换分中心 {key.code} 的公钥：原指纹 {key.previous_fingerprint}，新指纹 {key.fingerprint}")
    elif key.previous_fingerprint == key.fingerprint:
        print(f"分中心 {key.code} 的公钥已经登记过（指纹 {key.fingerprint}），没有改动")
    else:
        print(f"已登记分中心 {key.code} 的公钥，指纹 {key.fingerprint}。请打电话与分中心核对这个指纹。")
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
        print(f"分中心尚缺本校的数据包（{result.missing.text()}）：请重新发送，或生成完整数据包（--full）。")
    for conflict in result.conflicts:
        print(sync.conflict_line(conflict))
    if result.unconfirmed:
        print(f"尚未确认：第 {'、'.join(map(str, result.unconfirmed))} 号")
    print(f"confirmed {len(result.confirmed)}, unconfirmed {len(result.unconfirmed)}")
    return EXIT_OK


def cmd_rekey(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        result = sync.rekey(session, actor=actor(args))
    print(f"已生成新的签名密钥，指纹 {result.fingerprint}，保存在 {result.key_file}。")
    if result.previous_fingerprint:
        kept = f"，文件 {result.previous_file} 原样保留" if result.previous_file else ""
        print(f"原来的密钥（指纹 {result.previous_fingerprint}）不再用于本数据库{kept}。")
    print("请把新的指纹告诉分中心，分中心确认（adultschool sync trust 学校代码 --fingerprint 新指纹）后才会接收新的数据包。")
    print(f"rekeyed {result.fingerprint}")
    return EXIT_OK


# --- district ----------------------------------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        site.require_district(session)
    secret = passphrase("为分中心私钥设一个口令（至少 8 个字符）：", confirm=True)
    with unit_of_work(db.engine) as session:
        result = district_keypair.keygen(session, args.out, secret, actor=actor(args), replace=args.replace)
    print(f"公钥（发给各学校）：{result.public_path}")
    print(f"私钥（口令保护，请另存一份到安全的地方）：{result.private_path}")
    print(f"keygen {result.fingerprint}")
    return EXIT_OK


def _import_district_package(args: argparse.Namespace, db: Database) -> int:
    """At a school: `sync import F.asdist [--dry-run]` shows what the district's package changes, and applies it."""
    if len(args.packages) != 1:
        raise AdultSchoolError("在学校一次导入一个分中心数据包：请只给出一个 .asdist 文件。")
    path = args.packages[0]
    data = _read(path, "数据包")
    job = ConsoleJob()
    with unit_of_work(db.engine) as session:
        report = district_inbox.import_district_package(session, data, file_name=Path(path).name, actor=actor(args),
                                                        dry_run=args.dry_run, job=job)
    job.finish()
    for line in report.lines():
        print(line)
    if report.dry_run and not report.already:
        print("（预览：没有任何改动。去掉 --dry-run 才会导入。）")
    print(report.summary_line())
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        at_district = site.is_district(session)
    if not at_district:
        return _import_district_package(args, db)
    if args.dry_run:
        raise AdultSchoolError("--dry-run 用于在学校预览分中心的数据包；分中心导入学校的数据包时每个数据包一个事务，出错不会写入。")
    keys = _keys(args, db)
    job = ConsoleJob()
    outcomes = package_imports.import_packages(db.engine, list(args.packages), keys, who=actor(args), job=job)
    job.finish()
    failed = 0
    for outcome in outcomes:
        for kind, text in package_imports.outcome_lines(outcome):
            print(text, file=sys.stderr if kind == "error" else sys.stdout)
        if outcome.report is None:
            failed += 1
        else:
            print(outcome.report.summary_line())
    if failed:
        print(f"导入 {len(outcomes) - failed} 个数据包，{failed} 个未导入（原因见上）。")
        print(f"imported {len(outcomes) - failed}, rejected {failed}")
        return EXIT_UNUSABLE if failed == len(outcomes) else EXIT_SOME_REJECTED
    return EXIT_OK


def cmd_district_export(args: argparse.Namespace) -> int:
    """At the district: the next package for one school (--school CODE --out FILE) or for all (--all --out DIR)."""
    if bool(args.school) == bool(args.all):
        raise AdultSchoolError("请给出 --school 学校代码（一个学校），或 --all（名册上的全部学校）。")
    db = open_db(args)
    keys = _keys(args, db)
    if args.school:
        with unit_of_work(db.engine) as session:
            made = [district_outbox.export_for_school(session, args.school, args.out, keys=keys, actor=actor(args))]
        skipped: list[str] = []
    else:
        job = ConsoleJob()
        with unit_of_work(db.engine) as session:
            result = district_outbox.export_for_all(session, args.out, keys=keys, actor=actor(args), job=job)
        job.finish()
        made, skipped = result.made, result.skipped
    for summary in made:
        print(summary.line())
    for line in skipped:
        print(f"未生成：{line}")
    print(f"district packages {len(made)}, skipped {len(skipped)}")
    return EXIT_OK


def cmd_trust(args: argparse.Namespace) -> int:
    """`sync trust CODE --fingerprint F` (the next package must carry that key), or, as before,
    `sync trust --school CODE --fingerprint F PACKAGE` (the key is taken from that package)."""
    positional = list(args.items)
    code = args.school or (positional.pop(0) if positional else None)
    if code is None:
        raise AdultSchoolError("请给出学校代码：adultschool sync trust 学校代码 --fingerprint 指纹")
    if len(positional) > 1:
        raise AdultSchoolError("多余的参数：只能给出学校代码和（可选的）一个数据包文件。")
    db = open_db(args)
    if positional:
        keys = _keys(args, db)
        with unit_of_work(db.engine) as session:
            fingerprint: str | None = district.trust_school(session, _read(Path(positional[0]), "数据包"), school_code=code,
                                                            fingerprint=args.fingerprint, keys=keys, actor=actor(args))
        print(f"已确认学校 {code} 的签名密钥，指纹 {fingerprint}。")
    else:
        with unit_of_work(db.engine) as session:
            school = district_schools.accept_fingerprint(session, code, args.fingerprint, actor=actor(args))
        fingerprint = school.fingerprint
        print(f"已确认学校 {code}（{school.name}）的签名密钥指纹 {fingerprint}：此后以这个密钥签名的数据包才会导入。")
    print(f"trusted {code} {fingerprint}")
    return EXIT_OK


def cmd_receipt(args: argparse.Namespace) -> int:
    db = open_db(args)
    keys = _keys(args, db)
    with read_session(db.engine) as session:
        body = district_status.save_receipt(session, args.school, keys, args.out)
    print(f"已为 {args.school} 生成回执：数据包 {len(body['packages'])} 个，缺号 {body['gaps']['count']} 个，"
          f"冲突 {len(body['conflicts'])} 条。")
    print(f"receipt {args.school}: packages {len(body['packages'])}, missing {body['gaps']['count']}, "
          f"conflicts {len(body['conflicts'])}")
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    db = open_db(args)
    # Showing full ID numbers writes an audit entry, so that listing needs a write transaction.
    with (unit_of_work if args.unmasked else read_session)(db.engine) as session:
        conflicts = district_conflicts.list_conflicts(session, include_settled=args.all, unmasked=args.unmasked, actor=actor(args))
    print_table(("编号", "身份证号码", "姓名", "先登记的学校", "其学籍", "后登记的学校", "其学籍", "状态", "待合并行数"),
                [(c.id, c.id_number, c.name, c.existing_school, c.enrolments_text("existing"), c.incoming_school,
                  c.enrolments_text("incoming"), c.status_text, c.held_rows) for c in conflicts])
    for c in conflicts:
        print(f"冲突 {c.id} 的解决办法：{c.way_out}")
    print(f"conflicts {len(conflicts)}, open {sum(c.status.is_unresolved for c in conflicts)}")
    return EXIT_OK


def cmd_settle(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        result = district_conflicts.settle_conflict(session, args.conflict, actor=actor(args), note=args.note, keep=args.keep)
    if result.decided:
        print(f"已记录裁定：由学校 {result.keep_school} 保留学籍，学校 {result.other_school} 须办理退学或作废。"
              f"请为学校 {result.other_school} 生成回执（adultschool sync receipt --school {result.other_school}），"
              "收到它办理退学后的数据包时冲突会自动确认为同一人。")
    else:
        print(f"冲突 {result.conflict_id} 已确认为同一人，合并了 {result.merged} 行暂缓的数据。")
    print(result.line())
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        if site.is_district(session):
            statuses = district_status.school_statuses(session, args.month or clock.today())
            print_table(("学校代码", "学校", "名册", "本月已报送", "数据包数", "最近序号", "最近收到", "缺少", "待处理冲突",
                         "发给学校的数据包"),
                        [(s.code, s.name, s.key_state, "是" if s.sent_this_month else "否", s.packages,
                          s.last_sequence or "",
                          s.last_received_at.strftime("%Y-%m-%d %H:%M") if s.last_received_at else "从未",
                          s.missing.text(), s.open_conflicts,
                          f"第 {s.district_sequence} 号，{s.last_sent_at:%Y-%m-%d %H:%M}" if s.last_sent_at else "从未")
                         for s in statuses])
            return EXIT_OK
        history = sync.export_history(session)
        applied = district_inbox.import_history(session)
        key = sync.district_key(session)
        own = sync.own_fingerprint(session)
        pending = sync.pending_full_package(session)
    print(f"本校签名密钥指纹：{own or '（尚未生成）'}")
    print(f"分中心公钥：{f'{key.code}，指纹 {key.fingerprint}' if key else '（尚未登记）'}")
    if pending:
        print(f"提醒：{pending}")
    if applied:
        last = applied[0]
        print(f"最近导入的分中心数据包：第 {last.sequence} 号（分中心 {last.made_at[:16].replace('T', ' ')} 生成，"
              f"{last.applied_at:%Y-%m-%d %H:%M} 导入）")
    else:
        print("最近导入的分中心数据包：（还没有）")
    print_table(("序号", "生成时间", "类型", "行数", "文件", "分中心确认"),
                [(e.sequence, e.created_at.strftime("%Y-%m-%d %H:%M"), "完整" if e.full else "增量", e.rows, e.file_name,
                  e.confirmed_at.strftime("%Y-%m-%d %H:%M") if e.confirmed_at else "未确认") for e in history])
    return EXIT_OK


# --- the district's roster of schools -----------------------------------------------------------------------------


def cmd_schools_add(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        school = district_schools.add_school(session, args.code, name=args.name, townships=args.township,
                                             fingerprint=args.fingerprint, actor=actor(args))
    if school.fingerprint:
        print(f"已登记学校 {school.code}（{school.name}），密钥指纹 {school.fingerprint}：以这个密钥签名的数据包将直接导入。")
    else:
        print(f"已登记学校 {school.code}（{school.name}）。它的第一个数据包会显示密钥指纹，电话核对后用 "
              f"“adultschool sync trust {school.code} --fingerprint 指纹” 确认，才会导入。")
    print(f"added school {school.code}{' ' + school.fingerprint if school.fingerprint else ''}")
    return EXIT_OK


def cmd_schools_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        schools = district_schools.list_schools(session, include_retired=True)
    records = [{"code": s.code, "name": s.name, "townships": list(s.townships), "fingerprint": s.fingerprint,
                "key_state": s.key_state, "active": s.active, "epoch": s.epoch,
                "last_received_at": s.last_received_at.isoformat() if s.last_received_at else None} for s in schools]
    if args.format == "json":
        emit("json", (), (), records)
        return EXIT_OK
    print_table(("学校代码", "学校", "服务街道/镇", "密钥指纹", "状态", "最近收到"),
                [(s.code, s.name, "、".join(s.townships), s.fingerprint or "", s.key_state,
                  s.last_received_at.strftime("%Y-%m-%d %H:%M") if s.last_received_at else "从未") for s in schools])
    print(f"schools {len(schools)}, active {sum(s.active for s in schools)}")
    return EXIT_OK


def cmd_schools_retire(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        school = district_schools.retire_school(session, args.code, reason=args.reason, actor=actor(args))
    print(f"已停用学校 {school.code}（{school.name}）：不再接收它的数据包，已收到的数据保留。")
    print(f"retired school {school.code}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    group = commands.add_parser("sync", help="数据包（学校 → 分中心）").add_subparsers(
        dest="sync_command", metavar="COMMAND", required=True)
    p = add(group, "keygen", cmd_keygen, "（分中心）生成密钥：DIR/district.pub 发给学校，DIR/district.key 口令保护")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--replace", action="store_true", help="更换已有密钥（各学校需重新登记公钥）")
    p = add(group, "district-key", cmd_district_key, "（学校）登记分中心公钥文件 district.pub；更换已登记的须管理员并加 --replace")
    p.add_argument("file", type=Path)
    p.add_argument("--replace", action="store_true", help="确认更换已登记的分中心公钥（先电话核对两个指纹）")
    p = add(group, "export", cmd_export, "（学校）生成下一个数据包")
    p.add_argument("--to", type=Path, help="分中心公钥文件（第一次必须给出，之后可省略）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--full", action="store_true", help="包含全部数据（补发丢失的数据包）")
    p = add(group, "import", cmd_import,
            "分中心：校验并合并学校的数据包，每个数据包一个事务；学校：导入分中心发来的数据包（.asdist），可先 --dry-run 预览")
    p.add_argument("packages", type=Path, nargs="+")
    p.add_argument("--key", type=Path, help="分中心私钥文件 district.key（默认用 keygen 时存入数据库的那份）")
    p.add_argument("--dry-run", action="store_true", help="（学校）只显示分中心数据包会改动什么，不导入")
    p = add(group, "district-export", cmd_district_export,
            "（分中心）生成给学校的数据包：任务数、规则、证书措辞、考试批次、成绩、回执")
    p.add_argument("--school", help="学校代码")
    p.add_argument("--all", action="store_true", help="名册上的全部学校（--out 为文件夹）")
    p.add_argument("--out", type=Path, required=True, help="文件（--school）或文件夹（--all）")
    p.add_argument("--key", type=Path)
    p = add(group, "receipt", cmd_receipt, "（分中心）为学校生成签名回执")
    p.add_argument("--school", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--key", type=Path)
    p = add(group, "confirm", cmd_confirm, "（学校）导入分中心回执")
    p.add_argument("file", type=Path)
    p = add(group, "status", cmd_status, "学校：已生成的数据包及确认情况；分中心：各校报送情况")
    p.add_argument("--month", type=month_arg, help="（分中心）看哪个月是否报送，YYYY-MM")
    p = add(group, "conflicts", cmd_conflicts, "（分中心）同一人在两所学校登记的冲突")
    p.add_argument("--all", action="store_true", help="包括已处理的")
    p.add_argument("--unmasked", action="store_true")
    p = add(group, "settle", cmd_settle, "（分中心）确认冲突双方为同一人；两校同一层次都有学籍时用 --keep 裁定由哪一校保留")
    p.add_argument("conflict", type=int)
    p.add_argument("--keep", metavar="SCHOOL_CODE", help="保留学籍的学校，另一所学校须办理退学或作废")
    p.add_argument("--note")
    p = add(group, "trust", cmd_trust, "（分中心）电话核对后，确认学校的签名密钥：sync trust 学校代码 --fingerprint 指纹")
    p.add_argument("items", nargs="*", metavar="CODE [PACKAGE]",
                   help="学校代码；可再给一个该校的数据包文件，从中取密钥（旧写法：--school 代码 … 数据包）")
    p.add_argument("--school", help="学校代码（旧写法）")
    p.add_argument("--fingerprint", required=True)
    p.add_argument("--key", type=Path)
    add(group, "rekey", cmd_rekey, "（学校）签名密钥丢失时生成新密钥（旧密钥文件原样保留）")
    schools = group.add_parser("schools", help="（分中心）本区学校名册").add_subparsers(
        dest="schools_command", metavar="COMMAND", required=True)
    p = add(schools, "add", cmd_schools_add, "把学校登记到名册（代码须为 分中心代码-NN）")
    p.add_argument("code")
    p.add_argument("--name", required=True)
    p.add_argument("--township", action="append", help="它服务的街道/镇（可重复）")
    p.add_argument("--fingerprint", help="学校读给您的签名密钥指纹；登记后它的第一个数据包直接导入")
    p = add(schools, "list", cmd_schools_list, "名册上的学校、密钥指纹和状态")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p = add(schools, "retire", cmd_schools_retire, "停用学校：不再接收它的数据包")
    p.add_argument("code")
    p.add_argument("--reason")
