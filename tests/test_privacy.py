"""PIPL duties: consent from the signed form, a person's own data on request, anonymising past the retention rule
(statistics kept) and on request with a reason."""
from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from adultschool import cli
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AuditEntry, Certificate, Enrolment, ExamResult, Learner, LearnerPhoto
from adultschool.services import enrolments, privacy, rules
from adultschool.services.disclosure import Protection
from factories import jpeg, open_protected
from syncbuild import district_db, keys, public_key  # noqa: F401 - fixtures
from test_exams import SENIOR, import_results, ready_learner, results_file

pytestmark = pytest.mark.server_db


def graduate(db, tmp_path, name, serial):
    from adultschool.services import graduation

    id_number, number = ready_learner(db, tmp_path, name, serial, applied=True)
    import_results(db, results_file(tmp_path / f"r{serial}.xlsx", [(number, "", c, 90, "2026-05-20") for c in SENIOR]))
    with unit_of_work(db.engine) as session:
        graduation.graduate(session, date(2026, 6, 1), actor="t")
    return id_number, number


def add_photo(db, number):
    with unit_of_work(db.engine) as session:
        learner_id = session.execute(select(Enrolment.learner_id).where(Enrolment.student_number == number)).scalar_one()
        session.add(LearnerPhoto(learner_id=learner_id, jpeg=jpeg((60, 80)), width=60, height=80, source="t"))


def learner_of(db, number):
    with read_session(db.engine) as session:
        return session.execute(select(*Learner.__table__.columns).join(Enrolment, Enrolment.learner_id == Learner.id)
                               .where(Enrolment.student_number == number)).one()  # a plain row: outlives the session


def counts(db):
    with read_session(db.engine) as session:
        return {model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (Learner, Enrolment, ExamResult, Certificate)}


@pytest.fixture
def school(school_db, tmp_path):
    graduated_id, graduated = graduate(school_db, tmp_path, "孙犇", 1)
    left_id, left = ready_learner(school_db, tmp_path, "陈堃", 2)
    with unit_of_work(school_db.engine) as session:
        enrolments.withdraw(session, left, reason="外出务工", actor="t", on=date(2026, 7, 1), today=date(2026, 7, 1))
    _, studying = ready_learner(school_db, tmp_path, "王喆", 3)
    add_photo(school_db, graduated)
    return {"db": school_db, "graduated": (graduated, graduated_id), "left": (left, left_id), "studying": studying}


def test_purge_dry_run_lists_the_expired_and_changes_nothing(school):
    db = school["db"]
    before = counts(db)
    with unit_of_work(db.engine) as session:
        early = privacy.purge(session, as_of=date(2031, 5, 31), dry_run=True)
        report = privacy.purge(session, as_of=date(2031, 7, 1), dry_run=True)
    assert early.learners == ()  # the graduate's five years end on 2031-06-01
    assert [(e.student_numbers, e.masked_name, e.expires_on) for e in report.learners] == [
        ((school["graduated"][0],), "孙*", date(2031, 6, 1)), ((school["left"][0],), "陈*", date(2031, 7, 1))]
    assert report.summary() == "would anonymise 2 learners (retention 5 years, as of 2031-07-01)"
    assert learner_of(db, school["graduated"][0]).name == "孙犇" and counts(db) == before


def test_purge_anonymises_past_the_rule_keeps_counts_and_results_and_is_audited(school):
    db, (number, id_number) = school["db"], school["graduated"]
    before = counts(db)
    with unit_of_work(db.engine) as session:
        rules.set_rule(session, "retention_years", 3, actor="t")  # the district's rule, not the default
        report = privacy.purge(session, as_of=date(2029, 6, 1))
    assert len(report.learners) == 1 and report.retention_years == 3  # the withdrawn one has a month to go
    person = learner_of(db, number)
    assert person.name == "孙*" and person.id_number.startswith(id_number[:6]) and person.id_number.endswith(id_number[-4:])
    assert id_number[6:14] not in person.id_number and len(person.id_number) == 18
    assert (person.phone, person.address, person.employer, person.household_location) == (None, None, None, None)
    assert person.birth_date == date(1988, 1, 1) and person.anonymised_on == date(2029, 6, 1)
    assert counts(db) == before  # statistics stay: learners, enrolments, results, certificates
    with read_session(db.engine) as session:
        assert session.execute(select(func.count()).select_from(LearnerPhoto)).scalar_one() == 0
        after = session.execute(select(AuditEntry.after).where(AuditEntry.action == "privacy.purge")).scalar_one()
    assert json.loads(after)["student_numbers"] == [number] and id_number not in after
    with unit_of_work(db.engine) as session:  # done once: the next purge finds nobody new
        assert privacy.purge(session, as_of=date(2029, 6, 1)).learners == ()
    assert learner_of(db, school["studying"]).name == "王喆"


def test_erase_on_request_needs_a_reason_and_a_closed_enrolment(school):
    db = school["db"]
    with unit_of_work(db.engine) as session, pytest.raises(AdultSchoolError, match="原因"):
        privacy.erase(session, school["left"][0], reason=" ")
    with unit_of_work(db.engine) as session, pytest.raises(AdultSchoolError, match="还在读"):
        privacy.erase(session, school["studying"], reason="本人申请")
    with unit_of_work(db.engine) as session:
        erased = privacy.erase(session, school["left"][0], reason="本人书面申请")
    assert erased.masked_name == "陈*" and learner_of(db, school["left"][0]).anonymised_reason == "本人要求删除：本人书面申请"
    with read_session(db.engine) as session:
        assert "本人书面申请" in session.execute(select(AuditEntry.summary).where(AuditEntry.action == "privacy.erase")).scalar_one()


def test_a_persons_own_data_comes_protected_with_results_and_who_saw_their_id(school, tmp_path):
    db, (number, id_number) = school["db"], school["graduated"]
    from adultschool.services import roster

    with unit_of_work(db.engine) as session:
        roster.export_roster(session, tmp_path / "汇总.xlsx")  # the graduate is not on it
        privacy.record_consent(session, number, id_number=True, photo=True, on=date(2026, 1, 31))
        exported = privacy.export_person(session, number, tmp_path / "本人.xlsx")
    book = open_protected(tmp_path / "本人.xlsx", exported.password)
    details = {row[0].value: row[1].value for row in book["个人信息"].iter_rows(min_row=3)}
    assert details["身份证号码"] == id_number and details["姓名"] == "孙犇" and details["照片"] == "有"
    assert details["同意日期"] == "2026-01-31" and details["个人信息告知书版本"] == privacy.NOTICE_VERSION
    assert len(list(book["考试成绩"].iter_rows(min_row=3))) == len(SENIOR)
    assert [row[2].value for row in book["证书"].iter_rows(min_row=3)] == ["330206-01-BY2026-0001"]
    with unit_of_work(db.engine) as session:  # the second copy lists the first one as a reveal of their ID
        privacy.export_person(session, number, tmp_path / "本人2.xlsx", protection=Protection.PLAIN)
    access = [[c.value for c in row] for row in openpyxl.load_workbook(tmp_path / "本人2.xlsx")["查看记录"].iter_rows(min_row=3)]
    assert [row[4] for row in access] == ["本人.xlsx"]


def test_consent_without_the_photo_removes_it_and_the_cli_records_it(school, capsys):
    db, (number, _) = school["db"], school["graduated"]
    if db.path is None:
        pytest.skip("the command line takes the SQLite file here")
    code = cli.main(["privacy", "consent", number, "--id-number", "yes", "--photo", "no", "--on", "2026-02-01",
                     "--db", str(db.path)])
    assert code == 0 and f"consent of {number}: notice {privacy.NOTICE_VERSION}, 2026-02-01, id number yes, photo no" \
        in capsys.readouterr().out
    person = learner_of(db, number)
    assert (person.consent_id_number, person.consent_photo, person.consent_on) == (True, False, date(2026, 2, 1))
    with read_session(db.engine) as session:
        assert session.execute(select(func.count()).select_from(LearnerPhoto)).scalar_one() == 0
    code = cli.main(["privacy", "purge", "--dry-run", "--as-of", "2031-07-01", "--db", str(db.path)])
    assert code == 0 and capsys.readouterr().out.strip().splitlines()[-1].startswith("would anonymise 2 learners")


@pytest.mark.sqlite_only("the district and the school as two files")
def test_an_anonymised_learner_reaches_the_district_anonymised_and_its_photo_goes(district_db, keys, public_key,
                                                                                    fresh_db, tmp_path):
    from syncbuild import export, graduate_one, make_school, merge

    school = make_school(fresh_db, "330206-01", learners=2, office=district_db)
    number = graduate_one(school, tmp_path, serial=77)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    with unit_of_work(school.engine) as session:
        privacy.erase(session, number, reason="本人书面申请")
    report = merge(district_db, keys, export(school, tmp_path, None, "p2.aspkg"))
    assert report.refused == [] and report.tables["learners"].updated == 1
    at_district = learner_of(district_db, number)
    assert at_district.name == "林*" and at_district.anonymised_on is not None and "#" in at_district.id_number
    with read_session(district_db.engine) as session:
        assert session.execute(select(func.count()).select_from(LearnerPhoto)
                               .where(LearnerPhoto.learner_id == at_district.id)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Certificate)).scalar_one() == 1  # counts stay
    school.close()
