"""The command line: parses, calls one service, prints. Never imports Qt (the GUI is loaded only by `gui`).

Exit status: 0 done; 1 done but some input rows were rejected; 2 the request or file is unusable.
Each module of this package adds its own subcommands through `register(commands, add)`.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from adultschool import __version__
from adultschool.cli import card, certificates, console, imports, maintenance, photos, privacy, school, sync, users
from adultschool.cli.common import EXIT_OK, EXIT_UNUSABLE, Handler
from adultschool.errors import AdultSchoolError
from adultschool.logs import set_up_logging
from adultschool.outfiles import clean_interrupted

log = logging.getLogger(__name__)

COMMAND_MODULES = (school, imports, certificates, photos, card, maintenance, sync, users, privacy)


USER_HELP = "账户名（数据库设了账户后必须给出；密码取自环境变量 ADULTSCHOOL_PASSWORD，或按提示输入）"


def build_parser() -> argparse.ArgumentParser:
    db_help = "数据库文件路径或 URL（默认：用户数据目录里的 adultschool.sqlite3）"
    # --db may stand before or after the subcommand; the subcommand's copy must not reset the top-level one.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    common.add_argument("--user", default=argparse.SUPPRESS, help=USER_HELP)

    parser = argparse.ArgumentParser(prog="adultschool", description="成人“双证制”学历提升 教务管理")
    parser.add_argument("--db", default=None, help=db_help)
    parser.add_argument("--user", default=None, help=USER_HELP)
    parser.add_argument("--version", action="version", version=f"adultschool {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(parent, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    for module in COMMAND_MODULES:
        module.register(commands, add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    set_up_logging()
    clean_interrupted()  # .part files a killed run left behind (they may hold full ID numbers)
    console.protect_streams()
    try:
        return _run(argv)
    finally:
        console.note_replacements()


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_UNUSABLE
    try:
        return handler(args)
    except AdultSchoolError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:  # output piped into `head` and cut short: not an error
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("已中断，数据库没有改动。", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the person, the traceback for the log
        log.exception("unexpected error in %s", args.command)
        print(f"程序出错（{type(exc).__name__}），详情已写入日志。请把日志发给技术支持。", file=sys.stderr)
        return EXIT_UNUSABLE
