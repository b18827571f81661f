"""The command line: parses, calls one service, prints. Never imports Qt (the GUI is loaded only by `gui`).

Exit status: 0 done; 1 done but some input rows were rejected; 2 the request or file is unusable.
Each module of this package adds its own subcommands through `register(commands, add)`.

Start-up is lazy: COMMANDS names every top-level command, its help and the module that registers it, so `--version`
and `--help` import no command module (nor SQLAlchemy, Alembic, openpyxl, reportlab, cryptography), and a command
imports only its own module, when argparse reaches its name.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Callable, Sequence

from adultschool import __version__
from adultschool.cli import argparse_zh, console
from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.logs import set_up_logging
from adultschool.outfiles import clean_interrupted

log = logging.getLogger(__name__)

EXIT_OK, EXIT_UNUSABLE = 0, 2  # as cli.common has them (not imported here: it loads the database layer)

# (command, its help in `adultschool --help`, the module of adultschool.cli whose register() adds it), in the order
# --help lists them. A new command goes here too; tests/test_startup.py checks the table against the modules.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("init", "建立学校（或区级分中心）数据库", "school"),
    ("demo", "生成演示学校数据", "school"),
    ("roster", "报名名单", "school"),
    ("survey", "排摸", "school"),
    ("learners", "学员", "school"),
    ("rules", "规则表", "school"),
    ("township", "街道/镇与任务数", "school"),
    ("audit", "审计记录", "school"),
    ("class", "班级（村班、厂班、夜校班、重修班）", "classes"),
    ("attendance", "考勤", "classes"),
    ("study", "线上学习记录", "study"),
    ("readiness", "结业考试报考条件（R3）", "study"),
    ("totals", "累计学时", "study"),
    ("exam", "结业考试", "exams"),
    ("graduate", "全部课程合格的学员毕业，发放证书编号", "exams"),
    ("skill", "职业技能证书", "exams"),
    ("report", "报表", "reports"),
    ("print", "打印（PDF）", "printing"),
    ("config", "本机设置", "desktop"),
    ("gui", "打开图形界面", "desktop"),
    ("imports", "导入记录（可撤销）", "imports"),
    ("certificates", "毕业证书", "certificates"),
    ("verify", "查验证书：扫描二维码得到的内容，或“证书编号 查验码”", "certificates"),
    ("photos", "学员照片", "photos"),
    ("card", "身份证读卡器（本机）", "card"),
    ("backup", "立即备份数据库到指定文件夹（如 U 盘）", "maintenance"),
    ("restore", "从备份文件恢复数据库（当前数据库先另存到备份文件夹）", "maintenance"),
    ("sync", "数据包（学校 → 分中心）", "sync"),
    ("users", "账户", "users"),
    ("privacy", "个人信息保护", "privacy"),
)

USER_HELP = "账户名（数据库设了账户后必须给出；密码取自环境变量 ADULTSCHOOL_PASSWORD，或按提示输入）"
DB_HELP = "数据库文件路径或 URL（默认：用户数据目录里的 adultschool.sqlite3）"

Handler = Callable[[argparse.Namespace], int]
Adder = Callable[..., argparse.ArgumentParser]


def command_modules() -> list[str]:
    """The modules of adultschool.cli that register commands, in the table's order."""
    return list(dict.fromkeys(module for _name, _help, module in COMMANDS))


class _RealParsers:
    """What a command module's `register(commands, add)` gets as `commands`: `add_parser` makes the real parser of a
    command in place of the table's stand-in (keeping the table's help for the listing)."""

    def __init__(self, action: "_LazyCommands"):
        self._action = action

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:  # noqa: ANN003 - ArgumentParser's
        if name not in self._action.module_of:
            raise RuntimeError(f"command {name!r} is not in adultschool.cli.COMMANDS")
        kwargs.pop("help", None)
        kwargs.setdefault("prog", f"{self._action._prog_prefix} {name}")
        parser = self._action._parser_class(**kwargs)
        self._action._name_parser_map[name] = parser
        return parser


class _LazyCommands(argparse._SubParsersAction):
    """The top-level subcommands: stand-ins from COMMANDS until argparse reaches one, which imports its module then."""

    module_of: dict[str, str]
    add: Adder
    loaded: set[str]  # the modules imported so far

    def load(self, name: str) -> None:
        module_name = self.module_of[name]
        if module_name in self.loaded:
            return
        module = importlib.import_module(f"{__name__}.{module_name}")
        module.register(_RealParsers(self), self.add)
        self.loaded.add(module_name)

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001 - argparse's
        if values and values[0] in self.module_of:
            self.load(values[0])
        super().__call__(parser, namespace, values, option_string)


def build_parser(*, load_all: bool = False) -> argparse.ArgumentParser:
    """The whole command line; a command's own parser is made when parsing reaches it (or here, with `load_all`)."""
    # --db may stand before or after the subcommand; the subcommand's copy must not reset the top-level one.
    argparse_zh.install()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    common.add_argument("--user", default=argparse.SUPPRESS, help=USER_HELP)

    parser = argparse.ArgumentParser(prog="adultschool", description="成人“双证制”学历提升 教务管理")
    parser.add_argument("--db", default=None, help=DB_HELP)
    parser.add_argument("--user", default=None, help=USER_HELP)
    parser.add_argument("--version", action="version", version=f"adultschool {__version__}")
    parser.register("action", "parsers", _LazyCommands)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    assert isinstance(commands, _LazyCommands)  # the "parsers" action registered above

    def add(parent, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:  # noqa: ANN001
        # argparse %-formats a subcommand's help in its group's listing ("100% 打印" broke `print --help`).
        sub = parent.add_parser(name, parents=[common], help=help_text.replace("%", "%%"), description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    commands.module_of = {name: module for name, _help, module in COMMANDS}
    commands.add = add
    commands.loaded = set()
    for name, help_text, _module in COMMANDS:
        commands.add_parser(name, help=help_text, add_help=False)
    if load_all:
        for name, _help, _module in COMMANDS:
            commands.load(name)
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
    except OSError as exc:  # a file or folder the command was given (or needed) could not be used
        log.exception("file error in %s", args.command)
        where = f"“{exc.filename}”" if exc.filename else "文件"
        print(f"错误：{where}无法使用：{os_error_text(exc)}。请检查路径后重试。", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("已中断，数据库没有改动。", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # a bug: one line for the person, the traceback for the log
        log.exception("unexpected error in %s", args.command)
        print(f"程序出错（{type(exc).__name__}），详情已写入日志。请把日志发给技术支持。", file=sys.stderr)
        return EXIT_UNUSABLE
