"""CSV files from the provincial learning site, in whatever encoding Windows wrote them (UTF-8, UTF-8 with BOM, GB18030,
and UTF-16 as Excel's "Unicode text" writes it).

They come back as a `Sheet`, so the same header matching and cell hygiene serve CSV and Excel alike. A file is read
as a stream, never held whole in memory, and refused with a clear message past MAX_ROWS rows or MAX_CELLS cells
(a 190 MB file once took 3.6 GB): far beyond any real roster or record list, and a bound on memory and time.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
from pathlib import Path

from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.jobs import JobContext, NullJob
from adultschool.xlsx.books import read_workbook
from adultschool.xlsx.reading import MAX_CELLS, Sheet

MAX_CSV_BYTES = 200 * 1024 * 1024
# Rows of one CSV file or of one workbook's sheets together: 1,000,000 is about a year of online study records of a
# 10,000-learner school, ten times what a real file holds.
MAX_ROWS = 1_000_000
DELIMITERS = (",", "\t", ";")  # in this order of preference when they split the header equally well
SNIFF_LINES = 10
CHUNK_BYTES = 1024 * 1024
PROGRESS_EVERY_ROWS = 10_000
# Cell values shorter than this are kept once however often they recur (course names, video titles, ID numbers).
SHARED_VALUE_CHARS = 64


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


def _decodes_as(path: str | os.PathLike[str], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(path: str | os.PathLike[str]) -> str:
    """The file's encoding, found by decoding it chunk by chunk (UTF-8 first, as decode_csv_bytes does)."""
    with open(path, "rb") as handle:
        utf16 = _utf16(handle.read(4000))
    candidates = (utf16,) if utf16 else ("utf-8-sig", "gb18030")
    for encoding in candidates:
        if _decodes_as(path, encoding):
            return encoding
    raise AdultSchoolError("CSV 文件的编码无法识别：请在 Excel/WPS 里另存为“CSV UTF-8”或 .xlsx 后再导入。")


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


def _too_many(name: str, what: str) -> AdultSchoolError:
    return AdultSchoolError(
        f"“{name}”{what}，不像正常的名单或记录表，没有导入。请只保留要导入的数据，或分成几个文件（每个不超过 "
        f"{MAX_ROWS // 10_000} 万行）后再导入。")


def read_csv(path: str | os.PathLike[str], *, job: JobContext | None = None) -> Sheet:
    job = job or NullJob()
    name = Path(path).name
    try:
        size = os.path.getsize(path)
        if size > MAX_CSV_BYTES:
            raise AdultSchoolError(f"“{name}”太大（{size // 1024 // 1024} MB），请分成几个文件导入。")
        encoding = _encoding(path)
        with open(path, encoding=encoding, newline="") as text:
            delimiter = _delimiter("".join(itertools.islice(text, SNIFF_LINES)))
            text.seek(0)
            rows = _read_rows(text, delimiter, name, job)
    except FileNotFoundError:
        raise AdultSchoolError(f"找不到文件“{name}”。") from None
    except csv.Error as exc:
        raise AdultSchoolError(f"无法读取“{name}”：CSV 格式有误（{exc}）。") from None
    except OSError as exc:
        raise AdultSchoolError(f"无法读取“{name}”：{os_error_text(exc)}。") from None
    while rows and not rows[-1]:
        rows.pop()
    return Sheet(name=Path(path).stem, rows=rows)


def _read_rows(text: io.TextIOBase, delimiter: str, name: str, job: JobContext) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    shared: dict[str, str] = {}
    cells = 0
    for record in csv.reader(text, csv.excel, delimiter=delimiter):
        cells += 1 + len(record)
        if cells > MAX_CELLS:
            raise _too_many(name, f"单元格太多（超过 {MAX_CELLS // 10_000} 万个）")
        if len(rows) >= MAX_ROWS:
            raise _too_many(name, f"超过 {MAX_ROWS // 10_000} 万行")
        values = [(shared.setdefault(v, v) if len(v) < SHARED_VALUE_CHARS else v) if v.strip() else None
                  for v in record]
        while values and values[-1] is None:
            values.pop()
        rows.append(tuple(values))
        if len(rows) % PROGRESS_EVERY_ROWS == 0:
            job.report(len(rows), None, f"正在读取“{name}”：第 {len(rows)} 行")
            job.check_cancelled()
    return rows


def _rows_with_content(sheets: list[Sheet]) -> int:
    return sum(1 for sheet in sheets for row in sheet.rows if any(cell not in (None, "") for cell in row))


def read_table(path: str | os.PathLike[str], *, job: JobContext | None = None) -> list[Sheet]:
    """A workbook's sheets (.xlsx, .xls, .et, .ods: see `books`), or a .csv file as one sheet; refused past MAX_ROWS
    rows with content (the cells of a workbook are bounded while it is read; a stray cell far below the table
    makes blank rows up to it, which do not count)."""
    if str(path).lower().endswith(".csv"):
        return [read_csv(path, job=job)]
    sheets = read_workbook(path, job=job)
    if sum(len(sheet.rows) for sheet in sheets) > MAX_ROWS and _rows_with_content(sheets) > MAX_ROWS:
        raise _too_many(Path(path).name, f"超过 {MAX_ROWS // 10_000} 万行")
    return sheets
