"""services.first_run (the wizard's one transaction) and rules.set_rules (the settings dialog's save), without Qt."""
from __future__ import annotations

import pytest

from adultschool.db import open_database, read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import SiteKind
from adultschool.services import district_keypair, permissions, rules, site
from adultschool.services.first_run import AdminPlan, SitePlan, TownshipPlan, create_site


def test_a_district_plan_makes_its_keys_after_its_administrator(tmp_path):
    database = open_database(tmp_path / "district.sqlite3", create=True)
    plan = SitePlan(kind=SiteKind.DISTRICT, code="330206", name="北仑区成人教育分中心", key_folder=tmp_path / "keys",
                    passphrase="fenzhongxin-kouling", admin=AdminPlan("boss", "mima-2026"))
    with unit_of_work(database.engine) as session:
        created = create_site(session, plan, actor="clerk-pc")
    assert created.keys is not None and created.admin == "boss"
    with read_session(database.engine) as session:
        assert district_keypair.district_keys(session, "fenzhongxin-kouling").public.fingerprint == created.keys.fingerprint
        assert permissions.has_accounts(session)
    database.close()


def test_a_refused_plan_writes_nothing_not_even_key_files(tmp_path):
    database = open_database(tmp_path / "district.sqlite3", create=True)
    plan = SitePlan(kind=SiteKind.DISTRICT, code="330206", name="分中心", key_folder=tmp_path / "keys",
                    passphrase="fenzhongxin-kouling", admin=AdminPlan("boss", "123"))
    with pytest.raises(AdultSchoolError, match="密码太短"):
        with unit_of_work(database.engine) as session:
            create_site(session, plan, actor="clerk-pc")
    assert not (tmp_path / "keys").exists()
    with read_session(database.engine) as session:
        assert not site.is_initialised(session)
    database.close()


def test_repeated_townships_are_refused_before_anything_is_written(tmp_path):
    database = open_database(tmp_path / "school.sqlite3", create=True)
    plan = SitePlan(kind=SiteKind.SCHOOL, code="330206-01", name="某成校",
                    townships=(TownshipPlan("大碶街道", 10), TownshipPlan(" 大碶街道", None)))
    with pytest.raises(AdultSchoolError, match="填了两次") as refused:
        with unit_of_work(database.engine) as session:
            create_site(session, plan, actor="clerk-pc")
    assert refused.value.field == "townships"
    database.close()


def test_set_rules_names_the_refused_rule_and_checks_ages_together(school_db):
    with pytest.raises(AdultSchoolError) as refused:
        with unit_of_work(school_db.engine) as session:
            rules.set_rules(session, {"pass_mark": 70, "courses_junior": "不是列表"}, actor="tester")
    assert refused.value.field == "courses_junior"
    with unit_of_work(school_db.engine) as session:
        loaded = rules.set_rules(session, {"min_age": 62, "max_age": 70}, actor="tester")
    assert (loaded.min_age, loaded.max_age) == (62, 70)
    with read_session(school_db.engine) as session:
        assert rules.load_rules(session).pass_mark == 60
