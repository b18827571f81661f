"""The certificate's `config certificate` (issuer and wording per level), `config layout` and `print calibration`
(printing on pre-printed stock), and the `--layout`/`--text-only` options of `print certificates`: subcommands of the
school module's `config` and `print` groups, kept here with the certificates' other settings. No register(): this is
no command module of its own (cli.COMMANDS), and it imports reportlab only when a layout is made or a page printed."""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from adultschool.cli.common import EXIT_OK, Adder, actor, level_arg, open_db, print_table
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Level
from adultschool.services import certificate_settings

if TYPE_CHECKING:
    from adultschool.printing import Layout


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
                    [[n, f"{layout.offset_x_mm:g}", f"{layout.offset_y_mm:g}", f"{layout.scale:g}",
                      "是" if layout.text_only else "否"]
                     for n, layout in layouts.items()])
        return EXIT_OK
    from adultschool.printing import Layout

    db = open_db(args)
    layout = Layout(offset_x_mm=args.offset_x, offset_y_mm=args.offset_y, scale=args.scale, text_only=args.text_only)
    with unit_of_work(db.engine) as session:
        certificate_settings.save_print_layout(session, args.name, layout, actor=actor(args))
    print(f"已保存套打设置“{args.name}”：右移 {layout.offset_x_mm:g} mm，上移 {layout.offset_y_mm:g} mm，缩放 {layout.scale:g}")
    print(f"layout {args.name} saved")
    return EXIT_OK


def cmd_print_calibration(args: argparse.Namespace) -> int:
    from adultschool.services import documents  # reportlab: only when the page is printed

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
