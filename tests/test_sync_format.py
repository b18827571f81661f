"""The .aspkg format, district key files and receipts: round trips, and every way bytes from outside can be wrong.

Whatever arrives by e-mail, the clerk must get one Chinese sentence (an AdultSchoolError), never a crash.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from typing import Any, Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adultschool.errors import AdultSchoolError
from adultschool.aspkg import (
    FORMAT_VERSION,
    DistrictKeyPair,
    OpenedPackage,
    dump_district_private,
    dump_district_public,
    fingerprint,
    generate_district_keys,
    load_district_private,
    load_district_public,
    new_signing_key,
    open_package,
    read_header,
    read_receipt,
    signing_public_key,
    write_package,
    write_receipt,
)
from adultschool.aspkg import keys as keys_module
from adultschool.aspkg import package as package_module

SCHOOL_CODE = "330205-02"
CREATED_AT = "2025-03-01T10:00:00+08:00"
LEARNERS = (
    '{"uuid":"6f1c0a8e-2b7d-4c1e-9a53-0d4f7e2b9c11","version":3,"name":"张三","township":"大碶街道"}\n'
    '{"uuid":"0b9e5d21-7c4a-4f8e-b6d2-3a1f9e8c7b40","version":1,"name":"李四","township":"新碶街道"}\n'
).encode("utf-8")
MEMBERS = {"tables/learners.jsonl": LEARNERS, "tables/exams.jsonl": b"", "tables/classes.jsonl": b'{"a":1}\n'}
MANIFEST = {"school_name": "大碶街道成人文化技术学校", "previous_sequence": 6, "counts": {"learners": 2, "exams": 0}}

# Hypothesis runs many examples inside one test; the suite's autouse data-folder fixture is harmless here.
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

DAMAGED = "数据包已损坏或被改动（解密校验失败），不能导入。请让学校重新发送。"


@pytest.fixture(scope="module")
def school_key() -> bytes:
    return new_signing_key()


@pytest.fixture(scope="module")
def other_school_key() -> bytes:
    return new_signing_key()


@pytest.fixture(scope="module")
def district() -> DistrictKeyPair:
    return generate_district_keys("330206")


@pytest.fixture(scope="module")
def other_district() -> DistrictKeyPair:
    return generate_district_keys("330211")


def make_package(school_key: bytes, district: DistrictKeyPair, **overrides: Any) -> bytes:
    arguments: dict[str, Any] = dict(
        school_code=SCHOOL_CODE, sequence=7, created_at=CREATED_AT, manifest=MANIFEST, members=MEMBERS,
        signing_key_pem=school_key, district=district.public,
    )
    arguments.update(overrides)
    return write_package(**arguments)


@pytest.fixture(scope="module")
def small_package(school_key: bytes, district: DistrictKeyPair) -> bytes:
    return make_package(school_key, district)


def outer_parts(data: bytes) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("header.json"), archive.read("payload.bin")


def rezip(header_bytes: bytes, payload: bytes) -> bytes:
    """An outer zip as any zip tool would write it (not the canonical form), valid CRCs and all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("header.json", header_bytes)
        archive.writestr("payload.bin", payload)
    return buffer.getvalue()


def signed_inner(school_key: bytes, manifest: dict[str, Any], members: dict[str, bytes], *,
                 signature_key: bytes | None = None) -> bytes:
    """An inner zip whose manifest is exactly `manifest`, signed by the school (or by `signature_key`)."""
    manifest_bytes = json.dumps(manifest, ensure_ascii=False).encode("utf-8")
    signer = serialization.load_pem_private_key(school_key, password=None)
    assert isinstance(signer, Ed25519PrivateKey)
    signing = serialization.load_pem_private_key(signature_key or school_key, password=None)
    assert isinstance(signing, Ed25519PrivateKey)
    entries = {
        "manifest.json": manifest_bytes,
        "manifest.sig": signing.sign(manifest_bytes),
        "signer.pub": signer.public_key().public_bytes_raw(),
        **members,
    }
    return package_module._inner_zip(entries)


def manifest_for(contents: dict[str, bytes], **fields: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION, "school_code": SCHOOL_CODE, "sequence": 7, "created_at": CREATED_AT,
        "members": {name: {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                    for name, content in contents.items()},
    }
    manifest.update(fields)
    return manifest


def seal(inner: bytes, district: DistrictKeyPair, *, sequence: int = 7) -> bytes:
    return package_module._seal(inner, school_code=SCHOOL_CODE, sequence=sequence, created_at=CREATED_AT,
                                district=district.public)


def refusal(data: bytes, district: DistrictKeyPair) -> str:
    with pytest.raises(AdultSchoolError) as caught:
        open_package(data, district)
    return caught.value.message


# --- round trip ----------------------------------------------------------------------------------------


def test_package_round_trip_gives_back_members_and_manifest_unchanged(
    small_package: bytes, school_key: bytes, district: DistrictKeyPair
) -> None:
    opened = open_package(small_package, district)

    assert isinstance(opened, OpenedPackage)
    assert opened.members == MEMBERS
    assert all(type(content) is bytes for content in opened.members.values())
    expected_members = {name: {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                        for name, content in MEMBERS.items()}
    assert opened.manifest == {**MANIFEST, "format_version": FORMAT_VERSION, "school_code": SCHOOL_CODE,
                               "sequence": 7, "created_at": CREATED_AT, "members": expected_members}
    assert opened.signer == signing_public_key(school_key)
    assert opened.signer_fingerprint == fingerprint(signing_public_key(school_key))
    assert opened.header == read_header(small_package)


def test_write_package_leaves_the_callers_manifest_alone(school_key: bytes, district: DistrictKeyPair) -> None:
    manifest = {"counts": {"learners": 2}}
    make_package(school_key, district, manifest=manifest)
    assert manifest == {"counts": {"learners": 2}}


def test_manifest_may_repeat_but_not_contradict_the_package_fields(
    school_key: bytes, district: DistrictKeyPair
) -> None:
    agreeing = make_package(school_key, district, manifest={"school_code": SCHOOL_CODE, "sequence": 7})
    assert open_package(agreeing, district).manifest["sequence"] == 7
    with pytest.raises(ValueError):
        make_package(school_key, district, manifest={"sequence": 6})


@pytest.mark.parametrize("name", ["manifest.json", "signer.pub", "../evil.jsonl", "/abs.jsonl", "a\\b", "a//b", ""])
def test_member_names_that_could_collide_or_escape_are_a_programming_error(
    school_key: bytes, district: DistrictKeyPair, name: str
) -> None:
    with pytest.raises(ValueError):
        make_package(school_key, district, members={name: b"x"})


def test_empty_package_round_trips(school_key: bytes, district: DistrictKeyPair) -> None:
    opened = open_package(make_package(school_key, district, members={}, manifest={}), district)
    assert opened.members == {}
    assert opened.manifest["members"] == {}


def test_read_header_needs_no_key_and_shows_who_sent_what_to_whom(
    small_package: bytes, district: DistrictKeyPair
) -> None:
    header = read_header(small_package)
    assert header.format_version == FORMAT_VERSION
    assert header.school_code == SCHOOL_CODE
    assert header.sequence == 7
    assert header.created_at == CREATED_AT
    assert header.recipient == district.public.fingerprint


def test_nothing_personal_is_readable_in_the_file(small_package: bytes) -> None:
    header_bytes, _ = outer_parts(small_package)
    assert set(json.loads(header_bytes)) == {
        "type", "format_version", "school_code", "sequence", "created_at", "recipient", "ephemeral_key", "nonce",
    }
    for secret in ("张三", "大碶街道", "6f1c0a8e", "learners"):
        assert secret.encode("utf-8") not in small_package


def test_package_is_an_ordinary_zip_any_tool_can_list(small_package: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(small_package)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["header.json", "payload.bin"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())


def test_two_packages_of_the_same_data_differ(school_key: bytes, district: DistrictKeyPair) -> None:
    # A fresh ephemeral key and nonce each time: nobody can tell two exports hold the same rows.
    assert make_package(school_key, district) != make_package(school_key, district)


# --- damaged, truncated, random --------------------------------------------------------------------------


def test_every_single_byte_change_is_refused(small_package: bytes, district: DistrictKeyPair) -> None:
    for position in range(len(small_package)):
        tampered = bytearray(small_package)
        tampered[position] ^= 0xFF
        with pytest.raises(AdultSchoolError):
            open_package(bytes(tampered), district)


@FUZZ
@given(data=st.data())
def test_any_change_anywhere_is_refused(small_package: bytes, district: DistrictKeyPair, data: st.DataObject) -> None:
    tampered = bytearray(small_package)
    positions = data.draw(st.lists(st.integers(0, len(tampered) - 1), min_size=1, max_size=3, unique=True))
    for position in positions:
        tampered[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(AdultSchoolError):
        open_package(bytes(tampered), district)


def test_changed_payload_with_repaired_zip_checksums_fails_decryption(
    small_package: bytes, district: DistrictKeyPair
) -> None:
    header_bytes, payload = outer_parts(small_package)
    for position in (0, len(payload) // 2, len(payload) - 1):  # first byte, middle, authentication tag
        tampered = bytearray(payload)
        tampered[position] ^= 0x01
        assert refusal(package_module._outer_zip(header_bytes, bytes(tampered)), district) == DAMAGED


def test_changed_header_with_repaired_zip_checksums_fails_decryption(
    small_package: bytes, district: DistrictKeyPair
) -> None:
    header_bytes, payload = outer_parts(small_package)
    header = json.loads(header_bytes)
    header["sequence"] = 8
    forged = package_module._outer_zip(json.dumps(header).encode(), payload)
    assert read_header(forged).sequence == 8  # the header alone is not to be trusted…
    assert refusal(forged, district) == DAMAGED  # …opening it is


def test_repacked_by_another_zip_tool_is_refused(small_package: bytes, district: DistrictKeyPair) -> None:
    header_bytes, payload = outer_parts(small_package)
    assert "文件结构校验不通过" in refusal(rezip(header_bytes, payload), district)


def test_truncated_at_every_length_is_refused(small_package: bytes, district: DistrictKeyPair) -> None:
    for length in range(len(small_package)):
        with pytest.raises(AdultSchoolError):
            open_package(small_package[:length], district)


def test_bytes_appended_are_refused(small_package: bytes, district: DistrictKeyPair) -> None:
    with pytest.raises(AdultSchoolError):
        open_package(small_package + b"\0", district)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused(district: DistrictKeyPair, data: bytes) -> None:
    with pytest.raises(AdultSchoolError):
        open_package(data, district)
    with pytest.raises(AdultSchoolError):
        read_header(data)


def _zip_of(entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PK\x05\x06" + bytes(18),
        "学员名单".encode("utf-8"),
        _zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
        _zip_of({"header.json": b"{}", "payload.bin": b""}),
        _zip_of({"header.json": b"[]", "payload.bin": b""}),
        _zip_of({"header.json": b'{"type": "adultschool-package", "format_version": true}', "payload.bin": b""}),
        _zip_of({"header.json": b"\xff\xfe", "payload.bin": b""}),
        _zip_of({"header.json": b"[" * 100_000, "payload.bin": b""}),
        _zip_of({"header.json": b"{}", "payload.bin": b"", "extra": b""}),
    ],
    ids=["empty", "empty-zip", "text", "xlsx", "empty-header", "list-header", "bool-version", "not-utf8",
         "deep-json", "three-entries"],
)
def test_files_that_are_not_packages_say_so(data: bytes, district: DistrictKeyPair) -> None:
    assert "不是数据包文件" in refusal(data, district)
    with pytest.raises(AdultSchoolError):
        read_header(data)


def test_deflated_outer_zip_is_not_a_package(small_package: bytes, district: DistrictKeyPair) -> None:
    header_bytes, payload = outer_parts(small_package)
    data = _zip_of({"header.json": header_bytes, "payload.bin": payload}, zipfile.ZIP_DEFLATED)
    assert "不是数据包文件" in refusal(data, district)


# --- wrong district, other school, newer program ----------------------------------------------------------


def test_package_for_another_district_is_refused_by_name(
    small_package: bytes, other_district: DistrictKeyPair, district: DistrictKeyPair
) -> None:
    message = refusal(small_package, other_district)
    assert "另一个分中心" in message
    assert district.public.fingerprint in message


def test_package_signed_by_another_school_key_opens_but_shows_the_other_signer(
    school_key: bytes, other_school_key: bytes, district: DistrictKeyPair
) -> None:
    # Trust on first use is the caller's check: the format only proves who signed.
    forged = make_package(other_school_key, district)
    opened = open_package(forged, district)
    assert opened.members == MEMBERS
    assert opened.signer_fingerprint == fingerprint(signing_public_key(other_school_key))
    assert opened.signer_fingerprint != fingerprint(signing_public_key(school_key))


def _with_header(data: bytes, **changes: Any) -> bytes:
    header_bytes, payload = outer_parts(data)
    header = json.loads(header_bytes)
    header.update(changes)
    for name in [name for name, value in changes.items() if value is None]:
        del header[name]
    return rezip(json.dumps(header).encode(), payload)


def test_newer_format_version_asks_to_upgrade_before_trying_to_decrypt(
    small_package: bytes, district: DistrictKeyPair
) -> None:
    # The header is associated data, so decrypting this would fail: the upgrade message proves the order.
    newer = _with_header(small_package, format_version=FORMAT_VERSION + 1)
    assert refusal(newer, district) == (
        f"这个数据包由更新版本的程序生成（格式版本 {FORMAT_VERSION + 1}），本程序只认识到 {FORMAT_VERSION}，"
        "请先升级本程序。"
    )
    assert read_header(newer).format_version == FORMAT_VERSION + 1


def test_newer_format_with_a_different_header_still_asks_to_upgrade(
    small_package: bytes, district: DistrictKeyPair
) -> None:
    newer = _with_header(small_package, format_version=FORMAT_VERSION + 5, sequence=None, recipient={"v": 2})
    assert "请先升级本程序" in refusal(newer, district)
    with pytest.raises(AdultSchoolError, match="请先升级本程序"):
        read_header(newer)


def test_header_with_a_missing_field_is_not_a_package(small_package: bytes, district: DistrictKeyPair) -> None:
    assert "不是数据包文件" in refusal(_with_header(small_package, school_code=None), district)
    assert "不是数据包文件" in refusal(_with_header(small_package, nonce="!!"), district)


# --- contents that do not match their signed manifest (the sender had district.pub) -----------------------


def test_member_whose_hash_differs_from_the_manifest_is_refused(school_key: bytes, district: DistrictKeyPair) -> None:
    members = {"tables/learners.jsonl": LEARNERS}
    manifest = manifest_for(members)
    swapped = LEARNERS.replace("张三".encode(), "王五".encode())
    assert len(swapped) == len(LEARNERS)
    message = refusal(seal(signed_inner(school_key, manifest, {"tables/learners.jsonl": swapped}), district), district)
    assert "tables/learners.jsonl" in message and "与签名清单不符" in message


def test_member_whose_size_differs_from_the_manifest_is_refused(school_key: bytes, district: DistrictKeyPair) -> None:
    manifest = manifest_for({"tables/learners.jsonl": LEARNERS})
    inner = signed_inner(school_key, manifest, {"tables/learners.jsonl": LEARNERS + b"\n"})
    assert "与签名清单不符" in refusal(seal(inner, district), district)


def test_member_not_in_the_manifest_is_refused(school_key: bytes, district: DistrictKeyPair) -> None:
    manifest = manifest_for({"tables/learners.jsonl": LEARNERS})
    inner = signed_inner(school_key, manifest, {"tables/learners.jsonl": LEARNERS, "tables/extra.jsonl": b"{}"})
    assert "清单上没有" in refusal(seal(inner, district), district)


def test_member_listed_but_missing_is_refused(school_key: bytes, district: DistrictKeyPair) -> None:
    manifest = manifest_for({"tables/learners.jsonl": LEARNERS, "tables/exams.jsonl": b""})
    inner = signed_inner(school_key, manifest, {"tables/learners.jsonl": LEARNERS})
    assert "缺少清单上列出的" in refusal(seal(inner, district), district)


def test_manifest_that_disagrees_with_the_header_is_refused(school_key: bytes, district: DistrictKeyPair) -> None:
    inner = signed_inner(school_key, manifest_for({}), {})
    assert open_package(seal(inner, district), district).members == {}
    assert "不一致" in refusal(seal(inner, district, sequence=8), district)
    for wrong in ({"format_version": True}, {"sequence": 7.0}, {"school_code": "330205-03"}):
        inner = signed_inner(school_key, manifest_for({}, **wrong), {})
        assert "不一致" in refusal(seal(inner, district), district)


def test_manifest_signed_by_a_key_other_than_signer_pub_is_refused(
    school_key: bytes, other_school_key: bytes, district: DistrictKeyPair
) -> None:
    inner = signed_inner(school_key, manifest_for({}), {}, signature_key=other_school_key)
    assert "签名不对" in refusal(seal(inner, district), district)


@pytest.mark.parametrize(
    "members_field",
    [[], {"../x": {"sha256": "0" * 64, "size": 0}}, {"a": {"sha256": "XYZ", "size": 0}},
     {"a": {"sha256": "0" * 64, "size": -1}}, {"a": {"sha256": "0" * 64, "size": True}}, {"a": "x"}],
)
def test_malformed_member_list_is_refused(
    school_key: bytes, district: DistrictKeyPair, members_field: object
) -> None:
    inner = signed_inner(school_key, manifest_for({}, members=members_field), {})
    assert "格式不对" in refusal(seal(inner, district), district)


def test_inner_zip_without_manifest_is_refused(district: DistrictKeyPair) -> None:
    assert "格式不对" in refusal(seal(_zip_of({"tables/learners.jsonl": LEARNERS}), district), district)
    assert "格式不对" in refusal(seal(b"not a zip", district), district)


def test_zip_bomb_member_is_refused_from_its_declared_ratio(school_key: bytes, district: DistrictKeyPair) -> None:
    zeros = bytes(24 * 1024 * 1024)  # deflates about 1028:1
    inner = signed_inner(school_key, manifest_for({"tables/learners.jsonl": zeros}), {"tables/learners.jsonl": zeros})
    assert "压缩炸弹" in refusal(seal(inner, district), district)


def test_members_declaring_more_than_the_total_limit_are_refused(
    school_key: bytes, district: DistrictKeyPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = make_package(school_key, district)
    monkeypatch.setattr(package_module, "MAX_TOTAL_BYTES", len(LEARNERS))
    assert "压缩炸弹" in refusal(package, district)


# --- the school's signing key ---------------------------------------------------------------------------


def test_signing_key_is_pem_and_gives_a_raw_public_key(school_key: bytes) -> None:
    assert school_key.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert len(signing_public_key(school_key)) == 32


def test_fingerprint_is_eight_groups_of_four_upper_hex() -> None:
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){7}", fingerprint(b"\x01" * 32))
    assert fingerprint(b"a") == "-".join(re.findall("....", hashlib.sha256(b"a").hexdigest().upper()[:32]))


def test_damaged_or_foreign_signing_key_is_a_clerk_error(district: DistrictKeyPair) -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for broken in (b"", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ec_pem):
        with pytest.raises(AdultSchoolError, match="签名私钥无法读取"):
            signing_public_key(broken)
        with pytest.raises(AdultSchoolError, match="签名私钥无法读取"):
            make_package(broken, district)


# --- district key files ---------------------------------------------------------------------------------


PASSPHRASE = "dajie-2025-春"


@pytest.fixture(scope="module")
def district_key_file(district: DistrictKeyPair) -> Iterator[bytes]:
    """A key file sealed with a cheap scrypt cost: the file records its cost, so loading stays honest."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys_module, "SCRYPT_N", 2**12)
        data = dump_district_private(district, PASSPHRASE)
    yield data


def test_district_private_key_round_trips_with_its_passphrase(district: DistrictKeyPair) -> None:
    data = dump_district_private(district, PASSPHRASE)  # at the real cost, once
    assert json.loads(data)["kdf"]["n"] == keys_module.SCRYPT_N
    assert load_district_private(data, PASSPHRASE) == district
    assert base64.b64encode(district.box_private) not in data
    assert json.loads(data)["fingerprint"] == district.public.fingerprint


def test_passphrase_typed_in_full_width_still_opens_the_key(
    district: DistrictKeyPair, district_key_file: bytes
) -> None:
    full_width = "ｄａｊｉｅ－２０２５－春"
    assert load_district_private(district_key_file, full_width) == district


def test_wrong_passphrase_says_so(district_key_file: bytes) -> None:
    with pytest.raises(AdultSchoolError, match="^口令不对"):
        load_district_private(district_key_file, "dajie-2024-春")


def test_short_passphrase_is_refused(district: DistrictKeyPair) -> None:
    with pytest.raises(AdultSchoolError, match="口令太短"):
        dump_district_private(district, "1234567")


def test_private_key_file_with_a_changed_field_does_not_open(district_key_file: bytes) -> None:
    raw = json.loads(district_key_file)
    raw["code"] = "330211"
    with pytest.raises(AdultSchoolError, match="口令不对"):
        load_district_private(json.dumps(raw).encode(), PASSPHRASE)


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"{}", b"[1]", b'{"type": "adultschool-district-public-key", "format_version": 1}',
     json.dumps({"type": "adultschool-district-private-key", "format_version": 1, "code": "330206",
                 "kdf": {"name": "scrypt", "salt": "AAAAAAAAAAAAAAAAAAAAAA==", "n": 2**30, "r": 8, "p": 1},
                 "cipher": {"name": "AES-256-GCM", "nonce": "AAAAAAAAAAAAAAAA"},
                 "ciphertext": base64.b64encode(bytes(80)).decode()}).encode()],
    ids=["empty", "text", "empty-object", "list", "public-key-file", "absurd-scrypt-cost"],
)
def test_garbage_private_key_file_is_refused(data: bytes) -> None:
    with pytest.raises(AdultSchoolError, match="不是分中心私钥文件"):
        load_district_private(data, PASSPHRASE)


def test_public_key_file_round_trips(district: DistrictKeyPair) -> None:
    data = dump_district_public(district.public)
    loaded = load_district_public(data)
    assert loaded == district.public
    assert loaded.fingerprint == district.public.fingerprint
    assert json.loads(data)["fingerprint"] == district.public.fingerprint
    # Saved again by Windows Notepad, with a byte order mark.
    assert load_district_public(b"\xef\xbb\xbf" + data) == district.public


def test_public_key_with_a_changed_key_fails_its_fingerprint(district: DistrictKeyPair) -> None:
    raw = json.loads(dump_district_public(district.public))
    raw["box"] = base64.b64encode(bytes(32)).decode()
    with pytest.raises(AdultSchoolError, match="指纹不符"):
        load_district_public(json.dumps(raw).encode())


def test_public_key_file_from_a_newer_program_asks_to_upgrade(district: DistrictKeyPair) -> None:
    raw = json.loads(dump_district_public(district.public))
    raw["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(AdultSchoolError, match="请先升级本程序"):
        load_district_public(json.dumps(raw).encode())


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\xff", b"null", b"{}", b'{"type": "adultschool-district-public-key", "format_version": 1}',
     b'{"type": "adultschool-district-public-key", "format_version": 1, "code": "330206", "box": "AA==",'
     b' "sign": "AA==", "fingerprint": ""}', b"NaN", b"[" * 50_000],
)
def test_garbage_public_key_file_is_refused(data: bytes) -> None:
    with pytest.raises(AdultSchoolError, match="不是分中心公钥文件"):
        load_district_public(data)


@FUZZ
@given(data=st.binary(max_size=500))
def test_random_key_files_are_refused(data: bytes) -> None:
    with pytest.raises(AdultSchoolError):
        load_district_public(data)
    with pytest.raises(AdultSchoolError):
        load_district_private(data, PASSPHRASE)


def test_district_key_pair_never_shows_its_private_keys(district: DistrictKeyPair) -> None:
    shown = repr(district)
    assert repr(district.box_private) not in shown and repr(district.sign_private) not in shown
    assert "330206" in shown


# --- receipts -------------------------------------------------------------------------------------------


RECEIPT = {"school_code": SCHOOL_CODE, "imported_up_to": 7, "missing": [5], "counts": {"learners": 2}, "note": "已导入"}


def test_receipt_round_trips(district: DistrictKeyPair) -> None:
    data = write_receipt(RECEIPT, district)
    assert read_receipt(data, district.public) == RECEIPT
    raw = json.loads(data)
    assert raw["type"] == "adultschool-receipt"
    assert raw["district"] == "330206" and raw["fingerprint"] == district.public.fingerprint


def test_receipt_body_comes_back_as_json_would_give_it(district: DistrictKeyPair) -> None:
    # Integer keys become strings on the way, and the signature still holds.
    body = read_receipt(write_receipt({10: "a", 9: "b", "list": (1, 2)}, district), district.public)
    assert body == {"10": "a", "9": "b", "list": [1, 2]}


def test_receipt_with_a_changed_body_is_refused(district: DistrictKeyPair) -> None:
    raw = json.loads(write_receipt(RECEIPT, district))
    raw["body"]["imported_up_to"] = 9
    with pytest.raises(AdultSchoolError, match="回执的签名不对"):
        read_receipt(json.dumps(raw).encode(), district.public)


def test_receipt_from_another_district_is_refused(district: DistrictKeyPair, other_district: DistrictKeyPair) -> None:
    with pytest.raises(AdultSchoolError, match="不是本校登记的分中心"):
        read_receipt(write_receipt(RECEIPT, other_district), district.public)


def test_receipt_signed_by_another_key_in_this_districts_name_is_refused(
    district: DistrictKeyPair, other_district: DistrictKeyPair
) -> None:
    impostor = DistrictKeyPair(code=district.code, box_private=other_district.box_private,
                               sign_private=other_district.sign_private)
    with pytest.raises(AdultSchoolError, match="不是本校登记的分中心"):
        read_receipt(write_receipt(RECEIPT, impostor), district.public)
    raw = json.loads(write_receipt(RECEIPT, impostor))
    raw["fingerprint"] = district.public.fingerprint
    with pytest.raises(AdultSchoolError, match="回执的签名不对"):
        read_receipt(json.dumps(raw).encode(), district.public)


def test_receipt_from_a_newer_program_asks_to_upgrade(district: DistrictKeyPair) -> None:
    raw = json.loads(write_receipt(RECEIPT, district))
    raw["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(AdultSchoolError, match="请先升级本程序"):
        read_receipt(json.dumps(raw).encode(), district.public)


@FUZZ
@given(data=st.binary(max_size=500))
def test_random_receipts_are_refused(district: DistrictKeyPair, data: bytes) -> None:
    with pytest.raises(AdultSchoolError):
        read_receipt(data, district.public)


def test_receipt_changed_at_every_byte_is_refused_or_unchanged(district: DistrictKeyPair) -> None:
    data = write_receipt(RECEIPT, district)
    for position in range(len(data)):
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        try:
            body = read_receipt(bytes(tampered), district.public)
        except AdultSchoolError:
            continue
        # Only layout can change unnoticed (e.g. a space becomes another whitespace); never the body.
        assert body == RECEIPT
