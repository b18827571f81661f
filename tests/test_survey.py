"""The resident survey (R9): prospects, not enrolments; who has not registered yet, per township."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from adultschool.db import read_session, unit_of_work
from adultschool.models import Enrolment, Learner
from adultschool.services import registration, rules, survey
from factories import make_id

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)

HEADERS = ["姓名", "性别", "年龄", "身份证号码", "户籍所在地", "文化程度", "工作单位", "岗位", "是否愿意提升学历", "意向学习方式", "街道"]


def write_survey(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["北仑区居民学历情况排摸表"])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def import_survey(db, path, **options):
    with unit_of_work(db.engine) as session:
        return survey.import_survey(session, path, actor="tester", surveyed_on=date(2026, 4, 1), today=date(2026, 11, 23), **options)


def test_survey_rows_become_prospects_listed_per_township_and_no_enrolments(school_db, tmp_path):
    path = write_survey(tmp_path / "排摸.xlsx", [
        ["周淼", "女", 36, make_id(date(1990, 2, 3), male=False, serial=1), "河南省周口市", "初中", "海天塑机", "操作工",
         "愿意", "夜校班", "大碶街道"],
        ["吴垚", "男", 40, make_id(date(1986, 2, 3), serial=2), "安徽省阜阳市", "小学", "新碶超市", "营业员", "待定", "线上", "新碶街道"],
        ["郑鑫", "男", 30, make_id(date(1996, 2, 3), serial=3), "浙江省宁波市", "初中", "", "", "不愿意", "", "大碶街道"],
    ])
    report = import_survey(school_db, path)
    assert (report.imported, report.rejected) == (3, [])
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count(Enrolment.id))).scalar_one() == 0
        prospects = survey.list_prospects(session, township="大碶街道")
        progress = {p.township: p for p in survey.survey_progress(session)}
    assert [p.name for p in prospects] == ["郑鑫", "周淼"]  # by pinyin: zheng before zhou
    assert prospects[1].willingness == "yes" and prospects[1].id_number.count("*") == 8
    assert (progress["大碶街道"].surveyed, progress["大碶街道"].willing, progress["大碶街道"].registered) == (2, 1, 0)


def test_registering_a_prospect_removes_them_from_the_not_registered_list(school_db, tmp_path):
    import_survey(school_db, write_survey(tmp_path / "排摸.xlsx", [
        ["周淼", "女", 36, make_id(date(1990, 2, 3), male=False), "河南省周口市", "初中", "海天塑机", "操作工",
         "愿意", "夜校班", "大碶街道"],
    ]))
    with unit_of_work(school_db.engine) as session:
        prospect = survey.list_prospects(session)[0]
        data = survey.registration_from_prospect(session, prospect.learner_id, level="高中", registered_on=date(2026, 11, 1))
        assert data.township == "大碶街道" and data.employer == "海天塑机"
        registration.register_one(session, data, rules.load_rules(session), actor="tester")
    with read_session(school_db.engine) as session:
        assert survey.list_prospects(session) == []
        assert survey.survey_progress(session)[0].registered == 1
        assert session.execute(select(func.count(Learner.id))).scalar_one() == 1


def test_survey_row_with_wrong_age_warns_and_the_id_wins(school_db, tmp_path):
    report = import_survey(school_db, write_survey(tmp_path / "排摸.xlsx", [
        ["周淼", "女", 25, make_id(date(1990, 2, 3), male=False), "", "", "", "", "愿意", "", "大碶街道"],
    ]))
    assert report.imported == 1
    assert "按身份证号码应为 36 周岁" in report.warnings[0].reason and report.warnings[0].row == 3


def test_unclear_willingness_and_bad_id_are_rejected_row_by_row(school_db, tmp_path):
    report = import_survey(school_db, write_survey(tmp_path / "排摸.xlsx", [
        ["甲", "女", 30, make_id(date(1996, 2, 3), male=False), "", "", "", "", "也许吧", "", "大碶街道"],
        ["乙", "男", 30, "330206", "", "", "", "", "愿意", "", "大碶街道"],
    ]))
    assert report.imported == 0
    assert [(p.row, p.column) for p in report.rejected] == [(3, "是否愿意提升学历"), (4, "身份证号码")]


def test_surveying_a_registered_learner_again_updates_answers_without_blanking_details(school_db, tmp_path):
    id_number = make_id(date(1990, 2, 3), male=False)
    with unit_of_work(school_db.engine) as session:
        registration.register_one(session, registration.RegistrationInput(township="大碶街道",
            name="周淼", id_number=id_number, level="高中", registered_on=date(2026, 3, 1), phone="13857412345",
            employer="海天塑机"), rules.load_rules(session), actor="tester")
    report = import_survey(school_db, write_survey(tmp_path / "排摸.xlsx", [
        ["周淼", "女", 36, id_number, "", "", "", "", "愿意", "线上", "大碶街道"],
    ]))
    assert (report.imported, report.updated) == (0, 1)
    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner)).scalar_one()
        assert (learner.employer, learner.phone, learner.preferred_learning) == ("海天塑机", "13857412345", "线上")
