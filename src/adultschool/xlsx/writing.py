"""Write the workbooks the software hands out: the R13 registration summary and the rows an import rejected.

Every text cell goes through set_text, so nothing we write can run as a formula in Excel or WPS. openpyxl is imported
when a workbook is written, not with this module (its constants and row types are wanted at every start-up).
"""
from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adultschool.outfiles import FORMULA_STARTS, SPREADSHEET_PROGRAMS, atomic_output
from adultschool.jobs import JobContext, NullJob
from adultschool.xlsx.protect import encrypt_workbook

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Border
    from openpyxl.worksheet.worksheet import Worksheet

PROGRESS_EVERY_ROWS = 1000

TEXT_FORMAT = "@"



@functools.cache
def _styles() -> tuple[Border, Alignment, Alignment]:
    """(thin border all round, centred, left-aligned), both wrapping."""
    from openpyxl.styles import Alignment, Border, Side

    thin = Side(style="thin")
    return (Border(left=thin, right=thin, top=thin, bottom=thin),
            Alignment(horizontal="center", vertical="center", wrap_text=True),
            Alignment(horizontal="left", vertical="center", wrap_text=True))


# R13 (DOMAIN.md): the registration summary form's columns, in this order.
SUMMARY_HEADERS = (
    "序号",
    "姓名",
    "性别",
    "文化程度",
    "身份证号码",
    "工作单位或家庭地址",
    "联系电话",
    "学历提升层次（初中/高中）",
)
_SUMMARY_WIDTHS = (6, 10, 6, 10, 22, 36, 15, 14)
_SUMMARY_TEXT_FORMAT_COLUMNS = (5, 7)  # 身份证号码, 联系电话: typed later, must stay text
_SUMMARY_HEADER_ROW = 3

# Characters XML 1.0 cannot hold (control codes, U+FFFE/FFFF, lone surrogates). openpyxl refuses only the
# control codes; the others give a file that Excel reports as corrupt or that cannot be encoded at all.
_NOT_XML_TEXT = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INVALID_SHEET_TITLE = re.compile(r"[\\/*?:\[\]]")
_ID_LIKE = re.compile(r"\d{15}(?:\d{2}[\dXx])?")
_ID_HEADER_WORDS = ("身份证", "身份号码", "证件号")


def set_text(cell: Cell, value: object) -> None:
    """Put a value into a cell; text that looks like a formula is stored as inert, quote-prefixed text."""
    if not isinstance(value, str):
        cell.value = value
        return
    # Pasted from web pages: invisible, never meant, and fatal to the file (see _NOT_XML_TEXT).
    text = _NOT_XML_TEXT.sub("", value)
    cell.value = text
    # openpyxl turns '=…' into a formula and '#N/A' into an error value; text stays text.
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        # quotePrefix is written into the cell's style (xf quotePrefix="1"): Excel and WPS keep the cell
        # text even when someone edits it and presses Enter.
        cell.quotePrefix = True


def save_atomic(workbook: Workbook, path: str | os.PathLike[str], *, password: str | None = None) -> None:
    """Write to '<path>.part', flush to disk, then rename over `path`; a failure leaves no .part behind. With
    `password` the file is a password-protected workbook (`protect`): the plain bytes never touch the disk."""
    with atomic_output(path, opened_in=SPREADSHEET_PROGRAMS) as part, open(part, "wb") as handle:
        if password is None:
            workbook.save(handle)
            return
        plain = io.BytesIO()
        workbook.save(plain)
        handle.write(encrypt_workbook(plain.getvalue(), password))


@dataclass(frozen=True)
class SummaryRow:
    """One learner on the R13 summary form; every field is display text and may be ''."""

    name: str
    gender: str
    education: str
    id_number: str
    employer_or_address: str
    phone: str
    level: str


def write_summary_form(
    path: str | os.PathLike[str],
    *,
    unit: str,
    rows: Sequence[SummaryRow],
    title: str = "成人“双证制”学历提升报名汇总表",
    job: JobContext | None = None,
    password: str | None = None,
) -> None:
    """The R13 registration summary (报名汇总表), ready to print on A4 landscape (password-protected with `password`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    job = job or NullJob()
    border, centred, left = _styles()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "报名汇总表"
    last_column = get_column_letter(len(SUMMARY_HEADERS))

    sheet.merge_cells(f"A1:{last_column}1")
    set_text(sheet["A1"], title)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30

    sheet.merge_cells(f"A2:{last_column}2")
    # R13 shows a "单位____" line; a blank stays fillable by hand on the printout.
    set_text(sheet["A2"], "单位：" + (unit.strip() or "________________"))
    sheet["A2"].alignment = Alignment(horizontal="left", vertical="center")
    sheet.row_dimensions[2].height = 22

    for index, header in enumerate(SUMMARY_HEADERS, start=1):
        cell = sheet.cell(row=_SUMMARY_HEADER_ROW, column=index)
        set_text(cell, header)
        cell.font = Font(bold=True)
        cell.alignment = centred
        cell.border = border
    sheet.row_dimensions[_SUMMARY_HEADER_ROW].height = 32

    total = len(rows)
    for number, row in enumerate(rows, start=1):
        sheet_row = _SUMMARY_HEADER_ROW + number
        values = (
            number,
            row.name,
            row.gender,
            row.education,
            row.id_number,
            row.employer_or_address,
            row.phone,
            row.level,
        )
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=sheet_row, column=column)
            set_text(cell, value)
            cell.border = border
            cell.alignment = left if column == 6 else centred
            if column in _SUMMARY_TEXT_FORMAT_COLUMNS:
                # Text format: Excel and WPS show all 18 digits instead of 3.30205E+17.
                cell.number_format = TEXT_FORMAT
        if number % PROGRESS_EVERY_ROWS == 0:
            job.report(number, total, "正在生成报名汇总表")
            job.check_cancelled()

    for index, width in enumerate(_SUMMARY_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=_SUMMARY_HEADER_ROW + 1, column=1)
    _set_up_printing(sheet, title_rows=f"{_SUMMARY_HEADER_ROW}:{_SUMMARY_HEADER_ROW}")
    job.report(total, total, "正在保存报名汇总表")
    save_atomic(workbook, path, password=password)


def _set_up_printing(sheet: Worksheet, *, title_rows: str) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    # Fit all columns on one page width, as many pages tall as needed (fitToHeight 0 = automatic).
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = title_rows
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6


@dataclass(frozen=True)
class RejectedRow:
    """A row an import refused: its 1-based sheet row, why (Chinese), and its cells as they came."""

    row: int
    reason: str
    cells: tuple[object, ...]


def write_rejected_rows(
    path: str | os.PathLike[str],
    *,
    sheet_title: str,
    headers: Sequence[str],
    rejected: Sequence[RejectedRow],
) -> None:
    """One sheet '行号, 原因, <original headers…>' with the refused rows, for a clerk to fix and re-import."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    border, centred, _left = _styles()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _safe_sheet_title(sheet_title)

    all_headers = ("行号", "原因", *headers)
    width = max([len(all_headers), *(2 + len(item.cells) for item in rejected)])
    id_columns = _id_like_columns(headers, rejected)

    for index, header in enumerate(all_headers, start=1):
        cell = sheet.cell(row=1, column=index)
        set_text(cell, header)
        cell.font = Font(bold=True)
        cell.alignment = centred
        cell.border = border

    for sheet_row, item in enumerate(rejected, start=2):
        sheet.cell(row=sheet_row, column=1, value=item.row)
        set_text(sheet.cell(row=sheet_row, column=2), item.reason)
        sheet.cell(row=sheet_row, column=2).alignment = Alignment(vertical="top", wrap_text=True)
        for offset, value in enumerate(item.cells):
            # Numbers stay numbers: the clerk must see what Excel really holds (3.30205E+17), not a repair.
            set_text(sheet.cell(row=sheet_row, column=3 + offset), value)
        for offset in id_columns:
            # Text format so that a retyped ID stays text when the file comes back.
            sheet.cell(row=sheet_row, column=3 + offset).number_format = TEXT_FORMAT

    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 48
    for offset in range(width - 2):
        sheet.column_dimensions[get_column_letter(3 + offset)].width = 22 if offset in id_columns else 14
    sheet.freeze_panes = "A2"
    save_atomic(workbook, path)


def _safe_sheet_title(title: str) -> str:
    # Excel allows 31 characters and none of \ / * ? : [ ]; openpyxl raises on them.
    cleaned = _INVALID_SHEET_TITLE.sub("_", title).strip().strip("'")[:31]
    return cleaned or "未导入的行"


def _id_like_columns(headers: Sequence[str], rejected: Sequence[RejectedRow]) -> set[int]:
    """0-based original columns that hold ID numbers, by header wording or by their text values."""
    columns = {
        index
        for index, header in enumerate(headers)
        if isinstance(header, str) and any(word in header for word in _ID_HEADER_WORDS)
    }
    for item in rejected:
        for index, value in enumerate(item.cells):
            if isinstance(value, str) and _ID_LIKE.fullmatch(value.strip()):
                columns.add(index)
    return columns


@dataclass(frozen=True)
class TableSheet:
    """One titled table of a workbook: title row, header row, rows; `text_columns` (by header) stay text."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    text_columns: Sequence[str] = ()
    widths: Sequence[int] | None = None
    sheet_name: str | None = None  # the tab's name; the title when not given


def write_table(
    path: str | os.PathLike[str],
    *,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    text_columns: Sequence[str] = (),
    widths: Sequence[int] | None = None,
    job: JobContext | None = None,
    password: str | None = None,
) -> None:
    """A titled list for the outside world (exam applications, credit bank, household office): title row, header
    row repeated on every printed page, every cell inert; `text_columns` (by header) stay text so IDs keep 18 digits."""
    write_tables(path, [TableSheet(title, headers, rows, text_columns, widths)], job=job, password=password)


def write_tables(path: str | os.PathLike[str], sheets: Sequence[TableSheet], *, job: JobContext | None = None,
                 password: str | None = None) -> None:
    """Several titled tables, one sheet each, written as `write_table` writes one."""
    from openpyxl import Workbook

    job = job or NullJob()
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for table in sheets:
        _write_sheet(workbook.create_sheet(_safe_sheet_title(table.sheet_name or table.title)), table, job)
    save_atomic(workbook, path, password=password)


def _write_sheet(sheet: Worksheet, table: TableSheet, job: JobContext) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    border, centred, _left = _styles()
    title, headers, rows, widths = table.title, table.headers, table.rows, table.widths
    set_text(sheet.cell(row=1, column=1), title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.cell(row=1, column=1).alignment = centred
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(headers), 1))
    text_indexes = {index for index, header in enumerate(headers) if header in table.text_columns}
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=index)
        set_text(cell, header)
        cell.font = Font(bold=True)
        cell.alignment = centred
        cell.border = border
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            cell = sheet.cell(row=2 + number, column=index + 1)
            if index in text_indexes:
                set_text(cell, "" if value is None else str(value))
                cell.number_format = TEXT_FORMAT
            else:
                set_text(cell, value)
            cell.border = border
        if number % PROGRESS_EVERY_ROWS == 0:
            job.report(number, len(rows), "写入表格")
    for index, header in enumerate(headers):
        width = widths[index] if widths else (22 if index in text_indexes else max(8, min(30, 2 * len(header) + 4)))
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A3"
    _set_up_printing(sheet, title_rows="2:2")


@dataclass(frozen=True)
class ChartSheet:
    """A chart on a sheet of its own (Excel's 图表工作表): bars for `value_columns` of the table on the sheet
    `data_sheet`, one group per row, labelled by `label_column` (0-based column indexes of that table)."""

    title: str
    sheet_name: str
    data_sheet: str
    label_column: int
    value_columns: Sequence[int]
    rows: int
    y_title: str = "人数"


def write_tables_with_charts(path: str | os.PathLike[str], sheets: Sequence[TableSheet], charts: Sequence[ChartSheet],
                             *, job: JobContext | None = None) -> None:
    """`write_tables`, then a chart sheet per `charts`, after the tables (a chart of an empty table is left out)."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference  # only the statistics need charts

    job = job or NullJob()
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    by_name: dict[str, Worksheet] = {}
    for table in sheets:
        name = _safe_sheet_title(table.sheet_name or table.title)
        by_name[name] = workbook.create_sheet(name)
        _write_sheet(by_name[name], table, job)
    for spec in charts:
        if spec.rows <= 0:
            continue
        data = by_name[_safe_sheet_title(spec.data_sheet)]
        chart = BarChart()
        chart.type = "col"
        chart.title = spec.title
        chart.y_axis.title = spec.y_title
        chart.y_axis.majorGridlines = None
        for column in spec.value_columns:
            values = Reference(data, min_col=column + 1, min_row=2, max_row=2 + spec.rows)
            chart.add_data(values, titles_from_data=True)
        chart.set_categories(Reference(data, min_col=spec.label_column + 1, min_row=3, max_row=2 + spec.rows))
        workbook.create_chartsheet(_safe_sheet_title(spec.sheet_name)).add_chart(chart)
    save_atomic(workbook, path)
