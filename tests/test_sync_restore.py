"""A school that restores a backup starts a new epoch (issue 22): its next package is full, numbered after every
package it made before, its rows win over what the district holds, the district reports what the restore took back, and
neither side is left silent. And the school's signing key is bound to its database: a copy that makes a new key, or a
backup from before a new key, never breaks the original."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from adultschool.db import open_database, read_session, unit_of_work
from adultschool.db.backup import copy_database
from adultschool.errors import AdultSchoolError
from adultschool.models import Enrolment, Learner, SyncPackage
from adultschool.services import district, district_schools, district_status, maintenance, registration, rules, sync
from adultschool.services.registration import RegistrationInput
from factories import make_id
from syncbuild import (  # noqa: F401 - district_db, keys and public_key are fixtures
    district_db,
    export,
    first_number,
    keys,
    make_school,
    merge,
    phone_at,
    public_key,
    set_phone,
    snapshot,
)
from testclock import TODAY

pytestmark = pytest.mark.sqlite_only(reason="restores and copies the SQLite file itself")


def register(db, serial: int) -> str:
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name="后来者", id_number=make_id(TODAY.replace(year=1985), serial=serial), level="高中",
            registered_on=TODAY, township="大碶街道"), rules.load_rules(session), actor="clerk")
    return registered.student_number


def restore(db, backup):
    path = db.path
    db.close()
    result = maintenance.restore_backup(path, backup, actor="clerk")
    return result, open_database(path)


def test_a_restore_starts_an_epoch_the_district_follows_and_reports(district_db, keys, public_key, fresh_db, tmp_path):
    school = make_school(fresh_db, "330206-01", learners=5, office=district_db)
    number = first_number(school)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    backup = maintenance.back_up_now(school.path, tmp_path / "usb", actor="clerk").path
    set_phone(school, number, "13900000041")
    merge(district_db, keys, export(school, tmp_path, None, "p2.aspkg"))
    later = register(school, 401)
    p3 = export(school, tmp_path, None, "p3.aspkg")
    merge(district_db, keys, p3)
    assert phone_at(district_db, number) == "13900000041"

    result, school = restore(school, backup)
    assert "下一个数据包（第 4 号）将是完整数据包（第 1 轮）" in result.sync_note
    assert "版本号已调到恢复前的之上" in result.sync_note
    with read_session(school.engine) as session:
        assert "下一个数据包（第 4 号）将是完整数据包" in sync.pending_full_package(session)
    set_phone(school, number, "13900000043")  # the phone of the backup was the old one: edited again
    report = merge(district_db, keys, export(school, tmp_path, None, "p4.aspkg"))
    assert report.full and report.new_epoch and report.epoch == 1 and report.sequence == 4
    assert phone_at(district_db, number) == "13900000043"
    assert report.rolled_back == {"learners": 1, "enrolments": 1}  # the learner registered after the backup
    assert any("恢复了数据库（第 1 轮）" in w and "2 行" in w for w in report.warnings)
    with read_session(school.engine) as session:
        assert sync.pending_full_package(session) is None
    # A package made before the restore, arriving now, is refused; the school's next one merges as usual.
    with pytest.raises(AdultSchoolError, match="恢复备份之前"):
        with unit_of_work(district_db.engine) as session:
            session.execute(SyncPackage.__table__.delete().where(SyncPackage.sequence == 3))
            district.import_package(session, p3, file_name="p3.aspkg", keys=keys, actor="district")
    set_phone(school, number, "13900000044")
    follow = merge(district_db, keys, export(school, tmp_path, None, "p5.aspkg"))
    assert not follow.full and follow.tables["learners"].updated == 1 and not follow.missing
    assert phone_at(district_db, number) == "13900000044"
    at_school, at_district = snapshot(school), snapshot(district_db)
    for table, rows in at_school.items():
        assert {u: at_district[table][u] for u in rows} == rows
    with read_session(district_db.engine) as session:  # the district kept what the restore took back
        assert session.execute(select(Enrolment.id).where(Enrolment.student_number == later)).first() is not None
        receipt = district_status.receipt_body(session, "330206-01")
    assert receipt["epoch"] == 1 and [p["sequence"] for p in receipt["packages"]] == [4, 5]
    school.close()


def test_a_restore_over_an_unreadable_database_falls_back_and_says_so(district_db, keys, public_key, fresh_db, tmp_path):
    school = make_school(fresh_db, "330206-01", learners=4, office=district_db)
    number = first_number(school)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    backup = maintenance.back_up_now(school.path, tmp_path / "usb", actor="clerk").path
    set_phone(school, number, "13900000051")
    merge(district_db, keys, export(school, tmp_path, None, "p2.aspkg"))
    path = school.path
    school.close()
    path.write_bytes(b"not a database any more" * 100)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    result = maintenance.restore_backup(path, backup, actor="clerk")
    assert "读不出来" in result.sync_note and "完整数据包" in result.sync_note
    school = open_database(path)
    set_phone(school, number, "13900000052")
    report = merge(district_db, keys, export(school, tmp_path, None, "p2-again.aspkg"))
    # The number 2 came again (the school could not know it was used), in a new epoch: taken as the school's state.
    assert report.new_epoch and report.sequence == 2 and report.full
    assert phone_at(district_db, number) == "13900000052"
    school.close()


def test_rekey_on_a_copy_of_the_database_leaves_the_original_working(district_db, keys, public_key, fresh_db, tmp_path):
    original = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(original, tmp_path, public_key, "p1.aspkg"))
    copy_path = tmp_path / "copy-on-a-usb-stick.sqlite3"
    copy_database(original.path, copy_path)
    copy = open_database(copy_path)
    with unit_of_work(copy.engine) as session:
        made = sync.rekey(session, actor="clerk")
    assert made.previous_file is not None and made.previous_file.exists() and made.key_file != made.previous_file
    copy.close()
    set_phone(original, first_number(original), "13900000061")
    report = merge(district_db, keys, export(original, tmp_path, None, "p2.aspkg"))  # signed with the original key
    assert report.tables["learners"].updated == 1
    original.close()


def test_a_backup_from_before_a_rekey_still_exports_with_the_key_the_district_accepted(
        district_db, keys, public_key, fresh_db, tmp_path):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    backup = maintenance.back_up_now(school.path, tmp_path / "usb", actor="clerk").path
    with unit_of_work(school.engine) as session:
        new = sync.rekey(session, actor="clerk").fingerprint
    with unit_of_work(district_db.engine) as session:
        district_schools.accept_fingerprint(session, "330206-01", new, actor="district")
    merge(district_db, keys, export(school, tmp_path, None, "p2.aspkg"))
    result, school = restore(school, backup)
    assert f"签名密钥沿用恢复前的（指纹 {new}）" in result.sync_note
    with read_session(school.engine) as session:
        assert sync.own_fingerprint(session) == new
    report = merge(district_db, keys, export(school, tmp_path, None, "p3.aspkg"))
    assert report.new_epoch and report.total("refused") == 0
    with read_session(district_db.engine) as session:
        assert session.execute(select(Learner.id)).first() is not None
    school.close()


def test_restore_on_the_command_line_says_the_next_package_is_full(district_db, keys, public_key, fresh_db, tmp_path,
                                                                   capsys):
    from adultschool.cli import main as cli_main

    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    backup = maintenance.back_up_now(school.path, tmp_path / "usb", actor="clerk").path
    path = school.path
    school.close()
    assert cli_main(["restore", str(backup), "--yes", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "数据上报：恢复后，本校的下一个数据包（第 2 号）将是完整数据包（第 1 轮）" in out
    assert cli_main(["sync", "status", "--db", str(path)]) == 0
    assert "提醒：本校数据库于" in capsys.readouterr().out
