"""Read every worksheet of an .xlsx from outside into plain rows of values, safely.

Owns the checks a foreign file must pass before openpyxl parses it, and the one error a broken file gives.
"""
from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.jobs import JobContext, NullJob

MAX_MEMBERS = 10_000
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
# Real workbooks compress 5–20:1 (measured: 50,000 repeated rows give 15:1). Below this size a high
# ratio cannot hurt, and tiny binary parts (printer settings are mostly zeros) would give false alarms.
RATIO_CHECK_FROM_BYTES = 1024 * 1024
# Rows (each counts 1) plus cells as openpyxl hands them over, empty ones included: a few KB of XML can put a cell in
# column XFD of every row (16,384 values a row) or a row 1,048,576 on each of many sheets. 10 million is roughly a
# full 1,048,576-row sheet of 9 columns, far beyond any roster or record list, and bounds memory and time.
MAX_CELLS = 10_000_000
PROGRESS_EVERY_ROWS = 1000

# An old .xls, a WPS .et and a password-protected .xlsx are all OLE2 compound files.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK"

# What openpyxl and the stdlib raise on a damaged or hostile package. XML ParseError is a SyntaxError;
# defusedxml's refusals are ValueErrors; an unsupported zip method is a NotImplementedError (RuntimeError).
# read_sheets adds openpyxl's InvalidFileException and defusedxml's DefusedXmlException: openpyxl is imported when a
# workbook is read, not with this module.
_BROKEN_WORKBOOK_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    LookupError,
    ValueError,
    TypeError,
    AttributeError,
    ArithmeticError,
    RuntimeError,
    SyntaxError,
)


@dataclass
class Sheet:
    """One worksheet: rows[0] is sheet row 1; rows may be ragged; trailing empty rows are dropped.

    `merged` lists the merged ranges as (first row, first column, last row, last column), 1-based: the value stands
    in the first cell only, as Excel stores it; what a range means for an import is the import's to say."""

    name: str
    rows: list[tuple[object, ...]]
    merged: tuple[tuple[int, int, int, int], ...] = ()


def _display_name(path: str | os.PathLike[str]) -> str:
    return Path(path).name


def _not_readable(path: str | os.PathLike[str], detail: str) -> AdultSchoolError:
    return AdultSchoolError(f"无法读取“{_display_name(path)}”：{detail}")


def check_zip_safety(path: str | os.PathLike[str]) -> None:
    """Refuse anything that is not a plausible .xlsx package before openpyxl parses a byte of it."""
    name = _display_name(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(8)
    except FileNotFoundError:
        raise AdultSchoolError(f"找不到文件“{name}”：请确认文件还在原来的位置。") from None
    except PermissionError:
        raise AdultSchoolError(
            f"无法打开“{name}”：没有读取权限，或文件正被其他程序独占。请关闭后重试。"
        ) from None
    except OSError as exc:
        raise _not_readable(path, f"打开文件时出错（{os_error_text(exc)}）。") from exc

    if magic.startswith(_OLE2_MAGIC):
        raise AdultSchoolError(
            f"“{name}”是旧版 Excel（.xls）或 WPS（.et）格式，或设置了打开密码：本软件只能读取 .xlsx。"
            "请用 Excel 或 WPS 打开它（如有密码先取消密码），点“文件 → 另存为”，"
            "保存类型选“Excel 工作簿（*.xlsx）”，再导入新文件。"
        )
    if not magic.startswith(_ZIP_MAGIC):
        raise AdultSchoolError(
            f"“{name}”不是 Excel 工作簿（.xlsx）：请确认选对了文件；如果是 CSV 或其他表格，"
            "请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（*.xlsx）。"
        )

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    # A damaged header can claim a zip version or feature zipfile lacks: NotImplementedError, a RuntimeError.
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise _not_readable(path, "文件已损坏或不完整（可能没有下载或复制完）。请重新获取原文件。") from exc

    if len(members) > MAX_MEMBERS:
        raise _not_readable(
            path, f"文件内部包含 {len(members)} 个部件，超过上限 {MAX_MEMBERS}，不像正常的 Excel 工作簿。"
        )
    # Sizes are the declared ones from the central directory; zipfile never inflates a member past its
    # declared size, so checking the declarations bounds what openpyxl can be made to decompress.
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _not_readable(
            path,
            f"解压后有 {total // (1024 * 1024)} MB，超过上限 {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB。"
            "请删除多余的工作表、图片或空白格式后再导入。",
        )
    # The package as a whole is held to the ratio too: many parts, each just under RATIO_CHECK_FROM_BYTES, inflate
    # just as far together (300 sheets of 1 MB from a 70 KB file).
    packed = sum(member.compress_size for member in members)
    for size, compressed in [(member.file_size, member.compress_size) for member in members] + [(total, packed)]:
        if size < RATIO_CHECK_FROM_BYTES:
            continue
        if compressed == 0 or size / compressed > MAX_COMPRESSION_RATIO:
            raise _not_readable(
                path,
                "文件内部的数据压缩比异常（可能是恶意构造的“压缩炸弹”），为安全起见拒绝打开。"
                "请向发来文件的人索取正常导出的 .xlsx 文件。",
            )


def read_sheets(path: str | os.PathLike[str], *, job: JobContext | None = None) -> list[Sheet]:
    """Every worksheet's cell values (cached results, not formulas), in workbook order."""
    import openpyxl
    from defusedxml import DefusedXmlException
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (*_BROKEN_WORKBOOK_ERRORS, InvalidFileException, DefusedXmlException)
    job = job or NullJob()
    check_zip_safety(path)
    sheets: list[Sheet] = []
    done = 0
    cells_seen = 0
    try:
        # A file object, not the path: openpyxl refuses a path whose extension is not .xlsx
        # ('名单.xlsx(1)' from a chat download), and the handle is closed even if openpyxl fails.
        with open(path, "rb") as handle:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                for worksheet in workbook.worksheets:
                    # Files from web systems and WPS often declare a wrong <dimension>; without the
                    # reset, read-only mode cuts rows or columns off silently.
                    worksheet.reset_dimensions()
                    rows: list[tuple[object, ...]] = []
                    for values in worksheet.iter_rows(values_only=True):
                        cells_seen += 1 + len(values)
                        if cells_seen > MAX_CELLS:
                            raise _not_readable(
                                path,
                                f"单元格太多（连同空白行和远处的空单元格超过 {MAX_CELLS // 10_000} 万个），"
                                "不像正常的名单或记录表。请只保留要导入的工作表和数据区域，另存为新的 .xlsx 后再导入。",
                            )
                        rows.append(_trim_row(values))
                        done += 1
                        if done % PROGRESS_EVERY_ROWS == 0:
                            job.report(done, None, f"正在读取“{worksheet.title}”：第 {len(rows)} 行")
                            job.check_cancelled()
                    while rows and _is_empty(rows[-1]):
                        rows.pop()
                    sheets.append(Sheet(name=worksheet.title, rows=rows, merged=_merged_ranges(worksheet)))
            finally:
                workbook.close()
    except AdultSchoolError:
        raise
    except broken as exc:
        raise _not_readable(
            path,
            "文件已损坏或不是 Excel 工作簿。请用 Excel 或 WPS 打开它，确认内容正常后“另存为”一个新的 .xlsx 再导入。",
        ) from exc
    return sheets


_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_MAX_MERGES = 100_000


def _merged_ranges(worksheet) -> tuple[tuple[int, int, int, int], ...]:  # noqa: ANN001 - a read-only worksheet
    """The sheet's <mergeCell ref="B4:B8"/> ranges. openpyxl's read-only mode does not report them, so the part is
    scanned once more, in chunks (it already passed the zip checks)."""
    from openpyxl.utils import column_index_from_string

    found: list[tuple[int, int, int, int]] = []
    tail = b""
    with worksheet._get_source() as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            if b"mergeCell" in data:
                end = data.rfind(b"<")  # a tag cut at the chunk's end is read with the next chunk
                for match in _MERGE_CELL.finditer(data, 0, end if end > 0 else len(data)):
                    first_col, first_row, last_col, last_row = match.groups()
                    top, left = int(first_row), column_index_from_string(first_col.decode())
                    bottom = int(last_row) if last_row else top
                    right = column_index_from_string(last_col.decode()) if last_col else left
                    found.append((min(top, bottom), min(left, right), max(top, bottom), max(left, right)))
                    if len(found) > _MAX_MERGES:
                        return tuple(found)
                data = data[end:] if end > 0 else b""
            tail = data[-4096:]
    return tuple(sorted(set(found)))


def _trim_row(values: tuple[object, ...]) -> tuple[object, ...]:
    # A formatted but empty cell far to the right (column XFD) would otherwise widen every row.
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return tuple(values[:end])


def _is_empty(row: tuple[object, ...]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)
