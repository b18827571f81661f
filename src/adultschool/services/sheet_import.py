"""What every row-by-row workbook import shares: finding the sheet and header, row problems, the report, the errors file.

Roster, survey and later imports describe their columns and turn a row into values; this module does the rest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext
from adultschool import synonyms
from adultschool.textnorm import clean_token
from adultschool.xlsx import Column, HeaderMatch, RejectedRow, Sheet, find_header, write_rejected_rows
from adultschool.xlsx.headers import MappingProposal, header_signature, header_text, suggest_mapping


@dataclass(frozen=True)
class RowProblem:
    row: int  # sheet row number, as Excel shows it
    column: str | None  # header text as written in the file
    reason: str


@dataclass
class ImportReport:
    file: str
    sheet: str
    header_row: int
    dry_run: bool
    headers: tuple[str, ...] = ()
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    rejected_cells: dict[int, tuple[object, ...]] = field(default_factory=dict)
    registered: list = field(default_factory=list)  # roster import: services.registration.Registered
    batch_id: int | None = None  # the import batch (services.imports) that can undo this import
    mapping: dict[str, str] = field(default_factory=dict)  # field → header as written, when columns were mapped
    mapping_signature: str = ""  # the header row's signature (xlsx.headers.header_signature)
    mapping_saved: str | None = None  # the name a saved mapping was used or kept under

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({p.row for p in self.rejected})

    def summary_line(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        extra = f", updated {self.updated}" if self.updated else ""
        return f"{verb} {self.imported}{extra}, rejected {len(self.rejected_rows)}"


class RowSink:
    """Collects row problems into a report, naming columns as the file wrote them."""

    def __init__(self, report: ImportReport, header: HeaderMatch, fallback_labels: dict[str, str]):
        self.report = report
        self.header = header
        self.fallback_labels = fallback_labels

    def label(self, field_name: str | None) -> str | None:
        if field_name is None:
            return None
        return self.header.labels.get(field_name) or self.fallback_labels.get(field_name, field_name)

    def reject(self, row: int, cells: tuple[object, ...], field_name: str | None, reason: str) -> None:
        self.report.rejected.append(RowProblem(row, self.label(field_name), reason))
        self.report.rejected_cells[row] = cells

    def reject_error(self, row: int, cells: tuple[object, ...], exc: AdultSchoolError) -> None:
        self.reject(row, cells, exc.field or self.field_of_column(exc.where), exc.message)

    def warn(self, row: int, field_name: str | None, reason: str) -> None:
        self.report.warnings.append(RowProblem(row, self.label(field_name), reason))

    def field_of_column(self, where: Where | None) -> str | None:
        if where is None or where.column is None:
            return None
        return next((name for name, text in self.header.labels.items() if text == where.column), None)


class ColumnsNotFound(AdultSchoolError):
    """A sheet's header lacks required columns: the clerk may map them (`proposal` has the header row and guesses)."""

    def __init__(self, error: AdultSchoolError, sheet: Sheet, proposal: MappingProposal, columns: tuple[Column, ...]):
        super().__init__(error.message, error.where, field=error.field)
        self.sheet_name = sheet.name
        self.proposal = proposal
        self.columns = columns


def start_report(sheets: list[Sheet], columns: tuple[Column, ...], file: Path, *, dry_run: bool,
                 mapping: Mapping[str, str] | None = None,
                 saved: Callable[[str], tuple[str, dict[str, str]] | None] | None = None,
                 ) -> tuple[ImportReport, Sheet, HeaderMatch]:
    """The first sheet whose header is recognisable; if none, the first sheet's reason is raised (as ColumnsNotFound,
    with the header row and best guesses, so the clerk can map the columns).

    `mapping` (field → header as written) is the clerk's; without one, `saved(signature)` may give the (name, mapping)
    kept from an earlier import of a sheet with the same header row, which is then used and named in the warnings."""
    first_error: AdultSchoolError | None = None
    first_sheet: Sheet | None = None
    for sheet in sheets:
        proposal = suggest_mapping(sheet, columns)
        signature = header_signature(proposal.headers)
        used, name = dict(mapping or {}), None
        if not used and saved is not None:
            kept = saved(signature)
            if kept is not None:
                name, used = kept[0], dict(kept[1])
        try:
            header = find_header(sheet, columns, mapping=used or None)
        except AdultSchoolError as exc:
            if first_error is None:
                first_error, first_sheet = exc, sheet
            continue
        report = ImportReport(file=Path(file).name, sheet=sheet.name, header_row=header.row, dry_run=dry_run)
        report.headers = tuple("" if v is None else (header_text(v) if isinstance(v, str) else str(v))
                               for v in sheet.rows[header.row - 1])
        report.mapping, report.mapping_signature, report.mapping_saved = used, signature, name
        if name:
            shown = "、".join(f"{header.labels.get(f, f)}" for f in used)
            report.warnings.append(RowProblem(header.row, None, f"按保存的列对应“{name}”读取：{shown}。"))
        return report, sheet, header
    if first_error is not None and first_sheet is not None and first_error.where is not None:
        raise ColumnsNotFound(first_error, first_sheet, suggest_mapping(first_sheet, columns), columns)
    raise first_error or AdultSchoolError(f"“{Path(file).name}”里没有工作表。")


def data_rows(sheet: Sheet, header: HeaderMatch) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(sheet row number, cells) of every row below the header; blank rows are skipped silently."""
    for number, cells in enumerate(sheet.rows[header.row:], start=header.row + 1):
        if not all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            yield number, cells


def fill_merged(sheet: Sheet, header: HeaderMatch, report: ImportReport) -> Sheet:
    """A range merged over several data rows (报名日期 or 工作单位 written once for rows 4–8) gives its value to every
    row it covers, as the clerk who merged it meant; each such range is named in the report's warnings."""
    ranges = [r for r in sheet.merged if r[2] > r[0] and r[0] > header.row]
    if not ranges:
        return sheet
    rows = list(sheet.rows)
    labels = {index: header.labels[name] for name, index in header.columns.items() if name in header.labels}
    for top, left, bottom, _right in ranges:
        source = sheet.rows[top - 1] if top - 1 < len(sheet.rows) else ()
        value = source[left - 1] if left - 1 < len(source) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        for number in range(top + 1, min(bottom, len(rows)) + 1):
            cells = list(rows[number - 1])
            cells += [None] * (left - len(cells))
            cells[left - 1] = value
            rows[number - 1] = tuple(cells)
        column = labels.get(left - 1) or f"第 {left} 列"
        report.warnings.append(RowProblem(top + 1, column, f"第 {top}–{bottom} 行的“{column}”是合并单元格：各行都按第 {top} 行的值填入。"))
    return Sheet(sheet.name, rows, sheet.merged)


def rows_with_progress(sheet: Sheet, header: HeaderMatch, report: ImportReport, job: JobContext, text: str,
                       every: int = 1000) -> Iterator[tuple[int, tuple[object, ...]]]:
    """The data rows (counted into the report; merged ranges filled in, see `fill_merged`), with progress every `every`
    rows and at the end; cancel between rows."""
    rows = list(data_rows(fill_merged(sheet, header, report), header))
    while rows and is_footer(rows[-1][1]):
        number, cells = rows.pop()
        text = " ".join(str(v) for v in cells if v is not None and str(v).strip())
        report.warnings.append(RowProblem(number, None, f"表格下方的落款行（{text[:40]}）不是学员，已跳过。"))
    report.rows_read = len(rows)
    for done, row in enumerate(rows, start=1):
        if done % every == 0:
            job.report(done, len(rows), text)
        yield row
    job.report(len(rows), len(rows), text)


def is_footer(cells: tuple[object, ...]) -> bool:
    """A line under the table: its first filled cell starts with 填表人, 审核人, 日期 … (resources/synonyms.json,
    values → footer) followed by a colon, or is that word alone; no other cell holds a long number."""
    filled = [v for v in cells if v is not None and not (isinstance(v, str) and not v.strip())]
    if not filled or not isinstance(filled[0], str):
        return False
    first = "".join((clean_token(filled[0]) or "").split())
    if any(isinstance(v, str) and sum(ch.isdigit() for ch in v) >= 15 for v in filled):
        return False  # an ID number: a learner's row, whatever its first cell says
    for word in synonyms.footer_words():
        if first == word or first.startswith(word + ":"):
            return True
    return False


def cell(cells: tuple[object, ...], header: HeaderMatch, name: str) -> object:
    index = header.columns.get(name)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def yes_no(text: str | None, where: Where, field_name: str) -> bool | None:
    if text is None:
        return None
    if text in ("是", "Y", "y", "yes", "Yes", "1", "√"):
        return True
    if text in ("否", "N", "n", "no", "No", "0", "×"):
        return False
    raise AdultSchoolError(f"“{text}”无法识别：请填写“是”或“否”。", where, field=field_name)


def save_rejected(report: ImportReport, path: Path) -> Path:
    """The rejected rows with their reasons and original cells, for the clerk to fix and import again."""
    reasons: dict[int, list[str]] = {}
    for problem in report.rejected:
        prefix = f"[{problem.column}] " if problem.column else ""
        reasons.setdefault(problem.row, []).append(prefix + problem.reason)
    rows = [RejectedRow(row=n, reason="；".join(reasons[n]), cells=report.rejected_cells.get(n, ())) for n in sorted(reasons)]
    write_rejected_rows(path, sheet_title="未导入的行", headers=report.headers, rejected=rows)
    return path


def open_report(session, kind: str, sheets: list[Sheet], columns: tuple[Column, ...], file: Path, *,  # noqa: ANN001
                dry_run: bool, mapping: Mapping[str, str] | None = None) -> tuple[ImportReport, Sheet, HeaderMatch]:
    """`start_report` with the clerk's mapping, or else the one kept for a sheet with this header row."""
    from adultschool.services import mappings

    return start_report(sheets, columns, file, dry_run=dry_run, mapping=mapping, saved=mappings.saved_for(session, kind))


def keep_mapping(session, kind: str, report: ImportReport, *, name: str | None, actor: str) -> None:  # noqa: ANN001
    """After a real import that used the clerk's own mapping: keep it for the next file with the same header row."""
    from adultschool.services import mappings

    if report.dry_run or not report.mapping or report.mapping_saved:
        return
    report.mapping_saved = mappings.remember(session, kind, report.mapping_signature, report.mapping,
                                             name=name or Path(report.file).stem, actor=actor)
