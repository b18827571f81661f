"""Printed documents end to end through the command line: certificates and reprints, registration forms, the summary
form and sign-in sheets, read back with a PDF reader."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from adultschool import cli
from factories import make_id, r13_row, write_roster

SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (--db gets the URL)


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def text_of(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.fixture
def graduated(capsys, tmp_path, fresh_db):
    """A school with two graduates (陈𬌗 and 林喆) and one learner still studying (王五)."""
    db = fresh_db("s")
    run(capsys, "init", "--db", db, "--school-code", "330206-01", "--school-name", "大碶街道成人文化技术学校",
        "--township", "大碶街道")
    ids = [make_id(date(1988, 6, 1), serial=i) for i in (1, 2, 3)]
    roster = write_roster(tmp_path / "r.xlsx", [r13_row(1, "陈𬌗", ids[0]), r13_row(2, "林喆", ids[1], gender="男"),
                                                r13_row(3, "王五", ids[2])])
    assert run(capsys, "roster", "import", roster, "--db", db, "--registered-on", "2026-01-31", "--township", "大碶街道")[0] == 0
    wb = openpyxl.Workbook()
    wb.active.append(["身份证号码", "课程", "成绩", "考试日期"])
    for id_number in ids[:2]:
        for course in SENIOR:
            wb.active.append([id_number, course, 88, "2026-06-10"])
    wb.save(tmp_path / "scores.xlsx")
    # Printing is what these tests are about: results without the exam application, as the district may return them.
    assert run(capsys, "exam", "results", "import", tmp_path / "scores.xlsx", "--db", db, "--allow-unapplied")[0] == 0
    code, out, _ = run(capsys, "graduate", "--db", db, "--as-of", "2026-07-10")
    assert code == 0 and "graduated 2" in out
    assert run(capsys, "config", "certificate", "--db", db, "--level", "高中",
               "--issuer", "北仑区成人“双证制”教育培训领导小组办公室")[0] == 0
    return db


def test_certificates_print_once_with_every_name_and_number_and_an_embedded_font(capsys, tmp_path, graduated):
    out = tmp_path / "证书.pdf"
    code, stdout, _ = run(capsys, "print", "certificates", "--db", graduated, "--out", out)
    assert code == 0 and "printed 2 certificates" in stdout
    reader = PdfReader(out)
    assert len(reader.pages) == 2
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # A4 landscape
    text = text_of(out)
    for expected in ("陈𬌗", "林喆", "330206-01-BY2026-0001", "330206-01-BY2026-0002", "大碶街道成人文化技术学校"):
        assert expected in text
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    # reportlab embeds TrueType subsets as simple fonts; no standard (unembedded) font may appear.
    assert fonts and all(f["/Subtype"] == "/TrueType" and "/FontFile2" in f["/FontDescriptor"] for f in fonts)
    code, _, err = run(capsys, "print", "certificates", "--db", graduated, "--out", tmp_path / "again.pdf")
    assert code == 2 and "补发" in err and not (tmp_path / "again.pdf").exists()


def test_a_preview_records_no_printing_and_a_recorded_one_refuses_a_second_first_printing(capsys, tmp_path, graduated):
    from adultschool.db import open_database, read_session, unit_of_work
    from adultschool.services import certificates, documents

    code, stdout, _ = run(capsys, "print", "certificates", "--db", graduated, "--out", tmp_path / "p.pdf", "--preview")
    assert code == 0 and "previewed 2 certificates" in stdout and "没有记为已打印" in stdout
    assert "陈𬌗" in text_of(tmp_path / "p.pdf")
    database = open_database(graduated)
    try:
        with unit_of_work(database.engine) as session:  # a preview twice is still free
            preview = documents.preview_certificates(session, tmp_path / "p2.pdf", actor="t")
        assert preview.student_numbers == ("330206-01-2026-00001", "330206-01-2026-00002") and not preview.recorded
        with read_session(database.engine) as session:
            assert [row.prints for row in certificates.list_certificates(session)] == [0, 0]
        with unit_of_work(database.engine) as session:
            done = documents.record_certificate_printing(session, preview, actor="t", preview_file=tmp_path / "p2.pdf",
                                                         out=tmp_path / "final.pdf")
        assert done.recorded and (tmp_path / "final.pdf").read_bytes() == (tmp_path / "p2.pdf").read_bytes()
        with read_session(database.engine) as session:
            assert [row.prints for row in certificates.list_certificates(session)] == [1, 1]
        with pytest.raises(Exception, match="补发"), unit_of_work(database.engine) as session:
            documents.record_certificate_printing(session, preview, actor="t")  # another clerk's second click
    finally:
        database.close()


def test_reprint_needs_a_reason_keeps_the_number_and_says_so(capsys, tmp_path, graduated):
    run(capsys, "print", "certificates", "--db", graduated, "--out", tmp_path / "first.pdf")
    code, _, err = run(capsys, "print", "certificates", "--db", graduated, "--out", tmp_path / "re.pdf", "--reprint",
                       "--student-number", "330206-01-2026-00002")
    assert code == 2 and "原因" in err
    code, out, _ = run(capsys, "print", "certificates", "--db", graduated, "--out", tmp_path / "re.pdf", "--reprint",
                       "--reason", "原证书遗失", "--student-number", "330206-01-2026-00002")
    assert code == 0 and "reprinted 1" in out
    text = text_of(tmp_path / "re.pdf")
    assert "补发" in text and "330206-01-BY2026-0002" in text and "林喆" in text


@pytest.mark.skipif(not WQY.exists(), reason="needs Debian's fonts-wqy-microhei, a font without CJK Extension E")
def test_a_name_the_chosen_font_cannot_print_is_refused_naming_the_character_and_nothing_is_written(capsys, tmp_path, graduated):
    out = tmp_path / "证书.pdf"
    code, _, err = run(capsys, "print", "certificates", "--db", graduated, "--out", out, "--font", WQY)
    assert code == 2 and "𬌗" in err and "陈" in err
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    code, _, _ = run(capsys, "print", "certificates", "--db", graduated, "--out", out)
    assert code == 0  # the refusal recorded no printing: the shipped font prints both


def test_registration_summary_and_signin_forms(capsys, tmp_path, graduated):
    code, out, _ = run(capsys, "print", "forms", "--db", graduated, "--kind", "registration", "--out", tmp_path / "reg.pdf",
                       "--student-number", "330206-01-2026-00003")
    assert code == 0 and len(PdfReader(tmp_path / "reg.pdf").pages) == 1
    assert "王五" in text_of(tmp_path / "reg.pdf") and "报名登记表" in text_of(tmp_path / "reg.pdf")

    code, out, _ = run(capsys, "print", "forms", "--db", graduated, "--kind", "summary", "--out", tmp_path / "sum.pdf")
    text = text_of(tmp_path / "sum.pdf")
    assert code == 0 and "王五" in text and "单位：大碶街道成人文化技术学校" in text and "陈𬌗" not in text  # graduates are not current

    run(capsys, "class", "create", "大碶夜校班", "--db", graduated, "--type", "夜校班", "--level", "高中",
        "--starts-on", "2026-02-01")
    run(capsys, "class", "add-learners", "大碶夜校班", "330206-01-2026-00003", "--db", graduated)
    run(capsys, "class", "session", "大碶夜校班", "--db", graduated, "--date", "2026-03-05", "--hours", "2", "--course", "数学")
    code, out, _ = run(capsys, "print", "forms", "--db", graduated, "--kind", "signin", "--class", "大碶夜校班",
                       "--date", "2026-03-05", "--out", tmp_path / "sign.pdf")
    text = text_of(tmp_path / "sign.pdf")
    assert code == 0 and "王五" in text and "大碶夜校班" in text and "签名" in text


def test_the_print_font_setting_is_stored_and_can_be_reset(capsys, tmp_path, graduated):
    code, out, _ = run(capsys, "config", "font", "--db", graduated)
    assert code == 0 and "LXGWWenKai-Regular.ttf" in out
    code, _, err = run(capsys, "config", "font", tmp_path / "none.ttf", "--db", graduated)
    assert code == 2 and "none.ttf" in err
