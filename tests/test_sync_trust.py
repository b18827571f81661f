"""The district trusts only its own schools, and each school only for its own rows (issue 22): every attack tried
against the district with nothing but district.pub, or with one school's real key, is refused and leaves the other
schools' data as it was."""
from __future__ import annotations

import math
import time

import pytest
from sqlalchemy import func, select

from adultschool import clock, idcard
from adultschool import aspkg
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Attendance,
    ClassSession,
    DeletedRow,
    Enrolment,
    Learner,
    School,
    SchoolClass,
    SyncPackage,
    SyncSchool,
)
from adultschool.services import district, district_schools, district_status, rules, study, sync
from adultschool.services.district_schools import KeyNotAccepted, SchoolNotListed
from adultschool.services.sync_tables import SPEC_BY_NAME, SPECS, decode_lines, encode_line
from syncbuild import (  # noqa: F401 - district_db, keys and public_key are fixtures
    counts,
    district_db,
    enlist,
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

pytestmark = pytest.mark.server_db


def rows_of(package: bytes, keys) -> dict[str, list[dict]]:
    opened = aspkg.open_package(package, keys)
    return {spec.name: decode_lines(spec, opened.members[spec.member]) for spec in SPECS if spec.member in opened.members}


def craft(rows: dict[str, list[dict]], *, code: str, sequence: int, signing_pem: bytes, keys, full: bool = True,
          name: str = "某成校", extra: dict | None = None) -> bytes:
    """A package as anyone holding district.pub (and some signing key) can make one."""
    members = {SPEC_BY_NAME[table].member: b"".join(encode_line(SPEC_BY_NAME[table], r) for r in table_rows)
               for table, table_rows in rows.items()}
    manifest = {"school_name": name, "previous": sequence - 1 or None, "full": full,
                "counts": {t: len(r) for t, r in rows.items()}, **(extra or {})}
    return aspkg.write_package(school_code=code, sequence=sequence, created_at=clock.now().isoformat(),
                                        manifest=manifest, members=members, signing_key_pem=signing_pem,
                                        district=keys.public)


def signing_pem(school) -> bytes:
    with read_session(school.engine) as session:
        return sync.signing_key(session)


def roster_size(db) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(SyncSchool)).scalar_one()


# --- who may send -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["330206-09", "330206-77", "330207-01", "330206", "330211-01", "999999-01", "330206-01-2"])
def test_a_package_from_a_code_not_on_the_roster_is_refused_naming_the_code(code, district_db, keys, fresh_db,
                                                                            tmp_path, public_key):
    listed = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(listed, tmp_path, public_key, "a1.aspkg"))
    before = counts(district_db), roster_size(district_db)
    forged = craft({"learners": []}, code=code, sequence=1, signing_pem=aspkg.new_signing_key(), keys=keys)
    with pytest.raises(SchoolNotListed) as refused:
        merge(district_db, keys, forged)
    assert code in str(refused.value) and "没有导入" in str(refused.value)
    if not code.startswith("330206-"):
        assert "不属于本分中心" in str(refused.value)
    assert (counts(district_db), roster_size(district_db)) == before


def test_a_listed_schools_first_package_needs_its_key_accepted_no_trust_on_first_sight(
        district_db, keys, fresh_db, tmp_path, public_key):
    school = make_school(fresh_db, "330206-02", learners=3)
    with unit_of_work(district_db.engine) as session:
        district_schools.add_school(session, "330206-02", name="霞浦成校", townships=["霞浦街道"], actor="district")
    package = export(school, tmp_path, public_key, "p1.aspkg")
    with read_session(school.engine) as session:
        fingerprint = sync.own_fingerprint(session)
    with pytest.raises(KeyNotAccepted) as refused:
        merge(district_db, keys, package)
    assert refused.value.offered == fingerprint and refused.value.expected is None
    assert fingerprint in str(refused.value) and "打电话" in str(refused.value)
    assert counts(district_db)["learners"] == 0
    # A fingerprint registered wrongly (a typo on the phone) refuses the package too, showing both.
    with unit_of_work(district_db.engine) as session:
        district_schools.accept_fingerprint(session, "330206-02", "1234" * 8, actor="district")
    with pytest.raises(KeyNotAccepted) as refused:
        merge(district_db, keys, package)
    assert fingerprint in str(refused.value) and "1234-1234" in str(refused.value)
    with unit_of_work(district_db.engine) as session:
        district_schools.accept_fingerprint(session, "330206-02", fingerprint, actor="district")
    report = merge(district_db, keys, package)
    assert report.key_registered == fingerprint and report.total("inserted") > 0
    with read_session(district_db.engine) as session:
        listed = district_schools.get_school(session, "330206-02")
    assert listed.key_state == "已确认" and listed.townships == ("霞浦街道",)


def test_codes_outside_the_districts_prefix_cannot_be_put_on_the_roster(district_db):
    for code in ("330207-01", "330206", "330206-", "330206-01-02", "3302061"):
        with unit_of_work(district_db.engine) as session:
            with pytest.raises(AdultSchoolError, match="不属于本分中心"):
                district_schools.add_school(session, code, name="某校", actor="district")
    assert roster_size(district_db) == 0


def test_a_retired_school_is_refused_and_what_it_sent_stays(district_db, keys, fresh_db, tmp_path, public_key):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    held = counts(district_db)
    with unit_of_work(district_db.engine) as session:
        district_schools.retire_school(session, "330206-01", reason="并入大碶成校", actor="district")
    set_phone(school, first_number(school), "13900000031")
    with pytest.raises(SchoolNotListed, match="停用"):
        merge(district_db, keys, export(school, tmp_path, None, "p2.aspkg"))
    assert counts(district_db) == held


# --- whose rows -------------------------------------------------------------------------------------------------


def test_a_trusted_school_cannot_change_another_schools_rows(district_db, keys, fresh_db, tmp_path, public_key):
    a = make_school(fresh_db, "330206-01", learners=4, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=4, seed=2, office=district_db)
    a_package = export(a, tmp_path, public_key, "a1.aspkg")
    merge(district_db, keys, a_package)
    a_rows = rows_of(a_package, keys)
    target = a_rows["learners"][0]
    number = next(e["student_number"] for e in a_rows["enrolments"] if e["learner_id"] == target["uuid"])
    # B holds a copy of A's database: it knows A's uuids, and signs with its own, real key.
    stolen_learner = dict(target, name="冒名", phone="13000000000", version=50,
                          id_number=target["id_number"][:17] + ("0" if target["id_number"][17] != "0" else "1"))
    stolen_school = dict(a_rows["schools"][0], name="被改名的学校", version=50)
    stolen_enrolment = dict(next(e for e in a_rows["enrolments"] if e["learner_id"] == target["uuid"]),
                            status="withdrawn", version=50)
    b_rows = rows_of(export(b, tmp_path, public_key, "b1.aspkg"), keys)
    b_rows["learners"].append(stolen_learner)
    b_rows["schools"].append(stolen_school)
    b_rows["enrolments"].append(stolen_enrolment)
    a_before = {table: rows for table, rows in snapshot(district_db).items()}
    report = merge(district_db, keys, craft(b_rows, code="330206-02", sequence=1, signing_pem=signing_pem(b), keys=keys))
    refused = {(r.table, r.uuid): r.reason for r in report.refused}
    assert set(refused) == {("learners", target["uuid"]), ("schools", stolen_school["uuid"]),
                            ("enrolments", stolen_enrolment["uuid"])}
    assert all("这是学校 330206-01 的记录" in reason for reason in refused.values())
    assert report.total("refused") == 3 and report.tables["learners"].inserted == len(b_rows["learners"]) - 1
    assert "有 3 行没有接受" in report.refused_lines()[0]
    after = snapshot(district_db)
    for table in ("learners", "schools", "enrolments"):
        for uuid, row in a_before[table].items():
            assert after[table][uuid] == row  # A's rows exactly as A sent them
    # A's own next edit (its version 2) still wins over B's version 50.
    set_phone(a, number, "13900000032")
    assert merge(district_db, keys, export(a, tmp_path, None, "a2.aspkg")).tables["learners"].updated == 1
    assert phone_at(district_db, number) == "13900000032"


def test_rows_are_refused_one_by_one_when_they_fail_the_checks_input_must_pass(
        district_db, keys, fresh_db, tmp_path, public_key):
    b = make_school(fresh_db, "330206-02", learners=4, seed=2, office=district_db)
    rows = rows_of(export(b, tmp_path, public_key, "b1.aspkg"), keys)
    bad_id, long_name, bad_prefix = rows["learners"][0], rows["learners"][1], rows["enrolments"][2]
    bad_id["id_number"] = bad_id["id_number"][:17] + ("0" if bad_id["id_number"][17] != "0" else "1")  # checksum
    long_name["name"] = "名" * 101
    bad_prefix["student_number"] = "330206-01-2026-00999"  # another school's number series
    hours = next(a for a in rows["attendance"])
    hours["hours"] = math.nan
    report = merge(district_db, keys, craft(rows, code="330206-02", sequence=1, signing_pem=signing_pem(b), keys=keys))
    reasons = {r.uuid: r.reason for r in report.refused}
    assert "身份证号码" in reasons[bad_id["uuid"]] and bad_id["id_number"] not in reasons[bad_id["uuid"]]
    assert "太长" in reasons[long_name["uuid"]]
    assert "不是本校" in reasons[bad_prefix["uuid"]]
    assert "不是有效的数字" in reasons[hours["uuid"]]
    # Everything hanging on a refused person is refused with it; the rest went in.
    children = [e["uuid"] for e in rows["enrolments"] if e["learner_id"] == bad_id["uuid"]]
    assert children and all("没有被接受" in reasons[u] for u in children)
    with read_session(district_db.engine) as session:
        numbers = set(session.execute(select(Learner.id_number)).scalars())
        assert idcard.is_valid(next(iter(numbers)))
        assert all(idcard.is_valid(n) for n in numbers) and len(numbers) == len(rows["learners"]) - 2
        assert study.kept_totals(session) == study.computed_totals(session)


# --- sequence numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sequence", [30_000_000, 2**62, 2**63, 2**64 + 5])
def test_a_sequence_far_ahead_is_refused_fast_and_gap_reports_stay_cheap(sequence, district_db, keys, fresh_db,
                                                                         tmp_path, public_key):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    forged = craft({}, code="330206-01", sequence=sequence, signing_pem=signing_pem(school), keys=keys, full=False)
    start = time.perf_counter()
    with pytest.raises(district.ImplausibleSequence, match="不合理"):
        merge(district_db, keys, forged)
    assert time.perf_counter() - start < 1.0
    start = time.perf_counter()
    with read_session(district_db.engine) as session:
        status = {s.code: s for s in district_status.school_statuses(session, clock.today())}["330206-01"]
    assert time.perf_counter() - start < 1.0 and status.last_sequence == 1 and not status.missing


def test_gaps_are_counts_and_ranges_and_the_jump_is_a_rule(district_db, keys, fresh_db, tmp_path, public_key):
    school = make_school(fresh_db, "330206-01", learners=3, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    pem = signing_pem(school)
    report = merge(district_db, keys, craft({}, code="330206-01", sequence=1001, signing_pem=pem, keys=keys, full=False))
    assert report.missing.count == 999 and report.missing.ranges == ((2, 1000),)
    assert report.missing.text() == "缺 999 个：第 2–1000 号"
    merge(district_db, keys, craft({}, code="330206-01", sequence=5, signing_pem=pem, keys=keys, full=False))
    with read_session(district_db.engine) as session:
        body = district_status.receipt_body(session, "330206-01")
    assert body["gaps"] == {"count": 998, "ranges": [[2, 4], [6, 1000]], "more_ranges": 0}
    with unit_of_work(district_db.engine) as session:
        rules.set_rule(session, "max_sequence_jump", 10, actor="district")
    with pytest.raises(district.ImplausibleSequence):
        merge(district_db, keys, craft({}, code="330206-01", sequence=1012, signing_pem=pem, keys=keys, full=False))
    assert merge(district_db, keys, craft({}, code="330206-01", sequence=1011, signing_pem=pem, keys=keys,
                                          full=False)).sequence == 1011
    gaps = aspkg.find_gaps([1, 2**62], after=0)
    assert gaps.count == 2**62 - 2 and gaps.ranges == ((2, 2**62 - 1),)


# --- tombstones -------------------------------------------------------------------------------------------------


def _new_session(db, topic: str) -> str:
    with unit_of_work(db.engine) as session:
        school_class = session.execute(select(SchoolClass).order_by(SchoolClass.id)).scalars().first()
        lesson = ClassSession(class_id=school_class.id, held_on=clock.today(), hours=2.0, course="成人高中语文", topic=topic)
        session.add(lesson)
        session.flush()
        return lesson.uuid


def _delete_at_school(db, model, uuid: str, reason: str) -> None:
    with unit_of_work(db.engine) as session:
        row = session.execute(select(model).where(model.uuid == uuid)).scalar_one()
        session.add(DeletedRow(table_name=model.__tablename__, row_uuid=uuid, reason=reason))
        session.delete(row)


def _exists(db, model, uuid: str) -> bool:
    with read_session(db.engine) as session:
        return session.execute(select(model.id).where(model.uuid == uuid)).first() is not None


def test_a_session_the_school_deleted_is_deleted_at_the_district_and_an_older_package_cannot_bring_it_back(
        district_db, keys, fresh_db, tmp_path, public_key):
    school = make_school(fresh_db, "330206-01", learners=6, office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    lesson = _new_session(school, "第99讲（建错）")
    p2 = export(school, tmp_path, None, "p2.aspkg")
    merge(district_db, keys, p2)
    assert _exists(district_db, ClassSession, lesson)
    _delete_at_school(school, ClassSession, lesson, "建错了")
    # The school also removes one roll-call mark: the district's kept study totals must follow.
    with read_session(school.engine) as session:
        mark = session.execute(select(Attendance.uuid).where(Attendance.hours > 0).order_by(Attendance.id)).scalars().first()
    _delete_at_school(school, Attendance, mark, "记错了")
    report = merge(district_db, keys, export(school, tmp_path, None, "p3.aspkg"))
    assert report.tables["deleted_rows"].inserted == 2 and report.total("deleted") == 2
    assert not _exists(district_db, ClassSession, lesson) and not _exists(district_db, Attendance, mark)
    with read_session(district_db.engine) as session:
        assert study.kept_totals(session) == study.computed_totals(session)
    assert snapshot(district_db) == snapshot(school)
    # p2 again (it still holds the session), as if it came late from the post: the session stays deleted.
    with unit_of_work(district_db.engine) as session:
        session.execute(SyncPackage.__table__.delete().where(SyncPackage.sequence == 2))
    merge(district_db, keys, p2)
    assert not _exists(district_db, ClassSession, lesson)


def test_a_tombstone_for_another_schools_row_is_refused_and_a_row_with_children_left_is_kept(
        district_db, keys, fresh_db, tmp_path, public_key):
    a = make_school(fresh_db, "330206-01", learners=6, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=3, seed=2, office=district_db)
    merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
    with read_session(district_db.engine) as session:
        a_session = session.execute(select(ClassSession.uuid).join(Attendance, Attendance.session_id == ClassSession.id)
                                    .order_by(ClassSession.id)).scalars().first()
    b_rows = rows_of(export(b, tmp_path, public_key, "b1.aspkg"), keys)
    b_rows["deleted_rows"] = [{"uuid": "00000000-0000-4000-8000-000000000001", "version": 1,
                               "created_at": clock.now(), "updated_at": clock.now(), "table_name": "class_sessions",
                               "row_uuid": a_session, "reason": "冒充删除"}]
    report = merge(district_db, keys, craft(b_rows, code="330206-02", sequence=1, signing_pem=signing_pem(b), keys=keys))
    assert [(r.table, r.reason) for r in report.refused] == [
        ("deleted_rows", "要删除的是学校 330206-01 的记录，学校 330206-02 不能删除")]
    assert _exists(district_db, ClassSession, a_session)
    # A itself deletes a session whose roll call it does not delete: refused, kept, reported.
    a_rows = {"deleted_rows": [{"uuid": "00000000-0000-4000-8000-000000000002", "version": 1,
                                "created_at": clock.now(), "updated_at": clock.now(), "table_name": "class_sessions",
                                "row_uuid": a_session, "reason": "删错了"}]}
    report = merge(district_db, keys, craft(a_rows, code="330206-01", sequence=2, signing_pem=signing_pem(a), keys=keys,
                                            full=False))
    assert "attendance 记录" in report.refused[0].reason and _exists(district_db, ClassSession, a_session)


# --- an existing district database ------------------------------------------------------------------------------


def test_a_district_database_from_before_the_roster_keeps_its_trusted_schools_and_learns_who_owns_what(
        district_db, keys, fresh_db, tmp_path, public_key):
    from alembic import command

    from adultschool.db import migrate
    from adultschool.models import SyncOwner

    a = make_school(fresh_db, "330206-01", learners=5, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=4, seed=2, office=district_db)
    merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
    merge(district_db, keys, export(b, tmp_path, public_key, "b1.aspkg"))
    with read_session(district_db.engine) as session:
        recorded = dict(session.execute(select(SyncOwner.uuid, SyncOwner.school_code)).all())
    command.downgrade(migrate.alembic_config(district_db.engine), "0007")  # as a district database of the last release
    migrate.upgrade(district_db.engine)
    with read_session(district_db.engine) as session:
        schools = {s.code: s for s in district_schools.list_schools(session)}
        rebuilt = dict(session.execute(select(SyncOwner.uuid, SyncOwner.school_code)).all())
    assert {code: s.key_state for code, s in schools.items()} == {"330206-01": "已确认", "330206-02": "已确认"}
    assert schools["330206-01"].townships  # the townships it serves, from the merged rows
    # Every merged row's owner is found again from what it hangs on (a township shared by name stays the first's).
    assert {u: c for u, c in recorded.items() if u in rebuilt} == rebuilt
    with read_session(district_db.engine) as session:
        for model in (School, Enrolment, SchoolClass, ClassSession, Attendance):
            uuids = set(session.execute(select(model.uuid)).scalars())
            assert uuids and uuids <= set(rebuilt), model.__tablename__
    set_phone(a, first_number(a), "13900000071")
    assert merge(district_db, keys, export(a, tmp_path, None, "a2.aspkg")).tables["learners"].updated == 1


def test_the_command_line_reports_refused_rows_and_takes_both_forms_of_trust(
        district_db, keys, fresh_db, tmp_path, public_key, capsys, monkeypatch):
    from adultschool.cli import main as cli_main
    from syncbuild import PASSPHRASE

    monkeypatch.setenv("ADULTSCHOOL_PASSPHRASE", PASSPHRASE)
    office = str(district_db.path) if district_db.path else district_db.url
    a = make_school(fresh_db, "330206-01", learners=3, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=3, seed=2)
    a_package = export(a, tmp_path, public_key, "a1.aspkg")
    merge(district_db, keys, a_package)
    with unit_of_work(district_db.engine) as session:
        district_schools.add_school(session, "330206-02", name="霞浦成校", actor="district")
    b_rows = rows_of(export(b, tmp_path, public_key, "b1.aspkg"), keys)
    b_rows["learners"].append(dict(rows_of(a_package, keys)["learners"][0], name="冒名", version=9))
    forged = tmp_path / "b1-with-a-row.aspkg"
    forged.write_bytes(craft(b_rows, code="330206-02", sequence=1, signing_pem=signing_pem(b), keys=keys))
    with read_session(b.engine) as session:
        fingerprint = sync.own_fingerprint(session)
    # The old form: the key taken from the package, once its fingerprint is the one given.
    assert cli_main(["sync", "trust", "--school", "330206-02", "--fingerprint", fingerprint, str(forged),
                     "--db", office]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"trusted 330206-02 {fingerprint}"
    assert cli_main(["sync", "import", str(forged), "--db", office]) == 0
    out = capsys.readouterr().out
    assert "有 1 行没有接受（learners 1），其余已导入：" in out and "这是学校 330206-01 的记录" in out
    assert ", refused 1, " in out.strip().splitlines()[-1]
    assert cli_main(["sync", "status", "--db", office]) == 0
    assert "330206-02" in capsys.readouterr().out


def test_replacing_the_district_key_at_a_school_needs_replace_and_shows_both_fingerprints(
        district_db, keys, fresh_db, tmp_path, public_key, capsys):
    from adultschool.cli import main as cli_main

    school = make_school(fresh_db, "330206-01", learners=2)
    db = str(school.path) if school.path else school.url
    (tmp_path / "district.pub").write_bytes(public_key)
    assert cli_main(["sync", "district-key", str(tmp_path / "district.pub"), "--db", db]) == 0
    capsys.readouterr()
    other = aspkg.generate_district_keys("330206").public
    (tmp_path / "other.pub").write_bytes(aspkg.dump_district_public(other))
    assert cli_main(["sync", "district-key", str(tmp_path / "other.pub"), "--db", db]) == 2
    err = capsys.readouterr().err
    assert keys.public.fingerprint in err and other.fingerprint in err and "--replace" in err
    assert cli_main(["sync", "district-key", str(tmp_path / "other.pub"), "--replace", "--db", db]) == 0
    out = capsys.readouterr().out
    assert f"原指纹 {keys.public.fingerprint}，新指纹 {other.fingerprint}" in out
