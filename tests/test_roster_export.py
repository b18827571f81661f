"""The registration summary form (R13) as Excel and WPS will show and print it."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from adultschool.db import unit_of_work
from adultschool.models import Level
from adultschool.services import registration, roster, rules
from adultschool.services.registration import RegistrationInput
from factories import make_id

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)


def registered(db, name, id_number, level="高中", **extra):
    with unit_of_work(db.engine) as session:
        registration.register_one(
            session, RegistrationInput(name=name, id_number=id_number, level=level, registered_on=date(2026, 3, 2),
                                       **{"township": "大碶街道", **extra}),
            rules.load_rules(session), actor="tester",
        )


def test_summary_form_has_unit_line_r13_columns_and_full_ids_as_text(school_db, tmp_path):
    senior_id = make_id(date(1990, 1, 5), serial=1)
    registered(school_db, "陈赟", senior_id, phone="13857412345", education="初中", address="宁波富邦精业铝业有限公司")
    registered(school_db, "=HYPERLINK(\"http://x\")", make_id(date(1991, 1, 5), serial=2), level="初中", address="+1 东路")
    out = tmp_path / "报名汇总表.xlsx"
    with unit_of_work(school_db.engine) as session:
        count = roster.export_roster(session, out).count
    assert count == 2
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws["A2"].value == "单位：大碶街道成人文化技术学校"
    assert [c.value for c in ws[3]] == ["序号", "姓名", "性别", "文化程度", "身份证号码", "工作单位或家庭地址", "联系电话",
                                        "学历提升层次（初中/高中）"]
    assert [c.value for c in ws[4]] == [1, "陈赟", "男", "初中", senior_id, "宁波富邦精业铝业有限公司", "13857412345", "高中"]
    assert ws["E4"].data_type == "s" and ws["E4"].number_format == "@"
    assert ws["B5"].value.startswith("=HYPERLINK") and ws["B5"].data_type == "s" and ws["B5"].quotePrefix
    assert ws["F5"].data_type == "s" and ws["F5"].quotePrefix
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$3:$3"


def test_export_by_level_leaves_out_the_other_level_and_withdrawn_learners(school_db, tmp_path):
    from sqlalchemy import select

    from adultschool.models import Enrolment, EnrolmentStatus

    registered(school_db, "高一", make_id(date(1990, 1, 5), serial=1))
    registered(school_db, "高二", make_id(date(1990, 1, 6), serial=2))
    registered(school_db, "初一", make_id(date(1990, 1, 7), serial=3), level="初中")
    with unit_of_work(school_db.engine) as session:
        enrolment = session.execute(select(Enrolment).join(Enrolment.learner).where(Enrolment.learner.has(name="高二"))).scalar_one()
        enrolment.status = EnrolmentStatus.WITHDRAWN
    out = tmp_path / "高中.xlsx"
    with unit_of_work(school_db.engine) as session:
        assert roster.export_roster(session, out, level=Level.SENIOR).count == 1
    names = [row[1] for row in openpyxl.load_workbook(out).active.iter_rows(min_row=4, values_only=True)]
    assert names == ["高一"]


def test_exported_form_imports_back_into_another_school(school_db, tmp_path):
    registered(school_db, "回环", make_id(date(1990, 1, 5)), phone="0574-86123456")
    out = tmp_path / "汇总.xlsx"
    with unit_of_work(school_db.engine) as session:
        roster.export_roster(session, out)
    from adultschool.db import open_database
    from adultschool.models import SiteKind
    from adultschool.services import site

    other = open_database(tmp_path / "other.sqlite3", create=True)
    with unit_of_work(other.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code="330206-02", name="新碶成校", actor="t")
        report = roster.import_roster(session, out, registered_on=date(2026, 3, 3), actor="t")
    assert (report.imported, report.rejected) == (1, [])
    other.close()
