"""Certificates others can check: the QR code read back off the printed page verifies as genuine, then as revoked; a
tampered code fails; the district verifies merged schools' certificates; the issuer and wording are settings; photos
come from a folder or zip of files named by ID number and are printed."""
from __future__ import annotations

import io
import zipfile

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import AuditEntry, Certificate, Enrolment, Learner, LearnerPhoto, Level, SiteSetting
from adultschool.services import accounts, certificate_settings, certificates, documents, imports, photos
from adultschool.services.certificates import Verdict
from factories import jpeg
from syncbuild import (  # noqa: F401 - district_db, keys and public_key are fixtures
    district_db,
    enlist,
    export,
    graduate_one,
    keys,
    make_school,
    merge,
    public_key,
)

pytestmark = pytest.mark.server_db
ISSUER = "北仑区成人“双证制”教育培训领导小组办公室"


def set_issuers(db) -> None:
    with unit_of_work(db.engine) as session:
        for level in Level:
            certificate_settings.set_wording(session, level, issuer=ISSUER, actor="admin")


def qr_texts(pdf) -> list[str]:
    """What a phone reads off each printed page: the page rendered at 150 dpi, the QR codes scanned by zxing-cpp."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        found = []
        for index in range(len(document)):
            image = document[index].render(scale=150 / 72).to_pil()
            found += [code.text for code in zxingcpp.read_barcodes(image)]
        return found
    finally:
        document.close()


def verify(db, text):
    with unit_of_work(db.engine) as session:
        return certificates.verify(session, text, actor="clerk")


@pytest.fixture
def printed(fresh_db, tmp_path):
    """A school with one graduate whose certificate is printed as a PDF."""
    school = make_school(fresh_db, "330206-01", learners=2)
    number = graduate_one(school, tmp_path, serial=501)
    set_issuers(school)
    with unit_of_work(school.engine) as session:
        documents.print_certificates(session, tmp_path / "证书.pdf", actor="clerk", student_numbers=[number],
                                     reprint=True, reason="测试打印")
    yield school, number, tmp_path / "证书.pdf"
    school.close()


def test_the_qr_code_read_off_the_printed_page_verifies_then_verifies_as_revoked(printed):
    school, number, pdf = printed
    [payload] = qr_texts(pdf)
    assert payload.startswith("ASCERT|330206-01-BY")
    genuine = verify(school, payload)
    assert genuine.verdict is Verdict.GENUINE and genuine.name == "林犇" and "****" in genuine.id_number
    certificate_number = payload.split("|")[1]
    with unit_of_work(school.engine) as session:
        certificates.revoke(session, certificate_number, reason="成绩登记有误", actor="clerk")
    revoked = verify(school, payload)
    assert revoked.verdict is Verdict.REVOKED and "成绩登记有误" in revoked.message
    assert not revoked.genuine


def test_a_tampered_check_code_is_refused(printed):
    school, _number, pdf = printed
    [payload] = qr_texts(pdf)
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    assert verify(school, tampered).verdict is Verdict.MISMATCH
    with pytest.raises(AdultSchoolError, match="看不懂这段内容"):
        verify(school, "随便写的")
    with read_session(school.engine) as session:
        checks = session.execute(select(AuditEntry.summary).where(AuditEntry.action == "certificate.verify")).scalars().all()
    assert len(checks) == 1  # the unreadable text was never a check


def test_the_district_verifies_a_merged_schools_certificate_and_a_forged_code_fails(printed, district_db, keys,
                                                                                      public_key, tmp_path):
    school, _number, pdf = printed
    enlist(district_db, school)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    [payload] = qr_texts(pdf)
    at_district = verify(district_db, payload)
    assert at_district.verdict is Verdict.GENUINE and at_district.name == "林犇"
    with unit_of_work(district_db.engine) as session:  # a forger who edited the district's copy of the code
        certificate = session.execute(select(Certificate)).scalar_one()
        certificate.check_code = "AAAAAAAA"
    assert verify(district_db, payload).verdict is Verdict.GENUINE  # recomputed from the school's secret, not stored
    assert verify(district_db, payload.rsplit("|", 1)[0] + "|AAAAAAAA").verdict is Verdict.MISMATCH


def test_a_verifier_account_checks_certificates_and_nothing_else(printed, capsys, monkeypatch):
    school, _number, pdf = printed
    [payload] = qr_texts(pdf)
    with unit_of_work(school.engine) as session:
        accounts.create_account(session, "admin", "admin-password-1", accounts.Role.ADMIN, actor=None)
        accounts.create_account(session, "counter", "counter-password-1", accounts.Role.VERIFIER, actor="admin",
                                display_name="人社窗口")
    monkeypatch.setenv("ADULTSCHOOL_PASSWORD", "counter-password-1")
    assert cli_main(["verify", payload, "--user", "counter", "--db", school.url]) == 0
    assert cli_main(["learners", "list", "--user", "counter", "--db", school.url]) == 2
    out, err = capsys.readouterr()
    assert "真实有效" in out and out.strip().endswith(": genuine") and "查看学员名单" in err


def test_without_an_issuer_printing_is_refused_and_names_the_setting(fresh_db, tmp_path, capsys):
    school = make_school(fresh_db, "330206-03", learners=1)
    number = graduate_one(school, tmp_path, serial=502)
    with unit_of_work(school.engine) as session:  # as a school that never filled it in (the demo does)
        for level in Level:
            session.delete(session.get(SiteSetting, f"certificate.wording.{level.value}"))
    with unit_of_work(school.engine) as session, pytest.raises(AdultSchoolError, match="设置 → 证书"):
        documents.print_certificates(session, tmp_path / "x.pdf", actor="clerk", student_numbers=[number], reprint=True,
                                     reason="测试")
    assert not (tmp_path / "x.pdf").exists()
    assert cli_main(["config", "certificate", "--level", "高中", "--issuer", "江北区成人“双证制”教育培训领导小组办公室",
                     "--title", "毕业证书", "--seal", "江北区教育局（印）", "--db", school.url]) == 0
    assert cli_main(["print", "certificates", "--out", str(tmp_path / "y.pdf"), "--student-number", number, "--reprint",
                     "--reason", "测试", "--db", school.url]) == 0
    text = "".join(page.extract_text() for page in pypdf.PdfReader(tmp_path / "y.pdf").pages)
    assert "江北区成人“双证制”教育培训领导小组办公室" in text and "江北区教育局（印）" in text and "北仑区" not in text
    with read_session(school.engine) as session:
        assert session.execute(select(AuditEntry.after).where(AuditEntry.action == "settings.certificate")
                               .order_by(AuditEntry.id.desc())).scalar().count("江北区") == 2


def test_photos_come_from_a_zip_by_id_number_with_bad_duplicate_and_unmatched_files_reported(fresh_db, tmp_path):
    school = make_school(fresh_db, "330206-01", learners=4)
    with read_session(school.engine) as session:
        people = session.execute(select(Learner.id_number, Enrolment.student_number).join(Enrolment)
                                 .order_by(Enrolment.student_number)).all()
    (first_id, first_number), (second_id, _), (third_id, third_number), *_ = people
    archive = tmp_path / "照片.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"一班/{first_id}.jpg", jpeg())
        zipped.writestr(f"二班/陈某-{third_number}.png", _png())
        zipped.writestr(f"{second_id}.jpg", jpeg())
        zipped.writestr(f"{second_id}（2）.jpg", jpeg(colour=(0, 0, 200)))  # two photos of one learner
        zipped.writestr("110101199003071234.jpg", jpeg())  # a valid number nobody here has
        zipped.writestr("合影.jpg", jpeg())
        zipped.writestr(f"坏的-{people[3][0]}.jpg", b"\xff\xd8\xff not really a jpeg")
        zipped.writestr("说明.txt", "照片按身份证号码命名")
        zipped.writestr("__MACOSX/._x.jpg", b"junk")
    with unit_of_work(school.engine) as session:
        report = photos.import_photos(session, archive, actor="clerk")
    assert sorted(report.added) == sorted([first_number, third_number])
    assert [p.file for p in report.duplicates] == [f"{second_id}.jpg", f"{second_id}（2）.jpg"]
    assert {p.file for p in report.unmatched} == {"110101199003071234.jpg", "合影.jpg", "说明.txt"}
    assert "打不开" in report.bad[0].reason and report.files == 8
    with read_session(school.engine) as session:
        stored = session.execute(select(LearnerPhoto.jpeg, LearnerPhoto.width, LearnerPhoto.height)).all()
    assert len(stored) == 2 and all((w, h) == (358, 441) and j.startswith(b"\xff\xd8\xff") for j, w, h in stored)
    assert all(len(j) < 60_000 for j, _, _ in stored)
    with unit_of_work(school.engine) as session:  # an import of photos is undone like any other
        imports.undo(session, report.batch_id, reason="导错了", actor="clerk")
    with read_session(school.engine) as session:
        assert session.execute(select(LearnerPhoto.id)).first() is None


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 500), (20, 120, 20)).save(out, format="PNG")
    return out.getvalue()


def test_a_photo_is_printed_on_the_certificate_and_the_registration_form(printed, tmp_path):
    school, number, _pdf = printed
    with unit_of_work(school.engine) as session:
        photos.set_photo(session, number, jpeg(), source="手工设置", actor="clerk")
        documents.print_certificates(session, tmp_path / "带照片.pdf", actor="clerk", student_numbers=[number],
                                     reprint=True, reason="加照片")
        documents.print_registration_forms(session, tmp_path / "登记表.pdf", student_numbers=[number], actor="clerk")
    for pdf in ("带照片.pdf", "登记表.pdf"):
        [image] = list(pypdf.PdfReader(tmp_path / pdf).pages[0].images)
        assert image.image.size == (358, 441)
