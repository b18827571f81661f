"""The lists on screen as files (services.lists): what the page shows, as a workbook with IDs as text or a printed
table with its title and page numbers; masked by default, full ID numbers only by choice and then audited."""
from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from adultschool import cli, clock, idcard
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AuditEntry, Level
from adultschool.services import lists, roster
from adultschool.services.disclosure import Protection
from adultschool.services.learners import LearnerFilter
from factories import make_id, open_protected, password_in, r13_row, write_roster

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: Debian package "
                                   "libreoffice-calc-nogui, installed by scripts/test")
SCHOOL = "大碶街道成人文化技术学校"


def enrol_many(db, tmp_path: Path, count: int, *, level: str = "高中", first: int = 1, registered_days_ago: int = 30,
               prefix: str = "学员") -> list[str]:
    """`count` learners registered `registered_days_ago` days before today (their ID numbers returned)."""
    ids = [make_id(clock.today().replace(year=clock.today().year - 30) - timedelta(days=n), serial=n)
           for n in range(first, first + count)]
    rows = [r13_row(i + 1, f"{prefix}{first + i}", id_number, level) for i, id_number in enumerate(ids)]
    path = write_roster(tmp_path / f"roster-{first}.xlsx", rows)
    with unit_of_work(db.engine) as session:
        report = roster.import_roster(session, path, registered_on=clock.today() - timedelta(days=registered_days_ago),
                                      township="大碶街道", actor="tester")
    assert report.imported == count
    return ids


def write(db, out: Path, spec, **options) -> lists.ListWritten:
    with unit_of_work(db.engine) as session:
        return lists.write_list(session, out, spec, actor=None, **options)


def reveals(db) -> list[str]:
    with read_session(db.engine) as session:
        return list(session.execute(select(AuditEntry.summary).where(AuditEntry.action == "id.reveal")).scalars())


def data_rows(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path).active.iter_rows(min_row=3, values_only=True))


def test_learner_list_workbook_holds_the_filtered_rows_with_masked_ids_as_text(school_db, tmp_path):
    senior = enrol_many(school_db, tmp_path, 4)
    enrol_many(school_db, tmp_path, 3, level="初中", first=20)
    out = tmp_path / "学员名单.xlsx"
    written = write(school_db, out, lists.LearnerList(LearnerFilter(level=Level.SENIOR)))

    assert written.count == 4 and written.pages is None
    sheet = openpyxl.load_workbook(out).active
    title = sheet["A1"].value
    assert SCHOOL in title and "学员名单" in title and "高中" in title and clock.today().isoformat() in title
    assert [c.value for c in sheet[2]] == ["学籍号", "姓名", "性别", "身份证号码", "层次", "状态", "报名日期", "街道/镇",
                                           "联系电话"]
    assert sheet.freeze_panes == "A3"
    rows = data_rows(out)
    assert len(rows) == 4 and {row[4] for row in rows} == {"高中"}
    assert sorted(row[3] for row in rows) == sorted(idcard.mask(i) for i in senior)
    for cell in (sheet["A3"], sheet["D3"]):  # student number and ID number stay text
        assert cell.data_type == "s" and cell.number_format == "@"
    assert rows[0][8] == "138****2345"
    assert reveals(school_db) == []  # masked, as on screen: nothing to audit
    assert "身份证号码只显示前 6 位和后 4 位" in "\n".join(written.lines())


def test_learner_list_with_full_ids_is_a_choice_that_is_audited(school_db, tmp_path):
    ids = enrol_many(school_db, tmp_path, 2)
    plain = tmp_path / "完整.xlsx"
    write(school_db, plain, lists.LearnerList(), protection=Protection.PLAIN)
    assert sorted(row[3] for row in data_rows(plain)) == sorted(ids)
    assert len(reveals(school_db)) == 1 and "完整.xlsx" in reveals(school_db)[0]

    locked = tmp_path / "加密.xlsx"
    written = write(school_db, locked, lists.LearnerList(), protection=Protection.PASSWORD)
    sheet = open_protected(locked, password_in("\n".join(written.lines()))).active
    assert sorted(row[3] for row in sheet.iter_rows(min_row=3, values_only=True)) == sorted(ids)
    assert len(reveals(school_db)) == 2


def test_readiness_list_says_what_is_still_missing_and_follows_the_state_filter(school_db, tmp_path):
    enrol_many(school_db, tmp_path, 3)
    out = tmp_path / "可报考.xlsx"
    written = write(school_db, out, lists.ReadinessList(clock.today()))
    assert written.count == 3
    sheet = openpyxl.load_workbook(out).active
    assert sheet.cell(row=2, column=11).value == "还差"
    missing = [row[10] for row in data_rows(out)]
    assert all("学习时限不足" in text or "还差" in text for text in missing), missing
    assert all("还差" in text for text in missing)

    pdf = tmp_path / "可报考.pdf"
    write(school_db, pdf, lists.ReadinessList(clock.today()))
    page = PdfReader(pdf).pages[0]
    assert page.mediabox.width > page.mediabox.height  # eleven columns with 还差: A4 landscape
    assert "还差" in page.extract_text() and "学员1" in page.extract_text()

    ready_only = tmp_path / "只要可报考.xlsx"
    assert write(school_db, ready_only, lists.ReadinessList(clock.today(), state=lists.READY)).count == 0
    assert data_rows(ready_only) == []


def test_a_long_list_prints_on_several_pages_with_title_names_and_page_numbers(school_db, tmp_path):
    enrol_many(school_db, tmp_path, 90)
    out = tmp_path / "学员名单.pdf"
    written = write(school_db, out, lists.LearnerList())
    reader = PdfReader(out)
    assert written.count == 90 and written.pages == len(reader.pages) >= 3
    first = reader.pages[0].extract_text()
    assert f"{SCHOOL} 学员名单" in first and "学员1" in first and "身份证号码已遮挡" in first
    assert f"第 1 页 共 {written.pages} 页" in first
    last = reader.pages[-1].extract_text()
    assert "学员90" in last and "学籍号" in last  # the header repeats on every page
    assert reveals(school_db) == []


def test_a_pdf_list_cannot_carry_a_password_and_other_suffixes_are_refused(school_db, tmp_path):
    enrol_many(school_db, tmp_path, 1)
    with pytest.raises(AdultSchoolError, match="不能加密码"):
        write(school_db, tmp_path / "x.pdf", lists.LearnerList(), protection=Protection.PASSWORD)
    with pytest.raises(AdultSchoolError, match=r"\.xlsx"):
        write(school_db, tmp_path / "x.docx", lists.LearnerList())
    assert not list(tmp_path.glob("x.*"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_learners_list_out_xlsx_and_pdf(school_db, tmp_path, capsys, db_arg):
    enrol_many(school_db, tmp_path, 3)
    enrol_many(school_db, tmp_path, 2, level="初中", first=10)
    out = tmp_path / "高中.xlsx"
    code, text, _ = run(capsys, "learners", "list", "--db", db_arg, "--level", "高中", "--out", str(out))
    assert code == 0
    assert text.splitlines()[0] == f"wrote 3 rows to {out}"
    assert "已写入学员名单：3 行" in text
    assert len(data_rows(out)) == 3

    pdf = tmp_path / "全部.pdf"
    code, text, _ = run(capsys, "learners", "list", "--db", db_arg, "--out", str(pdf))
    assert code == 0 and text.splitlines()[0] == f"wrote 5 rows to {pdf}"
    assert "学员10" in PdfReader(pdf).pages[0].extract_text()

    csv_out = tmp_path / "名单.csv"  # the existing --format outputs are unchanged
    code, text, _ = run(capsys, "learners", "list", "--db", db_arg, "--format", "csv", "--out", str(csv_out))
    assert code == 0 and csv_out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("student_number,")


def test_cli_readiness_out_with_full_ids_only_when_asked(school_db, tmp_path, capsys, db_arg):
    ids = enrol_many(school_db, tmp_path, 2)
    out = tmp_path / "可报考.xlsx"
    code, text, _ = run(capsys, "readiness", "--db", db_arg, "--out", str(out))
    assert code == 0 and text.splitlines()[0] == f"wrote 2 rows to {out}"
    assert {row[2] for row in data_rows(out)} == {idcard.mask(i) for i in ids}
    assert reveals(school_db) == []

    full = tmp_path / "可报考-完整.xlsx"
    code, text, _ = run(capsys, "readiness", "--db", db_arg, "--out", str(full), "--protect", "plain")
    assert code == 0 and "没有加密" in text
    assert {row[2] for row in data_rows(full)} == set(ids)
    assert len(reveals(school_db)) == 1

    code, _, err = run(capsys, "readiness", "--db", db_arg, "--out", str(tmp_path / "x.xlsx"), "--format", "json")
    assert code == 2 and "--format" in err


@needs_soffice
def test_libreoffice_opens_an_exported_list_with_all_digits(school_db, tmp_path):
    ids = enrol_many(school_db, tmp_path, 2)
    out = tmp_path / "学员名单.xlsx"
    write(school_db, out, lists.LearnerList(), protection=Protection.PLAIN)
    converted = tmp_path / "converted"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                    "--convert-to", "csv", "--outdir", str(converted), str(out)], check=True, capture_output=True,
                   timeout=180)
    text = (converted / "学员名单.csv").read_bytes().decode("utf-8", errors="replace")
    assert all(i in text for i in ids)  # 18 digits, not 3.30206E+17


def test_cli_class_roster_prints_and_writes_the_members_still_studying(school_db, tmp_path, capsys, db_arg):
    from adultschool.models import ClassType
    from adultschool.services import classes

    enrol_many(school_db, tmp_path, 3)
    with read_session(school_db.engine) as session:
        numbers = [row[0] for row in lists.gather(session, lists.LearnerList()).rows]
    with unit_of_work(school_db.engine) as session:
        info = classes.create_class(session, name="大碶夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=clock.today() - timedelta(days=20), actor="tester")
        classes.add_members(session, info.id, numbers[:2], joined_on=clock.today() - timedelta(days=20), actor="tester")

    code, text, _ = run(capsys, "class", "roster", "大碶夜校班", "--db", db_arg)
    assert code == 0 and "roster 大碶夜校班: 2 learners" in text and numbers[0] in text and numbers[2] not in text

    pdf = tmp_path / "班级.pdf"
    code, text, _ = run(capsys, "class", "roster", "大碶夜校班", "--db", db_arg, "--out", str(pdf))
    assert code == 0 and text.splitlines()[0] == f"wrote 2 rows to {pdf}"
    page = PdfReader(pdf).pages[0].extract_text()
    assert "班级学员名单（大碶夜校班）" in page and numbers[1] in page

    code, _, err = run(capsys, "class", "roster", "没有这个班", "--db", db_arg, "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and "没有这个班" in err and not (tmp_path / "x.xlsx").exists()
