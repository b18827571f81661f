"""Output no console can break: a GBK (code page 936) console or redirected file gets '?' for a rare character and a
note, the command still succeeds, and what it committed is reported as done; files written with --out are UTF-8."""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date

import pytest

from adultschool.cli import console
from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.models import Enrolment, EnrolmentStatus
from adultschool.services import registration, rules
from adultschool.services.registration import RegistrationInput
from factories import make_id

RARE_NAME = "褚𬌗堃"  # 𬌗 is not in GBK


class GbkConsole:
    """Standard output and error as a Chinese Windows console (or a redirected file there) has them. Installed in
    the test itself: pytest puts its own capture back between a fixture and the test."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self.out, self.err = io.BytesIO(), io.BytesIO()

    def __enter__(self) -> "GbkConsole":
        self._streams = (io.TextIOWrapper(self.out, encoding="cp936", errors="strict", newline=""),
                         io.TextIOWrapper(self.err, encoding="cp936", errors="strict", newline=""))
        self._monkeypatch.setattr(sys, "stdout", self._streams[0])
        self._monkeypatch.setattr(sys, "stderr", self._streams[1])
        return self

    def __exit__(self, *_exc) -> None:
        for stream in self._streams:
            stream.flush()
        self._monkeypatch.undo()

    def read(self) -> tuple[str, str]:
        return self.out.getvalue().decode("cp936"), self.err.getvalue().decode("cp936")


@pytest.fixture
def gbk_console(monkeypatch):
    return GbkConsole(monkeypatch)


def enrol_rare(db) -> str:
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name=RARE_NAME, id_number=make_id(date(1988, 6, 1)), level="高中", registered_on=date(2026, 3, 2),
            township="大碶街道"), rules.load_rules(session), actor="t")
    return registered.student_number


def test_a_rare_name_on_a_gbk_console_prints_as_a_question_mark_with_a_note(school_db, gbk_console):
    enrol_rare(school_db)
    with gbk_console:
        assert cli_main(["learners", "list", "--db", school_db.url]) == 0
    out, err = gbk_console.read()
    assert "褚?堃" in out and "有 1 个字符" in err and "--out" in err


def test_a_command_that_committed_is_never_reported_as_failed_for_its_output(school_db, gbk_console):
    number = enrol_rare(school_db)
    with gbk_console:
        assert cli_main(["learners", "withdraw", number, "--reason", "外出务工", "--db", school_db.url]) == 0
    out, _ = gbk_console.read()
    assert f"withdrawn {number}: withdrawn" in out and "褚?堃" in out
    with read_session(school_db.engine) as session:
        assert session.query(Enrolment.status).scalar() is EnrolmentStatus.WITHDRAWN


def test_graduating_a_rare_name_on_a_gbk_console_succeeds_and_names_the_certificate(school_db, tmp_path, gbk_console):
    """The issue's case: `graduate > g.txt` from a GBK console ended 程序出错（UnicodeEncodeError）, exit 2, after the
    graduation had committed."""
    import openpyxl

    number = enrol_rare(school_db)
    scores = openpyxl.Workbook()
    scores.active.append(["身份证号码", "课程", "成绩", "考试日期"])
    for course in ("成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"):
        scores.active.append([make_id(date(1988, 6, 1)), course, 88, "2026-06-10"])
    scores.save(tmp_path / "scores.xlsx")
    assert cli_main(["exam", "results", "import", str(tmp_path / "scores.xlsx"), "--allow-unapplied",
                     "--db", school_db.url]) == 0
    with gbk_console:
        assert cli_main(["graduate", "--as-of", "2026-07-10", "--db", school_db.url]) == 0
    out, err = gbk_console.read()
    assert f"毕业 {number} 褚?堃 证书编号 " in out and "graduated 1, held back 0" in out
    assert "程序出错" not in err and "有 1 个字符" in err
    with read_session(school_db.engine) as session:
        assert session.query(Enrolment.status).scalar() is EnrolmentStatus.GRADUATED


def test_lists_written_with_out_are_utf8_csv_with_a_bom_and_keep_every_character(school_db, tmp_path, gbk_console):
    enrol_rare(school_db)
    target = tmp_path / "名单.csv"
    with gbk_console:
        assert cli_main(["learners", "list", "--format", "csv", "--out", str(target), "--db", school_db.url]) == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["student_number", "name"] and rows[1][1] == RARE_NAME
    out, err = gbk_console.read()
    assert "（1 条）" in out and err == ""
    assert cli_main(["readiness", "--format", "json", "--as-of", "2026-12-01", "--out", str(tmp_path / "r.json"),
                     "--db", school_db.url]) == 0
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))[0]["name"] == RARE_NAME


class RedirectedUtf8:
    """Standard output and error as `python -X utf8` has them when a Windows console's output is redirected to a file
    or a pipe: UTF-8 text streams over plain files (no console object)."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self.out, self.err = io.BytesIO(), io.BytesIO()

    def __enter__(self) -> "RedirectedUtf8":
        self._streams = (io.TextIOWrapper(self.out, encoding="utf-8", newline=""),
                         io.TextIOWrapper(self.err, encoding="utf-8", newline=""))
        self._monkeypatch.setattr(sys, "stdout", self._streams[0])
        self._monkeypatch.setattr(sys, "stderr", self._streams[1])
        return self

    def __exit__(self, *_exc) -> None:
        for stream in self._streams:
            stream.flush()
        self._monkeypatch.undo()


def test_output_redirected_from_a_gbk_console_is_written_in_its_code_page_with_the_note(school_db, monkeypatch):
    number = enrol_rare(school_db)
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    redirected = RedirectedUtf8(monkeypatch)
    with redirected:
        console.protect_streams(lambda: 936)  # what GetConsoleOutputCP says in a Chinese console after `chcp 936`
        assert sys.stdout.encoding == "cp936"
        assert cli_main(["learners", "withdraw", number, "--reason", "外出务工", "--db", school_db.url]) == 0
    out, err = redirected.out.getvalue().decode("gbk"), redirected.err.getvalue().decode("gbk")
    assert f"withdrawn {number}: withdrawn" in out and "褚?堃" in out
    assert "有 1 个字符" in err and "--out" in err


@pytest.mark.parametrize(("code_page", "expected"), [(65001, "cp65001"), (1, "utf-8"), (None, "utf-8")],
                         ids=["utf-8 console", "no codec for it", "no console"])
def test_a_utf8_console_an_unknown_code_page_or_no_console_keep_the_full_characters(monkeypatch, code_page, expected):
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    redirected = RedirectedUtf8(monkeypatch)
    with redirected:
        console.protect_streams(lambda: code_page)
        assert sys.stdout.encoding == expected
        print(RARE_NAME)
    assert redirected.out.getvalue().decode("utf-8").strip() == RARE_NAME and console.replaced_count() == 0


def test_an_explicit_pythonioencoding_wins_over_the_consoles_code_page(monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8")
    redirected = RedirectedUtf8(monkeypatch)
    with redirected:
        console.protect_streams(lambda: 936)
        assert sys.stdout.encoding == "utf-8"
