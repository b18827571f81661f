"""What every command module shares: exit codes, argument types, opening the database (and signing in), printing tables."""
from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sys
import unicodedata
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol, Sequence, TextIO

from adultschool.db import Database, open_database, read_session, unit_of_work
from adultschool.db.lock import network_warning
from adultschool.errors import AdultSchoolError
from adultschool.outfiles import SPREADSHEET_PROGRAMS, atomic_output
from adultschool.models import Level
from adultschool.outfiles import FORMULA_STARTS
from adultschool.services import audit, permissions

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from adultschool.services.disclosure import Exported
    from adultschool.services.lists import ListSpec

EXIT_OK, EXIT_SOME_REJECTED, EXIT_UNUSABLE = 0, 1, 2


def date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”格式不对，应为 YYYY-MM-DD") from None


def month_arg(text: str) -> date:
    """YYYY-MM as the first day of that month."""
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"月份“{text}”格式不对，应为 YYYY-MM") from None


def level_arg(text: str) -> Level:
    from adultschool.services.registration import parse_level  # (when a command is given --level: it is not light)

    try:
        return parse_level(text)
    except AdultSchoolError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def open_db(args: argparse.Namespace, *, create: bool = False) -> Database:
    database = open_database(args.db, create=create)
    warning = network_warning(database.path) if database.path is not None else None
    if warning:  # a warning, not a refusal: db/lock.py says why
        print(f"提醒：{warning}", file=sys.stderr)
    sign_in(args, database)
    return database


PASSWORD_ENV = "ADULTSCHOOL_PASSWORD"
NEW_PASSWORD_ENV = "ADULTSCHOOL_NEW_PASSWORD"


def sign_in(args: argparse.Namespace, database: Database) -> permissions.Principal:
    """Who runs this command (DESIGN.md): the computer's login in single-user mode; once accounts exist, `--user`
    with the password from ADULTSCHOOL_PASSWORD or a prompt. Kept on `args` for `actor(args)` / `principal(args)`."""
    signed_in = getattr(args, "principal", None)
    if signed_in is not None:
        return signed_in
    with read_session(database.engine) as session:
        single = not permissions.has_accounts(session)
    user = getattr(args, "user", None)
    if single:
        args.principal = permissions.single_user(audit.local_actor())
        return args.principal
    if not user:
        raise permissions.NotAllowed("这个数据库已设账户：请用 --user 账户名 登录"
                                     f"（密码取自环境变量 {PASSWORD_ENV}，或按提示输入）。")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = prompt_password("密码：")
    from adultschool.services import accounts  # only a database with accounts asks for a password

    with unit_of_work(database.engine) as session:  # commits the failure count even when the password is wrong
        result = accounts.authenticate(session, user, password)
    if result.principal is None:
        raise permissions.NotAllowed(result.message or "登录失败。")
    args.principal = result.principal
    return result.principal


def prompt_password(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise AdultSchoolError(f"需要密码，但没有可以输入密码的终端：请用环境变量 {PASSWORD_ENV} 给出。")
    return getpass.getpass(prompt)


def principal(args: argparse.Namespace) -> permissions.Principal:
    """Who signed in through `open_db(args)`."""
    signed_in = getattr(args, "principal", None)
    if signed_in is None:
        raise RuntimeError("open_db(args) signs in before a command asks who is acting")
    return signed_in


def actor(args: argparse.Namespace) -> str:
    """The name the services check and the audit log records."""
    return principal(args).name


def need(args: argparse.Namespace, permission: permissions.Permission) -> permissions.Principal:
    """For commands that only read: the same refusal a service gives."""
    return principal(args).require(permission)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, stream: TextIO | None = None) -> None:
    texts = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in texts]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths)).rstrip()

    stream = stream or sys.stdout
    print(line(headers), file=stream)
    for row in texts:
        print(line(row), file=stream)


def print_exported(exported: Exported) -> None:
    """What the clerk is told after a list with ID numbers was written (its password, or how it is masked)."""
    for line in exported.lines():
        print(line)


def inert_csv(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def emit(fmt: str, headers: Sequence[str], keys: Sequence[str], records: Sequence[dict], *,
         out: Path | None = None) -> None:
    """A list as a table, CSV or JSON: to standard output, or with `out` to a file in UTF-8 (CSV with a BOM, so Excel
    and WPS read the Chinese right), written whole or not at all."""
    if out is None:
        _write_list(sys.stdout, fmt, headers, keys, records)
        return
    with atomic_output(out, opened_in=SPREADSHEET_PROGRAMS) as part:
        with open(part, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as handle:
            _write_list(handle, fmt, headers, keys, records)
    print(f"已写入 {out}（{len(records)} 条）")


def _write_list(stream: TextIO, fmt: str, headers: Sequence[str], keys: Sequence[str], records: Sequence[dict]) -> None:
    if fmt == "json":
        json.dump(list(records), stream, ensure_ascii=False, indent=1)
        print(file=stream)
    elif fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(keys)
        writer.writerows([[inert_csv(r[k]) for k in keys] for r in records])
    else:
        print_table(headers, [[r[k] for k in keys] for r in records], stream=stream)


def add_list_output(parser: argparse.ArgumentParser, formats: Sequence[str] = ("table", "csv", "json")) -> None:
    """--format and --out for a command that prints a list."""
    parser.add_argument("--format", choices=tuple(formats), default=formats[0])
    parser.add_argument("--out", type=Path, metavar="FILE", help="写入文件（UTF-8；CSV 带 BOM，Excel/WPS 直接打开）而不是显示")



LIST_FILE_SUFFIXES = (".xlsx", ".pdf")  # `--out` with these writes the list as the window's 导出 Excel / 打印 do


def is_list_file(out: Path | None) -> bool:
    return out is not None and Path(out).suffix.lower() in LIST_FILE_SUFFIXES


def add_list_file_options(parser: argparse.ArgumentParser) -> None:
    """--protect for a list command whose --out may be a workbook or a PDF (the suffix picks which)."""
    parser.add_argument("--protect", choices=("masked", "plain", "password"),
                        help="--out 为 .xlsx 或 .pdf 时：masked 身份证号码遮挡（默认）；plain 完整号码、不加密（记入日志）；"
                             "password 完整号码、加密（只用于 .xlsx，程序给出密码）")


def write_list_file(args: argparse.Namespace, spec: ListSpec | Callable[[Session], ListSpec]) -> int:
    """`--out F.xlsx|F.pdf`: the list `spec` (services.lists) written as the window writes it; full ID numbers only
    with --protect plain|password (or --unmasked), audited."""
    from adultschool.services import lists
    from adultschool.services.disclosure import parse_protection

    if getattr(args, "format", "table") not in ("table", None):
        raise AdultSchoolError(f"写 .xlsx 或 .pdf 文件时不用 --format {args.format}：文件格式由 --out 的扩展名决定。")
    if getattr(args, "limit", None) is not None:
        raise AdultSchoolError("--limit 只用于屏幕显示；写 .xlsx 或 .pdf 文件时总是写出全部符合条件的学员。")
    choice = getattr(args, "protect", None) or ("plain" if getattr(args, "unmasked", False) else "masked")
    db = open_db(args)
    with unit_of_work(db.engine) as session:  # a list with full ID numbers writes its id.reveal entry
        if callable(spec):
            spec = spec(session)
        written = lists.write_list(session, args.out, spec, actor=actor(args), protection=parse_protection(choice))
    print(f"wrote {written.count} rows to {args.out}")
    for line in written.lines():
        print(line)
    return EXIT_OK


def time_arg(text: str) -> time:
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise argparse.ArgumentTypeError(f"时间“{text}”格式不对，应为 HH:MM") from None




Handler = Callable[[argparse.Namespace], int]


class Adder(Protocol):
    """`add(group, name, handler, help)`: a subcommand that takes --db and runs `handler`."""

    def __call__(self, parent: argparse._SubParsersAction, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser: ...
