"""Registering learners by keyboard: R1 ages, student numbers (R2), levels, deadlines (R7), the ID deciding gender."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Enrolment, EnrolmentStatus, Learner
from adultschool.services import registration, rules as rules_service
from adultschool.services.registration import RegistrationInput
from adultschool.rule_defaults import Rules
from factories import born_years_before, make_id

pytestmark = pytest.mark.server_db  # service tests: SQLite and, when enabled, PostgreSQL

TODAY = date(2026, 11, 23)


def register(db, *, name="张三", id_number=None, level="高中", registered_on=TODAY, **extra):
    id_number = id_number or make_id(date(1990, 5, 17))
    data = RegistrationInput(name=name, id_number=id_number, level=level, registered_on=registered_on, **{"township": "大碶街道", **extra})
    with unit_of_work(db.engine) as session:
        rules = rules_service.load_rules(session)
        return registration.register_one(session, data, rules, actor="tester", today=TODAY)


def test_learner_aged_exactly_18_on_registration_day_is_accepted(school_db):
    registered, _ = register(school_db, id_number=make_id(born_years_before(TODAY, 18)))
    assert registered.student_number


def test_learner_one_day_short_of_18_is_refused_with_age_and_range(school_db):
    with pytest.raises(AdultSchoolError) as caught:
        register(school_db, id_number=make_id(born_years_before(TODAY, 18, days_after=1)))
    assert "17 周岁" in caught.value.message and "18–60" in caught.value.message
    assert caught.value.field == "id_number"


def test_learner_aged_60_is_accepted_and_61_refused(school_db):
    register(school_db, name="李六十", id_number=make_id(born_years_before(TODAY, 60, days_after=-200), serial=1))
    with pytest.raises(AdultSchoolError, match="61 周岁"):
        register(school_db, name="王六一", id_number=make_id(born_years_before(TODAY, 61), serial=2))


def test_age_is_counted_on_the_registration_day_not_today(school_db):
    # 18 today, but only 17 on the registration day a month ago.
    id_number = make_id(born_years_before(TODAY, 18, days_after=-10))
    with pytest.raises(AdultSchoolError, match="17 周岁"):
        register(school_db, id_number=id_number, registered_on=date(2026, 10, 23))


def test_student_numbers_are_school_year_serial_and_never_reused_after_withdrawal(school_db):
    first, _ = register(school_db, name="甲", id_number=make_id(date(1990, 1, 1), serial=1))
    second, _ = register(school_db, name="乙", id_number=make_id(date(1990, 1, 2), serial=2))
    assert first.student_number == "330206-01-2026-00001"
    assert second.student_number == "330206-01-2026-00002"
    with unit_of_work(school_db.engine) as session:
        withdrawn = session.execute(select(Enrolment).where(Enrolment.student_number == second.student_number)).scalar_one()
        withdrawn.status = EnrolmentStatus.WITHDRAWN
        session.execute(select(Enrolment).where(Enrolment.student_number == second.student_number)).scalar_one()
    third, _ = register(school_db, name="乙", id_number=make_id(date(1990, 1, 2), serial=2))
    assert third.student_number == "330206-01-2026-00003"


def test_same_person_may_enrol_at_both_levels_but_not_twice_at_one(school_db):
    id_number = make_id(date(1985, 3, 9))
    register(school_db, id_number=id_number, level="初中")
    register(school_db, id_number=id_number, level="成人高中")
    with pytest.raises(AdultSchoolError) as caught:
        register(school_db, id_number=id_number, level="高中")
    assert "已在读高中" in caught.value.message and caught.value.field == "level"
    with read_session(school_db.engine) as session:
        assert session.query(Learner).count() == 1
        assert session.query(Enrolment).count() == 2


def test_same_id_under_another_name_is_refused_without_revealing_the_name(school_db):
    id_number = make_id(date(1985, 3, 9))
    register(school_db, name="张三丰", id_number=id_number, level="初中")
    with pytest.raises(AdultSchoolError) as caught:
        register(school_db, name="李四", id_number=id_number, level="高中")
    assert "张**" in caught.value.message and "张三丰" not in caught.value.message


def test_gender_and_birth_date_come_from_the_id_and_a_contradiction_is_a_warning(school_db):
    registered, warnings = register(school_db, id_number=make_id(date(1992, 7, 1), male=False), gender="男")
    assert any("身份证号码显示为女" in w.message for w in warnings)
    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner)).scalar_one()
        assert learner.gender.value == "female"
        assert learner.birth_date == date(1992, 7, 1)


def test_full_width_id_ideographic_spaces_and_phone_dashes_are_stored_normalised(school_db):
    id_number = make_id(date(1990, 5, 17))
    typed = "\u3000" + "".join(chr(ord(c) + 0xFEE0) for c in id_number) + "  "
    register(school_db, name=" 赵\u3000堃 ", id_number=typed, phone="138-5741 2345")
    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner)).scalar_one()
        assert (learner.name, learner.id_number, learner.phone) == ("赵堃", id_number, "13857412345")


def test_invalid_phone_is_refused_beside_the_phone_field(school_db):
    with pytest.raises(AdultSchoolError) as caught:
        register(school_db, phone="12345")
    assert caught.value.field == "phone"


def test_unknown_level_is_refused_and_nothing_is_guessed(school_db):
    with pytest.raises(AdultSchoolError) as caught:
        register(school_db, level="大专")
    assert "大专" in caught.value.message and caught.value.field == "level"


def test_registration_after_the_deadline_warns_and_counts_toward_its_own_calendar_year(school_db):
    _, warnings = register(school_db, registered_on=date(2026, 5, 6))
    assert any("2026-03-31" in w.message and "2026 年的任务数" in w.message for w in warnings)
    with read_session(school_db.engine) as session:
        assert session.execute(select(Enrolment.quota_year)).scalar_one() == 2026


def test_a_district_may_count_late_registrations_toward_the_next_year(school_db):
    with unit_of_work(school_db.engine) as session:
        rules_service.set_rule(session, "late_registrations_count_next_year", True, actor="tester")
    _, warnings = register(school_db, registered_on=date(2026, 5, 6))
    assert any("2027 年的任务数" in w.message for w in warnings)
    with read_session(school_db.engine) as session:
        assert session.execute(select(Enrolment.quota_year)).scalar_one() == 2027


def test_2022_deadline_was_20_september():
    rules = Rules.defaults()
    assert not rules.is_late(date(2022, 9, 20))
    assert rules.is_late(date(2022, 9, 21))
    assert rules.quota_year(date(2022, 9, 21)) == 2022
    late_rule = Rules.from_stored({"late_registrations_count_next_year": True})
    assert (late_rule.quota_year(date(2022, 9, 20)), late_rule.quota_year(date(2022, 9, 21))) == (2022, 2023)


def test_registration_date_in_the_future_is_refused(school_db):
    with pytest.raises(AdultSchoolError, match="晚于今天"):
        register(school_db, registered_on=date(2026, 12, 1))


def test_district_can_raise_the_age_limit_in_the_rules_table(school_db):
    id_number = make_id(born_years_before(TODAY, 62))
    with pytest.raises(AdultSchoolError, match="62 周岁"):
        register(school_db, id_number=id_number)
    with unit_of_work(school_db.engine) as session:
        rules_service.set_rule(session, "max_age", 65, actor="admin")
    registered, _ = register(school_db, id_number=id_number)
    assert registered.student_number


def test_rule_value_of_wrong_type_is_refused(school_db):
    with unit_of_work(school_db.engine) as session, pytest.raises(AdultSchoolError, match="不合要求"):
        rules_service.set_rule(session, "max_age", "sixty", actor="admin")


def test_live_check_derives_birth_date_gender_and_age_without_a_database():
    checked = registration.check(
        RegistrationInput(name="钱喆", id_number=make_id(date(1988, 2, 29), male=False), level="高中", registered_on=TODAY),
        Rules.defaults(), today=TODAY,
    )
    assert checked.ok
    assert (checked.birth_date, checked.gender.label, checked.age) == (date(1988, 2, 29), "女", 38)


def test_every_problem_of_a_form_is_reported_at_once_with_its_field():
    checked = registration.check(
        RegistrationInput(name="", id_number="123", level="", registered_on=TODAY, phone="abc"), Rules.defaults(), today=TODAY
    )
    assert {p.field for p in checked.errors} == {"name", "id_number", "level", "phone"}


def test_a_foreign_permanent_residence_card_registers_only_where_the_rules_allow_it(school_db):
    from stdnum.cn import ric

    body = "93384019900115001"
    number = body + ric.calc_check_digit(body + "0")
    data = RegistrationInput(name="安娜", id_number=number, level="高中", registered_on=date(2026, 11, 2),
                             township="大碶街道")
    with unit_of_work(school_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="外国人永久居留身份证号码：按规则表，本校不接受"):
            registration.register_one(session, data, rules_service.load_rules(session), actor="clerk",
                                      today=date(2026, 12, 2))
    with unit_of_work(school_db.engine) as session:
        rules_service.set_rule(session, "accept_foreign_permanent_residents", True, actor="clerk")
    with unit_of_work(school_db.engine) as session:
        registered, _ = registration.register_one(session, data, rules_service.load_rules(session), actor="clerk",
                                                  today=date(2026, 12, 2))
    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner).where(Learner.id_number == number)).scalar_one()
        assert (learner.name, learner.birth_date, registered.level.label) == ("安娜", date(1990, 1, 15), "高中")


def test_a_card_photo_is_kept_with_the_registration_only_with_consent_to_the_photo(school_db):
    import io

    from PIL import Image

    from adultschool.models import LearnerPhoto

    picture = io.BytesIO()
    Image.new("RGB", (102, 126), (200, 180, 160)).save(picture, format="BMP")  # what a card's decoder gives
    data = RegistrationInput(name="张三", id_number=make_id(date(1990, 5, 17)), level="高中", registered_on=TODAY,
                             township="大碶街道", consent_photo=False)
    with unit_of_work(school_db.engine) as session:
        rules = rules_service.load_rules(session)
        with pytest.raises(AdultSchoolError, match="须本人同意使用照片") as refused:
            registration.register_one(session, data, rules, actor="tester", today=TODAY, card_photo=picture.getvalue())
    assert refused.value.field == "consent_photo"
    with read_session(school_db.engine) as session:
        assert session.execute(select(Learner)).first() is None  # nothing half-written
    with unit_of_work(school_db.engine) as session:
        registered, _ = registration.register_one(session, replace(data, consent_photo=True), rules, actor="tester",
                                                  today=TODAY, card_photo=picture.getvalue())
    with read_session(school_db.engine) as session:
        photo = session.execute(select(LearnerPhoto)).scalar_one()
        assert photo.source == "身份证读卡器" and photo.jpeg[:2] == b"\xff\xd8" and photo.width == 358
