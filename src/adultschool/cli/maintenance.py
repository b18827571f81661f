"""The database file's commands: `backup --out DIR` (a consistent copy now, e.g. to a USB stick) and `restore FILE`.

`restore` shows what the backup holds and asks before it replaces anything (or needs --yes when no one can answer).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from adultschool import paths
from adultschool.cli.common import EXIT_OK, EXIT_UNUSABLE, Adder, actor, open_db, sign_in
from adultschool.db import DatabaseDamaged, open_database
from adultschool.db import lock as db_lock
from adultschool.errors import AdultSchoolError
from adultschool.jobs import ConsoleJob
from adultschool.services import audit, maintenance
from adultschool.aspkg import sealed

CONFIRM_WORDS = ("y", "yes", "是", "确定")
BACKUP_PASSPHRASE_ENV = "ADULTSCHOOL_BACKUP_PASSPHRASE"


def backup_passphrase(*, confirm: bool) -> str:
    """From ADULTSCHOOL_BACKUP_PASSPHRASE, else asked at the terminal (twice when sealing a backup)."""
    given = os.environ.get(BACKUP_PASSPHRASE_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        raise AdultSchoolError(f"需要备份密码：请在终端运行，或用环境变量 {BACKUP_PASSPHRASE_ENV} 给出"
                               "（不加密的备份请加 --plain，只用于留在本机的备份）。")
    first = getpass.getpass("备份密码：")
    if confirm and getpass.getpass("再输入一次：") != first:
        raise AdultSchoolError("两次输入的备份密码不一致，没有备份。")
    return first


def database_file(args: argparse.Namespace) -> Path:
    """The SQLite file named by --db / ADULTSCHOOL_DB / the default, with the network-drive warning on stderr."""
    db_path = maintenance.require_file(paths.sqlite_path(paths.database_url(args.db)))
    warning = db_lock.network_warning(db_path)
    if warning:
        print(f"提醒：{warning}", file=sys.stderr)
    return db_path


def cmd_backup(args: argparse.Namespace) -> int:
    database = open_db(args)  # checked (a damaged database is not copied as if it were good) and signed in
    db_path = maintenance.require_file(database.path)
    database.close()
    secret = None if args.plain else backup_passphrase(confirm=True)
    job = ConsoleJob()
    made = maintenance.back_up_now(db_path, args.out, actor=actor(args), job=job, passphrase=secret)
    job.finish()
    for line in made.preview.facts()[2:]:
        print(line)
    print(f"备份文件：{made.path}")
    if secret is not None:
        print("备份已加密：恢复时要输入备份密码。请把密码记在安全的地方，不要和 U 盘放在一起。")
    else:
        print("注意：这份备份没有加密，里面有全部学员的身份证号码：请不要带出学校或发给别人。")
    print(f"backed up to {made.path}: {made.preview.summary()}")
    return EXIT_OK


def _confirmed(db_path: Path) -> bool:
    if not sys.stdin.isatty():  # nobody there to answer (a script, a scheduled task)
        raise AdultSchoolError("恢复会替换当前数据库，需要确认：请在命令后加 --yes（在脚本或计划任务里运行时必须加）。")
    answer = input(f"确定用这份备份替换数据库 {db_path} 吗？当前数据库会先另存到备份文件夹。输入 y 确认，其他键取消：")
    return answer.strip().lower() in CONFIRM_WORDS


def restoring_actor(args: argparse.Namespace, db_path: Path) -> str:
    """Signed in like every command when the current database can be read; a missing or damaged one has no accounts
    to ask (restoring is then the way back), so the computer's login name goes into the audit entry."""
    if not db_path.exists():
        return audit.local_actor()
    try:
        database = open_database(db_path)
    except DatabaseDamaged:
        return audit.local_actor()
    try:
        sign_in(args, database)
    finally:
        database.close()
    return actor(args)


def cmd_restore(args: argparse.Namespace) -> int:
    db_path = database_file(args)
    # Held from the preview to the end: no window can open the database while the clerk reads and answers.
    with db_lock.DatabaseLock.acquire(db_path, program="adultschool restore", doing="恢复"):
        who = restoring_actor(args, db_path)
        job = ConsoleJob()
        secret = backup_passphrase(confirm=False) if sealed.is_sealed(args.file) else None
        preview = maintenance.preview_backup(args.file, db_path=db_path, job=job, passphrase=secret)
        job.finish()
        for line in preview.lines():
            print(line)
        print(f"将被替换的数据库：{db_path}")
        if not args.yes and not _confirmed(db_path):
            print("已取消，数据库没有改动。", file=sys.stderr)
            return EXIT_UNUSABLE
        job = ConsoleJob()
        result = maintenance.restore_backup(db_path, args.file, actor=who, job=job, passphrase=secret)
        job.finish()
    if result.safety_copy is not None:
        print(f"恢复前的数据库已另存为：{result.safety_copy}")
    if result.upgraded_from:
        print(f"备份的数据库版本 {result.upgraded_from} 已升级到 {result.preview.current_revision}")
    for key in result.keys_restored:
        print(f"本校的签名密钥已从加密备份放回：{key}")
    if result.sync_note:
        print(f"数据上报：{result.sync_note}")
    print(f"restored {args.file}: {result.preview.summary()}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's subcommands to the top-level parser."""
    p = add(commands, "backup", cmd_backup, "立即备份数据库到指定文件夹（如 U 盘）")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="备份放到哪个文件夹（不存在时会新建）")
    p.add_argument("--plain", action="store_true",
                   help="不加密（只用于留在本机的备份）；默认加密，备份密码来自环境变量 "
                        f"{BACKUP_PASSPHRASE_ENV} 或在终端输入")
    p = add(commands, "restore", cmd_restore, "从备份文件恢复数据库（当前数据库先另存到备份文件夹）")
    p.add_argument("file", type=Path, help="备份文件（.sqlite3，或加密的 .asbackup：要输入备份密码）")
    p.add_argument("--yes", action="store_true", help="不再询问，直接恢复（脚本里用）")
