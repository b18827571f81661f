"""Sync packages: export of a school with N learners and their records, and import at the district of S such packages,
against a plain bulk insert of the same rows into an empty database of the same schema, in the same run.

The S packages are the one real export with every uuid, ID number, student and certificate number and the school code
re-made per school, each signed with its own school key, so the district merges S different schools.

    python bench/sync.py [--learners 10000] [--schools 20]      (BENCH_DB=path reuses a demo database)
"""
from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import uuid as uuid_module
from datetime import date
from pathlib import Path

from sqlalchemy import insert
from stdnum.cn import ric

sys.path.insert(0, str(Path(__file__).parent))
from common import demo_database, machine

from adultschool import aspkg
from adultschool.db import open_database, read_session, unit_of_work
from adultschool.models import SiteKind
from adultschool.services import district, district_keypair, district_schools, site, sync
from adultschool.services.district_merge import NATURAL_KEYS
from adultschool.services.sync_tables import SPEC_BY_NAME, SPECS, decode_lines, encode_line

PASSPHRASE = "bench-passphrase"


def clone_rows(rows: dict[str, list[dict]], number: int, code: str, old_code: str) -> dict[str, list[dict]]:
    """The same school's rows as school `number`: new uuids everywhere, other ID numbers and codes."""
    namespace = uuid_module.uuid5(uuid_module.NAMESPACE_URL, f"bench-school-{number}")

    def new(value: str) -> str:
        return str(uuid_module.uuid5(namespace, value))

    out: dict[str, list[dict]] = {}
    for spec in SPECS:
        cloned = []
        for row in rows.get(spec.name, []):
            row = dict(row)
            row["uuid"] = new(row["uuid"])
            for column in spec.refs:
                if row[column] is not None:
                    row[column] = new(row[column])
            if spec.name == "schools":
                row["code"], row["name"] = code, f"{code} 成人文化技术学校"
            elif spec.name == "learners":
                body = f"{330 + number:03d}{row['id_number'][3:17]}"
                row["id_number"] = body + ric.calc_check_digit(body + "0")
            elif spec.name == "enrolments":
                row["student_number"] = row["student_number"].replace(old_code, code, 1)
            elif spec.name == "certificates":
                row["number"] = row["number"].replace(old_code, code, 1)
            cloned.append(row)
        out[spec.name] = cloned
    return out


class Baseline:
    """Plain SQLAlchemy executemany INSERTs of the decoded rows into an empty database of the same schema: ids given,
    foreign keys mapped through a dict, a township or video another school sent already mapped to the first one."""

    def __init__(self, folder: Path):
        self.db = open_database(folder / "baseline.sqlite3", create=True)
        self.ids: dict[str, dict[str, int]] = {spec.name: {} for spec in SPECS}
        self.next_id = {spec.name: 1 for spec in SPECS}
        self.seen: dict[tuple, int] = {}

    def insert(self, rows: dict[str, list[dict]]) -> float:
        start = time.perf_counter()
        with unit_of_work(self.db.engine) as session:
            connection = session.connection()
            for spec in SPECS:
                values = []
                for row in rows[spec.name]:
                    row = dict(row)
                    for column, target in spec.refs.items():
                        if row[column] is not None:
                            row[column] = self.ids[target.name][row[column]]
                    key_columns = NATURAL_KEYS.get(spec.name)
                    if key_columns:
                        key = (spec.name, *(row[c] for c in key_columns))
                        if key in self.seen:
                            self.ids[spec.name][row["uuid"]] = self.seen[key]
                            continue
                        self.seen[key] = self.next_id[spec.name]
                    row["id"] = self.ids[spec.name][row["uuid"]] = self.next_id[spec.name]
                    self.next_id[spec.name] += 1
                    values.append(row)
                if values:
                    connection.execute(insert(spec.table), values)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--schools", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    import os
    os.environ.setdefault("ADULTSCHOOL_DATA_DIR", str(folder / "data"))
    school, how, _ = demo_database(folder, args.learners, date(2026, 11, 23))
    print(f"machine: {machine()}")
    print(f"school database: {how}")

    office = open_database(folder / "district.sqlite3", create=True)
    with unit_of_work(office.engine) as session:
        site.initialise(session, kind=SiteKind.DISTRICT, code="330206", name="分中心", actor="bench")
        district_keypair.keygen(session, folder / "keys", PASSPHRASE, actor="bench")
    with read_session(office.engine) as session:
        keys = district_keypair.district_keys(session, PASSPHRASE)
    public = (folder / "keys" / "district.pub").read_bytes()

    out = folder / "school.aspkg"
    start = time.perf_counter()
    with unit_of_work(school.engine) as session:
        summary = sync.export_package(session, out, district_key_file=public, full=True, actor="bench")
    export_time = time.perf_counter() - start
    print(f"export: {summary.rows:,} rows, {out.stat().st_size / 1e6:.1f} MB, {export_time:.2f} s", flush=True)

    opened = aspkg.open_package(out.read_bytes(), keys)
    rows = {spec.name: decode_lines(spec, opened.members[spec.member]) for spec in SPECS}
    with read_session(school.engine) as session:
        old_code = site.get_site(session).code
    files, decoded = [], []
    for number in range(args.schools):
        code = f"330206-{number + 10:02d}"
        cloned = clone_rows(rows, number, code, old_code)
        decoded.append(cloned)
        members = {SPEC_BY_NAME[name].member: b"".join(encode_line(SPEC_BY_NAME[name], r) for r in table_rows)
                   for name, table_rows in cloned.items()}
        manifest = dict(opened.manifest)
        for key in ("format_version", "school_code", "sequence", "created_at", "members"):
            manifest.pop(key, None)
        manifest["school_name"] = f"{code} 成人文化技术学校"
        pem = aspkg.new_signing_key()
        data = aspkg.write_package(
            school_code=code, sequence=1, created_at=opened.header.created_at, manifest=manifest, members=members,
            signing_key_pem=pem, district=keys.public)
        files.append((f"{code}.aspkg", data))
        with unit_of_work(office.engine) as session:  # on the district's roster, its key's fingerprint registered
            district_schools.add_school(session, code, name=f"{code} 成人文化技术学校", actor="bench",
                                        fingerprint=aspkg.fingerprint(aspkg.signing_public_key(pem)))
    per_package = sum(len(v) for v in decoded[0].values())
    print(f"packages: {args.schools} × {per_package:,} rows = {args.schools * per_package:,} rows")

    # Package by package, the import and the plain insert of the same rows take turns, so a busy moment on this
    # shared machine falls on both alike.
    baseline = Baseline(folder)
    import_time = baseline_time = 0.0
    for (name, data), rows_of_school in zip(files, decoded):
        gc.collect()
        start = time.perf_counter()
        with unit_of_work(office.engine) as session:
            district.import_package(session, data, file_name=name, keys=keys, actor="bench")
        import_time += time.perf_counter() - start
        gc.collect()
        baseline_time += baseline.insert(rows_of_school)
        print(f"  {name}: import {import_time:.1f} s, plain insert {baseline_time:.1f} s so far "
              f"(ratio {import_time / baseline_time:.2f})", flush=True)
    baseline = baseline_time
    print(f"import at the district: {import_time:.1f} s ({import_time / args.schools:.2f} s per package)")
    print(f"plain bulk insert of the same rows: {baseline:.1f} s")
    print(f"ratio import / plain insert: {import_time / baseline:.2f} (target ≤ 3)")


if __name__ == "__main__":
    main()
