"""Every file a township sends reads right (issue 17): .xls/.et/.ods written by LibreOffice, WPS-style .xlsx parts, CSV in
every Windows encoding, Excel's ' prefix, lock files, line breaks in headers, synonyms, footers, optional fields, grid
attendance sheets and surveys without ID numbers — each through the import a clerk runs, real files written and read."""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Attendance, ClassSession, ClassType, Enrolment, ExamMark, Learner, Level, SurveyContact
from adultschool.services import classes, exam_results, imports, mappings, registration, roster, survey
from adultschool.services.sheet_import import ColumnsNotFound
from adultschool.rule_defaults import Rules
from adultschool.xlsx import read_table
from factories import R13_HEADERS, make_id, r13_row, write_roster

pytestmark = pytest.mark.server_db

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: Debian package "
                                   "libreoffice-calc-nogui, installed by scripts/test")
REGISTERED_ON = date(2026, 3, 2)


def run_roster(db, path, **options):
    options.setdefault("township", "大碶街道")
    with unit_of_work(db.engine) as session:
        return roster.import_roster(session, path, registered_on=REGISTERED_ON, actor="tester", **options)


def convert(path: Path, to: str) -> Path:
    """The workbook as LibreOffice saves it (xls: Excel 97–2003, ods: OpenDocument)."""
    out = path.parent / "converted"
    out.mkdir(exist_ok=True)
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{path.parent / 'lo-profile'}",
                    "--convert-to", to, "--outdir", str(out), str(path)], check=True, capture_output=True, timeout=180)
    return out / f"{path.stem}.{to}"


def three_learners(tmp_path: Path) -> tuple[Path, list[str]]:
    ids = [make_id(date(1985 + i, 2, 3), serial=i) for i in range(3)]
    path = write_roster(tmp_path / "大碶.xlsx", [r13_row(i + 1, name, ids[i]) for i, name in enumerate(["陈堃", "林喆", "赵赟"])])
    return path, ids


# --- readers -----------------------------------------------------------------------------------------------------

@needs_soffice
@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_a_roster_saved_by_libreoffice_as_xls_or_ods_registers_everyone(school_db, tmp_path, kind):
    path, ids = three_learners(tmp_path)
    converted = convert(path, kind)
    report = run_roster(school_db, converted)
    assert (report.imported, report.rejected) == (3, [])
    with read_session(school_db.engine) as session:
        assert set(session.execute(select(Learner.id_number)).scalars()) == set(ids)


@needs_soffice
def test_a_wps_et_file_is_read_like_the_xls_it_is(school_db, tmp_path):
    # WPS's .et is an OLE2 compound file holding BIFF records, as .xls; it is named by its extension only.
    path, ids = three_learners(tmp_path)
    et = convert(path, "xls").rename(tmp_path / "大碶.et")
    assert run_roster(school_db, et).imported == 3


@needs_soffice
def test_merged_ranges_of_an_xls_and_an_ods_reach_every_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "工作单位"])
    for name in ("甲", "乙", "丙"):
        ws.append([name, "富邦铝业" if name == "甲" else None])
    ws.merge_cells("B2:B4")
    wb.save(tmp_path / "m.xlsx")
    for kind in ("xls", "ods"):
        [sheet] = read_table(convert(tmp_path / "m.xlsx", kind))
        assert sheet.merged == ((2, 2, 4, 2),), kind


def test_wps_style_parts_with_a_wrong_dimension_and_prefixed_tags_are_read_whole(school_db, tmp_path):
    """WPS writes <dimension ref="A1"/> whatever the sheet holds, and some exporters prefix every tag (x:row, x:c)."""
    path, ids = three_learners(tmp_path)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', sheet)
    sheet = sheet.replace(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    sheet = re.sub(rb"<(/?)(?!x:)([A-Za-z]+)", rb"<\1x:\2", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert b'<x:dimension ref="A1"/>' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert run_roster(school_db, path).imported == 3


def test_an_xlsx_with_a_stray_far_cell_is_read_by_the_streaming_reader(tmp_path):
    path, _ = three_learners(tmp_path)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'<row r="900000"><c r="XFD900000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    [sheet] = read_table(path)
    assert len(sheet.rows) == 900000 and sheet.rows[-1][-1] == "x" and sheet.rows[3][1] == "陈堃"


def test_error_cells_read_as_their_text_and_formulas_as_their_cached_value(tmp_path):
    path, _ = three_learners(tmp_path)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'<row r="9"><c r="A9" t="e"><f>VLOOKUP(1,B:B,2)</f><v>#N/A</v></c>'
                         b'<c r="B9"><f>1+1</f><v>2</v></c><c r="C9"><f>1+2</f></c></row></sheetData>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    [sheet] = read_table(path)
    assert sheet.rows[8] == ("#N/A", 2)  # never the formula text; no cached value is no value


def test_excels_lock_file_is_named_as_such(tmp_path):
    lock = tmp_path / "~$大碶街道报名表.xlsx"
    lock.write_bytes(b"\x05zhang" + bytes(160))
    with pytest.raises(AdultSchoolError) as raised:
        read_table(lock)
    assert "临时文件" in str(raised.value) and "“大碶街道报名表.xlsx”" in str(raised.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le"])
def test_a_csv_roster_in_any_windows_encoding_with_the_text_prefix_registers(school_db, tmp_path, encoding):
    ids = [make_id(date(1980, 1, 2), serial=1), make_id(date(1981, 1, 2), serial=2)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t" if encoding.startswith("utf-16") else ",")
    writer.writerow(R13_HEADERS)
    # The program's own advice for Excel: type ' before the ID so it stays text; in a CSV the ' arrives as is.
    writer.writerow([1, "陈堃", "男", "初中", "'" + ids[0], "大碶", "'13805740001", "高中"])
    writer.writerow([2, "林喆", "男", "初中", ids[1], "大碶", "13805740002", "高中"])
    path = tmp_path / "名单.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    report = run_roster(school_db, path)
    assert (report.imported, report.rejected) == (2, [])
    with read_session(school_db.engine) as session:
        assert dict(session.execute(select(Learner.id_number, Learner.phone)).all())[ids[0]] == "13805740001"


def test_a_header_holding_a_line_break_is_named_cleanly(school_db, tmp_path):
    headers = ["序号", "姓名", "性别", "文化程度", "身份证\n号码", "工作单位或家庭地址", "联系\n电话", "学历提升层次\n（初中/高中）"]
    path = write_roster(tmp_path / "r.xlsx", [r13_row(1, "陈堃", "123")], headers=headers)
    report = run_roster(school_db, path)
    assert report.rejected[0].column == "身份证号码"
    assert "联系电话" in report.headers and "\n" not in "".join(report.headers)


# --- synonyms, optional fields, footers ----------------------------------------------------------------------------

def test_the_observed_words_are_understood(school_db, tmp_path):
    """高 中 (a space typed between), 有意向, 病假, 75分, 是否有学历提升意愿."""
    path = write_roster(tmp_path / "r.xlsx", [r13_row(1, "陈堃", make_id(date(1990, 1, 5)), "高 中")])
    assert run_roster(school_db, path).imported == 1
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号码", "是否有学历提升意愿"])
    wb.active.append(["孙犇", make_id(date(1979, 4, 4), serial=5), "有意向"])
    wb.save(tmp_path / "s.xlsx")
    with unit_of_work(school_db.engine) as session:
        report = survey.import_survey(session, tmp_path / "s.xlsx", actor="tester", surveyed_on=date(2026, 2, 1),
                                      township="大碶街道")
    assert (report.imported, report.rejected) == (1, [])
    assert classes.parse_status("病假").value == "excused"
    from adultschool.xlsx.reading import Sheet  # noqa: F401 - the score parser reads cells
    assert exam_results.parse_score("75分", None) == (ExamMark.SCORED, 75.0)


def test_optional_fields_that_cannot_be_used_are_warnings_and_the_registration_is_made(school_db, tmp_path):
    rows = [r13_row(1, "无电话", make_id(date(1990, 1, 5), serial=1), phone="无"),
            r13_row(2, "缺区号", make_id(date(1990, 1, 6), serial=2), phone="86123456"),
            r13_row(3, "两个号", make_id(date(1990, 1, 7), serial=3), phone="13805740001/13805740002"),
            r13_row(4, "长地址", make_id(date(1990, 1, 8), serial=4), address="很" * 400)]
    report = run_roster(school_db, write_roster(tmp_path / "r.xlsx", rows))
    assert (report.imported, report.rejected) == (4, [])
    warned = {(w.row, w.column) for w in report.warnings}
    assert {(4, "联系电话"), (5, "联系电话"), (6, "联系电话"), (7, "工作单位或家庭地址")} <= warned
    assert any("缺少区号" in w.reason for w in report.warnings if w.row == 5)
    with read_session(school_db.engine) as session:
        stored = session.execute(select(Learner.name, Learner.phone, Learner.address)).all()
    phones = {name: phone for name, phone, _ in stored}
    assert phones == {"无电话": None, "缺区号": None, "两个号": None, "长地址": "13857412345"}  # never a guess
    assert next(a for n, _, a in stored if n == "长地址") is None


def test_footer_lines_under_the_table_are_skipped_and_named(school_db, tmp_path):
    rows = [r13_row(1, "陈堃", make_id(date(1990, 1, 5))), [None] * 8,
            ["填表人：王老师", None, None, "审核人：李校长"], ["日期：2026年3月2日"]]
    report = run_roster(school_db, write_roster(tmp_path / "r.xlsx", rows))
    assert (report.imported, report.rejected, report.rows_read) == (1, [], 1)
    assert sorted(w.row for w in report.warnings if "落款" in w.reason) == [6, 7]


# --- column mapping ------------------------------------------------------------------------------------------------

def test_a_header_without_the_needed_columns_offers_its_row_and_guesses(school_db, tmp_path):
    headers = ["序号", "名 称", "身份号", "学历提升", "手机"]
    path = write_roster(tmp_path / "r.xlsx", [[1, "陈堃", make_id(date(1990, 1, 5)), "高中", "13805740001"]],
                        headers=headers, title=None, unit=None)
    with pytest.raises(ColumnsNotFound) as raised:
        run_roster(school_db, path)
    proposal = raised.value.proposal
    assert proposal.row == 1 and proposal.headers == tuple(headers)
    assert proposal.guesses["id_number"] == 2 and proposal.guesses["level"] == 3 and proposal.guesses["name"] is None
    with unit_of_work(school_db.engine) as session:
        mapping = mappings.resolve(session, "roster", roster.ROSTER_COLUMNS,
                                   pairs=["姓名=名 称", "身份证号码=身份号", "学历提升层次=学历提升"])
    report = run_roster(school_db, path, mapping=mapping, mapping_name="大碶街道")
    assert report.imported == 1 and report.mapping_saved == "大碶街道"
    with read_session(school_db.engine) as session:
        assert mappings.named(session, "roster", "大碶街道")["name"] == "名 称"
    again = write_roster(tmp_path / "r2.xlsx", [[1, "林喆", make_id(date(1991, 1, 5), serial=4), "初中", ""]],
                         headers=headers, title=None, unit=None)
    assert run_roster(school_db, again).imported == 1  # the kept mapping, found by the header row


def test_a_column_mapped_twice_is_refused_naming_both(school_db, tmp_path):
    path = write_roster(tmp_path / "r.xlsx", [[1, "陈堃", make_id(date(1990, 1, 5)), "高中"]],
                        headers=["序号", "名称", "身份号", "学历提升"], title=None, unit=None)
    with pytest.raises(AdultSchoolError, match="“姓名”和“工作单位”"):
        run_roster(school_db, path, mapping={"name": "名称", "employer": "名称", "id_number": "身份号", "level": "学历提升"})


def test_cli_map_and_mapping_options(school_db, tmp_path, capsys):
    from adultschool.cli import main

    headers = ["序号", "名 称", "身份号", "学历提升"]
    path = write_roster(tmp_path / "r.xlsx", [[1, "陈堃", make_id(date(1990, 1, 5)), "高中"]], headers=headers,
                        title=None, unit=None)
    db = str(school_db.url) if school_db.path is None else str(school_db.path)
    assert main(["roster", "import", str(path), "--db", db, "--township", "大碶街道"]) == 2
    err = capsys.readouterr().err
    assert "没有找到表头" in err and "--map 身份证号码=身份号" in err and "B“名 称”" in err
    assert main(["roster", "import", str(path), "--db", db, "--township", "大碶街道", "--map", "姓名=名 称",
                 "--map", "身份证号码=身份号", "--map", "学历提升层次=学历提升", "--save-mapping", "大碶"]) == 0
    assert capsys.readouterr().out.strip().endswith("imported 1, rejected 0")
    assert main(["imports", "mappings", "--db", db, "--format", "json"]) == 0
    assert '"大碶"' in capsys.readouterr().out
    other = write_roster(tmp_path / "r2.xlsx", [[1, "林喆", make_id(date(1991, 1, 5), serial=4), "初中"]],
                         headers=["序号", "名 称", "身份号", "学历提升", "备注"], title=None, unit=None)
    assert main(["roster", "import", str(other), "--db", db, "--township", "大碶街道", "--mapping", "大碶"]) == 0


# --- grid attendance -----------------------------------------------------------------------------------------------

@pytest.fixture
def night_class(school_db):
    with unit_of_work(school_db.engine) as session:
        numbers = []
        for serial, name in enumerate(["陈堃", "林喆", "赵赟"], start=1):
            data = registration.RegistrationInput(name=name, id_number=make_id(date(1985, 1, serial), serial=serial),
                                                  level="高中", registered_on=date(2026, 9, 1), township="大碶街道")
            numbers.append(registration.register_one(session, data, Rules.defaults(), actor="tester")[0].student_number)
        info = classes.create_class(session, name="大碶夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 9, 1), actor="tester")
        classes.add_members(session, info.id, numbers, joined_on=date(2026, 9, 1), actor="tester")
    return numbers


def grid_sheet(path: Path, rows: list[list[object]], headers: list[object], *, hours_row: list[object] | None = None,
               title: str | None = "班级：大碶夜校班") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(headers)
    if hours_row:
        ws.append(hours_row)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_a_grid_sheet_becomes_sessions_and_marks_and_can_be_undone(school_db, tmp_path, night_class):
    path = grid_sheet(tmp_path / "考勤.xlsx", [["陈堃", "√", "迟", "假"], ["林喆", "×", 2, None], ["赵赟", "√", "√", "病假"],
                                              ["填表人：王老师"]],
                      ["姓名", date(2026, 11, 3), "2026-11-10", "11月17日"], hours_row=["课时", 2, 2, 1.5])
    with unit_of_work(school_db.engine) as session:
        report = classes.import_attendance(session, path, actor="tester")
    assert (report.imported, report.rejected) == (8, [])  # an empty cell is no mark, never absent
    with read_session(school_db.engine) as session:
        lessons = session.execute(select(ClassSession.held_on, ClassSession.hours).order_by(ClassSession.held_on)).all()
        statuses = sorted(s.value for s in session.execute(select(Attendance.status)).scalars())
    assert lessons == [(date(2026, 11, 3), 2.0), (date(2026, 11, 10), 2.0), (date(2026, 11, 17), 1.5)]
    assert statuses == sorted(["present", "absent", "present", "late", "present", "present", "excused", "excused"])
    with unit_of_work(school_db.engine) as session:
        undone = imports.undo(session, report.batch_id, reason="导错了", actor="tester")
    assert undone.removed["删除考勤"] == 8 and undone.removed["删除课次"] == 3
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count()).select_from(ClassSession)).scalar_one() == 0


def test_grid_problems_are_named_by_row_and_column(school_db, tmp_path, night_class):
    path = grid_sheet(tmp_path / "考勤.xlsx", [["陈堃", "好", "√"], ["路人", "√", "√"], ["林喆", 3, "√"], ["赵赟", "√", None]],
                      ["姓名", "2026-11-03", "第5次"], title=None)
    with unit_of_work(school_db.engine) as session:
        report = classes.import_attendance(session, path, actor="tester", class_name="大碶夜校班", hours=2)
    problems = {(p.row, p.column): p.reason for p in report.rejected}
    assert "第 5 次课" in problems[(1, "第5次")]  # the column: no such session yet
    assert "“好”无法识别" in problems[(2, "2026-11-03")]
    assert "不是这个班的学员" in problems[(3, "姓名")]
    assert "实到课时 3" in problems[(4, "2026-11-03")]
    assert report.imported == 1  # 赵赟 √ on 3 November (the 第5次 column was refused once, at its header)


def test_a_grid_sheet_for_no_known_class_asks_which(school_db, tmp_path, night_class):
    path = grid_sheet(tmp_path / "考勤.xlsx", [["陈堃", "√"]], ["姓名", "2026-11-03"], title=None)
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="--class"):
        classes.import_attendance(session, path, actor="tester", hours=2)


# --- surveys without ID numbers ------------------------------------------------------------------------------------

def survey_sheet(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "联系电话", "街道", "年龄", "是否有学历提升意愿"])
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def test_a_survey_without_ids_keeps_contacts_flags_duplicates_and_matches_the_registration(school_db, tmp_path):
    path = survey_sheet(tmp_path / "排摸.xlsx", [
        ["陈堃", "13805740001", "大碶街道", 36, "有意向"],   # row 2
        ["陈堃", "13805740001", "大碶街道", 36, "愿意"],     # row 3: the same person again
        ["陈堃", "13805740099", "大碶街道", 50, "愿意"],     # row 4: same name, other phone: flagged
        ["林喆", None, None, 30, "愿意"],                   # row 5: nothing to know her by
    ])
    with unit_of_work(school_db.engine) as session:
        report = survey.import_survey(session, path, actor="tester", surveyed_on=date(2026, 2, 1))
    assert report.imported == 2 and report.rejected_rows == [3, 5]
    assert any(w.row == 4 and "同名" in w.reason for w in report.warnings)
    with read_session(school_db.engine) as session:
        prospects = survey.list_prospects(session)
        assert sorted((p.name, p.age, p.id_number) for p in prospects) == [("陈堃", 36, ""), ("陈堃", 50, "")]
        progress = {p.township: p for p in survey.survey_progress(session)}
    assert (progress["大碶街道"].surveyed, progress["大碶街道"].willing) == (2, 2)

    # The ID arrives with the registration: the contact of that name and phone is matched.
    roster_path = write_roster(tmp_path / "名单.xlsx", [r13_row(1, "陈堃", make_id(date(1990, 1, 5)), phone="13805740001")])
    assert run_roster(school_db, roster_path).imported == 1
    with read_session(school_db.engine) as session:
        matched = session.execute(select(SurveyContact.phone, SurveyContact.learner_id)).all()
        assert sorted(p.phone or "" for p in [m for m in matched if m.learner_id]) == ["13805740001"]
        assert [p.age for p in survey.list_prospects(session)] == [50]


def test_undoing_a_survey_without_ids_removes_its_contacts(school_db, tmp_path):
    path = survey_sheet(tmp_path / "排摸.xlsx", [["陈堃", "13805740001", "大碶街道", 36, "愿意"]])
    with unit_of_work(school_db.engine) as session:
        report = survey.import_survey(session, path, actor="tester", surveyed_on=date(2026, 2, 1))
    with unit_of_work(school_db.engine) as session:
        undone = imports.undo(session, report.batch_id, reason="重复导入", actor="tester")
    assert undone.removed["删除排摸对象（无身份证号）"] == 1
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count()).select_from(SurveyContact)).scalar_one() == 0


def test_undoing_a_roster_unmatches_the_contacts_it_matched(school_db, tmp_path):
    with unit_of_work(school_db.engine) as session:
        survey.import_survey(session, survey_sheet(tmp_path / "排摸.xlsx", [["陈堃", "13805740001", "大碶街道", 36, "愿意"]]),
                             actor="tester", surveyed_on=date(2026, 2, 1))
    report = run_roster(school_db, write_roster(tmp_path / "名单.xlsx", [r13_row(1, "陈堃", make_id(date(1990, 1, 5)),
                                                                              phone="13805740001")]))
    with unit_of_work(school_db.engine) as session:
        imports.undo(session, report.batch_id, reason="导错了", actor="tester")
    with read_session(school_db.engine) as session:
        assert session.execute(select(SurveyContact.learner_id)).scalar_one() is None
        assert session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0
