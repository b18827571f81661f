"""Roster import: every row registered or rejected with its sheet row and reason, all-or-nothing, dry run, errors file."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from adultschool.db import open_database, read_session, unit_of_work
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import RecordingJob
from adultschool.models import Enrolment, Learner
from adultschool.services import roster
from adultschool.services.sheet_import import save_rejected
from factories import R13_HEADERS, make_id, r13_row, write_roster

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)

REGISTERED_ON = date(2026, 3, 2)


def run_import(db, path, **options):
    """The school serves two townships: a file without a 街道/镇 column is imported for 大碶街道 unless told."""
    options.setdefault("township", "大碶街道")
    with unit_of_work(db.engine) as session:
        return roster.import_roster(session, path, registered_on=REGISTERED_ON, actor="tester", **options)


def enrolment_count(db) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count(Enrolment.id))).scalar_one()


def test_r13_form_with_title_and_unit_line_registers_every_good_row(school_db, tmp_path):
    path = write_roster(tmp_path / "大碶.xlsx", [
        r13_row(1, "陈堃", make_id(date(1990, 1, 5), serial=1)),
        r13_row(2, "林喆", make_id(date(1985, 6, 5), male=False, serial=2), "初中", gender="女"),
    ])
    report = run_import(school_db, path, township="大碶街道")
    assert (report.header_row, report.imported, report.rejected) == (3, 2, [])
    assert [r.student_number for r in report.registered] == ["330206-01-2026-00001", "330206-01-2026-00002"]
    with read_session(school_db.engine) as session:
        names = session.execute(select(Learner.name).order_by(Learner.id)).scalars().all()
        sources = session.execute(select(Enrolment.source).order_by(Enrolment.id)).scalars().all()
    assert names == ["陈堃", "林喆"]
    assert sources == ["名单导入：大碶.xlsx 第 4 行", "名单导入：大碶.xlsx 第 5 行"]


def test_bad_rows_are_rejected_with_sheet_row_column_and_reason(school_db, tmp_path):
    good = make_id(date(1990, 1, 5), serial=1)
    path = write_roster(tmp_path / "名单.xlsx", [
        r13_row(1, "好人", good),                                       # row 4
        r13_row(2, "", make_id(date(1991, 1, 5), serial=2)),            # row 5: empty name
        r13_row(3, "错号", good[:-1] + ("0" if good[-1] != "0" else "1")),  # row 6: check character
        r13_row(4, "太老", make_id(date(1950, 1, 5), serial=3)),         # row 7: age
        r13_row(5, "层次", make_id(date(1992, 1, 5), serial=4), "大专"),  # row 8: level
        r13_row(6, "电话", make_id(date(1993, 1, 5), serial=5), phone="12345"),  # row 9: phone, optional: a warning
        r13_row(7, "重复", good),                                        # row 10: duplicate in file
        [None] * 8,                                                     # row 11: blank, skipped silently
        r13_row(8, "旧号", "330206900105123"),                           # row 12: 15 digits, converted with a warning
    ])
    report = run_import(school_db, path)
    assert report.imported == 3
    assert report.rejected_rows == [5, 6, 7, 8, 10]
    by_row = {p.row: p for p in report.rejected}
    assert by_row[5].column == "姓名" and "姓名为空" in by_row[5].reason
    assert by_row[6].column == "身份证号码" and "校验" in by_row[6].reason
    assert "76 周岁" in by_row[7].reason
    assert by_row[8].column == "学历提升层次（初中/高中）" and "大专" in by_row[8].reason
    assert "与第 4 行的身份证号码重复" in by_row[10].reason
    warned = {p.row: p for p in report.warnings}
    assert warned[9].column == "联系电话" and "没有保存" in warned[9].reason
    assert warned[12].column == "身份证号码" and "15位" in warned[12].reason and "330206********1237" in warned[12].reason
    with read_session(school_db.engine) as session:
        people = dict(session.execute(select(Learner.name, Learner.phone)).all())
        converted = session.execute(select(Learner.id_number).where(Learner.name == "旧号")).scalar_one()
    assert people["电话"] is None  # the bad phone is not stored, never guessed
    assert converted == "330206199001051237"  # GB 11643: 19 before the year, the check character after
    assert report.summary_line() == "imported 3, rejected 5"


def test_id_that_excel_stored_as_a_number_is_rejected_with_how_to_fix(school_db, tmp_path):
    path = write_roster(tmp_path / "名单.xlsx", [r13_row(1, "数字号", 330206199001051234)], id_as_text=False)
    report = run_import(school_db, path)
    assert report.imported == 0
    problem = report.rejected[0]
    assert (problem.row, problem.column) == (4, "身份证号码")
    assert "数字" in problem.reason and "文本" in problem.reason
    assert "330206199001051234" not in problem.reason


def test_person_already_enrolled_at_that_level_is_rejected(school_db, tmp_path):
    id_number = make_id(date(1990, 1, 5))
    run_import(school_db, write_roster(tmp_path / "一.xlsx", [r13_row(1, "张三", id_number)]))
    report = run_import(school_db, write_roster(tmp_path / "二.xlsx", [r13_row(1, "张三", id_number)]))
    assert report.imported == 0
    assert "已在读高中" in report.rejected[0].reason and report.rejected[0].row == 4


def test_header_variants_and_free_column_order(school_db, tmp_path):
    headers = ["联系电话", "层次", "公民身份号码", "学员姓名", "户籍所在地", "街道"]
    path = write_roster(tmp_path / "v.xlsx", [["138 5741 2345", "成人高中", make_id(date(1990, 1, 5)), "王五", "安徽省阜阳市", "新碶街道"]],
                        headers=headers, title=None, unit=None)
    report = run_import(school_db, path)
    assert report.imported == 1
    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner)).scalar_one()
        assert (learner.phone, learner.household_location, learner.township.name) == ("13857412345", "安徽省阜阳市", "新碶街道")


def test_dry_run_reports_exactly_what_an_import_would_do_and_writes_nothing(school_db, tmp_path):
    path = write_roster(tmp_path / "名单.xlsx", [
        r13_row(1, "甲", make_id(date(1990, 1, 5), serial=1)),
        r13_row(2, "乙", "123"),
    ])
    preview = run_import(school_db, path, dry_run=True)
    assert enrolment_count(school_db) == 0
    assert preview.summary_line() == "would import 1, rejected 1"
    real = run_import(school_db, path)
    assert [r.student_number for r in real.registered] == [r.student_number for r in preview.registered]
    assert real.rejected == preview.rejected


def test_cancel_in_the_middle_leaves_the_database_as_it_was(school_db, tmp_path):
    rows = [r13_row(i, f"学员{i}", make_id(date(1980 + i % 20, 1 + i % 12, 1 + i % 28), serial=i)) for i in range(1, 3001)]
    path = write_roster(tmp_path / "大.xlsx", rows)
    job = RecordingJob(cancel_after=3)
    with pytest.raises(Cancelled):
        with unit_of_work(school_db.engine) as session:
            roster.import_roster(session, path, registered_on=REGISTERED_ON, actor="tester", job=job)
    assert enrolment_count(school_db) == 0
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count(Learner.id))).scalar_one() == 0


def test_errors_file_holds_rejected_rows_with_reasons_and_original_cells(school_db, tmp_path):
    path = write_roster(tmp_path / "名单.xlsx", [r13_row(1, "好", make_id(date(1990, 1, 5))), r13_row(2, "坏", "abc")])
    report = run_import(school_db, path)
    out = save_rejected(report, tmp_path / "未导入.xlsx")
    ws = openpyxl.load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header_row = next(r for r in values if r and r[0] == "行号")
    data = values[values.index(header_row) + 1]
    assert data[0] == 5 and "身份证号码" in data[1]
    assert "坏" in data and "abc" in data


def test_unknown_township_option_is_refused_naming_the_known_ones(school_db, tmp_path):
    path = write_roster(tmp_path / "名单.xlsx", [r13_row(1, "甲", make_id(date(1990, 1, 5)))])
    with pytest.raises(AdultSchoolError, match="大碶街道"):
        run_import(school_db, path, township="不存在镇")


def test_sheet_without_recognisable_header_is_unusable(school_db, tmp_path):
    path = write_roster(tmp_path / "乱.xlsx", [["x", "y"]], headers=["甲", "乙"], title=None, unit=None)
    with pytest.raises(AdultSchoolError, match="姓名"):
        run_import(school_db, path)


def test_survey_prospect_becomes_a_learner_when_the_same_id_arrives_in_a_roster(school_db, tmp_path):
    from adultschool.services import survey

    id_number = make_id(date(1979, 4, 4))
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号码", "是否愿意提升学历", "户籍所在地", "街道"])
    wb.active.append(["孙犇", id_number, "愿意", "江西省上饶市", "大碶街道"])
    wb.save(tmp_path / "排摸.xlsx")
    with unit_of_work(school_db.engine) as session:
        survey.import_survey(session, tmp_path / "排摸.xlsx", actor="tester", surveyed_on=date(2026, 2, 1))
    report = run_import(school_db, write_roster(tmp_path / "名单.xlsx", [r13_row(1, "孙犇", id_number)]))
    assert report.imported == 1
    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner)).scalar_one()
        assert learner.household_location == "江西省上饶市"  # survey details kept
        assert learner.surveyed_on == date(2026, 2, 1)
        assert len(learner.enrolments) == 1
        assert survey.list_prospects(session) == []


def test_a_date_and_employer_merged_over_several_rows_reach_every_row_and_are_named(school_db, tmp_path):
    headers = [*R13_HEADERS, "报名日期"]
    rows = [r13_row(i, name, make_id(date(1980 + i, 1, 5), serial=i), address="宁波富邦精业铝业有限公司" if i == 1 else None)
            + (["2026-09-01"] if i == 1 else [None]) for i, name in enumerate(["甲", "乙", "丙", "丁", "戊"], start=1)]
    path = write_roster(tmp_path / "合并.xlsx", rows, headers=headers)
    book = openpyxl.load_workbook(path)
    book.active.merge_cells("F4:F8")  # 工作单位或家庭地址, written once for the five rows
    book.active.merge_cells("I4:I8")  # 报名日期
    book.save(path)
    report = run_import(school_db, path)
    assert (report.imported, report.rejected) == (5, [])
    with read_session(school_db.engine) as session:
        rows = session.execute(select(Enrolment.registered_on, Learner.address).join(Learner)
                               .order_by(Enrolment.student_number)).all()
    assert rows == [(date(2026, 9, 1), "宁波富邦精业铝业有限公司")] * 5  # never the default date, never blank
    merged = [w for w in report.warnings if "合并单元格" in w.reason]
    assert [(w.row, w.column) for w in merged] == [(5, "工作单位或家庭地址"), (5, "报名日期")]
    assert "第 4–8 行" in merged[1].reason


def test_a_school_with_two_townships_refuses_rows_without_one_naming_the_row(school_db, tmp_path):
    path = write_roster(tmp_path / "r.xlsx", [r13_row(1, "陈堃", make_id(date(1990, 1, 5), serial=1))])
    with unit_of_work(school_db.engine) as session:
        report = roster.import_roster(session, path, registered_on=REGISTERED_ON, actor="tester")
    assert report.imported == 0
    [problem] = report.rejected
    assert problem.row == 4 and problem.column == "街道/镇" and "大碶街道、新碶街道" in problem.reason


def test_a_school_with_one_township_counts_every_registration_toward_it(fresh_db, tmp_path):
    from adultschool.models import SiteKind, Township
    from adultschool.services import site

    database = open_database(fresh_db("one"), create=True)
    with unit_of_work(database.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code="330206-03", name="柴桥成校", townships=["柴桥街道"], actor="t")
    path = write_roster(tmp_path / "r.xlsx", [r13_row(1, "陈堃", make_id(date(1990, 1, 5), serial=1))])
    with unit_of_work(database.engine) as session:
        assert roster.import_roster(session, path, registered_on=REGISTERED_ON, actor="t").imported == 1
    with read_session(database.engine) as session:
        assert session.execute(select(Township.name).join(Enrolment, Enrolment.township_id == Township.id)).scalar_one() == "柴桥街道"
    database.close()
