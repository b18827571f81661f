"""Turn raw cell values from an imported sheet into text, ID-number text and dates, or say what to fix.

Excel's number and date habits are undone here, so the rules downstream only ever see str and date.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

from adultschool.errors import AdultSchoolError, Where
from adultschool.textnorm import clean_text, clean_token, to_halfwidth

# '3.30205E+17' / '3.30205199001011e+17': the text Excel shows for an ID it already turned into a number,
# copied or exported as text — the digits are gone just the same.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?e[+-]?\d+", re.IGNORECASE)
_DATE_TEXT = re.compile(r"(\d{4})\s*(?:([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日)")

_LONG_DIGITS = re.compile(r"\d{10,}")
_TEXT_PREFIXES = ("'", "‘", "’", "`", "＇")

_ID_LOST_DIGITS = (
    "Excel 把身份证号码存成了数字，号码的最后几位已经丢失，无法从表格中恢复。"
    "请把这一列的单元格格式设为“文本”，再从原始资料重新输入或粘贴号码"
    "（也可以在号码前加一个英文单引号 '），然后重新导入。"
)


def cell_text(value: object) -> str | None:
    """A cell as the text a clerk sees: cleaned str, '是'/'否', whole numbers without '.0', ISO dates."""
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # 15 significant digits is what Excel itself shows; repr() would print 0.30000000000000004.
        return format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")
    return clean_text(str(value))


def id_text(value: object, where: Where) -> str | None:
    """An ID-number cell as the text typed, outer blanks stripped; a number in the cell is an error."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        # "'330206…": the apostrophe Excel takes as "keep this as text"; in a CSV it arrives as a character.
        if text[:1] in _TEXT_PREFIXES:
            text = text[1:].strip()
        if not text:
            return None
        if _SCIENTIFIC.fullmatch(to_halfwidth(text).replace(" ", "")):
            raise AdultSchoolError(_ID_LOST_DIGITS, where, field="id_number")
        return text
    # bool is an int subclass and would otherwise get the "lost digits" message.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise AdultSchoolError(_ID_LOST_DIGITS, where, field="id_number")
    raise AdultSchoolError(
        "这里应填写身份证号码，单元格里却是日期、时间或逻辑值。请把单元格格式设为“文本”后重新输入号码。",
        where,
        field="id_number",
    )


def _quoted(text: str) -> str:
    # A long digit run may be an ID number pasted into the wrong column; never echo one in full.
    return "内容" if _LONG_DIGITS.search(text) else f"“{text}”"


def date_value(value: object, where: Where) -> date | None:
    """A date cell or a date typed as text (2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日); None if blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = clean_token(value)
        if text is None:
            return None
        match = _DATE_TEXT.fullmatch(text)
        if match is not None:
            year = int(match.group(1))
            month = int(match.group(3) or match.group(5))
            day = int(match.group(4) or match.group(6))
            try:
                return date(year, month, day)
            except ValueError:
                raise AdultSchoolError(
                    f"日期“{text}”不存在（{year}年没有{month}月{day}日）。请核对后重新填写。", where
                ) from None
        raise AdultSchoolError(
            f"{_quoted(text)}不是可识别的日期。请写成 2024-03-01、2024/3/1 或 2024年3月1日 这样的格式。", where
        )
    # A bare number is a date typed into a General cell without a date format (45352) or 20240301;
    # guessing which would be wrong half the time.
    raise AdultSchoolError(
        "这里应是日期，单元格里却是数字或其他内容。请把单元格格式设为“日期”，"
        "或写成 2024-03-01 这样的文字后重新导入。",
        where,
    )
