"""Graduation (R5, R11): every enrolment that passed all required courses graduates with the next certificate number of
its school and year; the vocational skill certificate some districts require is recorded here too.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    CLOSED_STATUSES,
    Certificate,
    CertificateCounter,
    Enrolment,
    EnrolmentStatus,
    Learner,
    SiteSetting,
    SkillCertificate,
)
from adultschool.services import audit, certificates, permissions
from adultschool.services.exam_results import passing_dates, required_courses
from adultschool.services.registration import CHUNK
from adultschool.services.rules import load_rules
from adultschool.services.site import require_school
from adultschool.textnorm import clean_text


@dataclass
class GraduationReport:
    graduated: list[tuple[str, str, str]] = field(default_factory=list)  # student number, name, certificate number
    held_back: list[tuple[str, str, str]] = field(default_factory=list)  # student number, name, reason


def certificate_number(school_code: str, year: int, serial: int) -> str:
    return f"{school_code}-BY{year}-{serial:04d}"


def _certificate_secret(session: Session) -> bytes:
    row = session.get(SiteSetting, "certificate.secret")
    if row is None:
        row = SiteSetting(key="certificate.secret", value=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return bytes.fromhex(row.value)


def graduate(session: Session, as_of: date, *, actor: str, today: date | None = None, dry_run: bool = False,
             only: Sequence[str] | None = None) -> GraduationReport:
    """Every enrolment that passed all required courses by `as_of` graduates on that day; numbers are given in
    student-number order. A course passed at an exam after `as_of` does not count yet, and after a revoked
    certificate only courses passed again after the revocation do.

    `dry_run` writes nothing and reports who would graduate with the numbers they would get (the preview the clerk
    confirms); `only` limits the graduation to those student numbers (exactly whom the preview showed)."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    site = require_school(session)
    rules = load_rules(session)
    today = today or clock.today()
    if as_of > today:
        raise AdultSchoolError(f"毕业日期 {as_of} 晚于今天：毕业只能按已考完的成绩办理。")
    candidates = session.execute(
        select(Enrolment, Learner).join(Learner, Learner.id == Enrolment.learner_id)
        .where(Enrolment.status.not_in((EnrolmentStatus.GRADUATED, *CLOSED_STATUSES)),
               ~Enrolment.id.in_(select(Certificate.enrolment_id).where(Certificate.revoked_on.is_(None))))
        .order_by(Enrolment.student_number)
    ).all()
    ids = [e.id for e, _ in candidates]
    passing = passing_dates(session, ids)
    revoked_on: dict[int, date] = {}
    for start in range(0, len(ids), CHUNK):
        for enrolment_id, day in session.execute(
            select(Certificate.enrolment_id, func.max(Certificate.revoked_on))
            .where(Certificate.enrolment_id.in_(ids[start:start + CHUNK]), Certificate.revoked_on.is_not(None))
            .group_by(Certificate.enrolment_id)):
            if day is not None:  # always: only revoked certificates are read
                revoked_on[enrolment_id] = day
    passed = {e: {c for c, days in courses.items() if min(days) <= as_of} for e, courses in passing.items()}
    with_skill = set(session.execute(select(SkillCertificate.learner_id)).scalars()) if rules.graduation_requires_skill else set()
    report = GraduationReport()
    ready = []
    for enrolment, learner in candidates:
        courses = required_courses(rules, enrolment.level)
        days = passing.get(enrolment.id, {})
        if all(c in days for c in courses) and any(c not in passed.get(enrolment.id, set()) for c in courses):
            last = max(min(days[c]) for c in courses)
            report.held_back.append((enrolment.student_number, learner.name,
                                     f"最后一门课程的考试日期是 {last}，晚于毕业日期 {as_of}"))
            continue
        missing = [c for c in courses if c not in passed.get(enrolment.id, set())]
        if missing:
            continue
        if enrolment.id in revoked_on and not any(revoked_on[enrolment.id] <= day <= as_of
                                                  for c in courses for day in days[c]):
            report.held_back.append((enrolment.student_number, learner.name,
                                     f"证书已于 {revoked_on[enrolment.id]} 撤销：要在撤销之后有新的合格成绩（重考）才能再次毕业"))
            continue
        if rules.graduation_requires_skill and learner.id not in with_skill:
            report.held_back.append((enrolment.student_number, learner.name, "还没有登记职业技能证书（本区规定毕业须有）"))
            continue
        ready.append((enrolment, learner))
    if only is not None:
        wanted = {clean_text(n) or "" for n in only}
        ready = [(e, learner) for e, learner in ready if e.student_number in wanted]
    if not ready:
        return report
    counter = session.execute(select(CertificateCounter).where(
        CertificateCounter.school_id == site.school_id, CertificateCounter.year == as_of.year)).scalar()
    if dry_run:
        serial = counter.last_serial if counter is not None else 0
        for offset, (enrolment, learner) in enumerate(ready, start=1):
            report.graduated.append((enrolment.student_number, learner.name,
                                     certificate_number(site.code, as_of.year, serial + offset)))
        return report
    if counter is None:
        counter = CertificateCounter(school_id=site.school_id, year=as_of.year, last_serial=0)
        session.add(counter)
    secret = _certificate_secret(session)
    statuses_before = {enrolment.student_number: enrolment.status.value for enrolment, _ in ready}
    for enrolment, learner in ready:
        counter.last_serial += 1
        number = certificate_number(site.code, as_of.year, counter.last_serial)
        session.add(Certificate(enrolment_id=enrolment.id, number=number, year=as_of.year, serial=counter.last_serial,
                                issued_on=as_of, check_code=certificates.check_code(secret, number, learner.id_number, as_of)))
        enrolment.status = EnrolmentStatus.GRADUATED
        report.graduated.append((enrolment.student_number, learner.name, number))
    session.flush()
    audit.record(session, actor=actor, action="graduate", entity="certificates",
                 summary=f"{as_of} 毕业 {len(report.graduated)} 人", before={"statuses": statuses_before},
                 after={"certificates": [g[2] for g in report.graduated],
                        "statuses": {g[0]: EnrolmentStatus.GRADUATED.value for g in report.graduated},
                        "certificate_of": {g[0]: g[2] for g in report.graduated}})
    return report


def record_skill_certificate(session: Session, *, student_number: str, name: str, number: str, issued_on: date,
                             actor: str) -> None:
    """The vocational skill certificate (R5) of the learner behind a student number."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    learner = session.execute(select(Learner).join(Enrolment, Enrolment.learner_id == Learner.id)
                              .where(Enrolment.student_number == (clean_text(student_number) or ""))).scalar()
    if learner is None:
        raise AdultSchoolError(f"找不到学籍号 {student_number}。")
    name, number = clean_text(name) or "", clean_text(number) or ""
    if not name or not number:
        raise AdultSchoolError("请填写职业技能证书的名称和编号。")
    if session.execute(select(SkillCertificate.id).where(SkillCertificate.learner_id == learner.id,
                                                         SkillCertificate.number == number)).first():
        raise AdultSchoolError(f"这张证书（编号 {number}）已经登记过。")
    session.add(SkillCertificate(learner_id=learner.id, name=name, number=number, issued_on=issued_on))
    session.flush()
    audit.record(session, actor=actor, action="skill.add", entity="skill_certificates", entity_uuid=learner.uuid,
                 summary=f"登记职业技能证书：{name}", after={"name": name, "number": number, "issued_on": issued_on})
