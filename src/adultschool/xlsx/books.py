"""Read any workbook a township sends: .xlsx, old Excel .xls, WPS .et and LibreOffice .ods, into `Sheet`s, safely.

python-calamine (Rust) reads them all, several times faster than openpyxl. Before it sees a byte, the file passes the
checks a foreign file must pass (zip sizes and ratio, no XML entity declarations, a cell budget worked out from the
sheet XML); an .xlsx that calamine must not take whole (a stray cell at XFD1048576, cells without references) goes to
the streaming openpyxl reader in `reading`, which keeps its own limits.
"""
from __future__ import annotations

import os
import re
import zipfile
import zlib
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Iterator, Sequence

from defusedxml import ElementTree as SafeTree

from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.jobs import JobContext, NullJob
from adultschool.xlsx import reading
from adultschool.xlsx.reading import Sheet, check_zip_safety

# An .xls or .et holds its cells uncompressed; beyond this it is no roster (the zip formats have their own limits).
MAX_OLE2_BYTES = 200 * 1024 * 1024
CHUNK_BYTES = 4 << 20
PROLOG_BYTES = 64 * 1024

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# Every cell element, and those that name their place (r="B12"): calamine is given only sheets whose every cell
# says where it stands, so the extent below is exactly what it will hold.
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
# What Excel, WPS and openpyxl write: r first. A file that puts it elsewhere takes the slower pattern below.
_CELL_REF_FIRST = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_CELL_ROW_FIRST = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_ERROR_CELL = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?\bt="e"[^>]*>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?v>([^<]{1,16})</',
    re.DOTALL,
)


class _Fallback(Exception):
    """The .xlsx is readable but not by calamine whole: the streaming reader takes it."""


def _name(path: str | os.PathLike[str]) -> str:
    return Path(path).name


def _broken(path: str | os.PathLike[str]) -> AdultSchoolError:
    return AdultSchoolError(
        f"无法读取“{_name(path)}”：文件已损坏或不是 Excel 工作簿。请用 Excel 或 WPS 打开它，确认内容正常后“另存为”一个新的 .xlsx 再导入。"
    )


def _too_many_cells(path: str | os.PathLike[str]) -> AdultSchoolError:
    return AdultSchoolError(
        f"无法读取“{_name(path)}”：单元格太多（连同空白行和远处的空单元格超过 {reading.MAX_CELLS // 10_000} 万个），"
        "不像正常的名单或记录表。请只保留要导入的工作表和数据区域，另存为新的 .xlsx 后再导入。"
    )


def lock_file_message(path: str | os.PathLike[str]) -> str:
    name = _name(path)
    original = name[2:] or "原文件"
    return (f"“{name}”是 Excel 或 WPS 打开“{original}”时自动生成的临时文件（以 ~$ 开头），不是表格本身："
            f"请选择“{original}”（不带 ~$ 的那个文件）。如果找不到它，请先关闭正在打开它的 Excel 或 WPS。")


def read_workbook(path: str | os.PathLike[str], *, job: JobContext | None = None) -> list[Sheet]:
    """Every worksheet of an .xlsx/.xlsm, .xls, .et or .ods, in workbook order (cached results, never formulas)."""
    job = job or NullJob()
    name = _name(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(8)
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise AdultSchoolError(f"找不到文件“{name}”：请确认文件还在原来的位置。") from None
    except PermissionError:
        raise AdultSchoolError(f"无法打开“{name}”：没有读取权限，或文件正被其他程序独占。请关闭后重试。") from None
    except OSError as exc:
        raise AdultSchoolError(f"无法读取“{name}”：打开文件时出错（{os_error_text(exc)}）。") from exc
    if name.startswith("~$") and not magic.startswith((_OLE2_MAGIC, _ZIP_MAGIC)):
        raise AdultSchoolError(lock_file_message(path))
    if magic.startswith(_OLE2_MAGIC):
        if size > MAX_OLE2_BYTES:
            raise AdultSchoolError(f"“{name}”太大（{size // 1024 // 1024} MB），不像正常的名单或记录表。"
                                   "请只保留要导入的工作表，另存后再导入。")
        return _read_with_calamine(path, job, merged_from_xml={}, errors_from_xml={})
    if not magic.startswith(_ZIP_MAGIC):
        return reading.read_sheets(path, job=job)  # says what the file is not
    check_zip_safety(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            _refuse_entity_declarations(path, archive)
            if "content.xml" in names and "xl/workbook.xml" not in names:
                merged = _ods_extent(path, archive)
                return _read_with_calamine(path, job, merged_from_xml=merged, errors_from_xml={})
            errors = _xlsx_extent(path, archive)
    except _Fallback:
        return reading.read_sheets(path, job=job)
    except AdultSchoolError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, SyntaxError, RuntimeError) as exc:
        raise _broken(path) from exc
    return _read_with_calamine(path, job, merged_from_xml={}, errors_from_xml=errors)


# --- checks before calamine ----------------------------------------------------------------------------------------

def _refuse_entity_declarations(path: str | os.PathLike[str], archive: zipfile.ZipFile) -> None:
    """XML entity declarations (billion laughs, external entities) are refused, as defusedxml refuses them for openpyxl.

    They can only stand in a DOCTYPE before the root element, so each part's first bytes tell."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels")):
            continue
        with archive.open(info) as member:
            head = member.read(PROLOG_BYTES)
        doctype = head.find(b"<!DOCTYPE")
        if doctype == -1:
            continue
        if b"<!ENTITY" in head or b"[" in head[doctype:head.find(b">", doctype) + 1 or len(head)]:
            raise _broken(path)


def _scan(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """A part's bytes in chunks that never cut a tag (zipfile never inflates past the declared size)."""
    tail = b""
    with archive.open(member) as source:
        while chunk := source.read(CHUNK_BYTES):
            data = tail + chunk
            end = data.rfind(b"<")
            if end <= 0:
                tail = data
                continue
            yield data[:end]
            tail = data[end:]
            if len(tail) > CHUNK_BYTES:  # one tag of megabytes: no sheet has that
                raise _Fallback
    if tail:
        yield tail


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + char - 64
    return number


def _sheet_members(archive: zipfile.ZipFile) -> list[str]:
    """The worksheet parts in workbook order, from workbook.xml and its relationships (parsed by defusedxml)."""
    workbook = SafeTree.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") or "" for rel in rels.iter(f"{_NS_PKG_REL}Relationship")}
    members = []
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        members.append(part)
    return members


def _xlsx_extent(path: str | os.PathLike[str], archive: zipfile.ZipFile) -> dict[int, dict[tuple[int, int], str]]:
    """Checks that calamine may take the workbook whole; returns the error cells (#N/A …) per sheet index, which
    calamine reads as blanks but openpyxl, and a clerk, see as their text."""
    total = 0
    errors: dict[int, dict[tuple[int, int], str]] = {}
    names = set(archive.namelist())
    for index, member in enumerate(_sheet_members(archive)):
        if member not in names:
            continue  # a chart sheet or a missing part: calamine says what it finds
        cells = referenced = height = width = row_elements = 0
        found: dict[tuple[int, int], str] = {}
        for data in _scan(archive, member):
            if b":c" in data or b":row" in data:  # tags with a namespace prefix (x:c), or text that looks so
                in_chunk = len(_CELL.findall(data))
                row_elements += len(_ROW.findall(data))
            else:  # bytes.count is many times faster than a pattern; '<' never stands unescaped in text
                in_chunk = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
                row_elements += data.count(b"<row ") + data.count(b"<row>") + data.count(b"<row/>")
            cells += in_chunk
            columns = _CELL_REF_FIRST.findall(data)
            if len(columns) == in_chunk:
                rows = _CELL_ROW_FIRST.findall(data)
                referenced += len(columns)
                if columns:
                    height = max(height, max(map(int, rows)) if rows else 0)
                    width = max(width, max(_column_number(col) for col in set(columns)))
            else:
                refs = _CELL_REF.findall(data)
                referenced += len(refs)
                if refs:
                    height = max(height, max(int(row) for _, row in refs))
                    width = max(width, max(_column_number(col) for col in {col for col, _ in refs}))
            if b't="e"' in data:
                for col, row, text in _ERROR_CELL.findall(data):
                    found[(int(row) - 1, _column_number(col) - 1)] = text.decode("ascii", "replace")
        if cells != referenced:
            raise _Fallback  # cells that take their place from the one before: the streaming reader counts them
        # Row elements count too, as the streaming reader counts them: 30,000 rows that each claim column XFD are
        # refused there even when the cells are empty.
        height = max(height, row_elements)
        total += height * width + height
        if total > reading.MAX_CELLS:
            raise _Fallback  # a stray far cell makes a huge grid for calamine; openpyxl streams it (or refuses it)
        if found:
            errors[index] = found
    return errors


_ODS_ROW = re.compile(rb"<table:table-row\b([^>]*?)(/?)>")
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
_ODS_ROW_END = b"</table:table-row>"
_ODS_TABLE = b"<table:table "
_ODS_REPEAT_ROWS = re.compile(rb'table:number-rows-repeated="(\d+)"')
_ODS_REPEAT_COLUMNS = re.compile(rb'table:number-columns-repeated="(\d+)"')
_ODS_SPAN_ROWS = re.compile(rb'table:number-rows-spanned="(\d+)"')
_ODS_SPAN_COLUMNS = re.compile(rb'table:number-columns-spanned="(\d+)"')


def _ods_extent(path: str | os.PathLike[str], archive: zipfile.ZipFile) -> dict[int, tuple[tuple[int, int, int, int], ...]]:
    """Checks the cells an .ods expands to (rows and cells repeat by a count) fit the budget; returns its merged ranges
    per sheet index (calamine does not report them for .ods)."""
    content = archive.read("content.xml")
    merged: dict[int, list[tuple[int, int, int, int]]] = {}
    total = 0
    for index, table in enumerate(content.split(_ODS_TABLE)[1:]):
        row_number = 0
        height = width = 0
        position = 0
        while (row := _ODS_ROW.search(table, position)) is not None:
            repeat = _ODS_REPEAT_ROWS.search(row.group(1))
            rows = int(repeat.group(1)) if repeat else 1
            end = len(table) if row.group(2) else table.find(_ODS_ROW_END, row.end())
            end = len(table) if end == -1 else end
            column = 0
            for cell in _ODS_CELL.finditer(table, row.end(), end):
                attributes = cell.group(1)
                repeat = _ODS_REPEAT_COLUMNS.search(attributes)
                columns = int(repeat.group(1)) if repeat else 1
                if b"office:value-type" in attributes:
                    height, width = row_number + rows, max(width, column + columns)
                if b"-spanned=" in attributes:
                    span_rows, span_columns = _ODS_SPAN_ROWS.search(attributes), _ODS_SPAN_COLUMNS.search(attributes)
                    bottom = row_number + (int(span_rows.group(1)) if span_rows else 1)
                    right = column + (int(span_columns.group(1)) if span_columns else 1)
                    if bottom - row_number > 1 or right - column > 1:
                        merged.setdefault(index, []).append((row_number + 1, column + 1, bottom, right))
                column += columns
            row_number += rows
            position = end
            if height * width > reading.MAX_CELLS:
                break
        total += height * width + height
        if total > reading.MAX_CELLS:
            raise _too_many_cells(path)
    return {index: tuple(ranges) for index, ranges in merged.items()}


# --- calamine --------------------------------------------------------------------------------------------------------

def _read_with_calamine(path: str | os.PathLike[str], job: JobContext,
                        *, merged_from_xml: dict[int, tuple[tuple[int, int, int, int], ...]],
                        errors_from_xml: dict[int, dict[tuple[int, int], str]]) -> list[Sheet]:
    import python_calamine  # at first use: every command that registers a learner imports this package, few read a file

    name = _name(path)
    sheets: list[Sheet] = []
    try:
        with open(path, "rb") as handle:
            workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
            try:
                total = 0
                for index, meta in enumerate(workbook.sheets_metadata):
                    if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                        continue
                    sheet = workbook.get_sheet_by_index(index)
                    end = sheet.end
                    height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
                    total += height * width + height
                    if total > reading.MAX_CELLS:
                        raise _too_many_cells(path)
                    job.report(0, None, f"正在读取“{meta.name}”")
                    job.check_cancelled()
                    rows = _rows(sheet.to_python(skip_empty_area=False), errors_from_xml.get(index))
                    merged = merged_from_xml.get(index) or _merged(sheet.merged_cell_ranges)
                    sheets.append(Sheet(name=meta.name, rows=rows, merged=merged))
            finally:
                workbook.close()
    except AdultSchoolError:
        raise
    except python_calamine.PasswordError:
        raise AdultSchoolError(f"“{name}”设置了打开密码：请用 Excel 或 WPS 打开它，取消密码后另存，再导入新文件。") from None
    except (python_calamine.CalamineError, ValueError, TypeError, OverflowError, OSError, RuntimeError) as exc:
        raise _broken(path) from exc
    return sheets


def _merged(ranges: list[tuple[tuple[int, int], tuple[int, int]]] | None) -> tuple[tuple[int, int, int, int], ...]:
    if not ranges:
        return ()
    return tuple(sorted({(top + 1, left + 1, bottom + 1, right + 1) for (top, left), (bottom, right) in ranges}))


def _rows(grid: Sequence[Sequence[object]], errors: dict[tuple[int, int], str] | None) -> list[tuple[object, ...]]:
    """calamine's grid as `Sheet.rows`: blanks are None, rows trimmed, days as openpyxl gives them (datetime)."""
    rows: list[tuple[object, ...]] = []
    append = rows.append
    for values in grid:
        end = len(values)
        while end and values[end - 1] == "":
            end -= 1
        # One comprehension per row (a loop with assignments costs twice as much over a million cells).
        append(tuple([None if value == "" else (datetime(value.year, value.month, value.day) if type(value) is date
                                                else value) for value in values[:end]]))
    if errors:
        for (row, column), text in errors.items():
            if row < len(rows):
                cells = list(rows[row]) + [None] * max(0, column + 1 - len(rows[row]))
                if cells[column] is None:
                    cells[column] = text
                rows[row] = tuple(cells)
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    return rows


__all__ = ["lock_file_message", "read_workbook"]
