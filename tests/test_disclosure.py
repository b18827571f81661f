"""Full ID numbers that leave the screen: every export and printed form writes one id.reveal entry, the lists that go by
e-mail are password-protected workbooks by default, masked variants reveal nothing, and the access log lists it all."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import date

import msoffcrypto
import openpyxl
import pytest
from msoffcrypto.exceptions import InvalidKeyError
from sqlalchemy import select

from adultschool import cli
from adultschool.db import unit_of_work
from adultschool.models import AuditEntry
from adultschool.services import disclosure, documents, exam_applications, exam_reports, graduation, roster
from adultschool.services.disclosure import Protection
from factories import open_protected, password_in
from test_exams import SENIOR, import_results, ready_learner, results_file

pytestmark = pytest.mark.sqlite_only("reads the audit table of the school file directly")


def reveals(db) -> list[dict]:
    with unit_of_work(db.engine) as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.action == "id.reveal")
                                  .order_by(AuditEntry.id)).scalars().all()
        return [{"summary": e.summary, **json.loads(e.after)} for e in entries]


def graduated_school(db, tmp_path):
    """One learner with passed results and a certificate, one applied but not examined: every list has somebody."""
    id_number, number = ready_learner(db, tmp_path, "孙犇", 1, applied=True)
    ready_learner(db, tmp_path, "陈堃", 2)
    import_results(db, results_file(tmp_path / "r.xlsx", [(number, "", c, 90, "2026-05-20") for c in SENIOR]))
    with unit_of_work(db.engine) as session:
        graduation.graduate(session, date(2026, 6, 1), actor="t")
    return id_number, number


def test_a_protected_roster_opens_with_its_password_and_not_without(school_db, tmp_path):
    id_number, _ = ready_learner(school_db, tmp_path, "孙犇", 1)
    out = tmp_path / "汇总.xlsx"
    with unit_of_work(school_db.engine) as session:
        exported = roster.export_roster(session, out, protection=Protection.PASSWORD)
    assert exported.count == 1 and exported.password and len(exported.password) == 14
    assert exported.password in exported.lines()[0]
    raw = out.read_bytes()
    assert not zipfile.is_zipfile(io.BytesIO(raw))  # not a workbook anyone can unzip
    assert id_number.encode() not in raw and "孙犇".encode() not in raw
    with pytest.raises(zipfile.BadZipFile):
        openpyxl.load_workbook(out)
    with open(out, "rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        assert office.is_encrypted()
        office.load_key(password="WRONG-PASS-WORD")
        with pytest.raises(InvalidKeyError):
            office.decrypt(io.BytesIO())
    sheet = open_protected(out, exported.password).active
    assert sheet["E4"].value == id_number and sheet["B4"].value == "孙犇"
    [entry] = reveals(school_db)
    assert entry["file"] == "汇总.xlsx" and entry["protected"] is True and entry["count"] == 1
    assert "有密码保护" in entry["summary"] and exported.password not in json.dumps(entry, ensure_ascii=False)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_refuses_the_protected_workbook_without_its_password(school_db, tmp_path):
    id_number, _ = ready_learner(school_db, tmp_path, "孙犇", 1)
    with unit_of_work(school_db.engine) as session:
        roster.export_roster(session, tmp_path / "plain.xlsx", protection=Protection.PLAIN)
        roster.export_roster(session, tmp_path / "locked.xlsx", protection=Protection.PASSWORD)
    profile = (tmp_path / "lo-profile").as_uri()
    for name in ("plain.xlsx", "locked.xlsx"):
        subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile}", "--convert-to", "csv",
                        "--outdir", str(tmp_path / "csv"), str(tmp_path / name)], capture_output=True, timeout=120)
    assert id_number in (tmp_path / "csv" / "plain.csv").read_text(errors="replace")  # the control: LibreOffice works
    assert not (tmp_path / "csv" / "locked.csv").exists()


def test_every_export_and_printed_form_with_full_ids_writes_its_reveal_entry(school_db, tmp_path):
    id_number, number = graduated_school(school_db, tmp_path)
    with unit_of_work(school_db.engine) as session:
        rows = exam_applications.apply_for_exam(session, date(2026, 5, 1), round_name="2026年5月补考", actor="t")
        applied = exam_applications.write_application_list(session, tmp_path / "申请.xlsx", rows, school_name="大碶成校",
                                                           round_name="2026年5月补考")
        credit = exam_reports.write_credit_bank(session, tmp_path / "学分银行.xlsx")
        household = exam_reports.write_household(session, tmp_path / "户籍.xlsx")
        summary = roster.export_roster(session, tmp_path / "汇总.xlsx")
        documents.print_registration_forms(session, tmp_path / "登记表.pdf")
        documents.print_summary_form(session, tmp_path / "汇总表.pdf")
    # The lists that go to the district or another office are protected unless asked otherwise.
    assert applied.password and credit.password and household.password and summary.password is None
    assert open_protected(tmp_path / "户籍.xlsx", household.password).active["B3"].value == id_number
    assert open_protected(tmp_path / "学分银行.xlsx", credit.password).active["A3"].value == id_number
    assert open_protected(tmp_path / "申请.xlsx", applied.password).active.max_row == 2 + len(rows)
    entries = reveals(school_db)
    assert [(e["file"], e["protected"], e["count"]) for e in entries] == [
        ("申请.xlsx", True, len(rows)), ("学分银行.xlsx", True, len(SENIOR)), ("户籍.xlsx", True, 1),
        ("汇总.xlsx", False, summary.count), ("登记表.pdf", False, summary.count), ("汇总表.pdf", False, summary.count),
    ]
    assert entries[0]["student_numbers"] == [r.student_number for r in rows]
    assert all(id_number not in e["summary"] for e in entries)


def test_masked_lists_show_six_and_four_digits_and_reveal_nothing(school_db, tmp_path):
    id_number, _ = graduated_school(school_db, tmp_path)
    with unit_of_work(school_db.engine) as session:
        exam_reports.write_household(session, tmp_path / "户籍.xlsx", protection=Protection.MASKED)
        exam_reports.write_credit_bank(session, tmp_path / "学分.xlsx", protection=Protection.MASKED)
        roster.export_roster(session, tmp_path / "汇总.xlsx", protection=Protection.MASKED)
    masked = id_number[:6] + "********" + id_number[-4:]
    assert openpyxl.load_workbook(tmp_path / "户籍.xlsx").active["B3"].value == masked
    assert openpyxl.load_workbook(tmp_path / "学分.xlsx").active["A3"].value == masked
    summary = openpyxl.load_workbook(tmp_path / "汇总.xlsx").active
    assert id_number not in [c.value for row in summary.iter_rows() for c in row]
    assert reveals(school_db) == []


def test_a_teacher_gets_no_list_protected_or_not_and_no_file_is_written(school_db, tmp_path):
    from adultschool.services import accounts
    from adultschool.services.accounts import Role
    from adultschool.services.permissions import NotAllowed

    ready_learner(school_db, tmp_path, "孙犇", 1)
    with unit_of_work(school_db.engine) as session:
        accounts.create_account(session, "boss", "boss-pass", Role.ADMIN, actor="root")
        accounts.create_account(session, "wang", "wang-pass", Role.TEACHER, actor="boss", display_name="王老师")
    for protection in Protection:
        with unit_of_work(school_db.engine) as session, pytest.raises(NotAllowed):
            roster.export_roster(session, tmp_path / "x.xlsx", actor="wang", protection=protection)
    assert not (tmp_path / "x.xlsx").exists()


def test_access_log_lists_who_exported_full_ids_when_and_how_many(school_db, tmp_path):
    id_number, _ = graduated_school(school_db, tmp_path)
    with unit_of_work(school_db.engine) as session:
        exam_reports.write_household(session, tmp_path / "户籍.xlsx")
        roster.export_roster(session, tmp_path / "汇总.xlsx")
    with unit_of_work(school_db.engine) as session:
        log = disclosure.export_access_log(session, tmp_path / "访问记录.xlsx", actor=None)
    assert log.count == 2
    sheet = openpyxl.load_workbook(tmp_path / "访问记录.xlsx").active
    assert [c.value for c in sheet[2]] == list(disclosure.ACCESS_HEADERS)
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [(line[2], line[3], line[4], line[5]) for line in lines] == [
        ("户籍学历变更名单", 1, "户籍.xlsx", "是"), ("报名汇总表", 1, "汇总.xlsx", "否")]  # the graduate is not current
    assert id_number not in json.dumps(lines, ensure_ascii=False, default=str)
    with unit_of_work(school_db.engine) as session:
        assert session.execute(select(AuditEntry.summary).where(AuditEntry.action == "audit.access_log")).scalar_one()


def test_cli_credit_bank_is_protected_by_default_and_prints_the_password_once(capsys, school_db, tmp_path):
    graduated_school(school_db, tmp_path)
    db = str(school_db.engine.url.database)
    school_db.close()
    code = cli.main(["report", "credit-bank", "--out", str(tmp_path / "c.xlsx"), "--db", db])
    out = capsys.readouterr().out
    assert code == 0 and out.strip().splitlines()[-1] == f"exported {len(SENIOR)} results to {tmp_path / 'c.xlsx'}"
    assert open_protected(tmp_path / "c.xlsx", password_in(out)).active["D3"].value == 90
    code = cli.main(["report", "household", "--out", str(tmp_path / "h.xlsx"), "--db", db, "--protect", "masked"])
    assert code == 0 and "已遮挡" in capsys.readouterr().out
    code = cli.main(["audit", "access-log", "--out", str(tmp_path / "log.xlsx"), "--db", db])
    assert code == 0 and "exported 1 access entries" in capsys.readouterr().out
