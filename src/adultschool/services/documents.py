"""Printed documents from the database: certificates (R11), registration forms, the summary form (R13) and class
sign-in sheets. Gathers plain values, checks them, and hands them to the `printing` package.

A certificate printing is recorded in the same transaction that writes the final PDF (no file, no record), or when
the clerk confirms that the previewed pages came out of the printer; a preview records nothing.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from adultschool import paths
from adultschool.outfiles import PDF_PROGRAMS, atomic_output
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext
from adultschool.models import CLOSED_STATUSES, ClassMember, ClassSession, Enrolment, Learner, Level, School, SchoolClass, SiteSetting
from adultschool.printing import (
    CertificateData,
    Layout,
    PdfFont,
    RegistrationFormData,
    SigninRow,
    find_font,
    write_calibration_page,
    write_certificates,
    write_registration_forms,
    write_signin_sheet,
)
from adultschool.printing import write_summary_form as write_summary_pdf
from adultschool.services import audit, certificate_settings, certificates, disclosure, permissions, privacy, roster
from adultschool.services.rules import load_rules
from adultschool.services.disclosure import Protection
from adultschool.services.photos import photos_of
from adultschool.services.classes import find_class
from adultschool.services.site import get_site, require_school

FONT_SETTING = "print.font"


def chosen_font_path(session: Session) -> str | None:
    row = session.get(SiteSetting, FONT_SETTING)
    return row.value if row and row.value else None


def set_font(session: Session, path: str | None, *, actor: str | None = None) -> PdfFont | None:
    """The font every printed document of this database uses (a site setting); None returns to the shipped default."""
    who = permissions.require(session, actor, permissions.Permission.PRINT)
    row = session.get(SiteSetting, FONT_SETTING)
    before = row.value if row is not None else None
    font = find_font(path) if path else None  # refuses a missing or unusable file before it is stored
    if not path:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(SiteSetting(key=FONT_SETTING, value=str(path)))
    else:
        row.value = str(path)
    after = str(path) if path else None
    if after != before:
        audit.record(session, actor=who.name, action="settings.font", entity="site_settings", summary="修改打印字体",
                     before={"font": before}, after={"font": after})
    return font


def font_for(session: Session, override: str | Path | None = None) -> PdfFont:
    """The settings' font (or an explicit one), else the shipped LXGW WenKai, else a system font."""
    return find_font(override or chosen_font_path(session), resources=paths.resources_dir())


@dataclass(frozen=True)
class Printed:
    pages: int
    names: tuple[str, ...]
    student_numbers: tuple[str, ...] = ()  # certificates: whose certificates the PDF holds, in page order
    recorded: bool = False  # certificates: the printing was recorded


def _write_certificates(session: Session, out: Path, *, actor: str, student_numbers: Sequence[str] | None,
                        reprint: bool, reason: str | None, font: str | Path | None, layout: Layout | None,
                        job: JobContext | None, record: bool) -> Printed:
    pdf_font = font_for(session, font)
    to_print = certificates.certificates_to_print(session, actor=actor, student_numbers=student_numbers, reprint=reprint,
                                                  reason=reason, record=record)
    if not to_print:
        raise AdultSchoolError("没有要打印的新证书：已毕业学员的证书都打印过了（再次打印请用补发）。")
    wordings = {level: certificate_settings.wording(session, level) for level in Level}
    photos = photos_of(session, sorted({c.learner_id for c in to_print}))
    data = []
    for c in to_print:
        wording = wordings[Level(c.level)]
        data.append(CertificateData(
            school_name=c.school_name, learner_name=c.learner_name, gender=c.gender, birth_date=c.birth_date,
            level=c.level, study_from=c.study_from, study_to=c.study_to, certificate_number=c.certificate_number,
            issued_on=c.issued_on, check_code=c.check_code, skill_certificate=c.skill_certificate, reprint=c.reprint,
            issuer=wording.issuer or None, title=wording.title, seal_text=wording.seal_text, body_text=wording.body_text,
            photo_jpeg=photos.get(c.learner_id),
        ))
    pages = write_certificates(out, data, font=pdf_font, resources=paths.resources_dir(), layout=layout, job=job)
    return Printed(pages, tuple(c.learner_name for c in to_print), tuple(c.student_number for c in to_print),
                   recorded=record)


def print_certificates(session: Session, out: Path, *, actor: str, student_numbers: Sequence[str] | None = None,
                       reprint: bool = False, reason: str | None = None, font: str | Path | None = None,
                       layout: Layout | None = None, job: JobContext | None = None) -> Printed:
    """The final certificates PDF, and the printing recorded with it (no file, no record): new certificates (all not
    yet printed, or those named), or a reprint (补发) with a reason; with the issuer and wording of the settings, the
    learners' photos, and a printer's `layout` for pre-printed stock."""
    return _write_certificates(session, out, actor=actor, student_numbers=student_numbers, reprint=reprint,
                               reason=reason, font=font, layout=layout, job=job, record=True)


def preview_certificates(session: Session, out: Path, *, actor: str, student_numbers: Sequence[str] | None = None,
                         reprint: bool = False, reason: str | None = None, font: str | Path | None = None,
                         layout: Layout | None = None, job: JobContext | None = None) -> Printed:
    """The same PDF as `print_certificates`, checked the same way, but nothing is recorded: a preview is free. The
    printing is recorded later by `record_certificate_printing`, for exactly `Printed.student_numbers`."""
    return _write_certificates(session, out, actor=actor, student_numbers=student_numbers, reprint=reprint,
                               reason=reason, font=font, layout=layout, job=job, record=False)


def record_certificate_printing(session: Session, preview: Printed, *, actor: str, reprint: bool = False,
                                reason: str | None = None, preview_file: Path | None = None,
                                out: Path | None = None) -> Printed:
    """The clerk confirmed that the previewed certificates came out of the printer, or saved the final PDF (`out`, a
    copy of `preview_file`, written in the same transaction that records: no file, no record). Refused, as a print
    would be, when another clerk printed one of them since the preview."""
    to_print = certificates.certificates_to_print(session, actor=actor, student_numbers=list(preview.student_numbers),
                                                  reprint=reprint, reason=reason, record=True)
    if out is not None and preview_file is not None:
        with atomic_output(out, opened_in=PDF_PROGRAMS) as part:
            shutil.copyfile(preview_file, part)
    return replace(preview, names=tuple(c.learner_name for c in to_print),
                   student_numbers=tuple(c.student_number for c in to_print), recorded=True)


def print_sample_certificate(session: Session, out: Path, wording: certificate_settings.Wording, *,
                             font: str | Path | None = None) -> Path:
    """A certificate of a made-up learner in this wording (not yet saved), for the settings' preview."""
    sample = CertificateData(
        school_name=get_site(session).name or "某某街道成人文化技术学校",
        learner_name="张三", gender="男", birth_date=date(1985, 3, 12), level=wording.level.value,
        study_from=date(2026, 3, 1), study_to=date(2026, 9, 30), certificate_number="330206-01-BY2026-0001",
        issued_on=date(2026, 10, 10), check_code="ABCD2345", issuer=wording.issuer or "（请填写发证机关）",
        title=wording.title, seal_text=wording.seal_text, body_text=wording.body_text)
    write_certificates(out, [sample], font=font_for(session, font), resources=paths.resources_dir())
    return Path(out)


def print_calibration_page(session: Session, out: Path, *, level: Level = Level.SENIOR, layout: Layout | None = None,
                           font: str | Path | None = None, actor: str) -> Path:
    """The calibration page for pre-printed stock, through the same layout as the certificates."""
    permissions.require(session, actor, permissions.Permission.PRINT)
    write_calibration_page(out, font=font_for(session, font), level=level.value, layout=layout)
    return Path(out)


def _school_name(session: Session) -> str:
    return session.execute(select(School.name).where(School.id == require_school(session).school_id)).scalar_one()


def registration_forms(session: Session, student_numbers: Sequence[str] | None = None) -> list[RegistrationFormData]:
    """报名登记表 data for the named enrolments, or every current one."""
    school_name = _school_name(session)
    query = (select(Enrolment, Learner).join(Learner, Learner.id == Enrolment.learner_id)
             .options(selectinload(Enrolment.township))  # one query for all townships, not one per learner
             .order_by(Enrolment.student_number))
    if student_numbers:
        query = query.where(Enrolment.student_number.in_(list(student_numbers)))
    else:
        query = query.where(Enrolment.status.in_(roster.CURRENT_STATUSES))
    rows = session.execute(query).all()
    if student_numbers and len(rows) != len(set(student_numbers)):
        missing = set(student_numbers) - {e.student_number for e, _ in rows}
        raise AdultSchoolError(f"找不到这些学籍号：{'、'.join(sorted(missing))}。")
    photos = photos_of(session, sorted({learner.id for _, learner in rows}))
    retention_years = load_rules(session).retention_years
    return [
        RegistrationFormData(
            school_name=school_name, student_number=e.student_number, name=p.name, gender=p.gender.label,
            birth_date=p.birth_date, id_number=p.id_number, education=p.education or "", level_label=e.level.label,
            household_location=p.household_location or "", employer=p.employer or "", address=p.address or "",
            phone=p.phone or "", registered_on=e.registered_on,
            learning_mode_label=e.learning_mode.label if e.learning_mode else "",
            township=e.township.name if e.township else "", photo_jpeg=photos.get(p.id),
            notice_version=p.consent_notice or privacy.NOTICE_VERSION, retention_years=retention_years,
            consent_id_number=p.consent_id_number, consent_photo=p.consent_photo,
        )
        for e, p in rows
    ]


def print_registration_forms(session: Session, out: Path, *, student_numbers: Sequence[str] | None = None,
                             font: str | Path | None = None, job: JobContext | None = None,
                             actor: str | None = None) -> Printed:
    permissions.require(session, actor, permissions.Permission.VIEW_FULL_ID)  # the form shows ID number and phone
    forms = registration_forms(session, student_numbers)
    if not forms:
        raise AdultSchoolError("没有在读的学员，无表可打。")
    pages = write_registration_forms(out, forms, font=font_for(session, font), job=job)
    disclosure.finish(session, actor, what="报名登记表", path=out, count=len(forms), protection=Protection.PLAIN,
                      password=None, student_numbers=[f.student_number for f in forms])
    return Printed(pages, tuple(f.name for f in forms))


def print_summary_form(session: Session, out: Path, *, level: Level | None = None, font: str | Path | None = None,
                       job: JobContext | None = None, actor: str | None = None,
                       protection: Protection = Protection.PLAIN) -> Printed:
    """The R13 summary form as PDF: the same rows as the xlsx export (full ID numbers and phones, audited; or masked).
    A PDF has no password here: a form to send away goes as the protected workbook."""
    if protection is Protection.PASSWORD:
        raise AdultSchoolError("打印的汇总表（PDF）不能加密码：要发给别人，请导出加密的报名汇总表（xlsx）。")
    disclosure.start(session, actor, protection)
    rows = roster.summary_rows(session, level, protection=protection)
    pages = write_summary_pdf(out, unit=_school_name(session), rows=rows, font=font_for(session, font), job=job)
    disclosure.finish(session, actor, what="报名汇总表（打印）" + (f"（{level.label}）" if level else ""), path=out,
                      count=len(rows), protection=protection, password=None)
    return Printed(pages, tuple(r.name for r in rows))


def print_signin_sheet(session: Session, out: Path, *, class_name: str, held_on: date, font: str | Path | None = None,
                       job: JobContext | None = None, actor: str | None = None) -> Printed:
    """签到表 of a class for a day: its session's course, topic and hours if one is recorded, and every learner."""
    school_class: SchoolClass = find_class(session, class_name)
    permissions.require_class(session, actor, school_class.id)  # names and student numbers: the class's teacher too
    lesson = session.execute(select(ClassSession).where(ClassSession.class_id == school_class.id,
                                                        ClassSession.held_on == held_on).order_by(ClassSession.starts_at)).scalars().first()
    learners = session.execute(
        select(Enrolment.student_number, Learner.name).join(ClassMember, ClassMember.enrolment_id == Enrolment.id)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .where(ClassMember.class_id == school_class.id, Enrolment.status.not_in(CLOSED_STATUSES))
        .order_by(Enrolment.student_number)
    ).all()
    if not learners:
        raise AdultSchoolError(f"“{school_class.name}”还没有学员。")
    pages = write_signin_sheet(
        out, school_name=_school_name(session), class_name=school_class.name, held_on=held_on,
        course=lesson.course if lesson else None, topic=lesson.topic if lesson else None,
        hours=lesson.hours if lesson else 0.0, rows=[SigninRow(n, name) for n, name in learners],
        font=font_for(session, font), job=job,
    )
    return Printed(pages, tuple(name for _, name in learners))
