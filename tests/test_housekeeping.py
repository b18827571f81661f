"""What keeps personal data in, and the clerk told the truth (issue 22, housekeeping): no SQL parameters or full ID
numbers in the log, demo data never mixed into a real school, a busy database called busy (not damaged), files made
owner-only, CSV and workbook sizes bounded, and no .part left behind by a killed export."""
from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from datetime import date
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adultschool import cli, paths
from adultschool.db import DatabaseBusy, engine as engine_setup, open_database, read_session, unit_of_work
from adultschool.db.backup import backup_on_exit
from adultschool.errors import AdultSchoolError
from adultschool.models import Learner
from adultschool.outfiles import atomic_output, clean_interrupted, notes_dir
from adultschool.services import demo, maintenance, registration, rules, sync
from adultschool.services.registration import RegistrationInput
from adultschool.xlsx import csvfile
from factories import make_id, r13_row, write_roster

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="Windows keeps the profile's ACL instead of mode bits")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def fresh_log(monkeypatch):
    """The log file as the program sets it up at start, in this test's data folder."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, RotatingFileHandler)]:
        root.removeHandler(handler)
        handler.close()
    yield paths.log_dir() / "adultschool.log"
    for handler in [h for h in root.handlers if isinstance(h, RotatingFileHandler)]:
        root.removeHandler(handler)
        handler.close()


# --- the log ---------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_only(reason="a trigger in the SQLite file forces the error")
def test_no_sql_parameters_and_no_full_id_in_the_log_after_a_database_error_during_a_roster_import(
        school_db, tmp_path, capsys, fresh_log):
    numbers = [make_id(date(1980 + i, 3, 4), serial=100 + i) for i in range(10)]
    roster = write_roster(tmp_path / "名单.xlsx", [r13_row(i + 1, f"学员{i}", n) for i, n in enumerate(numbers)])
    connection = sqlite3.connect(school_db.path)
    connection.execute("CREATE TRIGGER no_more_learners BEFORE INSERT ON learners "
                       "BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END")
    connection.commit()
    connection.close()
    code, _out, err = run(capsys, "roster", "import", str(roster), "--township", "大碶街道", "--db", str(school_db.path))
    assert code == 2 and "程序出错" in err and "日志" in err
    log = fresh_log.read_text(encoding="utf-8")
    assert "IntegrityError" in log and "disk full (simulated)" in log  # the error itself is there for support
    assert "SQL parameters hidden" in log
    for number in numbers:
        assert number not in log and number[:6] + "********" + number[14:] not in err
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count()).select_from(Learner)).scalar_one() == 0


def test_the_log_masks_an_id_number_that_reaches_it_in_a_message(fresh_log):
    from adultschool.logs import set_up_logging

    set_up_logging()
    number = make_id(date(1990, 1, 2), serial=7)
    logging.getLogger("adultschool.test").warning("could not match %s to a learner", number)
    text = fresh_log.read_text(encoding="utf-8")
    assert number not in text and number[:6] + "********" + number[14:] in text


# --- demo ------------------------------------------------------------------------------------------------------


def test_demo_refuses_a_database_that_holds_real_data(school_db, capsys):
    with unit_of_work(school_db.engine) as session:
        registration.register_one(session, RegistrationInput(name="真学员", id_number=make_id(date(1985, 5, 6)), township="大碶街道",
                                                             level="高中", registered_on=date(2026, 3, 1)),
                                  rules.load_rules(session), actor="clerk")
    with unit_of_work(school_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="真实数据（学员 1 人"):
            demo.fill_demo(session, learners=40, actor="clerk")
    db = str(school_db.path) if school_db.path else school_db.url
    code, _out, err = run(capsys, "demo", "--db", db, "--learners", "40")
    assert code == 2 and "不能再放演示数据" in err and "adultschool demo --db" in err
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count()).select_from(Learner)).scalar_one() == 1


def test_demo_goes_into_an_empty_or_demo_database_and_marks_it(tmp_path):
    db = open_database(tmp_path / "试用.sqlite3", create=True)
    for _ in range(2):  # a demo database takes more demo data
        with unit_of_work(db.engine) as session:
            demo.fill_demo(session, learners=5, actor="clerk", seed=10 + _)
    with read_session(db.engine) as session:
        assert demo.is_demo(session)
        assert session.execute(select(func.count()).select_from(Learner)).scalar_one() >= 10
    db.close()


# --- a busy database -------------------------------------------------------------------------------------------


class HeldBy:
    """Another program holding SQLite's lock on the file (a database browser in exclusive mode, a copy tool)."""

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        self.connection.execute("BEGIN EXCLUSIVE")
        self.connection.execute("UPDATE site_settings SET value = value WHERE key = 'site.code'")

    def release(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.close()


@pytest.mark.sqlite_only(reason="SQLite's own file lock")
def test_a_database_another_program_holds_is_called_busy_not_damaged(school_db, capsys, monkeypatch):
    monkeypatch.setattr(engine_setup, "WAIT_SECONDS", 1)
    path = school_db.path
    school_db.close()
    holder = HeldBy(path)
    try:
        start = time.perf_counter()
        with pytest.raises(DatabaseBusy) as busy:
            open_database(path)
        assert time.perf_counter() - start < 10
        message = str(busy.value)
        assert "正被另一个程序占用" in message and "已等待 1 秒" in message and "不需要恢复备份" in message
        assert "不是本程序的数据库" not in message and "已损坏" not in message.replace("没有损坏", "")
        code, _out, err = run(capsys, "learners", "list", "--db", str(path))
        assert code == 2 and "正被另一个程序占用" in err and "restore" not in err
    finally:
        holder.release()
    open_database(path).close()  # free again: opens as ever


# --- owner-only files ------------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@POSIX
@pytest.mark.sqlite_only(reason="files on this computer")
def test_databases_backups_keys_and_exports_are_created_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual one: files would come out 0644
    try:
        db = open_database(tmp_path / "school.sqlite3", create=True)
        with unit_of_work(db.engine) as session:
            sync.initialise_school(session, code="330206-01", name="大碶成校", actor="clerk")
        for suffix in ("", "-wal", "-shm"):
            assert _mode(tmp_path / f"school.sqlite3{suffix}") == 0o600, suffix
        key_files = list(paths.keys_dir().glob("*.pem"))
        assert key_files and all(_mode(f) == 0o600 for f in key_files) and _mode(paths.keys_dir()) == 0o700
        exit_copy = backup_on_exit(db.path)
        usb = maintenance.back_up_now(db.path, tmp_path / "usb", actor="clerk").path
        assert _mode(exit_copy) == 0o600 and _mode(usb) == 0o600 and _mode(exit_copy.parent) == 0o700
        with atomic_output(tmp_path / "名单.xlsx", opened_in="Excel") as part:
            assert _mode(part) == 0o600
            part.write_bytes(b"x")
        assert _mode(tmp_path / "名单.xlsx") == 0o600
        db.close()
        office = open_database(tmp_path / "district.sqlite3", create=True)
        from adultschool.models import SiteKind
        from adultschool.services import district_keypair, site

        with unit_of_work(office.engine) as session:
            site.initialise(session, kind=SiteKind.DISTRICT, code="330206", name="分中心", actor="d")
            district_keypair.keygen(session, tmp_path / "keys", "correct-horse-battery", actor="d")
        assert _mode(tmp_path / "keys" / "district.key") == 0o600
        office.close()
    finally:
        os.umask(old)


# --- sizes of files from outside -------------------------------------------------------------------------------


def test_csv_files_are_read_as_a_stream_and_bounded_in_rows_and_cells(tmp_path, monkeypatch):
    path = tmp_path / "学习记录.csv"
    path.write_text("身份证号码,课程,视频,已学时长(分钟)\n" + "330206199001021234,成人高中数学,第1讲,60\n" * 30,
                    encoding="utf-8")
    assert len(csvfile.read_csv(path).rows) == 31
    monkeypatch.setattr(csvfile, "MAX_ROWS", 20)
    with pytest.raises(AdultSchoolError, match="超过 0 万行|分成几个文件"):
        csvfile.read_csv(path)
    monkeypatch.setattr(csvfile, "MAX_ROWS", 1000)
    monkeypatch.setattr(csvfile, "MAX_CELLS", 100)
    with pytest.raises(AdultSchoolError, match="单元格太多"):
        csvfile.read_csv(path)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("姓名,课程\n张三,成人高中数学\n".encode("gb18030"))
    monkeypatch.setattr(csvfile, "MAX_CELLS", 10_000)
    assert csvfile.read_csv(gbk).rows == [("姓名", "课程"), ("张三", "成人高中数学")]


def test_workbooks_read_for_import_are_bounded_in_rows(tmp_path, monkeypatch):
    import openpyxl

    book = openpyxl.Workbook()
    for number in range(40):
        book.active.append(["330206199001021234", "成人高中数学", f"第{number}讲", 60])
    book.save(tmp_path / "记录.xlsx")
    assert len(csvfile.read_table(tmp_path / "记录.xlsx")[0].rows) == 40
    monkeypatch.setattr(csvfile, "MAX_ROWS", 39)
    with pytest.raises(AdultSchoolError, match="分成几个文件"):
        csvfile.read_table(tmp_path / "记录.xlsx")


# --- a killed export -------------------------------------------------------------------------------------------


@POSIX
def test_a_killed_export_leaves_no_part_after_the_next_start(tmp_path, capsys):
    target = tmp_path / "报名汇总表.xlsx"
    script = textwrap.dedent(f"""
        import os, signal
        from adultschool.outfiles import atomic_output
        with atomic_output({str(target)!r}, opened_in="Excel") as part:
            part.write_bytes("330206199001021234 王喆".encode())
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert result.returncode == -9
    part = Path(f"{target}.part")
    assert part.exists() and list(notes_dir().glob("*.json"))  # what a killed run leaves
    cli.main(["--db", str(tmp_path / "none.sqlite3")])  # the next start of the program, whatever it then does
    capsys.readouterr()
    assert not part.exists() and not target.exists() and not list(notes_dir().glob("*.json"))


def test_a_part_being_written_right_now_is_not_taken_away(tmp_path):
    target = tmp_path / "证书.pdf"
    with atomic_output(target, opened_in="PDF") as part:
        part.write_bytes(b"%PDF-")
        assert clean_interrupted() == [] and part.exists()  # another window starting up meanwhile
    assert target.exists() and not Path(f"{target}.part").exists()


def test_small_files_are_replaced_whole_and_a_failed_write_leaves_the_old_one(tmp_path, monkeypatch):
    """outfiles.write_file, used for this PC's settings, the audit anchors and the district's key files."""
    from adultschool.outfiles import write_file

    target = tmp_path / "local-settings.json"
    write_file(target, '{"a": 1}')
    assert target.read_text(encoding="utf-8") == '{"a": 1}'
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    paths.set_local_setting("last_login_name", "李老师")  # goes through write_file too
    assert paths.local_setting("last_login_name") == "李老师"

    def full_disk(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("adultschool.outfiles.os.fsync", full_disk)
    with pytest.raises(OSError):
        write_file(target, '{"a": 2}')
    assert target.read_text(encoding="utf-8") == '{"a": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local-settings.json", "userdata"]
