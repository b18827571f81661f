"""argparse in Chinese: its usage line, headings, help of -h/--version and its error messages.

argparse marks every text it prints with gettext's `_` (and `ngettext`), looked up in its module when the text is
needed. `install()` points those two names at the table below, so `adultschool --help` says 用法 and 选项 and a wrong
option ends in 错误：无法识别的参数 — without a .mo file or a change to the process's gettext domain. The table
covers argparse of Python 3.11 to 3.13 (tests/test_cli_chinese.py checks that every text argparse marks for
translation has an entry); a text missing from it stays English.
"""
from __future__ import annotations

import argparse

MESSAGES: dict[str, str] = {
    "usage: ": "用法：",
    "%(heading)s:": "%(heading)s：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "subcommands": "子命令",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示程序版本并退出",
    " (default: %(default)s)": "（默认：%(default)s）",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s：提醒：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "必须给出以下参数之一：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "多余的值 %r 被忽略",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多一个值",
    "expected at least one argument": "至少需要一个值",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "选项不明确：%(option)s 可能是 %(matches)s",
    "unexpected option string: %s": "意外的选项：%s",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的子命令 %(parser_name)r（可选：%(choices)s）",
    "option '%(option)s' is deprecated": "选项“%(option)s”已不再使用",
    "argument '%(argument_name)s' is deprecated": "参数“%(argument_name)s”已不再使用",
    "command '%(parser_name)s' is deprecated": "子命令“%(parser_name)s”已不再使用",
    # Mistakes in the program's own parser definitions, not in what a person typed: still worded in Chinese so a
    # message never mixes languages.
    ".__call__() not defined": ".__call__() 未定义",
    "%r is not callable": "%r 不可调用",
    "cannot have multiple subparser arguments": "不能有多组子命令",
    "cannot merge actions - two groups are named %r": "无法合并：两个参数组都叫 %r",
    "conflicting subparser: %s": "子命令重复：%s",
    "conflicting subparser alias: %s": "子命令别名重复：%s",
    "dest= is required for options like %r": "%r 这样的选项需要 dest=",
    "invalid conflict_resolution value: %r": "无效的 conflict_resolution 值：%r",
    "mutually exclusive arguments must be optional": "互斥的参数必须是选项",
    "'required' is an invalid argument for positionals": "位置参数不能用 required",
    'argument "-" with mode %r': "参数“-”不能用模式 %r",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r":
        "无效的选项 %(option)r：必须以 %(prefix_chars)r 中的字符开头",
}

PLURALS: dict[str, str] = {
    "expected %s argument": "需要 %s 个值",
    "conflicting option string: %s": "选项重复：%s",
}


def translate(message: str) -> str:
    return MESSAGES.get(message, message)


def ntranslate(singular: str, plural: str, count: int) -> str:
    chinese = PLURALS.get(singular)  # Chinese has one form for both
    if chinese is not None:
        return chinese
    return singular if count == 1 else plural


def install() -> None:
    """From now on argparse speaks Chinese in this process (the command line is its only user here)."""
    argparse._ = translate  # type: ignore[attr-defined]
    argparse.ngettext = ntranslate  # type: ignore[attr-defined]
