"""Backups that leave the data folder are sealed under a passphrase: `backup --out` writes an .asbackup that holds no
readable byte of the database, restores only with the passphrase, and brings the school's signing key back."""
from __future__ import annotations

import sqlite3

import pytest

from adultschool import cli
from adultschool.db import unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.services import maintenance, sync
from adultschool.aspkg import sealed
from factories import SCHOOL_CODE

pytestmark = pytest.mark.sqlite_only("backups are copies of the SQLite file")

PASSPHRASE = "城关成校-备份-2026"


def add_township(db, name):
    from adultschool.services import site

    with unit_of_work(db.engine) as session:
        site.add_township(session, name, school_code=SCHOOL_CODE, actor="tester")


def townships(db_path):
    with sqlite3.connect(db_path) as connection:
        return sorted(name for (name,) in connection.execute("SELECT name FROM townships"))


def test_a_sealed_backup_restores_only_with_its_passphrase(school_db, tmp_path):
    add_township(school_db, "霞浦街道")
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester", passphrase=PASSPHRASE)
    assert made.path.suffix == ".asbackup" and sealed.is_sealed(made.path)
    raw = made.path.read_bytes()
    assert b"SQLite format 3" not in raw and "霞浦街道".encode() not in raw and SCHOOL_CODE.encode() in raw[:2000]
    assert made.preview.site_code == SCHOOL_CODE
    add_township(school_db, "柴桥街道")  # after the backup

    with pytest.raises(maintenance.BackupNeedsPassphrase, match="已加密"):
        maintenance.restore_backup(school_db.path, made.path, actor="tester")
    with pytest.raises(AdultSchoolError, match="备份密码不对"):
        maintenance.restore_backup(school_db.path, made.path, actor="tester", passphrase="not-the-passphrase")
    assert "柴桥街道" in townships(school_db.path)  # nothing changed by the refusals

    preview = maintenance.preview_backup(made.path, db_path=school_db.path, passphrase=PASSPHRASE)
    assert preview.file == made.path and preview.site_code == SCHOOL_CODE
    maintenance.restore_backup(school_db.path, made.path, actor="tester", passphrase=PASSPHRASE)
    assert "霞浦街道" in townships(school_db.path) and "柴桥街道" not in townships(school_db.path)


def test_a_damaged_or_cut_sealed_backup_does_not_open(school_db, tmp_path):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester", passphrase=PASSPHRASE)
    raw = made.path.read_bytes()
    (tmp_path / "cut.asbackup").write_bytes(raw[:-100])
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 1
    (tmp_path / "flipped.asbackup").write_bytes(bytes(flipped))
    for name in ("cut.asbackup", "flipped.asbackup"):
        with pytest.raises(AdultSchoolError, match="已损坏"):
            maintenance.preview_backup(tmp_path / name, passphrase=PASSPHRASE)


def test_a_short_passphrase_is_refused_before_anything_is_written(school_db, tmp_path):
    with pytest.raises(AdultSchoolError, match="太短"):
        maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester", passphrase="1234")
    assert not (tmp_path / "usb").exists() or not any((tmp_path / "usb").iterdir())


def test_the_signing_key_travels_in_the_sealed_backup_to_a_new_pc(school_db, tmp_path, monkeypatch):
    with unit_of_work(school_db.engine) as session:
        sync.ensure_signing_key(session, actor="tester")
        key = sync.signing_key_file(session)
    assert key is not None and key.exists()
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester", passphrase=PASSPHRASE)
    assert key.read_bytes() not in made.path.read_bytes()
    key.unlink()  # the old PC died: its keys folder is gone
    result = maintenance.restore_backup(school_db.path, made.path, actor="tester", passphrase=PASSPHRASE)
    assert result.keys_restored == (key,) and key.exists()


def test_the_cli_seals_by_default_and_restore_asks_for_the_passphrase(school_db, tmp_path, capsys, monkeypatch):
    school_db.close()
    monkeypatch.setenv("ADULTSCHOOL_BACKUP_PASSPHRASE", PASSPHRASE)
    code = cli.main(["backup", "--db", str(school_db.path), "--out", str(tmp_path / "usb")])
    out = capsys.readouterr().out
    [written] = list((tmp_path / "usb").glob("*.asbackup"))
    assert code == 0 and "备份已加密" in out and out.strip().splitlines()[-1].startswith(f"backed up to {written}")
    monkeypatch.setenv("ADULTSCHOOL_BACKUP_PASSPHRASE", "wrong-passphrase")
    assert cli.main(["restore", str(written), "--db", str(school_db.path), "--yes"]) == 2
    assert "备份密码不对" in capsys.readouterr().err
    monkeypatch.setenv("ADULTSCHOOL_BACKUP_PASSPHRASE", PASSPHRASE)
    assert cli.main(["restore", str(written), "--db", str(school_db.path), "--yes"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(f"restored {written}")
