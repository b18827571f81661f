"""Roles and permissions: who is acting and what they may do, checked inside the services so the CLI and the GUI obey
one set of rules.

How it is enforced
------------------
Services keep taking `actor: str`, the login name that labels audit entries. Every service entry that changes data
or reveals full ID numbers starts with `require(session, actor, Permission.X)`, which looks the actor up:

- a database without accounts (fresh from `init`) is in single-user mode: every permission, and the actor is
  whatever the front end says (the computer's login name, `audit.local_actor()`);
- once an account exists, the actor must name an enabled account whose role grants the permission; anything else
  (an unknown name, a disabled account, None) is refused with `NotAllowed`, a Chinese `AdultSchoolError`.

The front ends authenticate once — the CLI's `--user` (cli.common.open_db), the GUI's login dialog — through
`accounts.authenticate`, then pass the signed-in account's name as `actor`. Entries that only read but reveal full ID numbers
take `actor: str | None = None`; None passes in single-user mode only, so a caller that forgets it is refused as soon
as accounts exist. A teacher's attendance is scoped by `require_class`: the class's `teacher` text must be the
account's display name (or login name). Showing full ID numbers is written to the audit log by `reveal`.

The accounts themselves (signing in, managing them) are services.accounts; their passwords services.passwords.
"""
from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.db.engine import READ_ONLY_OPTION
from adultschool.errors import AdultSchoolError
from adultschool.models import Account, Role, SchoolClass
from adultschool.services import audit
from adultschool.textnorm import clean_name

__all__ = [
    "ALL_PERMISSIONS",
    "NotAllowed",
    "PERMISSION_LABELS",
    "Permission",
    "Principal",
    "ROLE_PERMISSIONS",
    "SYNC",
    "can",
    "clean_login",
    "find_account",
    "has_accounts",
    "permissions_of",
    "principal",
    "principal_of",
    "require",
    "require_class",
    "reveal",
    "single_user",
]


class Permission(str, enum.Enum):
    MANAGE_SETTINGS = "manage_settings"  # townships, quotas, the site itself
    MANAGE_ACCOUNTS = "manage_accounts"
    EDIT_RULES = "edit_rules"
    RESTORE = "restore"
    BACKUP = "backup"
    VIEW_AUDIT = "view_audit"
    VIEW_LEARNERS = "view_learners"  # learner lists, survey and readiness, ID numbers and phones masked
    REGISTER = "register"
    IMPORT = "import"
    EXAMS = "exams"
    PRINT = "print"
    SYNC = "sync"
    VIEW_FULL_ID = "view_full_id"  # full ID numbers and phones on screen, in exports and printed forms
    MANAGE_CLASSES = "manage_classes"  # classes, rosters, sessions and attendance of every class
    TAKE_ATTENDANCE = "take_attendance"  # sessions and roll calls of one's own classes
    VERIFY_CERTIFICATES = "verify_certificates"  # 证书查验: the holder's name and masked ID, nothing else

    @property
    def label(self) -> str:
        return PERMISSION_LABELS[self]


PERMISSION_LABELS = {
    Permission.MANAGE_SETTINGS: "修改设置",
    Permission.MANAGE_ACCOUNTS: "管理账户",
    Permission.EDIT_RULES: "修改规则",
    Permission.RESTORE: "恢复备份",
    Permission.BACKUP: "备份数据库",
    Permission.VIEW_AUDIT: "查看审计记录",
    Permission.VIEW_LEARNERS: "查看学员名单",
    Permission.REGISTER: "登记学员",
    Permission.IMPORT: "导入数据",
    Permission.EXAMS: "考试与成绩",
    Permission.PRINT: "打印证书和表格",
    Permission.SYNC: "数据交换",
    Permission.VIEW_FULL_ID: "查看完整身份证号码",
    Permission.MANAGE_CLASSES: "管理班级",
    Permission.TAKE_ATTENDANCE: "考勤",
    Permission.VERIFY_CERTIFICATES: "查验证书",
}

SYNC = Permission.SYNC  # for services.sync: `permissions.require(session, actor, permissions.SYNC)`

_TEACHER = frozenset({Permission.TAKE_ATTENDANCE})
_VERIFIER = frozenset({Permission.VERIFY_CERTIFICATES})
_CLERK = frozenset({
    Permission.VIEW_LEARNERS, Permission.REGISTER, Permission.IMPORT, Permission.EXAMS, Permission.PRINT,
    Permission.SYNC, Permission.VIEW_FULL_ID, Permission.MANAGE_CLASSES, Permission.TAKE_ATTENDANCE, Permission.BACKUP,
    Permission.VERIFY_CERTIFICATES,
})
_ADMIN = _CLERK | {Permission.MANAGE_SETTINGS, Permission.MANAGE_ACCOUNTS, Permission.EDIT_RULES, Permission.RESTORE,
                   Permission.VIEW_AUDIT}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {Role.ADMIN: frozenset(_ADMIN), Role.CLERK: _CLERK,
                                                       Role.TEACHER: _TEACHER, Role.VERIFIER: _VERIFIER}
ALL_PERMISSIONS = frozenset(Permission)


class NotAllowed(AdultSchoolError):
    """The signed-in person's role does not allow this (or nobody is signed in although accounts exist)."""


@dataclass(frozen=True)
class Principal:
    """Who is acting: an account, or (role None) the single user of a database without accounts."""

    name: str
    display_name: str
    role: Role | None
    permissions: frozenset[Permission]

    @property
    def single_user(self) -> bool:
        return self.role is None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> "Principal":
        if not self.can(permission):
            raise NotAllowed(f"{self.label}：没有“{permission.label}”的权限。请用有这项权限的账户登录，或请管理员调整。")
        return self

    def teaches(self, teacher: str | None) -> bool:
        """True when a class's `teacher` text names this person (display name or login name)."""
        given = clean_name(teacher)
        return bool(given) and given in {clean_name(self.display_name), clean_name(self.name)}

    @property
    def label(self) -> str:
        if self.role is None:
            return f"{self.name}（单用户模式）"
        shown = self.name if self.display_name == self.name else f"{self.display_name}（{self.name}）"
        return f"{shown}，{self.role.label}"


def clean_login(name: str | None) -> str:
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        raise AdultSchoolError("账户名不能为空。", field="name")
    if len(text) > 60 or any(c.isspace() or unicodedata.category(c).startswith("C") for c in text):
        raise AdultSchoolError(f"账户名“{text}”不合要求：不能有空格，最多 60 个字符。", field="name")
    return text


def has_accounts(session: Session) -> bool:
    return session.execute(select(Account.id).limit(1)).first() is not None


def principal_of(account: Account) -> Principal:
    return Principal(account.name, account.display_name, account.role, ROLE_PERMISSIONS[account.role])


def single_user(actor: str | None = None) -> Principal:
    name = actor or audit.local_actor()
    return Principal(name, name, None, ALL_PERMISSIONS)


def find_account(session: Session, name: str | None) -> Account | None:
    if not name:
        return None
    try:
        login = clean_login(name)
    except AdultSchoolError:
        return None
    return session.execute(select(Account).where(Account.name == login)).scalar()


def principal(session: Session, actor: str | None) -> Principal:
    """The actor as the services see it: single user, or an enabled account; refused otherwise."""
    if not has_accounts(session):
        return single_user(actor)
    account = find_account(session, actor)
    if account is None:
        raise NotAllowed("这个数据库已设账户，请先登录（命令行用 --user 账户名）。")
    if account.disabled:
        raise NotAllowed(f"账户“{account.name}”已停用。")
    return principal_of(account)


def can(session: Session, actor: str | None, permission: Permission) -> bool:
    try:
        return principal(session, actor).can(permission)
    except NotAllowed:
        return False


def require(session: Session, actor: str | None, permission: Permission) -> Principal:
    """The check at the top of a service entry; returns who is acting."""
    return principal(session, actor).require(permission)


def require_class(session: Session, actor: str | None, class_id: int) -> Principal:
    """Sessions and roll calls of one class: clerks and administrators for every class, a teacher for their own."""
    who = principal(session, actor)
    if who.can(Permission.MANAGE_CLASSES):
        return who
    school_class = session.get(SchoolClass, class_id)
    if school_class is None:
        raise AdultSchoolError("找不到这个班级。")
    if who.can(Permission.TAKE_ATTENDANCE) and who.teaches(school_class.teacher):
        return who
    if not who.can(Permission.TAKE_ATTENDANCE):
        raise NotAllowed(f"{who.label}：没有“{Permission.TAKE_ATTENDANCE.label}”的权限。")
    teacher = school_class.teacher or "（未填写）"
    raise NotAllowed(f"“{school_class.name}”的任课教师是{teacher}：{who.display_name}只能为自己任教的班级登记上课和考勤。")


def _ensure_writable(session: Session) -> None:
    if session.get_bind().get_execution_options().get(READ_ONLY_OPTION):
        # A bug, not a clerk's problem: the audit entry would be rolled back with the read-only snapshot.
        raise RuntimeError("showing full ID numbers must run in a write transaction (unit_of_work), to audit it")


def reveal(session: Session, actor: str | None, *, what: str, count: int,
           student_numbers: Sequence[str] | None = None, file: str | None = None,
           protected: bool | None = None) -> Principal:
    """Checks that the actor may see full ID numbers and writes who saw how many, where, in the audit log: one
    `id.reveal` entry per list shown, file written or form printed (`file` its name, `protected` whether it has a
    password)."""
    _ensure_writable(session)
    who = require(session, actor, Permission.VIEW_FULL_ID)
    after: dict = {"what": what, "count": count}
    if file is not None:
        after["file"] = file
        after["protected"] = bool(protected)
    if student_numbers:
        after["student_numbers"] = list(student_numbers)
    if file is None:
        summary = f"显示完整身份证号码：{what}，{count} 个"
    else:
        summary = f"导出完整身份证号码：{what}，{count} 个，文件“{file}”（{'有密码保护' if protected else '未加密'}）"
    audit.record(session, actor=who.name, action="id.reveal", entity="learners", summary=summary, after=after)
    return who


def permissions_of(role: Role | None) -> Iterable[Permission]:
    return ALL_PERMISSIONS if role is None else ROLE_PERMISSIONS[role]
