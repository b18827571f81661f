"""PIPL duties (个人信息保护法): a learner's consent (Art. 14, 29), a person's own data on request (Art. 45), and the
end of keeping it (Art. 19, 47): past the retention rule, or on request, the record is anonymised.

Anonymising keeps what statistics and certificates need (enrolments, results, certificate numbers, gender, birth
year, education, township) and removes the person: the name becomes its first character and "*", the ID number its
masked form (first 6 and last 4 digits; the middle carries the record's own number so it stays unique), phone, address,
employer, job, household location and photo go, and a survey contact matched to the person loses name and phone.
The audit log keeps what it recorded (masked ID numbers; it is a hash chain and cannot be edited).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adultschool import clock, idcard
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    ExamResult,
    Learner,
    LearnerPhoto,
    SkillCertificate,
    SurveyContact,
)
from adultschool.services import audit, disclosure, permissions
from adultschool.services.disclosure import Exported, Protection
from adultschool.services.rules import load_rules
from adultschool.services.tombstones import remove_rows
from adultschool.xlsx import TableSheet, write_tables

NOTICE_VERSION = "2026-12"  # the 个人信息告知书 printed on the registration form (printing/forms.py)
CLOSED_FOR_RETENTION = (EnrolmentStatus.GRADUATED, EnrolmentStatus.WITHDRAWN, EnrolmentStatus.VOIDED)


def _learner_of(session: Session, student_number: str) -> tuple[Learner, Enrolment]:
    found = session.execute(select(Learner, Enrolment).join(Enrolment, Enrolment.learner_id == Learner.id)
                            .where(Enrolment.student_number == student_number)).first()
    if found is None:
        raise AdultSchoolError(f"找不到学籍号 {student_number}。")
    return found[0], found[1]


# --- consent ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Consent:
    student_number: str
    notice: str
    on: date
    id_number: bool
    photo: bool


def record_consent(session: Session, student_number: str, *, id_number: bool, photo: bool, on: date | None = None,
                   notice: str = NOTICE_VERSION, actor: str | None = None) -> Consent:
    """The signed registration form's consent, entered: which notice, the day, and the two separate consents."""
    who = permissions.require(session, actor, permissions.Permission.REGISTER)
    learner, enrolment = _learner_of(session, student_number)
    if learner.anonymised_on is not None:
        raise AdultSchoolError(f"学籍号 {student_number} 的个人信息已于 {learner.anonymised_on} 匿名化，不能再登记同意。")
    day = on or clock.today()
    before = {"notice": learner.consent_notice, "on": learner.consent_on, "id_number": learner.consent_id_number,
              "photo": learner.consent_photo}
    learner.consent_notice, learner.consent_on = notice, day
    learner.consent_id_number, learner.consent_photo = id_number, photo
    removed_photo = False
    if not photo:  # consent withdrawn or never given: the photo goes (PIPL Art. 15), at the district too
        removed_photo = _remove_photo(session, learner.id, "本人不同意使用照片") > 0
    audit.record(session, actor=who.name, action="privacy.consent", entity="learners", entity_uuid=learner.uuid,
                 summary=f"登记个人信息同意：{student_number}（告知书 {notice}，{day}，身份证号码"
                         f"{'同意' if id_number else '不同意'}，照片{'同意' if photo else '不同意'}）"
                         + ("，照片已删除" if removed_photo else ""),
                 before=before, after={"notice": notice, "on": day, "id_number": id_number, "photo": photo})
    return Consent(enrolment.student_number, notice, day, id_number, photo)


# --- a person's own data ---------------------------------------------------------------------------------------

def export_person(session: Session, student_number: str, out: Path, *, actor: str | None = None,
                  protection: Protection = Protection.PASSWORD) -> Exported:
    """Everything the school holds about one person (PIPL Art. 45), as a workbook for them: details and consent,
    enrolments, results, certificates, and who saw or exported their full ID number. Password-protected by default."""
    learner, _ = _learner_of(session, student_number)
    password = disclosure.start(session, actor, protection)
    shown = disclosure.shown_id(learner.id_number, protection)
    details = [
        ["姓名", learner.name], ["性别", learner.gender.label], ["身份证号码", shown],
        ["出生日期", learner.birth_date.isoformat()], ["文化程度", learner.education or ""],
        ["户籍所在地", learner.household_location or ""], ["家庭地址", learner.address or ""],
        ["工作单位", learner.employer or ""], ["职业", learner.job or ""], ["联系电话", learner.phone or ""],
        ["所属街道/镇", learner.township.name if learner.township else ""],
        ["照片", "有" if session.execute(select(LearnerPhoto.id).where(LearnerPhoto.learner_id == learner.id)).first()
         else "无"],
        ["个人信息告知书版本", learner.consent_notice or "（未登记）"],
        ["同意日期", learner.consent_on.isoformat() if learner.consent_on else ""],
        ["同意使用身份证号码", _yes_no(learner.consent_id_number)], ["同意使用照片", _yes_no(learner.consent_photo)],
        ["匿名化日期", learner.anonymised_on.isoformat() if learner.anonymised_on else ""],
    ]
    enrolments = session.execute(select(Enrolment).where(Enrolment.learner_id == learner.id)
                                 .order_by(Enrolment.registered_on)).scalars().all()
    enrolment_ids = [e.id for e in enrolments]
    numbers = {e.id: e.student_number for e in enrolments}
    enrolment_rows = [[e.student_number, e.level.label, e.registered_on.isoformat(), e.status.label,
                       e.status_changed_on.isoformat() if e.status_changed_on else "", e.status_reason or ""]
                      for e in enrolments]
    results = [[numbers[r.enrolment_id], r.course, r.score if r.score is not None else r.mark.label,
                r.exam_date.isoformat() if r.exam_date else ""]
               for r in session.execute(select(ExamResult).where(ExamResult.enrolment_id.in_(enrolment_ids))
                                        .order_by(ExamResult.enrolment_id, ExamResult.course)).scalars()]
    certificates = [[numbers[c.enrolment_id], "毕业证书", c.number, c.issued_on.isoformat(),
                     f"已撤销（{c.revoked_on}）" if c.revoked_on else ""]
                    for c in session.execute(select(Certificate).where(Certificate.enrolment_id.in_(enrolment_ids))
                                             .order_by(Certificate.issued_on)).scalars()]
    certificates += [["", f"职业技能证书：{s.name}", s.number, s.issued_on.isoformat(), ""]
                     for s in session.execute(select(SkillCertificate).where(SkillCertificate.learner_id == learner.id))
                     .scalars()]
    own_numbers = set(numbers.values())
    access = [row.cells()[:5] for row in disclosure.access_rows(session, actor=None)
              if own_numbers & set(row.student_numbers)]
    write_tables(out, [
        TableSheet("个人信息", ("项目", "内容"), details, ("内容",), (20, 50)),
        TableSheet("学籍", ("学籍号", "层次", "报名日期", "状态", "状态变更日期", "原因"), enrolment_rows, ("学籍号",)),
        TableSheet("考试成绩", ("学籍号", "课程", "成绩", "考试日期"), results, ("学籍号",)),
        TableSheet("证书", ("学籍号", "证书", "编号", "发证日期", "备注"), certificates, ("学籍号", "编号")),
        TableSheet("查看记录", ("时间", "账户", "内容", "个数", "文件"), access),
    ], password=password)
    return disclosure.finish(session, actor, what=f"个人信息副本（{student_number}）", path=out, count=1,
                             protection=protection, password=password, student_numbers=sorted(own_numbers))


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


# --- retention and erasure -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expired:
    student_numbers: tuple[str, ...]
    masked_name: str
    closed_on: date  # the last graduation, withdrawal or voiding
    expires_on: date


@dataclass(frozen=True)
class PurgeReport:
    retention_years: int
    as_of: date
    learners: tuple[Expired, ...]
    dry_run: bool

    def summary(self) -> str:
        verb = "would anonymise" if self.dry_run else "anonymised"
        return f"{verb} {len(self.learners)} learners (retention {self.retention_years} years, as of {self.as_of})"


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def expired_learners(session: Session, as_of: date) -> tuple[int, list[tuple[int, Expired]]]:
    """Learners whose every enrolment ended (graduated, withdrawn, voided) more than `retention_years` ago."""
    years = load_rules(session).retention_years
    certificate_days: dict[int, date] = {}
    for enrolment_id, issued_on in session.execute(select(Certificate.enrolment_id, Certificate.issued_on)):
        certificate_days[enrolment_id] = max(issued_on, certificate_days.get(enrolment_id, issued_on))
    closed: dict[int, list[date | None]] = {}
    numbers: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for learner_id, name, enrolment_id, number, status, changed_on in session.execute(
            select(Learner.id, Learner.name, Enrolment.id, Enrolment.student_number, Enrolment.status,
                   Enrolment.status_changed_on).join(Enrolment, Enrolment.learner_id == Learner.id)
            .where(Learner.anonymised_on.is_(None))):
        names[learner_id] = name
        numbers.setdefault(learner_id, []).append(number)
        if status not in CLOSED_FOR_RETENTION:
            closed.setdefault(learner_id, []).append(None)
        else:
            closed.setdefault(learner_id, []).append(
                certificate_days.get(enrolment_id) if status is EnrolmentStatus.GRADUATED else changed_on)
    found = []
    for learner_id, days in closed.items():
        if any(d is None for d in days):
            continue  # still studying, or an end without a date: kept
        last = max(d for d in days if d is not None)
        expires_on = _plus_years(last, years)
        if expires_on <= as_of:
            found.append((learner_id, Expired(tuple(sorted(numbers[learner_id])), _initial(names[learner_id]), last,
                                              expires_on)))
    return years, sorted(found, key=lambda pair: pair[1].student_numbers)


def _remove_photo(session: Session, learner_id: int, reason: str) -> int:
    """The photo row goes with a tombstone, so the next package removes the district's copy too."""
    photo_ids = list(session.execute(select(LearnerPhoto.id).where(LearnerPhoto.learner_id == learner_id)).scalars())
    return remove_rows(session, LearnerPhoto.__table__, photo_ids, reason=reason)


def _initial(name: str) -> str:
    return (name[:1] or "?") + "*"


def _anonymise(session: Session, learner_id: int, day: date, reason: str) -> None:
    learner = session.get_one(Learner, learner_id)
    masked = idcard.mask(learner.id_number) if len(learner.id_number) == 18 else "*" * 18
    # Unique and 18 characters, masked as before: first 6, a mark and the record's own number, last 4.
    learner.id_number = idcard.anonymised(masked[:6], learner_id, masked[14:])
    learner.name = _initial(learner.name)
    learner.birth_date = learner.birth_date.replace(month=1, day=1)  # the year stays for statistics
    learner.phone = learner.address = learner.employer = learner.job = learner.household_location = None
    learner.anonymised_on, learner.anonymised_reason = day, reason
    _remove_photo(session, learner_id, reason)
    session.execute(update(SurveyContact).where(SurveyContact.learner_id == learner_id)
                    .values(name=learner.name, phone=None, employer=None, household_location=None))


def purge(session: Session, *, as_of: date | None = None, dry_run: bool = False,
          actor: str | None = None) -> PurgeReport:
    """`privacy purge`: anonymises every learner past the retention rule (with --dry-run: only lists them)."""
    who = permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    day = as_of or clock.today()
    years, found = expired_learners(session, day)
    report = PurgeReport(years, day, tuple(e for _, e in found), dry_run)
    if dry_run or not found:
        return report
    for learner_id, _ in found:
        _anonymise(session, learner_id, day, f"保留期满（{years} 年）")
    session.flush()
    audit.record(session, actor=who.name, action="privacy.purge", entity="learners",
                 summary=f"保留期满匿名化：{len(found)} 人（保留 {years} 年，截至 {day}）",
                 after={"student_numbers": [n for e in report.learners for n in e.student_numbers],
                        "retention_years": years, "as_of": day})
    return report


def erase(session: Session, student_number: str, *, reason: str, actor: str | None = None) -> Expired:
    """Deletion on the person's request (PIPL Art. 47): anonymised now, with the reason; refused while they study."""
    who = permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    reason = (reason or "").strip()
    if not reason:
        raise AdultSchoolError("删除个人信息必须写明原因（如“本人书面申请，2026-12-01”）。")
    learner, _ = _learner_of(session, student_number)
    if learner.anonymised_on is not None:
        raise AdultSchoolError(f"学籍号 {student_number} 的个人信息已于 {learner.anonymised_on} 匿名化。")
    enrolments = session.execute(select(Enrolment.student_number, Enrolment.status)
                                 .where(Enrolment.learner_id == learner.id)).all()
    studying = [n for n, status in enrolments if status not in CLOSED_FOR_RETENTION]
    if studying:
        raise AdultSchoolError(f"学籍 {'、'.join(studying)} 还在读：请先办理退学（learners withdraw），再删除个人信息。")
    day = clock.today()
    result = Expired(tuple(sorted(n for n, _ in enrolments)), _initial(learner.name), day, day)
    _anonymise(session, learner.id, day, f"本人要求删除：{reason}")
    session.flush()
    audit.record(session, actor=who.name, action="privacy.erase", entity="learners", entity_uuid=learner.uuid,
                 summary=f"应本人要求删除个人信息：{student_number}（{reason}）",
                 after={"student_numbers": list(result.student_numbers), "reason": reason})
    return result


__all__ = ["NOTICE_VERSION", "Consent", "Expired", "PurgeReport", "erase", "expired_learners", "export_person",
           "purge", "record_consent"]
