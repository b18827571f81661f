"""任务进度 figures: who counts as having passed, and what an empty new year shows."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.models import Enrolment
from adultschool.models.enums import EnrolmentStatus
from adultschool.services import demo, quotas
from adultschool.services.sync_tables import update_travelling
from adultschool.ui.district_progress_page import empty_year_hint

DAY = date(2026, 11, 20)


def test_graduates_count_as_having_passed_the_exam(school_db):
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=12, actor="test", today=DAY)
        ids = session.execute(select(Enrolment.id).order_by(Enrolment.id).limit(5)).scalars().all()
        session.execute(update_travelling(Enrolment).where(Enrolment.id.in_(ids[:3])).values(status=EnrolmentStatus.GRADUATED))
        session.execute(update_travelling(Enrolment).where(Enrolment.id.in_(ids[3:])).values(status=EnrolmentStatus.PASSED))
    with read_session(school_db.engine) as session:
        total = quotas.quota_progress(session, year=2026, month=11, today=DAY).totals()
    assert (total.passed, total.graduated) == (5, 3)
    assert empty_year_hint(quotas.QuotaReport(2026, 11, DAY, [])) is not None


def test_january_of_a_year_without_quotas_or_registrations_says_why_it_is_empty(school_db):
    with unit_of_work(school_db.engine) as session:
        demo.fill_demo(session, learners=12, actor="test", today=DAY)
    with read_session(school_db.engine) as session:
        this_year = quotas.quota_progress(session, year=2026, month=12, today=date(2026, 12, 10))
        next_year = quotas.quota_progress(session, year=2027, month=1, today=date(2027, 1, 10))
    assert this_year.totals().registered == 12 and empty_year_hint(this_year) is None
    hint = empty_year_hint(next_year)
    assert hint is not None and "2027 年还没有任务数" in hint and "请选 2026年12月" in hint
