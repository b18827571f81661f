"""Accounts: signing in (the failure count and lockout) and the administrator's account actions — create, list, change
the password, disable, enable, unlock, rename or change the role — each audited.

The front ends authenticate once — the CLI's `--user` (cli.common.open_db), the GUI's login dialog — through
`authenticate`, then pass the signed-in account's name as `actor`; services.permissions checks what that actor may do
and services.passwords holds the hashes and the policy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import overload

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.models import Account, Role
from adultschool.services import audit, passwords, permissions
from adultschool.textnorm import clean_name

__all__ = [
    "AccountInfo",
    "LoginResult",
    "Role",
    "account_info",
    "authenticate",
    "change_password",
    "create_account",
    "disable_account",
    "enable_account",
    "list_accounts",
    "parse_role",
    "unlock_account",
    "update_account",
]


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
    principal: permissions.Principal | None
    message: str | None = None  # Chinese, when refused
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.principal is not None


# --- signing in ---------------------------------------------------------------------------------------------

def _now() -> datetime:
    return clock.now()


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC


def _local_time(value: datetime | None) -> str:
    return _aware(value).astimezone().strftime("%H:%M") if value is not None else ""


def authenticate(session: Session, name: str, password: str, *, now: datetime | None = None,
                 policy: passwords.AccountPolicy | None = None) -> LoginResult:
    """Checks a password and keeps the failure count; never raises for a wrong password, so the caller commits it."""
    now = now or _now()
    policy = policy or passwords.account_policy(session)
    account = permissions.find_account(session, name)
    if account is None:
        passwords.verify_password(password, passwords.dummy_hash())
        return LoginResult(None, "账户名或密码不对。")
    if account.disabled:
        return LoginResult(None, f"账户“{account.name}”已停用，请找管理员。")
    locked_until = _aware(account.locked_until)
    if locked_until is not None and locked_until > now:
        return LoginResult(None, f"账户“{account.name}”因连续输错密码已锁定，请在 {_local_time(locked_until)} 之后再试，"
                                 "或请管理员解锁。", locked_until)
    if locked_until is not None:  # the lock has run out: a fresh set of tries
        account.locked_until, account.failed_logins = None, 0
    if not passwords.verify_password(password, account.password_hash):
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
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    session.flush()
    return LoginResult(permissions.principal_of(account))


# --- managing accounts ---------------------------------------------------------------------------------------

def _info(account: Account) -> AccountInfo:
    return AccountInfo(account.name, account.display_name, account.role, account.disabled, _aware(account.locked_until),
                       account.failed_logins, _aware(account.last_login_at), _aware(account.created_at))


def _get(session: Session, name: str) -> Account:
    account = permissions.find_account(session, name)
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
                   display_name: str | None = None, policy: passwords.AccountPolicy | None = None) -> AccountInfo:
    """A new account. The first one ends single-user mode and must be an administrator."""
    role = parse_role(role)
    first = not permissions.has_accounts(session)
    if first:
        if role is not Role.ADMIN:
            raise AdultSchoolError("第一个账户必须是管理员（--role admin）：建好后由管理员再建教务员和教师账户。", field="role")
        who = permissions.single_user(actor)
    else:
        who = permissions.require(session, actor, permissions.Permission.MANAGE_ACCOUNTS)
    login = permissions.clean_login(name)
    if session.execute(select(Account.id).where(Account.name == login)).first():
        raise AdultSchoolError(f"已经有名为“{login}”的账户。", field="name")
    passwords.check_password(password, policy or passwords.account_policy(session))
    display = clean_name(display_name) or login
    if len(display) > 100:
        raise AdultSchoolError("显示名称最多 100 个字符。", field="display_name")
    account = Account(name=login, display_name=display, role=role, password_hash=passwords.hash_password(password),
                      disabled=False, failed_logins=0)
    session.add(account)
    session.flush()
    audit.record(session, actor=who.name, action="account.add", entity="accounts",
                 summary=f"新建账户“{login}”（{role.label}）" + ("，结束单用户模式" if first else ""),
                 after={"name": login, "display_name": display, "role": role.value})
    return _info(account)


def list_accounts(session: Session, *, actor: str | None = None) -> list[AccountInfo]:
    permissions.require(session, actor, permissions.Permission.MANAGE_ACCOUNTS)
    return [_info(a) for a in session.execute(select(Account).order_by(Account.role, Account.name)).scalars()]


def account_info(session: Session, name: str) -> AccountInfo:
    return _info(_get(session, name))


def _enabled_admins(session: Session) -> int:
    return session.execute(select(func.count(Account.id)).where(Account.role == Role.ADMIN,
                                                                Account.disabled.is_(False))).scalar_one()


def change_password(session: Session, name: str, new_password: str, *, actor: str | None,
                    old_password: str | None = None, policy: passwords.AccountPolicy | None = None) -> None:
    """One's own password (the old one is checked), or anyone's reset by an administrator."""
    who = permissions.principal(session, actor)
    account = _get(session, name)
    own = who.name == account.name
    if own:
        if old_password is None or not passwords.verify_password(old_password, account.password_hash):
            raise AdultSchoolError("原密码不对。", field="old_password")
    else:
        permissions.require(session, actor, permissions.Permission.MANAGE_ACCOUNTS)
    passwords.check_password(new_password, policy or passwords.account_policy(session))
    if own and new_password == old_password:
        raise AdultSchoolError("新密码与原密码相同。", field="password")
    account.password_hash = passwords.hash_password(new_password)
    account.password_changed_at = _now()
    account.failed_logins, account.locked_until = 0, None
    session.flush()
    audit.record(session, actor=who.name, action="account.password", entity="accounts",
                 summary=f"{'修改' if own else '重设'}账户“{account.name}”的密码")


def _set_disabled(session: Session, name: str, disabled: bool, actor: str | None) -> AccountInfo:
    who = permissions.require(session, actor, permissions.Permission.MANAGE_ACCOUNTS)
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
    who = permissions.require(session, actor, permissions.Permission.MANAGE_ACCOUNTS)
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
    who = permissions.require(session, actor, permissions.Permission.MANAGE_ACCOUNTS)
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
