"""Small factories for tests: valid ID numbers, birth dates of a given age, roster workbooks as townships send them."""
from __future__ import annotations

import io
import os
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Sequence

import openpyxl
from PIL import Image
from stdnum.cn import ric

SCHOOL_CODE = "330206-01"
R13_HEADERS = ["序号", "姓名", "性别", "文化程度", "身份证号码", "工作单位或家庭地址", "联系电话", "学历提升层次（初中/高中）"]


def make_id(birth: date, *, male: bool = True, county: str = "330206", serial: int = 12) -> str:
    """A valid 18-character resident ID number for the birth date and gender."""
    sequence = (serial * 2 + (1 if male else 0)) % 1000  # digit 17: odd = male, even = female
    body = f"{county}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def born_years_before(day: date, years: int, *, days_after: int = 0) -> date:
    """The birth date that makes someone exactly `years` old on `day` (plus `days_after` days younger)."""
    birthday = day.replace(year=day.year - years)
    return birthday + timedelta(days=days_after)


def write_roster(path: Path, rows: Sequence[Sequence[object]], *, headers: Sequence[str] = R13_HEADERS,
                 unit: str | None = "大碶街道成人文化技术学校", title: str | None = "成人“双证制”学历提升报名汇总表",
                 id_as_text: bool = True) -> Path:
    """An R13-style workbook as townships send it: title row, '单位：' line, header, data."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "报名汇总表"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    if unit:
        ws.append([f"单位：{unit}"])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    if id_as_text and "身份证号码" in headers:
        column = list(headers).index("身份证号码") + 1
        for cells in ws.iter_rows(min_col=column, max_col=column):
            cells[0].number_format = "@"
    wb.save(path)
    return path


def r13_row(number: int, name: str, id_number: object, level: str = "高中", *, gender: str = "男",
            phone: object = "13857412345", education: str = "初中", address: str = "宁波富邦精业铝业有限公司") -> list:
    return [number, name, gender, education, id_number, address, phone, level]


def jpeg(size: tuple[int, int] = (600, 800), colour: tuple[int, int, int] = (180, 40, 40)) -> bytes:
    """A plain JPEG as a camera or a scanner would give it: a learner's ID photo for the tests."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def password_in(text: str) -> str:
    """The password a protected export shows once ('文件已加密，打开密码：K7PM-Q4XD-9WTA')."""
    import re

    found = re.search(r"打开密码：([A-Z0-9-]+)", text)
    assert found, text
    return found.group(1)


def open_protected(path: Path, password: str) -> openpyxl.Workbook:
    """A password-protected workbook as Excel opens it: decrypted with msoffcrypto, then read."""
    import msoffcrypto

    with open(path, "rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        assert office.is_encrypted()
        office.load_key(password=password)
        plain = io.BytesIO()
        office.decrypt(plain)
    return openpyxl.load_workbook(plain)


def copy_migrated(template: Path, target: Path) -> Path:
    """`target` as a new owner-only copy of conftest's `migrated_template`: what open_database(create=True) makes."""
    shutil.copyfile(template, target)
    os.chmod(target, 0o600)
    return target
