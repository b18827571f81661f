"""Exams happen in order: no date after today, results only for those who applied, graduation only after the last
passing exam; a correction that fails a graduate's course revokes the certificate, which lists, prints and verifies
as revoked."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AuditEntry, Certificate, Enrolment, EnrolmentStatus
from adultschool.services import certificates, exam_applications, exam_results, graduation, registration, rules, study
from adultschool.services.certificates import Verdict
from adultschool.services.registration import RegistrationInput
from factories import make_id
from testclock import TODAY as CLOCK_TODAY

pytestmark = pytest.mark.server_db

TODAY = date(2026, 12, 2)
SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]


def ready(db, tmp_path, name="陈堃", serial=1) -> str:
    """Registered 31 January with 20 video hours: ready from 30 April."""
    id_number = make_id(date(1988, 6, 1), serial=serial)
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name=name, id_number=id_number, level="高中", registered_on=date(2026, 1, 31), township="大碶街道"),
            rules.load_rules(session), actor="t", today=TODAY)
    book = openpyxl.Workbook()
    book.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for i in range(20):
        book.active.append([id_number, "成人高中数学", f"第{i}讲", 60])
    book.save(tmp_path / f"study-{serial}.xlsx")
    with unit_of_work(db.engine) as session:
        study.import_study(session, tmp_path / f"study-{serial}.xlsx", actor="t")
    return registered.student_number


def apply(db, number, day=date(2026, 5, 1)) -> None:
    with unit_of_work(db.engine) as session:
        exam_applications.apply_for_exam(session, day, round_name="结业考试", actor="t", student_numbers=[number], today=TODAY)


def results(db, path, rows, **options):
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "课程", "成绩", "考试日期"])
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    with unit_of_work(db.engine) as session:
        return exam_results.import_results(session, path, actor="t", today=TODAY, **options)


def graduate(db, day):
    with unit_of_work(db.engine) as session:
        return graduation.graduate(session, day, actor="t", today=TODAY)


def status_of(db, number):
    with read_session(db.engine) as session:
        return session.execute(select(Enrolment.status).where(Enrolment.student_number == number)).scalar_one()


def test_an_application_cannot_be_dated_after_today(school_db, tmp_path):
    number = ready(school_db, tmp_path)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="申请日期 2027-03-01 晚于今天"):
        exam_applications.apply_for_exam(session, date(2027, 3, 1), round_name="三月", actor="t", student_numbers=[number], today=TODAY)


def test_results_dated_after_today_or_for_someone_who_never_applied_are_refused_by_row(school_db, tmp_path):
    applied, other = ready(school_db, tmp_path), ready(school_db, tmp_path, "林喆", 2)
    apply(school_db, applied)
    report = results(school_db, tmp_path / "r.xlsx", [
        (applied, SENIOR[0], 80, "2026-05-20"),
        (applied, SENIOR[1], 80, "2026-12-20"),   # row 3: after today
        (other, SENIOR[0], 80, "2026-05-20"),     # row 4: never applied
        (applied, SENIOR[2], 80, "2026-04-01"),   # row 5: before the application
    ])
    by_row = {p.row: p.reason for p in report.rejected}
    assert report.updated == 1 and sorted(by_row) == [3, 4, 5]
    assert "晚于今天" in by_row[3] and "没有申请过结业考试" in by_row[4] and "早于考前申请日期 2026-05-01" in by_row[5]
    allowed = results(school_db, tmp_path / "r2.xlsx", [(other, SENIOR[0], 80, "2026-05-20")], allow_unapplied=True)
    assert allowed.updated == 1 and "按您的要求仍记入成绩" in allowed.warnings[0].reason


def test_graduation_waits_for_the_last_passing_exam(school_db, tmp_path):
    number = ready(school_db, tmp_path)
    apply(school_db, number)
    results(school_db, tmp_path / "r.xlsx", [(number, c, 80, "2026-05-20") for c in SENIOR[:4]]
            + [(number, SENIOR[4], 80, "2026-11-20")])
    early = graduate(school_db, date(2026, 6, 1))
    assert early.graduated == [] and early.held_back[0][2] == "最后一门课程的考试日期是 2026-11-20，晚于毕业日期 2026-06-01"
    with pytest.raises(AdultSchoolError, match="毕业日期 2026-12-20 晚于今天"):
        graduate(school_db, date(2026, 12, 20))
    assert [g[0] for g in graduate(school_db, date(2026, 11, 30)).graduated] == [number]


def graduated(db, tmp_path) -> tuple[str, str]:
    number = ready(db, tmp_path)
    apply(db, number)
    results(db, tmp_path / "r.xlsx", [(number, c, 80, "2026-05-20") for c in SENIOR])
    [(_, _, certificate)] = graduate(db, date(2026, 6, 1)).graduated
    return number, certificate


def test_a_correction_that_fails_a_graduate_revokes_the_certificate(school_db, tmp_path):
    number, certificate = graduated(school_db, tmp_path)
    report = results(school_db, tmp_path / "fix.xlsx", [(number, SENIOR[1], 45, "2026-05-20")])
    assert f"毕业证书 {certificate} 已撤销" in report.warnings[0].reason
    assert status_of(school_db, number) is EnrolmentStatus.ACTIVE
    with read_session(school_db.engine) as session:
        [row] = certificates.list_certificates(session)
    assert row.revoked_on == TODAY and "成人高中数学不再合格" in row.revoked_reason
    with unit_of_work(school_db.engine) as session:
        code = session.execute(select(Certificate.check_code)).scalar_one()
        verdict = certificates.verify(session, f"ASCERT|{certificate}|{code}", actor="t")
    assert verdict.verdict is Verdict.REVOKED and "已于 2026-12-02 撤销" in verdict.message
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="已撤销，不能打印或补发"):
        certificates.certificates_to_print(session, actor="t", student_numbers=[number], reprint=True, reason="遗失")
    # Passing the retake after the revocation earns a new certificate with a new number.
    apply(school_db, number, TODAY)
    results(school_db, tmp_path / "retake.xlsx", [(number, SENIOR[1], 70, TODAY.isoformat())])
    [(_, _, new)] = graduate(school_db, TODAY).graduated
    assert new != certificate
    with unit_of_work(school_db.engine) as session:
        assert certificates.verify(session, f"ASCERT|{certificate}|{code}", actor="t").verdict is Verdict.REPLACED


def test_a_certificate_revoked_by_hand_verifies_as_revoked_and_a_forged_code_fails(school_db, tmp_path, capsys):
    number, certificate = graduated(school_db, tmp_path)
    with unit_of_work(school_db.engine) as session:
        code = session.execute(select(Certificate.check_code)).scalar_one()
        genuine = certificates.verify(session, f"{certificate} {code.lower()}", actor="t")
        forged = certificates.verify(session, f"ASCERT|{certificate}|AAAAAAAA", actor="t")
        unknown = certificates.verify(session, "ASCERT|330206-01-BY2026-9999|AAAAAAAA", actor="t")
    assert genuine.genuine and genuine.name == "陈堃" and genuine.id_number.endswith("****") is False
    assert (forged.verdict, unknown.verdict) == (Verdict.MISMATCH, Verdict.UNKNOWN)
    db = school_db.url
    assert cli_main(["certificates", "revoke", certificate, "--reason", "冒名顶替", "--db", db]) == 0
    assert status_of(school_db, number) is EnrolmentStatus.PASSED
    assert cli_main(["verify", f"ASCERT|{certificate}|{code}", "--db", db]) == 1
    out = capsys.readouterr().out
    assert "冒名顶替" in out and out.strip().endswith(f"verify {certificate}: revoked")
    with read_session(school_db.engine) as session:
        checks = session.execute(select(AuditEntry.summary).where(AuditEntry.action == "certificate.verify")).scalars().all()
    assert len(checks) == 4
    # A certificate revoked by hand is not simply issued again: that needs a passing result after the revocation.
    assert graduate(school_db, TODAY).held_back[0][2].startswith(f"证书已于 {CLOCK_TODAY} 撤销")  # the command line's day
