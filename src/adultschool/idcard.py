"""Resident ID numbers (GB 11643-1999): normalise, validate with a fix hint, birth date, gender.

Also the numbers of the cards that stand in for one (港澳台居民居住证 81/82/83; 外国人永久居留身份证 of 2023, "9"
and the same 18-character layout; and of 2017, 15 characters — see `_parse_foreign_2017`), and the masking every
screen, log and message uses, since ID numbers are sensitive under PIPL.
"""
from __future__ import annotations

import functools

import re
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.textnorm import to_halfwidth

PROVINCE_CODES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门", "83": "台湾居民居住证",
}  # fmt: skip

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
_FIELD = "id_number"
_DIGITS = "0123456789"
_BLANKS = re.compile(r"[\s\u200b\u2060\ufeff]+")
# What Excel shows for a long number in a General cell: 3.30205199001011E+17 or 330205199001011000.0
_EXCEL_NUMBER = re.compile(r"\d+(?:\.\d+)?E\+?\d+|\d+\.\d*", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class ResidentId:
    """A resident ID number that passed every check, with what it says about the person."""

    number: str
    birth_date: date
    gender: str  # 'male' | 'female'
    province: str
    warnings: tuple[str, ...] = ()
    kind: str = "resident"  # 'resident' | 'hmt_permit' (港澳台居民居住证, 81/82/83) | 'foreign_permanent' (外国人永久居留身份证)

    def __repr__(self) -> str:
        # Keep the full number out of logs and test output (PIPL).
        return (
            f"ResidentId(number={mask(self.number)!r}, birth_date={self.birth_date!r}, "
            f"gender={self.gender!r}, province={self.province!r}, warnings={self.warnings!r})"
        )


def normalise(text: str) -> str:
    """Half-width, every blank removed (also inside), 'x' → 'X'; other characters are kept."""
    if len(text) == 18 and text.isascii() and text.isalnum():  # as most cells hold it: nothing to undo
        return text if text[17] != "x" else text[:17] + "X"
    return _BLANKS.sub("", to_halfwidth(text)).replace("x", "X")


def parse(text: str | None, *, today: date | None = None) -> ResidentId:
    """Validate an 18-character ID number (or a 2017 外国人永久居留身份证 number of 15); AdultSchoolError(field="id_number")
    says how to fix it.

    Only the province is checked against a table: digits 1–6 are the county where the number was
    issued, which may be younger than the person or abolished since (DOMAIN.md), so an unknown
    county is only a warning.
    """
    number = normalise(text or "")
    if not number:
        _fail("身份证号码为空：请填写18位身份证号码。")
    converted: tuple[str, ...] = ()
    if len(number) == 15 and number.isascii() and number.isdigit():
        number = upgrade_15(number)
        converted = (f"这是旧的15位身份证号码，已按国家标准（GB 11643）换算为18位号码 {mask(number)}"
                     "（出生年份前加“19”，末位补校验码）：请与本人的第二代身份证核对。",)
    if len(number) == 15 and number.isascii() and number[:3].isalpha():
        return _parse_foreign_2017(number.upper(), today or clock.today())
    if _EXCEL_NUMBER.fullmatch(number):
        # The digits Excel dropped cannot be recovered: report, never guess.
        _fail(
            "身份证号码被 Excel 当成了数字（如 3.3E+17），后几位已经丢失，无法还原："
            "请把该列设为“文本”格式，再对照身份证重新输入完整的18位号码。"
        )
    if len(number) != 18:
        _fail(f"身份证号码应为18位，现在有 {len(number)} 个字符：请对照身份证逐位核对，看是否多打或漏打。")
    for position, char in ([] if number[:17].isascii() and number[:17].isdigit() else enumerate(number[:17], start=1)):
        if char not in _DIGITS:
            _fail(
                f"身份证号码第 {position} 位是“{char}”：前17位只能是数字，请对照身份证核对。"
            )
    if number[17] not in _DIGITS + "X":
        _fail(f"身份证号码最后一位是“{number[17]}”：只能是数字或 X，请对照身份证核对。")
    # The 2023 外国人永久居留身份证 has the same 18-character layout: "9", the issuing province, a nationality code,
    # birth date, sequence (odd = male) and the MOD 11-2 check. Whether one may register is the rules' to say.
    foreign = number[0] == "9"
    province_code = number[1:3] if foreign else number[:2]
    if province_code not in PROVINCE_CODES or (foreign and province_code in ("71", "81", "82", "83")):
        if foreign:
            _fail(f"身份证号码前两位“{number[:2]}”不是省、自治区、直辖市的代码；如果这是外国人永久居留身份证"
                  f"（以9开头），第2–3位“{province_code}”也不是签发省份的代码：请对照证件核对。")
        _fail(f"身份证号码前两位“{province_code}”不是省、自治区、直辖市的代码：请对照身份证核对前两位。")
    try:
        # Digits 7-14 (the same reading as stdnum's get_birth_date, without its generic clean-up per call).
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        _fail(f"身份证号码第7–14位“{number[6:14]}”不是真实的出生日期（年月日）：请对照身份证核对。")
    today = today or clock.today()
    if birth_date > today:
        _fail(f"身份证号码中的出生日期 {birth_date:%Y年%m月%d日} 晚于今天：请对照身份证核对第7–14位。")
    if birth_date < EARLIEST_BIRTH_DATE:
        _fail(f"身份证号码中的出生日期 {birth_date:%Y年%m月%d日} 早于1900年：请对照身份证核对第7–14位。")
    # ISO 7064 MOD 11-2 catches every single mistyped digit and most swapped neighbours; naming the
    # "right" check character would invite fixing the wrong position.
    from stdnum.cn import ric  # at first use: stdnum's package imports pydoc and ssl, ~30 ms of every start-up

    if number[17] != ric.calc_check_digit(number):
        _fail("身份证号码校验不通过，说明其中某一位打错了（或相邻两位顺序颠倒）：请对照身份证逐位核对。")
    kind = "foreign_permanent" if foreign else "hmt_permit" if province_code in ("81", "82", "83") else "resident"
    return ResidentId(
        number=number,
        birth_date=birth_date,
        gender="male" if int(number[16]) % 2 else "female",
        province=PROVINCE_CODES[province_code],
        warnings=converted + (() if foreign else _county_warnings(number[:6])),
        kind=kind,
    )


# The 2017 card's number as the one public description found lays it out (github.com/howardli/CredentialKit,
# ForeignerPermanentResidenceIdNumberProcessor): ISO 3166-1 alpha-3 nationality (1–3), the acceptance place's
# province and city code (4–7), birth date YYMMDD (8–13), a digit that gives the sex (14, read here as in resident
# numbers: odd for men), and a check digit (15) by the ICAO 9303 weights 7-3-1 over the first 14 characters
# (A=10 … Z=35), modulo 10. The National Immigration Administration's 2023 rules for the new card (新版外国人永久居留
# 身份证机读信息规则, as reader vendors publish them, e.g. eastcoms.com) confirm only "3 位拉丁字母 + 12 位数字". So the
# check digit only warns (a card the description got wrong must still register); structure, province and date refuse.
_ICAO_WEIGHTS = (7, 3, 1)


def foreign_2017_check_digit(first_14: str) -> str:
    """The check digit the public description gives for a 2017 外国人永久居留身份证 number (see above)."""
    total = sum((int(c) if c.isdigit() else ord(c) - ord("A") + 10) * _ICAO_WEIGHTS[i % 3]
                for i, c in enumerate(first_14))
    return str(total % 10)


def _parse_foreign_2017(number: str, today: date) -> ResidentId:
    digits = number[3:]  # the three letters are not checked against ISO 3166-1: a code list is not kept here
    if not (digits.isascii() and digits.isdigit()):
        _fail("外国人永久居留身份证（2017版）号码应为3个英文字母（国籍代码）加12位数字："
              "请对照证件核对。")
    province_code = digits[:2]
    if province_code not in PROVINCE_CODES or province_code in ("71", "81", "82", "83"):
        _fail(f"外国人永久居留身份证号码第4–5位“{province_code}”不是受理地省份的代码：请对照证件核对。")
    yy, month, day = int(digits[4:6]), int(digits[6:8]), int(digits[8:10])
    try:
        # Two-digit year: this century unless that is still to come (a learner over 100 reads as a baby — the clerk
        # sees the birth date before saving).
        birth_date = date(2000 + yy, month, day)
        if birth_date > today:
            birth_date = date(1900 + yy, month, day)
    except ValueError:
        _fail(f"外国人永久居留身份证号码第8–13位“{digits[4:10]}”不是真实的出生日期（年月日）：请对照证件核对。")
    warnings: tuple[str, ...] = ()
    if number[14] != foreign_2017_check_digit(number[:14]):
        warnings = ("外国人永久居留身份证号码的末位与公开资料中的校验方法不符：请对照证件逐位核对"
                    "（该校验方法未经官方确认，号码照常接受）。",)
    return ResidentId(number=number, birth_date=birth_date, gender="male" if int(number[13]) % 2 else "female",
                      province=PROVINCE_CODES[province_code], warnings=warnings, kind="foreign_permanent")


def upgrade_15(number: str) -> str:
    """GB 11643-1999: an old 15-digit number (birth year in two digits, all born in the 1900s) in its 18-digit form:
    '19' before the year, and the MOD 11-2 check character after the sequence number."""
    from stdnum.cn import ric  # at first use, as in parse()

    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 characters


def is_valid(text: str | None) -> bool:
    """True when parse() accepts the text."""
    try:
        parse(text)
    except AdultSchoolError:
        return False
    return True


def age_on(birth_date: date, day: date) -> int:
    """Full years on `day`; born on 29 February means a year older on 1 March in common years."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# A full resident ID number inside free text: 6 digits (county), 8 (birth date), 3 and a check character.
_FULL_ID_IN_TEXT = re.compile(r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")


def mask_in_text(text: str) -> str:
    """Masks every full resident ID number in free text (tracebacks, log lines, SQL errors): PIPL, see DOMAIN.md."""
    return _FULL_ID_IN_TEXT.sub(lambda m: m.group(1) + "********" + m.group(2), text)


_ANONYMISED = re.compile(r"\d{6}#\d{7}[\dX*]{4}")


def anonymised(first_six: str, record_number: int, last_four: str) -> str:
    """The ID number of a record anonymised under PIPL: masked as any other (first 6, last 4), unique by the record's
    own number in the middle, and never a valid resident ID (the '#')."""
    return first_six + "#" + f"{record_number:07d}"[-7:] + last_four


def is_anonymised(number: str) -> bool:
    return bool(_ANONYMISED.fullmatch(number))


def mask(number: str) -> str:
    """'330205********123X' for 18 characters; anything else shows only 2 characters at each end.

    Too short to hide more than it shows (under 8 characters): everything is masked.
    """
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[14:]
    if len(number) < 8:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


@functools.lru_cache(maxsize=8192)  # stdnum's table lookup costs ~0.2 ms; a roster repeats a few counties
def _county_warnings(county_code: str) -> tuple[str, ...]:
    """A warning when stdnum's county list knows the province but never had this county code."""
    from stdnum import numdb

    found = dict(numdb.get("cn/loc").info(county_code))
    province_known = county_code[:2] in found
    county_known = bool(found.get(county_code[2:]))
    if province_known and not county_known:
        return (
            f"身份证号码前6位“{county_code}”不在已知的县级行政区代码中：号码校验通过，可以保存，"
            "如有疑问请对照身份证核对。",
        )
    return ()


def _fail(message: str) -> NoReturn:
    raise AdultSchoolError(message, field=_FIELD)
