"""Sync packages end to end: a school's database travels to the district's, merges idempotently, and nothing that is
tampered with, forged, out of order or meant for someone else gets in."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import time_machine
from sqlalchemy import func, select, update

from adultschool import sync as package_format
from adultschool.cli import main as cli_main
from adultschool.db import open_database, read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    CountKind,
    Enrolment,
    EnrolmentStatus,
    Learner,
    SiteKind,
    SyncHeld,
    SyncPackage,
)
from adultschool.services import demo, district, exams, quotas, registration, rules, site, study, sync
from adultschool.services.registration import RegistrationInput
from adultschool.services.sync import _select_rows
from adultschool.services.travel import SPECS
from factories import make_id
from testclock import TODAY

PASSPHRASE = "correct-horse-battery"
SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]
pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (every database from fresh_db)


# --- building blocks ---------------------------------------------------------------------------------------------


@pytest.fixture
def district_db(tmp_path, fresh_db):
    db = open_database(fresh_db("district"), create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.DISTRICT, code="330206", name="北仑区分中心", actor="district")
        district.keygen(session, tmp_path / "keys", PASSPHRASE, actor="district")
    yield db
    db.close()


@pytest.fixture
def keys(district_db):
    with read_session(district_db.engine) as session:
        return district.district_keys(session, PASSPHRASE)


@pytest.fixture
def public_key(tmp_path, district_db) -> bytes:
    return (tmp_path / "keys" / "district.pub").read_bytes()


def make_school(fresh_db, code: str, *, learners: int = 12, seed: int = 1, name: str | None = None) -> object:
    """A school database from `fresh_db` (a file, or a PostgreSQL database) with demo learners."""
    db = open_database(fresh_db(name or f"school-{code}"), create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code=code, name=f"{code} 成人文化技术学校", actor="clerk")
        sync.ensure_signing_key(session, actor="clerk")
        demo.fill_demo(session, learners=learners, actor="clerk", seed=seed, today=date(2026, 11, 20))
    return db


def graduate_one(db, tmp_path, *, serial: int) -> str:
    """A learner carried through study, exam, results, graduation, printing and a skill certificate."""
    id_number = make_id(date(1988, 6, 1), serial=serial)
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(township="大碶街道",
            name="林犇", id_number=id_number, level="高中", registered_on=date(2026, 1, 31)), rules.load_rules(session),
            actor="clerk")
    number = registered.student_number
    book = openpyxl.Workbook()
    book.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for i in range(20):
        book.active.append([id_number, "成人高中数学", f"第{i}讲", 60])
    book.save(tmp_path / f"study-{serial}.xlsx")
    with unit_of_work(db.engine) as session:
        study.import_study(session, tmp_path / f"study-{serial}.xlsx", actor="clerk")
    with unit_of_work(db.engine) as session:
        exams.apply_for_exam(session, date(2026, 5, 1), round_name="2026年5月结业考试", actor="clerk", student_numbers=[number])
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "课程", "成绩", "考试日期"])
    for course in SENIOR:
        book.active.append([number, course, 75, "2026-05-20"])
    book.save(tmp_path / f"results-{serial}.xlsx")
    with unit_of_work(db.engine) as session:
        exams.import_results(session, tmp_path / f"results-{serial}.xlsx", actor="clerk")
        exams.record_skill_certificate(session, student_number=number, name="叉车司机（五级）", number=f"S{serial}",
                                       issued_on=date(2026, 3, 1), actor="clerk")
    with unit_of_work(db.engine) as session:
        exams.graduate(session, date(2026, 6, 1), actor="clerk")
        exams.certificates_to_print(session, actor="clerk", student_numbers=[number])
    return number


def export(db, tmp_path: Path, public_key: bytes | None, name: str, *, full: bool = False) -> bytes:
    out = tmp_path / name
    with unit_of_work(db.engine) as session:
        sync.export_package(session, out, district_key_file=public_key, full=full, actor="clerk")
    return out.read_bytes()


def merge(district_db, keys, data: bytes, name: str = "p.aspkg") -> district.PackageReport:
    with unit_of_work(district_db.engine) as session:
        return district.import_package(session, data, file_name=name, keys=keys, actor="district")


def snapshot(db) -> dict[str, dict[str, dict]]:
    """Every travelling row as it travels (foreign keys as uuids), by table and uuid."""
    with read_session(db.engine) as session:
        return {spec.name: {r["uuid"]: dict(r) for r in session.execute(_select_rows(spec, changed_only=False)).mappings()}
                for spec in SPECS}


def counts(db) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot(db).items()} | {"packages": _count(db, SyncPackage)}


def _count(db, model) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def set_phone(db, student_number: str, phone: str) -> None:
    with unit_of_work(db.engine) as session:
        learner_id = session.execute(select(Enrolment.learner_id).where(Enrolment.student_number == student_number)).scalar_one()
        session.execute(update(Learner).where(Learner.id == learner_id).values(phone=phone, version=Learner.version + 1))


def phone_at(db, student_number: str) -> str | None:
    with read_session(db.engine) as session:
        return session.execute(select(Learner.phone).join(Enrolment, Enrolment.learner_id == Learner.id)
                               .where(Enrolment.student_number == student_number)).scalar_one()


def first_number(db) -> str:
    with read_session(db.engine) as session:
        return session.execute(select(Enrolment.student_number).order_by(Enrolment.id)).scalars().first()


# --- tests -------------------------------------------------------------------------------------------------------


def test_every_table_arrives_at_the_district_exactly_as_the_school_has_it(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01")
    graduate_one(school, tmp_path, serial=501)
    with unit_of_work(school.engine) as session:
        quotas.record_count(session, township="大碶街道", year=2026, month=11, kind=CountKind.SKILLS_TRAINING,
                            count=42, note=None, actor="clerk")
    report = merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    assert report.first_contact is not None and report.sequence == 1 and report.full
    at_school, at_district = snapshot(school), snapshot(district_db)
    # Every table but the tombstones, which a first package cannot have (see the deletion round trip tests).
    assert all(at_school[spec.name] for spec in SPECS if spec.name != "deleted_rows"), \
        [s.name for s in SPECS if not at_school[s.name]]
    assert at_district == at_school
    with read_session(district_db.engine) as session:
        # Kept totals are rebuilt at the district, so readiness there agrees with the school's.
        assert study.kept_totals(session) == study.computed_totals(session)


def test_the_same_package_twice_changes_nothing(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01")
    data = export(school, tmp_path, public_key, "p1.aspkg")
    merge(district_db, keys, data)
    before = snapshot(district_db), _count(district_db, SyncPackage)
    again = merge(district_db, keys, data)
    assert again.already and again.total("inserted") == 0
    assert (snapshot(district_db), _count(district_db, SyncPackage)) == before


def test_a_package_carries_only_what_changed_and_the_rows_it_points_to(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01")
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
    school = make_school(fresh_db, "330206-01")
    number = first_number(school)
    p1 = export(school, tmp_path, public_key, "p1.aspkg")
    set_phone(school, number, "13900000002")
    p2 = export(school, tmp_path, None, "p2.aspkg")
    set_phone(school, number, "13900000003")
    p3 = export(school, tmp_path, None, "p3.aspkg")
    merge(district_db, keys, p1)
    late = merge(district_db, keys, p3)
    assert late.missing == [2]
    assert phone_at(district_db, number) == "13900000003"
    old = merge(district_db, keys, p2)
    assert old.tables["learners"].unchanged == 1 and old.tables["learners"].updated == 0
    assert old.missing == []
    assert phone_at(district_db, number) == "13900000003"
    assert snapshot(district_db) == snapshot(school)


def test_packages_in_reverse_order_still_end_in_the_school_state(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01")
    number = first_number(school)
    p1 = export(school, tmp_path, public_key, "p1.aspkg")
    set_phone(school, number, "13900000004")
    p2 = export(school, tmp_path, None, "p2.aspkg")
    first = merge(district_db, keys, p2)  # a later package first: it stands on its own
    assert first.missing == [1]
    merge(district_db, keys, p1)
    assert phone_at(district_db, number) == "13900000004"
    assert snapshot(district_db) == snapshot(school)


def test_a_gap_is_reported_and_a_full_package_closes_it(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01")
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    set_phone(school, first_number(school), "13900000005")
    export(school, tmp_path, None, "p2.aspkg")  # lost in the post
    set_phone(school, first_number(school), "13900000006")
    assert merge(district_db, keys, export(school, tmp_path, None, "p3.aspkg")).missing == [2]
    with read_session(district_db.engine) as session:
        assert district.receipt_body(session, "330206-01")["missing"] == [2]
        status = {s.code: s for s in district.school_statuses(session, TODAY)}["330206-01"]
    assert status.missing == [2] and status.sent_this_month
    assert merge(district_db, keys, export(school, tmp_path, None, "p4.aspkg", full=True)).missing == []


def _tampered(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def test_one_changed_byte_anywhere_is_rejected_and_writes_nothing(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=4)
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
    other = package_format.generate_district_keys("330211")
    school = make_school(fresh_db, "330206-01", learners=3)
    data = export(school, tmp_path, package_format.dump_district_public(other.public), "p1.aspkg")
    with pytest.raises(AdultSchoolError, match="另一个分中心"):
        merge(district_db, keys, data)
    assert counts(district_db)["learners"] == 0


def test_a_package_from_a_newer_program_is_refused_clearly(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=3)
    data = export(school, tmp_path, public_key, "p1.aspkg")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "header.json":
                header = json.loads(body)
                header["format_version"] = package_format.FORMAT_VERSION + 1
                body = json.dumps(header).encode()
            target.writestr(item, body)
    with pytest.raises(AdultSchoolError, match="升级"):
        merge(district_db, keys, out.getvalue())


def test_a_school_whose_key_changed_is_refused_until_the_district_confirms_it(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=3)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    with unit_of_work(school.engine) as session:
        new_fingerprint = sync.rekey(session, actor="clerk")
    set_phone(school, first_number(school), "13900000007")
    data = export(school, tmp_path, None, "p2.aspkg")
    with pytest.raises(AdultSchoolError, match="签名密钥") as refused:
        merge(district_db, keys, data)
    assert new_fingerprint in str(refused.value)
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="不一致"):
            district.trust_school(session, data, school_code="330206-01", fingerprint="0000-0000", keys=keys, actor="d")
    with unit_of_work(district_db.engine) as session:
        district.trust_school(session, data, school_code="330206-01", fingerprint=new_fingerprint, keys=keys, actor="d")
    assert merge(district_db, keys, data).tables["learners"].updated == 1


def test_a_forged_package_signed_by_someone_else_is_refused(tmp_path, district_db, keys, public_key, fresh_db):
    real = make_school(fresh_db, "330206-01", learners=3)
    merge(district_db, keys, export(real, tmp_path, public_key, "p1.aspkg"))
    forger = tmp_path / "forger"
    forger.mkdir()
    impostor = make_school(fresh_db, "330206-01", learners=3, seed=99, name="forger")  # same code, its own key
    with pytest.raises(AdultSchoolError, match="伪造"):
        merge(district_db, keys, export(impostor, forger, public_key, "p1.aspkg"))
    assert snapshot(district_db) == snapshot(real)


def test_the_same_person_at_two_schools_is_a_conflict_never_merged_silently(tmp_path, district_db, keys, public_key, fresh_db):
    a = make_school(fresh_db, "330206-01", learners=3, seed=1)
    b = make_school(fresh_db, "330206-02", learners=3, seed=2)
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
        conflicts = district.list_conflicts(session)
        receipt = district.receipt_body(session, "330206-02")
    assert [(c.existing_school, c.incoming_school, c.name) for c in conflicts] == [("330206-01", "330206-02", "王喆")]
    assert shared not in conflicts[0].id_number  # masked
    assert receipt["conflicts"][0]["other_school"] == "330206-01"
    # A later package of B still holds the person's rows back.
    set_phone(b, _number_of(b, shared), "13900000008")
    assert merge(district_db, keys, export(b, tmp_path, None, "b2.aspkg")).tables["learners"].held == 1
    with unit_of_work(district_db.engine) as session:
        merged = district.settle_conflict(session, conflicts[0].id, actor="district", note="电话核实为同一人")
    assert merged >= 2
    with read_session(district_db.engine) as session:
        levels = session.execute(select(Enrolment.level).join(Learner).where(Learner.id_number == shared)).scalars().all()
        assert sorted(level.value for level in levels) == ["junior", "senior"]
        assert session.execute(select(func.count()).select_from(SyncHeld)).scalar_one() == 0
        assert district.list_conflicts(session) == []


def test_two_open_enrolments_at_the_same_level_cannot_be_settled_as_one_person(tmp_path, district_db, keys, public_key, fresh_db):
    a = make_school(fresh_db, "330206-01", learners=2, seed=1)
    b = make_school(fresh_db, "330206-02", learners=2, seed=2)
    shared = make_id(date(1990, 2, 3), serial=778)
    for db in (a, b):
        with unit_of_work(db.engine) as session:
            registration.register_one(session, RegistrationInput(township="大碶街道", name="王喆", id_number=shared, level="高中",
                                                                 registered_on=date(2026, 3, 1)), rules.load_rules(session), actor="clerk")
    merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
    merge(district_db, keys, export(b, tmp_path, public_key, "b1.aspkg"))
    with read_session(district_db.engine) as session:
        conflict = district.list_conflicts(session)[0]
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="退学"):
            district.settle_conflict(session, conflict.id, actor="district")
    with read_session(district_db.engine) as session:
        assert len(district.list_conflicts(session)) == 1
        assert session.execute(select(func.count()).select_from(SyncHeld)).scalar_one() >= 2


def _number_of(db, id_number: str) -> str:
    with read_session(db.engine) as session:
        return session.execute(select(Enrolment.student_number).join(Learner).where(Learner.id_number == id_number)).scalar_one()


def test_the_school_reads_the_districts_receipt_and_knows_what_is_unconfirmed(tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", learners=3)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    set_phone(school, first_number(school), "13900000009")
    export(school, tmp_path, None, "p2.aspkg")  # not yet at the district
    with read_session(district_db.engine) as session:
        receipt, _ = district.make_receipt(session, "330206-01", keys)
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
    a = make_school(fresh_db, "330206-01", learners=20, seed=1)
    b = make_school(fresh_db, "330206-02", learners=10, seed=2)
    with unit_of_work(a.engine) as session:
        quotas.record_count(session, township="大碶街道", year=2026, month=10, kind=CountKind.COLLEGE_REFERRAL,
                            count=3, note=None, actor="clerk")
    with time_machine.travel(datetime(2026, 11, 23, 10, 0).astimezone(), tick=False):  # the packages of November
        merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
        merge(district_db, keys, export(b, tmp_path, public_key, "b1.aspkg"))
    with unit_of_work(district_db.engine) as session:
        session.execute(update(SyncPackage).where(SyncPackage.school_code == "330206-02")
                        .values(received_at=date(2026, 10, 5)))
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
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("exported package 1, rows ")
    assert cli_main(["sync", "import", "--db", str(office), str(pkg)]) == 0
    out = capsys.readouterr().out
    assert "首次收到" in out and out.strip().splitlines()[-1].startswith("package 330206-03 #1: inserted ")
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
    from adultschool.services.accounts import NotAllowed

    school = make_school(fresh_db, "330206-01", learners=3)
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
