"""The command line in Chinese: argparse's own texts, and option values a clerk types in Chinese."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from adultschool.cli import argparse_zh, main
from adultschool.db import read_session
from adultschool.models import TownshipCount
from adultschool.services import site
from sqlalchemy import select


def test_help_usage_and_errors_are_chinese(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert out.startswith("用法：adultschool") and "选项" in out and "显示本帮助并退出" in out and "usage:" not in out
    with pytest.raises(SystemExit) as done:
        main(["learners", "list", "--bogus"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "错误：无法识别的参数：--bogus" in err and "error:" not in err
    with pytest.raises(SystemExit):
        main(["township", "count", "新碶街道"])
    assert "缺少必需的参数：--month, --kind, --count" in capsys.readouterr().err


def test_every_text_argparse_marks_for_translation_has_a_chinese_one():
    source = Path(argparse.__file__).read_text(encoding="utf-8")
    marked = {text.replace("\\n", "\n") for _q, text in re.findall(r"""\b_\((['"])(.+?)\1\)""", source)}
    singular = {text for _q, text in re.findall(r"""ngettext\((['"])(.+?)\1""", source)}
    assert len(marked) > 25
    assert sorted(marked - set(argparse_zh.MESSAGES)) == []
    assert sorted(singular - set(argparse_zh.PLURALS)) == []


def test_option_values_in_chinese_mean_the_english_ones(school_db, capsys, monkeypatch):
    with read_session(school_db.engine) as session:
        township = site.list_townships(session)[0].name
    assert main(["--db", str(school_db.path), "township", "count", township, "--month", "2026-11",
                 "--kind", "技能培训", "--count", "12"]) == 0
    out = capsys.readouterr().out
    assert "职业技能培训人次 12" in out and out.strip().splitlines()[-1].startswith("recorded")
    with read_session(school_db.engine) as session:
        assert [kind.value for kind in session.scalars(select(TownshipCount.kind))] == ["skills_training"]


def test_a_chinese_role_makes_the_right_account(school_db, capsys, monkeypatch):
    monkeypatch.setenv("ADULTSCHOOL_NEW_PASSWORD", "boss-pass-1")
    assert main(["--db", str(school_db.path), "users", "add", "boss", "--role", "管理员"]) == 0
    monkeypatch.setenv("ADULTSCHOOL_PASSWORD", "boss-pass-1")
    monkeypatch.setenv("ADULTSCHOOL_NEW_PASSWORD", "wang-pass-1")
    assert main(["--db", str(school_db.path), "--user", "boss", "users", "add", "wang", "--role", "老师"]) == 0
    capsys.readouterr()
    assert main(["--db", str(school_db.path), "--user", "boss", "users", "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:] if line.strip()}
    assert "管理员" in rows["boss"] and "任课教师" in rows["wang"]


def test_a_value_that_means_nothing_or_two_things_is_refused_with_the_choices(school_db, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--db", str(school_db.path), "learners", "list", "--status", "已"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "“已”不是可选的值" in err and "graduated（已毕业）" in err
    with pytest.raises(SystemExit):
        main(["--db", str(school_db.path), "learners", "list", "--status", "读书"])
    assert "不是可选的值" in capsys.readouterr().err
    assert main(["--db", str(school_db.path), "learners", "list", "--status", "在读", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
