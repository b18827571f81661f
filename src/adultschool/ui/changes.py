"""What an action changed (after Anki's OpChanges): a page re-reads only when an action touched a topic it
shows. The window's pages declare their topics (`Page.topics`); every write says what it touched, by the names below.

Never under-refresh: a write whose record is missing, or that nobody classified, counts as `Changes.everything()`
(every page re-reads, as before records existed); when unsure, a page depends on one topic more and a write declares one
more. The services stay as they are: each record names what the service it follows writes (read there to check).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable


class Topic(enum.Enum):
    """What the pages show, in the words of the data they read."""

    LEARNERS = "学员与学籍"  # learners, enrolments and their status (in 读, 已申请考试, 毕业, 退学…), photos
    SURVEY = "排摸"  # prospects and contacts of the survey sheets, and who of them has registered
    CLASSES = "班级与课次"  # classes, their members and sessions
    ATTENDANCE = "考勤"  # marks of the roll calls and the hours they credit
    STUDY = "线上学习"  # online study records and the hour totals kept from them
    EXAMS = "考试与成绩"  # exam rounds, applications, results
    CERTIFICATES = "证书"  # graduation certificates, their prints and revocations, skill certificates
    SETTINGS = "设置与规则"  # rules, townships and quotas, the school, the certificate wording
    SYNC = "数据上报"  # data packages, receipts, keys, the district's schools and conflicts


ALL_TOPICS: frozenset[Topic] = frozenset(Topic)


@dataclass(frozen=True)
class Changes:
    """The topics one action touched. `Changes.everything()` is the safe default."""

    topics: frozenset[Topic]

    @classmethod
    def of(cls, *topics: Topic) -> Changes:
        return cls(frozenset(topics))

    @classmethod
    def everything(cls) -> Changes:
        return cls(ALL_TOPICS)

    @property
    def is_everything(self) -> bool:
        return self.topics == ALL_TOPICS

    def touches(self, topics: Iterable[Topic]) -> bool:
        """Whether a page showing `topics` has to read again."""
        return not self.topics.isdisjoint(topics)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.topics | other.topics)

    def __str__(self) -> str:
        return "全部" if self.is_everything else "、".join(t.value for t in Topic if t in self.topics)


def as_changes(value: object) -> Changes:
    """A signal's argument as a record: anything else (no record at all) is everything."""
    return value if isinstance(value, Changes) else Changes.everything()


# --- what the pages show -------------------------------------------------------------------------------------------

# services.readiness: enrolments and their status, class membership, attendance, online study, the rules; the exams
# move learners out of the list (已申请考试, 考试通过).
READINESS_INPUTS = frozenset({Topic.LEARNERS, Topic.CLASSES, Topic.ATTENDANCE, Topic.STUDY, Topic.EXAMS,
                              Topic.SETTINGS})
# services.quotas: registrations, statuses and readiness per township, the survey, the quotas; at the district, what
# each school has sent.
QUOTA_INPUTS = READINESS_INPUTS | {Topic.SURVEY, Topic.SYNC}
# 首页 (services.home): today's sessions and their marks, readiness, this month's package, the deadline, the quotas,
# the backup folder: everything but the certificates.
HOME_TOPICS = QUOTA_INPUTS | {Topic.CLASSES, Topic.ATTENDANCE, Topic.SYNC, Topic.SETTINGS}

# --- what the writes touch -----------------------------------------------------------------------------------------

# services.registration: a new enrolment; a prospect of the survey is now registered.
REGISTRATION = Changes.of(Topic.LEARNERS, Topic.SURVEY)
# services.learner_edit, services.photos: a learner's details or photo.
LEARNER_EDITED = Changes.of(Topic.LEARNERS)
# services.enrolments (退学, 作废, 恢复, 更正): an enrolment's status or details; 作废 revokes a certificate, 恢复 reads
# the exams again, a correction can change the level a class or an application was made for.
WAY_BACK = Changes.of(Topic.LEARNERS, Topic.CERTIFICATES, Topic.CLASSES, Topic.EXAMS)
# services.classes: a class, its members or its sessions (a class or session with marks cannot be deleted).
CLASSES_CHANGED = Changes.of(Topic.CLASSES)
# services.classes.save_roll_call: a session's marks and the hours they credit.
ROLL_CALL_SAVED = Changes.of(Topic.ATTENDANCE)
# services.study.rebuild_totals: every kept total, from the marks and the study records.
TOTALS_REBUILT = Changes.of(Topic.ATTENDANCE, Topic.STUDY)
# services.exam_applications: applications, and the applicants' status (已申请考试).
EXAM_APPLIED = Changes.of(Topic.EXAMS, Topic.LEARNERS)
# services.exam_results: results, statuses (考试通过, back to 在读) and the certificates a lowered result revokes.
RESULTS_IMPORTED = Changes.of(Topic.EXAMS, Topic.LEARNERS, Topic.CERTIFICATES)
# services.graduation: the graduates' status (毕业) and their new certificates.
GRADUATED = Changes.of(Topic.LEARNERS, Topic.CERTIFICATES)
# services.graduation (登记职业技能证书): a learner's skill certificate, one of the two graduation needs.
SKILL_CERTIFICATE = Changes.of(Topic.CERTIFICATES, Topic.EXAMS)
# services.certificates.revoke: the certificate, and the enrolment back to 考试通过.
CERTIFICATE_REVOKED = Changes.of(Topic.CERTIFICATES, Topic.LEARNERS)
# services.certificates.certificates_to_print: the prints kept for each certificate.
CERTIFICATES_PRINTED = Changes.of(Topic.CERTIFICATES)
# services.site_settings, services.site: rules, quotas, townships, the school; services.certificate_settings.
SETTINGS_SAVED = Changes.of(Topic.SETTINGS)
# services.sync.set_district_key, from the settings: the key the packages are made for.
DISTRICT_KEY_SET = Changes.of(Topic.SYNC, Topic.SETTINGS)
# services.sync.export_package / confirm_receipt: the school's packages and what the district confirmed.
PACKAGE_MADE = Changes.of(Topic.SYNC)
RECEIPT_IMPORTED = Changes.of(Topic.SYNC)
# services.district_inbox (the district's package at a school), services.package_imports (schools' packages at the
# district), services.district_conflicts.settle_conflict (held rows merged): rows of any kind arrive or leave.
PACKAGE_MERGED = Changes.everything()
# services.district_schools, services.district_keypair, services.district_outbox: the district's roster of schools
# (with the townships each answers for), its keys, the packages it sent.
DISTRICT_SCHOOLS = Changes.of(Topic.SYNC, Topic.SETTINGS)
# At the district, services.exam_rounds, exam_results, district_results: rounds, the results (statuses, revoked
# certificates too) and what the next package to the schools carries.
DISTRICT_EXAMS = Changes.of(Topic.EXAMS, Topic.LEARNERS, Topic.CERTIFICATES, Topic.SYNC)

# services.roster, survey, classes.import_attendance (which makes the sessions a sheet names), study, exam_results,
# photos: what each kind of import writes; undoing it (services.imports.undo) takes the same back.
IMPORTS: dict[str, Changes] = {
    "roster": REGISTRATION,
    "survey": Changes.of(Topic.SURVEY, Topic.LEARNERS),  # survey answers refresh the details of people already known
    "attendance": Changes.of(Topic.CLASSES, Topic.ATTENDANCE),
    "study": Changes.of(Topic.STUDY),
    "results": RESULTS_IMPORTED,
    "photos": LEARNER_EDITED,
}


# Undoing a roster import also takes its people out of their classes and drops their kept totals.
UNDONE: dict[str, Changes] = {**IMPORTS, "roster": REGISTRATION | Changes.of(Topic.CLASSES, Topic.STUDY)}


def of_import(kind: str) -> Changes:
    """What an import of `kind` touched; everything for a kind not listed."""
    return IMPORTS.get(kind, Changes.everything())


def of_undo(kind: str) -> Changes:
    """What undoing an import of `kind` took back; everything for a kind not listed."""
    return UNDONE.get(kind, Changes.everything())
