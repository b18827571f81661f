"""Reading the audit log for the audit view and `adultschool audit list`: filtered, newest first, in pages.

Read-only by design: nothing here (or anywhere in the program) edits or deletes an entry. Administrators only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from adultschool.models import AuditEntry
from adultschool.services import audit_text, permissions

ACTION_LABELS = {
    "site.init": "初始化数据库",
    "township.add": "新增街道/镇",
    "township.quota": "设定任务数",
    "rule.set": "修改规则",
    "learner.register": "登记学员",
    "survey.import": "导入排摸表",
    "class.create": "新建班级",
    "class.members": "班级加入学员",
    "session.create": "登记上课",
    "attendance.save": "考勤",
    "study.import": "导入学习记录",
    "totals.rebuild": "重算累计学时",
    "exam.apply": "考前申请",
    "exam.results": "导入成绩",
    "graduate": "毕业",
    "skill.add": "登记职业技能证书",
    "certificate.print": "打印证书",
    "certificate.reprint": "补发证书",
    "settings.font": "修改打印字体",
    "id.reveal": "显示完整身份证号码",
    "account.add": "新建账户",
    "account.password": "修改密码",
    "account.disable": "停用账户",
    "account.enable": "启用账户",
    "account.unlock": "解锁账户",
    "account.lock": "账户被锁定",
    "account.update": "修改账户",
    "database.restore": "恢复备份",
    "sync.key": "签名密钥",
    "sync.district_key": "分中心公钥",
    "sync.export": "生成数据包",
    "sync.confirm": "核对回执",
    "sync.keygen": "分中心密钥",
    "sync.import": "导入数据包",
    "sync.trust": "登记学校密钥",
    "sync.settle": "处理冲突",
    "township.count": "登记街道/镇人次",
    "learner.edit": "修改学员信息",
    "enrolment.withdraw": "退学/转学",
    "enrolment.void": "作废学籍",
    "enrolment.reinstate": "恢复学籍",
    "enrolment.correct": "更正学籍",
    "import.undo": "撤销导入",
    "mapping.save": "保存列对应关系",
    "photos.import": "导入照片",
    "photos.set": "设置照片",
    "class.edit": "修改班级",
    "class.delete": "删除班级",
    "class.remove_members": "班级移出学员",
    "session.edit": "修改课次",
    "session.delete": "删除课次",
    "exam.round.add": "新增考试批次",
    "exam.round.remove": "删除考试批次",
    "exam.district_results": "登记分中心阅卷成绩",
    "exam.district_results.remove": "撤回分中心阅卷成绩",
    "certificate.revoke": "撤销证书",
    "certificate.verify": "查验证书",
    "audit.access_log": "导出查看记录",
    "privacy.consent": "登记个人信息同意",
    "privacy.erase": "删除个人信息",
    "privacy.purge": "按保存年限清除个人信息",
    "privacy.export": "导出本人信息",
    "rule.district": "分中心规则",
    "rule.school_may_change": "设定学校可改的规则",
    "settings.backup_dir": "修改备份文件夹",
    "settings.card_reader": "设置读卡器",
    "settings.certificate": "修改证书设置",
    "settings.print_layout": "修改打印位置",
    "sync.conflict_closed": "关闭冲突",
    "sync.decide": "裁定冲突",
    "sync.district_export": "生成给学校的数据包",
    "sync.district_import": "导入分中心数据包",
    "sync.epoch": "数据包重新编号",
    "sync.key_seen": "记下学校密钥",
    "sync.school_add": "登记学校",
    "sync.school_retire": "停用学校",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." ("account." for every account change)
    since: date | None = None  # local calendar days, inclusive
    until: date | None = None
    text: str | None = None  # part of the summary, the table name or the before/after values


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime  # UTC
    actor: str
    action: str
    entity: str
    entity_uuid: str | None
    summary: str
    before: str | None  # JSON
    after: str | None  # JSON

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def entity_label(self) -> str:
        return audit_text.entity_label(self.entity)

    @property
    def before_text(self) -> str:
        """改动前 on one line, in Chinese field names and values."""
        return audit_text.side_text(self.before)

    @property
    def after_text(self) -> str:
        return audit_text.side_text(self.after)

    @property
    def detail_text(self) -> str:
        """Field by field, before → after."""
        return audit_text.detail_text(self.before, self.after, self.entity)

    @property
    def local_time(self) -> str:
        return self.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action, "entity": self.entity,
            "entity_uuid": self.entity_uuid, "summary": self.summary,
            "before": json.loads(self.before) if self.before else None,
            "after": json.loads(self.after) if self.after else None,
        }


def _utc_start_of(day: date) -> datetime:
    """Local midnight of `day` as an instant in UTC. SQLite stores `at` as UTC wall time and writes this one the same
    way; PostgreSQL compares instants (a naive value would be read in the server's own time zone)."""
    return datetime.combine(day, time()).astimezone().astimezone(timezone.utc)


def _filtered(query: Select, flt: AuditFilter) -> Select:
    if flt.actor:
        query = query.where(AuditEntry.actor == flt.actor.strip())
    if flt.action:
        if flt.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(flt.action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == flt.action)
    if flt.since:
        query = query.where(AuditEntry.at >= _utc_start_of(flt.since))
    if flt.until:
        query = query.where(AuditEntry.at < _utc_start_of(flt.until + timedelta(days=1)))
    text = (flt.text or "").strip()
    if text:
        query = query.where(or_(AuditEntry.summary.contains(text, autoescape=True),
                                AuditEntry.entity.contains(text, autoescape=True),
                                AuditEntry.before.contains(text, autoescape=True),
                                AuditEntry.after.contains(text, autoescape=True)))
    return query


def count_entries(session: Session, flt: AuditFilter = AuditFilter(), *, actor: str | None = None) -> int:
    permissions.require(session, actor, permissions.Permission.VIEW_AUDIT)
    return session.execute(_filtered(select(func.count(AuditEntry.id)), flt)).scalar_one()


def list_entries(session: Session, flt: AuditFilter = AuditFilter(), *, actor: str | None = None, offset: int = 0,
                 limit: int | None = None) -> list[AuditRow]:
    """Newest first (by id: the chain's order)."""
    permissions.require(session, actor, permissions.Permission.VIEW_AUDIT)
    query = _filtered(select(AuditEntry), flt).order_by(AuditEntry.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditRow(e.id, e.at if e.at.tzinfo else e.at.replace(tzinfo=timezone.utc), e.actor, e.action, e.entity,
                 e.entity_uuid, e.summary, e.before, e.after)
        for e in session.execute(query).scalars()
    ]


def known_actors(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)).scalars())


def known_actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())
