"""Correcting a learner's details: the registration's cleaning, the audit's before → after, and two people saving the
same learner at once — the second save is refused and nothing is silently overwritten (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
from sqlalchemy import select

from adultschool import cli
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AuditEntry, Learner, Role
from adultschool.services import accounts, learner_edit, permissions, registration, rules
from adultschool.services.learner_edit import STALE_MESSAGE, LearnerChanges, StaleLearner
from adultschool.services.registration import RegistrationInput
from factories import make_id

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)


def enrol(db, name="陈堃", *, serial=1, phone="13857412345", address="大碶街道灵山路1号"):
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name=name, id_number=make_id(date(1988, 6, 1), serial=serial), level="高中", registered_on=date(2026, 3, 2),
            phone=phone, address=address, township="大碶街道"), rules.load_rules(session), actor="tester",
            today=date(2026, 3, 2))
    return registered.student_number


def opened(db, student_number):
    """What an edit window holds after opening the learner: the details and the row version."""
    with read_session(db.engine) as session:
        learner_id = learner_edit.find_learner_id(session, student_number)
        return learner_edit.load_for_edit(session, learner_id, actor="tester")


def save(db, learner_id, version, actor="tester", **changes):
    with unit_of_work(db.engine) as session:
        return learner_edit.update_learner(session, learner_id, version, LearnerChanges(**changes), actor)


def stored(db, learner_id):
    with read_session(db.engine) as session:
        learner = session.get(Learner, learner_id)
        return {"name": learner.name, "phone": learner.phone, "address": learner.address, "job": learner.job,
                "employer": learner.employer, "is_migrant": learner.is_migrant, "version": learner.version,
                "township": learner.township.name if learner.township else None}


def edit_entries(db):
    with read_session(db.engine) as session:
        return list(session.execute(select(AuditEntry.actor, AuditEntry.summary, AuditEntry.before, AuditEntry.after)
                                    .where(AuditEntry.action == "learner.edit").order_by(AuditEntry.id)).all())


def test_a_correction_is_stored_cleaned_versioned_and_audited_with_the_phone_masked(school_db):
    number = enrol(school_db)
    learner = opened(school_db, number)
    assert learner.phone == "138****2345" and "*" in learner.id_number and learner.student_numbers == (number,)
    edited = save(school_db, learner.learner_id, learner.version, phone="１３９-0000-1111", address="  新碶街道　明州路 8号 ",
                  township="新碶街道", is_migrant=True, job="焊工")
    assert edited.changed == ("phone", "address", "job", "township", "is_migrant")
    assert edited.version == learner.version + 1
    assert stored(school_db, learner.learner_id) == {
        "name": "陈堃", "phone": "13900001111", "address": "新碶街道 明州路 8号", "job": "焊工", "employer": None,
        "is_migrant": True, "version": learner.version + 1, "township": "新碶街道"}
    [(who, summary, before, after)] = edit_entries(school_db)
    assert who == "tester" and "陈堃" in summary and "联系电话" in summary and "家庭地址" in summary
    assert json.loads(before) == {"phone": "138****2345", "address": "大碶街道灵山路1号", "job": None,
                                  "township": "大碶街道", "is_migrant": None}
    assert json.loads(after) == {"phone": "139****1111", "address": "新碶街道 明州路 8号", "job": "焊工",
                                 "township": "新碶街道", "is_migrant": True}
    assert "13900001111" not in before + after


def test_an_empty_value_clears_a_detail_and_saving_what_is_there_already_changes_nothing(school_db):
    learner = opened(school_db, enrol(school_db))
    edited = save(school_db, learner.learner_id, learner.version, address="", phone=None)
    now = stored(school_db, learner.learner_id)
    assert now["address"] is None and now["phone"] is None
    again = save(school_db, learner.learner_id, edited.version, address="  ", name="陈 堃")
    assert again.changed == () and again.version == edited.version
    assert len(edit_entries(school_db)) == 1


@pytest.mark.parametrize("changes, field, words", [
    ({"phone": "138574"}, "phone", "无法识别"),
    ({"name": "　"}, "name", "姓名为空"),
    ({"township": "火星街道"}, "township", "没有名为“火星街道”"),
    ({"address": "很长的地址" * 61}, "address", "最多 300 个字"),
])
def test_what_the_registration_refuses_an_edit_refuses_too_and_nothing_is_written(school_db, changes, field, words):
    learner = opened(school_db, enrol(school_db))
    with pytest.raises(AdultSchoolError, match=words) as caught:
        save(school_db, learner.learner_id, learner.version, **changes)
    assert caught.value.field == field
    assert stored(school_db, learner.learner_id)["version"] == learner.version and not edit_entries(school_db)


def test_the_second_of_two_people_editing_the_same_learner_is_refused_and_the_first_save_stays(school_db):
    number = enrol(school_db)
    at_desk_1 = opened(school_db, number)  # both open the learner at the same version
    at_desk_2 = opened(school_db, number)
    assert at_desk_1.version == at_desk_2.version
    save(school_db, at_desk_1.learner_id, at_desk_1.version, phone="13900001111")
    with pytest.raises(StaleLearner) as caught:
        save(school_db, at_desk_2.learner_id, at_desk_2.version, phone="13700002222", address="别的地址")
    assert caught.value.message == STALE_MESSAGE
    now = stored(school_db, at_desk_1.learner_id)
    assert (now["phone"], now["address"], now["version"]) == ("13900001111", "大碶街道灵山路1号", at_desk_1.version + 1)
    assert len(edit_entries(school_db)) == 1
    reopened = opened(school_db, number)  # after reopening, desk 2 can make its change
    save(school_db, reopened.learner_id, reopened.version, address="别的地址")
    assert stored(school_db, reopened.learner_id)["address"] == "别的地址"


def test_two_saves_racing_on_two_connections_one_wins_and_the_other_is_refused(school_db):
    """Both start from version N at the same moment; the second writer waits for the first and then finds N gone."""
    learner = opened(school_db, enrol(school_db))
    first_holds_its_transaction = threading.Event()
    outcomes: dict[str, object] = {}

    def desk_1() -> None:
        with unit_of_work(school_db.engine) as session:
            outcomes["1"] = learner_edit.update_learner(session, learner.learner_id, learner.version,
                                                        LearnerChanges(job="焊工"), "desk1")
            first_holds_its_transaction.set()
            time.sleep(0.5)  # desk 2 starts its save now, while this one is not yet committed

    def desk_2() -> None:
        first_holds_its_transaction.wait(10)
        try:
            with unit_of_work(school_db.engine) as session:
                outcomes["2"] = learner_edit.update_learner(session, learner.learner_id, learner.version,
                                                            LearnerChanges(job="电工"), "desk2")
        except AdultSchoolError as exc:
            outcomes["2"] = exc

    threads = [threading.Thread(target=desk_1), threading.Thread(target=desk_2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes["1"], learner_edit.LearnerEdited)
    assert isinstance(outcomes["2"], StaleLearner)
    assert stored(school_db, learner.learner_id)["job"] == "焊工"
    assert [entry[0] for entry in edit_entries(school_db)] == ["desk1"]


def test_a_stale_save_that_changes_nothing_is_refused_too(school_db):
    learner = opened(school_db, enrol(school_db))
    save(school_db, learner.learner_id, learner.version, job="焊工")
    with pytest.raises(StaleLearner):
        save(school_db, learner.learner_id, learner.version, job="焊工")


def test_a_teacher_may_not_edit_and_a_clerk_may(school_db):
    learner = opened(school_db, enrol(school_db))
    with unit_of_work(school_db.engine) as session:
        accounts.create_account(session, "boss", "boss-pass", Role.ADMIN, actor="root")
        accounts.create_account(session, "wang", "wang-pass", Role.TEACHER, actor="boss")
        accounts.create_account(session, "li", "li-pass-1", Role.CLERK, actor="boss")
    with pytest.raises(permissions.NotAllowed):
        save(school_db, learner.learner_id, learner.version, actor="wang", job="焊工")
    assert save(school_db, learner.learner_id, learner.version, actor="li", job="焊工").changed == ("job",)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_edit_saves_says_what_changed_and_refuses_a_stale_version(school_db, db_arg, capsys):
    number = enrol(school_db)
    version = opened(school_db, number).version
    code, out, _ = run(capsys, "learners", "edit", number, "--db", db_arg, "--phone", "139 0000 1111", "--migrant", "否",
                       "--if-version", str(version))
    assert code == 0 and out.strip().splitlines() == [f"已保存学员 {number} 的修改：联系电话、流动人口。",
                                                      f"learner {number} updated: phone, is_migrant (version {version + 1})"]
    code, _, err = run(capsys, "learners", "edit", number, "--db", db_arg, "--job", "电工", "--if-version", str(version))
    assert code == 2 and STALE_MESSAGE in err
    code, out, _ = run(capsys, "learners", "edit", number, "--db", db_arg, "--address", "")
    assert code == 0 and "address" in out
    code, _, err = run(capsys, "learners", "edit", number, "--db", db_arg, "--phone", "12345")
    assert code == 2 and "联系电话" in err
    code, _, err = run(capsys, "learners", "edit", "330206-01-2026-99999", "--db", db_arg, "--job", "电工")
    assert code == 2 and "找不到学籍号" in err
    now = stored(school_db, opened(school_db, number).learner_id)
    assert (now["phone"], now["is_migrant"], now["address"], now["job"]) == ("13900001111", False, None, None)
