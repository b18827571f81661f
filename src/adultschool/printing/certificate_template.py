"""Certificate templates: resources/templates/certificate-<level>.json read, defaults filled in and every key checked
(naming the file and key on error), the placeholders a template's texts may use, and the check of a wording typed in
the settings."""
from __future__ import annotations

import json
import string
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, landscape, portrait
from reportlab.lib.units import mm

from adultschool import paths
from adultschool.errors import AdultSchoolError


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
    for key, default_number in (("outer_inset_mm", 8), ("inner_inset_mm", 11), ("outer_width_pt", 3),
                                ("inner_width_pt", 0.8)):
        reader.value(frame, f"frame.{key}", "number", default_number)

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
