"""Paper forms on A4: the registration form a learner signs, the R13 summary form and a class sign-in sheet.

Each is a reportlab platypus story over an embedded TrueType font, with a header and "第 N 页 共 M 页" on
every page; table headers repeat on each page. Text is checked against the font before anything is drawn.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.outfiles import PDF_PROGRAMS, atomic_output
from adultschool.printing.fonts import PdfFont, check_printable
from adultschool.xlsx.writing import SUMMARY_HEADERS, SummaryRow

SUMMARY_TITLE = "成人“双证制”学历提升报名汇总表"
REGISTRATION_TITLE = "成人“双证制”学历提升报名登记表"
_SUMMARY_WIDTHS = (6, 10, 6, 10, 22, 36, 15, 14)  # relative, as in the workbook (xlsx/writing.py)
_GRID = colors.HexColor("#333333")
_HEADER_FILL = colors.HexColor("#eeeeee")
_MUTED = colors.HexColor("#666666")
_BLANK_DATE = "_____年___月___日"


@dataclass(frozen=True)
class RegistrationFormData:
    """One learner's registration form (报名登记表); text fields are display text and may be ''."""

    school_name: str
    student_number: str
    name: str
    gender: str
    birth_date: date
    id_number: str
    education: str
    level_label: str
    household_location: str
    employer: str
    address: str
    phone: str
    registered_on: date
    learning_mode_label: str
    township: str
    photo_jpeg: bytes | None = None  # printed in the photo box when the school has it


@dataclass(frozen=True)
class SigninRow:
    """One learner line on a sign-in sheet."""

    student_number: str
    name: str


def _ymd(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------- shared

class _Styles:
    def __init__(self, font: PdfFont):
        base = dict(fontName=font.name, wordWrap="CJK")
        self.title = ParagraphStyle("title", fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4 * mm, **base)
        self.subtitle = ParagraphStyle("subtitle", fontSize=12, leading=16, alignment=TA_CENTER, textColor=_MUTED,
                                       **base)
        self.line = ParagraphStyle("line", fontSize=11.5, leading=17, alignment=TA_LEFT, **base)
        self.cell = ParagraphStyle("cell", fontSize=10.5, leading=14, **base)
        self.cell_centre = ParagraphStyle("cell_centre", parent=self.cell, alignment=TA_CENTER)
        self.label = ParagraphStyle("label", fontSize=11, leading=14, alignment=TA_CENTER, **base)
        self.small = ParagraphStyle("small", fontSize=9.5, leading=13, **base)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: whatever a clerk typed (<, &) is shown, never read as markup."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _page_canvas(font: PdfFont, header: str) -> type[Canvas]:
    """A canvas class that knows the page count when it saves, for the header and "第 N 页 共 M 页"."""

    class PagedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self._decorate(total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont(font.name, 9)
            self.setFillColor(_MUTED)
            self.setStrokeColor(_MUTED)
            self.setLineWidth(0.4)
            if header:
                self.drawString(15 * mm, height - 10 * mm, header)
                self.line(15 * mm, height - 11.5 * mm, width - 15 * mm, height - 11.5 * mm)
            self.drawCentredString(width / 2, 8 * mm, f"第 {self._pageNumber} 页 共 {total} 页")
            self.restoreState()

    return PagedCanvas


class _Stop(Exception):
    """Carries a cancel out of a platypus page callback."""


def _build(path: str | os.PathLike[str], story: list[Any], *, font: PdfFont, pagesize: tuple[float, float],
           title: str, author: str, header: str, job: JobContext, total_pages: int | None, what: str) -> int:
    """Lay out `story` into '<path>.part' (progress and cancel on every page) and rename it when complete."""
    stopped: list[BaseException] = []

    def on_page(canvas: Canvas, doc: Any) -> None:
        page = canvas.getPageNumber()
        try:
            job.report(page, total_pages, f"已排好第 {page} 页{what}")
        except BaseException as exc:
            # platypus re-creates an exception from a callback as type(exc)(message), which Cancelled
            # cannot take: carry the original out past it instead.
            stopped.append(exc)
            raise _Stop() from exc

    with atomic_output(path, opened_in=PDF_PROGRAMS) as part:
        doc = SimpleDocTemplate(
            str(part), pagesize=pagesize, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm,
            bottomMargin=15 * mm, title=title, author=author, subject=title, creator="adultschool",
            initialFontName=font.name, initialFontSize=10, lang="zh-CN", pageCompression=1)
        try:
            doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=_page_canvas(font, header))
        except _Stop:
            raise stopped[0] from None
    return int(doc.page)


def _table_style(font: PdfFont, commands: list[tuple[Any, ...]]) -> TableStyle:
    """Table commands plus our font for plain-string cells: reportlab's default there is Helvetica, a font
    the PDF would then reference without embedding."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), font.name), *commands])


def _checked(font: PdfFont, items: Iterable[tuple[str, str]]) -> None:
    check_printable(font, ((who, text) for who, text in items if text))


# ---------------------------------------------------------------------------------------------- registration

def _registration_items(form: RegistrationFormData) -> Iterator[tuple[str, str]]:
    who = f"学员“{form.name}”（学籍号 {form.student_number}）的"
    fields = (("姓名", form.name), ("学校名称", form.school_name), ("学籍号", form.student_number),
              ("性别", form.gender), ("身份证号码", form.id_number), ("文化程度", form.education),
              ("学历提升层次", form.level_label), ("户籍所在地", form.household_location),
              ("工作单位", form.employer), ("家庭住址", form.address), ("联系电话", form.phone),
              ("学习方式", form.learning_mode_label), ("所在街道（镇）", form.township))
    for label, text in fields:
        yield who + label, text


def _registration_page(form: RegistrationFormData, styles: _Styles, width: float, font: PdfFont) -> list[Any]:
    p, cell, cell_centre, label = _p, styles.cell, styles.cell_centre, styles.label
    heading = Table(
        [[p(f"学校：{form.school_name}", styles.line), p(f"学籍号：{form.student_number}", styles.line)]],
        colWidths=(width * 0.62, width * 0.38))
    heading.setStyle(_table_style(font, [("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))

    c = (28 * mm, 50 * mm, 26 * mm, 40 * mm)
    photo_width = width - sum(c)
    if form.photo_jpeg:  # one-inch photo (25 × 35 mm), in the box that spans the first four rows
        photo: Any = Image(io.BytesIO(form.photo_jpeg), width=25 * mm, height=35 * mm, kind="proportional")
    else:
        photo = p("照片\n（一寸）", ParagraphStyle("photo", parent=label, textColor=_MUTED))
    rows = [
        [p("姓名", label), p(form.name, cell), p("性别", label), p(form.gender, cell_centre), photo],
        [p("出生日期", label), p(_ymd(form.birth_date), cell), p("文化程度", label), p(form.education, cell_centre), ""],
        [p("身份证号码", label), p(form.id_number, cell), "", "", ""],
        [p("学历提升层次", label), p(form.level_label, cell), p("学习方式", label), p(form.learning_mode_label, cell_centre), ""],
        [p("户籍所在地", label), p(form.household_location, cell), "", "", ""],
        [p("街道（镇）", label), p(form.township, cell), p("联系电话", label), p(form.phone, cell), ""],
        [p("工作单位", label), p(form.employer, cell), "", "", ""],
        [p("家庭住址", label), p(form.address, cell), "", "", ""],
        [p("报名日期", label), p(_ymd(form.registered_on), cell), "", "", ""],
        [p("本人承诺", label),
         p("本人承诺以上信息真实、准确，自愿参加成人“双证制”学历提升学习，遵守学校的学习和考试规定。", cell), "", "", ""],
        ["", p(f"本人签名：______________        日期：{_BLANK_DATE}", cell), "", "", ""],
        [p("学校审核意见", label), "", "", "", ""],
        ["", p(f"审核人：______________        学校（盖章）        日期：{_BLANK_DATE}", cell), "", "", ""],
    ]
    heights = [14 * mm] * 9 + [16 * mm, 14 * mm, 32 * mm, 14 * mm]
    table = Table(rows, colWidths=(*c, photo_width), rowHeights=heights)
    table.setStyle(_table_style(font, [
        ("GRID", (0, 0), (-1, -1), 0.6, _GRID),
        ("BOX", (0, 0), (-1, -1), 1.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (0, -1), _HEADER_FILL),
        ("BACKGROUND", (2, 0), (2, 1), _HEADER_FILL),
        ("BACKGROUND", (2, 3), (2, 3), _HEADER_FILL),
        ("BACKGROUND", (2, 5), (2, 5), _HEADER_FILL),
        ("SPAN", (4, 0), (4, 3)),       # photo
        ("SPAN", (1, 2), (3, 2)),       # ID number
        ("SPAN", (1, 4), (4, 4)),
        ("SPAN", (3, 5), (4, 5)),       # phone
        ("SPAN", (1, 6), (4, 6)),
        ("SPAN", (1, 7), (4, 7)),
        ("SPAN", (1, 8), (4, 8)),
        ("SPAN", (0, 9), (0, 10)), ("SPAN", (1, 9), (4, 9)), ("SPAN", (1, 10), (4, 10)),
        ("SPAN", (0, 11), (0, 12)), ("SPAN", (1, 11), (4, 11)), ("SPAN", (1, 12), (4, 12)),
        ("LINEBELOW", (1, 9), (4, 9), 0, colors.white),      # promise and signature read as one box
        ("LINEBELOW", (1, 11), (4, 11), 0, colors.white),
        ("LEFTPADDING", (0, 0), (-1, -1), 5), ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]))
    return [_p(REGISTRATION_TITLE, styles.title), heading, Spacer(1, 3 * mm), table,
            Spacer(1, 4 * mm),
            _p("注：身份证号码等个人信息仅用于学籍注册和学分银行开户，学校妥善保管，不作他用。", styles.small)]


def write_registration_forms(
    path: str | os.PathLike[str],
    forms: Sequence[RegistrationFormData],
    *,
    font: PdfFont,
    job: JobContext | None = None,
) -> int:
    """报名登记表: one A4 page per learner, to check and sign. Returns the number of pages."""
    job = job or NullJob()
    if not forms:
        raise AdultSchoolError("没有要打印的报名登记表。")
    _checked(font, [(f"登记表“{REGISTRATION_TITLE}”的文字", REGISTRATION_TITLE)])
    for form in forms:
        _checked(font, _registration_items(form))
    styles = _Styles(font)
    width = A4[0] - 30 * mm
    story: list[Any] = []
    for number, form in enumerate(forms):
        job.check_cancelled()
        if number:
            story.append(PageBreak())
        story.extend(_registration_page(form, styles, width, font))
    schools = list(dict.fromkeys(form.school_name for form in forms if form.school_name))
    return _build(path, story, font=font, pagesize=A4, title=f"{REGISTRATION_TITLE}（{len(forms)} 人）",
                  author="、".join(schools[:3]), header=f"{'、'.join(schools[:3])} · 报名登记表", job=job,
                  total_pages=len(forms), what="报名登记表")


# ---------------------------------------------------------------------------------------------- summary (R13)

def write_summary_form(
    path: str | os.PathLike[str],
    *,
    unit: str,
    rows: Sequence[SummaryRow],
    font: PdfFont,
    title: str = SUMMARY_TITLE,
    job: JobContext | None = None,
) -> int:
    """The R13 registration summary (报名汇总表) on A4 landscape: title, "单位：" line, the eight columns in
    R13 order, the header row repeated on every page. Returns the number of pages."""
    job = job or NullJob()
    if not rows:
        raise AdultSchoolError("汇总表里没有学员，不能打印。")
    _checked(font, [("汇总表的标题", title), ("汇总表的单位名称", unit), ("汇总表的表头", "".join(SUMMARY_HEADERS))])
    for number, row in enumerate(rows, start=1):
        who = f"汇总表第 {number} 行学员“{row.name}”的"
        _checked(font, [(who + header, text) for header, text in zip(
            SUMMARY_HEADERS[1:], (row.name, row.gender, row.education, row.id_number, row.employer_or_address,
                                  row.phone, row.level))])
    styles = _Styles(font)
    pagesize = landscape(A4)
    width = pagesize[0] - 30 * mm
    scale = width / sum(_SUMMARY_WIDTHS)
    centre, cell = styles.cell_centre, styles.cell
    # The long last header breaks before its bracket, not after it (reportlab's CJK wrap knows no kinsoku).
    headers = [header.replace("（", "\n（", 1) if len(header) > 8 else header for header in SUMMARY_HEADERS]
    data: list[list[Any]] = [[_p(header, styles.label) for header in headers]]
    for number, row in enumerate(rows, start=1):
        if number % 200 == 0:
            job.check_cancelled()
        data.append([_p(str(number), centre), _p(row.name, centre), _p(row.gender, centre), _p(row.education, centre),
                     _p(row.id_number, centre), _p(row.employer_or_address, cell), _p(row.phone, centre),
                     _p(row.level, centre)])
    table = Table(data, colWidths=[w * scale for w in _SUMMARY_WIDTHS], repeatRows=1)
    table.setStyle(_table_style(font, [
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("BOX", (0, 0), (-1, -1), 1.2, _GRID),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    story = [_p(title, styles.title), _p("单位：" + (unit.strip() or "________________"), styles.line),
             Spacer(1, 2 * mm), table]
    return _build(path, story, font=font, pagesize=pagesize, title=title, author=unit, header=f"{title} · 单位：{unit}",
                  job=job, total_pages=None, what="汇总表")


# ---------------------------------------------------------------------------------------------- sign-in sheet

def _hours(hours: float) -> str:
    """2.0 → "2", 1.5 → "1.5"; no hours known yet → a blank the teacher fills in."""
    return f"{hours:g}" if hours > 0 else "______"


def write_signin_sheet(
    path: str | os.PathLike[str],
    *,
    school_name: str,
    class_name: str,
    held_on: date,
    course: str | None,
    topic: str | None,
    hours: float,
    rows: Sequence[SigninRow],
    font: PdfFont,
    job: JobContext | None = None,
) -> int:
    """签到表 for one class session: 序号/学籍号/姓名 and a wide signing column, header on every page.
    Returns the number of pages."""
    job = job or NullJob()
    if not rows:
        raise AdultSchoolError(f"班级“{class_name}”没有学员，不能打印签到表。")
    _checked(font, [("签到表的学校名称", school_name), (f"班级“{class_name}”的名称", class_name),
                    (f"班级“{class_name}”的课程名称", course or ""), (f"班级“{class_name}”的上课主题", topic or "")])
    for row in rows:
        _checked(font, [(f"学员“{row.name}”（学籍号 {row.student_number}）的姓名", row.name),
                        (f"学员“{row.name}”的学籍号", row.student_number)])
    styles = _Styles(font)
    width = A4[0] - 30 * mm
    details = [f"班级：{class_name}", f"日期：{_ymd(held_on)}"]
    if course:
        details.append(f"课程：{course}")
    if topic:
        details.append(f"主题：{topic}")
    details.append(f"课时：{_hours(hours)}")
    info = Table([[_p(text, styles.line) for text in details[i:i + 2]] for i in range(0, len(details), 2)],
                 colWidths=(width / 2, width / 2))
    info.setStyle(_table_style(font, [("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    centre = styles.cell_centre
    data: list[list[Any]] = [[_p(text, styles.label) for text in ("序号", "学籍号", "姓名", "签名")]]
    for number, row in enumerate(rows, start=1):
        if number % 200 == 0:
            job.check_cancelled()
        data.append([_p(str(number), centre), _p(row.student_number, centre), _p(row.name, centre), ""])
    widths = (14 * mm, 46 * mm, 34 * mm)
    table = Table(data, colWidths=(*widths, width - sum(widths)), rowHeights=[9 * mm] + [11 * mm] * len(rows),
                  repeatRows=1)
    table.setStyle(_table_style(font, [
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("BOX", (0, 0), (-1, -1), 1.2, _GRID),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story = [_p(school_name, styles.subtitle), _p("学员签到表", styles.title), info, Spacer(1, 3 * mm), table,
             Spacer(1, 6 * mm),
             _p(f"应到 {len(rows)} 人，实到 ______ 人。          任课教师签名：________________", styles.line)]
    return _build(path, story, font=font, pagesize=A4, title=f"{class_name} {_ymd(held_on)} 签到表",
                  author=school_name, header=f"{school_name} · {class_name} · {_ymd(held_on)} 签到表", job=job,
                  total_pages=None, what="签到表")


__all__ = [
    "RegistrationFormData",
    "SigninRow",
    "SummaryRow",
    "write_registration_forms",
    "write_signin_sheet",
    "write_summary_form",
]

