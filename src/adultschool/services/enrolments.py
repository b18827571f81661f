"""The ways back for a registration (学籍): withdraw (退学, also 转学), void (作废: registered by mistake), reinstate, and
an audited correction of the facts a registration rests on (level, registration date, gender, township, ID number).

Each is one service function with its checks, its write and its audit entry (before → after). What changes travels to
the district in the next package as the changed rows. A correction is refused, with the reason, once exams or
graduation depend on the fact.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock, idcard
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Certificate,
    ClassMember,
    Enrolment,
    EnrolmentStatus,
    ExamApplication,
    ExamResult,
    Gender,
    Learner,
    Level,
    SchoolClass,
    Township,
)
from adultschool.services import audit, exam_results, permissions, site
from adultschool.services.rules import load_rules
from adultschool.textnorm import clean_text

TRANSFER = "转学"


@dataclass(frozen=True)
class EnrolmentChanged:
    """What a way back did, for both fronts to show: the enrolment as it is now and a Chinese sentence."""

    student_number: str
    name: str
    status: EnrolmentStatus
    changed: dict[str, tuple[Any, Any]]  # Chinese field label → (before, after), as the audit log has it
    warnings: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Correction:
    """The facts to correct; None keeps a fact as it is."""

    level: Level | None = None
    registered_on: date | None = None
    gender: Gender | None = None
    township: str | None = None
    id_number: str | None = None

    def given(self) -> bool:
        return any(v is not None for v in (self.level, self.registered_on, self.gender, self.township, self.id_number))


@dataclass(frozen=True)
class Dependants:
    """What already rests on an enrolment: the reasons a fact of it can no longer change."""

    applications: int
    results: int
    certificate: str | None
    classes: tuple[str, ...]

    def exams_text(self) -> str | None:
        if self.certificate:
            return f"已毕业（证书编号 {self.certificate}）"
        if self.results:
            return f"已有 {self.results} 条考试成绩"
        if self.applications:
            return "已申请结业考试"
        return None


def find_enrolment(session: Session, student_number: str) -> Enrolment:
    number = clean_text(student_number) or ""
    enrolment = session.execute(select(Enrolment).where(Enrolment.student_number == number)).scalar()
    if enrolment is None:
        raise AdultSchoolError(f"找不到学籍号为“{number}”的学籍。", field="student_number")
    return enrolment


@dataclass(frozen=True)
class EnrolmentFacts:
    """One registration as the ways back show it before anything is done: who, its state, and the facts a correction
    may change (the ID number masked), with the townships a correction may choose."""

    student_number: str
    name: str
    status: EnrolmentStatus
    level: Level
    registered_on: date
    gender: Gender
    township: str | None
    masked_id: str
    townships: tuple[str, ...]


def enrolment_facts(session: Session, student_number: str) -> EnrolmentFacts:
    enrolment = find_enrolment(session, student_number)
    learner = session.get(Learner, enrolment.learner_id)
    assert learner is not None
    return EnrolmentFacts(enrolment.student_number, learner.name, enrolment.status, enrolment.level,
                          enrolment.registered_on, learner.gender,
                          enrolment.township.name if enrolment.township else None, idcard.mask(learner.id_number),
                          tuple(t.name for t in site.list_townships(session)))


def dependants(session: Session, enrolment_id: int) -> Dependants:
    def count(model) -> int:  # noqa: ANN001
        return session.execute(select(func.count()).select_from(model).where(model.enrolment_id == enrolment_id)).scalar_one()

    certificate = session.execute(select(Certificate.number).where(Certificate.enrolment_id == enrolment_id)).scalar()
    classes = tuple(session.execute(
        select(SchoolClass.name).join(ClassMember, ClassMember.class_id == SchoolClass.id)
        .where(ClassMember.enrolment_id == enrolment_id).order_by(SchoolClass.name)).scalars())
    return Dependants(count(ExamApplication), count(ExamResult), certificate, classes)


def _reason(reason: str | None) -> str:
    text = clean_text(reason)
    if not text:
        raise AdultSchoolError("请写明原因（会记入审计记录，并随数据包报给分中心）。", field="reason")
    return text


def _day(day: date | None, today: date | None, enrolment: Enrolment, what: str) -> date:
    today = today or clock.today()
    day = day or today
    if day > today:
        raise AdultSchoolError(f"{what}日期 {day} 晚于今天。", field="on")
    if day < enrolment.registered_on:
        raise AdultSchoolError(f"{what}日期 {day} 早于报名日期 {enrolment.registered_on}。", field="on")
    return day


def _refuse_closed(enrolment: Enrolment) -> None:
    if enrolment.status.is_closed:
        raise AdultSchoolError(f"学籍号 {enrolment.student_number} {enrolment.status.label}（{enrolment.status_changed_on}，"
                               f"原因：{enrolment.status_reason or '未写'}）。如是误操作，请先恢复学籍。")


def _close(session: Session, enrolment: Enrolment, status: EnrolmentStatus, *, day: date, reason: str,
           transfer_to: str | None, actor: str, action: str, verb: str) -> EnrolmentChanged:
    learner = session.get_one(Learner, enrolment.learner_id)
    before = {"状态": enrolment.status.label}
    enrolment.status, enrolment.status_changed_on = status, day
    enrolment.status_reason, enrolment.transfer_to = reason, transfer_to
    session.flush()
    after: dict[str, Any] = {"状态": status.label, "日期": day.isoformat(), "原因": reason}
    if transfer_to:
        after["转入学校"] = transfer_to
    audit.record(session, actor=actor, action=action, entity="enrolments", entity_uuid=enrolment.uuid,
                 summary=f"{verb}：{learner.name}（{enrolment.student_number}），原因：{reason}", before=before, after=after)
    changed = {"状态": (before["状态"], status.label)}
    message = f"已为 {learner.name}（学籍号 {enrolment.student_number}）办理{verb}。"
    return EnrolmentChanged(enrolment.student_number, learner.name, status, changed, (), message)


def withdraw(session: Session, student_number: str, *, reason: str, actor: str, on: date | None = None,
             transfer_to: str | None = None, today: date | None = None) -> EnrolmentChanged:
    """退学: the learner leaves. With `transfer_to` it is a transfer (转学) to that school, which the district sees.
    A graduate cannot withdraw (their certificate stands, or is revoked)."""
    permissions.require(session, actor, permissions.Permission.REGISTER)
    site.require_school(session)
    enrolment = find_enrolment(session, student_number)
    _refuse_closed(enrolment)
    if enrolment.status is EnrolmentStatus.GRADUATED:
        raise AdultSchoolError(f"学籍号 {enrolment.student_number} 已毕业，不能退学。证书有误请撤销证书。")
    reason = _reason(reason)
    transfer_to = clean_text(transfer_to)
    if transfer_to and TRANSFER not in reason:
        reason = f"{TRANSFER}：{reason}"
    if reason.startswith(TRANSFER) and not transfer_to:
        raise AdultSchoolError("转学请写明转入的学校（--transfer-to 学校名称或代码）。", field="transfer_to")
    day = _day(on, today, enrolment, "退学")
    return _close(session, enrolment, EnrolmentStatus.WITHDRAWN, day=day, reason=reason, transfer_to=transfer_to,
                  actor=actor, action="enrolment.withdraw", verb="转学" if transfer_to else "退学")


def void(session: Session, student_number: str, *, reason: str, actor: str, today: date | None = None) -> EnrolmentChanged:
    """作废: a registration made by mistake (a wrong person, a duplicate). The student number is never reused; the
    enrolment leaves lists, quotas and readiness but stays for the audit. Refused once exams rest on it."""
    permissions.require(session, actor, permissions.Permission.REGISTER)
    site.require_school(session)
    enrolment = find_enrolment(session, student_number)
    _refuse_closed(enrolment)
    held = dependants(session, enrolment.id).exams_text()
    if held:
        raise AdultSchoolError(f"学籍号 {enrolment.student_number} {held}，不能作废（考试记录要保留）。"
                               "学员离开请办理退学；证书有误请先撤销证书。")
    day = today or clock.today()
    return _close(session, enrolment, EnrolmentStatus.VOIDED, day=max(day, enrolment.registered_on),
                  reason=_reason(reason), transfer_to=None, actor=actor, action="enrolment.void", verb="作废")


def reinstate(session: Session, student_number: str, *, reason: str, actor: str) -> EnrolmentChanged:
    """The way back from a withdrawal or void made in error: the enrolment studies on as before."""
    permissions.require(session, actor, permissions.Permission.REGISTER)
    site.require_school(session)
    enrolment = find_enrolment(session, student_number)
    if not enrolment.status.is_closed:
        raise AdultSchoolError(f"学籍号 {enrolment.student_number} 是“{enrolment.status.label}”，不需要恢复。")
    other = session.execute(select(Enrolment.student_number).where(
        Enrolment.learner_id == enrolment.learner_id, Enrolment.level == enrolment.level, Enrolment.id != enrolment.id,
        Enrolment.status.not_in((EnrolmentStatus.WITHDRAWN, EnrolmentStatus.VOIDED)))).scalar()
    if other:
        raise AdultSchoolError(f"此人已有另一个在读的{enrolment.level.label}学籍（{other}），不能恢复这个。")
    reason = _reason(reason)
    learner = session.get_one(Learner, enrolment.learner_id)
    before = {"状态": enrolment.status.label, "原因": enrolment.status_reason}
    status = _status_from_exams(session, enrolment)
    enrolment.status, enrolment.status_changed_on, enrolment.status_reason, enrolment.transfer_to = status, None, None, None
    session.flush()
    audit.record(session, actor=actor, action="enrolment.reinstate", entity="enrolments", entity_uuid=enrolment.uuid,
                 summary=f"恢复学籍：{learner.name}（{enrolment.student_number}），原因：{reason}",
                 before=before, after={"状态": status.label, "原因": reason})
    return EnrolmentChanged(enrolment.student_number, learner.name, status, {"状态": (before["状态"], status.label)}, (),
                            f"已恢复 {learner.name}（学籍号 {enrolment.student_number}）的学籍：{status.label}。")


def _status_from_exams(session: Session, enrolment: Enrolment) -> EnrolmentStatus:
    """What an enrolment's status is from its exam records alone (for a reinstated one)."""
    if session.execute(select(Certificate.id).where(Certificate.enrolment_id == enrolment.id,
                                                    Certificate.revoked_on.is_(None))).first():
        return EnrolmentStatus.GRADUATED
    rules = load_rules(session)
    passed = exam_results.passed_courses(session, [enrolment.id]).get(enrolment.id, set())
    if set(exam_results.required_courses(rules, enrolment.level)) <= passed:
        return EnrolmentStatus.PASSED
    return EnrolmentStatus.ACTIVE


# --- corrections --------------------------------------------------------------------------------------------------


def correct(session: Session, student_number: str, correction: Correction, *, reason: str, actor: str,
            today: date | None = None) -> EnrolmentChanged:
    """An audited correction of a registration's facts; readiness and quotas follow at once (they are computed from
    them). Refused, naming why, where exams or graduation rest on the fact."""
    permissions.require(session, actor, permissions.Permission.REGISTER)
    site.require_school(session)
    if not correction.given():
        raise AdultSchoolError("没有要更正的内容：请至少给出层次、报名日期、性别、街道/镇或身份证号码中的一项。")
    reason = _reason(reason)
    today = today or clock.today()
    enrolment = find_enrolment(session, student_number)
    if enrolment.status is EnrolmentStatus.VOIDED:
        raise AdultSchoolError(f"学籍号 {enrolment.student_number} 已作废，不能更正。")
    learner = session.get_one(Learner, enrolment.learner_id)
    rules = load_rules(session)
    held = dependants(session, enrolment.id)
    exams_text = held.exams_text()
    changed: dict[str, tuple[Any, Any]] = {}
    warnings: list[str] = []

    if correction.id_number is not None:
        resident = idcard.parse(correction.id_number, today=today)
        if resident.number != learner.id_number:
            if held.certificate:
                raise AdultSchoolError(f"此人{exams_text}：证书查验码由身份证号码算出，不能更正号码。请先撤销证书。",
                                       field="id_number")
            holder = session.execute(select(Learner.name).where(Learner.id_number == resident.number,
                                                                Learner.id != learner.id)).scalar()
            if holder is not None:
                raise AdultSchoolError(f"身份证号码 {idcard.mask(resident.number)} 已登记在另一位学员名下，不能更正为它。"
                                       "如果两条是同一个人，请把其中建错的学籍作废。", field="id_number")
            _check_ages(session, learner, resident.birth_date, rules, registered_on=None)
            changed["身份证号码"] = (idcard.mask(learner.id_number), idcard.mask(resident.number))
            if resident.birth_date != learner.birth_date:
                changed["出生日期"] = (learner.birth_date.isoformat(), resident.birth_date.isoformat())
            learner.id_number, learner.birth_date = resident.number, resident.birth_date
            id_gender = Gender(resident.gender)
            if correction.gender is None and id_gender != learner.gender:
                changed["性别"] = (learner.gender.label, id_gender.label)
                learner.gender = id_gender
            warnings += list(resident.warnings)

    if correction.gender is not None and correction.gender != learner.gender:
        if held.certificate:
            raise AdultSchoolError(f"此人{exams_text}，证书上印有性别，不能更正。请先撤销证书。", field="gender")
        by_id = Gender(idcard.parse(learner.id_number, today=today).gender)
        if by_id != correction.gender:
            warnings.append(f"身份证号码显示为{by_id.label}，已按您的更正登记为{correction.gender.label}。")
        changed["性别"] = (learner.gender.label, correction.gender.label)
        learner.gender = correction.gender

    if correction.level is not None and correction.level != enrolment.level:
        if exams_text:
            raise AdultSchoolError(f"学籍号 {enrolment.student_number} {exams_text}，层次不能再更正。", field="level")
        if held.classes:
            raise AdultSchoolError(f"学籍号 {enrolment.student_number} 在{enrolment.level.label}班"
                                   f"“{'、'.join(held.classes)}”里：请先移出班级，再更正层次。", field="level")
        other = session.execute(select(Enrolment.student_number).where(
            Enrolment.learner_id == learner.id, Enrolment.level == correction.level,
            Enrolment.status.not_in((EnrolmentStatus.WITHDRAWN, EnrolmentStatus.VOIDED)))).scalar()
        if other:
            raise AdultSchoolError(f"此人已有{correction.level.label}学籍（{other}），不能把这个学籍也改成{correction.level.label}。",
                                   field="level")
        changed["学历提升层次"] = (enrolment.level.label, correction.level.label)
        enrolment.level = correction.level

    if correction.registered_on is not None and correction.registered_on != enrolment.registered_on:
        day = correction.registered_on
        if exams_text:
            raise AdultSchoolError(f"学籍号 {enrolment.student_number} {exams_text}（学习时限按原报名日期计算），"
                                   "报名日期不能再更正。", field="registered_on")
        if day > today:
            raise AdultSchoolError(f"报名日期 {day} 晚于今天。", field="registered_on")
        if enrolment.status_changed_on is not None and day > enrolment.status_changed_on:
            raise AdultSchoolError(f"报名日期不能晚于{enrolment.status.label}日期 {enrolment.status_changed_on}。",
                                   field="registered_on")
        _check_ages(session, learner, learner.birth_date, rules, registered_on=day)
        changed["报名日期"] = (enrolment.registered_on.isoformat(), day.isoformat())
        enrolment.registered_on = day
        quota_year = rules.quota_year(day)
        if quota_year != enrolment.quota_year:
            changed["计入任务年份"] = (enrolment.quota_year, quota_year)
            enrolment.quota_year = quota_year
        if rules.is_late(day):
            warnings.append(f"报名日期已过 {day.year} 年的报名截止日（{rules.enrolment_deadline(day.year)}）。")

    if correction.township is not None:
        township = site.find_township(session, correction.township)
        if township.id != enrolment.township_id:
            old = session.get(Township, enrolment.township_id) if enrolment.township_id else None
            changed["街道/镇"] = (old.name if old else None, township.name)
            if learner.township_id in (None, enrolment.township_id):
                learner.township_id = township.id
            enrolment.township_id = township.id

    if not changed:
        return EnrolmentChanged(enrolment.student_number, learner.name, enrolment.status, {}, tuple(warnings),
                                "没有改动：给出的值与登记的相同。")
    session.flush()
    audit.record(session, actor=actor, action="enrolment.correct", entity="enrolments", entity_uuid=enrolment.uuid,
                 summary=f"更正学籍：{learner.name}（{enrolment.student_number}）{'、'.join(changed)}，原因：{reason}",
                 before={k: b for k, (b, _) in changed.items()},
                 after={**{k: a for k, (_, a) in changed.items()}, "原因": reason})
    return EnrolmentChanged(enrolment.student_number, learner.name, enrolment.status, changed, tuple(warnings),
                            f"已更正 {learner.name}（学籍号 {enrolment.student_number}）的" + "、".join(changed) + "。")


def _check_ages(session: Session, learner: Learner, birth_date: date, rules, *, registered_on: date | None) -> None:  # noqa: ANN001
    """R1 at every open registration of the person (or at the corrected date of one)."""
    days = [registered_on] if registered_on is not None else list(session.execute(
        select(Enrolment.registered_on).where(Enrolment.learner_id == learner.id,
                                              Enrolment.status.not_in((EnrolmentStatus.WITHDRAWN, EnrolmentStatus.VOIDED)))
    ).scalars())
    for day in days:
        age = idcard.age_on(birth_date, day)
        if not rules.min_age <= age <= rules.max_age:
            raise AdultSchoolError(f"报名当天（{day}）年龄 {age} 周岁，不在可报名的 {rules.min_age}–{rules.max_age} 周岁之间。",
                                   field="registered_on" if registered_on is not None else "id_number")


__all__ = ["Correction", "EnrolmentChanged", "correct", "dependants", "find_enrolment", "reinstate", "void", "withdraw"]
