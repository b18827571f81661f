"""Option values a clerk may type in Chinese: `--role 教务员`, `--kind 技能培训`, `--status 在读` mean what
`--role clerk`, `--kind skills_training`, `--status active` mean.

A value is accepted when it is the English value, its Chinese label, one of the listed other words, or a part of
exactly one label (技能培训 is in 职业技能培训人次, 教师 in 任课教师). The handler gets the English value, as before, so
scripts that use the English values see no change. Nothing else is guessed: a word in two labels is refused with the
list of choices.
"""
from __future__ import annotations

import argparse
import enum
from collections.abc import Iterable, Mapping
from typing import Callable


def _pairs(choices: type[enum.Enum] | Mapping[str, str]) -> list[tuple[str, str]]:
    if isinstance(choices, Mapping):
        return list(choices.items())
    return [(member.value, getattr(member, "label", member.value)) for member in choices]


def choice_arg(choices: type[enum.Enum] | Mapping[str, str],
               other_words: Mapping[str, Iterable[str]] | None = None) -> Callable[[str], str]:
    """An argparse `type=` turning what was typed into the English value. `choices`: an enum whose members have a
    Chinese `label`, or {value: label}; `other_words`: {value: more words that mean it}."""
    pairs = _pairs(choices)
    exact: dict[str, str] = {}
    for value, label in pairs:
        exact[value.lower()] = value
        exact[label] = value
        for word in (other_words or {}).get(value, ()):
            exact[word] = value

    def parse(text: str) -> str:
        typed = "".join(text.split())
        found = exact.get(typed) or exact.get(typed.lower())
        if found is not None:
            return found
        partial = {value for value, label in pairs if len(typed) >= 2 and typed in label}
        if len(partial) == 1:
            return partial.pop()
        listed = "、".join(f"{value}（{label}）" for value, label in pairs)
        raise argparse.ArgumentTypeError(f"“{text}”不是可选的值：请用 {listed}")

    return parse


def choice_help(choices: type[enum.Enum] | Mapping[str, str], text: str = "") -> str:
    listed = "、".join(f"{value} {label}" for value, label in _pairs(choices))
    return f"{text}（{listed}；英文或中文都可以）" if text else f"{listed}（英文或中文都可以）"


def choice_metavar(choices: type[enum.Enum] | Mapping[str, str]) -> str:
    return "{" + ",".join(value for value, _label in _pairs(choices)) + "}"


def add_choice(parser: argparse.ArgumentParser, flag: str, choices: type[enum.Enum] | Mapping[str, str], *,
               help: str = "", other_words: Mapping[str, Iterable[str]] | None = None,  # noqa: A002 - argparse's name
               **kwargs) -> argparse.Action:  # noqa: ANN003 - passed on to add_argument
    return parser.add_argument(flag, type=choice_arg(choices, other_words), metavar=choice_metavar(choices),
                               help=choice_help(choices, help), **kwargs)


# --protect of the exports that can hold full ID numbers (services.disclosure.Protection's values)
PROTECTIONS = {"password": "加密", "plain": "不加密", "masked": "遮挡"}
PROTECTION_WORDS = {"plain": ("明文",), "masked": ("打码", "遮挡身份证号")}
# print forms --kind
FORM_KINDS = {"registration": "报名登记表", "summary": "报名汇总表", "signin": "签到表"}
