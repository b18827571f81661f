"""This computer: `config` (the printing font, the certificate layout) and `gui`, the window.
"""
from __future__ import annotations

import argparse


from adultschool.cli.common import EXIT_OK, Adder, actor, open_db
from adultschool.cli import certificate_config as certificate_commands
from adultschool.db import unit_of_work


def cmd_config_font(args: argparse.Namespace) -> int:
    from adultschool.services import documents

    db = open_db(args)
    with unit_of_work(db.engine) as session:
        if args.path or args.default:
            font = documents.set_font(session, None if args.default else args.path, actor=actor(args))
            print(f"print font: {font.path if font else '默认（LXGW 文楷）'}")
        else:
            print(f"print font: {documents.font_for(session).path}")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from adultschool.ui.app import run  # Qt is loaded only here

    return run(args.db)


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's commands to the top-level parser."""
    group = commands.add_parser("config", help="本机设置").add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    p = add(group, "font", cmd_config_font, "打印字体：不带参数查看，给出路径则设定，--default 恢复默认")
    p.add_argument("path", nargs="?")
    p.add_argument("--default", action="store_true")
    certificate_commands.add_config_subcommands(group, add)

    add(commands, "gui", cmd_gui, "打开图形界面")
