"""Certificates (毕业证书, R11) as one PDF, one page per graduate (`write_certificates`): each certificate checked, its
values filled into its level's template with the district's wording, its body broken into lines (cjk_lines), and the
pages drawn (certificate_drawing) and written atomically.

Positions, sizes and the default wording live in resources/templates/certificate-<level>.json (certificate_template);
the issuing body, the title, the seal text and the wording a district uses come with each certificate (the database's
settings), so one install serves every district. A `Layout` moves and scales the page for one printer (pre-printed
stock, 套打) and can print only the contents, without the frame, title and guides the stock already has."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.outfiles import PDF_PROGRAMS, atomic_output
from adultschool.printing.certificate_data import CertificateData, Layout, chinese_date
from adultschool.printing.certificate_drawing import _Page, _draw_page
from adultschool.printing.certificate_template import LEVELS, _template_texts, check_wording, load_template
from adultschool.printing.cjk_lines import _Widths, _layout_body
from adultschool.printing.fonts import PdfFont, check_printable


PROGRESS_EVERY_PAGES = 50


def _with_wording(template: dict[str, Any], cert: CertificateData) -> dict[str, Any]:
    """The template with this certificate's title, wording and seal text (a shallow copy per distinct wording)."""
    if not (cert.title or cert.body_text or cert.seal_text):
        return template
    data = dict(template)
    if cert.title:
        data["title"] = {**template["title"], "text": cert.title}
    if cert.body_text:
        data["body"] = {**template["body"], "text": cert.body_text}
    if cert.seal_text and template.get("seal"):
        data["seal"] = {**template["seal"], "label": cert.seal_text}
    return data


def _values(cert: CertificateData, template: dict[str, Any]) -> dict[str, str]:
    def ym(day: date) -> str:
        return f"{day.year}年{day.month}月"

    def ymd(day: date) -> str:
        return f"{day.year}年{day.month}月{day.day}日"

    return {
        "name": cert.learner_name,
        "gender": cert.gender,
        "birth_date": ymd(cert.birth_date),
        "birth_year": str(cert.birth_date.year),
        "birth_month": str(cert.birth_date.month),
        "birth_day": str(cert.birth_date.day),
        "study_from": ym(cert.study_from),
        "study_from_date": ymd(cert.study_from),
        "study_to": ym(cert.study_to),
        "study_to_date": ymd(cert.study_to),
        "school": cert.school_name,
        "level_label": template["level_label"],
        "certificate_number": cert.certificate_number,
        "check_code": cert.check_code,
        "issued_on": ymd(cert.issued_on),
        "issued_on_chinese": chinese_date(cert.issued_on),
        "issuer": cert.issuer or template["issuer"],
        "skill_certificate": cert.skill_certificate or "",
    }


def _check_data(cert: CertificateData, index: int) -> None:
    label = f"第 {index} 张证书（{cert.learner_name or '无姓名'}）"
    if cert.level not in LEVELS:
        raise AdultSchoolError(f"{label}的层次“{cert.level}”不对：只能是高中（senior）或初中（junior）。")
    for value, what in ((cert.learner_name, "学员姓名"), (cert.school_name, "学校名称"),
                        (cert.certificate_number, "证书编号"), (cert.check_code, "查验码")):
        if not value.strip():
            raise AdultSchoolError(f"{label}没有{what}，不能打印。")
    if cert.study_to < cert.study_from:
        raise AdultSchoolError(f"{label}的学习结束日期早于开始日期，请核对后再打印。")
    for text, what in ((cert.title, "证书标题"), (cert.body_text, "证书正文"), (cert.seal_text, "印章文字")):
        if text is not None:
            check_wording(text, what)


def _printable_items(cert: CertificateData, values: dict[str, str]) -> Iterator[tuple[str, str]]:
    who = f"学员“{cert.learner_name}”（证书编号 {cert.certificate_number}）"
    yield f"{who}的姓名", cert.learner_name
    yield f"{who}的性别", cert.gender
    yield f"{who}的学校名称", cert.school_name
    yield f"{who}的证书编号", cert.certificate_number
    yield f"{who}的查验码", cert.check_code
    yield f"{who}的发证单位", values["issuer"]
    if cert.skill_certificate:
        yield f"{who}的职业技能证书名称", cert.skill_certificate


def write_certificates(
    path_out: str | os.PathLike[str],
    certificates: Sequence[CertificateData],
    *,
    font: PdfFont,
    resources: Path | None = None,
    layout: Layout | None = None,
    job: JobContext | None = None,
) -> int:
    """Write one page per certificate into one PDF; returns the number of pages.

    Everything is checked first (data, templates, that the font has every character) so a refusal leaves
    no file; the PDF is written to '<path>.part' and renamed when complete."""
    job = job or NullJob()
    if not certificates:
        raise AdultSchoolError("没有要打印的证书。")
    templates: dict[str, dict[str, Any]] = {}
    for index, cert in enumerate(certificates, start=1):
        _check_data(cert, index)
        if cert.level not in templates:
            templates[cert.level] = load_template(cert.level, resources)
    for level, level_template in templates.items():
        check_printable(font, ((f"证书模板“certificate-{level}.json”的文字", text)
                               for text in _template_texts(level_template)))

    layout = (layout or Layout()).check()
    widths = _Widths(font)
    pages = []
    worded: dict[tuple[str, str | None, str | None, str | None], dict[str, Any]] = {}
    for cert in certificates:
        key = (cert.level, cert.title, cert.body_text, cert.seal_text)
        template = worded.get(key)
        if template is None:
            template = worded[key] = _with_wording(templates[cert.level], cert)
            check_printable(font, ((f"证书“{template['title']['text']}”的文字", text) for text in _template_texts(template)))
        values = _values(cert, template)
        if not values["issuer"]:
            raise AdultSchoolError(f"还没有设置{template['level_label']}证书的发证机关：请在“设置 → 证书”里填写"
                                   "（如“北仑区成人‘双证制’教育培训领导小组办公室”）后再打印。")
        check_printable(font, _printable_items(cert, values))
        who = f"学员“{cert.learner_name}”（证书编号 {cert.certificate_number}）"
        pages.append(_Page(cert, template, values, _layout_body(template, values, widths, who)))
    job.check_cancelled()

    with tempfile.TemporaryDirectory(prefix="adultschool-photos-") as folder:
        # Given as .jpg files, the photos go into the PDF as the JPEGs they are (DCTDecode); given as images, reportlab
        # would decode each one and compress it again (measured: twice the time, 1.5× the file).
        for index, page in enumerate(pages):
            if page.cert.photo_jpeg:
                if not page.cert.photo_jpeg.startswith(b"\xff\xd8\xff"):
                    raise AdultSchoolError(f"学员“{page.cert.learner_name}”的照片不是 JPEG 图片，请重新设置照片。")
                path = Path(folder) / f"photo-{index}.jpg"
                path.write_bytes(page.cert.photo_jpeg)
                pages[index] = replace(page, photo=path)
        return _write_pages(path_out=path_out, pages=pages, certificates=certificates, templates=templates, font=font,
                            widths=widths, layout=layout, job=job)


def _write_pages(*, path_out: str | os.PathLike[str], pages: list[_Page], certificates: Sequence[CertificateData],
                 templates: dict[str, dict[str, Any]], font: PdfFont, widths: _Widths, layout: Layout,
                 job: JobContext) -> int:
    total = len(pages)
    schools = list(dict.fromkeys(cert.school_name for cert in certificates))
    titles = "、".join(dict.fromkeys(t["title"]["text"] for t in templates.values()))
    with atomic_output(path_out, opened_in=PDF_PROGRAMS) as part:
        first_size = pages[0].template["_page_size"]
        canvas = Canvas(str(part), pagesize=first_size, pageCompression=1, initialFontName=font.name,
                        initialFontSize=12, lang="zh-CN")
        canvas.setTitle(f"{titles}（{total} 份）")
        canvas.setAuthor("、".join(schools[:3]) + ("等" if len(schools) > 3 else ""))
        canvas.setSubject("成人“双证制”学历提升证书")
        canvas.setCreator("adultschool")
        # Printed at 100 %: a viewer's "fit to page" would move the fields off pre-printed stock.
        canvas.setViewerPreference("PrintScaling", "None")
        for done, page in enumerate(pages, start=1):
            job.check_cancelled()
            canvas.setPageSize(page.template["_page_size"])
            _draw_page(canvas, page, font, widths, layout)
            canvas.showPage()
            if done % PROGRESS_EVERY_PAGES == 0 or done == total:
                job.report(done, total, f"已排好 {done}/{total} 张证书")
        canvas.save()
    return total
