"""Backups that are never lost: rotation over a year, consistent copies, restore with preview, the start-up check."""
from __future__ import annotations

import builtins
import shutil
import sqlite3
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adultschool import cli
from adultschool.db import DatabaseDamaged, open_database, read_session, unit_of_work
from adultschool.db import backup as backups
from adultschool.db.migrate import head_revision
from adultschool.errors import AdultSchoolError
from adultschool.models import AuditEntry
from adultschool.services import accounts, audit, demo, maintenance, permissions, site

from factories import SCHOOL_CODE

pytestmark = pytest.mark.sqlite_only(reason="backups, restores, checks of the SQLite file; servers use pg_dump")
FIXTURES = Path(__file__).parent / "fixtures"


def townships(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return sorted(name for (name,) in connection.execute("SELECT name FROM townships"))
    finally:
        connection.close()


def add_township(database, name: str) -> None:
    with unit_of_work(database.engine) as session:
        site.add_township(session, name, school_code=SCHOOL_CODE, actor="tester")


def corrupt_a_page(path: Path) -> int:
    """Overwrites 64 bytes in the middle of a page that holds rows (from the middle of the file outwards) until
    quick_check notices, as a failing disk sector would; returns the page number."""
    connection = sqlite3.connect(path)
    page_size, pages = (connection.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count"))
    connection.close()
    middle = pages // 2
    for page in sorted(range(2, pages + 1), key=lambda p: abs(p - middle)):
        offset = (page - 1) * page_size + page_size // 2
        with path.open("r+b") as file:
            file.seek(offset)
            original = file.read(64)
            file.seek(offset)
            file.write(b"\xff" * 64)
        if backups.quick_check(path) is not None:
            return page
        with path.open("r+b") as file:
            file.seek(offset)
            file.write(original)
    raise AssertionError("no page whose damage quick_check notices")


# --- rotation ----------------------------------------------------------------------------------------------------

def test_a_year_of_daily_exit_backups_keeps_7_days_4_weeks_and_12_months(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    first = datetime(2025, 1, 1, 17, 30)
    for day in range(365):
        # Every third day the clerk opens the program twice: only the evening copy of that day may survive.
        for hours in ((0, 2) if day % 3 == 0 else (0,)):
            stamp = first + timedelta(days=day, hours=hours)
            (folder / backups.backup_name("school", backups.REASON_EXIT, stamp)).write_bytes(b"")
            backups.rotate(folder, "school", backups.REASON_EXIT)
    (folder / backups.backup_name("other", backups.REASON_EXIT, first)).write_bytes(b"")  # another database's copy

    kept = backups.list_backups(folder, "school")
    days = sorted(copy.taken_at.date() for copy in kept)
    last_seven = [date(2025, 12, d) for d in range(25, 32)]
    older_weeks = [date(2025, 12, 14), date(2025, 12, 21)]  # Sundays ending ISO weeks 50 and 51; 52 and 1 are in the 7 days
    month_ends = [date(2025, m, 1) + timedelta(days=-1) for m in range(2, 13)]  # 31 Jan … 30 Nov
    assert days == sorted(month_ends + older_weeks + last_seven)
    for copy in kept:
        evening = (copy.taken_at.date() - first.date()).days % 3 == 0
        assert copy.taken_at.hour == (19 if evening else 17)
    assert (folder / backups.backup_name("other", backups.REASON_EXIT, first)).exists()


def test_rotation_counts_days_that_have_a_copy_so_a_holiday_does_not_empty_the_folder():
    before_holiday = [datetime(2026, 1, d, 17) for d in range(1, 11)]
    after_holiday = [datetime(2026, 2, 20, 17)]
    keep = backups.copies_to_keep(before_holiday + after_holiday, backups.Rotation(daily=7))
    assert keep == set(after_holiday + before_holiday[-6:])


def test_the_rotation_numbers_are_data_and_safety_copies_keep_their_newest_ten(tmp_path):
    assert backups.ROTATION[backups.REASON_EXIT] == backups.Rotation(daily=7, weekly=4, monthly=12, newest=1)
    folder = tmp_path / "b"
    folder.mkdir()
    start = datetime(2026, 3, 1, 9)
    for minute in range(15):
        (folder / backups.backup_name("school", backups.REASON_BEFORE_RESTORE, start + timedelta(minutes=minute))).touch()
    removed = backups.rotate(folder, "school", backups.REASON_BEFORE_RESTORE)
    assert len(removed) == 5
    assert [c.taken_at.minute for c in backups.list_backups(folder, "school")] == list(range(14, 4, -1))


def test_backup_names_parse_back_even_when_the_database_name_has_dashes():
    stamp = datetime(2026, 5, 12, 17, 30, 1, 250)
    name = backups.backup_name("大碶-school-2", backups.REASON_BEFORE_MIGRATION, stamp)
    parsed = backups.parse_backup_name(Path(name), "大碶-school-2")
    assert (parsed.db_stem, parsed.reason, parsed.taken_at) == ("大碶-school-2", "before-migration", stamp)
    assert backups.parse_backup_name(Path(name), "大碶") is None  # another database's copies are not ours
    assert backups.parse_backup_name(Path("notes.txt")) is None


# --- copies --------------------------------------------------------------------------------------------------------

def test_a_backup_is_consistent_while_another_program_is_writing(school_db, tmp_path):
    add_township(school_db, "霞浦街道")
    writer = sqlite3.connect(school_db.path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO site_settings (key, value) VALUES ('half.done', 'x')")  # not committed
    try:
        copy = backups.backup_sqlite(school_db.path, tmp_path / "b", backups.REASON_EXIT)
    finally:
        writer.rollback()
        writer.close()
    assert backups.integrity_check(copy) is None
    assert "霞浦街道" in townships(copy)
    connection = sqlite3.connect(copy)
    assert connection.execute("SELECT count(*) FROM site_settings WHERE key = 'half.done'").fetchone() == (0,)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    connection.close()
    reopened = open_database(copy)
    with read_session(reopened.engine) as session:
        assert site.get_site(session).code == SCHOOL_CODE
    reopened.close()


def test_backup_now_names_the_file_by_school_and_time_and_the_cli_ends_with_a_summary(school_db, tmp_path, capsys):
    made = maintenance.back_up_now(school_db.path, tmp_path / "U盘", actor="tester", now=datetime(2026, 5, 12, 17, 30, 5))
    assert made.path.name == f"{SCHOOL_CODE}-20260512-173005.sqlite3"
    assert made.preview.site_code == SCHOOL_CODE and backups.quick_check(made.path) is None
    again = maintenance.back_up_now(school_db.path, tmp_path / "U盘", actor="tester", now=datetime(2026, 5, 12, 17, 30, 5))
    assert again.path.name == f"{SCHOOL_CODE}-20260512-173005-2.sqlite3"  # never overwrites

    school_db.close()
    code = cli.main(["backup", "--db", str(school_db.path), "--out", str(tmp_path / "usb"), "--plain"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    written = list((tmp_path / "usb").glob(f"{SCHOOL_CODE}-*.sqlite3"))
    assert len(written) == 1
    assert f"备份文件：{written[0]}" in out
    assert out[-1] == f"backed up to {written[0]}: learners 0, enrolments 0, certificates 0"


def test_backing_up_to_a_folder_that_cannot_be_made_is_explained(school_db, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(AdultSchoolError, match="U 盘"):
        maintenance.back_up_now(school_db.path, blocker / "sub", actor="tester")


# --- restore ------------------------------------------------------------------------------------------------------

def test_restore_brings_the_data_back_keeps_the_current_database_and_is_audited(school_db, tmp_path, private_data_dir):
    add_township(school_db, "霞浦街道")
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    add_township(school_db, "柴桥街道")  # entered after the backup

    result = maintenance.restore_backup(school_db.path, made.path, actor="tester")

    assert townships(school_db.path) == sorted(["大碶街道", "新碶街道", "霞浦街道"])
    assert result.safety_copy is not None and result.safety_copy.parent == private_data_dir / "backups"
    assert result.safety_copy.name.startswith("school-before-restore-")
    assert "柴桥街道" in townships(result.safety_copy)  # nothing is lost: the replaced data is kept
    with read_session(school_db.engine) as session:  # the open engine sees the restored file
        last = session.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.summary)
                               .order_by(AuditEntry.id.desc()).limit(1)).one()
        assert audit.verify(session).intact
        assert [t.name for t in site.list_townships(session)] == ["大碶街道", "霞浦街道", "新碶街道"]  # pinyin: da xia xin
    assert (last.action, last.actor) == ("database.restore", "tester")
    assert made.path.name in last.summary
    assert backups.quick_check(school_db.path) is None


def test_cli_restore_previews_then_restores_with_yes(school_db, tmp_path, capsys):
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=20, actor="tester")
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    add_township(school_db, "柴桥街道")
    school_db.close()

    code = cli.main(["restore", str(made.path), "--db", str(school_db.path), "--yes"])
    out = capsys.readouterr().out
    assert code == 0
    assert "学校：大碶街道成人文化技术学校（330206-01）" in out
    assert f"数据库版本：{head_revision()}（与本程序相同）" in out
    assert "学员 " in out and "学籍 20 个" in out and "最后一次改动：" in out
    assert "恢复前的数据库已另存为：" in out
    assert out.strip().splitlines()[-1].startswith(f"restored {made.path}: learners ")
    assert "柴桥街道" not in townships(school_db.path)


def test_cli_restore_without_yes_and_without_a_terminal_refuses(school_db, tmp_path, capsys, monkeypatch):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    add_township(school_db, "柴桥街道")
    school_db.close()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code = cli.main(["restore", str(made.path), "--db", str(school_db.path)])
    assert code == 2 and "--yes" in capsys.readouterr().err
    assert "柴桥街道" in townships(school_db.path)


def test_cli_restore_on_a_terminal_asks_and_a_no_changes_nothing(school_db, tmp_path, capsys, monkeypatch):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    add_township(school_db, "柴桥街道")
    school_db.close()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    questions: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda prompt: questions.append(prompt) or "n")
    assert cli.main(["restore", str(made.path), "--db", str(school_db.path)]) == 2
    assert "当前数据库会先另存" in questions[0]
    assert "已取消" in capsys.readouterr().err and "柴桥街道" in townships(school_db.path)

    monkeypatch.setattr(builtins, "input", lambda prompt: "y")
    assert cli.main(["restore", str(made.path), "--db", str(school_db.path)]) == 0
    assert "柴桥街道" not in townships(school_db.path)


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n not a database at all" * 50, "不是本程序的数据库或备份文件"),
    ("学号,姓名\n1,张三\n".encode(), "不是本程序的数据库或备份文件"),
    (backups.SQLITE_MAGIC + b"\x00" * 200, "已损坏"),
])
def test_restore_refuses_files_that_are_not_backups(school_db, tmp_path, private_data_dir, content, message):
    junk = tmp_path / "备份.sqlite3"
    junk.write_bytes(content)
    with pytest.raises(AdultSchoolError, match=message):
        maintenance.restore_backup(school_db.path, junk, actor="tester")
    assert "大碶街道" in townships(school_db.path)
    assert not list(private_data_dir.glob("backups/*before-restore*"))  # refused before anything was touched


def test_restore_refuses_a_database_of_another_program(school_db, tmp_path):
    foreign = tmp_path / "foreign.sqlite3"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    connection.close()
    with pytest.raises(AdultSchoolError, match="不是本程序的数据库"):
        maintenance.preview_backup(foreign)


def test_restore_refuses_a_backup_from_a_newer_program(school_db, tmp_path):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    connection = sqlite3.connect(made.path)
    connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    connection.commit()
    connection.close()
    with pytest.raises(AdultSchoolError, match="更新版本的教务程序.*0099_from_the_future.*升级到最新版本"):
        maintenance.restore_backup(school_db.path, made.path, actor="tester")


def test_restore_refuses_a_damaged_backup(school_db, tmp_path):
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=40, actor="tester")
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    corrupt_a_page(made.path)
    with pytest.raises(AdultSchoolError, match="已损坏.*请换一份备份"):
        maintenance.restore_backup(school_db.path, made.path, actor="tester")


def test_an_older_backup_is_upgraded_after_the_restore(school_db, tmp_path):
    old = tmp_path / "db-0001.sqlite3"
    shutil.copy(FIXTURES / "db-0001.sqlite3", old)
    preview = maintenance.preview_backup(old, db_path=school_db.path)
    assert preview.needs_upgrade and preview.revision == "0001" and preview.enrolments == 40
    result = maintenance.restore_backup(school_db.path, old, actor="tester")
    assert result.upgraded_from == "0001"
    connection = sqlite3.connect(school_db.path)
    assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    assert connection.execute("SELECT count(*) FROM enrolments").fetchone() == (40,)
    connection.close()


def test_restoring_into_a_missing_database_file_sets_up_a_new_computer(school_db, tmp_path):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    target = tmp_path / "new-pc" / "adultschool.sqlite3"
    result = maintenance.restore_backup(target, made.path, actor="tester")
    assert result.safety_copy is None
    reopened = open_database(target)
    with read_session(reopened.engine) as session:
        assert site.get_site(session).code == SCHOOL_CODE
    reopened.close()


def test_once_accounts_exist_a_clerk_may_back_up_but_only_an_administrator_restores(school_db, tmp_path):
    with unit_of_work(school_db.engine) as session:
        accounts.create_account(session, "zhang", "secret-1", "admin", actor=None)
        accounts.create_account(session, "li", "secret-2", "clerk", actor="zhang")
        accounts.create_account(session, "wang", "secret-3", "teacher", actor="zhang")
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="li")
    with pytest.raises(permissions.NotAllowed):
        maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="wang")
    with pytest.raises(permissions.NotAllowed):
        maintenance.restore_backup(school_db.path, made.path, actor="li")
    assert maintenance.restore_backup(school_db.path, made.path, actor="zhang").safety_copy is not None


def test_cli_restore_signs_in_once_accounts_exist(school_db, tmp_path, capsys, monkeypatch):
    with unit_of_work(school_db.engine) as session:
        accounts.create_account(session, "zhang", "secret-1", "admin", actor=None)
        accounts.create_account(session, "li", "secret-2", "clerk", actor="zhang")
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="li")
    school_db.close()
    restore = ["restore", str(made.path), "--db", str(school_db.path), "--yes"]
    assert cli.main(restore) == 2 and "--user" in capsys.readouterr().err
    monkeypatch.setenv("ADULTSCHOOL_PASSWORD", "secret-2")
    assert cli.main([*restore, "--user", "li"]) == 2 and "恢复备份" in capsys.readouterr().err
    monkeypatch.setenv("ADULTSCHOOL_PASSWORD", "secret-1")
    assert cli.main([*restore, "--user", "zhang"]) == 0
    connection = sqlite3.connect(school_db.path)
    assert connection.execute("SELECT actor FROM audit_entries ORDER BY id DESC LIMIT 1").fetchone() == ("zhang",)
    connection.close()


def test_a_server_database_is_sent_to_its_own_tools():
    with pytest.raises(AdultSchoolError, match="pg_dump"):
        maintenance.back_up_now(None, Path("x"), actor="tester")


# --- the start-up check -----------------------------------------------------------------------------------------

def test_a_damaged_database_is_refused_at_start_naming_the_newest_good_backup(school_db, tmp_path, private_data_dir,
                                                                            capsys):
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=40, actor="tester")
    older = backups.backup_on_exit(school_db.path, now=datetime(2026, 5, 10, 17))
    newest = backups.backup_on_exit(school_db.path, now=datetime(2026, 5, 11, 17))
    corrupt_a_page(newest)  # the newest copy went bad too: the one before it is offered
    school_db.close()
    page = corrupt_a_page(school_db.path)
    assert page > 1

    with pytest.raises(DatabaseDamaged) as caught:
        open_database(school_db.path)
    assert caught.value.path == school_db.path and caught.value.backup.path == older
    assert f"adultschool restore {older}" in caught.value.message

    assert cli.main(["learners", "list", "--db", str(school_db.path)]) == 2
    err = capsys.readouterr().err
    assert "已损坏" in err and f"adultschool restore {older}" in err

    result = maintenance.restore_backup(school_db.path, older, actor="tester")
    assert backups.quick_check(school_db.path) is None
    assert result.safety_copy.name.startswith("school-damaged-")  # kept byte for byte, never offered as "good"
    reopened = open_database(school_db.path)
    with read_session(reopened.engine) as session:
        assert audit.verify(session).intact
        assert session.execute(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)).scalar_one() == \
            "database.restore"
    reopened.close()


def test_a_damaged_database_without_backups_says_what_to_do(school_db):
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=40, actor="tester")
    school_db.close()
    corrupt_a_page(school_db.path)
    with pytest.raises(DatabaseDamaged, match="没有找到可用的备份.*联系技术支持") as caught:
        open_database(school_db.path)
    assert caught.value.backup is None


def test_quick_check_passes_a_healthy_database(school_db):
    # How long it takes is measured in bench/, not asserted here.
    assert backups.quick_check(school_db.path) is None


def test_a_database_whose_first_page_is_destroyed_is_replaced_as_a_whole_file(school_db, tmp_path, caplog):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    school_db.close()
    with school_db.path.open("r+b") as file:
        file.seek(16)
        file.write(b"\xee" * 84)  # the header after the magic string: page size, format numbers…
    with pytest.raises(DatabaseDamaged):
        open_database(school_db.path)
    result = maintenance.restore_backup(school_db.path, made.path, actor="tester")
    assert "replacing the file" in caplog.text
    assert result.safety_copy.name.startswith("school-damaged-")
    assert backups.quick_check(school_db.path) is None and "大碶街道" in townships(school_db.path)
