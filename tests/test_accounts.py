"""Accounts: scrypt hashes, the first administrator, single-user mode, lockout and its expiry, password changes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.models import Account, AuditEntry, Role, SiteSetting
from adultschool.services import accounts, audit, passwords, permissions
from adultschool.services.passwords import AccountPolicy
from adultschool.services.permissions import NotAllowed, Permission

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def add(db, name, role, password="secret-1", *, actor="boss", display_name=None):
    with unit_of_work(db.engine) as session:
        return accounts.create_account(session, name, password, role, actor=actor, display_name=display_name)


def login(db, name, password, *, now=T0, policy=None):
    with unit_of_work(db.engine) as session:
        return accounts.authenticate(session, name, password, now=now, policy=policy)


@pytest.fixture
def with_admin(school_db):
    add(school_db, "boss", Role.ADMIN, "boss-pass", actor="root", display_name="校长")
    return school_db


def audit_actions(db):
    with read_session(db.engine) as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


# --- hashing -------------------------------------------------------------------------------------------------

def test_a_hash_carries_scrypt_parameters_and_a_fresh_salt():
    first, second = passwords.hash_password("门卫123"), passwords.hash_password("门卫123")
    assert first.startswith(f"scrypt${passwords.SCRYPT_N}${passwords.SCRYPT_R}${passwords.SCRYPT_P}$")
    assert first != second  # salted
    assert "门卫123" not in first
    assert passwords.verify_password("门卫123", first) and passwords.verify_password("门卫123", second)
    assert not passwords.verify_password("门卫124", first)


def test_a_damaged_or_foreign_hash_never_verifies():
    good = passwords.hash_password("secret-1")
    scheme, n, r, p, salt, digest = good.split("$")
    assert not passwords.verify_password("secret-1", "$".join([scheme, n, r, p, salt, digest[:-4] + "AAAA"]))
    assert not passwords.verify_password("secret-1", "md5$abc")
    assert not passwords.verify_password("secret-1", "")
    assert not passwords.verify_password("secret-1", "$".join(["scrypt", str(2 ** 30), r, p, salt, digest]))


def test_full_width_digits_typed_with_an_ime_are_the_same_password():
    stored = passwords.hash_password("abc123")
    assert passwords.verify_password("ａｂｃ１２３", stored)


def test_older_parameters_still_verify_and_are_upgraded_at_login(with_admin):
    with unit_of_work(with_admin.engine) as session:
        session.execute(select(Account).where(Account.name == "boss")).scalar_one().password_hash = \
            passwords.hash_password("boss-pass", n=2 ** 10)
    assert login(with_admin, "boss", "boss-pass").ok
    with read_session(with_admin.engine) as session:
        stored = session.execute(select(Account.password_hash).where(Account.name == "boss")).scalar_one()
    assert stored.startswith(f"scrypt${passwords.SCRYPT_N}$")


# --- single-user mode and the first account ------------------------------------------------------------------

def test_a_new_database_is_single_user_with_every_permission(school_db):
    with read_session(school_db.engine) as session:
        assert not permissions.has_accounts(session)
        who = permissions.require(session, "whoever", Permission.MANAGE_ACCOUNTS)
        assert who.single_user and who.name == "whoever"
        assert permissions.principal(session, None).name == audit.local_actor()


def test_the_first_account_must_be_an_administrator(school_db):
    with pytest.raises(AdultSchoolError, match="第一个账户必须是管理员"):
        add(school_db, "clerk1", Role.CLERK, actor="root")
    info = add(school_db, "boss", "admin", actor="root")
    assert info.role is Role.ADMIN and info.display_name == "boss"


def test_once_an_account_exists_the_computer_login_is_not_enough(with_admin):
    with read_session(with_admin.engine) as session:
        with pytest.raises(NotAllowed, match="请先登录"):
            permissions.require(session, "root", Permission.REGISTER)
        with pytest.raises(NotAllowed, match="请先登录"):
            permissions.require(session, None, Permission.REGISTER)
        assert permissions.require(session, "boss", Permission.REGISTER).role is Role.ADMIN


def test_only_an_administrator_adds_accounts_and_names_are_unique(with_admin):
    add(with_admin, "li", Role.CLERK)
    with pytest.raises(NotAllowed, match="管理账户"):
        add(with_admin, "zhao", Role.CLERK, actor="li")
    with pytest.raises(AdultSchoolError, match="已经有名为“li”"):
        add(with_admin, "li", Role.TEACHER)
    with pytest.raises(AdultSchoolError, match="不能有空格"):
        add(with_admin, "li ming", Role.TEACHER)
    with pytest.raises(AdultSchoolError, match="至少 6 个字符"):
        add(with_admin, "zhou", Role.TEACHER, password="12345")


def test_role_table_admin_has_everything_a_clerk_has_and_a_teacher_only_attendance():
    admin, clerk, teacher = (permissions.ROLE_PERMISSIONS[r] for r in (Role.ADMIN, Role.CLERK, Role.TEACHER))
    assert clerk < admin
    assert {Permission.MANAGE_ACCOUNTS, Permission.EDIT_RULES, Permission.RESTORE, Permission.MANAGE_SETTINGS} <= admin - clerk
    assert {Permission.REGISTER, Permission.IMPORT, Permission.EXAMS, Permission.PRINT, Permission.SYNC,
            Permission.VIEW_FULL_ID} <= clerk
    assert teacher == {Permission.TAKE_ATTENDANCE}
    assert permissions.SYNC is Permission.SYNC


# --- signing in and lockout ----------------------------------------------------------------------------------

def test_right_password_signs_in_and_a_wrong_one_says_how_many_tries_are_left(with_admin):
    result = login(with_admin, "boss", "boss-pass")
    assert result.ok and result.principal.display_name == "校长" and result.principal.role is Role.ADMIN
    wrong = login(with_admin, "boss", "nope")
    assert not wrong.ok and "再输错 4 次" in wrong.message
    unknown = login(with_admin, "nobody", "boss-pass")
    assert not unknown.ok and unknown.message == "账户名或密码不对。"


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes_then_it_opens_again(with_admin):
    for attempt in range(4):
        assert not login(with_admin, "boss", f"wrong-{attempt}", now=T0 + timedelta(seconds=attempt)).ok
    fifth = login(with_admin, "boss", "wrong-5", now=T0 + timedelta(seconds=5))
    assert not fifth.ok and "锁定 15 分钟" in fifth.message
    assert fifth.locked_until == T0 + timedelta(seconds=5, minutes=15)

    still = login(with_admin, "boss", "boss-pass", now=T0 + timedelta(minutes=10))
    assert not still.ok and "已锁定" in still.message
    after = login(with_admin, "boss", "boss-pass", now=T0 + timedelta(minutes=16))
    assert after.ok
    assert "account.lock" in audit_actions(with_admin)


def test_after_the_lock_runs_out_the_count_starts_again(with_admin):
    for attempt in range(5):
        login(with_admin, "boss", "wrong", now=T0 + timedelta(seconds=attempt))
    later = T0 + timedelta(minutes=20)
    message = login(with_admin, "boss", "wrong", now=later).message
    assert "再输错 4 次" in message


def test_lockout_numbers_are_data(with_admin):
    policy = AccountPolicy(max_failures=2, lock_minutes=60)
    login(with_admin, "boss", "wrong", policy=policy)
    locked = login(with_admin, "boss", "wrong", policy=policy)
    assert "锁定 60 分钟" in locked.message
    with unit_of_work(with_admin.engine) as session:
        session.add(SiteSetting(key="accounts.max_failures", value="3"))
        session.add(SiteSetting(key="accounts.lock_minutes", value="5"))
    with read_session(with_admin.engine) as session:
        assert passwords.account_policy(session) == AccountPolicy(max_failures=3, lock_minutes=5)


def test_an_administrator_unlocks_a_locked_account(with_admin):
    add(with_admin, "li", Role.CLERK, "li-pass-1")
    for attempt in range(5):
        login(with_admin, "li", "wrong", now=T0 + timedelta(seconds=attempt))
    assert not login(with_admin, "li", "li-pass-1", now=T0 + timedelta(minutes=1)).ok
    with unit_of_work(with_admin.engine) as session:
        with pytest.raises(NotAllowed):
            accounts.unlock_account(session, "li", actor="li")
    with unit_of_work(with_admin.engine) as session:
        assert not accounts.unlock_account(session, "li", actor="boss").locked()
    assert login(with_admin, "li", "li-pass-1", now=T0 + timedelta(minutes=1)).ok


# --- changing accounts ---------------------------------------------------------------------------------------

def test_changing_ones_own_password_needs_the_old_one(with_admin):
    add(with_admin, "li", Role.CLERK, "li-pass-1")
    with unit_of_work(with_admin.engine) as session:
        with pytest.raises(AdultSchoolError, match="原密码不对"):
            accounts.change_password(session, "li", "li-pass-2", actor="li", old_password="guess")
    with unit_of_work(with_admin.engine) as session:
        accounts.change_password(session, "li", "li-pass-2", actor="li", old_password="li-pass-1")
    assert not login(with_admin, "li", "li-pass-1").ok
    assert login(with_admin, "li", "li-pass-2").ok


def test_an_administrator_resets_a_password_a_clerk_cannot(with_admin):
    add(with_admin, "li", Role.CLERK, "li-pass-1")
    add(with_admin, "wang", Role.TEACHER, "wang-pass-1")
    with unit_of_work(with_admin.engine) as session:
        with pytest.raises(NotAllowed):
            accounts.change_password(session, "wang", "hacked-1", actor="li")
    with unit_of_work(with_admin.engine) as session:
        accounts.change_password(session, "wang", "wang-pass-2", actor="boss")
    assert login(with_admin, "wang", "wang-pass-2").ok


def test_a_disabled_account_cannot_sign_in_or_act_and_the_last_admin_stays(with_admin):
    add(with_admin, "li", Role.CLERK, "li-pass-1")
    with unit_of_work(with_admin.engine) as session:
        accounts.disable_account(session, "li", actor="boss")
    result = login(with_admin, "li", "li-pass-1")
    assert not result.ok and "已停用" in result.message
    with read_session(with_admin.engine) as session:
        with pytest.raises(NotAllowed, match="已停用"):
            permissions.require(session, "li", Permission.REGISTER)
    with unit_of_work(with_admin.engine) as session:
        with pytest.raises(AdultSchoolError, match="自己"):
            accounts.disable_account(session, "boss", actor="boss")
    add(with_admin, "deputy", Role.ADMIN, "deputy-pass")
    with unit_of_work(with_admin.engine) as session:
        accounts.disable_account(session, "boss", actor="deputy")
    with unit_of_work(with_admin.engine) as session:
        with pytest.raises(AdultSchoolError, match="不能取消自己的管理员身份"):
            accounts.update_account(session, "deputy", actor="deputy", role=Role.CLERK)
    with unit_of_work(with_admin.engine) as session:
        accounts.enable_account(session, "li", actor="deputy")
    assert login(with_admin, "li", "li-pass-1").ok


def test_every_account_change_is_audited_and_the_chain_holds(with_admin):
    add(with_admin, "li", Role.CLERK, "li-pass-1")
    with unit_of_work(with_admin.engine) as session:
        accounts.change_password(session, "li", "li-pass-2", actor="boss")
        accounts.update_account(session, "li", actor="boss", display_name="李明")
        accounts.disable_account(session, "li", actor="boss")
        accounts.enable_account(session, "li", actor="boss")
        accounts.unlock_account(session, "li", actor="boss")
    actions = audit_actions(with_admin)
    assert actions[-7:] == ["account.add", "account.add", "account.password", "account.update", "account.disable",
                            "account.enable", "account.unlock"]
    with read_session(with_admin.engine) as session:
        texts = [e.before or "" for e in session.execute(select(AuditEntry)).scalars()]
        texts += [e.after or "" for e in session.execute(select(AuditEntry)).scalars()]
        assert not any("scrypt$" in t or "li-pass" in t for t in texts)
        assert audit.verify(session).intact
