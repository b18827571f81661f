"""Sync packages end to end: a school's database travels to the district's, merges idempotently, and nothing that is
tampered with, forged, out of order or meant for someone else gets in."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select, update

from adultschool import aspkg
from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    ClassSession,
    CountKind,
    DeletedRow,
    Enrolment,
    EnrolmentStatus,
    Learner,
    SchoolClass,
    SyncHeld,
    SyncPackage,
)
from adultschool.services import (
    district,
    district_conflicts,
    district_schools,
    district_status,
    quotas,
    registration,
    rules,
    site,
    study,
    sync,
)
from adultschool.services.registration import RegistrationInput
from adultschool.services.sync_tables import SPECS
from factories import make_id
from syncbuild import (  # noqa: F401 - district_db, keys and public_key are fixtures
    PASSPHRASE,
    _count,
    counts,
    district_db,
    export,
    first_number,
    graduate_one,
    keys,
    make_school,
    merge,
    phone_at,
    public_key,
    set_phone,
    snapshot,
)
from testclock import TODAY

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (every database from fresh_db)


# Building blocks (and the district_db / keys / public_key fixtures) live in syncbuild.py.


# --- tests -------------------------------------------------------------------------------------------------------


def test_every_table_arrives_at_the_district_exactly_as_the_school_has_it(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", office=district_db)
    graduate_one(school, tmp_path, serial=501)
    with unit_of_work(school.engine) as session:
        quotas.record_count(session, township="大碶街道", year=2026, month=11, kind=CountKind.SKILLS_TRAINING,
                            count=42, note=None, actor="clerk")
    with unit_of_work(school.engine) as session:  # a session removed before it was ever sent leaves a tombstone
        school_class = session.execute(select(SchoolClass)).scalars().first()
        lesson = ClassSession(class_id=school_class.id, held_on=TODAY, hours=2.0, course="成人高中语文", topic="补课")
        session.add(lesson)
        session.flush()
        session.add(DeletedRow(table_name="class_sessions", row_uuid=lesson.uuid, reason="建错了"))
        session.delete(lesson)
    report = merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    assert report.key_registered is not None and report.sequence == 1 and report.full
    at_school, at_district = snapshot(school), snapshot(district_db)
    assert all(at_school[spec.name] for spec in SPECS), [s.name for s in SPECS if not at_school[s.name]]
    assert at_district == at_school
    with read_session(district_db.engine) as session:
        # Kept totals are rebuilt at the district, so readiness there agrees with the school's.
        assert study.kept_totals(session) == study.computed_totals(session)


def test_the_same_package_twice_changes_nothing(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", office=district_db)
    data = export(school, tmp_path, public_key, "p1.aspkg")
    merge(district_db, keys, data)
    before = snapshot(district_db), _count(district_db, SyncPackage)
    again = merge(district_db, keys, data)
    assert again.already and again.total("inserted") == 0
    assert (snapshot(district_db), _count(district_db, SyncPackage)) == before


def test_a_package_carries_only_what_changed_and_the_rows_it_points_to(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    number = first_number(school)
    set_phone(school, number, "13900000001")
    report = merge(district_db, keys, export(school, tmp_path, None, "p2.aspkg"))
    assert not report.full and report.sequence == 2
    assert report.tables["learners"].rows == 1 and report.tables["learners"].updated == 1
    assert report.tables["study_records"].rows == 0 and report.tables["enrolments"].rows == 0
    assert report.tables["townships"].rows == 1  # the learner's township, so the package stands on its own
    assert phone_at(district_db, number) == "13900000001"


def test_an_older_package_after_a_newer_one_never_overwrites_newer_rows(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", office=district_db)
    number = first_number(school)
    p1 = export(school, tmp_path, public_key, "p1.aspkg")
    set_phone(school, number, "13900000002")
    p2 = export(school, tmp_path, None, "p2.aspkg")
    set_phone(school, number, "13900000003")
    p3 = export(school, tmp_path, None, "p3.aspkg")
    merge(district_db, keys, p1)
    late = merge(district_db, keys, p3)
    assert late.missing.count == 1 and late.missing.ranges == ((2, 2),)
    assert phone_at(district_db, number) == "13900000003"
    old = merge(district_db, keys, p2)
    assert old.tables["learners"].unchanged == 1 and old.tables["learners"].updated == 0
    assert not old.missing
    assert phone_at(district_db, number) == "13900000003"
    assert snapshot(district_db) == snapshot(school)


def test_packages_in_reverse_order_still_end_in_the_school_state(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", office=district_db)
    number = first_number(school)
    p1 = export(school, tmp_path, public_key, "p1.aspkg")
    set_phone(school, number, "13900000004")
    p2 = export(school, tmp_path, None, "p2.aspkg")
    first = merge(district_db, keys, p2)  # a later package first: it stands on its own
    assert first.missing.ranges == ((1, 1),)
    merge(district_db, keys, p1)
    assert phone_at(district_db, number) == "13900000004"
    assert snapshot(district_db) == snapshot(school)


def test_a_gap_is_reported_and_a_full_package_closes_it(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    set_phone(school, first_number(school), "13900000005")
    export(school, tmp_path, None, "p2.aspkg")  # lost in the post
    set_phone(school, first_number(school), "13900000006")
    assert merge(district_db, keys, export(school, tmp_path, None, "p3.aspkg")).missing.ranges == ((2, 2),)
    with read_session(district_db.engine) as session:
        assert district_status.receipt_body(session, "330206-01")["gaps"] == {"count": 1, "ranges": [[2, 2]], "more_ranges": 0}
        status = {s.code: s for s in district_status.school_statuses(session, TODAY)}["330206-01"]
    assert status.missing.text() == "缺 1 个：第 2 号" and status.sent_this_month
    assert not merge(district_db, keys, export(school, tmp_path, None, "p4.aspkg", full=True)).missing


def _tampered(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def test_one_changed_byte_anywhere_is_rejected_and_writes_nothing(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=4, office=district_db)
    data = export(school, tmp_path, public_key, "p1.aspkg")
    before = counts(district_db)
    positions = sorted({0, len(data) - 1, *range(0, len(data), max(1, len(data) // 60))})
    for position in positions:
        with pytest.raises(AdultSchoolError):
            merge(district_db, keys, _tampered(data, position))
    for length in (0, 10, len(data) // 2, len(data) - 1):
        with pytest.raises(AdultSchoolError):
            merge(district_db, keys, data[:length])
    assert counts(district_db) == before
    assert merge(district_db, keys, data).total("inserted") > 0  # the untouched package still goes in


def test_a_package_for_another_district_is_refused(tmp_path, district_db, keys, public_key, fresh_db):
    other = aspkg.generate_district_keys("330211")
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    data = export(school, tmp_path, aspkg.dump_district_public(other.public), "p1.aspkg")
    with pytest.raises(AdultSchoolError, match="另一个分中心"):
        merge(district_db, keys, data)
    assert counts(district_db)["learners"] == 0


def test_a_package_from_a_newer_program_is_refused_clearly(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    data = export(school, tmp_path, public_key, "p1.aspkg")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "header.json":
                header = json.loads(body)
                header["format_version"] = aspkg.FORMAT_VERSION + 1
                body = json.dumps(header).encode()
            target.writestr(item, body)
    with pytest.raises(AdultSchoolError, match="升级"):
        merge(district_db, keys, out.getvalue())


def test_a_school_whose_key_changed_is_refused_until_the_district_confirms_it(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    with unit_of_work(school.engine) as session:
        new_fingerprint = sync.rekey(session, actor="clerk").fingerprint
    set_phone(school, first_number(school), "13900000007")
    data = export(school, tmp_path, None, "p2.aspkg")
    with pytest.raises(AdultSchoolError, match="签名密钥") as refused:
        merge(district_db, keys, data)
    assert new_fingerprint in str(refused.value)
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="不一致"):
            district.trust_school(session, data, school_code="330206-01", fingerprint="0000" * 8, keys=keys, actor="d")
        with pytest.raises(AdultSchoolError, match="格式不对"):
            district_schools.accept_fingerprint(session, "330206-01", "0000-0000", actor="d")
    with unit_of_work(district_db.engine) as session:
        district.trust_school(session, data, school_code="330206-01", fingerprint=new_fingerprint, keys=keys, actor="d")
    assert merge(district_db, keys, data).tables["learners"].updated == 1


def test_a_new_key_confirmed_by_fingerprint_alone_is_accepted_from_its_next_package(
        tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    with unit_of_work(school.engine) as session:
        new_fingerprint = sync.rekey(session, actor="clerk").fingerprint
    set_phone(school, first_number(school), "13900000017")
    data = export(school, tmp_path, None, "p2.aspkg")
    with unit_of_work(district_db.engine) as session:  # read out on the phone, typed with spaces and in lower case
        district_schools.accept_fingerprint(session, "330206-01", new_fingerprint.lower().replace("-", " "), actor="d")
    assert merge(district_db, keys, data).tables["learners"].updated == 1
    assert phone_at(district_db, first_number(school)) == "13900000017"


def test_a_forged_package_signed_by_someone_else_is_refused(tmp_path, district_db, keys, public_key, fresh_db):
    real = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(real, tmp_path, public_key, "p1.aspkg"))
    forger = tmp_path / "forger"
    forger.mkdir()
    impostor = make_school(fresh_db, "330206-01", learners=3, seed=99, name="forger")  # same code, its own key
    with pytest.raises(AdultSchoolError, match="伪造"):
        merge(district_db, keys, export(impostor, forger, public_key, "p1.aspkg"))
    assert snapshot(district_db) == snapshot(real)


def test_the_same_person_at_two_schools_is_a_conflict_never_merged_silently(tmp_path, district_db, keys, public_key, fresh_db):
    a = make_school(fresh_db, "330206-01", learners=3, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=3, seed=2, office=district_db)
    shared = make_id(date(1990, 2, 3), serial=777)
    for db, level in ((a, "高中"), (b, "初中")):
        with unit_of_work(db.engine) as session:
            registration.register_one(session, RegistrationInput(township="大碶街道", name="王喆", id_number=shared, level=level,
                                                                 registered_on=date(2026, 3, 1)), rules.load_rules(session), actor="clerk")
    merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
    report = merge(district_db, keys, export(b, tmp_path, public_key, "b1.aspkg"))
    assert report.new_conflicts == 1 and report.tables["learners"].held == 1 and report.tables["enrolments"].held == 1
    with read_session(district_db.engine) as session:
        assert session.execute(select(func.count()).where(Learner.id_number == shared)).scalar_one() == 1
        conflicts = district_conflicts.list_conflicts(session)
        receipt = district_status.receipt_body(session, "330206-02")
    assert [(c.existing_school, c.incoming_school, c.name) for c in conflicts] == [("330206-01", "330206-02", "王喆")]
    assert shared not in conflicts[0].id_number  # masked
    assert receipt["conflicts"][0]["other_school"] == "330206-01"
    # A later package of B still holds the person's rows back.
    set_phone(b, _number_of(b, shared), "13900000008")
    assert merge(district_db, keys, export(b, tmp_path, None, "b2.aspkg")).tables["learners"].held == 1
    with unit_of_work(district_db.engine) as session:
        settled = district_conflicts.settle_conflict(session, conflicts[0].id, actor="district", note="电话核实为同一人")
    assert settled.merged >= 2 and not settled.decided
    with read_session(district_db.engine) as session:
        levels = session.execute(select(Enrolment.level).join(Learner).where(Learner.id_number == shared)).scalars().all()
        assert sorted(level.value for level in levels) == ["junior", "senior"]
        assert session.execute(select(func.count()).select_from(SyncHeld)).scalar_one() == 0
        assert district_conflicts.list_conflicts(session) == []


def test_two_open_enrolments_at_the_same_level_cannot_be_settled_as_one_person(tmp_path, district_db, keys, public_key, fresh_db):
    a = make_school(fresh_db, "330206-01", learners=2, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=2, seed=2, office=district_db)
    shared = make_id(date(1990, 2, 3), serial=778)
    for db in (a, b):
        with unit_of_work(db.engine) as session:
            registration.register_one(session, RegistrationInput(township="大碶街道", name="王喆", id_number=shared, level="高中",
                                                                 registered_on=date(2026, 3, 1)), rules.load_rules(session), actor="clerk")
    merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
    merge(district_db, keys, export(b, tmp_path, public_key, "b1.aspkg"))
    with read_session(district_db.engine) as session:
        conflict = district_conflicts.list_conflicts(session)[0]
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="退学"):
            district_conflicts.settle_conflict(session, conflict.id, actor="district")
    with read_session(district_db.engine) as session:
        assert len(district_conflicts.list_conflicts(session)) == 1
        assert session.execute(select(func.count()).select_from(SyncHeld)).scalar_one() >= 2


def _number_of(db, id_number: str) -> str:
    with read_session(db.engine) as session:
        return session.execute(select(Enrolment.student_number).join(Learner).where(Learner.id_number == id_number)).scalar_one()


def test_the_school_reads_the_districts_receipt_and_knows_what_is_unconfirmed(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    set_phone(school, first_number(school), "13900000009")
    export(school, tmp_path, None, "p2.aspkg")  # not yet at the district
    with read_session(district_db.engine) as session:
        receipt, _ = district_status.make_receipt(session, "330206-01", keys)
    with unit_of_work(school.engine) as session:
        result = sync.confirm_receipt(session, receipt, actor="clerk")
    assert result.confirmed == [1] and result.unconfirmed == [2]
    with read_session(school.engine) as session:
        history = {e.sequence: e for e in sync.export_history(session)}
    assert history[1].confirmed_at is not None and history[1].confirmation["counts"]["learners"]["inserted"] > 0
    assert history[2].confirmed_at is None
    # A receipt altered on the way is refused and confirms nothing.
    document = json.loads(receipt)
    document["body"]["packages"][0]["sequence"] = 2
    forged = json.dumps(document, ensure_ascii=False).encode()
    with unit_of_work(school.engine) as session:
        with pytest.raises(AdultSchoolError):
            sync.confirm_receipt(session, forged, actor="clerk")


def test_quota_report_counts_townships_schools_and_who_has_not_sent(tmp_path, district_db, keys, public_key, fresh_db):
    a = make_school(fresh_db, "330206-01", learners=20, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=10, seed=2, office=district_db)
    with unit_of_work(a.engine) as session:
        quotas.record_count(session, township="大碶街道", year=2026, month=10, kind=CountKind.COLLEGE_REFERRAL,
                            count=3, note=None, actor="clerk")
    merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
    merge(district_db, keys, export(b, tmp_path, public_key, "b1.aspkg"))
    with unit_of_work(district_db.engine) as session:
        session.execute(update(SyncPackage).where(SyncPackage.school_code == "330206-01")
                        .values(received_at=datetime(2026, 11, 20, 9, 0)))
        session.execute(update(SyncPackage).where(SyncPackage.school_code == "330206-02")
                        .values(received_at=datetime(2026, 10, 5, 9, 0)))
        site.set_quota(session, "大碶街道", 2026, 100, actor="district")
    with read_session(district_db.engine) as session:
        report = quotas.write_quota_report(session, tmp_path / "q.xlsx", year=2026, month=11, today=date(2026, 11, 23))
        registered = session.execute(select(func.count()).select_from(Enrolment).where(
            Enrolment.quota_year == 2026, Enrolment.status != EnrolmentStatus.WITHDRAWN)).scalar_one()
    assert report.totals().registered == registered > 0
    dagi = next(t for t in report.townships if t.township == "大碶街道")
    assert dagi.quota == 100 and dagi.college_referrals == 3
    book = openpyxl.load_workbook(tmp_path / "q.xlsx")
    progress, sent = book["任务完成情况"], book["报送情况"]
    headers = [c.value for c in progress[2]]
    row = next(r for r in progress.iter_rows(min_row=3, values_only=True) if r[1] == "大碶街道")
    assert row[headers.index("任务数")] == 100 and row[headers.index("累计报名")] == dagi.registered
    assert row[headers.index("完成率")] == f"{dagi.registered:.1f}%"
    sent_rows = {r[0]: r for r in sent.iter_rows(min_row=3, values_only=True)}
    assert sent_rows["330206-01"][2] == "是" and sent_rows["330206-02"][2] == "否"


def test_command_line_round_trip_with_receipt(tmp_path, monkeypatch, capsys, fresh_db):
    monkeypatch.setenv("ADULTSCHOOL_PASSPHRASE", PASSPHRASE)
    school, office, keydir = fresh_db("s"), fresh_db("d"), tmp_path / "k"
    assert cli_main(["init", "--db", str(office), "--district", "330206"]) == 0
    assert cli_main(["sync", "keygen", "--db", str(office), "--out", str(keydir)]) == 0
    assert cli_main(["init", "--db", str(school), "--school-code", "330206-03", "--school-name", "霞浦成校",
                     "--township", "霞浦街道"]) == 0
    assert "签名密钥指纹" in capsys.readouterr().out
    assert cli_main(["demo", "--db", str(school), "--learners", "5"]) == 0
    pkg = tmp_path / "p1.aspkg"
    assert cli_main(["sync", "export", "--db", str(school), "--to", str(keydir / "district.pub"), "--out", str(pkg)]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("exported package 1, rows ")
    fingerprint = next(line for line in out.splitlines() if line.startswith("本校签名密钥指纹：")).split("：")[1]
    # Not on the roster: refused, naming the code.
    assert cli_main(["sync", "import", "--db", str(office), str(pkg)]) == 2
    assert "学校 330206-03 不在本分中心的学校名册上" in capsys.readouterr().err
    assert cli_main(["sync", "schools", "add", "330206-03", "--name", "霞浦成校", "--township", "霞浦街道",
                     "--db", str(office)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "added school 330206-03"
    # Listed, but its key never confirmed: refused, showing the fingerprint to check on the phone.
    assert cli_main(["sync", "import", "--db", str(office), str(pkg)]) == 2
    err = capsys.readouterr().err
    assert "首次收到学校 330206-03" in err and fingerprint in err and "sync trust 330206-03 --fingerprint" in err
    assert cli_main(["sync", "trust", "330206-03", "--fingerprint", fingerprint, "--db", str(office)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"trusted 330206-03 {fingerprint}"
    assert cli_main(["sync", "import", "--db", str(office), str(pkg)]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("package 330206-03 #1: inserted ")
    assert cli_main(["sync", "schools", "list", "--db", str(office), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["code"], s["fingerprint"], s["key_state"], s["townships"]) for s in listed] == [
        ("330206-03", fingerprint, "已确认", ["霞浦街道"])]
    assert cli_main(["sync", "import", "--db", str(office), str(pkg), str(tmp_path / "missing.aspkg")]) == 1
    assert "already imported" in capsys.readouterr().out
    receipt = tmp_path / "receipt.json"
    assert cli_main(["sync", "receipt", "--db", str(office), "--school", "330206-03", "--out", str(receipt)]) == 0
    assert cli_main(["sync", "confirm", "--db", str(school), str(receipt)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "confirmed 1, unconfirmed 0"
    monkeypatch.setenv("ADULTSCHOOL_PASSPHRASE", "wrong-passphrase")
    assert cli_main(["sync", "import", "--db", str(office), str(pkg)]) == 2
    assert "口令" in capsys.readouterr().err
    assert cli_main(["report", "quotas", "--db", str(office), "--out", str(tmp_path / "q.xlsx"), "--month", "2026-11"]) == 0
    assert (tmp_path / "q.xlsx").exists()


def test_only_those_allowed_make_and_merge_packages(tmp_path, district_db, keys, public_key, fresh_db):
    from adultschool.services import accounts
    from adultschool.services.permissions import NotAllowed

    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    for db in (school, district_db):
        with unit_of_work(db.engine) as session:
            accounts.create_account(session, "admin", "admin-password-1", "admin", actor=None)
            accounts.create_account(session, "teacher", "teacher-password-1", "teacher", actor="admin")
            accounts.create_account(session, "clerk", "clerk-password-1", "clerk", actor="admin")
    with unit_of_work(school.engine) as session:
        with pytest.raises(NotAllowed):
            sync.export_package(session, tmp_path / "t.aspkg", district_key_file=public_key, actor="teacher")
    assert not (tmp_path / "t.aspkg").exists()
    with unit_of_work(school.engine) as session:
        sync.export_package(session, tmp_path / "c.aspkg", district_key_file=public_key, actor="clerk")
    data = (tmp_path / "c.aspkg").read_bytes()
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(NotAllowed):
            district.import_package(session, data, file_name="c.aspkg", keys=keys, actor="teacher")
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(NotAllowed):
            district.trust_school(session, data, school_code="330206-01", fingerprint="x", keys=keys, actor="clerk")
    with unit_of_work(district_db.engine) as session:
        assert district.import_package(session, data, file_name="c.aspkg", keys=keys, actor="clerk").total("inserted") > 0


def test_a_demo_school_is_marked_as_one_and_its_package_is_refused(tmp_path, public_key, fresh_db):
    from adultschool.services import demo

    from adultschool.db import open_database

    db = open_database(fresh_db("demo"), create=True)
    with unit_of_work(db.engine) as session:
        demo.fill_demo(session, learners=5, actor="test")
    with read_session(db.engine) as session:
        info = site.get_site(session)
        townships = [t.name for t in site.list_townships(session)]
        assert site.is_demo_school(session)
    assert "演示" in info.name and info.code == "DEMO-01" and all("演示" in name for name in townships)
    with unit_of_work(db.engine) as session:
        with pytest.raises(AdultSchoolError, match="是演示学校，学员都是虚构的，不能报送到分中心"):
            sync.export_package(session, tmp_path / "demo.aspkg", district_key_file=public_key, actor="test")
    assert not (tmp_path / "demo.aspkg").exists()
    db.close()


def test_a_core_update_that_forgets_the_row_version_fails_in_the_tests(school_db):
    """tests/versionguard.py: an UPDATE of a travelling table must raise `version`, or the row never leaves."""
    from versionguard import VersionNotRaised
    from adultschool.models import Township
    from adultschool.services.sync_tables import update_travelling

    with unit_of_work(school_db.engine) as session:
        name = session.scalars(select(Township.name)).first()
        with pytest.raises(VersionNotRaised, match="townships"):
            session.execute(update(Township).where(Township.name == name).values(name="改名街道"))
    with unit_of_work(school_db.engine) as session:
        before = session.scalars(select(Township.version).where(Township.name == name)).one()
        session.execute(update_travelling(Township).where(Township.name == name).values(name="改名街道"))
    with unit_of_work(school_db.engine) as session:
        assert session.scalars(select(Township.version).where(Township.name == "改名街道")).one() == before + 1
