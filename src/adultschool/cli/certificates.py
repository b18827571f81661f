"""Certificates from the command line: `certificates list|revoke` and `verify TEXT` (exit 0 only for a genuine one;
every check audited). Their wording, layouts and calibration page are `config`/`print` subcommands, in
cli/certificate_config.py (the school module adds them to its groups)."""
from __future__ import annotations

import argparse

from adultschool.cli.common import EXIT_OK, EXIT_SOME_REJECTED, Adder, actor, open_db, print_table
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Level
from adultschool.services import certificates, exams


def cmd_certificates_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        rows = exams.list_certificates(session)
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
    add(group, "list", cmd_certificates_list, "证书列表（含打印次数和撤销情况）")
    p = add(group, "revoke", cmd_certificates_revoke, "撤销一张毕业证书（编号不再使用；撤销后不能补发）")
    p.add_argument("number", metavar="NUMBER", help="证书编号")
    p.add_argument("--reason", required=True, help="原因（记入审计记录并报给分中心）")
    p = add(commands, "verify", cmd_verify, "查验证书：扫描二维码得到的内容，或“证书编号 查验码”")
    p.add_argument("text", nargs="+", metavar="TEXT")
