"""The district talks back: its package to a school (.asdist) carries task numbers, rules, certificate wording, exam
rounds, results and the receipt; the school previews it, applies it once, and refuses what is not its district's,
not for it, damaged or older than what it has; the next school package carries what the results did."""
from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from adultschool import aspkg
from adultschool.cli import main as cli_main
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Certificate, Enrolment, EnrolmentStatus, ExamResult, Level, SyncSchool
from adultschool.services import (
    certificate_settings,
    district_inbox,
    district_outbox,
    district_status,
    exam_applications,
    exam_reports,
    exam_results,
    exam_rounds,
    graduation,
    registration,
    rules,
    site,
    statistics,
    study,
)
from adultschool.services.registration import RegistrationInput
from factories import make_id
from syncbuild import (  # noqa: F401 - district_db, keys and public_key are fixtures
    PASSPHRASE,
    SENIOR,
    district_db,
    export,
    graduate_one,
    keys,
    make_school,
    merge,
    public_key,
    snapshot,
)

pytestmark = pytest.mark.server_db

CODE = "330206-01"


def _ready_learner(db, tmp_path: Path) -> str:
    """A senior learner with the video hours and an exam application: only the results are missing."""
    id_number = make_id(date(1990, 3, 4), serial=7)
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name="葛晓燕", id_number=id_number, level="高中", registered_on=date(2026, 1, 20), township="大碶街道"),
            rules.load_rules(session), actor="clerk")
    book = openpyxl.Workbook()
    book.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for i in range(20):
        book.active.append([id_number, "成人高中数学", f"第{i}讲", 60])
    book.save(tmp_path / "study.xlsx")
    with unit_of_work(db.engine) as session:
        study.import_study(session, tmp_path / "study.xlsx", actor="clerk")
    with unit_of_work(db.engine) as session:
        exam_applications.apply_for_exam(session, date(2026, 5, 1), round_name="2026年5月结业考试", actor="clerk",
                                         student_numbers=[registered.student_number])
    return registered.student_number


def _district_decides(office, tmp_path: Path, number: str) -> None:
    """What the district sets for its schools: a task number, a pass mark (locked), a wording, a round, the scores."""
    with unit_of_work(office.engine) as session:
        site.set_quota(session, "大碶街道", 2026, 200, actor="district")
        rules.set_rule(session, "pass_mark", 70, actor="district")
        rules.set_school_may_change(session, ["min_video_hours"], allowed=True, actor="district")
        certificate_settings.set_wording(session, Level.SENIOR, issuer="宁波市北仑区教育局", actor="district")
        exam_rounds.add_round(session, "2026年秋季结业考试", held_on=date(2026, 11, 15), site_name="北仑区成人学校考点",
                              level=Level.SENIOR, actor="district")
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "姓名", "课程", "成绩", "考试日期"])
    for course in SENIOR:
        book.active.append([number, "葛晓燕", course, 78, "2026-11-15"])
    book.save(tmp_path / "district-scores.xlsx")
    with unit_of_work(office.engine) as session:
        report = exam_results.import_results(session, tmp_path / "district-scores.xlsx", actor="district")
    assert report.imported == len(SENIOR) and not report.rejected


def _package(office, keys, tmp_path: Path, name: str, code: str = CODE) -> bytes:
    with unit_of_work(office.engine) as session:
        summary = district_outbox.export_for_school(session, code, tmp_path / name, keys=keys, actor="district")
    assert summary.path == tmp_path / name
    return (tmp_path / name).read_bytes()


def _apply(db, data: bytes, name: str = "d.asdist", *, dry_run: bool = False) -> district_inbox.DistrictPackageReport:
    with unit_of_work(db.engine) as session:
        return district_inbox.import_district_package(session, data, file_name=name, actor="clerk", dry_run=dry_run)


def _school_state(db, number: str) -> tuple:
    with read_session(db.engine) as session:
        quota = {t.name: t.quotas for t in site.list_townships(session)}["大碶街道"].get(2026)
        results = session.execute(select(func.count()).select_from(ExamResult)).scalar_one()
        status = session.execute(select(Enrolment.status).where(Enrolment.student_number == number)).scalar_one()
        mark = rules.load_rules(session).pass_mark
        rounds = [r.name for r in exam_rounds.list_rounds(session)]
        issuer = certificate_settings.wording(session, Level.SENIOR).issuer
    return quota, results, status, mark, rounds, issuer


@pytest.fixture
def linked(tmp_path, district_db, keys, public_key, fresh_db):
    """A school on the district's roster, with a learner waiting for results, whose first package has arrived."""
    school = make_school(fresh_db, CODE, learners=6, office=district_db)
    number = _ready_learner(school, tmp_path)
    merge(district_db, keys, export(school, tmp_path, public_key, "s1.aspkg"))
    return school, number


def test_round_trip_district_to_school_and_back(tmp_path, district_db, keys, public_key, linked):
    school, number = linked
    _district_decides(district_db, tmp_path, number)
    data = _package(district_db, keys, tmp_path, "d1.asdist")
    assert district_inbox.is_district_package(data)
    before = _school_state(school, number)
    assert before[0] != 200 and before[2] is not EnrolmentStatus.PASSED

    # The preview says what would change and changes nothing.
    preview = _apply(school, data, dry_run=True)
    text = "\n".join(preview.lines())
    assert preview.dry_run and "大碶街道 2026 年任务数" in text and "→ 200" in text
    assert "规则“及格分数”：60 → 70" in text
    assert "高中证书：发证机关“宁波市北仑区教育局”" in text and "新考试批次 2026年秋季结业考试" in text
    assert preview.results is not None and preview.results.updated == len(SENIOR)
    assert f"将记入新的或有改动的 {len(SENIOR)} 条" in text
    assert preview.receipt is not None and preview.receipt.confirmed == [1]
    assert _school_state(school, number) == before

    report = _apply(school, data)
    assert not report.dry_run and report.lines()[1:] == [line.replace("将记入", "已记入") for line in preview.lines()[1:]]
    quota, results, status, mark, rounds, issuer = _school_state(school, number)
    assert (quota, results, status, mark, rounds, issuer) == (
        200, len(SENIOR), EnrolmentStatus.PASSED, 70, ["2026年秋季结业考试"], "宁波市北仑区教育局")

    # What the district set, the school cannot set otherwise; what it allowed, it can.
    with unit_of_work(school.engine) as session:
        with pytest.raises(AdultSchoolError, match="由分中心下达（200）"):
            site.set_quota(session, "大碶街道", 2026, 150, actor="clerk")
        with pytest.raises(AdultSchoolError, match="及格分数.*由分中心统一规定"):
            rules.set_rule(session, "pass_mark", 50, actor="clerk")
        with pytest.raises(AdultSchoolError, match="由分中心统一设定"):
            certificate_settings.set_wording(session, Level.SENIOR, issuer="别的机关", actor="clerk")
        rules.set_rule(session, "min_video_hours", 18, actor="clerk")
        assert rules.load_rules(session).values["min_video_hours"] == 18

    # The results graduate the learner; the school's next package carries the graduation to the district.
    with unit_of_work(school.engine) as session:
        report = graduation.graduate(session, date(2026, 12, 1), actor="clerk")
    assert [g[0] for g in report.graduated] == [number]
    merge(district_db, keys, export(school, tmp_path, None, "s2.aspkg"), "s2.aspkg")
    with read_session(district_db.engine) as session:
        status = session.execute(select(Enrolment.status).where(Enrolment.student_number == number)).scalar_one()
        certificates = session.execute(select(func.count()).select_from(Certificate)
                                       .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
                                       .where(Enrolment.student_number == number)).scalar_one()
        statuses = {s.code: s for s in district_status.school_statuses(session, date(2026, 12, 1))}
    assert status is EnrolmentStatus.GRADUATED and certificates == 1
    assert statuses[CODE].district_sequence == 1 and statuses[CODE].last_sent_at is not None


def test_the_same_package_twice_changes_nothing_and_an_older_one_is_refused(tmp_path, district_db, keys, linked):
    school, number = linked
    _district_decides(district_db, tmp_path, number)
    first = _package(district_db, keys, tmp_path, "d1.asdist")
    with unit_of_work(district_db.engine) as session:
        site.set_quota(session, "大碶街道", 2026, 240, actor="district")
    second = _package(district_db, keys, tmp_path, "d2.asdist")
    report = _apply(school, second, "d2.asdist")
    assert report.sequence == 2 and report.skipped == [1]
    assert any("第 1 号没有在本校导入过" in line for line in report.lines())
    state = snapshot(school)
    again = _apply(school, second, "d2.asdist")
    assert again.already and again.lines() == [again.lines()[0]] and "以前已经导入过" in again.lines()[0]
    with pytest.raises(AdultSchoolError, match="本校已经导入过更新的第 2 号"):
        _apply(school, first, "d1.asdist")
    assert snapshot(school) == state
    assert _school_state(school, number)[0] == 240


def _refused(school, data: bytes, match: str) -> None:
    state = snapshot(school)
    with pytest.raises(AdultSchoolError, match=match):
        _apply(school, data)
    assert snapshot(school) == state


def test_tampered_foreign_and_misaddressed_packages_are_refused_with_nothing_changed(
        tmp_path, district_db, keys, public_key, fresh_db, linked):
    school, number = linked
    _district_decides(district_db, tmp_path, number)
    data = _package(district_db, keys, tmp_path, "d1.asdist")
    for position in (len(data) // 3, len(data) // 2, len(data) - 30):
        changed = bytearray(data)
        changed[position] ^= 0x01
        _refused(school, bytes(changed), "损坏|不是|打不开|无法")
    # Signed by another district that uses the same code (a forged key): refused by its signature.
    with read_session(district_db.engine) as session:
        box = session.execute(select(SyncSchool.box_key).where(SyncSchool.code == CODE)).scalar_one()
    forged = aspkg.write_district_package(
        district=aspkg.generate_district_keys("330206"), school_code=CODE,
        school_box=base64.b64decode(box), sequence=9, created_at="2026-12-01T08:00:00+00:00", manifest={},
        members={"quotas.json": json.dumps({"大碶街道": {"2026": 999}}).encode()})
    _refused(school, forged, "不是本校登记的分中心签发的")
    # Meant for another school of the district: refused by its address.
    other_school = make_school(fresh_db, "330206-02", learners=2, seed=3, office=district_db)
    merge(district_db, keys, export(other_school, tmp_path, public_key, "o1.aspkg"), "o1.aspkg")
    for_other = _package(district_db, keys, tmp_path, "o.asdist", code="330206-02")
    _refused(school, for_other, "是分中心发给学校 330206-02 的数据包")
    # A school's own package is not a district package.
    _refused(school, export(school, tmp_path, None, "s2.aspkg"), "学校生成的数据包")
    assert _school_state(school, number)[1] == 0


def test_a_school_that_never_sent_cannot_be_sent_to_and_all_skips_it(tmp_path, district_db, keys, linked, fresh_db):
    from adultschool.services import district_schools

    with unit_of_work(district_db.engine) as session:
        district_schools.add_school(session, "330206-05", name="春晓成校", actor="district")
    with unit_of_work(district_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="还没有收到学校 330206-05"):
            district_outbox.export_for_school(session, "330206-05", tmp_path / "x.asdist", keys=keys, actor="district")
    with unit_of_work(district_db.engine) as session:
        result = district_outbox.export_for_all(session, tmp_path / "out", keys=keys, actor="district")
    assert [m.school_code for m in result.made] == [CODE]
    assert len(result.skipped) == 1 and "330206-05" in result.skipped[0]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [result.made[0].path.name]
    assert not (tmp_path / "x.asdist").exists()


def test_command_line_district_export_preview_and_import(tmp_path, monkeypatch, capsys, district_db, keys, linked):
    school, number = linked
    _district_decides(district_db, tmp_path, number)
    monkeypatch.setenv("ADULTSCHOOL_PASSPHRASE", PASSPHRASE)
    office_url, school_url = district_db.url, school.url
    out = tmp_path / "to-school.asdist"
    assert cli_main(["sync", "district-export", "--db", office_url, "--school", CODE, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "district packages 1, skipped 0"
    assert cli_main(["sync", "import", "--db", school_url, "--dry-run", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "导入后将有以下改动" in printed and "（预览：没有任何改动" in printed
    assert printed.strip().splitlines()[-1].startswith("district package 1: would apply quotas 1, rules ")
    assert _school_state(school, number)[1] == 0
    assert cli_main(["sync", "import", "--db", school_url, str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("district package 1: applied quotas 1, ")
    assert _school_state(school, number)[1] == len(SENIOR)
    assert cli_main(["sync", "status", "--db", school_url]) == 0
    assert "最近导入的分中心数据包：第 1 号" in capsys.readouterr().out
    assert cli_main(["rules", "show", "--db", school_url]) == 0
    shown = capsys.readouterr().out
    assert "分中心统一规定" in shown and "本校可设定" in shown
    assert cli_main(["exam", "rounds", "list", "--db", school_url]) == 0
    assert "2026年秋季结业考试" in capsys.readouterr().out
    with unit_of_work(school.engine) as session:
        assert exam_rounds.default_round_name(session, date(2026, 11, 1)) == "2026年秋季结业考试"  # the district's
        assert exam_rounds.default_round_name(session, date(2026, 11, 20)) == "2026年11月结业考试"  # past it: made up
    assert cli_main(["exam", "rounds", "add", "别的批次", "--date", "2027-05-01", "--site", "x", "--db", school_url]) == 2
    assert "考试批次由分中心设定" in capsys.readouterr().err
    assert cli_main(["sync", "status", "--db", office_url]) == 0
    assert "第 1 号" in capsys.readouterr().out


def test_lists_and_statistics_at_the_district_cover_every_merged_school(tmp_path, district_db, keys, public_key,
                                                                       fresh_db, linked):
    school, number = linked
    _district_decides(district_db, tmp_path, number)
    _apply(school, _package(district_db, keys, tmp_path, "d1.asdist"))
    with unit_of_work(school.engine) as session:
        graduation.graduate(session, date(2026, 12, 1), actor="clerk")
    merge(district_db, keys, export(school, tmp_path, None, "s2.aspkg"), "s2.aspkg")
    other = make_school(fresh_db, "330206-02", learners=4, seed=5, office=district_db)
    merge(district_db, keys, export(other, tmp_path, public_key, "o1.aspkg"), "o1.aspkg")
    with read_session(district_db.engine) as session:
        credit = exam_reports.credit_bank_rows(session)
        household = exam_reports.household_rows(session)
        stats = statistics.year_statistics(session, 2026)
        enrolled = session.execute(select(func.count()).select_from(Enrolment).where(
            Enrolment.quota_year == 2026, Enrolment.status != EnrolmentStatus.VOIDED)).scalar_one()
    assert {row[5] for row in credit} == {f"{CODE} 成人文化技术学校"} and len(credit) == len(SENIOR)
    assert [row[5] for row in household] == [f"{CODE} 成人文化技术学校"]
    assert stats.total_registered == enrolled and set(stats.by_school) == {
        f"{CODE} 成人文化技术学校", "330206-02 成人文化技术学校"}
    assert stats.graduated[Level.SENIOR] == 1 and stats.quotas["大碶街道"] == 200
    with read_session(district_db.engine) as session:
        statistics.write_statistics(session, tmp_path / "stats.xlsx", year=2026, actor="district")
    book = openpyxl.load_workbook(tmp_path / "stats.xlsx")
    assert book.sheetnames[:7] == ["概况", "按性别", "按年龄", "流动人口", "按街道镇", "历年毕业", "按学校"]
    assert [c.title for c in book.chartsheets] == ["图表-街道镇", "图表-历年毕业"]
    overview = list(book["概况"].iter_rows(min_row=3, values_only=True))
    assert overview[-1][:2] == ("合计", enrolled)
    genders = list(book["按性别"].iter_rows(min_row=3, values_only=True))
    assert sum(r[-1] for r in genders) == enrolled
    ages = list(book["按年龄"].iter_rows(min_row=3, values_only=True))
    assert sum(r[-1] for r in ages) == enrolled and ages[0][0].startswith("18–")
    dagi = next(r for r in book["按街道镇"].iter_rows(min_row=3, values_only=True) if r[0] == "大碶街道")
    assert dagi[2] == 200


def test_the_year_statistics_open_in_libreoffice_with_their_charts(tmp_path, district_db, fresh_db):
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    school = make_school(fresh_db, CODE, learners=20)
    graduate_one(school, tmp_path, serial=3)
    with read_session(school.engine) as session:
        stats = statistics.write_statistics(session, tmp_path / "stats.xlsx", year=2026, actor="clerk")
    assert stats.total_registered > 0 and sum(stats.graduated.values()) == 1
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "ods",
                    "--outdir", str(tmp_path / "ods"), str(tmp_path / "stats.xlsx")],
                   check=True, capture_output=True, timeout=180)
    import zipfile

    with zipfile.ZipFile(tmp_path / "ods" / "stats.ods") as ods:
        content = ods.read("content.xml").decode()
    assert content.count("<draw:object") >= 2  # both charts survived the conversion
    assert "按街道镇" in content and "历年毕业" in content
