"""Conflicts have a way out (issue 13, the district's half): each one says, from the real state, what will close it;
a school's withdrawal, void, ID correction or undone registration closes it on the next package; the district may
record which school keeps the enrolment, and the other school reads that decision in its receipt."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, update

from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    AuditEntry,
    ConflictStatus,
    DeletedRow,
    Enrolment,
    EnrolmentStatus,
    Learner,
    SyncHeld,
)
from adultschool.services import district_conflicts, district_status, registration, rules, sync
from adultschool.services.district_conflicts import TYPO_HINT
from adultschool.services.registration import RegistrationInput
from factories import make_id
from syncbuild import (  # noqa: F401 - district_db, keys and public_key are fixtures
    PASSPHRASE,
    district_db,
    export,
    keys,
    make_school,
    merge,
    public_key,
)
from testclock import TODAY

pytestmark = pytest.mark.server_db
BIRTH = date(1990, 2, 3)
SHARED = make_id(BIRTH, serial=777)


def register(db, id_number: str, level: str, *, name: str = "王喆") -> str:
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name=name, id_number=id_number, level=level, registered_on=date(2026, 3, 1), township="大碶街道"),
            rules.load_rules(session), actor="clerk")
    return registered.student_number


def close_enrolment(db, student_number: str, status: EnrolmentStatus, reason: str) -> None:
    """What the school's 退学 / 作废 does to the row that travels (the school-side service is issue 13's other half)."""
    with unit_of_work(db.engine) as session:
        session.execute(update(Enrolment).where(Enrolment.student_number == student_number).values(
            status=status, status_changed_on=TODAY, status_reason=reason, version=Enrolment.version + 1))


def correct_id(db, old: str, new: str) -> None:
    with unit_of_work(db.engine) as session:
        session.execute(update(Learner).where(Learner.id_number == old).values(
            id_number=new, version=Learner.version + 1))


def set_status(db, student_number: str, status: EnrolmentStatus) -> None:
    with unit_of_work(db.engine) as session:
        session.execute(update(Enrolment).where(Enrolment.student_number == student_number).values(
            status=status, version=Enrolment.version + 1))


def only_conflict(db, *, settled: bool = False) -> district_conflicts.ConflictInfo:
    with read_session(db.engine) as session:
        conflicts = district_conflicts.list_conflicts(session, include_settled=settled)
    assert len(conflicts) == 1, conflicts
    return conflicts[0]


def people_with(db, id_number: str) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(Learner).where(Learner.id_number == id_number)).scalar_one()


def held(db) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(SyncHeld)).scalar_one()


@pytest.fixture
def two_schools(district_db, keys, public_key, fresh_db, tmp_path):
    a = make_school(fresh_db, "330206-01", learners=3, seed=1, office=district_db)
    b = make_school(fresh_db, "330206-02", learners=3, seed=2, office=district_db)
    yield a, b
    a.close()
    b.close()


def first_round(district_db, keys, public_key, tmp_path, a, b, *, a_level: str = "高中", b_level: str = "高中"):
    numbers = register(a, SHARED, a_level), register(b, SHARED, b_level)
    merge(district_db, keys, export(a, tmp_path, public_key, "a1.aspkg"))
    report = merge(district_db, keys, export(b, tmp_path, public_key, "b1.aspkg"))
    assert report.new_conflicts == 1
    return numbers


def test_different_levels_can_be_settled_now_and_the_way_out_says_so(district_db, keys, public_key, tmp_path, two_schools):
    a, b = two_schools
    first_round(district_db, keys, public_key, tmp_path, a, b, b_level="初中")
    conflict = only_conflict(district_db)
    assert conflict.way_out == f"可以确认为同一人：adultschool sync settle {conflict.id}。{TYPO_HINT}"
    assert conflict.enrolments_text("existing") == "高中在读" and conflict.enrolments_text("incoming") == "初中在读"


def test_two_open_enrolments_at_one_level_name_both_statuses_and_the_way_out(
        district_db, keys, public_key, tmp_path, two_schools):
    a, b = two_schools
    a_number, _ = first_round(district_db, keys, public_key, tmp_path, a, b)
    set_status(a, a_number, EnrolmentStatus.GRADUATED)
    merge(district_db, keys, export(a, tmp_path, None, "a2.aspkg"))
    conflict = only_conflict(district_db)
    assert conflict.way_out.startswith("两校都有此人的高中学籍（330206-01 已毕业，330206-02 在读）："
                                       "请其中一所学校办理退学或转学，收到其数据包后即可确认为同一人")
    assert f"adultschool sync settle {conflict.id} --keep 学校代码" in conflict.way_out and TYPO_HINT in conflict.way_out
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(AdultSchoolError) as refused:
            district_conflicts.settle_conflict(session, conflict.id, actor="district")
    message = str(refused.value)
    assert "330206-01 已毕业" in message and "在读学籍" not in message and "--keep" in message


def test_a_withdrawal_at_either_school_opens_the_way_to_settle(district_db, keys, public_key, tmp_path, two_schools):
    a, b = two_schools
    _, b_number = first_round(district_db, keys, public_key, tmp_path, a, b)
    close_enrolment(b, b_number, EnrolmentStatus.WITHDRAWN, "转学")
    report = merge(district_db, keys, export(b, tmp_path, None, "b2.aspkg"))
    assert report.tables["enrolments"].held == 1 and not report.closed_conflicts  # undecided: the district confirms
    conflict = only_conflict(district_db)
    assert conflict.way_out.startswith(f"可以确认为同一人：adultschool sync settle {conflict.id}")
    assert conflict.enrolments_text("incoming") == "高中已退学"
    with unit_of_work(district_db.engine) as session:
        result = district_conflicts.settle_conflict(session, conflict.id, actor="district", note="电话核实")
    assert result.merged >= 2 and people_with(district_db, SHARED) == 1 and held(district_db) == 0
    with read_session(district_db.engine) as session:
        statuses = session.execute(select(Enrolment.status).join(Learner).where(Learner.id_number == SHARED)).scalars()
        assert sorted(s.value for s in statuses) == ["active", "withdrawn"]


def test_a_recorded_decision_reaches_the_other_school_and_its_void_settles_the_conflict(
        district_db, keys, public_key, tmp_path, two_schools):
    a, b = two_schools
    _, b_number = first_round(district_db, keys, public_key, tmp_path, a, b)
    conflict = only_conflict(district_db)
    with unit_of_work(district_db.engine) as session:
        result = district_conflicts.settle_conflict(session, conflict.id, actor="district", keep="330206-01", note="先报名者保留")
    assert result.decided and result.other_school == "330206-02" and held(district_db) >= 2
    decided = only_conflict(district_db)
    assert decided.status is ConflictStatus.DECIDED and decided.status_text == "已裁定由 330206-01 保留，待 330206-02 退学"
    assert decided.way_out.startswith("分中心已裁定由学校 330206-01 保留学籍：待学校 330206-02 为此人办理退学或作废")
    with read_session(district_db.engine) as session:
        for_b = district_status.receipt_body(session, "330206-02")["conflicts"]
        for_a = district_status.receipt_body(session, "330206-01")["conflicts"]
    assert [(c["decision"], c["other_school"], c["student_numbers"]) for c in for_b] == [
        ("withdraw", "330206-01", [b_number])]
    assert for_b[0]["action"].startswith("分中心裁定由学校 330206-01（330206-01 成人文化技术学校）保留学籍：请本校为此人")
    assert for_a[0]["decision"] == "keep" and "本校无需操作" in for_a[0]["action"]
    assert SHARED not in json.dumps(for_b, ensure_ascii=False)  # nothing but the masked number, and B's own data
    close_enrolment(b, b_number, EnrolmentStatus.VOIDED, "重复登记")
    report = merge(district_db, keys, export(b, tmp_path, None, "b2.aspkg"))
    assert any("依据分中心裁定自动确认为同一人" in line for line in report.closed_conflicts)
    settled = only_conflict(district_db, settled=True)
    assert settled.status is ConflictStatus.SAME_PERSON and settled.settled_by.endswith("（自动）")
    assert people_with(district_db, SHARED) == 1 and held(district_db) == 0
    with read_session(district_db.engine) as session:
        actions = set(session.execute(select(AuditEntry.action)).scalars())
    assert {"sync.decide", "sync.settle"} <= actions


def test_a_typo_corrected_at_the_second_school_closes_the_conflict_as_two_people(
        district_db, keys, public_key, tmp_path, two_schools):
    a, b = two_schools
    first_round(district_db, keys, public_key, tmp_path, a, b)
    right = make_id(BIRTH, serial=778)
    correct_id(b, SHARED, right)
    report = merge(district_db, keys, export(b, tmp_path, None, "b2.aspkg"))
    assert report.closed_conflicts and "更正了身份证号码" in report.closed_conflicts[0]
    closed = only_conflict(district_db, settled=True)
    assert closed.status is ConflictStatus.CORRECTED and "已按两个人分别合并" in closed.way_out
    assert people_with(district_db, SHARED) == 1 and people_with(district_db, right) == 1 and held(district_db) == 0
    with read_session(district_db.engine) as session:
        assert session.execute(select(func.count()).select_from(Enrolment).join(Learner)
                               .where(Learner.id_number == right)).scalar_one() == 1


def test_a_typo_corrected_at_the_first_school_releases_the_second_schools_person(
        district_db, keys, public_key, tmp_path, two_schools):
    a, b = two_schools
    first_round(district_db, keys, public_key, tmp_path, a, b)
    right = make_id(BIRTH, serial=779)
    correct_id(a, SHARED, right)
    report = merge(district_db, keys, export(a, tmp_path, None, "a2.aspkg"))
    assert report.closed_conflicts
    assert only_conflict(district_db, settled=True).status is ConflictStatus.CORRECTED
    assert people_with(district_db, SHARED) == 1 and people_with(district_db, right) == 1 and held(district_db) == 0


def test_an_undone_registration_at_the_second_school_removes_what_it_held(
        district_db, keys, public_key, tmp_path, two_schools):
    a, b = two_schools
    _, b_number = first_round(district_db, keys, public_key, tmp_path, a, b)
    with unit_of_work(b.engine) as session:  # what an undone roster import leaves: tombstones, children first
        enrolment = session.execute(select(Enrolment).where(Enrolment.student_number == b_number)).scalar_one()
        learner = session.get(Learner, enrolment.learner_id)
        session.add_all([DeletedRow(table_name="enrolments", row_uuid=enrolment.uuid, reason="撤销导入"),
                         DeletedRow(table_name="learners", row_uuid=learner.uuid, reason="撤销导入")])
        session.delete(enrolment)
        session.flush()
        session.delete(learner)
    report = merge(district_db, keys, export(b, tmp_path, None, "b2.aspkg"))
    assert report.tables["deleted_rows"].inserted == 2 and report.closed_conflicts
    assert only_conflict(district_db, settled=True).status is ConflictStatus.REMOVED
    assert held(district_db) == 0 and people_with(district_db, SHARED) == 1


def test_the_command_line_shows_the_way_out_records_a_decision_and_the_school_reads_it(
        district_db, keys, public_key, tmp_path, two_schools, capsys, monkeypatch):
    a, b = two_schools
    _, b_number = first_round(district_db, keys, public_key, tmp_path, a, b)
    office = str(district_db.path) if district_db.path else district_db.url
    conflict = only_conflict(district_db)
    assert cli_main(["sync", "conflicts", "--db", office]) == 0
    out = capsys.readouterr().out
    assert f"冲突 {conflict.id} 的解决办法：两校都有此人的高中学籍（330206-01 在读，330206-02 在读）" in out
    assert out.strip().splitlines()[-1] == "conflicts 1, open 1"
    assert cli_main(["sync", "settle", str(conflict.id), "--db", office]) == 2
    assert "--keep" in capsys.readouterr().err
    assert cli_main(["sync", "settle", str(conflict.id), "--keep", "330206-01", "--db", office]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == f"decided conflict {conflict.id}: 330206-01 keeps, 330206-02 to withdraw"
    monkeypatch.setenv("ADULTSCHOOL_PASSPHRASE", PASSPHRASE)
    receipt = tmp_path / "receipt-b.json"
    assert cli_main(["sync", "receipt", "--school", "330206-02", "--out", str(receipt), "--db", office]) == 0
    capsys.readouterr()
    school = str(b.path) if b.path else b.url
    assert cli_main(["sync", "confirm", str(receipt), "--db", school]) == 0
    out = capsys.readouterr().out
    assert f"冲突 {conflict.id}：王喆" in out and f"（学籍号 {b_number}）" in out
    assert "分中心裁定由学校 330206-01（330206-01 成人文化技术学校）保留学籍：请本校为此人" in out
    with read_session(b.engine) as session:
        assert sync.last_receipt(session)["conflicts"][0]["decision"] == "withdraw"
