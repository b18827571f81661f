"""Cell hygiene on import: Excel's numbers, dates and IME text turned into what the clerk meant."""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from adultschool.errors import AdultSchoolError, Where
from adultschool.xlsx.cells import cell_text, date_value, id_text
from adultschool.xlsx.headers import Column, find_header
from adultschool.xlsx.reading import read_sheets

ID_TEXT = "33020519900101123X"
WHERE = Where(sheet="报名表", row=4, column="身份证号码")


def test_id_typed_into_a_general_cell_is_rejected_with_row_column_and_fix(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "报名表"
    sheet.append(["成人“双证制”学历提升报名汇总表"])
    sheet.append(["单位：城关镇成人文化技术学校"])
    sheet.append(["姓名", "身份证号码"])
    sheet.append(["张三", 330205199001011234.0])  # what Excel keeps of an 18-digit number
    workbook.save(tmp_path / "名单.xlsx")
    roster = read_sheets(tmp_path / "名单.xlsx")[0]
    header = find_header(roster, [Column("name", "姓名"), Column("id_number", "身份证号码")])
    value = roster.rows[3][header.columns["id_number"]]
    assert isinstance(value, float)

    with pytest.raises(AdultSchoolError) as raised:
        id_text(value, Where(sheet=roster.name, row=4, column=header.labels["id_number"]))

    message = str(raised.value)
    assert "工作表“报名表”，第 4 行，“身份证号码”列" in message
    assert "丢失" in message and "文本" in message and "单引号" in message
    assert "3302051990" not in message  # never an ID number in a message
    assert raised.value.field == "id_number"


@pytest.mark.parametrize("number", [330205199001011234, 3.30205199001011e17, 330205900101123])
def test_any_number_in_the_id_column_is_rejected(number: float) -> None:
    with pytest.raises(AdultSchoolError, match="存成了数字") as raised:
        id_text(number, WHERE)
    assert raised.value.where == WHERE


@pytest.mark.parametrize("shown", ["3.30205E+17", "3.30205199001011e+17", " 3.30205E17 ", "３.３０２０５Ｅ＋１７"])
def test_scientific_notation_text_is_rejected_as_lost_digits(shown: str) -> None:
    with pytest.raises(AdultSchoolError, match="最后几位已经丢失") as raised:
        id_text(shown, WHERE)
    assert raised.value.field == "id_number"


def test_id_text_keeps_what_was_typed_except_outer_blanks() -> None:
    assert id_text(f"  {ID_TEXT}\u3000", WHERE) == ID_TEXT
    assert id_text("３３０２０５１９９００１０１１２３Ｘ", WHERE) == "３３０２０５１９９００１０１１２３Ｘ"
    assert id_text("   ", WHERE) is None
    assert id_text(None, WHERE) is None


@pytest.mark.parametrize("value", [True, date(1990, 1, 1)])
def test_id_cell_holding_a_date_or_boolean_is_rejected(value: object) -> None:
    with pytest.raises(AdultSchoolError, match="文本"):
        id_text(value, WHERE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("\u3000 ", None),
        ("  张　三 ", "张 三"),
        ("ＡＢＣ１２３", "ABC123"),
        (True, "是"),
        (False, "否"),
        (13800000000, "13800000000"),
        (13800000000.0, "13800000000"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (datetime(2024, 3, 1, 0, 0), "2024-03-01"),
        (date(2024, 3, 1), "2024-03-01"),
        (time(19, 30), "19:30"),
    ],
)
def test_cell_text(value: object, expected: str | None) -> None:
    assert cell_text(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        date(2024, 3, 1),
        datetime(2024, 3, 1, 8, 30),
        "2024-03-01",
        "2024/3/1",
        "2024.3.1",
        "2024年3月1日",
        " ２０２４年３月１日 ",
        "2024 年 3 月 1 日",
    ],
)
def test_date_value_accepts_excel_dates_and_common_typed_forms(value: object) -> None:
    assert date_value(value, WHERE) == date(2024, 3, 1)


def test_blank_date_is_none() -> None:
    assert date_value(None, WHERE) is None
    assert date_value("  ", WHERE) is None


@pytest.mark.parametrize("value", ["2024-3/1", "3/1/2024", "下周一", "2024-03", 45352, 20240301])
def test_unreadable_date_says_which_forms_work(value: object) -> None:
    with pytest.raises(AdultSchoolError, match="2024-03-01") as raised:
        date_value(value, WHERE)
    assert raised.value.where == WHERE


def test_impossible_date_is_named() -> None:
    with pytest.raises(AdultSchoolError, match="不存在"):
        date_value("2023年2月29日", WHERE)


def test_id_number_pasted_into_a_date_column_is_not_echoed() -> None:
    with pytest.raises(AdultSchoolError) as raised:
        date_value(ID_TEXT, WHERE)
    assert "3302051990" not in str(raised.value)
