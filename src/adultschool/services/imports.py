"""Every import is a batch that can be undone: `imports list`, `imports undo ID --reason`.

An import service keeps a `services.journal.Journal` of what it writes, stored as the batch. Undoing removes exactly
what the batch added and puts back what it changed (where nobody changed it since), in one transaction, audited. It is
refused, naming why, once later work depends on the batch: a later import touched the same rows, exams or graduation
rest on what it brought, attendance or study records hang on the learners it registered. What the district already has
is undone there by the next package: registrations are voided, removed rows leave tombstones, restored rows travel
with a new version.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Attendance,
    Certificate,
    ClassMember,
    ClassSession,
    Enrolment,
    EnrolmentStatus,
    ExamApplication,
    ExamResult,
    ImportBatch,
    ImportBatchItem,
    Learner,
    LearnerPhoto,
    StudyRecord,
    StudyTotal,
    SurveyContact,
    SyncSent,
    Video,
    with_derived,
)
from adultschool.services import audit, exam_results, permissions
from adultschool.services.contacts import unmatch
from adultschool.services.journal import decode_values, plain
from adultschool.services.rules import load_rules
from adultschool.services.study import refresh_totals
from adultschool.services.tombstones import remove_rows
from adultschool.services.sync_tables import SPEC_BY_NAME, update_travelling
from adultschool.textnorm import clean_text

CHUNK = 500
KIND_LABELS = {"roster": "报名名单", "survey": "排摸表", "attendance": "考勤表", "study": "学习记录", "results": "考试成绩",
               "photos": "照片"}


# --- listing ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchInfo:
    id: int
    kind: str
    file: str
    rows: int
    at: datetime
    actor: str
    summary: str
    undone_at: datetime | None
    undone_by: str | None
    undo_reason: str | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def as_json(self) -> dict[str, Any]:
        """The stable keys of `imports list --format json`: id, kind, file, rows, at; and whether undone."""
        return {"id": self.id, "kind": self.kind, "file": self.file, "rows": self.rows, "at": self.at.isoformat(),
                "undone": self.undone_at is not None}


def list_batches(session: Session, *, actor: str) -> list[BatchInfo]:
    permissions.require(session, actor, permissions.Permission.IMPORT)
    return [BatchInfo(b.id, b.kind, b.file, b.rows, b.at, b.actor, b.summary, b.undone_at, b.undone_by, b.undo_reason)
            for b in session.execute(select(ImportBatch).order_by(ImportBatch.id.desc())).scalars()]


# --- undoing ------------------------------------------------------------------------------------------------------


@dataclass
class UndoReport:
    batch_id: int
    kind: str
    file: str
    removed: dict[str, int] = field(default_factory=dict)  # Chinese: what went, how many
    restored: int = 0
    kept: list[str] = field(default_factory=list)  # changed rows left as they are now (someone changed them since)

    def lines(self) -> list[str]:
        parts = [f"{what} {n}" for what, n in self.removed.items() if n]
        if self.restored:
            parts.append(f"恢复原值 {self.restored} 条")
        text = (f"已撤销第 {self.batch_id} 次导入（{KIND_LABELS.get(self.kind, self.kind)}“{self.file}”）："
                + ("，".join(parts) or "没有需要改动的记录"))
        return [text] + [f"未恢复：{k}" for k in self.kept]

    def summary_line(self) -> str:
        return f"undone import {self.batch_id}: removed {sum(self.removed.values())}, restored {self.restored}, kept {len(self.kept)}"


def _items(session: Session, batch_id: int) -> list[ImportBatchItem]:
    return list(session.execute(select(ImportBatchItem).where(ImportBatchItem.batch_id == batch_id)
                                .order_by(ImportBatchItem.id)).scalars())


def _ids(session: Session, table: Table, uuids: Iterable[str]) -> dict[str, int]:
    wanted = list(uuids)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(session.execute(select(table.c.uuid, table.c.id).where(table.c.uuid.in_(wanted[start:start + CHUNK]))).all())
    return found


def _numbers(session: Session, enrolment_ids: Iterable[int]) -> list[str]:
    ids = sorted(set(enrolment_ids))
    found: list[str] = []
    for start in range(0, len(ids), CHUNK):
        found += session.execute(select(Enrolment.student_number).where(Enrolment.id.in_(ids[start:start + CHUNK]))).scalars()
    return sorted(found)


def _some(numbers: Sequence[str]) -> str:
    return "、".join(numbers[:5]) + (f" 等 {len(numbers)} 人" if len(numbers) > 5 else "")


def _refuse_if(numbers: Sequence[str], why: str, batch: ImportBatch) -> None:
    if numbers:
        raise AdultSchoolError(f"不能撤销第 {batch.id} 次导入：{_some(numbers)} {why}")


def _restore(session: Session, item: ImportBatchItem, report: UndoReport) -> bool:
    """Puts back the values the batch replaced, if the row still holds what the batch wrote."""
    table = SPEC_BY_NAME[item.table_name].table
    before, after = decode_values(item.table_name, item.before or "{}"), decode_values(item.table_name, item.after or "{}")
    current = session.execute(select(*[table.c[k] for k in after]).where(table.c.uuid == item.row_uuid)).first()
    if current is None:
        return False
    if [plain(v) for v in current] != [plain(after[k]) for k in after]:
        report.kept.append(f"{item.table_name} 的一条记录此后又被修改过，保留现在的值")
        return False
    before = with_derived(item.table_name, before)
    session.execute(update_travelling(table).where(table.c.uuid == item.row_uuid).values(**before),
                    execution_options={"synchronize_session": False})
    report.restored += 1
    return True


def undo(session: Session, batch_id: int, *, reason: str, actor: str, today: date | None = None) -> UndoReport:
    """Undoes one import batch (see the module docstring); one transaction, audited."""
    permissions.require(session, actor, permissions.Permission.IMPORT)
    reason = clean_text(reason) or ""
    if not reason:
        raise AdultSchoolError("请写明撤销导入的原因。", field="reason")
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise AdultSchoolError(f"没有第 {batch_id} 次导入。请用 adultschool imports list 查看导入记录。")
    if batch.undone_at is not None:
        raise AdultSchoolError(f"第 {batch_id} 次导入已于 {batch.undone_at.astimezone():%Y-%m-%d %H:%M} 撤销过了。")
    items = _items(session, batch_id)
    uuids = [i.row_uuid for i in items]
    later: set[int] = set()
    for start in range(0, len(uuids), CHUNK):
        later.update(session.execute(
            select(ImportBatchItem.batch_id).join(ImportBatch, ImportBatch.id == ImportBatchItem.batch_id)
            .where(ImportBatchItem.row_uuid.in_(uuids[start:start + CHUNK]), ImportBatchItem.batch_id > batch_id,
                   ImportBatch.undone_at.is_(None))).scalars())
    if later:
        raise AdultSchoolError(f"不能撤销第 {batch_id} 次导入：之后的第 {'、'.join(map(str, sorted(later)))} 次导入改动过同样的记录，"
                               "请先撤销后面那次。")
    report = UndoReport(batch.id, batch.kind, batch.file)
    why = f"撤销第 {batch.id} 次导入（{batch.file}）：{reason}"
    inserted: dict[str, list[str]] = {}
    changed: list[ImportBatchItem] = []
    for item in items:
        if item.before is None and item.after is None:
            inserted.setdefault(item.table_name, []).append(item.row_uuid)
        else:
            changed.append(item)
    undo_kind = {"roster": _undo_roster, "survey": _undo_survey, "attendance": _undo_attendance, "study": _undo_study,
                 "results": _undo_results, "photos": _undo_photos}[batch.kind]
    undo_kind(session, batch, inserted, changed, report, why=why, actor=actor, today=today or clock.today())
    batch.undone_at, batch.undone_by, batch.undo_reason = clock.now(), actor, reason
    session.flush()
    audit.record(session, actor=actor, action="import.undo", entity="import_batches",
                 summary=report.lines()[0] + f"，原因：{reason}",
                 before={"导入": batch.id, "文件": batch.file, "记录": batch.rows},
                 after={"撤销": report.removed, "恢复原值": report.restored, "原因": reason})
    return report


def _sent(session: Session, uuids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(uuids), CHUNK):
        found.update(session.execute(select(SyncSent.uuid).where(SyncSent.uuid.in_(uuids[start:start + CHUNK]))).scalars())
    return found


def _present(session: Session, column, ids: Sequence[int]) -> list[int]:  # noqa: ANN001 - a foreign-key column
    """Those of `ids` that `column` holds (each once): which enrolments have results, which sessions attendance…"""
    found: list[int] = []
    for start in range(0, len(ids), CHUNK):
        found += session.execute(select(column).where(column.in_(list(ids[start:start + CHUNK]))).distinct()).scalars()
    return found


def _enrolments_of(session: Session, table: Table, uuids: Sequence[str]) -> list[int]:
    """The enrolments the rows of `table` with these uuids belong to."""
    found: list[int] = []
    for start in range(0, len(uuids), CHUNK):
        found += session.execute(select(table.c.enrolment_id).where(table.c.uuid.in_(uuids[start:start + CHUNK]))).scalars()
    return found


def _touched(table: Table, inserted: dict[str, list[str]], changed: list[ImportBatchItem]) -> list[str]:
    return inserted.get(table.name, []) + [i.row_uuid for i in changed if i.table_name == table.name]


def _undo_roster(session: Session, batch: ImportBatch, inserted: dict[str, list[str]], changed: list[ImportBatchItem],
                 report: UndoReport, *, why: str, actor: str, today: date) -> None:
    enrolment_ids = list(_ids(session, Enrolment.__table__, inserted.get("enrolments", [])).values())
    for model, what in ((Certificate, "已毕业"), (ExamResult, "已有考试成绩"), (ExamApplication, "已申请考试"),
                        (Attendance, "已有考勤记录"), (StudyRecord, "已有线上学习记录")):
        _refuse_if(_numbers(session, _present(session, model.enrolment_id, enrolment_ids)),
                   f"{what}：这次导入登记的学籍已被使用。请逐个办理退学或作废。", batch)
    members: list[int] = []
    for start in range(0, len(enrolment_ids), CHUNK):
        members += session.execute(select(ClassMember.id).where(
            ClassMember.enrolment_id.in_(enrolment_ids[start:start + CHUNK]))).scalars()
    report.removed["移出班级"] = remove_rows(session, ClassMember.__table__, members, reason=why)
    enrolment_uuids = inserted.get("enrolments", [])
    sent = _sent(session, enrolment_uuids)
    by_uuid = _ids(session, Enrolment.__table__, enrolment_uuids)
    void_ids = [by_uuid[u] for u in enrolment_uuids if u in sent and u in by_uuid]
    drop_ids = [by_uuid[u] for u in enrolment_uuids if u not in sent and u in by_uuid]
    for start in range(0, len(void_ids), CHUNK):
        session.execute(update_travelling(Enrolment).where(Enrolment.id.in_(void_ids[start:start + CHUNK]),
                                                           Enrolment.status.not_in((EnrolmentStatus.VOIDED,)))
                        .values(status=EnrolmentStatus.VOIDED, status_changed_on=today, status_reason=why[:2000]),
                        execution_options={"synchronize_session": False})
    for start in range(0, len(drop_ids), CHUNK):
        session.execute(delete(StudyTotal).where(StudyTotal.enrolment_id.in_(drop_ids[start:start + CHUNK])))
    removed = remove_rows(session, Enrolment.__table__, drop_ids, reason=why)
    report.removed["作废学籍（已报分中心）"] = len(void_ids)
    report.removed["删除学籍"] = removed
    for item in changed:
        _restore(session, item, report)
    _drop_new_people(session, inserted.get("learners", []), report, why=why)


def _drop_new_people(session: Session, uuids: list[str], report: UndoReport, *, why: str) -> None:
    """People the batch created who hold no enrolment now (and were never sent) go; the others stay as records."""
    ids = _ids(session, Learner.__table__, uuids)
    holding = set(_present(session, Enrolment.learner_id, list(ids.values())))
    sent = _sent(session, list(ids))
    gone = [i for u, i in ids.items() if i not in holding and u not in sent]
    unmatch(session, gone)
    report.removed["删除学员"] = remove_rows(session, Learner.__table__, gone, reason=why)


def _undo_survey(session: Session, batch: ImportBatch, inserted: dict[str, list[str]], changed: list[ImportBatchItem],
                 report: UndoReport, *, why: str, actor: str, today: date) -> None:
    ids = _ids(session, Learner.__table__, inserted.get("learners", []))
    registered = _present(session, Enrolment.learner_id, list(ids.values()))
    if registered:
        names = sorted(session.execute(select(Learner.name).where(Learner.id.in_(registered[:50]))).scalars())
        raise AdultSchoolError(f"不能撤销第 {batch.id} 次导入：{_some(names)} 已经报名登记。请先处理这些学籍（退学或作废）。")
    unmatch(session, list(ids.values()))
    report.removed["删除排摸对象"] = remove_rows(session, Learner.__table__, list(ids.values()), reason=why)
    contacts = _ids(session, SurveyContact.__table__, inserted.get("survey_contacts", []))
    report.removed["删除排摸对象（无身份证号）"] = remove_rows(session, SurveyContact.__table__, list(contacts.values()),
                                                     reason=why)
    for item in changed:
        _restore(session, item, report)


def _applied_since(session: Session, batch: ImportBatch, enrolment_ids: Sequence[int]) -> list[str]:
    ids = sorted(set(enrolment_ids))
    found: list[int] = []
    for start in range(0, len(ids), CHUNK):
        found += session.execute(select(ExamApplication.enrolment_id).where(
            ExamApplication.enrolment_id.in_(ids[start:start + CHUNK]), ExamApplication.created_at > batch.at)).scalars()
    return _numbers(session, found)


def _undo_attendance(session: Session, batch: ImportBatch, inserted: dict[str, list[str]], changed: list[ImportBatchItem],
                     report: UndoReport, *, why: str, actor: str, today: date) -> None:
    marks = _ids(session, Attendance.__table__, inserted.get("attendance", []))
    affected = _enrolments_of(session, Attendance.__table__, _touched(Attendance.__table__, inserted, changed))
    _refuse_if(_applied_since(session, batch, affected), "在这次导入之后申请了考试（按当时的学时）。", batch)
    report.removed["删除考勤"] = remove_rows(session, Attendance.__table__, list(marks.values()), reason=why)
    for item in changed:
        _restore(session, item, report)
    lessons = _ids(session, ClassSession.__table__, inserted.get("class_sessions", []))
    still_marked = set(_present(session, Attendance.session_id, list(lessons.values())))
    report.removed["删除课次"] = remove_rows(session, ClassSession.__table__,
                                         [i for i in lessons.values() if i not in still_marked], reason=why)
    refresh_totals(session, set(affected))


def _undo_study(session: Session, batch: ImportBatch, inserted: dict[str, list[str]], changed: list[ImportBatchItem],
                report: UndoReport, *, why: str, actor: str, today: date) -> None:
    records = _ids(session, StudyRecord.__table__, inserted.get("study_records", []))
    affected = _enrolments_of(session, StudyRecord.__table__, _touched(StudyRecord.__table__, inserted, changed))
    relengthened = list(_ids(session, Video.__table__, [i.row_uuid for i in changed if i.table_name == "videos"]).values())
    for start in range(0, len(relengthened), CHUNK):  # a video's length caps the minutes of everyone who watched it
        affected += session.execute(select(StudyRecord.enrolment_id).where(
            StudyRecord.video_id.in_(relengthened[start:start + CHUNK]))).scalars()
    _refuse_if(_applied_since(session, batch, affected), "在这次导入之后申请了考试（按当时的视频学时）。", batch)
    report.removed["删除学习记录"] = remove_rows(session, StudyRecord.__table__, list(records.values()), reason=why)
    for item in changed:
        _restore(session, item, report)
    videos = _ids(session, Video.__table__, inserted.get("videos", []))
    watched = set(_present(session, StudyRecord.video_id, list(videos.values())))
    report.removed["删除视频"] = remove_rows(session, Video.__table__, [i for i in videos.values() if i not in watched],
                                         reason=why)
    refresh_totals(session, set(affected))


def _undo_results(session: Session, batch: ImportBatch, inserted: dict[str, list[str]], changed: list[ImportBatchItem],
                  report: UndoReport, *, why: str, actor: str, today: date) -> None:
    results = _ids(session, ExamResult.__table__, inserted.get("exam_results", []))
    ids = sorted(set(_enrolments_of(session, ExamResult.__table__, _touched(ExamResult.__table__, inserted, changed))))
    graduated: list[int] = []
    for start in range(0, len(ids), CHUNK):
        graduated += session.execute(select(Certificate.enrolment_id).where(
            Certificate.enrolment_id.in_(ids[start:start + CHUNK]),
            (Certificate.created_at > batch.at) | (Certificate.revoked_on.is_not(None)))).scalars()
    _refuse_if(_numbers(session, graduated), "在这次导入之后毕业或被撤销了证书：请先处理证书（撤销或重新毕业）。", batch)
    report.removed["删除成绩"] = remove_rows(session, ExamResult.__table__, list(results.values()), reason=why)
    for item in changed:
        _restore(session, item, report)
    session.flush()
    exam_results.settle_statuses(session, ids, load_rules(session), actor=actor, why=why, today=today)


def _undo_photos(session: Session, batch: ImportBatch, inserted: dict[str, list[str]], changed: list[ImportBatchItem],
                 report: UndoReport, *, why: str, actor: str, today: date) -> None:
    photos = _ids(session, LearnerPhoto.__table__, inserted.get("learner_photos", []))
    report.removed["删除照片"] = remove_rows(session, LearnerPhoto.__table__, list(photos.values()), reason=why)
    for item in changed:
        _restore(session, item, report)
