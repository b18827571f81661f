"""Registration forms, the R13 summary form and sign-in sheets as PDFs, read back the way a person would."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdf
import pytest

from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import RecordingJob
from adultschool.printing import (
    RegistrationFormData,
    SigninRow,
    find_font,
    write_registration_forms,
    write_signin_sheet,
    write_summary_form,
)
from adultschool.xlsx.writing import SUMMARY_HEADERS, SummaryRow

SCHOOL = "大碶街道成人文化技术学校"


@pytest.fixture
def font():
    return find_font()


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def make_form(number: int = 1, **changes: object) -> RegistrationFormData:
    form = RegistrationFormData(
        school_name=SCHOOL, student_number=f"330206-01-2026-{number:05d}", name="张𬌗", gender="男",
        birth_date=date(1985, 3, 12), id_number="33020619850312001X", education="初中", level_label="高中",
        household_location="浙江省宁波市北仑区大碶街道", employer="宁波富邦精业铝业有限公司",
        address="北仑区大碶街道灵峰路 88 号", phone="13800000000", registered_on=date(2026, 3, 2),
        learning_mode_label="线上学习", township="大碶街道")
    return replace(form, **changes)  # type: ignore[arg-type]


def make_rows(count: int) -> list[SummaryRow]:
    return [SummaryRow(name=f"陈{'堃喆赟'[n % 3]}{n}", gender="男" if n % 2 else "女", education="初中",
                       id_number=f"330206198503{n:06d}", employer_or_address="宁波富邦精业铝业有限公司（大碶街道灵峰路 88 号）",
                       phone=f"138{n:08d}", level="高中" if n % 3 else "初中")
            for n in range(1, count + 1)]


def assert_embedded(path: Path) -> None:
    for page in pypdf.PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in ref.get_object()["/FontDescriptor"].get_object()


# ---------------------------------------------------------------------------------------------- registration

def test_one_registration_form_per_learner_with_their_details_and_signature_lines(tmp_path: Path, font) -> None:
    forms = [make_form(1), make_form(2, name="王喆", gender="女", id_number="330206199001020028")]
    out = tmp_path / "登记表.pdf"
    assert write_registration_forms(out, forms, font=font) == 2
    texts = page_texts(out)
    assert len(texts) == 2
    for form, text in zip(forms, texts):
        assert "成人“双证制”学历提升报名登记表" in text
        for value in (form.name, form.student_number, form.id_number, form.school_name, form.employer, form.phone,
                      "1985年3月12日", "2026年3月2日", "线上学习"):
            assert value in text
        assert "本人签名" in text
        assert "学校（盖章）" in text
    assert "第 1 页 共 2 页" in texts[0]
    assert "第 2 页 共 2 页" in texts[1]
    assert round(float(pypdf.PdfReader(out).pages[0].mediabox.width)) == 595
    assert_embedded(out)


def test_the_form_carries_the_privacy_notice_and_the_two_separate_consents_to_sign(tmp_path: Path, font) -> None:
    blank = make_form(1, notice_version="2026-12", retention_years=5)
    given = make_form(2, notice_version="2026-12", retention_years=5, consent_id_number=True, consent_photo=False)
    out = tmp_path / "登记表.pdf"
    assert write_registration_forms(out, [blank, given], font=font) == 2  # still one page each
    first, second = ("".join(text.split()) for text in page_texts(out))
    for text in (first, second):
        assert "个人信息告知（2026-12版）" in text and "保存5年，期满匿名化" in text and "要求删除" in text
    assert "（）同意使用本人的身份证号码" in first and "（）同意使用本人的照片" in first  # boxes to tick
    assert "（√）同意使用本人的身份证号码" in second and "（）同意使用本人的照片（登记表和证书）（不同意）" in second


def test_text_that_looks_like_markup_is_printed_as_typed(tmp_path: Path, font) -> None:
    out = tmp_path / "登记表.pdf"
    write_registration_forms(out, [make_form(address="灵峰路<88>号 & 东侧")], font=font)
    assert "灵峰路<88>号 & 东侧" in page_texts(out)[0]


def test_a_registration_form_with_a_character_the_font_lacks_is_refused(tmp_path: Path, font) -> None:
    out = tmp_path / "登记表.pdf"
    with pytest.raises(AdultSchoolError) as caught:
        write_registration_forms(out, [make_form(1), make_form(2, employer="宁波\ue000厂")], font=font)
    assert "U+E000" in caught.value.message
    assert "330206-01-2026-00002" in caught.value.message
    assert "工作单位" in caught.value.message
    assert not out.exists() and not Path(f"{out}.part").exists()


def test_cancelling_registration_forms_leaves_no_file(tmp_path: Path, font) -> None:
    out = tmp_path / "登记表.pdf"
    with pytest.raises(Cancelled):
        write_registration_forms(out, [make_form(n) for n in range(5)], font=font, job=RecordingJob(cancel_after=2))
    assert not out.exists() and not Path(f"{out}.part").exists()


# ---------------------------------------------------------------------------------------------- summary (R13)

def test_the_summary_form_repeats_its_header_on_every_page(tmp_path: Path, font) -> None:
    rows = make_rows(65)
    out = tmp_path / "汇总表.pdf"
    pages = write_summary_form(out, unit=SCHOOL, rows=rows, font=font)
    reader = pypdf.PdfReader(out)
    assert pages == len(reader.pages) >= 2
    assert round(float(reader.pages[0].mediabox.width)) == 842  # A4 landscape
    texts = page_texts(out)
    assert "成人“双证制”学历提升报名汇总表" in texts[0]
    assert f"单位：{SCHOOL}" in texts[0]
    for text in texts:
        flat = text.replace("\n", "").replace(" ", "")
        for header in SUMMARY_HEADERS:
            assert header in flat
    everything = "\n".join(texts)
    for row in rows:
        assert row.name in everything
        assert row.id_number in everything
    assert f"第 2 页 共 {pages} 页" in texts[1]
    assert_embedded(out)


def test_the_summary_columns_are_in_r13_order(tmp_path: Path, font) -> None:
    out = tmp_path / "汇总表.pdf"
    write_summary_form(out, unit=SCHOOL, rows=make_rows(3), font=font)
    flat = page_texts(out)[0].replace("\n", "").replace(" ", "")
    positions = [flat.index(header) for header in SUMMARY_HEADERS]
    assert positions == sorted(positions)


def test_a_summary_without_a_unit_leaves_a_line_to_fill_in(tmp_path: Path, font) -> None:
    out = tmp_path / "汇总表.pdf"
    write_summary_form(out, unit="", rows=make_rows(1), font=font)
    assert "单位：____" in page_texts(out)[0]


def test_long_addresses_wrap_inside_their_cell(tmp_path: Path, font) -> None:
    address = "浙江省宁波市北仑区大碶街道灵峰路 88 号宁波富邦精业铝业有限公司三号厂房二楼东侧办公室" * 2
    rows = [replace(make_rows(1)[0], employer_or_address=address)]
    out = tmp_path / "汇总表.pdf"
    write_summary_form(out, unit=SCHOOL, rows=rows, font=font)
    assert address.replace(" ", "") in page_texts(out)[0].replace("\n", "").replace(" ", "")


def test_cancelling_the_summary_leaves_no_file(tmp_path: Path, font) -> None:
    out = tmp_path / "汇总表.pdf"
    with pytest.raises(Cancelled):
        write_summary_form(out, unit=SCHOOL, rows=make_rows(80), font=font, job=RecordingJob(cancel_after=1))
    assert not out.exists() and not Path(f"{out}.part").exists()


def test_an_empty_summary_is_refused(tmp_path: Path, font) -> None:
    with pytest.raises(AdultSchoolError):
        write_summary_form(tmp_path / "x.pdf", unit=SCHOOL, rows=[], font=font)


# ---------------------------------------------------------------------------------------------- sign-in sheet

def test_the_signin_sheet_lists_every_learner_with_the_session_details(tmp_path: Path, font) -> None:
    rows = [SigninRow(f"330206-01-2026-{n:05d}", f"{'王李张'[n % 3]}{'喆堃赟𬌗'[n % 4]}{n}") for n in range(1, 41)]
    out = tmp_path / "签到表.pdf"
    pages = write_signin_sheet(out, school_name=SCHOOL, class_name="大碶夜校班", held_on=date(2026, 11, 23),
                               course="成人高中语文", topic="现代文阅读", hours=1.5, rows=rows, font=font)
    texts = page_texts(out)
    assert pages == len(texts) >= 2
    first = texts[0]
    for value in (SCHOOL, "学员签到表", "班级：大碶夜校班", "日期：2026年11月23日", "课程：成人高中语文",
                  "主题：现代文阅读", "课时：1.5"):
        assert value in first
    for text in texts:
        for header in ("序号", "学籍号", "姓名", "签名"):
            assert header in text
    everything = "\n".join(texts)
    for row in rows:
        assert row.name in everything
        assert row.student_number in everything
    assert "应到 40 人" in everything
    assert_embedded(out)


def test_a_signin_sheet_without_course_or_hours_leaves_blanks(tmp_path: Path, font) -> None:
    out = tmp_path / "签到表.pdf"
    write_signin_sheet(out, school_name=SCHOOL, class_name="新碶村班", held_on=date(2026, 11, 24), course=None,
                       topic=None, hours=0.0, rows=[SigninRow("330206-01-2026-00001", "陈伟")], font=font)
    text = page_texts(out)[0]
    assert "课程" not in text and "主题" not in text
    assert "课时：______" in text


def test_a_signin_name_the_font_lacks_is_refused_naming_the_learner(tmp_path: Path, font) -> None:
    out = tmp_path / "签到表.pdf"
    with pytest.raises(AdultSchoolError) as caught:
        write_signin_sheet(out, school_name=SCHOOL, class_name="大碶夜校班", held_on=date(2026, 11, 23), course=None,
                           topic=None, hours=2, rows=[SigninRow("330206-01-2026-00009", "陈\ue000")], font=font)
    assert "学员“陈？”（学籍号 330206-01-2026-00009）的姓名" in caught.value.message
    assert not out.exists() and not Path(f"{out}.part").exists()


def test_cancelling_a_signin_sheet_leaves_no_file(tmp_path: Path, font) -> None:
    out = tmp_path / "签到表.pdf"
    rows = [SigninRow(f"330206-01-2026-{n:05d}", f"陈{n}") for n in range(60)]
    with pytest.raises(Cancelled):
        write_signin_sheet(out, school_name=SCHOOL, class_name="大碶夜校班", held_on=date(2026, 11, 23), course=None,
                           topic=None, hours=2, rows=rows, font=font, job=RecordingJob(cancel_after=1))
    assert not out.exists() and not Path(f"{out}.part").exists()
