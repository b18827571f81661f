"""Clean what a clerk typed with a Chinese IME: full-width characters, stray blanks, names, phones.

Every text field goes through here before it is validated or stored; nothing else rewrites input.
"""
from __future__ import annotations

import re

from adultschool.errors import AdultSchoolError

# Full-width ASCII block (！ … ～) sits exactly 0xFEE0 above ASCII; U+3000 is the IME's space.
# Deliberately not NFKC: it would also fold CJK compatibility ideographs that appear in names.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: ord(" ")}
# In free text only digits, Latin letters and the space are IME accidents; full-width punctuation
# （）、：is what Chinese text is written with, and stays as typed.
_TEXT_HALFWIDTH = {
    code: code - 0xFEE0
    for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
} | {0x3000: ord(" ")}

# Invisible characters pasted from web pages and Word; str.split() does not treat them as blanks.
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff]")

# Han ideographs in every block a name can use, incl. the astral extensions (planes 2 and 3)
# and 〇/々; a space next to one of these is an IME slip, a space between Latin words is not.
_CJK = (
    "[\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]"
)
_SPACE_BY_CJK = re.compile(f" (?={_CJK})|(?<={_CJK}) ")


def to_halfwidth(text: str) -> str:
    """Turn full-width ASCII (U+FF01–U+FF5E) and the ideographic space into plain ASCII."""
    return text.translate(_HALFWIDTH)


# Anything clean_text would change: blanks at the ends, blanks other than one plain space, zero-width
# characters, full-width digits and letters. Most cells have none, and one regex search is far cheaper.
_NEEDS_CLEANING = re.compile(r"^\s|\s$|[^\S ]|  |[\u200b\u2060\ufeff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def clean_text(value: str | None) -> str | None:
    """Half-width digits and letters, trimmed, inner blanks collapsed to one space; None when nothing is left."""
    if value is None:
        return None
    if not _NEEDS_CLEANING.search(value):
        return value or None
    text = " ".join(_ZERO_WIDTH.sub("", value.translate(_TEXT_HALFWIDTH)).split())
    return text or None


def clean_token(value: str | None) -> str | None:
    """For text parsed into a number, date, time, code or header key: all full-width ASCII (．－：（）too) to
    ASCII, then clean_text. Free text that is stored goes through clean_text and keeps its punctuation."""
    return None if value is None else clean_text(to_halfwidth(value))


def clean_name(value: str | None) -> str | None:
    """clean_text, then drop blanks next to Han characters ('张 三' → '张三'; 'John Smith' stays)."""
    text = clean_text(value)
    if text is None:
        return None
    return _SPACE_BY_CJK.sub("", text)


# --- phones -------------------------------------------------------------------------------------

_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})", re.ASCII)
_MOBILE_WRONG_LENGTH = re.compile(r"1\d{9}|1\d{11}", re.ASCII)
_LOCAL_WITHOUT_AREA = re.compile(r"[2-9]\d{6,7}", re.ASCII)
# Separators clerks put inside a number: dashes of every width, parentheses round the area code.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212()+]")
_EXTENSION = re.compile(
    r"(.*?)(?:转|分机|ext\.?|[\-\u2010-\u2015\u2212])(\d{1,6})", re.IGNORECASE | re.ASCII
)
_PHONE_EXAMPLE = "0574-86123456"


def normalise_phone(value: str | None) -> str | None:
    """A mainland mobile as 11 digits, or a landline as '0574-86123456[-801]'; None when empty.

    Raises AdultSchoolError(field="phone") with a fix hint for anything else.
    """
    shown = clean_token(value)
    if shown is not None and shown[:1] in ("'", "‘", "’", "`"):  # Excel's text prefix, arrived in a CSV
        shown = clean_token(shown[1:])
    if shown is None:
        return None
    compact = shown.replace(" ", "")
    digits = _SEPARATORS.sub("", compact)
    if mobile := _MOBILE.fullmatch(digits):
        return mobile.group(1)
    # Read as one number first, so that '0574-8612-3456' is not taken for an extension '3456'.
    readings: list[tuple[str, str | None]] = [(digits, None)]
    if with_extension := _EXTENSION.fullmatch(compact):
        readings.append((_SEPARATORS.sub("", with_extension.group(1)), with_extension.group(2)))
    for number, extension in readings:
        if landline := _landline(number):
            return f"{landline}-{extension}" if extension else landline
    raise _explain(readings, shown)


def _landline(digits: str) -> str | None:
    """'0574-86123456' from '057486123456'; None unless it is a landline with area code."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) < 10 or digits[0] != "0":
        return None
    # Area codes: 010 and 020–029 have three digits, all others (0571, 0574 …) have four;
    # '00' starts an international number, not an area code.
    area_length = 3 if digits[1] in "12" else 4
    area, local = digits[:area_length], digits[area_length:]
    if area[1] == "0" or not 7 <= len(local) <= 8:
        return None
    return f"{area}-{local}"


def _explain(readings: list[tuple[str, str | None]], shown: str) -> AdultSchoolError:
    """The most specific message for a phone that did not parse."""
    digits = readings[0][0]
    if _MOBILE_WRONG_LENGTH.fullmatch(digits):
        return AdultSchoolError(
            f"手机号码“{shown}”有 {len(digits)} 位数字：手机号码应为11位，请向本人核对后重新填写。",
            field="phone",
        )
    for number, _extension in readings:
        if _LOCAL_WITHOUT_AREA.fullmatch(number):
            return AdultSchoolError(
                f"固定电话“{shown}”缺少区号：请在号码前加上区号，如 {_PHONE_EXAMPLE}。",
                field="phone",
            )
    return AdultSchoolError(
        f"联系电话“{shown}”无法识别：请填写11位手机号码，或带区号的固定电话（如 {_PHONE_EXAMPLE}）。",
        field="phone",
    )
