"""Reading workbooks from outside: real .xlsx files in tmp_path, broken and hostile ones included."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import RecordingJob
from adultschool.xlsx import reading
from adultschool.xlsx.reading import Sheet, check_zip_safety, read_sheets

HEADERS = ["序号", "姓名", "性别", "文化程度", "身份证号码", "工作单位或家庭地址", "联系电话", "学历提升层次（初中/高中）"]


def make_roster(path: Path, learners: int = 2) -> Path:
    """An R13-style roster as a township sends it: title, unit line, header on row 3, learners below."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "报名表"
    sheet["A1"] = "成人“双证制”学历提升报名汇总表"
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "单位：城关镇成人文化技术学校"
    sheet.append(HEADERS)
    for number in range(1, learners + 1):
        sheet.append([number, f"学员{number}", "男", "初中", "33020519900101123X", "城关镇建设路1号", "13800000000", "高中"])
    workbook.save(path)
    return path


def rewrite_member(path: Path, member: str, transform) -> None:
    """Rewrite one part of an .xlsx package in place (to fake what other tools produce)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts[member] = transform(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_roster_rows_come_back_with_sheet_row_one_at_index_zero(tmp_path: Path) -> None:
    path = make_roster(tmp_path / "名单.xlsx", learners=3)

    sheets = read_sheets(path)

    assert [sheet.name for sheet in sheets] == ["报名表"]
    rows = sheets[0].rows
    assert rows[0] == ("成人“双证制”学历提升报名汇总表",)  # merged title: value in A1 only
    assert rows[1] == ("单位：城关镇成人文化技术学校",)
    assert rows[2] == tuple(HEADERS)
    assert rows[5][:2] == (3, "学员3")
    assert len(rows) == 6


def test_trailing_empty_and_blank_rows_are_dropped_but_gaps_keep_row_numbers(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "姓名"
    sheet["A3"] = "张三"  # row 2 left empty on purpose
    sheet["A7"] = "   "  # a blank typed far below
    sheet["C9"].border = openpyxl.styles.Border(left=openpyxl.styles.Side("thin"))  # formatted, no value
    workbook.save(tmp_path / "名单.xlsx")

    rows = read_sheets(tmp_path / "名单.xlsx")[0].rows

    assert rows == [("姓名",), (), ("张三",)]


def test_wrong_dimension_from_another_tool_does_not_cut_rows_off(tmp_path: Path) -> None:
    path = make_roster(tmp_path / "名单.xlsx", learners=5)
    # Some web systems write <dimension ref="A1"/> whatever the sheet holds.
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', xml),
    )
    with zipfile.ZipFile(path) as archive:
        assert b'<dimension ref="A1:B2"' in archive.read("xl/worksheets/sheet1.xml")

    rows = read_sheets(path)[0].rows

    assert len(rows) == 8
    assert rows[7][7] == "高中"


def test_file_name_without_xlsx_extension_is_still_read(tmp_path: Path) -> None:
    # Chat downloads arrive as '名单.xlsx(1)'; the content decides, not the name.
    path = make_roster(tmp_path / "名单.xlsx")
    renamed = path.rename(tmp_path / "名单.xlsx(1)")

    assert read_sheets(renamed)[0].rows[2] == tuple(HEADERS)


def test_text_file_named_xlsx_is_refused_as_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    path.write_text("姓名,身份证号码\n张三,33020519900101123X\n", encoding="utf-8")

    with pytest.raises(AdultSchoolError) as raised:
        read_sheets(path)

    assert "名单.xlsx" in str(raised.value)
    assert "不是 Excel 工作簿" in str(raised.value)


def test_old_xls_or_wps_file_asks_to_save_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "名单.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    with pytest.raises(AdultSchoolError) as raised:
        check_zip_safety(path)

    message = str(raised.value)
    assert "名单.xls" in message
    assert ".xls" in message and ".et" in message
    assert "另存为" in message


def test_missing_file_says_it_cannot_be_found(tmp_path: Path) -> None:
    with pytest.raises(AdultSchoolError, match="找不到文件“名单.xlsx”"):
        read_sheets(tmp_path / "名单.xlsx")


def test_zip_bomb_is_refused_before_openpyxl_inflates_it(tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(50 * 1024 * 1024))
    assert path.stat().st_size < 200 * 1024  # ~50 MB of zeros squeeze to ~50 KB

    with pytest.raises(AdultSchoolError) as raised:
        read_sheets(path)

    assert "名单.xlsx" in str(raised.value)
    assert "压缩炸弹" in str(raised.value)


def test_package_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for index in range(reading.MAX_MEMBERS + 1):
            archive.writestr(f"x/{index}", b"")

    with pytest.raises(AdultSchoolError, match="10001 个部件"):
        check_zip_safety(path)


def test_package_declaring_too_much_data_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Building 500 MB in a test is slow; the limit is the same code path at a smaller size.
    monkeypatch.setattr(reading, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/image1.png", bytes(2 * 1024 * 1024))

    with pytest.raises(AdultSchoolError, match="超过上限 1 MB"):
        check_zip_safety(path)


def test_ordinary_workbook_passes_the_zip_checks(tmp_path: Path) -> None:
    check_zip_safety(make_roster(tmp_path / "名单.xlsx", learners=2000))


def test_truncated_download_is_reported_as_damaged(tmp_path: Path) -> None:
    path = make_roster(tmp_path / "名单.xlsx", learners=200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(AdultSchoolError) as raised:
        read_sheets(path)

    assert "名单.xlsx" in str(raised.value)
    assert "损坏" in str(raised.value)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda xml: xml[: len(xml) // 2], id="sheet-xml-cut-off"),
        pytest.param(lambda xml: b"not xml at all", id="sheet-xml-garbage"),
        pytest.param(
            lambda xml: b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            + xml,
            id="entity-expansion",
        ),
    ],
)
def test_broken_sheet_inside_a_valid_zip_becomes_one_clear_error(tmp_path: Path, damage) -> None:
    path = make_roster(tmp_path / "名单.xlsx")
    rewrite_member(path, "xl/worksheets/sheet1.xml", damage)

    with pytest.raises(AdultSchoolError) as raised:
        read_sheets(path)

    assert str(raised.value).startswith("无法读取“名单.xlsx”：文件已损坏或不是 Excel 工作簿")


def test_zip_that_is_not_a_workbook_becomes_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "这是一个压缩包")

    with pytest.raises(AdultSchoolError, match="无法读取“名单.xlsx”"):
        read_sheets(path)


def test_progress_is_reported_every_thousand_rows(tmp_path: Path) -> None:
    path = make_roster(tmp_path / "名单.xlsx", learners=2500)
    job = RecordingJob()

    sheets = read_sheets(path, job=job)

    assert len(sheets[0].rows) == 2503
    assert [done for done, _total, _text in job.reports] == [1000, 2000]
    assert "报名表" in job.reports[0][2]


def test_cancel_while_reading_raises_cancelled_and_closes_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_roster(tmp_path / "名单.xlsx", learners=1500)
    closed: list[bool] = []
    original_close = openpyxl.workbook.workbook.Workbook.close

    def recording_close(self) -> None:
        closed.append(True)
        original_close(self)

    monkeypatch.setattr(openpyxl.workbook.workbook.Workbook, "close", recording_close)

    with pytest.raises(Cancelled):
        read_sheets(path, job=RecordingJob(cancel_after=1))
    assert closed == [True]


def test_keyboard_interrupt_is_not_turned_into_a_file_error(tmp_path: Path) -> None:
    class InterruptedJob:
        def report(self, done: int, total: int | None, text: str = "") -> None:
            raise KeyboardInterrupt

        def check_cancelled(self) -> None:
            pass

    path = make_roster(tmp_path / "名单.xlsx", learners=1000)

    with pytest.raises(KeyboardInterrupt):
        read_sheets(path, job=InterruptedJob())


def test_every_worksheet_is_read_in_order_with_values_not_formulas(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "城关镇"
    workbook.active.append(["姓名", "课时"])
    workbook.active.append(["张三", 12])
    second = workbook.create_sheet("新碶街道")
    second.append(["姓名", "课时"])
    second.append(["李四", "=SUM(1,2)"])  # no cached value: openpyxl never computes
    buffer = io.BytesIO()
    workbook.save(buffer)
    (tmp_path / "名单.xlsx").write_bytes(buffer.getvalue())

    sheets = read_sheets(tmp_path / "名单.xlsx")

    assert sheets == [
        Sheet(name="城关镇", rows=[("姓名", "课时"), ("张三", 12)]),
        Sheet(name="新碶街道", rows=[("姓名", "课时"), ("李四",)]),
    ]
