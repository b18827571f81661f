"""The audit log in a clerk's words: Chinese names for what an entry touched (学员, 考勤…), for the fields of its
before/after (姓名, 层次…) and for coded values (junior → 初中, present → 出勤, true → 是).

The log itself stays as it was written (English keys and codes, so it can be checked and searched the same way for
ever); this module only renders it for the audit view and `audit list`. A key with no Chinese name (a student number,
a table's own name inside a count) is shown as it is.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from adultschool.services.field_labels import FIELD_LABELS as REGISTRATION_LABELS
from adultschool.models import (
    AttendanceStatus,
    ClassType,
    ConflictStatus,
    CountKind,
    EnrolmentStatus,
    ExamMark,
    Gender,
    LearningMode,
    Level,
    Role,
    SiteKind,
    Willingness,
)

ENTITY_LABELS = {
    "accounts": "账户", "attendance": "考勤", "audit_entries": "审计记录", "certificate_prints": "证书打印",
    "certificates": "证书", "class_members": "班级学员", "class_sessions": "课次", "classes": "班级",
    "database": "数据库", "deleted_rows": "已删除的记录", "district_exports": "分中心数据包", "district_imports":
    "分中心数据包导入", "district_results": "分中心成绩", "enrolments": "学籍", "exam_applications": "考前申请",
    "exam_results": "考试成绩", "exam_rounds": "考试批次", "import_batches": "导入批次", "learner_photos": "学员照片",
    "learners": "学员", "local_settings": "本机设置", "rules": "规则", "schools": "学校", "site_settings": "设置",
    "skill_certificates": "职业技能证书", "study_records": "学习记录", "study_totals": "累计学时",
    "sync_conflicts": "冲突", "sync_exports": "数据包", "sync_packages": "收到的数据包", "sync_schools": "学校名册",
    "township_counts": "街道/镇人次", "township_quotas": "任务数", "townships": "街道/镇", "videos": "视频学习记录",
    "mappings": "列对应关系", "survey_contacts": "排摸联系记录",
}

FIELD_LABELS = {
    # people and registrations
    "name": "名称", "gender": "性别", "birth_date": "出生日期", "phone": "电话", "education": "原学历",
    "employer": "工作单位", "address": "住址", "job": "职业", "household_location": "户籍所在地",
    "is_migrant": "流动人口", "township": "街道/镇", "township_id": "街道/镇", "willingness": "报名意愿",
    "preferred_learning": "学习方式", "surveyed_on": "排摸日期", "id_number": "身份证号码", "photo": "照片",
    "level": "层次", "status": "状态", "statuses": "状态", "registered_on": "报名日期", "student_number": "学籍号",
    "student_numbers": "学籍号", "source": "来源", "reason": "原因", "note": "备注", "transfer_to": "转入学校",
    "consent": "个人信息同意", "notice": "告知书版本", "on": "日期",
    # classes, attendance, study
    "class_type": "班级类型", "type": "类型", "starts_on": "开班日期", "teaching_site": "教学点", "teacher": "任课教师",
    "members": "学员", "sessions": "课次", "held_on": "上课日期", "hours": "课时", "course": "课程", "topic": "内容",
    "starts_at": "上课时间", "class_hours_count": "计入课时", "attendance": "考勤", "videos": "视频学习记录",
    "study_records": "学习记录", "added": "加入", "removed": "移出",
    # exams and certificates
    "round": "考试批次", "apply_by": "申请截止日", "site": "考点", "courses": "科目", "results": "成绩",
    "score": "分数", "mark": "成绩类别", "passed": "合格", "pass_mark": "合格分数", "certificate": "证书",
    "certificates": "证书", "certificate_of": "证书", "number": "编号", "issued_on": "发证日期", "issuer": "发证机关",
    "title": "标题", "body_text": "正文", "seal_text": "印章文字", "replaced": "被替换", "verdict": "查验结果",
    "graduation_requires_skill": "毕业须有职业技能证书", "as_of": "截至", "exam_rounds": "考试批次",
    "certificate_prints": "证书打印", "skill_certificates": "职业技能证书",
    # accounts
    "role": "角色", "display_name": "显示名称", "disabled": "已停用", "failed_logins": "密码输错次数",
    "locked_until": "锁定到",
    # rules and settings
    "min_age": "最低年龄", "max_age": "最高年龄", "min_video_hours": "最少视频学时", "retention_years": "保存年限",
    "quota": "任务数", "quotas": "任务数", "rules": "规则", "school_may_change": "学校可自行设定", "count": "人数",
    "kind": "类别", "family": "读卡器类型", "library": "驱动文件", "port": "端口", "mode": "方式",
    "helper_python": "32位 Python", "helper": "读卡辅助程序", "what": "内容", "full": "完整号码", "protected": "加密",
    "file": "文件",
    "saved_as": "保存为", "since": "起", "until": "止",
    # packages and the district
    "code": "代码", "school_code": "学校代码", "fingerprint": "密钥指纹", "sequence": "序号", "sequence_floor": "起始序号",
    "epoch": "轮次", "made_at": "生成时间", "sha256": "校验值", "revision": "数据库版本", "upgraded": "已升级",
    "counts": "数量", "conflicts": "冲突", "closed_conflicts": "已关闭的冲突", "known": "已登记", "per_school": "各校",
    "unconfirmed": "未确认", "confirmed": "已确认", "carried": "带上", "enrolments": "学籍", "learners": "学员",
    "schools": "学校", "deleted_rows": "已删除的记录", "township_counts": "街道/镇人次", "township_quotas": "任务数",
    "townships": "街道/镇", "version_raised_by": "版本提高",
    # counts inside a package's report
    "rows": "行数", "inserted": "新增", "updated": "更新", "deleted": "删除", "unchanged": "未变", "refused": "拒收",
    "held": "暂缓",
}

# Fields whose values are codes of these enums (value → Chinese label).
_ENUM_FIELDS: dict[str, tuple[type, ...]] = {
    "level": (Level,), "gender": (Gender,), "preferred_learning": (LearningMode,),
    "status": (EnrolmentStatus, ConflictStatus), "statuses": (EnrolmentStatus,), "willingness": (Willingness,),
    "kind": (SiteKind, CountKind), "class_type": (ClassType,), "type": (ClassType,), "mark": (ExamMark,),
    "role": (Role,),
}
_ANY_ENUM = (AttendanceStatus, ExamMark)  # codes that appear in lists (attendance per session)
_VERDICTS = {"genuine": "真实有效", "revoked": "已撤销", "replaced": "已补发替换", "unknown": "查无此证",
             "mismatch": "信息不符"}  # services.certificates.Verdict
_SITE_KINDS = {"school": "学校", "district": "分中心"}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity)


# Where a field means something else on one kind of entry; a learner's fields in the registration form's words.
_ENTITY_FIELD_LABELS = {("accounts", "name"): "账户名", ("enrolments", "name"): "姓名",
                        **{("learners", key): label for key, label in {**REGISTRATION_LABELS, "is_migrant": "流动人口"}.items()}}


def field_label(key: str, entity: str | None = None) -> str:
    return _ENTITY_FIELD_LABELS.get((entity or "", key)) or FIELD_LABELS.get(key, ENTITY_LABELS.get(key, key))


def _known(key: str) -> bool:
    return key in FIELD_LABELS or key in _ENUM_FIELDS or key == "verdict"


def _code_label(field: str | None, value: str) -> str | None:
    for enum_type in _ENUM_FIELDS.get(field or "", ()) + _ANY_ENUM:
        try:
            member = enum_type(value)
        except ValueError:
            continue
        return getattr(member, "label", None) or _SITE_KINDS.get(value, value)
    if field == "verdict":
        return _VERDICTS.get(value)
    return None


def value_text(value: Any, field: str | None = None) -> str:
    """One value as a clerk reads it."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, str):
        label = _code_label(field, value)
        if label is not None:
            return label
        if _ISO_DATETIME.match(value):
            try:
                return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")
            except ValueError:
                return value
        return value
    if isinstance(value, (list, tuple)):
        return "，".join(value_text(item, field) for item in value) if value else "（无）"
    if isinstance(value, dict):
        return "；".join(f"{field_label(k)}：{value_text(v, k)}" for k, v in value.items()) if value else "（无）"
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    field: str  # Chinese, "数量 · 学员 · 新增" for nested values
    before: str | None  # None: the entry has no before (something new) or the field was not in it
    after: str | None


def _parse(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _flatten(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(value, dict) and not value and not path:
        return {}  # an empty side: nothing to show
    if isinstance(value, dict) and value:
        flat: dict[tuple[str, ...], Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, path + (str(key),)))
        return flat
    return {path: value}


def changes(before_json: str | None, after_json: str | None, entity: str | None = None) -> list[FieldChange]:
    """The fields of an entry, each with its value before and after, in Chinese; a field unchanged on both sides is
    shown once (as after)."""
    return changes_of(_parse(before_json), _parse(after_json), entity)


def changes_of(before: Any, after: Any, entity: str | None = None) -> list[FieldChange]:
    """As `changes`, for values already read from the entry's JSON."""
    old = _flatten(before) if before is not None else {}
    new = _flatten(after) if after is not None else {}
    rows = []
    for path in list(dict.fromkeys([*old, *new])):
        name = " · ".join(field_label(part, entity) for part in path) or "内容"
        # the value's meaning comes from the nearest field with a name: statuses → {student number: code}
        field = next((part for part in reversed(path) if _known(part)), None)
        rows.append(FieldChange(name,
                                value_text(old[path], field) if path in old else None,
                                value_text(new[path], field) if path in new else None))
    return rows


def side_text(text: str | None) -> str:
    """One side (before or after) on one line: 姓名：张三；层次：初中."""
    value = _parse(text)
    if value is None:
        return ""
    return value_text(value) if not isinstance(value, str) else value


def detail_text(before_json: str | None, after_json: str | None, entity: str | None = None) -> str:
    """Field by field, 改动前 → 改动后, for the audit view's detail pane."""
    return "\n".join(change_line(change) for change in changes(before_json, after_json, entity)) or "（无）"


def change_line(change: FieldChange) -> str:
    """姓名：张三 → 张叁; a field only after (something new) shows its value; one only before says it went."""
    if change.before is not None and change.after is not None:
        return f"{change.field}：{change.before} → {change.after}"
    if change.after is not None:
        return f"{change.field}：{change.after}"
    return f"{change.field}：{change.before} → （删除）"
