"""Roles enforced in the services (and so on the command line): a teacher's limits, audited unmasking, `--user`,
`audit list`, and the before → after the audit log now keeps for learners, results, totals and settings."""
from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from adultschool import cli
from adultschool.db import read_session, unit_of_work
from adultschool.models import AuditEntry, ClassType, Level, Role
from adultschool.services import (
    accounts,
    audit,
    classes,
    documents,
    exam_results,
    graduation,
    learners,
    readiness,
    registration,
    roster,
    rules,
    site,
    study,
    survey,
)
from adultschool.services.permissions import NotAllowed
from adultschool.services.classes import Mark
from adultschool.models import AttendanceStatus
from adultschool.services.registration import RegistrationInput
from factories import make_id, r13_row, write_roster

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL; the CLI gets --db db_arg

PASSWORDS = {"boss": "boss-pass", "li": "li-pass-1", "wang": "wang-pass"}
OWN_CLASS, OTHER_CLASS = "大碶夜校班", "新碶厂班"


def enrol(db, name, serial, *, actor="boss", level="高中", registered_on=date(2026, 3, 2)):
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(township="大碶街道",
            name=name, id_number=make_id(date(1985, 5, serial), serial=serial), level=level, registered_on=registered_on,
            phone="13857412345"), rules.load_rules(session), actor=actor, today=date(2026, 3, 2))
    return registered.student_number


@pytest.fixture
def school(school_db):
    """Before accounts: two learners, a class taught by 王老师 and one by 陈老师. Then boss, li (clerk), wang (teacher)."""
    numbers = [enrol(school_db, "陈堃", 1, actor="root"), enrol(school_db, "王喆", 2, actor="root")]
    with unit_of_work(school_db.engine) as session:
        ids = {}
        for name, teacher in ((OWN_CLASS, "王老师"), (OTHER_CLASS, "陈老师")):
            info = classes.create_class(session, name=name, class_type=ClassType.NIGHT, level=Level.SENIOR,
                                        starts_on=date(2026, 3, 2), teacher=teacher, actor="root")
            classes.add_members(session, info.id, numbers, joined_on=date(2026, 3, 2), actor="root")
            ids[name] = info.id
        accounts.create_account(session, "boss", PASSWORDS["boss"], Role.ADMIN, actor="root")
        accounts.create_account(session, "li", PASSWORDS["li"], Role.CLERK, actor="boss", display_name="李明")
        accounts.create_account(session, "wang", PASSWORDS["wang"], Role.TEACHER, actor="boss", display_name="王老师")
    return {"db": school_db, "numbers": numbers, "classes": ids}


def entries(db, action=None):
    """Audit entries as plain rows (attributes: actor, action, summary, before, after)."""
    with read_session(db.engine) as session:
        query = select(AuditEntry.actor, AuditEntry.action, AuditEntry.summary, AuditEntry.before,
                       AuditEntry.after).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.execute(query).all())


# --- a teacher through the services --------------------------------------------------------------------------

def test_a_teacher_may_not_register_import_or_see_full_id_numbers(school, tmp_path):
    db = school["db"]
    roster_file = write_roster(tmp_path / "r.xlsx", [r13_row(1, "李赟", make_id(date(1990, 1, 5), serial=7))])
    with unit_of_work(db.engine) as session:
        with pytest.raises(NotAllowed, match="王老师（wang），任课教师：没有“登记学员”的权限"):
            enrol(db, "张犇", 3, actor="wang")
        with pytest.raises(NotAllowed, match="导入数据"):
            roster.import_roster(session, roster_file, registered_on=date(2026, 3, 2), actor="wang")
        with pytest.raises(NotAllowed, match="查看完整身份证号码"):
            learners.list_learners(session, unmasked=True, actor="wang")
        with pytest.raises(NotAllowed, match="查看完整身份证号码"):
            readiness.readiness(session, date(2026, 6, 1), unmasked=True, actor="wang")
        with pytest.raises(NotAllowed, match="查看完整身份证号码"):
            roster.export_roster(session, tmp_path / "out.xlsx", actor="wang")
        with pytest.raises(NotAllowed, match="考试与成绩"):
            graduation.graduate(session, date(2026, 6, 1), actor="wang")
        with pytest.raises(NotAllowed, match="修改规则"):
            rules.set_rule(session, "pass_mark", 70, actor="wang")
    assert not (tmp_path / "out.xlsx").exists()


def test_a_teacher_takes_attendance_only_in_their_own_class(school):
    db, ids = school["db"], school["classes"]
    with unit_of_work(db.engine) as session:
        lesson = classes.create_session(session, ids[OWN_CLASS], held_on=date(2026, 3, 9), hours=2, actor="wang")
        roll = classes.roll_call(session, lesson.id)
        saved = classes.save_roll_call(session, lesson.id, [Mark(line.enrolment_id, AttendanceStatus.PRESENT)
                                                            for line in roll.lines], actor="wang")
    assert saved == 2
    with unit_of_work(db.engine) as session:
        with pytest.raises(NotAllowed, match="任课教师是陈老师"):
            classes.create_session(session, ids[OTHER_CLASS], held_on=date(2026, 3, 9), hours=2, actor="wang")
    with unit_of_work(db.engine) as session:
        other = classes.create_session(session, ids[OTHER_CLASS], held_on=date(2026, 3, 9), hours=2, actor="li")
    with unit_of_work(db.engine) as session:
        lines = classes.roll_call(session, other.id).lines
        with pytest.raises(NotAllowed, match="只能为自己任教的班级"):
            classes.save_roll_call(session, other.id, [Mark(lines[0].enrolment_id, AttendanceStatus.ABSENT)], actor="wang")
        with pytest.raises(NotAllowed, match="管理班级"):
            classes.add_members(session, ids[OWN_CLASS], school["numbers"], joined_on=date(2026, 3, 9), actor="wang")


def test_clerk_and_admin_roles(school):
    db = school["db"]
    with unit_of_work(db.engine) as session:
        with pytest.raises(NotAllowed, match="修改规则"):
            rules.set_rule(session, "pass_mark", 70, actor="li")
        with pytest.raises(NotAllowed, match="修改设置"):
            site.add_township(session, "柴桥街道", school_code=None, actor="li")
        rules.set_rule(session, "pass_mark", 70, actor="boss")
    enrol(db, "李赟", 9, actor="li")


# --- unmasking is audited ------------------------------------------------------------------------------------

def test_showing_full_ids_writes_who_what_and_how_many(school):
    db = school["db"]
    with unit_of_work(db.engine) as session:
        rows = learners.list_learners(session, unmasked=True, actor="li")
    assert all("*" not in r.id_number for r in rows)
    entry = entries(db, "id.reveal")[-1]
    assert entry.actor == "li" and "学员名单" in entry.summary and json.loads(entry.after)["count"] == 2

    with unit_of_work(db.engine) as session:
        shown = learners.reveal_ids(session, [rows[0].enrolment_id], actor="li", what="学员页")
    assert shown[rows[0].enrolment_id].id_number == rows[0].id_number
    after = json.loads(entries(db, "id.reveal")[-1].after)
    assert after == {"what": "学员页", "count": 1, "student_numbers": [rows[0].student_number]}
    assert rows[0].id_number not in "".join(e.after or "" for e in entries(db))  # never the ID itself


def test_unmasking_in_a_read_only_snapshot_is_a_bug_not_a_silent_hole(school):
    with read_session(school["db"].engine) as session:
        with pytest.raises(RuntimeError, match="write transaction"):
            learners.list_learners(session, unmasked=True, actor="li")


def test_masked_lists_stay_masked_and_unaudited(school):
    db = school["db"]
    before = len(entries(db))
    with read_session(db.engine) as session:
        rows = learners.list_learners(session)
    assert all("********" in r.id_number for r in rows) and len(entries(db)) == before


# --- the command line ----------------------------------------------------------------------------------------

def run(capsys, monkeypatch, *argv, user=None, password=None):
    monkeypatch.delenv("ADULTSCHOOL_PASSWORD", raising=False)
    if password is not None:
        monkeypatch.setenv("ADULTSCHOOL_PASSWORD", password)
    args = list(argv) + (["--user", user] if user else [])
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_needs_a_user_once_accounts_exist(school, capsys, monkeypatch, db_arg):
    code, _, err = run(capsys, monkeypatch, "learners", "list", "--db", db_arg)
    assert code == 2 and "请用 --user 账户名 登录" in err
    code, out, _ = run(capsys, monkeypatch, "learners", "list", "--db", db_arg, user="li", password="li-pass-1")
    assert code == 0 and "陈堃" in out
    # --user before the subcommand, like --db
    code, out, _ = run(capsys, monkeypatch, "--user", "li", "--db", db_arg, "learners", "list", password="li-pass-1")
    assert code == 0 and "王喆" in out
    code, _, err = run(capsys, monkeypatch, "learners", "list", "--db", db_arg, user="li", password="wrong")
    assert code == 2 and "账户名或密码不对" in err
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0


def test_cli_without_a_password_and_without_a_terminal_says_how_to_give_one(school, capsys, monkeypatch, db_arg):
    code, _, err = run(capsys, monkeypatch, "learners", "list", "--db", db_arg, user="li")
    assert code == 2 and "ADULTSCHOOL_PASSWORD" in err


def test_cli_refuses_a_teacher_with_exit_2_and_a_chinese_message(school, capsys, monkeypatch, db_arg, tmp_path):
    roster_file = write_roster(tmp_path / "r.xlsx", [r13_row(1, "李赟", make_id(date(1990, 1, 5), serial=7))])
    for argv in (("roster", "import", str(roster_file)), ("learners", "list", "--unmasked"), ("learners", "list"),
                 ("readiness", "--unmasked"), ("users", "list"), ("audit", "list")):
        code, out, err = run(capsys, monkeypatch, *argv, "--db", db_arg, user="wang", password="wang-pass")
        assert code == 2, argv
        assert err.startswith("错误：王老师（wang），任课教师：没有“"), (argv, err)
        assert "330" not in out


def test_cli_teacher_logs_a_session_of_their_class_only(school, capsys, monkeypatch, db_arg):
    code, out, _ = run(capsys, monkeypatch, "class", "session", OWN_CLASS, "--date", "2026-03-09", "--hours", "2",
                       "--db", db_arg, user="wang", password="wang-pass")
    assert code == 0 and "created session" in out
    code, _, err = run(capsys, monkeypatch, "class", "session", OTHER_CLASS, "--date", "2026-03-09", "--hours", "2",
                       "--db", db_arg, user="wang", password="wang-pass")
    assert code == 2 and "只能为自己任教的班级" in err


def test_cli_unmasked_list_is_allowed_to_a_clerk_and_audited(school, capsys, monkeypatch, db_arg):
    code, out, _ = run(capsys, monkeypatch, "learners", "list", "--unmasked", "--format", "json", "--db", db_arg,
                       user="li", password="li-pass-1")
    assert code == 0
    assert all("*" not in r["id_number"] for r in json.loads(out))
    entry = entries(school["db"], "id.reveal")[-1]
    assert entry.actor == "li" and json.loads(entry.after) == {"what": "学员名单", "count": 2}
    code, _, _ = run(capsys, monkeypatch, "readiness", "--unmasked", "--as-of", "2026-06-01", "--db", db_arg,
                     user="boss", password="boss-pass")
    assert code == 0 and entries(school["db"], "id.reveal")[-1].actor == "boss"


def test_cli_users_commands(school, capsys, monkeypatch, db_arg):
    monkeypatch.setenv("ADULTSCHOOL_NEW_PASSWORD", "zhao-pass")
    code, out, _ = run(capsys, monkeypatch, "users", "add", "zhao", "--role", "teacher", "--display-name", "赵老师",
                       "--db", db_arg, user="boss", password="boss-pass")
    assert code == 0 and out.strip().endswith("added account zhao (teacher)")
    code, out, _ = run(capsys, monkeypatch, "users", "list", "--db", db_arg, user="boss", password="boss-pass")
    assert code == 0 and "赵老师" in out and "任课教师" in out
    code, _, err = run(capsys, monkeypatch, "users", "add", "qian", "--role", "clerk", "--db", db_arg,
                       user="li", password="li-pass-1")
    assert code == 2 and "管理账户" in err
    for _ in range(5):
        run(capsys, monkeypatch, "class", "list", "--db", db_arg, user="zhao", password="bad")
    code, _, err = run(capsys, monkeypatch, "class", "list", "--db", db_arg, user="zhao", password="zhao-pass")
    assert code == 2 and "已锁定" in err
    code, out, _ = run(capsys, monkeypatch, "users", "unlock", "zhao", "--db", db_arg, user="boss", password="boss-pass")
    assert code == 0 and "unlocked account zhao" in out
    monkeypatch.setenv("ADULTSCHOOL_NEW_PASSWORD", "zhao-pass-2")
    code, _, _ = run(capsys, monkeypatch, "users", "passwd", "zhao", "--db", db_arg, user="zhao", password="zhao-pass")
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, "users", "disable", "zhao", "--db", db_arg, user="boss", password="boss-pass")
    assert code == 0 and "disabled account zhao" in out
    code, _, err = run(capsys, monkeypatch, "class", "list", "--db", db_arg, user="zhao", password="zhao-pass-2")
    assert code == 2 and "已停用" in err


def test_cli_first_account_must_be_admin(capsys, monkeypatch, fresh_db):
    db = fresh_db("new")
    assert cli.main(["init", "--db", str(db), "--school-code", "330206-01", "--school-name", "大碶成校"]) == 0
    monkeypatch.setenv("ADULTSCHOOL_NEW_PASSWORD", "first-pass")
    code, _, err = run(capsys, monkeypatch, "users", "add", "li", "--role", "clerk", "--db", str(db))
    assert code == 2 and "第一个账户必须是管理员" in err
    code, out, _ = run(capsys, monkeypatch, "users", "add", "boss", "--role", "admin", "--db", str(db))
    assert code == 0 and "单用户模式已结束" in out


def test_cli_audit_list_filters_and_formats(school, capsys, monkeypatch, db_arg):
    code, out, _ = run(capsys, monkeypatch, "audit", "list", "--actor", "boss", "--format", "json", "--db", db_arg,
                       user="boss", password="boss-pass")
    assert code == 0
    rows = json.loads(out)
    assert rows and {r["actor"] for r in rows} == {"boss"}
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    code, out, _ = run(capsys, monkeypatch, "audit", "list", "--action", "account.", "--since", "2000-01-01",
                       "--format", "csv", "--db", db_arg, user="boss", password="boss-pass")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0] == "id,at,actor,action,summary,before,after" and len(lines) == 4
    code, out, _ = run(capsys, monkeypatch, "audit", "list", "--search", OTHER_CLASS, "--db", db_arg,
                       user="boss", password="boss-pass")
    assert code == 0 and "新建班级" in out and "新建账户" not in out
    code, out, _ = run(capsys, monkeypatch, "audit", "list", "--until", "2000-01-01", "--format", "json",
                       "--db", db_arg, user="boss", password="boss-pass")
    assert json.loads(out) == []


# --- audit entries added with before → after -----------------------------------------------------------------

def results_file(path, rows):
    workbook = openpyxl.Workbook()
    workbook.active.append(["学籍号", "姓名", "课程", "成绩", "考试日期"])
    for row in rows:
        workbook.active.append(list(row))
    workbook.save(path)
    return path


def test_a_changed_score_is_audited_before_and_after(school, tmp_path):
    db, number = school["db"], school["numbers"][0]
    with unit_of_work(db.engine) as session:
        exam_results.import_results(session, results_file(tmp_path / "a.xlsx", [(number, "陈堃", "成人高中数学", 50, "2026-05-20")]),
                                    actor="li", allow_unapplied=True)
    with unit_of_work(db.engine) as session:
        exam_results.import_results(session, results_file(tmp_path / "b.xlsx", [(number, "陈堃", "成人高中数学", 75, "2026-05-20")]),
                                    actor="li", allow_unapplied=True)
    entry = entries(db, "exam.results")[-1]
    key = f"{number} 成人高中数学 2026-05-20"
    assert json.loads(entry.before)["results"][key] == {"mark": "scored", "score": 50.0, "passed": False}
    assert json.loads(entry.after)["results"][key] == {"mark": "scored", "score": 75.0, "passed": True}
    assert "改动原有成绩 1 条" in entry.summary


def test_details_a_registration_or_survey_overwrites_are_audited(school, tmp_path):
    db = school["db"]
    with unit_of_work(db.engine) as session:
        registration.register_one(session, RegistrationInput(township="大碶街道",
            name="陈堃", id_number=make_id(date(1985, 5, 1), serial=1), level="初中", registered_on=date(2026, 3, 2),
            phone="13900001111", employer="北仑港"), rules.load_rules(session), actor="li", today=date(2026, 3, 2))
    entry = entries(db, "learner.register")[-1]
    (learner_uuid, before), = json.loads(entry.before)["learners"].items()
    after = json.loads(entry.after)["learners"][learner_uuid]
    assert before["phone"] == "138****2345" and after["phone"] == "139****1111"
    assert before["employer"] is None and after["employer"] == "北仑港"

    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "身份证号码", "是否愿意提升学历", "工作单位"])
    workbook.active.append(["王喆", make_id(date(1985, 5, 2), serial=2), "愿意", "宁波舟山港"])
    workbook.active["B2"].number_format = "@"
    workbook.save(tmp_path / "survey.xlsx")
    with unit_of_work(db.engine) as session:
        survey.import_survey(session, tmp_path / "survey.xlsx", actor="li", surveyed_on=date(2026, 3, 5))
    entry = entries(db, "survey.import")[-1]
    (changes,) = json.loads(entry.after)["learners"].values()
    assert changes["employer"] == "宁波舟山港" and changes["willingness"] == "yes"


def test_rebuilding_totals_and_changing_the_print_font_are_audited(school):
    db = school["db"]
    with unit_of_work(db.engine) as session:
        study.rebuild_totals(session, actor="li")
        documents.set_font(session, None, actor="li")  # already the default: nothing to record
    assert entries(db)[-1].action == "totals.rebuild" and entries(db)[-1].actor == "li"
    with unit_of_work(db.engine) as session:
        with pytest.raises(NotAllowed):
            study.rebuild_totals(session, actor="wang")
    with read_session(db.engine) as session:
        assert audit.verify(session).intact
