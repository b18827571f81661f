"""Certificates from the command line: `certificates list|revoke`, `verify TEXT` (exit 0 only for a genuine one;
every check audited), `config certificate` (issuer and wording per level), `config layout` and `print calibration`
(printing on pre-printed stock), and the `--layout`/`--text-only` options of `print certificates`."""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from adultschool.cli.common import EXIT_OK, EXIT_SOME_REJECTED, Adder, actor, level_arg, open_db, print_table
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Level
from adultschool.printing import Layout
from adultschool.services import certificate_settings, certificates, documents, exams


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


# --- issuer and wording ------------------------------------------------------------------------------------------


def cmd_config_certificate(args: argparse.Namespace) -> int:
    db = open_db(args)
    levels = [args.level] if args.level else list(Level)
    given = any(v is not None for v in (args.issuer, args.title, args.seal, args.body))
    if given and not args.level:
        raise AdultSchoolError("修改证书措辞请用 --level 指定层次（初中或高中）。")
    with (unit_of_work if given else read_session)(db.engine) as session:
        if given:
            current = certificate_settings.wording(session, args.level)
            certificate_settings.set_wording(
                session, args.level, issuer=args.issuer if args.issuer is not None else current.issuer,
                title=args.title if args.title is not None else current.title,
                seal_text=args.seal if args.seal is not None else current.seal_text,
                body_text=args.body if args.body is not None else current.body_text, actor=actor(args))
        shown = [certificate_settings.wording(session, level) for level in levels]
    for w in shown:
        print(f"{w.level.label}：标题“{w.title}”，发证机关“{w.issuer or '（未填，不能打印证书）'}”，"
              f"印章文字“{w.seal_text or '（默认）'}”，正文{'（模板默认）' if not w.body_text else '：' + w.body_text}")
    if given:
        print(f"certificate wording {args.level.value} saved")
    return EXIT_OK


# --- printing on pre-printed stock -------------------------------------------------------------------------------


def add_layout_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--layout", metavar="NAME", help="用这台电脑上保存的套打设置（config layout）")
    parser.add_argument("--text-only", action="store_true", help="只印内容，不印边框、标题和虚线框（印在证书纸上）")


def layout_from(args: argparse.Namespace) -> Layout:
    layout = certificate_settings.layout_named(args.layout)
    return replace(layout, text_only=True) if args.text_only else layout


def cmd_config_layout(args: argparse.Namespace) -> int:
    if args.name is None:
        layouts = certificate_settings.print_layouts()
        print_table(["名称", "右移(mm)", "上移(mm)", "缩放", "只印内容"],
                    [[n, f"{l.offset_x_mm:g}", f"{l.offset_y_mm:g}", f"{l.scale:g}", "是" if l.text_only else "否"]
                     for n, l in layouts.items()])
        return EXIT_OK
    db = open_db(args)
    layout = Layout(offset_x_mm=args.offset_x, offset_y_mm=args.offset_y, scale=args.scale, text_only=args.text_only)
    with unit_of_work(db.engine) as session:
        certificate_settings.save_print_layout(session, args.name, layout, actor=actor(args))
    print(f"已保存套打设置“{args.name}”：右移 {layout.offset_x_mm:g} mm，上移 {layout.offset_y_mm:g} mm，缩放 {layout.scale:g}")
    print(f"layout {args.name} saved")
    return EXIT_OK


def cmd_print_calibration(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        documents.print_calibration_page(session, args.out, level=args.level or Level.SENIOR, layout=layout_from(args),
                                         font=args.font, actor=actor(args))
    print(f"校准页已写入 {args.out}：请按 100% 打印在白纸上，对着证书纸量偏差。")
    print(f"calibration page {args.out}")
    return EXIT_OK


def add_config_subcommands(group: argparse._SubParsersAction, add: Adder) -> None:
    p = add(group, "certificate", cmd_config_certificate, "证书的发证机关、标题、印章文字和正文措辞（按层次；不带参数查看）")
    p.add_argument("--level", type=level_arg, help="初中 或 高中")
    p.add_argument("--issuer", help="发证机关")
    p.add_argument("--title", help="证书标题（默认 毕业证书）")
    p.add_argument("--seal", help="印章处的文字")
    p.add_argument("--body", help="正文，可用占位符如 {name}、{study_from}（空字符串恢复模板默认）")
    p = add(group, "layout", cmd_config_layout, "套打设置（这台电脑的某台打印机）：不带名称列出已有的")
    p.add_argument("name", nargs="?", metavar="NAME", help="名称，通常用打印机的名字")
    p.add_argument("--offset-x", type=float, default=0.0, help="向右移（毫米，可为负）")
    p.add_argument("--offset-y", type=float, default=0.0, help="向上移（毫米，可为负）")
    p.add_argument("--scale", type=float, default=1.0, help="缩放（1 为原大）")
    p.add_argument("--text-only", action="store_true", help="只印内容")


def add_print_subcommands(group: argparse._SubParsersAction, add: Adder) -> None:
    p = add(group, "calibration", cmd_print_calibration, "套打校准页：毫米网格和十字线（按 100% 打印在白纸上）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--level", type=level_arg)
    p.add_argument("--font", help="这次用的字体文件（.ttf/.ttc）")
    add_layout_arguments(p)
