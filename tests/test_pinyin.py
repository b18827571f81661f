"""Pinyin (issue 14): a name's full pinyin, initials and sort key (surnames read as surnames), stored for every learner
and township whichever way the name was written, searched (`zhangwei`, `zw`) and sorted the same on SQLite and
PostgreSQL, by the service, the learner list and the command line."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select

from adultschool import cli, clock, pinyin
from adultschool.db import migrate, read_session, unit_of_work
from adultschool.db.engine import make_engine
from adultschool.models import Enrolment, Learner, Township, name_keys
from adultschool.paths import database_url
from adultschool.services import enrolments, learner_edit, learners, privacy, registration, roster, rules, site
from adultschool.services.learner_edit import LearnerChanges
from adultschool.services.learners import LearnerFilter
from adultschool.services.registration import RegistrationInput
from factories import born_years_before, make_id, r13_row, write_roster
from syncbuild import district_db, export, keys, make_school, merge, public_key  # noqa: F401 - fixtures

pytestmark = pytest.mark.server_db  # the database tests run on PostgreSQL too (tests/conftest.py)

NAMES = ["张伟", "周文", "赵薇", "王志", "张三", "曾小贤", "单田芳"]


# --- the pure module -----------------------------------------------------------------------------------------------


def keys_of(name: str) -> tuple[str, str]:
    found = pinyin.person_name(name)
    return found.full, found.initials


def test_a_name_gives_full_pinyin_without_tones_and_initials():
    assert keys_of("张伟") == ("zhangwei", "zw")
    assert keys_of("吕绿") == ("lvlv", "ll")  # ü as v, the way an IME types it
    assert keys_of(" 陈朝阳 ") == ("chenzhaoyang", "czy")  # the given name read as a phrase (朝阳 zhao yang)


@pytest.mark.parametrize(("name", "full"), [
    ("单雄信", "shanxiongxin"), ("曾国藩", "zengguofan"), ("解缙", "xiejin"), ("区志强", "ouzhiqiang"),
    ("仇英", "qiuying"), ("朴智星", "piaozhixing"), ("查良镛", "zhaliangyong"), ("乐嘉", "yuejia"),
    ("盖伟", "gewei"), ("缪斯", "miaosi"), ("覃晓", "qinxiao"), ("翟明", "zhaiming"),
])
def test_a_surname_is_read_as_a_surname(name, full):
    assert pinyin.person_name(name).full == full


def test_the_surname_reading_is_only_for_the_surname_and_not_for_a_township():
    assert pinyin.person_name("王单").full == "wangdan"
    assert pinyin.person_name("曾").full == "zeng"
    assert pinyin.place_name("单桥村").full == "danqiaocun"
    assert pinyin.place_name("长街镇").full == "changjiezhen"


@pytest.mark.parametrize(("name", "full", "initials"), [
    ("尉迟恭", "yuchigong", "ycg"), ("万俟卨", "moqixie", "mqx"), ("长孙无忌", "zhangsunwuji", "zswj"),
    ("澹台明月", "tantaimingyue", "ttmy"), ("欧阳修", "ouyangxiu", "oyx"), ("单于夜", "chanyuye", "cyy"),
])
def test_compound_surnames_are_tried_first(name, full, initials):
    assert keys_of(name) == (full, initials)


def test_rare_and_non_chinese_characters_never_crash_and_unknown_ones_keep_themselves():
    assert keys_of("褚𬌗堃") == ("chuhekun", "chk")  # 𬌗 (U+2C317, CJK extension E) is in the dictionary
    assert keys_of("买买提·艾力") == ("maimaitiaili", "mmtal")  # the middle dot of a transcribed name is left out
    assert keys_of("Anna李") == ("annali", "annal")
    private = "王\ue000"  # a private-use character of an old font: no reading, but kept
    assert keys_of(private) == ("wang\ue000", "w\ue000")
    assert pinyin.person_name(private).sort_key > pinyin.person_name("王壮").sort_key  # after every reading
    assert pinyin.person_name("  ").full == "" and pinyin.place_name("").initials == ""


def test_the_sort_key_orders_by_pinyin_then_by_the_characters_in_plain_ascii():
    names = ["赵一", "张伟", "阿明", "章伟", "夏", "奚兰", "安娜", "张三", "曾小贤", "单田芳", "西安", "夏娜"]
    ordered = sorted(names, key=lambda n: pinyin.person_name(n).sort_key)
    assert ordered == ["阿明", "安娜", "单田芳", "西安", "奚兰", "夏", "夏娜", "曾小贤", "张三", "张伟", "章伟", "赵一"]
    # 奚兰 (xi lan) before 夏 (xia): syllable by syllable, not as one run of letters ("xilan" > "xia")
    assert all(k.isascii() and k.isalnum() and k == k.lower() for k in (pinyin.person_name(n).sort_key for n in names))
    townships = ["新碶街道", "大碶街道", "春晓街道", "柴桥街道", "白峰街道", "霞浦街道"]
    assert sorted(townships, key=lambda n: pinyin.place_name(n).sort_key) == [
        "白峰街道", "柴桥街道", "春晓街道", "大碶街道", "霞浦街道", "新碶街道"]


def test_a_search_text_is_pinyin_only_when_made_of_latin_letters():
    assert pinyin.is_pinyin_query("ZW") and pinyin.is_pinyin_query("xi'an") and pinyin.is_pinyin_query("zhang wei")
    assert pinyin.latin_query("Zhang Wei") == "zhangwei" and pinyin.latin_query("xi'an") == "xian"
    assert not pinyin.is_pinyin_query("张w") and not pinyin.is_pinyin_query("1234") and not pinyin.is_pinyin_query(" ")


# --- stored keys, search and sort ----------------------------------------------------------------------------------


def register(db, names=NAMES, *, township="大碶街道", first_serial=1):
    today = clock.today()
    numbers = {}
    with unit_of_work(db.engine) as session:
        for offset, name in enumerate(names):
            registered, _ = registration.register_one(session, RegistrationInput(
                name=name, id_number=make_id(born_years_before(today, 30), serial=first_serial + offset), level="高中",
                registered_on=today, township=township), rules.load_rules(session), actor="tester", today=today)
            numbers[name] = registered.student_number
    return numbers


def found(db, search, **options):
    with read_session(db.engine) as session:
        return [r.name for r in learners.list_learners(session, LearnerFilter(search=search), sort="name", **options)]


def assert_keys_agree(db):
    """Every learner's and township's stored keys are those of the name it holds now."""
    with read_session(db.engine) as session:
        people = session.execute(select(Learner.name, Learner.name_pinyin, Learner.name_initials, Learner.name_sort)).all()
        places = session.execute(select(Township.name, Township.name_sort)).all()
    assert people and places
    for name, full, initials, sort_key in people:
        assert (full, initials, sort_key) == tuple(name_keys(name).values()) and full, name
    for name, sort_key in places:
        assert sort_key == pinyin.place_name(name).sort_key, name


def test_full_pinyin_part_of_it_and_initials_find_the_learner_without_false_hits(school_db):
    register(school_db)
    assert found(school_db, "zhangwei") == ["张伟"]
    assert found(school_db, "Zhang Wei") == ["张伟"]
    assert found(school_db, "zhang") == ["张三", "张伟"]
    assert found(school_db, "zw") == ["张伟", "赵薇", "周文"]
    assert found(school_db, "ZW") == ["张伟", "赵薇", "周文"]
    assert found(school_db, "wz") == ["王志"]
    assert found(school_db, "zeng") == ["曾小贤"] and found(school_db, "ceng") == []  # the surname reading
    assert found(school_db, "shantianfang") == ["单田芳"] and found(school_db, "stf") == ["单田芳"]
    assert found(school_db, "zhangwi") == [] and found(school_db, "wzz") == []
    assert found(school_db, "张") == ["张三", "张伟"]  # characters, ID numbers and numbers still work as before
    with read_session(school_db.engine) as session:
        assert learners.count_learners(session, LearnerFilter(search="zw")) == 3


def test_names_and_townships_sort_by_pinyin(school_db):
    with unit_of_work(school_db.engine) as session:
        for name in ("柴桥街道", "白峰街道", "春晓街道"):
            site.add_township(session, name, school_code=None, actor="tester")
    register(school_db)
    register(school_db, ["李白", "杜甫"], township="柴桥街道", first_serial=20)
    register(school_db, ["白居易"], township="白峰街道", first_serial=30)
    assert found(school_db, None) == ["白居易", "杜甫", "李白", "单田芳", "王志", "曾小贤", "张三", "张伟", "赵薇", "周文"]
    assert found(school_db, None, descending=True)[:2] == ["周文", "赵薇"]
    with read_session(school_db.engine) as session:
        by_township = [r.township for r in learners.list_learners(session, sort="township")]
        assert list(dict.fromkeys(by_township)) == ["白峰街道", "柴桥街道", "大碶街道"]
        assert [t.name for t in site.list_townships(session)] == ["白峰街道", "柴桥街道", "春晓街道", "大碶街道", "新碶街道"]
    assert_keys_agree(school_db)


def test_every_way_a_name_is_written_stores_its_keys(school_db, tmp_path):
    numbers = register(school_db, ["张伟", "陈堃"])
    today = clock.today()
    sheet = write_roster(tmp_path / "报名表.xlsx", [r13_row(1, "单田芳", make_id(born_years_before(today, 40), serial=40)),
                                                   r13_row(2, "尉迟恭", make_id(born_years_before(today, 41), serial=41))])
    with unit_of_work(school_db.engine) as session:  # the import's bulk insert
        assert roster.import_roster(session, sheet, registered_on=today, actor="tester", township="新碶街道").imported == 2
    with read_session(school_db.engine) as session:  # a correction of the name
        learner_id = learner_edit.find_learner_id(session, numbers["张伟"])
        version = learner_edit.load_for_edit(session, learner_id, actor="tester").version
    with unit_of_work(school_db.engine) as session:
        learner_edit.update_learner(session, learner_id, version, LearnerChanges(name="章敏"), "tester")
    with unit_of_work(school_db.engine) as session:  # anonymised on request: the keys are the initial's
        enrolments.withdraw(session, numbers["陈堃"], reason="外出务工", actor="tester", on=today, today=today)
        privacy.erase(session, numbers["陈堃"], reason="本人书面申请", actor="tester")
    assert found(school_db, "zm") == ["章敏"] and found(school_db, "zhangwei") == [] and found(school_db, "zw") == []
    assert found(school_db, "ycg") == ["尉迟恭"] and found(school_db, "stf") == ["单田芳"]
    assert found(school_db, "chenkun") == [] and found(school_db, "chen") == ["陈*"]
    assert_keys_agree(school_db)


def test_the_command_line_search_takes_pinyin_and_says_when_nothing_matched(capsys, school_db, db_arg):
    register(school_db)
    assert cli.main(["learners", "list", "--search", "zw", "--db", db_arg]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["学籍号", "姓名"] and len(lines) == 4
    assert [line.split()[1] for line in lines[1:]] == ["张伟", "周文", "赵薇"]  # the list's own order: student number
    assert "王志" not in out
    assert cli.main(["learners", "list", "--search", "qqq", "--db", db_arg]) == 0
    out = capsys.readouterr().out
    assert "没有符合条件的学员" in out and "qqq" in out and "拼音" in out
    assert cli.main(["learners", "list", "--search", "qqq", "--format", "json", "--db", db_arg]) == 0
    assert capsys.readouterr().out.strip() == "[]"  # JSON stays what scripts read


# --- migration and sync ------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_only("builds a 0013 SQLite file")
def test_a_0013_database_gets_the_keys_of_its_learners_and_townships(tmp_path):
    path = tmp_path / "school-0013.sqlite3"
    engine = make_engine(database_url(path))
    try:
        migrate.upgrade(engine, "0013")
        born = clock.today() - timedelta(days=365 * 30)
        stamp = clock.now().strftime("%Y-%m-%d %H:%M:%S")
        with sqlite3.connect(path) as connection:
            connection.execute("INSERT INTO townships (uuid, version, created_at, updated_at, name) "
                               "VALUES ('t-1', 1, ?, ?, '大碶街道')", (stamp, stamp))
            connection.executemany(
                "INSERT INTO learners (uuid, version, created_at, updated_at, name, id_number, gender, birth_date) "
                "VALUES (?, 1, ?, ?, ?, ?, 'male', ?)",
                [(f"l-{i}", stamp, stamp, name, make_id(born, serial=i), born.isoformat())
                 for i, name in enumerate(NAMES + ["褚𬌗堃"])])
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision() == "0014"
        with sqlite3.connect(path) as connection:
            stored = dict((n, (p, i)) for n, p, i in connection.execute(
                "SELECT name, name_pinyin, name_initials FROM learners"))
            assert stored["张伟"] == ("zhangwei", "zw") and stored["单田芳"] == ("shantianfang", "stf")
            assert stored["褚𬌗堃"] == ("chuhekun", "chk")
            assert connection.execute("SELECT name_sort FROM townships").fetchone()[0] == pinyin.place_name("大碶街道").sort_key
            indexes = {row[1] for row in connection.execute("PRAGMA index_list(learners)")}
            assert {"ix_learners_name_pinyin", "ix_learners_name_initials", "ix_learners_name_sort"} <= indexes
        from alembic import command

        command.downgrade(migrate.alembic_config(engine), "0013")
        with sqlite3.connect(path) as connection:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(learners)")}
            assert "name_pinyin" not in columns and connection.execute("SELECT count(*) FROM learners").fetchone()[0] == 8
    finally:
        engine.dispose()


def test_the_keys_stay_home_and_the_district_computes_them_for_merged_learners(
        tmp_path, district_db, keys, public_key, fresh_db):
    school = make_school(fresh_db, "330206-01", office=district_db)
    merge(district_db, keys, export(school, tmp_path, public_key, "p1.aspkg"))
    assert_keys_agree(district_db)
    with read_session(school.engine) as session:
        number, learner_id, version = session.execute(
            select(Enrolment.student_number, Learner.id, Learner.version)
            .join(Learner, Enrolment.learner_id == Learner.id).order_by(Enrolment.id)).first()
    with unit_of_work(school.engine) as session:
        learner_edit.update_learner(session, learner_id, version, LearnerChanges(name="单田芳"), "clerk")
    merge(district_db, keys, export(school, tmp_path, None, "p2.aspkg"))
    assert "单田芳" in found(district_db, "stf")
    assert_keys_agree(district_db)
    with read_session(district_db.engine) as session:
        merged = session.execute(select(Learner.name_pinyin).join(Enrolment, Enrolment.learner_id == Learner.id)
                                 .where(Enrolment.student_number == number)).scalar_one()
    assert merged == "shantianfang"


def test_a_package_row_carries_no_derived_column():
    from adultschool.services.sync_tables import SPEC_BY_NAME

    assert {c.name for c in SPEC_BY_NAME["learners"].columns}.isdisjoint({"name_pinyin", "name_initials", "name_sort"})
    assert "name_sort" not in {c.name for c in SPEC_BY_NAME["townships"].columns}
    assert "name" in {c.name for c in SPEC_BY_NAME["learners"].columns}

