"""Passwords and the sign-in policy: scrypt hashes (memory-hard, stdlib) with a random salt each and their parameters
stored with them, compared in constant time; typed text is NFKC-normalised so a full-width IME digit is the digit.
The rules a new password must meet and the lockout numbers are data (`AccountPolicy`, overridable per database in
the site settings)."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass

from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import SiteSetting

__all__ = [
    "AccountPolicy",
    "POLICY_SETTINGS",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "account_policy",
    "check_password",
    "dummy_hash",
    "hash_password",
    "needs_rehash",
    "verify_password",
]


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


def needs_rehash(stored: str) -> bool:
    try:
        return _parse_hash(stored)[:3] != (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    except (ValueError, TypeError):
        return True


@functools.cache
def dummy_hash() -> str:
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
