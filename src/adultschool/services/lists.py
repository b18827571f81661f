"""The lists on screen as files: 学员, 可报考 (with 还差), a class's roster, the 考前申请 applicants and 证书, each
gathered with the same filter its page uses and written as a workbook (`xlsx`) or a printed table (`printing`).

A list shows ID numbers masked, as the screen does. Full ID numbers are a choice (`Protection.PLAIN` or, for a
workbook, `PASSWORD`) that needs the VIEW_FULL_ID permission and writes the file's `id.reveal` entry (disclosure).
The file's suffix picks the format: `.xlsx` or `.pdf`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext
from adultschool.models import Enrolment, EnrolmentStatus, Gender, Learner, Level, School, SchoolClass, Township
from adultschool.services import certificates, disclosure, learners, permissions, readiness
from adultschool.services.disclosure import Protection
from adultschool.services.learners import LearnerFilter
from adultschool.services.readiness import ReadinessRow
from adultschool.services.site import require_school
from adultschool.xlsx import write_table

ID_HEADER = "身份证号码"
PHONE_HEADER = "联系电话"
SUFFIXES = (".xlsx", ".pdf")

# The 可报考 page's state filter; SOON: not ready yet, but ready within the chosen number of days.
ALL, READY, SOON, NOT_YET = "all", "ready", "soon", "not_yet"
STATE_LABELS = {ALL: "全部", READY: "可报考", SOON: "即将可报考", NOT_YET: "暂不可报考"}
# The 证书 page's state filter.
NOT_PRINTED, PRINTED = "not_printed", "printed"
CERTIFICATE_STATE_LABELS = {ALL: "全部", NOT_PRINTED: "未打印", PRINTED: "已打印"}


def standing(row: ReadinessRow, as_of: date, days: int) -> str:
    """READY, SOON (within `days`) or NOT_YET, from the row's own `days_to_ready`."""
    if row.ready:
        return READY
    left = row.days_to_ready(as_of)
    return SOON if left is not None and left <= days else NOT_YET


def certificate_shown(row: certificates.CertificateRow, search: str | None, state: str) -> bool:
    """What the 证书 page shows for its search text and state: the same test here and on the page."""
    needle = (search or "").strip()
    return ((state == ALL or (state == PRINTED) == (row.prints > 0))
            and (not needle or needle in row.name or needle in row.student_number or needle in row.number))


# --- what to list --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerList:
    """The 学员 page: its filter and sort (every row that matches, not only the rows scrolled into view)."""

    filter: LearnerFilter = field(default_factory=LearnerFilter)
    sort: str = "student_number"
    descending: bool = False


@dataclass(frozen=True)
class ReadinessList:
    """The 可报考 page: day, class, level, the state filter and the number of days that counts as 即将."""

    as_of: date
    level: Level | None = None
    class_id: int | None = None
    state: str = ALL
    days: int = 30


@dataclass(frozen=True)
class RosterList:
    """A class's roster as the 班级 page shows it: the members still studying, with their standing today."""

    class_id: int
    as_of: date


@dataclass(frozen=True)
class ApplicantList:
    """The 考试 page's 考前申请 table: who is ready on the day, for the named batch."""

    as_of: date
    round_name: str = ""


@dataclass(frozen=True)
class CertificateList:
    """The 证书 page: its search text and state."""

    search: str | None = None
    state: str = ALL


ListSpec = LearnerList | ReadinessList | RosterList | ApplicantList | CertificateList


@dataclass(frozen=True)
class ListTable:
    """A gathered list: what it is, the filter in words, its columns and rows (display values)."""

    what: str
    school: str
    scope: str
    day: date
    headers: tuple[str, ...]
    rows: list[list[object]]
    widths: tuple[int, ...]
    text_columns: tuple[str, ...] = ("学籍号", ID_HEADER, PHONE_HEADER, "证书编号")

    @property
    def has_ids(self) -> bool:
        return ID_HEADER in self.headers

    @property
    def title(self) -> str:
        return f"{self.school} {self.what}"

    def subtitle(self, protection: Protection) -> str:
        parts = [self.scope] if self.scope else []
        parts.append(f"{self.day.isoformat()} 制表，共 {len(self.rows)} 行")
        if self.has_ids:
            parts.append("身份证号码已遮挡" if not protection.full_ids else "含完整身份证号码，请妥善保管")
        return "；".join(parts)


@dataclass(frozen=True)
class ListWritten:
    """A list written: the file, how many rows, its pages (PDF), and what the clerk is told."""

    path: Path
    what: str
    count: int
    pages: int | None
    exported: disclosure.Exported | None  # for a list with ID numbers: how they were written

    def lines(self) -> list[str]:
        kind = f"PDF（{self.pages} 页）" if self.pages is not None else "Excel 文件"
        lines = [f"已写入{self.what}：{self.count} 行，{kind}“{self.path}”。"]
        if self.exported is not None:
            lines += self.exported.lines()
        return lines


def _school_name(session: Session) -> str:
    site = require_school(session)
    return session.execute(select(School.name).where(School.id == site.school_id)).scalar_one()


def _full_identities(session: Session, enrolment_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """Enrolment id → (full ID number, phone): only for a list the clerk chose to write with full ID numbers."""
    found: dict[int, tuple[str, str | None]] = {}
    wanted = list(dict.fromkeys(enrolment_ids))
    for start in range(0, len(wanted), 500):
        for enrolment_id, id_number, phone in session.execute(
            select(Enrolment.id, Learner.id_number, Learner.phone).join(Learner, Learner.id == Enrolment.learner_id)
            .where(Enrolment.id.in_(wanted[start:start + 500]))
        ):
            found[enrolment_id] = (id_number, phone)
    return found


def _learner_scope(session: Session, flt: LearnerFilter) -> str:
    parts = []
    if flt.search and flt.search.strip():
        parts.append(f"搜索“{flt.search.strip()}”")
    if flt.level is not None:
        parts.append(Level(flt.level).label)
    parts.append(EnrolmentStatus(flt.status).label if flt.status is not None else "全部状态（不含作废）")
    if flt.township_id is not None:
        name = session.get(Township, flt.township_id)
        parts.append(name.name if name is not None else "所选街道/镇")
    if flt.in_no_class:
        parts.append("尚未编班")
    return "，".join(parts)


def _learners(session: Session, spec: LearnerList, full: bool, day: date) -> ListTable:
    rows = learners.list_learners(session, spec.filter, sort=spec.sort, descending=spec.descending)
    identities = _full_identities(session, [r.enrolment_id for r in rows]) if full else {}
    lines: list[list[object]] = []
    for r in rows:
        id_number, phone = identities.get(r.enrolment_id, (r.id_number, r.phone))
        lines.append([r.student_number, r.name, Gender(r.gender).label, id_number, Level(r.level).label,
                      EnrolmentStatus(r.status).label, r.registered_on.isoformat(), r.township or "", phone or ""])
    return ListTable("学员名单", _school_name(session), _learner_scope(session, spec.filter), day,
                     ("学籍号", "姓名", "性别", ID_HEADER, "层次", "状态", "报名日期", "街道/镇", PHONE_HEADER), lines,
                     (22, 10, 5, 21, 6, 10, 11, 12, 14))


def _hours(value: float) -> str:
    return f"{value:g}"


def _readiness_rows(session: Session, as_of: date, *, level: Level | None, class_id: int | None,
                    full: bool) -> tuple[list[ReadinessRow], dict[int, str]]:
    rows = readiness.readiness(session, as_of, level=level, class_id=class_id)
    ids = {k: v[0] for k, v in _full_identities(session, [r.enrolment_id for r in rows]).items()} if full else {}
    return rows, ids


def _class_name(session: Session, class_id: int) -> str:
    school_class = session.get(SchoolClass, class_id)
    if school_class is None:
        raise AdultSchoolError("这个班级已经不存在了（可能刚被删除），请刷新后再试。")
    return school_class.name


def _readiness(session: Session, spec: ReadinessList, full: bool, day: date) -> ListTable:
    rows, ids = _readiness_rows(session, spec.as_of, level=spec.level, class_id=spec.class_id, full=full)
    if spec.state != ALL:
        rows = [r for r in rows if standing(r, spec.as_of, spec.days) == spec.state]
    lines: list[list[object]] = [
        [r.student_number, r.name, ids.get(r.enrolment_id, r.id_number), Level(r.level).label,
         r.registered_on.isoformat(), r.months_done, _hours(r.video_hours), _hours(r.class_hours),
         "是" if r.ready else "否", r.ready_on.isoformat() if r.ready_on else "", "；".join(r.missing)]
        for r in rows]
    scope = [f"截至 {spec.as_of.isoformat()}"]
    if spec.class_id is not None:
        scope.append(f"班级“{_class_name(session, spec.class_id)}”")
    if spec.level is not None:
        scope.append(Level(spec.level).label)
    state = STATE_LABELS.get(spec.state, spec.state)
    scope.append(f"{state}（{spec.days} 天内）" if spec.state == SOON else state)
    return ListTable("可报考名单", _school_name(session), "，".join(scope), day,
                     ("学籍号", "姓名", ID_HEADER, "层次", "注册日期", "已学月数", "视频学时", "面授课时", "可报考",
                      "可报考日期", "还差"), lines, (20, 9, 19, 5, 10, 6, 6, 6, 5, 10, 36))


def _roster(session: Session, spec: RosterList, day: date) -> ListTable:
    name = _class_name(session, spec.class_id)
    rows = readiness.readiness(session, spec.as_of, class_id=spec.class_id)
    lines: list[list[object]] = [[r.student_number, r.name, r.months_done, _hours(r.video_hours),
                                  _hours(r.class_hours), "是" if r.ready else "否"] for r in rows]
    return ListTable(f"班级学员名单（{name}）", _school_name(session), f"班级“{name}”在读学员，截至 {spec.as_of.isoformat()}",
                     day, ("学籍号", "姓名", "已学月数", "视频学时", "面授课时", "可报考"), lines,
                     (22, 12, 8, 8, 8, 7))


def _applicants(session: Session, spec: ApplicantList, full: bool, day: date) -> ListTable:
    rows, ids = _readiness_rows(session, spec.as_of, level=None, class_id=None, full=full)
    rows = [r for r in rows if r.ready]
    lines = [[r.student_number, r.name, ids.get(r.enrolment_id, r.id_number), Level(r.level).label,
              r.registered_on.isoformat(), r.months_done, _hours(r.video_hours), _hours(r.class_hours)] for r in rows]
    batch = spec.round_name.strip()
    scope = (f"考试批次“{batch}”，" if batch else "") + f"{spec.as_of.isoformat()} 可报考的学员"
    return ListTable("考前申请名单（可报考学员）", _school_name(session), scope, day,
                     ("学籍号", "姓名", ID_HEADER, "层次", "注册日期", "已学月数", "视频学时", "面授课时"), lines,
                     (22, 10, 21, 6, 11, 8, 8, 8))


def _certificates(session: Session, spec: CertificateList, day: date) -> ListTable:
    rows = [r for r in certificates.list_certificates(session) if certificate_shown(r, spec.search, spec.state)]
    lines = [[r.student_number, r.name, Level(r.level).label, r.number, r.issued_on.isoformat(), r.prints,
              f"已撤销（{r.revoked_on}）" if r.revoked_on else "有效"] for r in rows]
    scope = [CERTIFICATE_STATE_LABELS.get(spec.state, spec.state)]
    if spec.search and spec.search.strip():
        scope.insert(0, f"搜索“{spec.search.strip()}”")
    return ListTable("毕业证书名单", _school_name(session), "，".join(scope), day,
                     ("学籍号", "姓名", "层次", "证书编号", "发证日期", "已打印次数", "状态"), lines,
                     (22, 10, 6, 24, 11, 8, 16))


def gather(session: Session, spec: ListSpec, *, protection: Protection = Protection.MASKED,
           today: date | None = None) -> ListTable:
    """The rows of exactly what the page shows for `spec` (ID numbers masked unless `protection` has them full),
    made (制表) on `today`, by default the clock's."""
    full, day = protection.full_ids, today or clock.today()
    if isinstance(spec, LearnerList):
        return _learners(session, spec, full, day)
    if isinstance(spec, ReadinessList):
        return _readiness(session, spec, full, day)
    if isinstance(spec, RosterList):
        return _roster(session, spec, day)
    if isinstance(spec, ApplicantList):
        return _applicants(session, spec, full, day)
    if isinstance(spec, CertificateList):
        return _certificates(session, spec, day)
    raise TypeError(f"not a list: {spec!r}")


def _check_allowed(session: Session, spec: ListSpec, actor: str | None, protection: Protection) -> str | None:
    """The permission check before anything is read; returns the workbook's password, if any."""
    if isinstance(spec, RosterList):
        permissions.require_class(session, actor, spec.class_id)  # names and hours only: a class's teacher too
        return None
    if isinstance(spec, CertificateList):
        permissions.require(session, actor, permissions.Permission.VIEW_LEARNERS)
        return None
    return disclosure.start(session, actor, protection)


def file_kind(path: Path) -> str:
    """'.xlsx' or '.pdf', from the file's name, or a sentence saying what is possible."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise AdultSchoolError(f"“{Path(path).name}”：名单只能保存为 Excel（.xlsx）或 PDF（.pdf）文件，请换个文件名。")
    return suffix


def write_list(session: Session, out: Path, spec: ListSpec, *, actor: str | None,
               protection: Protection = Protection.MASKED, font: str | Path | None = None,
               job: JobContext | None = None, today: date | None = None) -> ListWritten:
    """导出 Excel / 打印: the list of `spec` written to `out` (its suffix picks xlsx or PDF), ID numbers masked by
    default. Full ID numbers need the permission and write the file's `id.reveal` entry in this transaction; a PDF
    cannot carry a password (the protected form is the workbook). `today` is the day it is made on (the clock's
    by default)."""
    kind = file_kind(out)
    if kind == ".pdf" and protection is Protection.PASSWORD:
        raise AdultSchoolError("打印的名单（PDF）不能加密码：要发给别人，请导出加密的 Excel 文件。")
    password = _check_allowed(session, spec, actor, protection)
    table = gather(session, spec, protection=protection, today=today)
    if not table.has_ids:
        password = None  # nothing sensitive to protect; the workbook opens as any other
    pages: int | None = None
    if kind == ".xlsx":
        write_table(out, title=f"{table.title}　{table.subtitle(protection)}", headers=table.headers,
                    rows=table.rows, text_columns=table.text_columns, widths=table.widths, job=job, password=password)
    else:
        from adultschool.printing.lists import write_list as write_pdf  # reportlab: not at the window's start
        from adultschool.services.documents import font_for

        pages = write_pdf(out, title=table.title, subtitle=table.subtitle(protection), headers=table.headers,
                          rows=table.rows, font=font_for(session, font), author=table.school,
                          job=job)
    exported = None
    if table.has_ids:
        exported = disclosure.finish(session, actor, what=table.what, path=out, count=len(table.rows),
                                     protection=protection, password=password)
    return ListWritten(Path(out), table.what, len(table.rows), pages, exported)
