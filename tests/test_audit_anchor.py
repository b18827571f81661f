"""The audit chain's head is anchored outside the table (this PC's anchor file, the backups), so cutting its tail with
sqlite3, emptying it, or rewriting it consistently from some row on is reported as "cut short" by `audit verify`."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone

import pytest

from adultschool import cli, paths
from adultschool.db import read_session, unit_of_work
from adultschool.services import audit, maintenance, site
from adultschool.services.registration import RegistrationInput
from factories import make_id
from syncbuild import district_db, export, keys, make_school, merge, public_key  # noqa: F401 - fixtures

pytestmark = pytest.mark.sqlite_only("edits the audit table of the school file with sqlite3, as an attacker would")


def register(db, count, start=1):
    from adultschool.services import registration, rules

    with unit_of_work(db.engine) as session:
        for serial in range(start, start + count):
            registration.register_one(session, RegistrationInput(
                name=f"学员{serial}", id_number=make_id(date(1980, 1, serial), serial=serial), level="高中",
                registered_on=date(2026, 3, 2), township="大碶街道"), rules.load_rules(session), actor="t")


def verify(capsys, db_path, *extra):
    code = cli.main(["audit", "verify", "--db", str(db_path), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def entry_count(db_path):
    with sqlite3.connect(db_path) as connection:
        return connection.execute("SELECT count(*) FROM audit_entries").fetchone()[0]


def rewrite_from(db_path, first_id):
    """What a careful attacker does: change entry `first_id` and recompute every hash after it, so the chain is whole."""
    connection = sqlite3.connect(db_path)
    try:
        rows = connection.execute("SELECT id, at, actor, action, entity, entity_uuid, summary, before, after, prev_hash "
                                  "FROM audit_entries WHERE id >= ? ORDER BY id", (first_id,)).fetchall()
        prev_hash = rows[0][9]
        for number, (entry_id, at, actor, action, entity, entity_uuid, summary, before, after, _) in enumerate(rows):
            if number == 0:
                summary = "（无事）"
            moment = datetime.fromisoformat(at)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
            new_hash = audit._digest(prev_hash, moment, actor, action, entity, entity_uuid, summary, before, after)
            connection.execute("UPDATE audit_entries SET summary = ?, prev_hash = ?, hash = ? WHERE id = ?",
                               (summary, prev_hash, new_hash, entry_id))
            prev_hash = new_hash
        connection.commit()
    finally:
        connection.close()


@pytest.fixture
def school(school_db):
    register(school_db, 5)
    return school_db


def test_an_untouched_chain_is_intact_and_anchored_on_this_pc(capsys, school):
    code, out, _ = verify(capsys, school.path)
    total = entry_count(school.path)
    assert code == 0 and out.strip().splitlines()[-1] == f"audit chain intact, {total} entries, checked against 1 anchors"
    assert "anchor 本机" in out


def test_deleting_the_last_row_is_cut_short(capsys, school):
    with sqlite3.connect(school.path) as connection:
        connection.execute("DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries)")
    with read_session(school.engine) as session:
        assert audit.verify(session).intact  # the chain alone cannot tell
    code, _, err = verify(capsys, school.path)
    assert code == 1 and "cut short" in err and "本机" in err and "截短" in err


def test_deleting_every_row_is_cut_short(capsys, school):
    before = entry_count(school.path)
    with sqlite3.connect(school.path) as connection:
        connection.execute("DELETE FROM audit_entries")
    code, _, err = verify(capsys, school.path)
    assert code == 1 and f"曾有 {before} 条" in err and "现在只有 0 条" in err


def test_a_chain_rewritten_consistently_from_row_n_is_caught(capsys, school):
    rewrite_from(school.path, 3)
    with read_session(school.engine) as session:
        assert audit.verify(session).intact  # consistent: the chain alone cannot tell
    code, _, err = verify(capsys, school.path)
    assert code == 1 and "整体改写" in err


def test_later_work_does_not_move_the_anchor_over_a_cut(capsys, school):
    with sqlite3.connect(school.path) as connection:
        connection.execute("DELETE FROM audit_entries WHERE id > 3")
    register(school, 2, start=10)  # the program keeps working after the cut
    code, _, err = verify(capsys, school.path)
    assert code == 1 and "cut short" in err


def test_the_exit_backups_are_anchors_when_this_pcs_file_is_gone_too(capsys, school):
    maintenance.back_up_on_exit(school.path)
    with unit_of_work(school.engine) as session:
        key = audit.database_key(session)
    paths.audit_anchor_file(key).unlink()
    code, out, _ = verify(capsys, school.path)
    assert code == 0 and "anchor 备份" in out
    with sqlite3.connect(school.path) as connection:
        connection.execute("DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries)")
    paths.audit_anchor_file(key).unlink(missing_ok=True)
    code, _, err = verify(capsys, school.path)
    assert code == 1 and "备份" in err and "exit" in err


def test_a_backup_on_a_usb_stick_is_an_anchor_when_named(capsys, school, tmp_path):
    made = maintenance.back_up_now(school.path, tmp_path / "usb", actor=None)
    rewrite_from(school.path, 1)
    with unit_of_work(school.engine) as session:
        paths.audit_anchor_file(audit.database_key(session)).unlink()
    assert verify(capsys, school.path)[0] == 0  # nothing left to compare with on this PC
    code, _, err = verify(capsys, school.path, "--backup", str(made.path))
    assert code == 1 and made.path.name in err


def test_a_restore_replaces_the_chain_and_the_anchor_on_purpose(capsys, school, tmp_path):
    made = maintenance.back_up_now(school.path, tmp_path / "usb", actor=None)
    register(school, 3, start=20)
    maintenance.back_up_on_exit(school.path)  # a newer backup, of the chain about to be replaced
    maintenance.restore_backup(school.path, made.path, actor="admin")
    code, out, _ = verify(capsys, school.path)
    assert code == 0, out
    with read_session(school.engine) as session:
        assert site.get_site(session).code


# --- the district's receipt: an anchor the school cannot rewrite --------------------------------------------------

def test_the_districts_receipt_returns_the_head_and_catches_a_cut_the_pc_cannot(capsys, district_db, keys, public_key,
                                                                                fresh_db, tmp_path):
    from adultschool.services import district_status, sync

    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    with read_session(school.engine) as session:
        before_export = audit.head(session)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    with unit_of_work(district_db.engine) as session:
        receipt, body = district_status.make_receipt(session, "330206-01", keys)
    head_at_export = audit.AuditHead.from_json(body["packages"][0]["audit_head"])  # what the district sees and returns
    assert head_at_export.entries > before_export.entries
    with sqlite3.connect(school.path) as connection:
        assert connection.execute("SELECT hash FROM audit_entries WHERE id = ?",
                                  (head_at_export.last_id,)).fetchone()[0] == head_at_export.last_hash
    with unit_of_work(school.engine) as session:
        sync.confirm_receipt(session, receipt, actor="clerk")
        paths.audit_anchor_file(audit.database_key(session)).unlink()  # this PC's own anchor is gone too
    assert verify(capsys, school.path)[0] == 0
    with sqlite3.connect(school.path) as connection:
        connection.execute("DELETE FROM audit_entries WHERE id >= ?", (head_at_export.last_id,))
    code, _, err = verify(capsys, school.path)
    assert code == 1 and "分中心 330206 的回执（第 1 号数据包）" in err and "截短" in err
    school.close()
