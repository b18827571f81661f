"""Finding the header row of rosters the way townships really lay them out."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from adultschool.errors import AdultSchoolError
from adultschool.xlsx.headers import Column, find_header, normalise_header
from adultschool.xlsx.reading import Sheet, read_sheets

# The caller's column list for a registration roster (services own the real one).
ROSTER_COLUMNS = (
    Column("name", "姓名", required=True),
    Column("gender", "性别"),
    Column("education", "文化程度", aliases=("原文化程度",)),
    Column("id_number", "身份证号码", aliases=("身份证号", "公民身份号码"), required=True),
    Column("employer_or_address", "工作单位或家庭地址", aliases=("工作单位", "家庭地址")),
    Column("phone", "联系电话", aliases=("手机号码",)),
    Column("level", "学历提升层次", aliases=("报读层次",), required=True),
)


def roster_sheet(tmp_path: Path, header: list[str | None], *, above: list[list[str]] | None = None) -> Sheet:
    """Write a real roster file (title lines `above`, then `header`, then one learner) and read it back."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "报名表"
    for line in above or []:
        sheet.append(line)
    sheet.append(header)
    sheet.append(["张三" if text and "名" in text else "x" for text in header])
    for row in range(1, len(above or []) + 1):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(len(header), 2))
    path = tmp_path / "名单.xlsx"
    workbook.save(path)
    return read_sheets(path)[0]


R13_ABOVE = [["成人“双证制”学历提升报名汇总表"], ["单位：城关镇成人文化技术学校"]]
R13_HEADER = ["序号", "姓名", "性别", "文化程度", "身份证号码", "工作单位或家庭地址", "联系电话", "学历提升层次（初中/高中）"]


def test_r13_form_header_on_row_three_below_merged_title_and_unit_line(tmp_path: Path) -> None:
    sheet = roster_sheet(tmp_path, R13_HEADER, above=R13_ABOVE)

    match = find_header(sheet, ROSTER_COLUMNS)

    assert match.row == 3
    assert match.columns == {
        "name": 1,
        "gender": 2,
        "education": 3,
        "id_number": 4,
        "employer_or_address": 5,
        "phone": 6,
        "level": 7,
    }
    assert match.labels["level"] == "学历提升层次（初中/高中）"


def test_shuffled_columns_with_ime_variants_are_found(tmp_path: Path) -> None:
    header = ["联系电话(手机)", "报读层次", "* 姓　名", "身份证号", None, "ＸＸ备注", "性 别"]

    match = find_header(roster_sheet(tmp_path, header, above=[["2024年春季报名"]]), ROSTER_COLUMNS)

    assert match.row == 2
    assert match.columns == {"phone": 0, "level": 1, "name": 2, "id_number": 3, "gender": 6}
    assert match.labels["name"] == "* 姓　名"


@pytest.mark.parametrize("written", ["身份证号", "身份证号码", "公民身份号码", "身份证号码（18位）", "※身份证号"])
def test_id_number_header_variants_listed_by_the_caller_are_accepted(tmp_path: Path, written: str) -> None:
    match = find_header(roster_sheet(tmp_path, ["姓名", written, "学历提升层次"]), ROSTER_COLUMNS)

    assert match.columns["id_number"] == 1
    assert match.labels["id_number"] == written


def test_label_with_bracketed_note_matches_header_written_without_it(tmp_path: Path) -> None:
    columns = (Column("level", "学历提升层次（初中/高中）", required=True),)

    match = find_header(roster_sheet(tmp_path, ["姓名", "学历提升层次"]), columns)

    assert match.columns == {"level": 1}


def test_two_columns_meaning_the_id_number_are_refused_naming_both(tmp_path: Path) -> None:
    header = ["姓名", "身份证号", "学历提升层次", "公民身份号码"]

    with pytest.raises(AdultSchoolError) as raised:
        find_header(roster_sheet(tmp_path, header, above=R13_ABOVE), ROSTER_COLUMNS)

    message = str(raised.value)
    assert "“身份证号”" in message and "“公民身份号码”" in message
    assert "第 3 行" in message
    assert raised.value.where is not None and raised.value.where.row == 3


def test_header_that_could_mean_two_columns_is_refused(tmp_path: Path) -> None:
    columns = (
        Column("mobile", "联系电话（手机）", required=True),
        Column("landline", "联系电话（固话）"),
    )

    with pytest.raises(AdultSchoolError) as raised:
        find_header(roster_sheet(tmp_path, ["姓名", "联系电话"]), columns)

    assert "“联系电话”" in str(raised.value)
    assert "“联系电话（手机）”" in str(raised.value) and "“联系电话（固话）”" in str(raised.value)


def test_exact_header_wins_over_a_shortened_reading(tmp_path: Path) -> None:
    columns = (
        Column("mobile", "联系电话（手机）", required=True),
        Column("landline", "联系电话（固话）"),
    )

    match = find_header(roster_sheet(tmp_path, ["联系电话(固话)", "联系电话（手机）"]), columns)

    assert match.columns == {"landline": 0, "mobile": 1}


def test_missing_required_column_is_named_by_its_label(tmp_path: Path) -> None:
    header = ["序号", "姓名", "性别", "文化程度", "工作单位或家庭地址", "联系电话", "学历提升层次"]

    with pytest.raises(AdultSchoolError) as raised:
        find_header(roster_sheet(tmp_path, header, above=R13_ABOVE), ROSTER_COLUMNS)

    message = str(raised.value)
    assert "缺少必需的列：“身份证号码”" in message
    assert "第 3 行" in message
    assert "前 10 行" in message


def test_header_below_the_scanned_rows_is_not_found(tmp_path: Path) -> None:
    above = [[f"说明第{number}行"] for number in range(1, 11)]

    with pytest.raises(AdultSchoolError) as raised:
        find_header(roster_sheet(tmp_path, R13_HEADER, above=above), ROSTER_COLUMNS)
    assert "前 10 行" in str(raised.value)
    assert "“身份证号码”" in str(raised.value)

    assert find_header(roster_sheet(tmp_path, R13_HEADER, above=above), ROSTER_COLUMNS, scan_rows=11).row == 11


def test_row_with_most_matches_wins_over_a_partial_one_above(tmp_path: Path) -> None:
    # A note row above the table happens to name two of the columns.
    above = [["姓名"], ["身份证号码", "姓名", "学历提升层次"]]
    header = ["姓名", "性别", "身份证号码", "联系电话", "学历提升层次"]

    match = find_header(roster_sheet(tmp_path, header, above=above), ROSTER_COLUMNS)

    assert match.row == 3
    assert match.columns["phone"] == 3


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("身份证号码", "身份证号码"),
        ("  身份证\n号码 ", "身份证号码"),
        ("*姓　名", "姓名"),
        ("※联系电话", "联系电话"),
        ("＊姓名", "姓名"),
        ("学历提升层次（初中/高中）", "学历提升层次(初中/高中)"),
        ("学历提升层次【初中／高中】", "学历提升层次(初中/高中)"),
        ("ＱＱ号", "qq号"),
    ],
)
def test_normalise_header(written: str, expected: str) -> None:
    assert normalise_header(written) == expected
