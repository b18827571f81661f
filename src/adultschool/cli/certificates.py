"""Certificates from the command line: `certificates list|revoke` and `verify TEXT` (exit 0 only for a genuine one;
every check audited). Their wording, layouts and calibration page are `config`/`print` subcommands, in
cli/certificate_config.py (the school module adds them to its groups)."""
from __future__ import annotations

import argparse
from pathlib import Path

from adultschool.cli.common import (
    EXIT_OK, EXIT_SOME_REJECTED, Adder, actor, is_list_file, open_db, print_table, write_list_file,
)
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Level
from adultschool.services import certificates


def cmd_certificates_list(args: argparse.Namespace) -> int:
    from adultschool.services import lists

    if is_list_file(args.out):
        return write_list_file(args, lists.CertificateList(search=args.search, state=args.state))
    if args.out is not None:
        raise AdultSchoolError(f"“{args.out.name}”：证书名单只能保存为 Excel（.xlsx）或 PDF（.pdf）文件。")
    db = open_db(args)
    with read_session(db.engine) as session:
        rows = [r for r in certificates.list_certificates(session) if lists.certificate_shown(r, args.search, args.state)]
    print_table(["证书编号", "学籍号", "姓名", "层次", "颁发日期", "打印次数", "状态"], [
        [r.number, r.student_number, r.name, Level(r.level).label, r.issued_on, r.prints,
         f"已撤销（{r.revoked_on}：{r.revoked_reason}）" if r.revoked_on else "有效"] for r in rows])
    return EXIT_OK


def cmd_certificates_revoke(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        revoked = certificates.revoke(session, args.number, reason=args.reason, actor=actor(args))
    print(f"已撤销 {revoked.name}（学籍号 {revoked.student_number}）的毕业证书 {revoked.number}：{revoked.reason}")
    print(f"revoked {revoked.number}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:  # the check itself is audited
        result = certificates.verify(session, " ".join(args.text), actor=actor(args))
    print(result.message)
    if result.name:
        print(f"持证人：{result.name}，身份证号码 {result.id_number}，{result.level}（请与证书原件核对）")
    print(f"verify {result.number}: {result.verdict.value}")
    return EXIT_OK if result.genuine else EXIT_SOME_REJECTED


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    group = commands.add_parser("certificates", help="毕业证书").add_subparsers(
        dest="certificates_command", metavar="COMMAND", required=True)
    p = add(group, "list", cmd_certificates_list, "证书列表（含打印次数和撤销情况）")
    p.add_argument("--search", help="姓名、学籍号或证书编号（的一部分）")
    p.add_argument("--state", choices=("all", "not_printed", "printed"), default="all",
                   help="all 全部（默认）；not_printed 未打印；printed 已打印")
    p.add_argument("--out", type=Path, metavar="FILE", help="写入 .xlsx 或 .pdf 文件（与“证书”页的导出相同）")
    p = add(group, "revoke", cmd_certificates_revoke, "撤销一张毕业证书（编号不再使用；撤销后不能补发）")
    p.add_argument("number", metavar="NUMBER", help="证书编号")
    p.add_argument("--reason", required=True, help="原因（记入审计记录并报给分中心）")
    p = add(commands, "verify", cmd_verify, "查验证书：扫描二维码得到的内容，或“证书编号 查验码”")
    p.add_argument("text", nargs="+", metavar="TEXT")
