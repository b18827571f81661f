"""Small district and school databases for the sync pages' tests (as tests/test_sync.py builds them, smaller)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from adultschool.db import Database, open_database, read_session, unit_of_work
from adultschool.models import SiteKind
from adultschool.services import demo, district, district_keypair, district_schools, registration, rules, site, sync
from adultschool.services.registration import RegistrationInput
from testclock import TODAY

PASSPHRASE = "correct-horse-battery"
DISTRICT_CODE = "330206"


def make_district(folder: Path, *, keys: bool = True) -> Database:
    db = open_database(folder / "district.sqlite3", create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.DISTRICT, code=DISTRICT_CODE, name="北仑区分中心", actor="district")
        if keys:
            district_keypair.keygen(session, folder / "keys", PASSPHRASE, actor="district")
    return db


def district_keys(db: Database):
    with read_session(db.engine) as session:
        return district_keypair.district_keys(session, PASSPHRASE)


def make_school(folder: Path, code: str, *, learners: int = 5, seed: int = 1, public_key: Path | None = None,
                today: date | None = None, office: Database | None = None) -> Database:
    """A school with demo learners; with `office`, on that district's roster with its key's fingerprint."""
    db = open_database(folder / f"school-{code}.sqlite3", create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code=code, name=f"{code} 成人文化技术学校", actor="clerk")
        sync.ensure_signing_key(session, actor="clerk")
        demo.fill_demo(session, learners=learners, actor="clerk", seed=seed, today=today)
        if public_key is not None:
            sync.set_district_key(session, public_key.read_bytes(), actor="clerk")
    if office is not None:
        enlist(office, db)
    return db


def enlist(office: Database, school: Database, *, fingerprint: bool = True) -> str:
    """Puts `school` on the district's roster (with its key's fingerprint, as read out on the phone, unless not)."""
    with read_session(school.engine) as session:
        info, own = site.get_site(session), sync.own_fingerprint(session)
    with unit_of_work(office.engine) as session:
        district_schools.add_school(session, info.code, name=info.name, fingerprint=own if fingerprint else None,
                                    actor="district")
    return own


def export(db: Database, out: Path, *, full: bool = False) -> Path:
    with unit_of_work(db.engine) as session:
        sync.export_package(session, out, full=full, actor="clerk")
    return out


def merge(district_db: Database, keys, path: Path) -> district.PackageReport:
    with unit_of_work(district_db.engine) as session:
        return district.import_package(session, path.read_bytes(), file_name=path.name, keys=keys, actor="district")


def register_person(db: Database, *, name: str, id_number: str, level: str) -> None:
    with unit_of_work(db.engine) as session:
        registration.register_one(session, RegistrationInput(township="大碶街道", name=name, id_number=id_number, level=level,
                                                             registered_on=TODAY),
                                  rules.load_rules(session), actor="clerk")


def tampered(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]
