"""The workbooks we hand out: the R13 summary form and the rejected-rows file, read back as Excel would."""
from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import RecordingJob
from adultschool.xlsx.headers import Column, find_header
from adultschool.xlsx.reading import read_sheets
from adultschool.xlsx.writing import (
    SUMMARY_HEADERS,
    RejectedRow,
    SummaryRow,
    save_atomic,
    set_text,
    write_rejected_rows,
    write_summary_form,
)

ID_TEXT = "33020519900101123X"


def make_summary_row(**changes: str) -> SummaryRow:
    fields = {
        "name": "张三",
        "gender": "男",
        "education": "初中",
        "id_number": ID_TEXT,
        "employer_or_address": "宁波市北仑区新碶街道明州路1号",
        "phone": "13800000000",
        "level": "高中",
    }
    return SummaryRow(**(fields | changes))


def write_form(tmp_path: Path, rows: list[SummaryRow], unit: str = "新碶街道成人文化技术学校") -> Path:
    path = tmp_path / "报名汇总表.xlsx"
    write_summary_form(path, unit=unit, rows=rows)
    return path


def test_summary_form_has_title_unit_line_and_r13_headers_on_row_three(tmp_path: Path) -> None:
    path = write_form(tmp_path, [make_summary_row(), make_summary_row(name="李四", gender="女")])

    sheet = openpyxl.load_workbook(path).active

    assert sheet["A1"].value == "成人“双证制”学历提升报名汇总表"
    assert sheet["A1"].font.bold
    assert sheet["A1"].alignment.horizontal == "center"
    assert "A1:H1" in {str(merged) for merged in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "单位：新碶街道成人文化技术学校"
    assert tuple(cell.value for cell in sheet[3]) == SUMMARY_HEADERS
    assert SUMMARY_HEADERS[4] == "身份证号码" and SUMMARY_HEADERS[7] == "学历提升层次（初中/高中）"
    assert [sheet.cell(row=row, column=1).value for row in (4, 5)] == [1, 2]
    assert [sheet.cell(row=row, column=2).value for row in (4, 5)] == ["张三", "李四"]
    assert sheet.max_row == 5


def test_blank_unit_leaves_a_line_to_fill_in_by_hand(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(write_form(tmp_path, [], unit=" ")).active

    assert sheet["A2"].value.startswith("单位：__")


def test_id_numbers_are_text_cells_in_text_format(tmp_path: Path) -> None:
    path = write_form(tmp_path, [make_summary_row(), make_summary_row(id_number="330206198512310027")])

    sheet = openpyxl.load_workbook(path).active

    for row in (4, 5):
        cell = sheet.cell(row=row, column=5)
        assert isinstance(cell.value, str) and len(cell.value) == 18
        assert cell.data_type == "s"
        assert cell.number_format == "@"
    assert sheet["E5"].value == "330206198512310027"


@pytest.mark.parametrize(
    ("field", "text", "column"),
    [
        ("name", '=HYPERLINK("x")', 2),
        ("employer_or_address", "+1", 6),
        ("employer_or_address", "@SUM(A1)", 6),
        ("phone", "-13800000000", 7),
    ],
)
def test_formula_looking_text_reads_back_as_inert_text(tmp_path: Path, field: str, text: str, column: int) -> None:
    path = write_form(tmp_path, [make_summary_row(**{field: text})])

    cell = openpyxl.load_workbook(path).active.cell(row=4, column=column)

    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    with zipfile.ZipFile(path) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_ordinary_text_gets_no_quote_prefix(tmp_path: Path) -> None:
    cell = openpyxl.load_workbook(write_form(tmp_path, [make_summary_row()])).active["B4"]

    assert cell.value == "张三"
    assert not cell.quotePrefix


def test_form_prints_on_a4_landscape_one_page_wide_with_header_repeated(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(write_form(tmp_path, [make_summary_row()] * 60)).active

    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(sheet.page_setup.fitToWidth) == 1
    assert int(sheet.page_setup.fitToHeight) == 0
    assert sheet.print_title_rows == "$3:$3"


def test_table_has_thin_borders_and_readable_widths(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(write_form(tmp_path, [make_summary_row()])).active

    for coordinate in ("A3", "H3", "A4", "E4", "H4"):
        border = sheet[coordinate].border
        assert {border.left.style, border.right.style, border.top.style, border.bottom.style} == {"thin"}
    assert sheet.column_dimensions["E"].width >= 20  # 18 digits fit


def test_rare_name_characters_survive_the_round_trip(tmp_path: Path) -> None:
    names = ["王堃", "李喆", "张赟", "陈𬌗"]
    path = write_form(tmp_path, [make_summary_row(name=name) for name in names])

    rows = read_sheets(path)[0].rows

    assert [row[1] for row in rows[3:]] == names


def test_cancel_while_writing_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "报名汇总表.xlsx"

    with pytest.raises(Cancelled):
        write_summary_form(path, unit="城关镇", rows=[make_summary_row()] * 1500, job=RecordingJob(cancel_after=1))

    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported_every_thousand_rows(tmp_path: Path) -> None:
    job = RecordingJob()

    write_summary_form(tmp_path / "报名汇总表.xlsx", unit="城关镇", rows=[make_summary_row()] * 2100, job=job)

    assert [(done, total) for done, total, _text in job.reports] == [(1000, 2100), (2000, 2100), (2100, 2100)]


def test_save_atomic_replaces_the_file_and_leaves_no_part(tmp_path: Path) -> None:
    path = tmp_path / "报名汇总表.xlsx"
    path.write_bytes(b"old")
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "新内容"

    save_atomic(workbook, path)

    assert openpyxl.load_workbook(path).active["A1"].value == "新内容"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报名汇总表.xlsx"]


def test_failed_save_removes_the_part_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "报名汇总表.xlsx"
    path.write_bytes(b"old")

    class BrokenWorkbook:
        def save(self, handle) -> None:
            handle.write(b"half a workbook")
            raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        save_atomic(BrokenWorkbook(), path)  # type: ignore[arg-type]

    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["报名汇总表.xlsx"]


def test_target_open_in_excel_gives_a_message_to_close_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(source: object, target: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("adultschool.outfiles.os.replace", locked)

    with pytest.raises(AdultSchoolError) as raised:
        save_atomic(openpyxl.Workbook(), tmp_path / "报名汇总表.xlsx")

    assert "报名汇总表.xlsx" in str(raised.value) and "关闭" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["#N/A", "#DIV/0!", "=", "0574-86123456"])
def test_set_text_keeps_text_that_openpyxl_would_reinterpret(tmp_path: Path, text: str) -> None:
    workbook = openpyxl.Workbook()
    set_text(workbook.active["A1"], text)
    save_atomic(workbook, tmp_path / "t.xlsx")

    cell = openpyxl.load_workbook(tmp_path / "t.xlsx").active["A1"]

    assert (cell.value, cell.data_type) == (text, "s")


def test_set_text_drops_characters_a_workbook_cannot_hold(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    set_text(workbook.active["A1"], "张\x00三\x0b\ufffe")
    save_atomic(workbook, tmp_path / "t.xlsx")

    assert openpyxl.load_workbook(tmp_path / "t.xlsx").active["A1"].value == "张三"


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_any_text_reads_back_as_the_same_text_never_a_formula(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("set_text") / "t.xlsx"
    workbook = openpyxl.Workbook()
    set_text(workbook.active["A1"], text)
    save_atomic(workbook, path)

    cell = openpyxl.load_workbook(path).active["A1"]

    expected = text.replace("\ufffe", "").replace("\uffff", "")
    assert cell.data_type == "s"
    assert (cell.value or "") == expected


def test_rejected_rows_round_trip_for_fixing_and_reimport(tmp_path: Path) -> None:
    path = tmp_path / "未导入的行.xlsx"
    headers = ["姓名", "身份证号码", "出生日期", "联系电话"]
    rejected = [
        RejectedRow(row=5, reason="身份证号码存成了数字，最后几位已丢失。", cells=("张三", 3.30205199001011e17, None, 13800000000)),
        RejectedRow(row=9, reason="姓名不能以“=”开头。", cells=('=HYPERLINK("x")', ID_TEXT)),
        RejectedRow(row=12, reason="多了一列。", cells=("李堃", ID_TEXT, "1990-01-01", "13900000000", "备注")),
    ]

    write_rejected_rows(path, sheet_title="城关镇/报名表", headers=headers, rejected=rejected)

    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "城关镇_报名表"
    assert [cell.value for cell in sheet[1]][:6] == ["行号", "原因", *headers]
    assert [sheet.cell(row=row, column=1).value for row in (2, 3, 4)] == [5, 9, 12]
    assert sheet["B2"].value == rejected[0].reason
    assert sheet["D2"].value == 3.30205199001011e17  # the number as Excel had it, not repaired
    assert sheet["F2"].value == 13800000000
    assert sheet["C3"].value == '=HYPERLINK("x")' and sheet["C3"].data_type == "s" and sheet["C3"].quotePrefix
    assert sheet["D3"].value == ID_TEXT and sheet["D3"].number_format == "@"
    assert sheet["D2"].number_format == "@"  # so the retyped ID stays text
    assert sheet["C4"].value == "李堃"
    assert sheet["G4"].value == "备注"
    assert list(tmp_path.iterdir()) == [path]

    reread = read_sheets(path)[0]
    match = find_header(reread, [Column("name", "姓名", required=True), Column("id_number", "身份证号码")])
    assert (match.row, match.columns) == (1, {"name": 2, "id_number": 3})


def test_rejected_rows_id_column_found_by_its_values_gets_text_format(tmp_path: Path) -> None:
    path = tmp_path / "未导入的行.xlsx"

    write_rejected_rows(
        path,
        sheet_title="报名表",
        headers=["姓名", "证号"],
        rejected=[RejectedRow(row=3, reason="年龄超过60周岁。", cells=("张三", ID_TEXT))],
    )

    sheet = openpyxl.load_workbook(path).active
    assert sheet["D2"].value == ID_TEXT and sheet["D2"].number_format == "@"
    assert sheet["C2"].number_format == "General"
