"""CSV files from the provincial learning site, in whatever encoding Windows wrote them (UTF-8, UTF-8 with BOM, GB18030,
and UTF-16 as Excel's "Unicode text" writes it).

They come back as a `Sheet`, so the same header matching and cell hygiene serve CSV and Excel alike.
"""
from __future__ import annotations

import csv
import io
import itertools
import os
from pathlib import Path

from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext
from adultschool.xlsx.books import read_workbook
from adultschool.xlsx.reading import Sheet

MAX_CSV_BYTES = 200 * 1024 * 1024
DELIMITERS = (",", "\t", ";")  # in this order of preference when they split the header equally well
SNIFF_LINES = 10


def decode_csv_bytes(data: bytes) -> str:
    """UTF-16 when it starts with a byte-order mark (or is mostly zero bytes every other byte), UTF-8 (with or without
    BOM) when it decodes cleanly, else GB18030 (a superset of GBK and GB2312)."""
    if utf16 := _utf16(data):
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            raise AdultSchoolError("CSV 文件的编码无法识别：请在 Excel/WPS 里另存为“CSV UTF-8”或 .xlsx 后再导入。") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise AdultSchoolError("CSV 文件的编码无法识别：请在 Excel/WPS 里另存为“CSV UTF-8”或 .xlsx 后再导入。") from None


def _utf16(data: bytes) -> str | None:
    """'utf-16' (a BOM says which end first), 'utf-16-le'/'utf-16-be' for BOM-less text whose every other byte is zero."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = data[:4000]
    if len(sample) >= 4 and len(sample) % 2 == 0:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) * 0.3 and even == 0:
            return "utf-16-le"
        if even > len(sample) * 0.3 and odd == 0:
            return "utf-16-be"
    return None


def _delimiter(text: str) -> str:
    """The delimiter of the header: in the first line (of SNIFF_LINES) that one of DELIMITERS splits, the one that
    splits it into most fields. Data rows do not vote: their free text is full of commas and semicolons."""
    # Quoting is always Excel's (a quote inside a quoted field doubled), as Excel, WPS and web exports write it.
    # csv.Sniffer is not used: it guesses from quotes first, reading "第1讲 ""安全""" as 第1讲 "安全""" and taking
    # a ';' inside a quoted field for the delimiter.
    for line in itertools.islice(io.StringIO(text, newline=""), SNIFF_LINES):
        fields = {}
        for delimiter in DELIMITERS:
            try:
                fields[delimiter] = max((len(record) for record in csv.reader([line], delimiter=delimiter)), default=0)
            except csv.Error:
                fields[delimiter] = 0
        best = max(DELIMITERS, key=fields.__getitem__)  # the first of equals: ',' before tab before ';'
        if fields[best] > 1:
            return best
    return ","


def read_csv(path: str | os.PathLike[str]) -> Sheet:
    name = Path(path).name
    try:
        size = os.path.getsize(path)
        if size > MAX_CSV_BYTES:
            raise AdultSchoolError(f"“{name}”太大（{size // 1024 // 1024} MB），请分成几个文件导入。")
        with open(path, "rb") as f:
            text = decode_csv_bytes(f.read())
    except FileNotFoundError:
        raise AdultSchoolError(f"找不到文件“{name}”。") from None
    except OSError as exc:
        raise AdultSchoolError(f"无法读取“{name}”：{exc.strerror or exc}。") from None
    rows = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text)):
            cells = tuple(value if value.strip() else None for value in record)
            while cells and cells[-1] is None:
                cells = cells[:-1]
            rows.append(cells)
    except csv.Error as exc:
        raise AdultSchoolError(f"无法读取“{name}”：CSV 格式有误（{exc}）。") from None
    while rows and not rows[-1]:
        rows.pop()
    return Sheet(name=Path(path).stem, rows=rows)


def read_table(path: str | os.PathLike[str], *, job: JobContext | None = None) -> list[Sheet]:
    """A workbook's sheets (.xlsx, .xls, .et, .ods: see `books`), or a .csv file as one sheet."""
    if str(path).lower().endswith(".csv"):
        return [read_csv(path)]
    return read_workbook(path, job=job)
