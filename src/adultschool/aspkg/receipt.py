"""Receipts: the district's signed word to a school that its packages arrived ("imported up to 7").

Signed but not encrypted, so they must never carry personal data; the caller's body is counts and numbers.

File: UTF-8 JSON {"type": "adultschool-receipt", "format_version": 1, "district": code, "fingerprint":
district key fingerprint, "body": {...}, "signature": base64 Ed25519}. The signature is over the
canonical JSON (sorted keys, no spaces, UTF-8) of {"body", "district", "format_version", "type"}.
"""
from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from adultschool.errors import AdultSchoolError
from adultschool.aspkg.codec import (
    FORMAT_VERSION,
    b64,
    canonical_json,
    is_int,
    load_json_object,
    newer_format_error,
    pretty_json,
    unb64,
)
from adultschool.aspkg.keys import DistrictKeyPair, DistrictPublicKey

RECEIPT_TYPE = "adultschool-receipt"
MAX_RECEIPT_BYTES = 16 * 1024 * 1024
_SIGNATURE_BYTES = 64

_NOT_A_RECEIPT = "这个文件不是分中心的回执文件，或文件已损坏。请确认选对了文件，或请分中心重新发送回执。"


def _signed_bytes(body: dict[str, Any], district_code: str, version: int) -> bytes:
    return canonical_json({"type": RECEIPT_TYPE, "format_version": version, "district": district_code, "body": body})


def write_receipt(body: dict[str, Any], district: DistrictKeyPair) -> bytes:
    """A receipt file signed with the district's key; `body` must be plain JSON values."""
    if not isinstance(body, dict):
        raise TypeError("receipt body must be a dict")
    # Sign what a reader will parse back: int keys become strings, tuples lists, and the sort order of
    # the canonical form must not depend on which side of the JSON round trip computes it.
    body = json.loads(json.dumps(body, ensure_ascii=False, allow_nan=False))
    signature = Ed25519PrivateKey.from_private_bytes(district.sign_private).sign(
        _signed_bytes(body, district.code, FORMAT_VERSION)
    )
    return pretty_json(
        {
            "type": RECEIPT_TYPE,
            "format_version": FORMAT_VERSION,
            "district": district.code,
            "fingerprint": district.public.fingerprint,
            "body": body,
            "signature": b64(signature),
        }
    )


def read_receipt(data: bytes, district: DistrictPublicKey) -> dict[str, Any]:
    """The body of a receipt from `district`; anything else, or anything altered, is an AdultSchoolError."""
    try:
        raw = load_json_object(data, limit=MAX_RECEIPT_BYTES)
    except ValueError:
        raise AdultSchoolError(_NOT_A_RECEIPT) from None
    version = raw.get("format_version")
    if raw.get("type") != RECEIPT_TYPE or not is_int(version) or version < 1:
        raise AdultSchoolError(_NOT_A_RECEIPT)
    if version > FORMAT_VERSION:
        raise newer_format_error("回执", version)
    issuer = raw.get("district")
    if issuer != district.code or raw.get("fingerprint") != district.fingerprint:
        shown = issuer if isinstance(issuer, str) and issuer.isprintable() and len(issuer) <= 64 else "?"
        raise AdultSchoolError(
            f"这张回执不是本校登记的分中心（{district.code}）开出的（回执上写的是“{shown}”，或公钥指纹不符），"
            "不能使用。请向分中心核实，或请分中心重新发送回执。"
        )
    body = raw.get("body")
    try:
        signature = unb64(raw.get("signature"), length=_SIGNATURE_BYTES)
        if not isinstance(body, dict):
            raise ValueError("body is not an object")
        signed = _signed_bytes(body, district.code, version)
    except ValueError:
        raise AdultSchoolError(_NOT_A_RECEIPT) from None
    try:
        Ed25519PublicKey.from_public_bytes(district.sign).verify(signature, signed)
    except (InvalidSignature, ValueError):
        raise AdultSchoolError(
            "回执的签名不对：内容被改动过，或不是本校登记的分中心开出的，不能使用。请分中心重新发送回执。"
        ) from None
    return body
