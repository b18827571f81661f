"""Building blocks of the sync tests: a district with keys, schools with demo learners (on the district's roster or
not), packages exported and merged, and every travelling row as it travels, for comparing two databases."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, update

from adultschool.db import open_database, read_session, unit_of_work
from adultschool.models import Enrolment, Learner, SiteKind, SyncPackage
from adultschool.services import (
    certificates,
    demo,
    district,
    district_keypair,
    district_schools,
    exam_applications,
    exam_results,
    graduation,
    photos,
    registration,
    rules,
    site,
    study,
    sync,
)
from adultschool.services.registration import RegistrationInput
from adultschool.services.sync import _select_rows
from adultschool.services.sync_tables import SPECS
from factories import jpeg, make_id

PASSPHRASE = "correct-horse-battery"
SENIOR = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]


# --- building blocks ---------------------------------------------------------------------------------------------


@pytest.fixture
def district_db(tmp_path, fresh_db):
    db = open_database(fresh_db("district"), create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.DISTRICT, code="330206", name="北仑区分中心", actor="district")
        district_keypair.keygen(session, tmp_path / "keys", PASSPHRASE, actor="district")
    yield db
    db.close()


@pytest.fixture
def keys(district_db):
    with read_session(district_db.engine) as session:
        return district_keypair.district_keys(session, PASSPHRASE)


@pytest.fixture
def public_key(tmp_path, district_db) -> bytes:
    return (tmp_path / "keys" / "district.pub").read_bytes()


def make_school(fresh_db, code: str, *, learners: int = 12, seed: int = 1, name: str | None = None,
                office=None) -> object:
    """A school database from `fresh_db` (a file, or a PostgreSQL database) with demo learners; with `office`, put on
    that district's roster with its key's fingerprint (as the school would read it out on the phone)."""
    db = open_database(fresh_db(name or f"school-{code}"), create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code=code, name=f"{code} 成人文化技术学校", actor="clerk")
        sync.ensure_signing_key(session, actor="clerk")
        demo.fill_demo(session, learners=learners, actor="clerk", seed=seed, today=date(2026, 11, 20))
    if office is not None:
        enlist(office, db)
    return db


def enlist(office, school) -> str:
    """Puts `school` on the district's roster with the fingerprint of its signing key; returns the fingerprint."""
    with read_session(school.engine) as session:
        info, fingerprint = site.get_site(session), sync.own_fingerprint(session)
    with unit_of_work(office.engine) as session:
        district_schools.add_school(session, info.code, name=info.name, fingerprint=fingerprint, actor="district")
    return fingerprint


def graduate_one(db, tmp_path, *, serial: int) -> str:
    """A learner carried through study, exam, results, graduation, printing and a skill certificate."""
    id_number = make_id(date(1988, 6, 1), serial=serial)
    with unit_of_work(db.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(
            name="林犇", id_number=id_number, level="高中", registered_on=date(2026, 1, 31), township="大碶街道"),
            rules.load_rules(session),
            actor="clerk")
    number = registered.student_number
    with unit_of_work(db.engine) as session:
        photos.set_photo(session, number, jpeg(), source="照片.jpg", actor="clerk")
    book = openpyxl.Workbook()
    book.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for i in range(20):
        book.active.append([id_number, "成人高中数学", f"第{i}讲", 60])
    book.save(tmp_path / f"study-{serial}.xlsx")
    with unit_of_work(db.engine) as session:
        study.import_study(session, tmp_path / f"study-{serial}.xlsx", actor="clerk")
    with unit_of_work(db.engine) as session:
        exam_applications.apply_for_exam(session, date(2026, 5, 1), round_name="2026年5月结业考试", actor="clerk", student_numbers=[number])
    book = openpyxl.Workbook()
    book.active.append(["学籍号", "课程", "成绩", "考试日期"])
    for course in SENIOR:
        book.active.append([number, course, 75, "2026-05-20"])
    book.save(tmp_path / f"results-{serial}.xlsx")
    with unit_of_work(db.engine) as session:
        exam_results.import_results(session, tmp_path / f"results-{serial}.xlsx", actor="clerk")
        graduation.record_skill_certificate(session, student_number=number, name="叉车司机（五级）", number=f"S{serial}",
                                            issued_on=date(2026, 3, 1), actor="clerk")
    with unit_of_work(db.engine) as session:
        graduation.graduate(session, date(2026, 6, 1), actor="clerk")
        certificates.certificates_to_print(session, actor="clerk", student_numbers=[number])
    return number


def export(db, tmp_path: Path, public_key: bytes | None, name: str, *, full: bool = False) -> bytes:
    out = tmp_path / name
    with unit_of_work(db.engine) as session:
        sync.export_package(session, out, district_key_file=public_key, full=full, actor="clerk")
    return out.read_bytes()


def merge(district_db, keys, data: bytes, name: str = "p.aspkg") -> district.PackageReport:
    with unit_of_work(district_db.engine) as session:
        return district.import_package(session, data, file_name=name, keys=keys, actor="district")


def snapshot(db) -> dict[str, dict[str, dict]]:
    """Every travelling row as it travels (foreign keys as uuids), by table and uuid."""
    with read_session(db.engine) as session:
        return {spec.name: {r["uuid"]: dict(r) for r in session.execute(_select_rows(spec, changed_only=False)).mappings()}
                for spec in SPECS}


def counts(db) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot(db).items()} | {"packages": _count(db, SyncPackage)}


def _count(db, model) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def set_phone(db, student_number: str, phone: str) -> None:
    with unit_of_work(db.engine) as session:
        learner_id = session.execute(select(Enrolment.learner_id).where(Enrolment.student_number == student_number)).scalar_one()
        session.execute(update(Learner).where(Learner.id == learner_id).values(phone=phone, version=Learner.version + 1))


def phone_at(db, student_number: str) -> str | None:
    with read_session(db.engine) as session:
        return session.execute(select(Learner.phone).join(Enrolment, Enrolment.learner_id == Learner.id)
                               .where(Enrolment.student_number == student_number)).scalar_one()


def first_number(db) -> str:
    with read_session(db.engine) as session:
        return session.execute(select(Enrolment.student_number).order_by(Enrolment.id)).scalars().first()
