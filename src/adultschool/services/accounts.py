"""Accounts, roles and permissions: who may do what, checked inside the services so the CLI and the GUI obey one set of rules.

How it is enforced
------------------
Services keep taking `actor: str`, the login name that labels audit entries. Every service entry that changes data
or reveals full ID numbers starts with `require(session, actor, Permission.X)`, which looks the actor up:

- a database without accounts (fresh from `init`) is in single-user mode: every permission, and the actor is
  whatever the front end says (the computer's login name, `audit.local_actor()`);
- once an account exists, the actor must name an enabled account whose role grants the permission; anything else
  (an unknown name, a disabled account, None) is refused with `NotAllowed`, a Chinese `AdultSchoolError`.

The front ends authenticate once — the CLI's `--user` (cli.common.open_db), the GUI's login dialog — through
`authenticate`, then pass the signed-in account's name as `actor`. Entries that only read but reveal full ID numbers
take `actor: str | None = None`; None passes in single-user mode only, so a caller that forgets it is refused as soon
as accounts exist. A teacher's attendance is scoped by `require_class`: the class's `teacher` text must be the
account's display name (or login name). Showing full ID numbers is written to the audit log by `reveal`.

Passwords: scrypt (memory-hard, stdlib), a random salt per hash, the parameters stored with it, compared in constant
time; typed text is NFKC-normalised so a full-width IME digit is the digit. Lockout numbers are data (`AccountPolicy`,
overridable per database in the site settings).
"""
from __future__ import annotations

import base64
import enum
import functools
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.db.engine import READ_ONLY_OPTION
from adultschool.errors import AdultSchoolError
from adultschool.models import Account, Role, SchoolClass, SiteSetting
from adultschool.services import audit
from adultschool.textnorm import clean_name

__all__ = [
    "AccountInfo",
    "AccountPolicy",
    "LoginResult",
    "NotAllowed",
    "Permission",
    "Principal",
    "ROLE_PERMISSIONS",
    "Role",
    "SYNC",
    "account_policy",
    "authenticate",
    "can",
    "change_password",
    "create_account",
    "disable_account",
    "enable_account",
    "has_accounts",
    "hash_password",
    "list_accounts",
    "principal",
    "require",
    "require_class",
    "reveal",
    "unlock_account",
    "update_account",
    "verify_password",
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
        return _PERMISSION_LABELS[self]


_PERMISSION_LABELS = {
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

SYNC = Permission.SYNC  # for services.sync: `accounts.require(session, actor, accounts.SYNC)`

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


@dataclass(frozen=True)
class AccountPolicy:
    max_failures: int = 5  # wrong passwords in a row before the account locks
    lock_minutes: int = 15
    min_password_length: int = 6


POLICY_SETTINGS = {"max_failures": "accounts.max_failures", "lock_minutes": "accounts.lock_minutes",
                   "min_password_length": "accounts.min_password_length"}


def account_policy(session: Session) -> AccountPolicy:
    """The defaults, overridden by site settings `accounts.max_failures` / `accounts.lock_minutes` / …, if stored."""
    values = {}
    for field_name, key in POLICY_SETTINGS.items():
        row = session.get(SiteSetting, key)
        if row is not None and row.value.strip().isdigit() and int(row.value) > 0:
            values[field_name] = int(row.value)
    return AccountPolicy(**values)


@dataclass(frozen=True)
class AccountInfo:
    name: str
    display_name: str
    role: Role
    disabled: bool
    locked_until: datetime | None  # UTC; None or past: not locked
    failed_logins: int
    last_login_at: datetime | None
    created_at: datetime

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or _now())

    def state(self, now: datetime | None = None) -> str:
        if self.disabled:
            return "已停用"
        if self.locked(now):
            return f"已锁定至 {_local_time(self.locked_until)}"
        return "正常"


@dataclass(frozen=True)
class LoginResult:
    principal: Principal | None
    message: str | None = None  # Chinese, when refused
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.principal is not None


# --- passwords -----------------------------------------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1  # about 16 MiB and 50 ms a try on an office PC
_MAX_N = 2 ** 20
_DKLEN = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _password_bytes(password: str) -> bytes:
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(_password_bytes(password), salt=salt, n=n, r=r, p=p, dklen=_DKLEN,
                          maxmem=128 * n * r * p + 16 * 1024 * 1024)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = os.urandom(16)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt" or not 1 < int(n) <= _MAX_N or int(r) > 64 or int(p) > 16:
        raise ValueError("unknown hash")
    return int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(digest)


def verify_password(password: str, stored: str) -> bool:
    try:
        n, r, p, salt, expected = _parse_hash(stored)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), expected)


def _needs_rehash(stored: str) -> bool:
    try:
        return _parse_hash(stored)[:3] != (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    except (ValueError, TypeError):
        return True


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name takes as long as a wrong password."""
    return hash_password("adultschool-no-such-account")


def check_password(password: str | None, policy: AccountPolicy) -> str:
    if password is None or not password.strip():
        raise AdultSchoolError("密码不能为空。", field="password")
    if len(unicodedata.normalize("NFKC", password)) < policy.min_password_length:
        raise AdultSchoolError(f"密码太短：至少 {policy.min_password_length} 个字符。", field="password")
    if password != password.strip():
        raise AdultSchoolError("密码的开头和结尾不能是空格。", field="password")
    return password


# --- who is acting -------------------------------------------------------------------------------------------

def _now() -> datetime:
    return clock.now()


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC


def _local_time(value: datetime | None) -> str:
    return _aware(value).astimezone().strftime("%H:%M") if value else ""


def clean_login(name: str | None) -> str:
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        raise AdultSchoolError("账户名不能为空。", field="name")
    if len(text) > 60 or any(c.isspace() or unicodedata.category(c).startswith("C") for c in text):
        raise AdultSchoolError(f"账户名“{text}”不合要求：不能有空格，最多 60 个字符。", field="name")
    return text


def has_accounts(session: Session) -> bool:
    return session.execute(select(Account.id).limit(1)).first() is not None


def _principal_of(account: Account) -> Principal:
    return Principal(account.name, account.display_name, account.role, ROLE_PERMISSIONS[account.role])


def single_user(actor: str | None = None) -> Principal:
    name = actor or audit.local_actor()
    return Principal(name, name, None, ALL_PERMISSIONS)


def _find(session: Session, name: str | None) -> Account | None:
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
    account = _find(session, actor)
    if account is None:
        raise NotAllowed("这个数据库已设账户，请先登录（命令行用 --user 账户名）。")
    if account.disabled:
        raise NotAllowed(f"账户“{account.name}”已停用。")
    return _principal_of(account)


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
           student_numbers: Sequence[str] | None = None) -> Principal:
    """Checks that the actor may see full ID numbers and writes who saw how many, where, in the audit log."""
    _ensure_writable(session)
    who = require(session, actor, Permission.VIEW_FULL_ID)
    after: dict = {"what": what, "count": count}
    if student_numbers:
        after["student_numbers"] = list(student_numbers)
    audit.record(session, actor=who.name, action="id.reveal", entity="learners",
                 summary=f"显示完整身份证号码：{what}，{count} 个", after=after)
    return who


# --- signing in ----------------------------------------------------------------------------------------------

def authenticate(session: Session, name: str, password: str, *, now: datetime | None = None,
                 policy: AccountPolicy | None = None) -> LoginResult:
    """Checks a password and keeps the failure count; never raises for a wrong password, so the caller commits it."""
    now = now or _now()
    policy = policy or account_policy(session)
    account = _find(session, name)
    if account is None:
        verify_password(password, _dummy_hash())
        return LoginResult(None, "账户名或密码不对。")
    if account.disabled:
        return LoginResult(None, f"账户“{account.name}”已停用，请找管理员。")
    locked_until = _aware(account.locked_until)
    if locked_until is not None and locked_until > now:
        return LoginResult(None, f"账户“{account.name}”因连续输错密码已锁定，请在 {_local_time(locked_until)} 之后再试，"
                                 "或请管理员解锁。", locked_until)
    if locked_until is not None:  # the lock has run out: a fresh set of tries
        account.locked_until, account.failed_logins = None, 0
    if not verify_password(password, account.password_hash):
        account.failed_logins += 1
        if account.failed_logins >= policy.max_failures:
            account.locked_until = now + timedelta(minutes=policy.lock_minutes)
            failures, account.failed_logins = account.failed_logins, 0
            audit.record(session, actor=account.name, action="account.lock", entity="accounts",
                         summary=f"账户“{account.name}”连续 {failures} 次输错密码，锁定 {policy.lock_minutes} 分钟",
                         after={"locked_until": account.locked_until})
            session.flush()
            return LoginResult(None, f"密码不对。已连续输错 {failures} 次，账户锁定 {policy.lock_minutes} 分钟"
                                     f"（到 {_local_time(account.locked_until)}），或请管理员解锁。", account.locked_until)
        left = policy.max_failures - account.failed_logins
        session.flush()
        return LoginResult(None, f"账户名或密码不对。再输错 {left} 次，账户将锁定 {policy.lock_minutes} 分钟。")
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    if _needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    session.flush()
    return LoginResult(_principal_of(account))


# --- managing accounts ---------------------------------------------------------------------------------------

def _info(account: Account) -> AccountInfo:
    return AccountInfo(account.name, account.display_name, account.role, account.disabled, _aware(account.locked_until),
                       account.failed_logins, _aware(account.last_login_at), _aware(account.created_at))


def _get(session: Session, name: str) -> Account:
    account = _find(session, name)
    if account is None:
        raise AdultSchoolError(f"没有名为“{name}”的账户。", field="name")
    return account


def parse_role(text: str | Role) -> Role:
    if isinstance(text, Role):
        return text
    value = (text or "").strip().lower()
    for role in Role:
        if value in (role.value, role.label.lower()):
            return role
    raise AdultSchoolError(f"角色“{text}”无法识别：请用 admin（管理员）、clerk（教务员）或 teacher（任课教师）。", field="role")


def create_account(session: Session, name: str, password: str, role: Role | str, *, actor: str | None,
                   display_name: str | None = None, policy: AccountPolicy | None = None) -> AccountInfo:
    """A new account. The first one ends single-user mode and must be an administrator."""
    role = parse_role(role)
    first = not has_accounts(session)
    if first:
        if role is not Role.ADMIN:
            raise AdultSchoolError("第一个账户必须是管理员（--role admin）：建好后由管理员再建教务员和教师账户。", field="role")
        who = single_user(actor)
    else:
        who = require(session, actor, Permission.MANAGE_ACCOUNTS)
    login = clean_login(name)
    if session.execute(select(Account.id).where(Account.name == login)).first():
        raise AdultSchoolError(f"已经有名为“{login}”的账户。", field="name")
    check_password(password, policy or account_policy(session))
    display = clean_name(display_name) or login
    if len(display) > 100:
        raise AdultSchoolError("显示名称最多 100 个字符。", field="display_name")
    account = Account(name=login, display_name=display, role=role, password_hash=hash_password(password),
                      disabled=False, failed_logins=0)
    session.add(account)
    session.flush()
    audit.record(session, actor=who.name, action="account.add", entity="accounts",
                 summary=f"新建账户“{login}”（{role.label}）" + ("，结束单用户模式" if first else ""),
                 after={"name": login, "display_name": display, "role": role.value})
    return _info(account)


def list_accounts(session: Session, *, actor: str | None = None) -> list[AccountInfo]:
    require(session, actor, Permission.MANAGE_ACCOUNTS)
    return [_info(a) for a in session.execute(select(Account).order_by(Account.role, Account.name)).scalars()]


def account_info(session: Session, name: str) -> AccountInfo:
    return _info(_get(session, name))


def _enabled_admins(session: Session) -> int:
    return session.execute(select(func.count(Account.id)).where(Account.role == Role.ADMIN,
                                                                Account.disabled.is_(False))).scalar_one()


def change_password(session: Session, name: str, new_password: str, *, actor: str | None,
                    old_password: str | None = None, policy: AccountPolicy | None = None) -> None:
    """One's own password (the old one is checked), or anyone's reset by an administrator."""
    who = principal(session, actor)
    account = _get(session, name)
    own = who.name == account.name
    if own:
        if old_password is None or not verify_password(old_password, account.password_hash):
            raise AdultSchoolError("原密码不对。", field="old_password")
    else:
        require(session, actor, Permission.MANAGE_ACCOUNTS)
    check_password(new_password, policy or account_policy(session))
    if own and new_password == old_password:
        raise AdultSchoolError("新密码与原密码相同。", field="password")
    account.password_hash = hash_password(new_password)
    account.password_changed_at = _now()
    account.failed_logins, account.locked_until = 0, None
    session.flush()
    audit.record(session, actor=who.name, action="account.password", entity="accounts",
                 summary=f"{'修改' if own else '重设'}账户“{account.name}”的密码")


def _set_disabled(session: Session, name: str, disabled: bool, actor: str | None) -> AccountInfo:
    who = require(session, actor, Permission.MANAGE_ACCOUNTS)
    account = _get(session, name)
    if account.disabled == disabled:
        return _info(account)
    if disabled:
        if account.name == who.name:
            raise AdultSchoolError("不能停用自己正在使用的账户。")
        if account.role is Role.ADMIN and _enabled_admins(session) <= 1:
            raise AdultSchoolError("这是唯一可用的管理员账户，不能停用：请先另建一个管理员。")
    account.disabled = disabled
    session.flush()
    audit.record(session, actor=who.name, action="account.disable" if disabled else "account.enable", entity="accounts",
                 summary=f"{'停用' if disabled else '启用'}账户“{account.name}”",
                 before={"disabled": not disabled}, after={"disabled": disabled})
    return _info(account)


def disable_account(session: Session, name: str, *, actor: str | None) -> AccountInfo:
    return _set_disabled(session, name, True, actor)


def enable_account(session: Session, name: str, *, actor: str | None) -> AccountInfo:
    return _set_disabled(session, name, False, actor)


def unlock_account(session: Session, name: str, *, actor: str | None) -> AccountInfo:
    who = require(session, actor, Permission.MANAGE_ACCOUNTS)
    account = _get(session, name)
    before = {"failed_logins": account.failed_logins, "locked_until": _aware(account.locked_until)}
    account.failed_logins, account.locked_until = 0, None
    session.flush()
    audit.record(session, actor=who.name, action="account.unlock", entity="accounts",
                 summary=f"解锁账户“{account.name}”", before=before, after={"failed_logins": 0, "locked_until": None})
    return _info(account)


def update_account(session: Session, name: str, *, actor: str | None, display_name: str | None = None,
                   role: Role | str | None = None) -> AccountInfo:
    """Changes an account's display name (a teacher's must match their classes) or role."""
    who = require(session, actor, Permission.MANAGE_ACCOUNTS)
    account = _get(session, name)
    before = {"display_name": account.display_name, "role": account.role.value}
    if display_name is not None:
        display = clean_name(display_name)
        if not display:
            raise AdultSchoolError("显示名称不能为空。", field="display_name")
        account.display_name = display
    if role is not None:
        new_role = parse_role(role)
        if account.role is Role.ADMIN and new_role is not Role.ADMIN:
            if account.name == who.name:
                raise AdultSchoolError("不能取消自己的管理员身份：请由另一位管理员操作。", field="role")
            if not account.disabled and _enabled_admins(session) <= 1:
                raise AdultSchoolError("这是唯一可用的管理员账户，不能改为其他角色。", field="role")
        account.role = new_role
    after = {"display_name": account.display_name, "role": account.role.value}
    if after != before:
        session.flush()
        audit.record(session, actor=who.name, action="account.update", entity="accounts",
                     summary=f"修改账户“{account.name}”", before=before, after=after)
    return _info(account)


def permissions_of(role: Role | None) -> Iterable[Permission]:
    return ALL_PERMISSIONS if role is None else ROLE_PERMISSIONS[role]
