"""The small encodings every sync file shares: the format version, strict JSON and base64, canonical JSON.

Untrusted bytes come through here, so each helper turns whatever is wrong into a plain ValueError for its
caller to reword as the one Chinese AdultSchoolError that fits the file at hand.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, NoReturn, TypeGuard

from adultschool.errors import AdultSchoolError

# Packages, receipts and key files all carry it; a reader refuses anything newer than it knows.
FORMAT_VERSION = 1


def is_int(value: object) -> TypeGuard[int]:
    """True for a real JSON integer; JSON `true` arrives as a bool, which Python also calls an int."""
    return isinstance(value, int) and not isinstance(value, bool)


def canonical_json(value: Any) -> bytes:
    """The one byte string a value signs as: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def pretty_json(value: Any) -> bytes:
    """A small file a person may open in Notepad: indented, Chinese left readable, newline at the end."""
    text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"JSON constant {name} is not allowed")


def load_json_object(data: bytes, *, limit: int) -> dict[str, Any]:
    """Parse a JSON object from untrusted bytes; ValueError for anything else.

    A UTF-8 byte order mark is accepted because Windows Notepad adds one when a clerk saves the file.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError("not bytes")
    if len(data) > limit:
        raise ValueError("too large")
    try:
        text = bytes(data).decode("utf-8-sig")
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError as exc:  # "[[[[…" nested deeper than the parser's stack
        raise ValueError("nested too deeply") from exc
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(value: object, *, length: int | None = None) -> bytes:
    """Strict base64 from a JSON field; ValueError if it is not a string, not base64, or the wrong length."""
    if not isinstance(value, str):
        raise ValueError("not a base64 string")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError("bad base64") from exc
    if length is not None and len(raw) != length:
        raise ValueError("wrong length")
    return raw


def newer_format_error(what: str, version: int) -> AdultSchoolError:
    """What a clerk sees for a file from a newer program: upgrade this one."""
    return AdultSchoolError(
        f"这个{what}由更新版本的程序生成（格式版本 {version}），本程序只认识到 {FORMAT_VERSION}，请先升级本程序。"
    )


def check_text(value: object, *, max_length: int) -> str:
    """A short identifier such as a school or district code: non-empty, printable, bounded; ValueError else."""
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise ValueError("bad text field")
    if not value.isprintable() or value != value.strip():
        raise ValueError("bad text field")
    return value
