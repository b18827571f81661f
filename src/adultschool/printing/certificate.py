"""Certificates (毕业证书, R11): one page per graduate, laid out by a JSON template per level.

Positions, sizes and the default wording live in resources/templates/certificate-<level>.json; the issuing body,
the title, the seal text and the wording a district uses come with each certificate (the database's settings), so
one install serves every district. A `Layout` moves and scales the page for one printer (pre-printed stock, 套打)
and can print only the contents, without the frame, title and guides the stock already has.
"""
from __future__ import annotations

import json
import os
import tempfile
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape, portrait
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from adultschool import paths
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.outfiles import PDF_PROGRAMS, atomic_output
from adultschool.printing.fonts import PdfFont, check_printable
from adultschool.printing.qr import draw_qr

PROGRESS_EVERY_PAGES = 50
LEVELS = ("senior", "junior")

# What a template's texts may use, with what each becomes (dates as printed on Chinese certificates).
PLACEHOLDERS = {
    "name": "学员姓名",
    "gender": "性别（男/女）",
    "birth_date": "出生日期，如 1985年3月12日",
    "birth_year": "出生年份",
    "birth_month": "出生月份",
    "birth_day": "出生日",
    "study_from": "学习开始年月，如 2025年3月",
    "study_from_date": "学习开始日期，如 2025年3月1日",
    "study_to": "学习结束年月",
    "study_to_date": "学习结束日期",
    "school": "学校名称",
    "level_label": "层次（模板里的 level_label：高中/初中）",
    "certificate_number": "证书编号",
    "check_code": "查验码",
    "issued_on": "发证日期，如 2026年7月10日",
    "issued_on_chinese": "发证日期的中文写法，如 二〇二六年七月十日",
    "issuer": "发证机关（设置 → 证书里填写的）",
    "skill_certificate": "职业技能证书名称",
}

# Kinsoku: what may not start a line, and what may not end one.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}")
_NO_LINE_END = frozenset("（《「『【〔〈“‘([{")
_CHINESE_DIGITS = "〇一二三四五六七八九"


@dataclass(frozen=True)
class CertificateData:
    """What one certificate says. `issuer` overrides the template's issuing body (R11: city or county)."""

    school_name: str
    learner_name: str
    gender: str
    birth_date: date
    level: str  # "junior" | "senior"
    study_from: date
    study_to: date
    certificate_number: str
    issued_on: date
    check_code: str
    skill_certificate: str | None = None
    reprint: bool = False
    issuer: str | None = None
    title: str | None = None  # replaces the template's title (毕业证书)
    body_text: str | None = None  # replaces the template's wording (placeholders as in PLACEHOLDERS)
    seal_text: str | None = None  # replaces the label in the seal guide (e.g. the issuing body's seal)
    photo_jpeg: bytes | None = None  # the learner's photo, drawn in the template's photo box


@dataclass(frozen=True)
class Layout:
    """How one printer puts the page on paper: measured with the calibration page (`write_calibration_page`).

    Offsets move everything right/up in millimetres; `scale` corrects a printer that shrinks or stretches;
    `text_only` leaves out what pre-printed stock already has (frame, title, guides for photo and seal)."""

    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    scale: float = 1.0
    text_only: bool = False

    def check(self) -> "Layout":
        if not (-50 <= self.offset_x_mm <= 50 and -50 <= self.offset_y_mm <= 50):
            raise AdultSchoolError("套打偏移应在 -50 到 50 毫米之间：请用校准页重新量一次。")
        if not 0.8 <= self.scale <= 1.2:
            raise AdultSchoolError("套打缩放应在 0.8 到 1.2 之间（1 表示不缩放）：请用校准页重新量一次。")
        return self


def qr_payload(cert: CertificateData) -> str:
    """What the certificate's QR code holds: enough to look the certificate up and check it is genuine."""
    return f"ASCERT|{cert.certificate_number}|{cert.check_code}"


def chinese_date(day: date) -> str:
    """二〇二六年七月十日: the way a certificate writes its date of issue."""
    year = "".join(_CHINESE_DIGITS[int(digit)] for digit in str(day.year))
    return f"{year}年{_chinese_number(day.month)}月{_chinese_number(day.day)}日"


def _chinese_number(value: int) -> str:
    tens, ones = divmod(value, 10)
    if tens == 0:
        return _CHINESE_DIGITS[ones]
    return ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十" + (_CHINESE_DIGITS[ones] if ones else "")


# ---------------------------------------------------------------------------------------------- template

_REQUIRED = object()
_PAGE_SIZES = {"A4": A4}


class _TemplateReader:
    """Reads one template's keys by dotted path, filling defaults, and names the file and key on error."""

    def __init__(self, data: dict[str, Any], file: Path):
        self.data = data
        self.file = file

    def fail(self, key: str, problem: str) -> AdultSchoolError:
        return AdultSchoolError(f"证书模板“{self.file.name}”有误：“{key}”{problem}。请改正模板文件（{self.file}）后再打印。")

    def section(self, key: str, *, optional: bool = False) -> dict[str, Any] | None:
        value = self.data.get(key, _REQUIRED)
        if value is _REQUIRED and not optional:
            raise self.fail(key, "缺少")
        if value is _REQUIRED or (value is None and optional):
            self.data[key] = None
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "应当是一个 {…} 对象")
        return value

    def value(self, section: dict[str, Any], key: str, kind: str, default: Any = _REQUIRED,
              choices: Sequence[str] = ()) -> Any:
        name = key.rsplit(".", 1)[-1]
        value = section.get(name, default)
        if value is _REQUIRED:
            raise self.fail(key, "缺少")
        section[name] = value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise self.fail(key, f"应当是一个不小于 0 的数字，现在是 {json.dumps(value, ensure_ascii=False)}")
        elif kind == "bool":
            if not isinstance(value, bool):
                raise self.fail(key, "应当是 true 或 false")
        elif kind == "color":
            if not (isinstance(value, str) and len(value) == 7 and value[0] == "#"
                    and all(c in string.hexdigits for c in value[1:])):
                raise self.fail(key, f"应当是 #RRGGBB 形式的颜色，现在是 {json.dumps(value, ensure_ascii=False)}")
        elif kind in ("text", "label"):
            if not isinstance(value, str):
                raise self.fail(key, "应当是一段文字（用英文双引号括起来）")
            self._check_placeholders(key, value, allowed=kind == "text")
            if choices and value not in choices:
                raise self.fail(key, f"只能是 {'、'.join(choices)} 之一，现在是“{value}”")
        return value

    def _check_placeholders(self, key: str, text: str, *, allowed: bool) -> None:
        try:
            fields = [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(text)
                      if field is not None]
        except ValueError:
            raise self.fail(key, "里的花括号 { } 不成对（要印出花括号本身请写成 {{ 或 }}）") from None
        for field, spec, conversion in fields:
            if not allowed:
                raise self.fail(key, "里不能用占位符")
            if field not in PLACEHOLDERS or spec or conversion:
                known = "、".join("{" + name + "}" for name in PLACEHOLDERS)
                raise self.fail(key, f"里有不认识的占位符“{{{field}{'!' + conversion if conversion else ''}"
                                     f"{':' + spec if spec else ''}}}”，可用的有：{known}")


def template_path(level: str, resources: Path | None = None) -> Path:
    if level not in LEVELS:
        raise AdultSchoolError(f"证书层次“{level}”不对：只能是高中（senior）或初中（junior）。")
    return (resources if resources is not None else paths.resources_dir()) / "templates" / f"certificate-{level}.json"


def load_template(level: str, resources: Path | None = None) -> dict[str, Any]:
    """Read and check resources/templates/certificate-<level>.json; returns it with every default filled in."""
    file = template_path(level, resources)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AdultSchoolError(f"找不到证书模板“{file}”：请重新安装程序，或从别的电脑复制这个文件过来。") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AdultSchoolError(f"证书模板“{file.name}”读不出来（{exc}）：请用记事本另存为 UTF-8 编码后再试。") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AdultSchoolError(
            f"证书模板“{file.name}”不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）："
            "请检查那里的引号、逗号和括号。") from None
    if not isinstance(data, dict):
        raise AdultSchoolError(f"证书模板“{file.name}”应当是一个 {{…}} 对象。")
    _validate(_TemplateReader(data, file))
    return data


def _validate(reader: _TemplateReader) -> None:
    data = reader.data
    reader.value(data, "level_label", "label")
    reader.value(data, "issuer", "label", "")  # the settings' issuer; a template may give a fallback
    page = reader.section("page")
    assert page is not None
    size = reader.value(page, "page.size", "label", "A4", choices=tuple(_PAGE_SIZES))
    orientation = reader.value(page, "page.orientation", "label", "landscape", choices=("landscape", "portrait"))
    width, height = (landscape if orientation == "landscape" else portrait)(_PAGE_SIZES[size])
    colors = reader.section("colors", optional=True)
    if colors is None:
        colors = data["colors"] = {}
    for name, default in (("frame", "#8b1d1d"), ("title", "#8b1d1d"), ("text", "#1f1f1f"), ("guide", "#a0a0a0"),
                          ("reprint", "#c8102e")):
        reader.value(colors, f"colors.{name}", "color", default)

    def position(section: dict[str, Any], prefix: str) -> None:
        x = reader.value(section, f"{prefix}.x_mm", "number")
        y = reader.value(section, f"{prefix}.y_mm", "number")
        if x * mm > width or y * mm > height:
            raise reader.fail(prefix, f"的位置（{x} mm, {y} mm）在纸张外面")

    frame = reader.section("frame", optional=True)
    if frame is None:
        frame = data["frame"] = {}
    reader.value(frame, "frame.draw", "bool", True)
    for key, default in (("outer_inset_mm", 8), ("inner_inset_mm", 11), ("outer_width_pt", 3), ("inner_width_pt", 0.8)):
        reader.value(frame, f"frame.{key}", "number", default)

    title = reader.section("title")
    assert title is not None
    reader.value(title, "title.text", "label")
    reader.value(title, "title.reprint_suffix", "label", "（补发）")
    position(title, "title")
    reader.value(title, "title.size_pt", "number")
    reader.value(title, "title.char_space_pt", "number", 0)

    photo = reader.section("photo", optional=True)
    if photo is not None:
        position(photo, "photo")
        reader.value(photo, "photo.width_mm", "number")
        reader.value(photo, "photo.height_mm", "number")
        reader.value(photo, "photo.label", "label", "照片")

    body = reader.section("body")
    assert body is not None
    reader.value(body, "body.text", "text")
    position(body, "body")
    for key in ("width_mm", "height_mm", "size_pt"):
        reader.value(body, f"body.{key}", "number")
    reader.value(body, "body.min_size_pt", "number", min(body["size_pt"], 10))
    reader.value(body, "body.line_spacing", "number", 1.8)
    reader.value(body, "body.indent_chars", "number", 2)
    reader.value(body, "body.underline_values", "bool", True)
    if body["size_pt"] <= 0 or body["min_size_pt"] <= 0 or body["width_mm"] <= 0:
        raise reader.fail("body", "的字号和宽度应当大于 0")

    skill = reader.section("skill_certificate", optional=True)
    if skill is not None:
        reader.value(skill, "skill_certificate.text", "text")
        reader.value(skill, "skill_certificate.size_pt", "number")

    seal = reader.section("seal", optional=True)
    if seal is not None:
        position(seal, "seal")
        reader.value(seal, "seal.radius_mm", "number")
        reader.value(seal, "seal.label", "label", "盖章")

    lines = data.get("lines", [])
    if not isinstance(lines, list):
        raise reader.fail("lines", "应当是一个 […] 列表")
    for index, line in enumerate(lines):
        prefix = f"lines[{index}]"
        if not isinstance(line, dict):
            raise reader.fail(prefix, "应当是一个 {…} 对象")
        reader.value(line, f"{prefix}.text", "text")
        position(line, prefix)
        reader.value(line, f"{prefix}.size_pt", "number")
        reader.value(line, f"{prefix}.align", "label", "left", choices=("left", "center", "right"))
    data["lines"] = lines

    qr = reader.section("qr")
    assert qr is not None
    position(qr, "qr")
    if reader.value(qr, "qr.size_mm", "number") < 15:
        raise reader.fail("qr.size_mm", "太小：二维码至少要 15 毫米见方，手机才扫得出来")

    mark = reader.section("reprint_mark")
    assert mark is not None
    reader.value(mark, "reprint_mark.text", "label")
    position(mark, "reprint_mark")
    reader.value(mark, "reprint_mark.size_pt", "number")

    data["_page_size"] = (width, height)


def _template_texts(template: dict[str, Any]) -> Iterator[str]:
    """The literal wording a template prints (placeholders left out), to check against the font once."""
    texts = [template["title"]["text"], template["title"]["reprint_suffix"], template["body"]["text"],
             template["reprint_mark"]["text"], *(line["text"] for line in template["lines"])]
    for optional, key in (("photo", "label"), ("seal", "label"), ("skill_certificate", "text")):
        if template.get(optional):
            texts.append(template[optional][key])
    for text in texts:
        yield "".join(literal for literal, *_ in string.Formatter().parse(text))


# ---------------------------------------------------------------------------------------------- layout

class _Widths:
    """Advance widths per character at 1000 pt, cached: a thousand certificates measure the same text."""

    def __init__(self, font: PdfFont):
        self._font = font.name
        self._cache: dict[str, float] = {}

    def units(self, text: str) -> float:
        cache = self._cache
        total = 0.0
        for char in text:
            width = cache.get(char)
            if width is None:
                width = cache[char] = pdfmetrics.stringWidth(char, self._font, 1000)
            total += width
        return total


@dataclass(frozen=True)
class _Token:
    text: str
    units: float
    value: int | None = None  # which filled-in value (its place in the text) this piece belongs to


@dataclass(frozen=True)
class _Line:
    tokens: tuple[_Token, ...]
    justify: bool

    @property
    def text(self) -> str:
        return "".join(token.text for token in self.tokens)


@dataclass(frozen=True)
class _Body:
    lines: tuple[_Line, ...]
    size: float
    leading: float


# A name is never split across lines (nor are the other short codes); other values break like any Chinese
# text, except that a run of digits or Latin letters stays together with its unit (2025年, 9月, K7Q2M9).
_WHOLE_VALUES = frozenset({"name", "gender", "certificate_number", "check_code"})
_PIECES = re.compile(r"[0-9A-Za-z]+[年月日号]?|.", re.DOTALL)


def _tokens(text: str, values: dict[str, str], widths: _Widths) -> list[_Token]:
    tokens = []
    for occurrence, (literal, field, _, _) in enumerate(string.Formatter().parse(text)):
        tokens.extend(_Token(char, widths.units(char)) for char in literal)
        value = values[field] if field is not None else ""
        if not value:
            continue
        if field in _WHOLE_VALUES:
            tokens.append(_Token(value, widths.units(value), occurrence))
        else:
            tokens.extend(_Token(piece, widths.units(piece), occurrence) for piece in _PIECES.findall(value))
    return tokens


def _wrap(tokens: list[_Token], width_units: float, indent_units: float, widths: _Widths) -> list[_Line]:
    """Greedy lines of at most `width_units` (at 1000 pt), first line indented, with Chinese line-break rules."""
    pieces: list[_Token] = []
    for token in tokens:
        if len(token.text) > 1 and token.units > width_units - indent_units:  # cannot stay whole: split it
            pieces.extend(_Token(char, widths.units(char), token.value) for char in token.text)
        else:
            pieces.append(token)
    lines: list[list[_Token]] = []
    current: list[_Token] = []
    used, available = 0.0, width_units - indent_units
    for token in pieces:
        if not current and token.text == " ":
            continue
        if current and used + token.units > available:
            carried: list[_Token] = []
            if token.text[0] in _NO_LINE_START and len(current) > 1:
                carried.insert(0, current.pop())
            while len(current) > 1 and current[-1].text[-1] in _NO_LINE_END:
                carried.insert(0, current.pop())
            lines.append(current)
            current, available = carried, width_units
            used = sum(piece.units for piece in carried)
        current.append(token)
        used += token.units
    if current:
        lines.append(current)
    result = []
    for index, line in enumerate(lines):
        while line and line[-1].text == " ":
            line.pop()
        result.append(_Line(tuple(line), justify=index < len(lines) - 1))
    return result


def _layout_body(template: dict[str, Any], values: dict[str, str], widths: _Widths, who: str) -> _Body:
    """Wrap the body at its template size, shrinking by half points until it (and the skill line) fits."""
    body = template["body"]
    extra_lines = 1 if template["skill_certificate"] and values["skill_certificate"] else 0
    tokens = _tokens(body["text"], values, widths)
    size = float(body["size_pt"])
    while True:
        leading = size * body["line_spacing"]
        width_units = body["width_mm"] * mm * 1000 / size
        lines = _wrap(tokens, width_units, body["indent_chars"] * 1000, widths)
        if (len(lines) - 1 + extra_lines) * leading + size <= body["height_mm"] * mm:
            return _Body(tuple(lines), size, leading)
        if size - 0.5 < body["min_size_pt"]:
            raise AdultSchoolError(
                f"{who}的证书正文太长，按最小字号 {body['min_size_pt']} 磅也排不下：请在证书模板里加大"
                "“body.height_mm”或改小“body.min_size_pt”，或缩短学校名称后再打印。")
        size -= 0.5


# ---------------------------------------------------------------------------------------------- drawing

@dataclass(frozen=True)
class _Page:
    cert: CertificateData
    template: dict[str, Any]
    values: dict[str, str]
    body: _Body
    photo: Path | None = None  # the photo as a .jpg file: reportlab then embeds the JPEG as it is


def check_wording(text: str, what: str) -> str:
    """A certificate wording typed in the settings: placeholders only from PLACEHOLDERS, braces in pairs."""
    try:
        fields = [field for _, field, spec, conversion in string.Formatter().parse(text) if field is not None]
    except ValueError:
        raise AdultSchoolError(f"{what}里的花括号 {{ }} 不成对（要印出花括号本身请写成 {{{{ 或 }}}}）。") from None
    unknown = [f for f in fields if f not in PLACEHOLDERS]
    if unknown:
        known = "、".join("{" + name + "}" for name in PLACEHOLDERS)
        raise AdultSchoolError(f"{what}里有不认识的占位符“{{{unknown[0]}}}”，可用的有：{known}")
    return text


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


def _draw_text(canvas: Canvas, text: str, x: float, y: float, font: str, size: float, align: str = "left",
               char_space: float = 0.0) -> None:
    canvas.setFont(font, size)
    width = pdfmetrics.stringWidth(text, font, size) + max(len(text) - 1, 0) * char_space
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    canvas.drawString(x, y, text, charSpace=char_space)


def _draw_page(canvas: Canvas, page: _Page, font: PdfFont, widths: _Widths, layout: Layout) -> None:
    canvas.saveState()
    canvas.translate(layout.offset_x_mm * mm, layout.offset_y_mm * mm)
    if layout.scale != 1.0:
        canvas.scale(layout.scale, layout.scale)
    _draw_contents(canvas, page, font, widths, layout.text_only)
    canvas.restoreState()


def _draw_contents(canvas: Canvas, page: _Page, font: PdfFont, widths: _Widths, text_only: bool) -> None:
    template, values, cert = page.template, page.values, page.cert
    width, height = template["_page_size"]
    colors = template["colors"]
    text_color = HexColor(colors["text"])
    guide_color = HexColor(colors["guide"])
    name = font.name

    frame = template["frame"]
    if frame["draw"] and not text_only:
        canvas.setStrokeColor(HexColor(colors["frame"]))
        for inset, line_width in ((frame["outer_inset_mm"], frame["outer_width_pt"]),
                                  (frame["inner_inset_mm"], frame["inner_width_pt"])):
            if line_width > 0:
                canvas.setLineWidth(line_width)
                canvas.rect(inset * mm, inset * mm, width - 2 * inset * mm, height - 2 * inset * mm)
        _draw_corners(canvas, frame, width, height)

    # The seal guide goes under the issuer and date: the stamp is pressed over them.
    seal = template["seal"]
    if seal and not text_only:
        canvas.setStrokeColor(guide_color)
        canvas.setLineWidth(0.6)
        canvas.setDash(3, 3)
        canvas.circle(seal["x_mm"] * mm, seal["y_mm"] * mm, seal["radius_mm"] * mm, stroke=1, fill=0)
        canvas.setDash()
        canvas.setFillColor(guide_color)
        _draw_text(canvas, seal["label"], seal["x_mm"] * mm, (seal["y_mm"] + seal["radius_mm"] - 8) * mm, name, 10,
                   "center")

    photo = template["photo"]
    if photo and page.photo is not None:
        canvas.drawImage(str(page.photo), photo["x_mm"] * mm, photo["y_mm"] * mm,
                         photo["width_mm"] * mm, photo["height_mm"] * mm, preserveAspectRatio=True, anchor="c")
    elif photo and not text_only:
        canvas.setStrokeColor(guide_color)
        canvas.setLineWidth(0.6)
        canvas.setDash(3, 3)
        canvas.rect(photo["x_mm"] * mm, photo["y_mm"] * mm, photo["width_mm"] * mm, photo["height_mm"] * mm)
        canvas.setDash()
        canvas.setFillColor(guide_color)
        _draw_text(canvas, photo["label"], (photo["x_mm"] + photo["width_mm"] / 2) * mm,
                   (photo["y_mm"] + photo["height_mm"] / 2) * mm - 4, name, 12, "center")

    if not text_only:
        _draw_title(canvas, template["title"], HexColor(colors["title"]), name, widths, cert.reprint)

    canvas.setFillColor(text_color)
    canvas.setStrokeColor(text_color)
    body = template["body"]
    y = _draw_body(canvas, page.body, body["x_mm"] * mm, body["y_mm"] * mm, body["width_mm"] * mm,
                   body["indent_chars"], body["underline_values"], name)

    skill = template["skill_certificate"]
    if skill and cert.skill_certificate:
        canvas.setFillColor(text_color)
        _draw_text(canvas, skill["text"].format_map(values), body["x_mm"] * mm + body["indent_chars"] * skill["size_pt"],
                   y - page.body.leading, name, skill["size_pt"])

    canvas.setFillColor(text_color)
    for line in template["lines"]:
        _draw_text(canvas, line["text"].format_map(values), line["x_mm"] * mm, line["y_mm"] * mm, name,
                   line["size_pt"], line["align"])

    qr = template["qr"]
    draw_qr(canvas, qr_payload(cert), qr["x_mm"] * mm, qr["y_mm"] * mm, qr["size_mm"] * mm)

    if cert.reprint:
        _draw_reprint_mark(canvas, template["reprint_mark"], HexColor(colors["reprint"]), name)


def _draw_corners(canvas: Canvas, frame: dict[str, Any], width: float, height: float) -> None:
    """Small L-shaped ornaments inside the inner rule's corners: the classic certificate frame."""
    inset = (frame["inner_inset_mm"] + 2.5) * mm
    arm = 9 * mm
    canvas.setLineWidth(1.2)
    for cx, cy, dx, dy in ((inset, inset, 1, 1), (width - inset, inset, -1, 1),
                           (inset, height - inset, 1, -1), (width - inset, height - inset, -1, -1)):
        path = canvas.beginPath()
        path.moveTo(cx + dx * arm, cy)
        path.lineTo(cx, cy)
        path.lineTo(cx, cy + dy * arm)
        canvas.drawPath(path, stroke=1, fill=0)


def _draw_title(canvas: Canvas, title: dict[str, Any], color: Any, font: str, widths: _Widths, reprint: bool) -> None:
    size, char_space = title["size_pt"], title["char_space_pt"]
    text = title["text"]
    suffix = title["reprint_suffix"] if reprint else ""
    suffix_size = size * 0.55
    total = widths.units(text) * size / 1000 + max(len(text) - 1, 0) * char_space
    if suffix:
        total += char_space + widths.units(suffix) * suffix_size / 1000
    canvas.setFillColor(color)
    canvas.setStrokeColor(color)
    canvas.setLineWidth(size / 60)
    out = canvas.beginText(title["x_mm"] * mm - total / 2, title["y_mm"] * mm)
    out.setTextRenderMode(2)  # fill and stroke: a heavier title from a regular-weight face
    out.setFont(font, size)
    out.setCharSpace(char_space)
    out.textOut(text)
    if suffix:
        out.setCharSpace(0)
        out.setFont(font, suffix_size)
        out.textOut(suffix)
    out.setTextRenderMode(0)
    canvas.drawText(out)


def _draw_body(canvas: Canvas, body: _Body, x: float, top: float, width: float, indent_chars: float,
               underline_values: bool, font: str) -> float:
    """Draw the wrapped paragraph, justified; returns the last baseline."""
    size, leading = body.size, body.leading
    canvas.setFont(font, size)
    canvas.setLineWidth(0.5)
    y = top
    for number, line in enumerate(body.lines):
        left = x + (indent_chars * size if number == 0 else 0)
        text = line.text
        natural = sum(token.units for token in line.tokens) * size / 1000
        char_space = 0.0
        if line.justify and len(text) > 1:
            char_space = (x + width - left - natural) / (len(text) - 1)
            if not 0 < char_space < size * 0.5:  # an odd short line: leave it ragged rather than gappy
                char_space = 0.0
        canvas.drawString(left, y, text, charSpace=char_space)
        if underline_values:
            offset_units, offset_chars = 0.0, 0
            run_start: float | None = None
            run_value: int | None = None
            for token in (*line.tokens, _Token("", 0.0)):
                here = left + offset_units * size / 1000 + offset_chars * char_space
                if token.value != run_value:
                    if run_start is not None:  # close the underline under the previous value
                        end = here - char_space
                        canvas.line(run_start - 1.5, y - size * 0.2, end + 1.5, y - size * 0.2)
                    run_start = here if token.value is not None else None
                    run_value = token.value
                offset_units += token.units
                offset_chars += len(token.text)
        y -= leading
    return y + leading


def _draw_reprint_mark(canvas: Canvas, mark: dict[str, Any], color: Any, font: str) -> None:
    size = mark["size_pt"]
    text = mark["text"]
    char_space = size * 0.2
    text_width = pdfmetrics.stringWidth(text, font, size) + (len(text) - 1) * char_space
    cx, cy = mark["x_mm"] * mm, mark["y_mm"] * mm
    box_width, box_height = text_width + size * 0.9, size * 1.55
    canvas.setStrokeColor(color)
    canvas.setFillColor(color)
    canvas.setLineWidth(2)
    canvas.roundRect(cx - box_width / 2, cy - box_height / 2, box_width, box_height, size * 0.12)
    canvas.setLineWidth(0.7)
    gap = size * 0.12
    canvas.roundRect(cx - box_width / 2 + gap, cy - box_height / 2 + gap, box_width - 2 * gap, box_height - 2 * gap,
                     size * 0.08)
    _draw_text(canvas, text, cx, cy - size * 0.36, font, size, "center", char_space)


# ---------------------------------------------------------------------------------------------- writing

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
    for level, template in templates.items():
        check_printable(font, ((f"证书模板“certificate-{level}.json”的文字", text) for text in _template_texts(template)))

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

