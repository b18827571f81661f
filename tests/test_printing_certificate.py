"""Certificates as a person sees them: real PDFs read back with pypdf, pages rendered and their QR codes scanned."""
from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdf
import pytest

from adultschool import paths
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import RecordingJob
from adultschool.printing import (
    CertificateData,
    Layout,
    chinese_date,
    find_font,
    load_template,
    qr_matrix,
    qr_payload,
    write_calibration_page,
    write_certificates,
)

SCHOOL = "大碶街道成人文化技术学校"
MM = 72 / 25.4


def make_certificate(number: int = 1, **changes: object) -> CertificateData:
    cert = CertificateData(
        school_name=SCHOOL, learner_name="陈伟", gender="男", birth_date=date(1985, 3, 12), level="senior",
        study_from=date(2025, 3, 1), study_to=date(2025, 9, 30), certificate_number=f"2026330206{number:06d}",
        issued_on=date(2026, 7, 10), check_code=f"K7Q{number:03d}", skill_certificate=None,
        issuer="宁波市成人“双证制”教育培训领导小组办公室")
    return replace(cert, **changes)  # type: ignore[arg-type]


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def fonts_used(path: Path) -> list[pypdf.generic.DictionaryObject]:
    found = []
    for page in pypdf.PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            found.append(ref.get_object())
    return found


@pytest.fixture
def font():
    return find_font()


@pytest.fixture
def resources(tmp_path: Path) -> Path:
    """A private copy of the shipped templates to spoil."""
    copy = tmp_path / "resources"
    shutil.copytree(paths.resources_dir() / "templates", copy / "templates")
    return copy


def test_one_landscape_a4_page_per_certificate_with_every_name_number_and_school(tmp_path: Path, font) -> None:
    names = ["张𬌗", "王喆", "欧阳堃赟", "吉𠮷", "李犇"]
    certs = [make_certificate(n, learner_name=name, gender="女" if n % 2 else "男")
             for n, name in enumerate(names, start=1)]
    out = tmp_path / "证书.pdf"
    assert write_certificates(out, certs, font=font) == 5
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 5
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 842
        assert round(float(page.mediabox.height)) == 595
    for cert, text in zip(certs, page_texts(out)):
        assert cert.learner_name in text
        assert cert.certificate_number in text
        assert SCHOOL in text
        assert "毕业证书" in text
        assert "宁波市成人“双证制”教育培训领导小组办公室" in text  # R11: senior in the city's name
        assert "二〇二六年七月十日" in text
        assert "补发" not in text


def test_the_font_is_an_embedded_truetype_subset_and_no_cid_font_is_used(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(learner_name="张𬌗")], font=font)
    used = fonts_used(out)
    assert used
    for pdf_font in used:
        assert pdf_font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in pdf_font["/FontDescriptor"].get_object()
        assert "LXGWWenKai" in pdf_font["/BaseFont"]
    raw = out.read_bytes()
    assert b"STSong" not in raw and b"Helvetica" not in raw


def test_metadata_names_the_document_and_the_school(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(1), make_certificate(2)], font=font)
    meta = pypdf.PdfReader(out).metadata
    assert meta.title == "毕业证书（2 份）"
    assert meta.author == SCHOOL


def test_junior_certificates_are_graduation_certificates_in_the_issuer_given(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(level="junior", issuer="江北区成人“双证制”教育培训领导小组办公室")], font=font)
    text = page_texts(out)[0]
    assert "毕业证书" in text and "结业" not in text  # seed 002: both levels get 毕业证书
    assert "初中学历教育" in text and "准予毕业" in text
    assert "江北区成人“双证制”教育培训领导小组办公室" in text
    assert "北仑区" not in text and "宁波市" not in text


def test_without_an_issuer_nothing_is_written_and_the_settings_are_named(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    with pytest.raises(AdultSchoolError, match="还没有设置高中证书的发证机关：请在“设置 → 证书”里填写"):
        write_certificates(out, [make_certificate(issuer=None)], font=font)
    assert not out.exists()


def test_the_title_wording_and_seal_text_come_with_the_certificate(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(title="毕业证明书", seal_text="宁波市教育局印",
                                              body_text="{name}同志于{study_from}至{study_to}在{school}学习期满，准予毕业。")],
                       font=font)
    text = page_texts(out)[0]
    assert "毕业证明书" in text and "宁波市教育局印" in text and "陈伟同志于2025年3月至2025年9月" in text
    with pytest.raises(AdultSchoolError, match="不认识的占位符“{名字}”"):
        write_certificates(out, [make_certificate(body_text="{名字}准予毕业")], font=font)


def test_viewers_are_told_to_print_at_full_size(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate()], font=font)
    preferences = pypdf.PdfReader(out).trailer["/Root"]["/ViewerPreferences"]
    assert preferences["/PrintScaling"] == "/None"


def text_positions(path: Path, needle: str) -> list[tuple[float, float]]:
    """Where the PDF draws text containing `needle` (points, from the page's lower left)."""
    found: list[tuple[float, float]] = []

    def visit(text, cm, tm, _font, _size):
        if needle in text:
            matrix = pypdf.mult(tm, cm)
            found.append((matrix[4], matrix[5]))

    pypdf.PdfReader(path).pages[0].extract_text(visitor_text=visit)
    return found


def test_a_printer_calibration_moves_every_field_by_the_millimetres_set(tmp_path: Path, font) -> None:
    plain, moved = tmp_path / "plain.pdf", tmp_path / "moved.pdf"
    write_certificates(plain, [make_certificate()], font=font)
    write_certificates(moved, [make_certificate()], font=font, layout=Layout(offset_x_mm=3.5, offset_y_mm=-2.0))
    (x0, y0), (x1, y1) = text_positions(plain, "证书编号")[0], text_positions(moved, "证书编号")[0]
    assert round((x1 - x0) / MM, 2) == 3.5 and round((y1 - y0) / MM, 2) == -2.0
    scaled = tmp_path / "scaled.pdf"
    write_certificates(scaled, [make_certificate()], font=font, layout=Layout(scale=0.99))
    (xs, ys) = text_positions(scaled, "证书编号")[0]
    assert round(xs / x0, 4) == 0.99 and round(ys / y0, 4) == 0.99
    with pytest.raises(AdultSchoolError, match="套打偏移"):
        write_certificates(tmp_path / "x.pdf", [make_certificate()], font=font, layout=Layout(offset_x_mm=80))


def test_text_only_prints_the_contents_without_what_the_stock_already_has(tmp_path: Path, font) -> None:
    out = tmp_path / "套打.pdf"
    write_certificates(out, [make_certificate()], font=font, layout=Layout(text_only=True))
    text = page_texts(out)[0]
    assert "陈伟" in text and "证书编号" in text and "宁波市成人" in text
    assert "毕业证书" not in text and "盖章" not in text and "照片" not in text


def test_a_photo_is_drawn_in_the_photo_box(tmp_path: Path, font) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (358, 441), (200, 30, 30)).save(buffer, format="JPEG")
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(photo_jpeg=buffer.getvalue())], font=font)
    page = pypdf.PdfReader(out).pages[0]
    images = list(page.images)
    assert len(images) == 1 and images[0].image.size == (358, 441)
    assert "照片" not in page.extract_text()  # the guide's label makes room for the photo


def test_the_calibration_page_has_a_grid_and_crosshairs_where_the_template_puts_things(tmp_path: Path, font) -> None:
    out = tmp_path / "校准.pdf"
    write_calibration_page(out, font=font, layout=Layout(offset_x_mm=2))
    text = page_texts(out)[0]
    assert "套打校准页" in text and "照片左下角（30, 83 mm）" in text and "当前偏移 右 2 mm" in text


def test_an_issuer_given_with_the_certificate_replaces_the_template_default(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(issuer="镇海区成人“双证制”教育培训领导小组办公室", level="junior")],
                       font=font)
    text = page_texts(out)[0]
    assert "镇海区成人“双证制”教育培训领导小组办公室" in text
    assert "北仑区" not in text


def test_a_reprint_is_marked_and_keeps_its_number(tmp_path: Path, font) -> None:
    original = make_certificate(7, learner_name="王喆")
    out = tmp_path / "补发.pdf"
    write_certificates(out, [original, replace(original, reprint=True, issued_on=date(2026, 11, 23))], font=font)
    first, second = page_texts(out)
    assert "补发" not in first
    assert "补发" in second
    assert "（补发）" in second
    assert original.certificate_number in second
    assert "二〇二六年十一月二十三日" in second


def test_the_skill_certificate_line_is_printed_only_when_there_is_one(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(1, skill_certificate="电工（五级/初级工）"), make_certificate(2)],
                       font=font)
    with_skill, without = page_texts(out)
    assert "职业技能证书：电工（五级/初级工）" in with_skill
    assert "职业技能证书" not in without


def test_a_name_is_never_split_across_lines(tmp_path: Path, font) -> None:
    # Names of every length against schools of every length move the name to each place in the paragraph.
    certs = [make_certificate(n, learner_name="欧阳" + "堃" * (n % 4), school_name="大碶" + "街道" * (n % 7) + "成校")
             for n in range(1, 29)]
    out = tmp_path / "证书.pdf"
    write_certificates(out, certs, font=font)
    for cert, text in zip(certs, page_texts(out)):
        assert cert.learner_name in text


def test_the_qr_code_on_the_rendered_page_scans_to_the_payload(tmp_path: Path, font) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    certs = [make_certificate(1, learner_name="张𬌗"), make_certificate(2, reprint=True, level="junior")]
    out = tmp_path / "证书.pdf"
    write_certificates(out, certs, font=font)
    document = pdfium.PdfDocument(str(out))
    try:
        for index, cert in enumerate(certs):
            image = document[index].render(scale=100 / 72).to_pil()  # 100 dpi, a cheap office scanner
            found = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
            assert found == [qr_payload(cert)] == [f"ASCERT|{cert.certificate_number}|{cert.check_code}"]
    finally:
        document.close()


def test_qr_matrix_is_a_valid_symbol_of_the_payload() -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    payload = "ASCERT|2026330206000123|K7Q2M9"
    matrix = qr_matrix(payload)
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    assert (size - 17) % 4 == 0  # versions are 21, 25, 29… modules
    # The three finder patterns: a dark 7×7 ring with a dark 3×3 centre.
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        ring = [matrix[top + i][left + j] for i in range(7) for j in range(7) if i in (0, 6) or j in (0, 6)]
        centre = [matrix[top + i][left + j] for i in range(2, 5) for j in range(2, 5)]
        assert all(ring) and all(centre)
    scale, quiet = 6, 4
    image = Image.new("L", ((size + 2 * quiet) * scale,) * 2, 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, ((x + quiet) * scale, (y + quiet) * scale, (x + quiet + 1) * scale, (y + quiet + 1) * scale))
    assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [payload]


def test_a_name_the_font_cannot_print_is_refused_and_no_file_is_left(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    certs = [make_certificate(1, learner_name="王喆"), make_certificate(2, learner_name="李\ue000")]
    with pytest.raises(AdultSchoolError) as caught:
        write_certificates(out, certs, font=font)
    message = caught.value.message
    assert "U+E000" in message
    assert "学员“李？”" in message
    assert certs[1].certificate_number in message
    assert not out.exists()
    assert not Path(f"{out}.part").exists()


def test_a_school_name_the_font_cannot_print_is_refused(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    with pytest.raises(AdultSchoolError, match="学校名称"):
        write_certificates(out, [make_certificate(school_name="\ue001成校")], font=font)
    assert not out.exists()


def test_cancelling_midway_leaves_no_file(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    job = RecordingJob(cancel_after=1)
    with pytest.raises(Cancelled):
        write_certificates(out, [make_certificate(n) for n in range(120)], font=font, job=job)
    assert job.reports == [(50, 120, "已排好 50/120 张证书")]
    assert not out.exists()
    assert not Path(f"{out}.part").exists()


def test_progress_is_reported_every_fifty_pages_and_at_the_end(tmp_path: Path, font) -> None:
    job = RecordingJob()
    write_certificates(tmp_path / "证书.pdf", [make_certificate(n) for n in range(120)], font=font, job=job)
    assert [done for done, _, _ in job.reports] == [50, 100, 120]


def test_an_existing_file_is_replaced_only_when_the_new_one_is_complete(tmp_path: Path, font) -> None:
    out = tmp_path / "证书.pdf"
    out.write_bytes(b"old")
    with pytest.raises(AdultSchoolError):
        write_certificates(out, [make_certificate(learner_name="\ue000")], font=font)
    assert out.read_bytes() == b"old"
    write_certificates(out, [make_certificate()], font=font)
    assert out.read_bytes().startswith(b"%PDF")


def test_no_certificates_is_an_error(tmp_path: Path, font) -> None:
    with pytest.raises(AdultSchoolError, match="没有要打印的证书"):
        write_certificates(tmp_path / "x.pdf", [], font=font)


def test_an_unknown_level_is_refused(tmp_path: Path, font) -> None:
    with pytest.raises(AdultSchoolError, match="层次"):
        write_certificates(tmp_path / "x.pdf", [make_certificate(level="college")], font=font)


def test_a_very_long_school_name_shrinks_the_text_to_fit(tmp_path: Path, font) -> None:
    long_school = "宁波市北仑区大碶街道社区教育学院暨成人文化技术学校" * 3
    out = tmp_path / "证书.pdf"
    write_certificates(out, [make_certificate(school_name=long_school)], font=font)
    assert long_school in page_texts(out)[0].replace("\n", "")


# ---------------------------------------------------------------------------------------------- templates

@pytest.mark.parametrize("level", ["senior", "junior"])
def test_the_shipped_templates_load(level: str) -> None:
    template = load_template(level)
    assert template["level_label"] == {"senior": "高中", "junior": "初中"}[level]
    assert template["page"] == {"size": "A4", "orientation": "landscape"}


def test_broken_template_json_names_the_file_and_line(resources: Path, font, tmp_path: Path) -> None:
    file = resources / "templates" / "certificate-senior.json"
    file.write_text('{\n  "level_label": "高中",\n  "issuer": "x"\n  "page": {}\n}', encoding="utf-8")
    with pytest.raises(AdultSchoolError) as caught:
        write_certificates(tmp_path / "x.pdf", [make_certificate()], font=font, resources=resources)
    assert "certificate-senior.json" in caught.value.message
    assert "第 4 行" in caught.value.message
    assert not (tmp_path / "x.pdf").exists()


def _edit_template(resources: Path, edit) -> None:
    file = resources / "templates" / "certificate-senior.json"
    data = json.loads(file.read_text(encoding="utf-8"))
    edit(data)
    file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_missing_template_key_is_named(resources: Path) -> None:
    _edit_template(resources, lambda data: data["title"].pop("size_pt"))
    with pytest.raises(AdultSchoolError) as caught:
        load_template("senior", resources)
    assert "certificate-senior.json" in caught.value.message
    assert "title.size_pt" in caught.value.message


def test_a_wrong_type_in_the_template_is_named(resources: Path) -> None:
    _edit_template(resources, lambda data: data["body"].update(size_pt="大"))
    with pytest.raises(AdultSchoolError, match="body.size_pt"):
        load_template("senior", resources)


def test_an_unknown_placeholder_in_the_template_is_named(resources: Path) -> None:
    _edit_template(resources, lambda data: data["body"].update(text="学员{nmae}，准予毕业。"))
    with pytest.raises(AdultSchoolError) as caught:
        load_template("senior", resources)
    assert "{nmae}" in caught.value.message
    assert "body.text" in caught.value.message
    assert "{name}" in caught.value.message  # says what is available


def test_a_template_position_off_the_page_is_refused(resources: Path) -> None:
    _edit_template(resources, lambda data: data["qr"].update(x_mm=400))
    with pytest.raises(AdultSchoolError, match="纸张外面"):
        load_template("senior", resources)


def test_a_missing_template_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AdultSchoolError, match="certificate-junior.json"):
        load_template("junior", tmp_path)


def test_a_district_can_change_the_wording(resources: Path, font, tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["issuer"] = "宁波市教育局"
        data["body"]["text"] = "兹证明{name}同志于{study_from}至{study_to}在{school}学习期满，成绩合格。"
    _edit_template(resources, edit)
    out = tmp_path / "x.pdf"
    write_certificates(out, [make_certificate(learner_name="赵赟", issuer=None)], font=font, resources=resources)
    text = page_texts(out)[0].replace("\n", "")
    assert "兹证明赵赟同志于2025年3月至2025年9月在" in text
    assert "宁波市教育局" in text  # the template's issuer stands in where the settings give none


@pytest.mark.parametrize(("day", "written"), [
    (date(2026, 7, 10), "二〇二六年七月十日"),
    (date(2026, 12, 31), "二〇二六年十二月三十一日"),
    (date(2030, 1, 20), "二〇三〇年一月二十日"),
    (date(2027, 11, 5), "二〇二七年十一月五日"),
])
def test_issue_dates_are_written_the_chinese_way(day: date, written: str) -> None:
    assert chinese_date(day) == written
