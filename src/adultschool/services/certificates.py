"""Graduation certificates after they are issued: the list of them, what to print (recording each printing, a reprint
补发 with its reason), revoking one and checking one. A revoked certificate keeps its number (never reused) and lists,
prints and verifies as revoked; a reprint of it is refused.

A certificate is revoked by hand (`certificates revoke NUMBER --reason`) or when a corrected score fails a course the
graduation rested on (services.exam_results). Each check of a certificate is audited: who checked, when, and the answer.
"""
from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date
from typing import Sequence, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock, idcard
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Certificate,
    CertificatePrint,
    Enrolment,
    EnrolmentStatus,
    Learner,
    School,
    SiteKind,
    SiteSetting,
    SkillCertificate,
    SyncSchool,
)
from adultschool.services import audit, permissions, site
from adultschool.textnorm import clean_text

QR_PREFIX = "ASCERT"


@dataclass(frozen=True)
class Revoked:
    number: str
    student_number: str
    name: str
    revoked_on: date
    reason: str


def revoke_for_enrolment(session: Session, enrolment: Enrolment, *, reason: str, actor: str, today: date) -> str | None:
    """Revokes the enrolment's valid certificate, if it has one (in the caller's transaction); returns its number."""
    certificate = session.execute(select(Certificate).where(Certificate.enrolment_id == enrolment.id,
                                                            Certificate.revoked_on.is_(None))).scalar()
    if certificate is None:
        return None
    _revoke(session, certificate, enrolment, reason=reason, actor=actor, today=today)
    return certificate.number


def _revoke(session: Session, certificate: Certificate, enrolment: Enrolment, *, reason: str, actor: str,
            today: date) -> None:
    certificate.revoked_on, certificate.revoked_reason, certificate.revoked_by = today, reason[:2000], actor
    learner = session.get_one(Learner, enrolment.learner_id)
    session.flush()
    audit.record(session, actor=actor, action="certificate.revoke", entity="certificates", entity_uuid=certificate.uuid,
                 summary=f"撤销毕业证书 {certificate.number}（{learner.name}，{enrolment.student_number}）：{reason}",
                 before={"证书": certificate.number, "状态": "有效"},
                 after={"证书": certificate.number, "状态": "已撤销", "原因": reason})


def revoke(session: Session, number: str, *, reason: str, actor: str, today: date | None = None) -> Revoked:
    """By hand: the certificate is void from today (a forged record, a graduation in error). The enrolment goes back
    to 考试通过 or 在读; a new certificate needs a passing result after the revocation."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    text = clean_text(reason)
    if not text:
        raise AdultSchoolError("撤销证书必须写明原因。", field="reason")
    number = clean_text(number) or ""
    found = session.execute(select(Certificate, Enrolment, Learner).join(Enrolment, Enrolment.id == Certificate.enrolment_id)
                            .join(Learner, Learner.id == Enrolment.learner_id).where(Certificate.number == number)).first()
    if found is None:
        raise AdultSchoolError(f"没有编号为“{number}”的毕业证书。", field="number")
    certificate, enrolment, learner = found
    if certificate.revoked_on is not None:
        raise AdultSchoolError(f"证书 {number} 已于 {certificate.revoked_on} 撤销（{certificate.revoked_reason}）。")
    today = today or clock.today()
    _revoke(session, certificate, enrolment, reason=text, actor=actor, today=today)
    if enrolment.status is EnrolmentStatus.GRADUATED:
        enrolment.status = EnrolmentStatus.PASSED
        session.flush()
    return Revoked(number, enrolment.student_number, learner.name, today, text)


# --- checking a certificate ------------------------------------------------------------------------------------------


def _expected_code(session: Session, certificate: Certificate, learner: Learner) -> str:
    """The check code the issuing school's secret gives for this certificate: at the school from its own secret, at
    the district from the secret the school's packages carried; the stored code where no secret is known."""
    if site.get_site(session).kind is SiteKind.SCHOOL:
        row = session.get(SiteSetting, "certificate.secret")
        secret = bytes.fromhex(row.value) if row else None
    else:
        school_code = certificate.number.rsplit("-BY", 1)[0]
        stored = session.execute(select(SyncSchool.certificate_secret).where(SyncSchool.code == school_code)).scalar()
        secret = bytes.fromhex(stored) if stored else None
    if secret is None:
        return certificate.check_code
    return check_code(secret, certificate.number, learner.id_number, certificate.issued_on)


def check_code(secret: bytes, number: str, id_number: str, issued_on: date) -> str:
    """A short code printed (and in the QR) beside the number; the district recomputes it from the synced data."""
    digest = hmac.new(secret, f"{number}|{id_number}|{issued_on.isoformat()}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:8]


class Verdict(str, enum.Enum):
    GENUINE = "genuine"
    REVOKED = "revoked"
    REPLACED = "replaced"  # revoked, and a newer certificate of the same enrolment is the valid one
    UNKNOWN = "unknown"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    number: str
    message: str  # Chinese, for the person at the counter
    name: str | None = None  # to compare with the paper
    id_number: str | None = None  # masked
    level: str | None = None
    issued_on: date | None = None

    @property
    def genuine(self) -> bool:
        return self.verdict is Verdict.GENUINE


class _Shown(TypedDict):
    """What a Verification of a certificate in this database shows of it."""

    name: str
    id_number: str
    level: str
    issued_on: date


_TYPED = re.compile(r"^\s*(\S+?)[\s|,，；;]+([A-Za-z2-7]{8})\s*$")


def parse_check_text(text: str) -> tuple[str, str]:
    """The certificate number and check code from a scanned QR code (ASCERT|number|code) or typed as `number code`."""
    value = (clean_text(text) or "").strip()
    if value.upper().startswith(QR_PREFIX + "|"):
        parts = value.split("|")
        if len(parts) == 3 and parts[1] and parts[2]:
            return parts[1].strip(), parts[2].strip().upper()
    else:
        match = _TYPED.match(value)
        if match:
            return match.group(1), match.group(2).upper()
    raise AdultSchoolError("看不懂这段内容：请扫描证书上的二维码，或输入“证书编号 查验码”（如 330206-01-BY2026-0001 ABCD2345）。")


def verify(session: Session, text: str, *, actor: str) -> Verification:
    """Checks a certificate against this database: genuine, revoked (and whether a newer one replaced it), unknown, or
    a check code that does not match. Every check is audited."""
    permissions.require(session, actor, permissions.Permission.VERIFY_CERTIFICATES)
    number, code = parse_check_text(text)
    found = session.execute(select(Certificate, Enrolment, Learner).join(Enrolment, Enrolment.id == Certificate.enrolment_id)
                            .join(Learner, Learner.id == Enrolment.learner_id).where(Certificate.number == number)).first()
    if found is None:
        result = Verification(Verdict.UNKNOWN, number, f"本库没有编号为 {number} 的毕业证书：可能是伪造的，或由别的学校颁发。")
    else:
        certificate, enrolment, learner = found
        shown = _Shown(name=learner.name, id_number=idcard.mask(learner.id_number), level=enrolment.level.label,
                       issued_on=certificate.issued_on)
        expected = _expected_code(session, certificate, learner)
        if not hmac.compare_digest(expected.upper(), code):
            result = Verification(Verdict.MISMATCH, number, f"证书编号 {number} 存在，但查验码不符：这张证书可能被改动过或是伪造的。")
        elif certificate.revoked_on is not None:
            newer = session.execute(select(Certificate.number).where(
                Certificate.enrolment_id == enrolment.id, Certificate.revoked_on.is_(None))).scalar()
            if newer:
                result = Verification(Verdict.REPLACED, number, f"证书 {number} 已于 {certificate.revoked_on} 撤销"
                                      f"（{certificate.revoked_reason}），现有效的是 {newer}。", **shown)
            else:
                result = Verification(Verdict.REVOKED, number, f"证书 {number} 已于 {certificate.revoked_on} 撤销，"
                                      f"原因：{certificate.revoked_reason}。", **shown)
        else:
            result = Verification(Verdict.GENUINE, number, f"证书 {number} 真实有效：{learner.name}，"
                                  f"{enrolment.level.label}，{certificate.issued_on:%Y年%m月%d日}颁发。", **shown)
    audit.record(session, actor=actor, action="certificate.verify", entity="certificates",
                 summary=f"查验证书 {number}：{result.verdict.value}", after={"number": number, "verdict": result.verdict.value})
    return result


@dataclass(frozen=True)
class CertificateToPrint:
    """What a printed certificate shows, as plain values (the printing package turns it into a page)."""

    school_name: str
    learner_name: str
    gender: str
    birth_date: date
    level: str
    study_from: date
    study_to: date
    certificate_number: str
    issued_on: date
    check_code: str
    skill_certificate: str | None
    reprint: bool
    student_number: str
    learner_id: int = 0


def certificates_to_print(session: Session, *, actor: str, student_numbers: Sequence[str] | None = None,
                          reprint: bool = False, reason: str | None = None,
                          record: bool = True) -> list[CertificateToPrint]:
    """Returns what to print and, with `record`, records the printing. A first printing is of certificates never
    printed (all, or those named); printing one again is a reprint (补发): it needs the numbers and a reason, and keeps
    the number. Without `record` (a preview) the same checks run and nothing is written."""
    permissions.require(session, actor, permissions.Permission.PRINT)
    reason = clean_text(reason)
    if reprint and not reason:
        raise AdultSchoolError("补发证书必须写明原因（如“原证书遗失”）。")
    if reprint and not student_numbers:
        raise AdultSchoolError("补发证书请指定学籍号。")
    query = (select(Certificate, Enrolment, Learner).join(Enrolment, Enrolment.id == Certificate.enrolment_id)
             .join(Learner, Learner.id == Enrolment.learner_id).order_by(Certificate.number))
    if student_numbers:
        wanted = [clean_text(n) or "" for n in student_numbers]
        query = query.where(Enrolment.student_number.in_(wanted))
    found = session.execute(query).all()
    revoked = [(c, e) for c, e, _ in found if c.revoked_on is not None]
    found = [f for f in found if f[0].revoked_on is None]
    if student_numbers:
        valid = {e.student_number for _, e, _ in found}
        named_revoked = [f"{c.number}（{c.revoked_on} 撤销）" for c, e in revoked if e.student_number not in valid]
        if named_revoked:
            raise AdultSchoolError(f"证书 {'、'.join(named_revoked)} 已撤销，不能打印或补发。")
        missing = set(wanted) - valid
        if missing:
            raise AdultSchoolError(f"这些学籍号没有毕业证书：{'、'.join(sorted(missing))}。")
    printed = {c for c in session.execute(select(CertificatePrint.certificate_id)).scalars()}
    if reprint:
        never = [e.student_number for c, e, _ in found if c.id not in printed]
        if never:
            raise AdultSchoolError(f"学籍号 {'、'.join(never)} 的证书还没有打印过，不是补发：请先正常打印。")
    else:
        already = [e.student_number for c, e, _ in found if c.id in printed]
        if student_numbers and already:
            raise AdultSchoolError(f"学籍号 {'、'.join(already)} 的证书已经打印过；再次打印是补发，请选择补发并写明原因。")
        found = [f for f in found if f[0].id not in printed]
    school_name = session.execute(select(School.name).where(School.id == site.require_school(session).school_id)).scalar_one()
    skills: dict[int, str] = {}
    for learner_id, name, number, issued_on in session.execute(
        select(SkillCertificate.learner_id, SkillCertificate.name, SkillCertificate.number, SkillCertificate.issued_on)
        .order_by(SkillCertificate.issued_on)
    ):
        skills[learner_id] = f"{name}（编号 {number}，{issued_on:%Y年%m月%d日}）"
    out = []
    for certificate, enrolment, learner in found:
        if record:
            session.add(CertificatePrint(certificate_id=certificate.id, printed_by=actor, reprint=reprint,
                                         reason=reason if reprint else None))
        out.append(CertificateToPrint(
            school_name=school_name, learner_name=learner.name, gender=learner.gender.label, birth_date=learner.birth_date,
            level=enrolment.level.value, study_from=enrolment.registered_on, study_to=certificate.issued_on,
            certificate_number=certificate.number, issued_on=certificate.issued_on, check_code=certificate.check_code,
            skill_certificate=skills.get(learner.id), reprint=reprint, student_number=enrolment.student_number,
            learner_id=learner.id,
        ))
    if out and record:
        session.flush()
        audit.record(session, actor=actor, action="certificate.reprint" if reprint else "certificate.print",
                     entity="certificate_prints",
                     summary=f"{'补发' if reprint else '打印'}证书 {len(out)} 张" + (f"：{reason}" if reprint else ""),
                     after={"certificates": [c.certificate_number for c in out]})
    return out


@dataclass(frozen=True)
class CertificateRow:
    student_number: str
    name: str
    level: str  # 'junior' | 'senior'
    number: str
    issued_on: date
    prints: int  # how many times printed (0: not yet)
    revoked_on: date | None = None
    revoked_reason: str | None = None


def list_certificates(session: Session) -> list[CertificateRow]:
    """Every certificate (revoked ones with when and why) with how often it was printed, in number order."""
    printed = (select(CertificatePrint.certificate_id, func.count().label("n"))
               .group_by(CertificatePrint.certificate_id).subquery())
    return [
        CertificateRow(number_, name, level.value, cert_number, issued_on, prints, revoked_on, revoked_reason)
        for number_, name, level, cert_number, issued_on, prints, revoked_on, revoked_reason in session.execute(
            select(Enrolment.student_number, Learner.name, Enrolment.level, Certificate.number, Certificate.issued_on,
                   func.coalesce(printed.c.n, 0), Certificate.revoked_on, Certificate.revoked_reason)
            .join(Enrolment, Enrolment.id == Certificate.enrolment_id).join(Learner, Learner.id == Enrolment.learner_id)
            .outerjoin(printed, printed.c.certificate_id == Certificate.id).order_by(Certificate.number)
        )
    ]
