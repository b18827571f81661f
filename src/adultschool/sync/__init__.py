"""The sync formats: school packages (.aspkg) encrypted to a district and signed, the district's packages back to a
school (.asdist) encrypted to the school and signed by the district, district receipts, and keys.

Pure: bytes and plain values in, plain values out; no database, no files (the caller reads and writes
them), no Qt. Every problem with bytes from outside is one AdultSchoolError in Chinese.
"""
from adultschool.sync.codec import FORMAT_VERSION
from adultschool.sync.gaps import Gaps, find_gaps
from adultschool.sync.keys import (
    KEY_BYTES,
    DistrictKeyPair,
    DistrictPublicKey,
    dump_district_private,
    dump_district_public,
    fingerprint,
    generate_district_keys,
    load_district_private,
    load_district_public,
    new_signing_key,
    school_box_private,
    school_box_public,
    signing_public_key,
)
from adultschool.sync.package import (
    OpenedPackage,
    PackageHeader,
    open_district_package,
    open_package,
    read_header,
    write_district_package,
    write_package,
)
from adultschool.sync.receipt import read_receipt, write_receipt

__all__ = [
    "FORMAT_VERSION",
    "KEY_BYTES",
    "DistrictKeyPair",
    "DistrictPublicKey",
    "Gaps",
    "OpenedPackage",
    "PackageHeader",
    "dump_district_private",
    "dump_district_public",
    "find_gaps",
    "fingerprint",
    "generate_district_keys",
    "load_district_private",
    "load_district_public",
    "new_signing_key",
    "open_district_package",
    "open_package",
    "read_header",
    "read_receipt",
    "school_box_private",
    "school_box_public",
    "signing_public_key",
    "write_district_package",
    "write_package",
    "write_receipt",
]
