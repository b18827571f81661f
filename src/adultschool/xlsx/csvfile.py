"""CSV files from the provincial learning site, in whatever encoding Windows wrote them (UTF-8, UTF-8 with BOM, GB18030).

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
from adultschool.xlsx.reading import Sheet, read_sheets

MAX_CSV_BYTES = 200 * 1024 * 1024
DELIMITERS = (",", "\t", ";")  # in this order of preference when they split the header equally well
SNIFF_LINES = 10


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes cleanly, else GB18030 (a superset of GBK and GB2312)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise AdultSchoolError("CSV 文件的编码无法识别：请在 Excel/WPS 里另存为“CSV UTF-8”或 .xlsx 后再导入。") from None


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
    """An .xlsx workbook's sheets, or a .csv file as one sheet."""
    if str(path).lower().endswith(".csv"):
        return [read_csv(path)]
    return read_sheets(path, job=job)
