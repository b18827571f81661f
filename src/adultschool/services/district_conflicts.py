"""People two schools both registered (the same ID number), as the district sees them, and every way out.

A conflict holds the second school's person back (with everything hanging on it) until one of these happens:
- the district confirms both are the same person (`settle`): possible as soon as the two schools no longer both hold
  an open enrolment at the same level; when they do, one school withdraws (退学/转学) or voids (作废) its enrolment, or
  the district records which school keeps it (`settle --keep`) and the conflict settles by itself when the other
  school's package carries the withdrawal;
- one school corrects a mistyped ID number: the next package carries the corrected learner and the conflict closes by
  itself, the held rows merging as a separate person (`corrected`);
- one school deletes its registration (an undone import): its tombstone closes the conflict (`removed`).
Each way out is audited; the one that applies now is shown to the district (`way_out`) and, for its own part, to each
school in its receipt.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adultschool import idcard
from adultschool.errors import AdultSchoolError
from adultschool.jobs import NullJob
from adultschool.models import (
    ConflictStatus,
    Enrolment,
    EnrolmentStatus,
    Learner,
    Level,
    School,
    SyncAlias,
    SyncConflict,
    SyncHeld,
    SyncOwner,
    SyncSchool,
)
from adultschool.models.base import utcnow
from adultschool.services import audit, permissions
from adultschool.services.site import require_district
from adultschool.services.district_merge import Merger, MergeResult
from adultschool.services.sync_tables import SPEC_BY_NAME, decode_lines

TYPO_HINT = "若身份证号码登记有误，请登记错的学校更正后重新发送数据包，冲突将自动关闭。"
AUTO = "（自动）"


@dataclass(frozen=True)
class EnrolmentFact:
    school: str
    level: Level
    status: EnrolmentStatus
    student_number: str

    @property
    def text(self) -> str:
        return f"{self.level.label}{self.status.label}"


@dataclass(frozen=True)
class Collision:
    """Both schools hold an open enrolment at the same level: the two cannot be one person's until one is closed."""

    level: Level
    existing: EnrolmentFact
    incoming: EnrolmentFact

    def text(self) -> str:
        return (f"两校都有此人的{self.level.label}学籍（{self.existing.school} {self.existing.status.label}，"
                f"{self.incoming.school} {self.incoming.status.label}）")


@dataclass(frozen=True)
class ConflictInfo:
    id: int
    id_number: str  # masked unless asked
    name: str
    existing_school: str
    incoming_school: str
    status: ConflictStatus
    held_rows: int
    first_seen_at: datetime
    settled_by: str | None
    existing_school_name: str = ""
    incoming_school_name: str = ""
    existing_enrolments: tuple[EnrolmentFact, ...] = ()
    incoming_enrolments: tuple[EnrolmentFact, ...] = ()
    collisions: tuple[Collision, ...] = ()
    keep_school: str | None = None
    note: str | None = None
    way_out: str = ""  # with the commands to type (`sync conflicts`)
    way_out_in_window: str = ""  # with the buttons of the 冲突 page

    @property
    def status_text(self) -> str:
        if self.status is ConflictStatus.DECIDED and self.keep_school:
            other = self.incoming_school if self.keep_school == self.existing_school else self.existing_school
            return f"已裁定由 {self.keep_school} 保留，待 {other} 退学"
        return self.status.label

    def enrolments_text(self, side: str) -> str:
        facts = self.existing_enrolments if side == "existing" else self.incoming_enrolments
        return "、".join(f.text for f in facts) or "无学籍"


@dataclass(frozen=True)
class SettleResult:
    conflict_id: int
    merged: int  # held rows merged into the person
    decided: bool  # a decision was recorded and the conflict waits for the other school's withdrawal
    keep_school: str | None
    other_school: str | None

    def line(self) -> str:
        if self.decided:
            return f"decided conflict {self.conflict_id}: {self.keep_school} keeps, {self.other_school} to withdraw"
        return f"settled conflict {self.conflict_id}, merged {self.merged}"


# --- the facts of a conflict -------------------------------------------------------------------------------------


def _existing_enrolments(session: Session, conflict: SyncConflict) -> list[EnrolmentFact]:
    rows = session.execute(
        select(School.code, Enrolment.level, Enrolment.status, Enrolment.student_number)
        .join(Learner, Learner.id == Enrolment.learner_id).join(School, School.id == Enrolment.school_id)
        .where(Learner.uuid == conflict.existing_uuid).order_by(Enrolment.id)).all()
    return [EnrolmentFact(code, Level(level), EnrolmentStatus(status), number) for code, level, status, number in rows]


def _held_enrolments(session: Session, conflict: SyncConflict) -> list[EnrolmentFact]:
    facts = []
    for payload, school in session.execute(
            select(SyncHeld.payload, SyncHeld.school_code)
            .where(SyncHeld.conflict_id == conflict.id, SyncHeld.table_name == "enrolments").order_by(SyncHeld.uuid)):
        row = json.loads(payload)
        if row.get("learner_id") != conflict.incoming_uuid:
            continue
        facts.append(EnrolmentFact(school, Level(row["level"]), EnrolmentStatus(row["status"]), row["student_number"]))
    return facts


def collisions_of(existing: list[EnrolmentFact], incoming: list[EnrolmentFact]) -> list[Collision]:
    found = []
    for level in Level:
        mine = [f for f in existing if f.level is level and not f.status.is_closed]
        theirs = [f for f in incoming if f.level is level and not f.status.is_closed]
        if mine and theirs:
            found.append(Collision(level, mine[0], theirs[0]))
    return found


def _school_names(session: Session) -> dict[str, str]:
    names = dict(session.execute(select(School.code, School.name)).all())
    names.update(session.execute(select(SyncSchool.code, SyncSchool.name)).all())
    return names


def way_out(conflict: SyncConflict, collisions: list[Collision], *, window: bool = False) -> str:
    """What will close this conflict, in Chinese, from its real state; the commands to type, or (`window`) the
    buttons of the 冲突 page to press."""
    settle = "点“确认为同一人…”" if window else f"adultschool sync settle {conflict.id}"
    keep = "点“裁定由哪所学校保留…”" if window else f"adultschool sync settle {conflict.id} --keep 学校代码"
    status = conflict.status
    if status is ConflictStatus.SAME_PERSON:
        return f"已确认为同一人（{conflict.settled_by or ''}），学校 {conflict.incoming_school} 的数据已并入此人名下。"
    if status is ConflictStatus.CORRECTED:
        return "身份证号码已由学校更正，两条登记已按两个人分别合并。"
    if status is ConflictStatus.REMOVED:
        return "其中一所学校已撤销这条登记，剩下的登记已合并。"
    if status is ConflictStatus.DECIDED:
        keeper = conflict.keep_school
        other = conflict.incoming_school if keeper == conflict.existing_school else conflict.existing_school
        return (f"分中心已裁定由学校 {keeper} 保留学籍：待学校 {other} 为此人办理退学或作废，收到其数据包后"
                f"将自动确认为同一人。{TYPO_HINT}")
    if collisions:
        details = "；".join(c.text() for c in collisions)
        return (f"{details}：请其中一所学校办理退学或转学，收到其数据包后即可确认为同一人"
                f"（{settle}）；也可由分中心裁定保留哪一所：{keep}。{TYPO_HINT}")
    return f"可以确认为同一人：{settle}。{TYPO_HINT}"


def _info(session: Session, conflict: SyncConflict, held: int, names: dict[str, str], mask) -> ConflictInfo:  # noqa: ANN001
    existing, incoming = _existing_enrolments(session, conflict), _held_enrolments(session, conflict)
    collisions = collisions_of(existing, incoming) if conflict.status.is_unresolved else []
    return ConflictInfo(
        conflict.id, mask(conflict.id_number), conflict.incoming_name, conflict.existing_school,
        conflict.incoming_school, conflict.status, held, conflict.first_seen_at, conflict.settled_by,
        names.get(conflict.existing_school, ""), names.get(conflict.incoming_school, ""), tuple(existing),
        tuple(incoming), tuple(collisions), conflict.keep_school, conflict.note, way_out(conflict, collisions),
        way_out(conflict, collisions, window=True))


def list_conflicts(session: Session, *, include_settled: bool = False, unmasked: bool = False,
                   actor: str | None = None) -> list[ConflictInfo]:
    """Conflicts with their way out, ID numbers masked; unmasked only for those allowed to see full IDs (audited)."""
    require_district(session)
    query = select(SyncConflict).order_by(SyncConflict.id)
    if not include_settled:
        query = query.where(SyncConflict.status.in_([ConflictStatus.OPEN, ConflictStatus.DECIDED]))
    counts = dict(session.execute(
        select(SyncHeld.conflict_id, func.count()).group_by(SyncHeld.conflict_id)).all())
    conflicts = list(session.execute(query).scalars())
    if unmasked:
        permissions.reveal(session, actor, what="冲突列表", count=len(conflicts))
    mask = (lambda n: n) if unmasked else idcard.mask
    names = _school_names(session)
    return [_info(session, c, counts.get(c.id, 0), names, mask) for c in conflicts]


def _get(session: Session, conflict_id: int) -> SyncConflict:
    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None:
        raise AdultSchoolError(f"没有编号为 {conflict_id} 的冲突。")
    return conflict


# --- ways out ----------------------------------------------------------------------------------------------------


def settle_conflict(session: Session, conflict_id: int, *, actor: str, note: str | None = None,
                    keep: str | None = None) -> SettleResult:
    """The district has found both registrations are the same person.

    When the two schools no longer both hold an open enrolment at the same level, the second school's rows join that
    person now. When they do, `keep` records which school keeps the enrolment: the other must withdraw (or void) it,
    and the conflict settles by itself when that school's package carries it. Without `keep` that case is refused,
    saying what would resolve it."""
    require_district(session)
    permissions.require(session, actor, permissions.SYNC)
    conflict = _get(session, conflict_id)
    if not conflict.status.is_unresolved:
        raise AdultSchoolError(f"冲突 {conflict_id} 已经处理过了（{conflict.status.label}）。")
    parties = (conflict.existing_school, conflict.incoming_school)
    if keep is not None:
        keep = keep.strip()
        if keep not in parties:
            raise AdultSchoolError(
                f"学校 {keep} 不是冲突 {conflict_id} 的一方：只能在 {parties[0]} 和 {parties[1]} 之间选择保留学籍的学校。")
    collisions = collisions_of(_existing_enrolments(session, conflict), _held_enrolments(session, conflict))
    if collisions and keep is None:
        details = "；".join(c.text() for c in collisions)
        raise AdultSchoolError(
            f"{details}，现在不能合并为同一人。请其中一所学校为此人办理退学或转学，收到其数据包后即可确认；"
            f"或由分中心裁定保留学籍的学校：adultschool sync settle {conflict_id} --keep 学校代码（另一所学校收到回执后"
            f"办理退学）。{TYPO_HINT}")
    other = None
    if keep is not None:
        other = parties[1] if keep == parties[0] else parties[0]
    if collisions:
        before = conflict.status.value
        conflict.status, conflict.keep_school = ConflictStatus.DECIDED, keep
        conflict.decided_at, conflict.decided_by = utcnow(), actor
        if note:
            conflict.note = note
        audit.record(session, actor=actor, action="sync.decide", entity="sync_conflicts",
                     summary=f"裁定 {idcard.mask(conflict.id_number)} 由学校 {keep} 保留学籍，学校 {other} 办理退学",
                     before={"status": before}, after={"conflict": conflict_id, "keep": keep, "note": note})
        return SettleResult(conflict_id, 0, True, keep, other)
    if keep is not None:
        conflict.keep_school, conflict.decided_at, conflict.decided_by = keep, utcnow(), actor
    merged = merge_as_same_person(session, conflict, actor=actor, note=note)
    return SettleResult(conflict_id, merged, False, keep, other)


def _held_rows(session: Session, conflict: SyncConflict) -> dict[str, list[dict[str, Any]]]:
    payloads: dict[str, list[bytes]] = defaultdict(list)
    for row in session.execute(select(SyncHeld).where(SyncHeld.conflict_id == conflict.id)).scalars():
        payloads[row.table_name].append(row.payload.encode())
    return {name: decode_lines(SPEC_BY_NAME[name], b"\n".join(lines)) for name, lines in payloads.items()}


def merge_as_same_person(session: Session, conflict: SyncConflict, *, actor: str, note: str | None,
                         automatic: bool = False) -> int:
    person = session.execute(select(Learner.id).where(Learner.uuid == conflict.existing_uuid)).scalar_one()
    rows = _held_rows(session, conflict)
    count = sum(len(r) for r in rows.values())
    merger = Merger(session, conflict.incoming_school, NullJob())
    try:
        with session.begin_nested():  # a refusal leaves the held rows and the conflict as they were
            session.execute(delete(SyncHeld).where(SyncHeld.conflict_id == conflict.id))
            session.add(SyncAlias(uuid=conflict.incoming_uuid, table_name="learners", local_id=person))
            if session.get(SyncOwner, conflict.incoming_uuid) is None:
                session.add(SyncOwner(uuid=conflict.incoming_uuid, table_name="learners",
                                      school_code=conflict.incoming_school))
            session.flush()
            merger.merge(rows)
    except IntegrityError:
        raise AdultSchoolError(
            f"两所学校（{conflict.existing_school} 和 {conflict.incoming_school}）的数据不能合并为同一人"
            "（同一层次各有一个未结束的学籍）。请其中一所学校办理退学或转学后再发送数据包。") from None
    conflict.status, conflict.settled_at = ConflictStatus.SAME_PERSON, utcnow()
    conflict.settled_by = f"{actor}{AUTO}" if automatic else actor
    if note:
        conflict.note = note
    audit.record(session, actor=actor, action="sync.settle", entity="sync_conflicts",
                 summary=f"确认 {idcard.mask(conflict.id_number)} 在 {conflict.existing_school} 与 "
                         f"{conflict.incoming_school} 为同一人" + ("（依据分中心裁定，对方已退学，自动确认）" if automatic else ""),
                 after={"conflict": conflict.id, "merged_rows": count, "note": note, "automatic": automatic,
                        "keep": conflict.keep_school, "refused": merger.result.total("refused")})
    return count


def release_as_separate_person(session: Session, conflict: SyncConflict, status: ConflictStatus, *, actor: str,
                               why: str, drop: bool = False) -> MergeResult:
    """The two registrations are not one person after all: the held rows merge as the incoming school's own person
    (with `drop`, when it is the incoming school's registration that went away, what is left of it is dropped)."""
    rows = {} if drop else _held_rows(session, conflict)
    session.execute(delete(SyncHeld).where(SyncHeld.conflict_id == conflict.id))
    conflict.status, conflict.settled_at, conflict.settled_by = status, utcnow(), f"{actor}{AUTO}"
    conflict.note = why
    session.flush()
    merger = Merger(session, conflict.incoming_school, NullJob())
    result = merger.merge(rows) if rows else MergeResult()
    audit.record(session, actor=actor, action="sync.conflict_closed", entity="sync_conflicts",
                 summary=f"冲突 {conflict.id}（{idcard.mask(conflict.id_number)}）自动关闭：{why}",
                 after={"conflict": conflict.id, "status": status.value,
                        "merged_rows": result.total("inserted") + result.total("updated"),
                        "reopened": conflict.status is ConflictStatus.OPEN})
    return result


def close_after_package(session: Session, sender: str, merged: MergeResult, *, actor: str) -> list[str]:
    """The conflicts this package resolves by itself; returns a Chinese line for each, for the import report. A
    conflict that still cannot be closed stays as it was (said so in its line); the package goes in either way."""
    notes: list[str] = []
    unresolved = [ConflictStatus.OPEN, ConflictStatus.DECIDED]

    def attempt(conflict: SyncConflict, close, done: str) -> None:  # noqa: ANN001
        try:
            with session.begin_nested():
                result = close()
        except AdultSchoolError as exc:
            notes.append(f"冲突 {conflict.id}（{idcard.mask(conflict.id_number)}）仍未关闭：{exc.message}")
            return
        notes.append(_closed_line(conflict, done.format(result=result)))

    for uuid, number in merged.changed_held_learners.items():
        conflict = session.execute(select(SyncConflict).where(
            SyncConflict.incoming_uuid == uuid, SyncConflict.status.in_(unresolved))).scalar()
        if conflict is not None and number != conflict.id_number:
            attempt(conflict, lambda c=conflict: release_as_separate_person(
                session, c, ConflictStatus.CORRECTED, actor=actor, why=f"学校 {sender} 更正了身份证号码"),
                f"学校 {sender} 更正了身份证号码，已按另一人合并")
    for uuid, number in merged.changed_learners.items():
        for conflict in session.execute(select(SyncConflict).where(
                SyncConflict.existing_uuid == uuid, SyncConflict.status.in_(unresolved))).scalars().all():
            if number != conflict.id_number:
                attempt(conflict, lambda c=conflict: release_as_separate_person(
                    session, c, ConflictStatus.CORRECTED, actor=actor, why=f"学校 {sender} 更正了先登记者的身份证号码"),
                    f"学校 {sender} 更正了身份证号码，两人分别合并")
    for uuid in merged.removed_learners:
        for conflict in session.execute(select(SyncConflict).where(
                (SyncConflict.existing_uuid == uuid) | (SyncConflict.incoming_uuid == uuid),
                SyncConflict.status.in_(unresolved))).scalars().all():
            attempt(conflict, lambda c=conflict, u=uuid: release_as_separate_person(
                session, c, ConflictStatus.REMOVED, actor=actor, why=f"学校 {sender} 撤销了这条登记",
                drop=u == c.incoming_uuid), f"学校 {sender} 撤销了这条登记")
    for conflict in session.execute(select(SyncConflict).where(
            SyncConflict.status == ConflictStatus.DECIDED,
            (SyncConflict.existing_school == sender) | (SyncConflict.incoming_school == sender))).scalars().all():
        if collisions_of(_existing_enrolments(session, conflict), _held_enrolments(session, conflict)):
            continue
        attempt(conflict, lambda c=conflict: merge_as_same_person(session, c, actor=actor, automatic=True, note=c.note),
                f"学校 {sender} 已办理退学，依据分中心裁定自动确认为同一人（合并 {{result}} 行）")
    return notes


def _closed_line(conflict: SyncConflict, what: str) -> str:
    return f"冲突 {conflict.id}（{idcard.mask(conflict.id_number)}）已关闭：{what}。"


# --- what a school is told ---------------------------------------------------------------------------------------


def for_school(session: Session, school_code: str) -> list[dict[str, Any]]:
    """The conflicts that concern one school, for its receipt: its own learner, the other school's code and name, the
    district's decision and what the school should do. Nothing of the other school's records."""
    names = _school_names(session)
    entries = []
    for conflict in session.execute(select(SyncConflict).where(
            (SyncConflict.incoming_school == school_code) | (SyncConflict.existing_school == school_code))
            .order_by(SyncConflict.id)).scalars():
        incoming = conflict.incoming_school == school_code
        other = conflict.existing_school if incoming else conflict.incoming_school
        existing_facts, held_facts = _existing_enrolments(session, conflict), _held_enrolments(session, conflict)
        mine = held_facts if incoming else [f for f in existing_facts if f.school == school_code]
        if incoming:
            name = conflict.incoming_name
        else:
            name = session.execute(select(Learner.name).where(Learner.uuid == conflict.existing_uuid)).scalar() or ""
        decision = None
        if conflict.keep_school:
            decision = "keep" if conflict.keep_school == school_code else "withdraw"
        collisions = collisions_of(existing_facts, held_facts) if conflict.status.is_unresolved else []
        numbers = [f.student_number for f in mine]
        entries.append({
            "id": conflict.id, "id_number": idcard.mask(conflict.id_number), "name": name,
            "student_numbers": numbers, "other_school": other, "other_school_name": names.get(other, ""),
            "status": conflict.status.value, "status_label": conflict.status.label, "decision": decision,
            "action": _action(conflict, school_code, other, names.get(other, ""), numbers, bool(collisions)),
        })
    return entries


def _action(conflict: SyncConflict, school: str, other: str, other_name: str, numbers: list[str],
            colliding: bool) -> str:
    them = f"{other}（{other_name}）" if other_name else f"{other} "  # a space only before Chinese that follows a code
    numbers_text = f"（学籍号 {'、'.join(numbers)}）" if numbers else ""
    if conflict.status is ConflictStatus.DECIDED:
        if conflict.keep_school == school:
            return f"分中心裁定由本校保留学籍；待学校 {them}办理退学后自动确认为同一人，本校无需操作。"
        return (f"分中心裁定由学校 {them}保留学籍：请本校为此人{numbers_text}办理退学或作废"
                f"（adultschool learners withdraw 学籍号 --reason 理由），然后发送数据包。")
    if conflict.status is ConflictStatus.OPEN:
        if colliding:
            return (f"此人也在学校 {them}登记了同一层次：请与对方学校和分中心商定由哪一方办理退学或转学；"
                    "若本校登记的身份证号码有误，请更正后重新发送数据包。")
        return "分中心核实后将确认为同一人；若本校登记的身份证号码有误，请更正后重新发送数据包。"
    return conflict.status.label
