"""The command line as the district, scripts and clerks use it: output, exit codes, JSON keys, masking."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import openpyxl
import pytest

from adultschool import cli, paths
from factories import make_id, r13_row, write_roster

# Commands on a database made by `init`: SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (--db gets the URL).
pytestmark = pytest.mark.server_db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def init_school(capsys, db: str) -> None:
    code, out, _ = run(capsys, "init", "--db", str(db), "--school-code", "330206-01", "--school-name", "大碶成校",
                       "--township", "大碶街道")
    assert code == 0 and "initialised school 330206-01" in out


def test_roster_import_exit_codes_last_line_and_errors_file(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    good = write_roster(tmp_path / "good.xlsx", [r13_row(1, "甲", make_id(date(1990, 1, 5)))])
    code, out, _ = run(capsys, "roster", "import", str(good), "--db", str(db), "--registered-on", "2026-03-01")
    assert code == 0 and out.strip().splitlines()[-1] == "imported 1, rejected 0"

    mixed = write_roster(tmp_path / "mixed.xlsx", [r13_row(1, "乙", make_id(date(1991, 1, 5), serial=2)), r13_row(2, "丙", "12")])
    errors = tmp_path / "errors.xlsx"
    code, out, _ = run(capsys, "roster", "import", str(mixed), "--db", str(db), "--errors", str(errors))
    assert code == 1
    assert "未导入 第 5 行 [身份证号码]" in out
    assert out.strip().splitlines()[-1] == "imported 1, rejected 1"
    assert openpyxl.load_workbook(errors).active.max_row >= 2


def test_unreadable_file_and_missing_header_exit_2_with_a_chinese_message(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    code, _, err = run(capsys, "roster", "import", str(junk), "--db", str(db))
    assert code == 2 and "junk.xlsx" in err
    headerless = write_roster(tmp_path / "h.xlsx", [["a"]], headers=["随便"], title=None, unit=None)
    code, _, err = run(capsys, "roster", "import", str(headerless), "--db", str(db))
    assert code == 2 and "表头" in err


def test_dry_run_writes_nothing(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    roster_file = write_roster(tmp_path / "r.xlsx", [r13_row(1, "甲", make_id(date(1990, 1, 5)))])
    code, out, _ = run(capsys, "roster", "import", str(roster_file), "--db", str(db), "--dry-run")
    assert code == 0 and out.strip().splitlines()[-1] == "would import 1, rejected 0"
    _, out, _ = run(capsys, "learners", "list", "--db", str(db), "--format", "json")
    assert json.loads(out) == []


def test_learners_list_json_has_the_stable_keys_and_masks_ids_unless_asked(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    id_number = make_id(date(1990, 1, 5))
    run(capsys, "roster", "import", str(write_roster(tmp_path / "r.xlsx", [r13_row(1, "钱喆", id_number)])), "--db", str(db),
        "--registered-on", "2026-03-01", "--township", "大碶街道")
    _, out, _ = run(capsys, "learners", "list", "--db", str(db), "--format", "json")
    [row] = json.loads(out)
    assert set(row) == {"student_number", "name", "gender", "id_number", "level", "status", "registered_on", "township"}
    assert row["id_number"] == id_number[:6] + "********" + id_number[-4:]
    assert (row["name"], row["level"], row["status"], row["registered_on"], row["township"]) == (
        "钱喆", "senior", "active", "2026-03-01", "大碶街道")
    _, out, _ = run(capsys, "learners", "list", "--db", str(db), "--format", "json", "--unmasked")
    assert json.loads(out)[0]["id_number"] == id_number


def test_learners_search_by_name_phone_student_number_and_id_tail(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    a, b = make_id(date(1990, 1, 5), serial=1), make_id(date(1991, 1, 5), serial=2)
    run(capsys, "roster", "import", str(write_roster(tmp_path / "r.xlsx", [
        r13_row(1, "孙堃", a, phone="13900001111"), r13_row(2, "李四", b, phone="13800002222")])), "--db", str(db))
    for needle, expected in (("堃", "孙堃"), ("2222", "李四"), ("00002", "李四"), (a[-6:], "孙堃")):
        _, out, _ = run(capsys, "learners", "list", "--db", str(db), "--format", "json", "--search", needle)
        assert [r["name"] for r in json.loads(out)] == [expected], needle


def test_roster_export_writes_the_summary_form(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    run(capsys, "roster", "import", str(write_roster(tmp_path / "r.xlsx", [r13_row(1, "甲", make_id(date(1990, 1, 5)))])),
        "--db", str(db))
    out_file = tmp_path / "汇总.xlsx"
    code, out, _ = run(capsys, "roster", "export", str(out_file), "--db", str(db), "--level", "高中")
    assert code == 0 and "exported 1" in out
    assert openpyxl.load_workbook(out_file).active["B4"].value == "甲"


def test_commands_on_a_missing_database_exit_2_and_say_to_run_init(capsys, tmp_path):
    code, _, err = run(capsys, "learners", "list", "--db", str(tmp_path / "none.sqlite3"))
    assert code == 2 and "adultschool init" in err


def test_rules_set_changes_what_registration_accepts(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    code, out, _ = run(capsys, "rules", "set", "max_age", "65", "--db", str(db))
    assert code == 0
    _, out, _ = run(capsys, "rules", "show", "--db", str(db))
    assert any(line.split()[1:3] == ["max_age", "65"] for line in out.splitlines() if len(line.split()) > 2)


def test_demo_then_audit_verify(capsys, tmp_path, fresh_db):
    db = fresh_db("demo")
    code, out, _ = run(capsys, "demo", "--db", str(db), "--learners", "120")
    assert code == 0 and "registered 120" in out
    code, out, _ = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 0 and "intact" in out


def test_version_and_python_dash_m_entry_point_work_and_the_cli_never_loads_qt(tmp_path):
    env = {**os.environ, "ADULTSCHOOL_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "adultschool", "--version"], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout.startswith("adultschool 0.")
    probe = ("import sys; from adultschool import cli; cli.main(['demo', '--db', sys.argv[1], '--learners', '5']); "
             "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "d.sqlite3")], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_readiness_json_keys_and_study_import_exit_codes(capsys, tmp_path, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    id_number = make_id(date(1990, 1, 5))
    run(capsys, "roster", "import", str(write_roster(tmp_path / "r.xlsx", [r13_row(1, "甲", id_number)])), "--db", str(db),
        "--registered-on", "2026-01-31")
    study_csv = tmp_path / "study.csv"
    study_csv.write_text("身份证号码,课程,视频,已学时长(分钟)\n" + "".join(f"{id_number},成人高中数学,第{i}讲,60\n" for i in range(20))
                         + "110101199001011237,成人高中数学,第1讲,60\n", encoding="utf-8-sig")
    code, out, _ = run(capsys, "study", "import", str(study_csv), "--db", str(db))
    assert code == 1 and "未导入 第 22 行 [身份证号码]" in out
    code, out, _ = run(capsys, "readiness", "--db", str(db), "--as-of", "2026-04-30", "--format", "json")
    [row] = json.loads(out)
    assert set(row) == {"student_number", "name", "id_number", "level", "registered_on", "months_done", "video_hours",
                        "class_hours", "ready", "ready_on", "missing"}
    assert (row["ready"], row["months_done"], row["video_hours"], row["ready_on"], row["missing"]) == (
        True, 3, 20.0, "2026-04-30", [])
    assert "*" in row["id_number"]
    code, out, _ = run(capsys, "totals", "rebuild", "--check", "--db", str(db))
    assert code == 0 and "match" in out


def test_csv_output_keeps_formula_like_text_inert_for_spreadsheets(capsys):
    from adultschool.cli.common import emit

    records = [{"name": "=HYPERLINK(1)", "n": 1}, {"name": "＋86", "n": -2}, {"name": "钱喆", "n": 3}]
    emit("csv", ("姓名", "数"), ("name", "n"), records)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["name,n", "'=HYPERLINK(1),1", "'＋86,-2", "钱喆,3"]  # numbers stay numbers


def test_saving_a_layout_over_a_hand_edited_layouts_setting_that_is_no_table_starts_a_new_one(capsys, fresh_db):
    db = fresh_db("s")
    init_school(capsys, db)
    paths.set_local_setting("print_layouts", "办公室 EPSON")  # edited by hand: listing ignores it, saving replaces it
    code, out, _ = run(capsys, "config", "layout")
    assert code == 0 and "办公室 EPSON" not in out
    code, out, _ = run(capsys, "config", "layout", "办公室 EPSON", "--offset-x", "1.5", "--db", str(db))
    assert code == 0 and out.strip().endswith("layout 办公室 EPSON saved")
    _, out, _ = run(capsys, "config", "layout")
    assert "办公室 EPSON" in out and "1.5" in out
