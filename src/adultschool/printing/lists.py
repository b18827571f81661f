"""A list on screen as a printed table: the title (school, list, filter, day), the header repeated on every page and
"第 N 页 共 M 页" below; A4 landscape when the columns are many or wide, portrait otherwise.

Pure: plain rows in, a PDF out (written to '<path>.part' and renamed when complete). Every cell is checked against
the font before anything is drawn, so a rare name character is reported instead of printed as a box.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Spacer, Table

from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.printing.fonts import PdfFont
from adultschool.printing.forms import _GRID, _HEADER_FILL, _build, _checked, _p, _Styles, _table_style

CELL_SIZE = 9  # points: eleven columns of 可报考 fit A4 landscape with the ID number on one line
SAMPLE_ROWS = 2000  # rows measured for the column widths
MAX_COLUMN = 90 * mm  # a longer text wraps
WIDE_COLUMN = 40 * mm  # columns wider than this give way when the page is too narrow, and are left-aligned
CANCEL_EVERY_ROWS = 200


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _natural_widths(font: PdfFont, size: float, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """Each column's width in points for its longest text (header words may break, the cells should not)."""
    padding = 7.0
    widths = []
    for index, header in enumerate(headers):
        texts = [row[index] for row in rows[:SAMPLE_ROWS]] if rows else []
        longest = max((stringWidth(text, font.name, size) for text in texts), default=0.0)
        header_width = stringWidth(header[:4], font.name, size)  # a header wraps after four characters
        widths.append(min(max(longest, header_width), MAX_COLUMN) + padding)
    return widths


def _fitted(natural: list[float], usable: float) -> list[float]:
    """Natural widths made to fill `usable`: wide columns (long text that may wrap) give way first, then all."""
    total = sum(natural)
    if total <= usable:
        return [w * usable / total for w in natural]
    wide = [i for i, w in enumerate(natural) if w > WIDE_COLUMN]
    narrow_total = sum(w for i, w in enumerate(natural) if i not in wide)
    room = usable - narrow_total
    wide_total = sum(natural[i] for i in wide)
    if wide and room >= WIDE_COLUMN * len(wide):
        return [w * room / wide_total if i in wide else w for i, w in enumerate(natural)]
    return [w * usable / total for w in natural]


def write_list(
    path: str | os.PathLike[str],
    *,
    title: str,
    subtitle: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    font: PdfFont,
    author: str = "",
    job: JobContext | None = None,
) -> int:
    """The list as a PDF table with a 序号 column first; returns the number of pages. `subtitle` says the filter and
    the day. Columns are as wide as their text; a list wider than A4 portrait goes on A4 landscape."""
    job = job or NullJob()
    if not headers:
        raise AdultSchoolError("名单没有列，不能打印。")
    _checked(font, [("名单的标题", title), ("名单的说明", subtitle), ("名单的表头", "".join(headers))])
    texts = [[_cell(value) for value in row] for row in rows]
    for number, row in enumerate(texts, start=1):
        _checked(font, [(f"名单第 {number} 行的“{header}”", text) for header, text in zip(headers, row)])
    styles = _Styles(font)
    cell = ParagraphStyle("list_cell", fontName=font.name, fontSize=CELL_SIZE, leading=CELL_SIZE * 1.3,
                          wordWrap="CJK")
    centre = ParagraphStyle("list_centre", parent=cell, alignment=TA_CENTER)
    label = ParagraphStyle("list_label", parent=centre)
    all_headers = ("序号", *headers)
    numbered = [[str(number), *row] for number, row in enumerate(texts, start=1)]
    natural = _natural_widths(font, CELL_SIZE, all_headers, numbered)
    portrait_usable = A4[0] - 30 * mm
    pagesize = A4 if sum(natural) <= portrait_usable else landscape(A4)
    widths = _fitted(natural, pagesize[0] - 30 * mm)
    # A column as wide as its longest text holds plain strings (one line each, drawn quickly); only a column that had
    # to give way gets paragraphs, which wrap.
    wraps = [width < need - 0.5 for width, need in zip(widths, natural)]
    data: list[list[Any]] = [[_p(text, label) for text in all_headers]]
    for number, row in enumerate(numbered, start=1):
        if number % CANCEL_EVERY_ROWS == 0:
            job.check_cancelled()
        data.append([_p(text, centre if natural[i] <= WIDE_COLUMN else cell) if wraps[i] else text.replace("\n", " ")
                     for i, text in enumerate(row)])
    if not rows:
        data.append([_p("（没有符合条件的记录）", centre), *([""] * len(headers))])
    table = Table(data, colWidths=widths, repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("BOX", (0, 0), (-1, -1), 1.2, _GRID),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTSIZE", (0, 1), (-1, -1), CELL_SIZE), ("LEADING", (0, 1), (-1, -1), CELL_SIZE * 1.3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for index, need in enumerate(natural):
        commands.append(("ALIGN", (index, 1), (index, -1), "CENTER" if need <= WIDE_COLUMN else "LEFT"))
    if not rows:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(_table_style(font, commands))
    story = [_p(title, styles.title), _p(subtitle, styles.subtitle), Spacer(1, 3 * mm), table]
    return _build(path, story, font=font, pagesize=pagesize, title=title, author=author, header=title, job=job,
                  total_pages=None, what="名单")
