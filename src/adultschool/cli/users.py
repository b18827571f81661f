"""Accounts on the command line (`users add|list|passwd|disable|enable|unlock|set`).

New passwords come from ADULTSCHOOL_NEW_PASSWORD or a prompt asked twice; they are never taken as arguments,
which would leave them in the shell's history.
"""
from __future__ import annotations

import argparse
import os

from adultschool.cli.choices import add_choice
from adultschool.cli.common import (
    EXIT_OK, NEW_PASSWORD_ENV, PASSWORD_ENV, Adder, actor, open_db, print_table, prompt_password,
)
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Role
from adultschool.services import accounts, permissions

ROLE_WORDS = {"teacher": ("老师", "教师"), "clerk": ("教务",), "admin": ("管理",)}


def new_password() -> str:
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is not None:
        return password
    first = prompt_password("新密码：")
    if prompt_password("再输入一次新密码：") != first:
        raise AdultSchoolError("两次输入的新密码不一致，没有改动。")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        first = not permissions.has_accounts(session)
    password = new_password()
    with unit_of_work(db.engine) as session:
        info = accounts.create_account(session, args.name, password, args.role, actor=actor(args),
                                       display_name=args.display_name)
    if first:
        print("这是第一个账户，单用户模式已结束：以后每个命令都要用 --user 登录。")
    print(f"added account {info.name} ({info.role.value})")
    return EXIT_OK


def _when(value) -> str:  # noqa: ANN001 - an aware datetime or None
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def cmd_users_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        rows = accounts.list_accounts(session, actor=actor(args))
    if not rows:
        print("还没有账户（单用户模式）。用 adultschool users add 名称 --role admin 建立第一个管理员账户。")
        return EXIT_OK
    print_table(["账户", "显示名称", "角色", "状态", "最近登录"],
                [[a.name, a.display_name, a.role.label, a.state(), _when(a.last_login_at)] for a in rows])
    return EXIT_OK


def cmd_users_passwd(args: argparse.Namespace) -> int:
    db = open_db(args)
    own = actor(args) == permissions.clean_login(args.name)
    old = None
    if own:
        old = os.environ.get(PASSWORD_ENV)
        if old is None:
            old = prompt_password("原密码：")
    password = new_password()
    with unit_of_work(db.engine) as session:
        accounts.change_password(session, args.name, password, actor=actor(args), old_password=old)
    print(f"已修改 {permissions.clean_login(args.name)} 的密码。")
    print(f"password changed for {permissions.clean_login(args.name)}")
    return EXIT_OK


def _simple(change, verb: str):  # noqa: ANN001, ANN202 - accounts.disable_account and friends
    def handler(args: argparse.Namespace) -> int:
        db = open_db(args)
        with unit_of_work(db.engine) as session:
            info = change(session, args.name, actor=actor(args))
        print(f"{verb} account {info.name}")
        return EXIT_OK

    return handler


def cmd_users_set(args: argparse.Namespace) -> int:
    if args.role is None and args.display_name is None:
        raise AdultSchoolError("请给出 --role 或 --display-name。")
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = accounts.update_account(session, args.name, actor=actor(args), display_name=args.display_name,
                                       role=args.role)
    print(f"已修改账户 {info.name}：{info.role.label}，{info.display_name}。")
    print(f"updated account {info.name}: {info.role.value}, {info.display_name}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's subcommands to the top-level parser."""
    group = commands.add_parser("users", help="账户").add_subparsers(dest="users_command", metavar="COMMAND", required=True)
    p = add(group, "add", cmd_users_add, "新建账户（第一个必须是管理员）；密码取自环境变量 ADULTSCHOOL_NEW_PASSWORD 或按提示输入")
    p.add_argument("name")
    add_choice(p, "--role", Role, required=True, other_words=ROLE_WORDS)
    p.add_argument("--display-name", help="显示名称；任课教师的须与班级的“任课教师”一致")
    add(group, "list", cmd_users_list, "账户列表")
    p = add(group, "passwd", cmd_users_passwd, "修改自己的密码，或（管理员）重设别人的密码")
    p.add_argument("name")
    for name, change, verb, text in (("disable", accounts.disable_account, "disabled", "停用账户"),
                                     ("enable", accounts.enable_account, "enabled", "重新启用账户"),
                                     ("unlock", accounts.unlock_account, "unlocked", "解锁因输错密码被锁定的账户")):
        p = add(group, name, _simple(change, verb), text)
        p.add_argument("name")
    p = add(group, "set", cmd_users_set, "修改账户的角色或显示名称")
    p.add_argument("name")
    add_choice(p, "--role", Role, other_words=ROLE_WORDS)
    p.add_argument("--display-name")


__all__ = ["register"]
